"""Grades an LMS takes (nbcourse/export.py), through the real CLI, from a real autograde of a small class.

The class (`lms_class`, shared with tests/test_report.py): schedule.toml sets 01_training_recipe (due
next year) and 02_forward_propagation (due, 10 % a day late); 03_backpropagation is released but not
set. A roster (accents, spaces) is imported with `nbcourse roster import`; some students are not on it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path, submit

from nbcourse.export import CANVAS_STUDENT_COLUMNS, MOODLE_STUDENT_COLUMNS

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("export")]

SET = ["01_training_recipe", "02_forward_propagation"]  # in schedule.toml
NOT_SET = "03_backpropagation"                            # released, in the gradebook, not set
ASSIGNMENT = "02_forward_propagation"
DUE = "2026-10-05T23:59:00+00:00"
SCHEDULE = f"""
[late]
policy = "percent-per-day"
percent = 10

[assignments.01_training_recipe]
due = "2099-01-01T00:00:00+00:00"

[assignments.02_forward_propagation]
due = "{DUE}"
"""
ROSTER = """student_id,first_name,last_name,email,lms_id
zoe,Zoë Ånne,de la Cruz-Núñez,zoe@example.org,1001
li,Li,Wei Ming,li@example.org,1002
kim,Kim,Park,kim@example.org,1003
ghost,Gaspard,Ôtis,ghost@example.org,1004
odd,Odile,Dupré,odd@example.org,1005
"""
HALF_DROPPED = "def cost(Ya, Yp):\n    return float(np.mean((Ya - Yp) ** 2))\n"
SUM_NOT_MEAN = "def cost(Ya, Yp):\n    return float(np.sum(0.5 * (Ya - Yp) ** 2))\n"
E_PLUS_Z = "def sigmoid(z):\n    return 1 / (1 + np.exp(z))\n"
SCRIPT_STUDENT = "x<script>"  # a student id a browser would run if the report did not escape it
# A hidden test that fails on one student's answer (a grader bug): that part is "not graded", with why.
BROKEN_FOR_ONE_ANSWER = """

def _breaks_on_one_answer(check):
    def broken(student, rng):
        if student.function("sigmoid")(np.array([123.0])) == -1.0:
            raise RuntimeError("a bug in the hidden test")
        return check(student, rng)
    return broken


PARTS[0] = Part(PARTS[0].grade_id, _breaks_on_one_answer(PARTS[0].check), PARTS[0].seconds)
"""
ODD_SIGMOID = "def sigmoid(z):\n    if np.all(z == 123.0):\n        return -1.0\n    return 1 / (1 + np.exp(-z))\n"


def points(assignment: str) -> dict[str, float]:
    """{grade_id: points} of the assignment's graded cells, from its source notebook."""
    source = nbformat.read(notebook_path(ROOT / "solutions", assignment), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")}


def lms_class(folder: Path) -> Path:
    """Build, submit and autograde the class described in the module docstring; return the course."""
    course = make_course(folder, [*SET, NOT_SET])
    (course / "schedule.toml").write_text(SCHEDULE)
    (course / "roster-download.csv").write_text(ROSTER, encoding="utf-8")
    result = nbcourse(course, "roster", "import", "roster-download.csv")
    assert result.returncode == 0, result.stdout + result.stderr
    with open(course / "hidden_tests" / f"{ASSIGNMENT}.py", "a") as module:
        module.write(BROKEN_FOR_ONE_ANSWER)

    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)

    def hand_in(student, notebook, when=None):
        path = submit(course, student, ASSIGNMENT, notebook)
        if when:
            (path.parent / "timestamp.txt").write_text(when)

    hand_in("zoe", filled(release, solution, {"cost_answer": HALF_DROPPED}), "2026-10-05 20:00:00.000000 UTC")
    # 30 hours late: two days (or part of one) at 10 % a day
    hand_in("li", filled(release, solution, {"cost_answer": HALF_DROPPED, "sigmoid_answer": E_PLUS_Z}),
            "2026-10-07 05:59:00.000000 UTC")
    hand_in("kim", "{ this is not a notebook")
    hand_in("odd", filled(release, solution, {"sigmoid_answer": ODD_SIGMOID, "cost_answer": SUM_NOT_MEAN}))
    hand_in("anon", filled(release, solution, {"cost_answer": SUM_NOT_MEAN}))
    hand_in(SCRIPT_STUDENT, release)
    nbformat.write(release, course / "submitted" / "anon" / ASSIGNMENT / "my_notes.ipynb")  # not graded
    result = nbcourse(course, "autograde")
    assert result.returncode == 0, result.stdout + result.stderr
    return course


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return lms_class(tmp_path_factory.mktemp("lms"))


