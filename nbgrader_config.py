"""nbgrader configuration: this repository is the course directory.

    solutions/<assignment>/<notebook>.ipynb   source (solutions; instructors only)
    hidden_tests/<assignment>.py               the graded parts' checks, run by the grader (instructors only)
    exercises/<assignment>/<notebook>.ipynb   release (what students get; generated, committed)
    submitted/<student>/<assignment>/          collected submissions            (git-ignored)
    autograded/, feedback/, gradebook.db       nbgrader's results and gradebook (git-ignored)

Two settings an instructor may change without editing this file:
  NNCOURSE_DB_URL    the gradebook (default: sqlite:///gradebook.db; e.g. postgresql://host/course)
  NNCOURSE_TIMEOUT   seconds one cell may run while autograding (default: 60)
  NNCOURSE_MEMORY_MB, NNCOURSE_CPU_SECONDS, NNCOURSE_PROCESSES, NNCOURSE_CPUS, NNCOURSE_SANDBOX
                     the kernel sandbox (nbcourse/sandbox.py)
  NNCOURSE_SECRET    the secret the hidden tests' cases are drawn from (default: hidden_tests/.secret)
  NNCOURSE_BOOK_URL  the book's address for the feedback's links (default: the local build, _build/html)
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

from nbcourse.feedback import FeedbackExporter, LinkBookSections, NameParts, NoteUngradedChecks
from nbcourse.preprocessors import (
    DropEmptyNbgraderMetadata,
    DropExecutionTags,
    LimitOutputSize,
    StderrAsStdout,
    StripHiddenTests,
)
from nbcourse.schedule import ScheduledLatePenalty
from nbcourse.trusted import TrustedExecute

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
# A cell whose outputs stop coming (a kernel that used up its process limit, say) goes on to the next
# cell instead of failing the whole notebook; its processes are killed after it (nbcourse/sandbox.py).
c.Execute.raise_on_iopub_timeout = False
c.TrustedExecute.hidden_tests = os.path.join(c.CourseDirectory.root, "hidden_tests")
# Output beyond these is cut (nbgrader's LimitOutput counts lines, LimitOutputSize characters).
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100
# The kernel runs the student's cells in a sandbox (nbcourse/sandbox.py); each graded part is checked
# in the grader's own process, from plain data (nbcourse/trusted.py); warnings and library log lines
# must not zero a correct answer (nbgrader scores stderr as failure).
c.Autograde.autograde_preprocessors = [
    TrustedExecute, StderrAsStdout, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
    LimitOutputSize, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
# Late work: nbgrader computes how late a submission is (its timestamp.txt against the due date that
# `nbcourse release/autograde` write from schedule.toml into the gradebook); AssignLatePenalties asks this plugin
# for the penalty of the assignment's late policy in schedule.toml (nbcourse/schedule.py).
c.AssignLatePenalties.plugin_class = ScheduledLatePenalty
c.ScheduledLatePenalty.schedule_file = os.path.join(c.CourseDirectory.root, "schedule.toml")
# Feedback keeps each failure's message and drops the hidden tests' code. The page names each part, links
# "See the chapter ..." to the book (NNCOURSE_BOOK_URL, default: the local build _build/html), says the
# check cells were not run, and loads nothing from the network: formulas are MathML (nbcourse/feedback.py).
c.GenerateFeedback.exporter_class = FeedbackExporter
c.GenerateFeedback.preprocessors = [
    GetGrades, StripHiddenTests, NameParts, NoteUngradedChecks, LinkBookSections, CSSHTMLHeaderPreprocessor,
]
