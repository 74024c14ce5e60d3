"""The exercises, graded through the real nbgrader CLI in a scratch course directory.

1. every solution scores full marks under `nbgrader autograde`;
2. every untouched released notebook scores 0 and the batch completes;
3. every part loses its points to each of its plausible wrong answers, and only it;
4. exercises/ is what `nbgrader generate_assignment` makes of solutions/ now;
5. no solution or hidden-test text reaches exercises/;
6. the student self-check passes a completed notebook and fails an untouched one;
7. generated feedback carries no hidden-test source;
8. a written answer (a markdown cell graded by a TA) is released without its model answer and rubric,
   and autograde leaves it "needs manual grading": never a 0 for an answer given, never full marks.
"""

from __future__ import annotations

import csv
import re

import nbformat
import pytest
from conftest import LEAK_MARKERS, ROOT
from exercise_tools import (
    assignment_names,
    filled,
    grade_parts,
    make_course,
    nbcourse,
    nbgrader_meta,
    notebook_path,
    submit,
    with_answer,
    wrong_answers,
)

from nbcourse.authoring import MissingWrongAnswers
from nbcourse.preprocessors import is_test_cell

pytestmark = pytest.mark.grading
ASSIGNMENTS = assignment_names()
# The tests of graded_course share one pytest-xdist worker (make test: --dist loadgroup), so the class
# is graded once; the self-checks and wrong answers, each on its own, spread over the workers.
GRADED_COURSE = pytest.mark.xdist_group("graded-course")


def released(assignment: str):
    return nbformat.read(notebook_path(ROOT / "exercises", assignment), as_version=4)


def solution(assignment: str):
    return nbformat.read(notebook_path(ROOT / "solutions", assignment), as_version=4)


def written_cells(notebook) -> list:
    """The written answers: markdown answer cells with points, graded by a TA in nbgrader's formgrader."""
    return [c for c in notebook.cells
            if c.cell_type == "markdown" and nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution")]


def written_points(assignment: str) -> float:
    return sum(float(nbgrader_meta(c)["points"]) for c in written_cells(solution(assignment)))


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A scratch course with two students per assignment, autograded and given feedback."""
    course = make_course(tmp_path_factory.mktemp("course"))
    for assignment in ASSIGNMENTS:
        release = nbformat.read(notebook_path(course / "exercises", assignment), as_version=4)
        submit(course, "complete", assignment, filled(release, solution(assignment)))
        submit(course, "untouched", assignment, release)
    result = nbcourse(course, "autograde")
    assert result.returncode == 0, result.stdout + result.stderr
    for command in (["feedback"], ["export", "--to", "grades.csv"]):
        result = nbcourse(course, *command)
        assert result.returncode == 0, result.stdout + result.stderr
    return course


def grade_rows(course) -> dict[tuple[str, str], dict]:
    with open(course / "grades.csv") as handle:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(handle)}


@GRADED_COURSE
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_a_fresh_release(assignment, graded_course):
    fresh = notebook_path(graded_course / "exercises", assignment).read_text()
    committed = notebook_path(ROOT / "exercises", assignment)
    assert committed.is_file(), f"exercises/ lacks {assignment}: run `make exercises`"
    assert committed.read_text() == fresh, f"exercises/{assignment} is stale: run `make exercises` and commit"


def test_every_solution_has_a_release():
    released_names = sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())
    assert [n for n in released_names if n in ASSIGNMENTS] == ASSIGNMENTS
    assert set(released_names) <= {p.name for p in (ROOT / "solutions").iterdir()}, "a release without a source"


@GRADED_COURSE
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_score_full_marks(assignment, graded_course):
    """Every graded code part scores its points; a written answer waits for a TA (no grade yet, not 0)."""
    row = grade_rows(graded_course)[("complete", assignment)]
    written = written_points(assignment)
    assert float(row["max_score"]) > written >= 0, row
    assert float(row["score"]) == float(row["max_score"]) - written, row
    assert row["status"] == ("needs manual grading in nbgrader's formgrader" if written else "graded"), row


@GRADED_COURSE
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_notebooks_score_zero(assignment, graded_course):
    row = grade_rows(graded_course)[("untouched", assignment)]
    assert float(row["score"]) == 0.0 and float(row["max_score"]) > 0, row
    assert row["status"] == "graded"  # graded and scored 0: not a crash


@GRADED_COURSE
def test_the_hidden_tests_never_reach_a_release(graded_course):
    """nbgrader's release copies every file of solutions/<assignment>/: the hidden tests live elsewhere."""
    for folder in (ROOT / "exercises", graded_course / "exercises", graded_course / "feedback"):
        names = {p.name for p in folder.rglob("*") if p.is_file()}
        assert not any(name.endswith(".py") or name == ".secret" for name in names), (folder, names)
    checks = {line.strip() for path in (ROOT / "hidden_tests").glob("*.py")
              for line in path.read_text().splitlines() if line.startswith("def check_")}
    assert checks
    for path in (ROOT / "exercises").rglob("*.ipynb"):
        text = path.read_text()
        assert not [line for line in checks if line in text], path


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_written_answers_reach_no_release(assignment):
    """The model answer and the TA's rubric of a written answer stay in solutions/: no line of them is
    in the release (nbgrader replaces the solution region by "YOUR ANSWER HERE")."""
    hidden = [line.strip() for cell in written_cells(solution(assignment)) for line in cell.source.splitlines()
              if len(line.strip()) > 12]
    text = "\n".join(cell.source for cell in released(assignment).cells)
    assert not [line for line in hidden if line in text]


def test_no_solution_or_hidden_tests_in_exercises():
    for path in (ROOT / "exercises").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="ignore")
            for marker in LEAK_MARKERS:
                assert marker not in text, f"{marker!r} in {path}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebooks_are_clean(assignment):
    notebook = released(assignment)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    written = written_cells(notebook)
    answers = [c for c in notebook.cells if nbgrader_meta(c).get("solution") and c not in written]
    assert answers and all(c.cell_type == "code" and "raise NotImplementedError()" in c.source for c in answers)
    # A written answer: an empty markdown cell with points, under its locked question "## Part N: ... (P points)".
    assert len(written) <= 1, "at most one written answer per exercise"
    for cell in written:
        meta = nbgrader_meta(cell)
        assert cell.source == "YOUR ANSWER HERE" and not meta.get("locked") and meta.get("points", 0) > 0, meta
        part = meta["grade_id"].removesuffix("_written")
        assert meta["grade_id"] == f"{part}_written" and cell.id == meta["grade_id"]
        question = notebook.cells[notebook.cells.index(cell) - 1]
        shown = {k: nbgrader_meta(question).get(k) for k in ("grade", "grade_id", "locked", "solution")}
        assert shown == {"grade": False, "grade_id": f"{part}_text", "locked": True, "solution": False}, shown
        assert f"({meta['points']:g} points)" in question.source.splitlines()[0]
    tests = [c for c in notebook.cells if is_test_cell(c)]
    # A finished assignment has 3 to 6 parts (docs/authoring.md); one made by `nbcourse new` starts with one.
    assert 1 <= len(tests) <= 6, "an assignment has 1 to 6 graded parts (3 to 6 once finished)"
    assert all(nbgrader_meta(c).get("points", 0) > 0 for c in tests)


