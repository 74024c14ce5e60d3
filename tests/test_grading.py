"""Broken submissions through the real instructor commands: every student gets a grade row and a
feedback page that says what happened, and the rest of the class is graded.

One scratch course, exercise 2, a class of deliberately awkward students.
"""

from __future__ import annotations

import csv

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, nbgrader_meta, notebook_path, submit

pytestmark = pytest.mark.grading
ASSIGNMENT = "02_forward_propagation"


def answer_cell(notebook, grade_id):
    return next(c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("class"), [ASSIGNMENT])
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    complete = filled(release, solution)

    submit(course, "good", ASSIGNMENT, complete)
    # A student who deleted a graded cell: nbgrader puts it back and grades the part.
    deleted = nbformat.from_dict(complete)
    deleted.cells = [c for c in deleted.cells if nbgrader_meta(c).get("grade_id") != "cost_test"]
    submit(course, "deleted_test", ASSIGNMENT, deleted)
    # A student who edited a graded cell to pass: the locked cell is overwritten from the gradebook.
    edited = filled(release, solution, {"cost_answer": "def cost(Ya, Yp):\n    return 0.0\n"})
    answer_cell(edited, "cost_test").source = "pass  # trust me"
    submit(course, "edited_test", ASSIGNMENT, edited)
    submit(course, "dies", ASSIGNMENT, filled(release, solution, {"cost_answer": "import os\nos._exit(1)\n"}))
    submit(course, "loops", ASSIGNMENT, filled(release, solution, {"cost_answer": "while True:\n    pass\n"}))
    submit(course, "not_json", ASSIGNMENT, "{ this is not a notebook")
    submit(course, "renamed", ASSIGNMENT, complete, name="my_homework.ipynb")
    warns = filled(release, solution, {
        "sigmoid_answer": "import sys\n\ndef sigmoid(z):\n    print('a warning', file=sys.stderr)\n"
                          "    return 1 / (1 + np.exp(-z))  # overflows at -1000: NumPy warns, value right\n"})
    submit(course, "warns", ASSIGNMENT, warns)

    for command in (["autograde"], ["feedback"], ["export", "--to", "grades.csv"]):
        result = nbcourse(course, *command, env={"NNCOURSE_TIMEOUT": "15"})
        assert result.returncode == 0, result.stdout + result.stderr
    return course


def rows(course):
    with open(course / "grades.csv") as handle:
        return {r["student_id"]: r for r in csv.DictReader(handle)}


def feedback(course, student):
    return (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def test_every_student_has_a_row_and_a_feedback_page(course):
    students = {p.name for p in (course / "submitted").iterdir()}
    assert set(rows(course)) == students
    for student in students:
        assert feedback(course, student)


def test_a_good_submission_is_unaffected_by_the_rest(course):
    row = rows(course)["good"]
    assert float(row["score"]) == float(row["max_score"]) == 9.0 and row["status"] == "graded"


def test_a_deleted_test_cell_is_restored_and_graded(course):
    row = rows(course)["deleted_test"]
    assert float(row["score"]) == 9.0, "the deleted part must be graded, not left for manual grading"
    autograded = nbformat.read(notebook_path(course / "autograded" / "deleted_test", ASSIGNMENT), as_version=4)
    assert any(nbgrader_meta(c).get("grade_id") == "cost_test" for c in autograded.cells)


def test_editing_a_test_cell_does_not_help(course):
    assert float(rows(course)["edited_test"]["score"]) == 7.0  # the cost part is wrong and scores 0


@pytest.mark.parametrize(("student", "reason"), [
    ("dies", "kernel died"),
    ("not_json", "not a valid notebook"),
    ("renamed", "no notebook named 02_forward_propagation.ipynb"),
])
def test_broken_submissions_get_zero_and_a_reason(course, student, reason):
    row = rows(course)[student]
    assert float(row["score"]) == 0.0 and reason in row["status"]
    page = feedback(course, student)
    assert "could not be graded" in page and reason in page


def test_an_endless_loop_costs_its_part_only(course):
    row = rows(course)["loops"]
    assert float(row["score"]) == 7.0 and row["status"] == "graded"
    assert "CellTimeoutError" in feedback(course, "loops") or "Timeout" in feedback(course, "loops")


def test_stderr_does_not_cost_a_correct_answer(course):
    assert float(rows(course)["warns"]["score"]) == 9.0
    assert "[stderr] a warning" in feedback(course, "warns")


def test_submissions_are_never_changed(course):
    assert (course / "submitted" / "not_json" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text() == \
        "{ this is not a notebook"
    assert (course / "submitted" / "renamed" / ASSIGNMENT / "my_homework.ipynb").is_file()
