"""nbgrader configuration: this repository is the course directory.

    solutions/<assignment>/<notebook>.ipynb   source (solutions and hidden tests; instructors only)
    exercises/<assignment>/<notebook>.ipynb   release (what students get; generated, committed)
    submitted/<student>/<assignment>/          collected submissions            (git-ignored)
    autograded/, feedback/, gradebook.db       nbgrader's results and gradebook (git-ignored)

Two settings an instructor may change without editing this file:
  NNCOURSE_DB_URL    the gradebook (default: sqlite:///gradebook.db; e.g. postgresql://host/course)
  NNCOURSE_TIMEOUT   seconds one cell may run while autograding (default: 60)
"""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    Execute,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from nbcourse.preprocessors import StderrAsStdout, StripHiddenTests

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "training-neural-networks"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = os.environ.get("NNCOURSE_DB_URL", "sqlite:///gradebook.db")

# What a student sees in place of each solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A test cell the student deleted is put back, so its part is graded, not left "needs manual grade".
c.OverwriteCells.add_missing_cells = True

c.Execute.timeout = int(os.environ.get("NNCOURSE_TIMEOUT", "60"))
# Warnings and library log lines must not zero a correct answer (nbgrader scores stderr as failure).
c.Autograde.autograde_preprocessors = [
    Execute, StderrAsStdout, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata,
]
# Feedback keeps each failure's message and drops the hidden tests' code.
c.GenerateFeedback.preprocessors = [GetGrades, StripHiddenTests, CSSHTMLHeaderPreprocessor]