def export(course: Path, fmt: str, to: str) -> tuple[list[list[str]], str]:
    result = nbcourse(course, "export", "--format", fmt, "--to", to)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(course / to, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle)), result.stderr


def by_first_column(header: list[str], rows: list[list[str]]) -> dict[str, dict[str, str]]:
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_canvas_has_its_columns_the_set_assignments_points_possible_and_a_total(course):
    rows, _ = export(course, "canvas", "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *SET, "Final Points"]
    assert rows[0][:5] == CANVAS_STUDENT_COLUMNS
    assert NOT_SET not in rows[0]
    maxima = {a: sum(points(a).values()) for a in SET}
    assert rows[1][0].strip() == "Points Possible"
    assert rows[1][5:] == [f"{maxima[a]:g}" for a in SET] + [f"{sum(maxima.values()):g}"]


def test_canvas_rows_carry_roster_names_ids_scores_and_totals(course):
    rows, stderr = export(course, "canvas", "canvas.csv")
    table = by_first_column(rows[0], rows[2:])  # the Points Possible row is not a student
    part = points(ASSIGNMENT)
    full = sum(part.values())
    zoe = table["de la Cruz-Núñez, Zoë Ånne"]  # accents and spaces round-trip, as "Last, First"
    assert zoe["ID"] == "1001"
    assert zoe[ASSIGNMENT] == f"{full - part['cost_test']:g}"
    assert zoe["01_training_recipe"] == ""  # not due yet: no grade, not 0
    assert zoe["Final Points"] == zoe[ASSIGNMENT]
    # late by 30 hours: 2 days at 10 %, taken off by nbgrader's late-penalty plugin (the schedule's policy)
    li = table["Wei Ming, Li"]
    raw = full - part["cost_test"] - part["sigmoid_test"]
    assert li[ASSIGNMENT] == f"{round(raw * 0.8, 2):g}"
    assert table["Ôtis, Gaspard"][ASSIGNMENT] == "0"  # on the roster, submitted nothing, and it is due
    # could not be graded / a part the grader could not compute: empty, never a silent 0, and no total
    for name in ("Park, Kim", "Dupré, Odile"):
        assert table[name][ASSIGNMENT] == "" and table[name]["Final Points"] == ""
    # not on the roster: still exported with what is known, and named in a warning
    assert table["anon"]["ID"] == "" and table["anon"][ASSIGNMENT] == f"{full - part['cost_test']:g}"
    assert "without an LMS id" in stderr and "anon" in stderr and SCRIPT_STUDENT in stderr
    assert "kim 02_forward_propagation: not graded: the submitted file is not a valid notebook" in stderr
    assert "odd 02_forward_propagation: graded, but some parts could not be graded" in stderr
    assert "li 02_forward_propagation: 30.0 h late" in stderr


def test_moodle_has_its_columns_and_leaves_out_who_it_cannot_match(course):
    rows, stderr = export(course, "moodle", "moodle.csv")
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", *SET, "Course total"]
    assert rows[0][:4] == MOODLE_STUDENT_COLUMNS
    table = {row[3]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(table) == {"zoe@example.org", "li@example.org", "kim@example.org", "ghost@example.org",
                          "odd@example.org"}
    zoe = table["zoe@example.org"]
    assert (zoe["First name"], zoe["Last name"], zoe["ID number"]) == ("Zoë Ånne", "de la Cruz-Núñez", "1001")
    assert zoe["Course total"] == zoe[ASSIGNMENT] != "-"
    assert zoe["01_training_recipe"] == "-"  # Moodle's "no grade"
    assert table["kim@example.org"][ASSIGNMENT] == "-" and table["kim@example.org"]["Course total"] == "-"
    assert table["ghost@example.org"][ASSIGNMENT] == "0"
    # Moodle stops an import at a row it cannot match: those are left out, and listed
    assert "left out" in stderr and "anon" in stderr and SCRIPT_STUDENT in stderr


def test_the_long_format_stays_with_a_status_saying_why(course):
    rows, _ = export(course, "long", "grades.csv")
    assert rows[0] == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                       "raw_score", "late_submission_penalty", "score", "max_score", "status"]
    table = {(r["assignment"], r["student_id"]): r for r in (dict(zip(rows[0], row, strict=True)) for row in rows[1:])}
    assert ("03_backpropagation", "zoe") in table  # every assignment in the gradebook, as before
    assert table[(ASSIGNMENT, "kim")]["status"].startswith("not graded: the submitted file is not a valid notebook")
    assert table[(ASSIGNMENT, "kim")]["score"] == "0.0"
    assert table[(ASSIGNMENT, "ghost")]["status"] == "not submitted"
    assert table[(ASSIGNMENT, "odd")]["status"].startswith("graded, but some parts could not be graded")
    assert "late by 30.0 h" in table[(ASSIGNMENT, "li")]["status"]
    assert table[(ASSIGNMENT, "zoe")]["last_name"] == "de la Cruz-Núñez"
    assert "skipped (not graded): my_notes.ipynb" in table[(ASSIGNMENT, "anon")]["status"]


def test_an_unknown_format_a_broken_schedule_or_an_unwritable_file_is_a_clear_error(course, tmp_path):
    result = nbcourse(course, "export", "--format", "xls")
    assert result.returncode == 2 and "invalid choice: 'xls'" in result.stderr
    (tmp_path / "a file").write_text("")
    result = nbcourse(course, "export", "--format", "moodle", "--to", str(tmp_path / "a file" / "grades.csv"))
    assert result.returncode == 1 and "a file is in the way of its folder" in result.stderr
    assert f"cannot write the grades to {tmp_path / 'a file' / 'grades.csv'}" in result.stderr
    assert "Traceback" not in result.stderr
    rows, _ = export(course, "moodle", "new folder/moodle.csv")  # a folder that is not there yet is made
    assert rows[0][:4] == MOODLE_STUDENT_COLUMNS
    schedule = (course / "schedule.toml").read_text()
    try:
        (course / "schedule.toml").write_text(schedule.replace(DUE, "next tuesday"))
        result = nbcourse(course, "export", "--format", "canvas", "--to", "broken.csv")
        assert result.returncode == 1 and "schedule.toml" in result.stderr and "nothing was exported" in result.stderr
        assert not (course / "broken.csv").exists()
    finally:
        (course / "schedule.toml").write_text(schedule)


def test_a_submission_collected_again_after_grading_and_a_newly_scheduled_assignment(course, tmp_path):
    """The gradebook's grade belongs to the copy it graded: a newer copy exports no grade until regraded. An
    assignment set in schedule.toml after the last release has its points and due date from the course."""
    import shutil

    copy = Path(shutil.copytree(course, tmp_path / "course", symlinks=True))
    notebook = copy / "submitted" / "zoe" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook.write_text(notebook.read_text() + "\n")  # her second upload, collected, not yet graded
    later = "04_gradient_descent"
    shutil.copytree(ROOT / "solutions" / later, copy / "solutions" / later)
    shutil.copy(ROOT / "hidden_tests" / f"{later}.py", copy / "hidden_tests")
    with open(copy / "schedule.toml", "a") as schedule:
        schedule.write(f'\n[assignments.{later}]\ndue = "2099-02-01T00:00:00+00:00"\n')
    rows, stderr = export(copy, "canvas", "canvas.csv")
    table = by_first_column(rows[0], rows[2:])
    zoe = table["de la Cruz-Núñez, Zoë Ånne"]
    assert zoe[ASSIGNMENT] == "" and zoe["Final Points"] == ""
    assert "zoe 02_forward_propagation: submitted again since it was graded: run nbcourse autograde" in stderr
    assert rows[1][rows[0].index(later)] == f"{sum(points(later).values()):g}"  # not 0: not released yet
    assert {row[later] for row in table.values()} == {""}  # not due yet: no grade, not 0


def test_the_moodle_file_keeps_only_the_rows_its_import_can_match(course, tmp_path):
    """Moodle matches on one field, the one mapped from: a row without it would stop the whole import."""
    import shutil

    copy = Path(shutil.copytree(course, tmp_path / "course", symlinks=True))
    (copy / "more.csv").write_text("student_id,first_name,last_name,email,lms_id\nnolms,Noa,Lim,noa@example.org,\n",
                                   encoding="utf-8")
    assert nbcourse(copy, "roster", "import", "more.csv").returncode == 0
    by_email, _ = export(copy, "moodle", "by-email.csv")
    assert "noa@example.org" in {row[3] for row in by_email[1:]}
    result = nbcourse(copy, "export", "--format", "moodle", "--moodle-key", "idnumber", "--to", "by-id.csv")
    assert result.returncode == 0, result.stderr
    with open(copy / "by-id.csv", newline="", encoding="utf-8-sig") as handle:
        by_id = list(csv.reader(handle))
    assert all(row[2] for row in by_id[1:]) and "noa@example.org" not in {row[3] for row in by_id[1:]}
    assert "no LMS id (Moodle ID number)" in result.stderr and "nolms" in result.stderr
