"""The gradebook on a real PostgreSQL server: the awkward class of test_grading.py graded end to end,
and two graders that share nothing but the database, each taking a slice of the students, as two
machines would."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys

import nbformat
import postgres
import pytest
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path, submit
from test_grading import ASSIGNMENT, ENV, FULL, check_class, class_of_students, grade

from nbcourse.cli import in_slice

pytestmark = pytest.mark.grading


def test_the_awkward_class_on_postgresql(postgres_server, tmp_path):
    url = postgres.create_database(postgres_server, "awkward_class")
    course = make_course(tmp_path / "class", [ASSIGNMENT])
    expected = class_of_students(course)
    grade(course, env={"NNCOURSE_DB_URL": url})
    assert not (course / "gradebook.db").exists() or _only_release_in_sqlite(course)
    check_class(course, expected)


def _only_release_in_sqlite(course) -> bool:
    """make_course's release used the default SQLite gradebook; grading must not have."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="") as gradebook:
        return not any(a.submissions for a in gradebook.assignments)


def test_two_machines_share_one_gradebook(postgres_server, tmp_path):
    url = postgres.create_database(postgres_server, "two_machines")
    first = make_course(tmp_path / "first", [ASSIGNMENT])
    release = nbformat.read(notebook_path(first / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    expected = {}
    for number in range(8):
        student = f"student{number}"
        if number % 4 == 3:
            submit(first, student, ASSIGNMENT, "not a notebook")
            expected[student] = 0.0
        elif number % 4 == 2:
            submit(first, student, ASSIGNMENT, filled(release, solution, {"cost_answer": "cost = None\n"}))
            expected[student] = FULL - 2.0
        else:
            submit(first, student, ASSIGNMENT, filled(release, solution))
            expected[student] = FULL
    second = tmp_path / "second"
    shutil.copytree(first, second)  # the second machine: its own copy of the course and submissions
    assert {in_slice(s, (1, 2)) for s in expected} == {True, False}, "both slices must have students"

    env = {"NNCOURSE_DB_URL": url, **ENV}
    machines = [subprocess.Popen([sys.executable, "-m", "nbcourse", "autograde", "--slice", f"{k}/2", "--workers", "1"],
                                 cwd=course, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
                for k, course in ((1, first), (2, second))]
    for machine in machines:
        output, _ = machine.communicate(timeout=900)
        assert machine.returncode == 0, output

    graded = [{p.name for p in (course / "autograded").iterdir()} for course in (first, second)]
    assert not graded[0] & graded[1], "a student was graded on both machines"
    for status in (second / "grading" / ASSIGNMENT).glob("*.json"):  # gather the second machine's records
        shutil.copy(status, first / "grading" / ASSIGNMENT)
    result = nbcourse(first, "report", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(first / "grades.csv") as handle:
        scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    assert scores == expected
    assert "student3" in (first / "report.html").read_text()