@GRADED_COURSE
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_results_but_no_hidden_tests(assignment, graded_course):
    for student in ("complete", "untouched"):
        page = (graded_course / "feedback" / student / assignment / f"{assignment}.html").read_text()
        for marker in LEAK_MARKERS:
            assert marker not in page
        for hidden_only in ("check_function", "Mistake(", "import nnlib", "PARTS = ", "def check_"):
            assert hidden_only not in page, f"{hidden_only!r} in the feedback of {student}"
    complete = (graded_course / "feedback" / "complete" / assignment / f"{assignment}.html").read_text()
    assert "Passed" in complete
    untouched = (graded_course / "feedback" / "untouched" / assignment / f"{assignment}.html").read_text()
    assert "is not implemented yet" in untouched


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_self_check(assignment, tmp_path):
    release = released(assignment)
    complete = tmp_path / "complete" / f"{assignment}.ipynb"
    untouched = tmp_path / "untouched" / f"{assignment}.ipynb"
    for path, notebook in ((complete, filled(release, solution(assignment))), (untouched, release)):
        path.parent.mkdir()
        nbformat.write(notebook, path)
    passing = nbcourse(tmp_path, "check", str(complete))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert re.search(r"\b(\d+) passed, 0 failed", passing.stdout)
    failing = nbcourse(tmp_path, "check", str(untouched))
    assert failing.returncode == 1
    assert "0 passed" in failing.stdout and "NotImplementedError" in failing.stdout
    assert "see the chapter '" in failing.stdout, "a failure points to the chapter"
    assert "WARNING" not in passing.stderr + failing.stderr, "the kernel's own warnings are not the student's"


def wrong_answer_cases():
    for assignment in ASSIGNMENTS:
        try:
            known = wrong_answers(assignment)
        except MissingWrongAnswers:  # not a collection error: test_hidden_tests.py's
            continue                 # test_every_part_has_two_wrong_answers fails for it, saying what to write
        for part, answers in known.items():
            for label, code in answers:
                yield pytest.param(assignment, part, code, id=f"{assignment}-{part}-{label}")


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "part", "code"), list(wrong_answer_cases()))
def test_a_wrong_answer_loses_its_part_only(assignment, part, code):
    scores = grade_parts(with_answer(solution(assignment), f"{part}_answer", code), assignment)
    assert scores[f"{part}_test"][0] == 0, f"the wrong answer kept its points: {scores}"
    others = {k: v for k, v in scores.items() if k != f"{part}_test"}
    assert all(score == most for score, most, _ in others.values()), f"other parts lost points: {others}"
