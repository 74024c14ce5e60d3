"""nbgrader configuration: this repository is the course directory.

    solutions/<assignment>/<notebook>.ipynb   source (solutions and hidden tests; instructors only)
    exercises/<assignment>/<notebook>.ipynb   release (what students get; generated, committed)
    submitted/<student>/<assignment>/          collected submissions            (git-ignored)
    autograded/, feedback/, gradebook.db       nbgrader's results and gradebook (git-ignored)

Two settings an instructor may change without editing this file:
  NNCOURSE_DB_URL    the gradebook (default: sqlite:///gradebook.db; e.g. postgresql://host/course)
  NNCOURSE_TIMEOUT   seconds one cell may run while autograding (default: 60)
  NNCOURSE_MEMORY_MB, NNCOURSE_CPU_SECONDS, NNCOURSE_SANDBOX   the kernel sandbox (nbcourse/sandbox.py)
  NNCOURSE_ANSWER_RULES=off   run student cells even when they break the answer rules (nbcourse/integrity.py)
"""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from nbcourse.integrity import GuardAnswers
from nbcourse.preprocessors import (
    DropEmptyNbgraderMetadata,
    DropExecutionTags,
    LimitOutputSize,
    StderrAsStdout,
    StripHiddenTests,
)
from nbcourse.sandbox import SandboxedExecute

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

# A copied answer cell must not stop the notebook from being graded (DropEmptyNbgraderMetadata), and a
# "skip-execution" tag must not skip a test cell, which nbgrader would score as passed (DropExecutionTags).
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, DropEmptyNbgraderMetadata, DropExecutionTags, OverwriteKernelspec, OverwriteCells,
    CheckCellMetadata,
]
c.Execute.timeout = int(os.environ.get("NNCOURSE_TIMEOUT", "60"))
c.GuardAnswers.enabled = os.environ.get("NNCOURSE_ANSWER_RULES", "on").lower() != "off"
# Output beyond these is cut (nbgrader's LimitOutput counts lines, LimitOutputSize characters).
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100
# Answers that would change how the tests run are not run (nbcourse/integrity.py); kernels run in a
# sandbox (nbcourse/sandbox.py); warnings and library log lines must not zero a correct answer
# (nbgrader scores stderr as failure).
c.Autograde.autograde_preprocessors = [
    GuardAnswers, SandboxedExecute, StderrAsStdout, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
    LimitOutputSize, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
# Feedback keeps each failure's message and drops the hidden tests' code.
c.GenerateFeedback.preprocessors = [GetGrades, StripHiddenTests, CSSHTMLHeaderPreprocessor]
