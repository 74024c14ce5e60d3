"""Incremental grading through the real CLI: ``nbcourse autograde`` grades what is new or changed (by
content), what was graded against older hidden tests, and what failed for a reason outside the
student's control; everything else is skipped and counted. ``--force`` grades everything. A second
notebook in a submission folder is listed in the status, the output, the grades and the feedback.

The tests share one scratch class and run in order, each leaving it fully graded.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import time

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path, submit

pytestmark = [pytest.mark.grading, pytest.mark.slow, pytest.mark.xdist_group("incremental-class")]
ASSIGNMENT = "02_forward_propagation"
STUDENTS = ["alice", "bob", "carol"]
ENV = {"NNCOURSE_TIMEOUT": "15", "NNCOURSE_MEMORY_MB": "1500"}
COPY = f"{ASSIGNMENT}-1.ipynb"  # what an LMS names a second upload


def run(course, *args):
    result = nbcourse(course, *args, env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def graded_in(output: str) -> set[str]:
    """The students the output says were graded just now."""
    return set(re.findall(rf"^{ASSIGNMENT} (\w+): ", output, re.M))


def status_file(course, student):
    return course / "grading" / ASSIGNMENT / f"{student}.json"


def snapshot(course) -> dict[str, tuple[int, float]]:
    """Each status file's mtime and the seconds its grading took: both change when it is graded again."""
    return {s: (status_file(course, s).stat().st_mtime_ns, json.loads(status_file(course, s).read_text())["seconds"])
            for s in STUDENTS}


def regraded(before, after) -> set[str]:
    return {s for s in STUDENTS if before[s][0] != after[s][0]}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("incremental"), [ASSIGNMENT])
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(course / "solutions", ASSIGNMENT), as_version=4)
    for student in STUDENTS:
        submit(course, student, ASSIGNMENT, filled(release, solution))
    # carol uploaded twice: the LMS kept both files
    submit(course, "carol", ASSIGNMENT, filled(release, solution, {"cost_answer": "cost = None\n"}), name=COPY)
    output = run(course, "autograde", "--workers", "2")
    assert graded_in(output) == set(STUDENTS), output
    return course, release, solution


def test_one_resubmission_grades_only_that_submission(course):
    course, release, solution = course
    before = snapshot(course)
    # bob resubmits (new content); alice's files are rewritten with the same content (new timestamps only)
    submit(course, "bob", ASSIGNMENT, filled(release, solution, {"cost_answer": "cost = None\n"}))
    for path in (course / "submitted" / "alice" / ASSIGNMENT).iterdir():
        path.write_bytes(path.read_bytes())
        os.utime(path, (time.time() + 60, time.time() + 60))
    output = run(course, "autograde", "--workers", "2")
    assert "2 unchanged, skipped; --force regrades them" in output
    assert "grading 1 submission(s) (1 changed since they were graded)" in output
    assert graded_in(output) == {"bob"}
    assert regraded(before, snapshot(course)) == {"bob"}
    assert "nothing new to grade" in run(course, "autograde")


def test_new_hidden_tests_regrade_and_say_why(course):
    course, _, _ = course
    before = snapshot(course)
    tests = course / "hidden_tests" / f"{ASSIGNMENT}.py"
    tests.write_text(tests.read_text() + "\n# a clarified check\n")
    output = run(course, "autograde", "--workers", "2")
    assert "grading 3 submission(s) (3 graded against older hidden tests" in output
    assert graded_in(output) == set(STUDENTS)
    assert regraded(before, snapshot(course)) == set(STUDENTS)


def test_force_regrades_everything(course):
    course, _, _ = course
    before = snapshot(course)
    output = run(course, "autograde", "--force", "--workers", "2")
    assert "grading 3 submission(s) (3 --force)" in output
    assert regraded(before, snapshot(course)) == set(STUDENTS)


def test_failures_outside_the_students_control_and_old_records_are_graded_again(course):
    course, _, _ = course
    # alice's record predates the content hash; carol's grading died with its worker
    record = json.loads(status_file(course, "alice").read_text())
    del record["submission"]
    status_file(course, "alice").write_text(json.dumps(record))
    record = json.loads(status_file(course, "carol").read_text())
    record.update(graded=False, retry=False, reason="grading this submission stopped the grader's own process "
                  "(too much output or memory?); it was not graded")
    status_file(course, "carol").write_text(json.dumps(record))
    before = snapshot(course)
    output = run(course, "autograde", "--workers", "2")
    assert "1 unchanged, skipped" in output
    assert "1 changed since they were graded" in output
    assert "1 failed last time for a reason outside the student's control" in output
    assert regraded(before, snapshot(course)) == {"alice", "carol"}
    assert json.loads(status_file(course, "carol").read_text())["graded"] is True


def test_a_lost_grade_is_graded_again(course):
    course, _, _ = course
    before = snapshot(course)
    shutil.rmtree(course / "autograded" / "alice" / ASSIGNMENT)
    output = run(course, "autograde")
    assert "1 missing from the gradebook or from autograded/" in output
    assert regraded(before, snapshot(course)) == {"alice"}


def test_a_second_notebook_is_said_everywhere(course):
    course, _, _ = course
    status = json.loads(status_file(course, "carol").read_text())
    assert status["graded"] and status["skipped_files"] == [COPY]
    assert json.loads(status_file(course, "bob").read_text())["skipped_files"] == []
    output = run(course, "autograde", "--student", "carol", "--force")
    assert f"carol: graded; skipped (not graded): {COPY}" in output
    assert "1 submission(s) hold notebooks that were not graded" in output
    run(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert COPY in rows["carol"]["status"] and COPY not in rows["bob"]["status"]
    run(course, "feedback")
    page = (course / "feedback" / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert COPY in page and "Not graded" in page
    assert COPY not in (course / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def test_feedback_per_student_and_silent_about_assignments_without_submissions(course):
    course, _, _ = course
    shutil.copytree(ROOT / "solutions" / "01_training_recipe", course / "solutions" / "01_training_recipe")
    shutil.rmtree(course / "feedback")
    output = run(course, "feedback", ASSIGNMENT, "--student", "bob")
    assert (course / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert not (course / "feedback" / "alice").exists() and not (course / "feedback" / "carol").exists()
    assert "1 submission(s)" in output
    output = run(course, "feedback")
    assert "01_training_recipe" not in output
    assert (course / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert "nothing to do" in run(course, "feedback", "01_training_recipe")


@pytest.mark.parametrize("target, expected", [
    ("exercises", f"-m nbcourse release {ASSIGNMENT} --force"),
    ("autograde", f"-m nbcourse autograde {ASSIGNMENT} --student alice --student bob --force"),
    ("feedback", f"-m nbcourse feedback {ASSIGNMENT} --student alice --student bob"),
])
def test_the_makefile_passes_assignment_and_student_through(target, expected):
    # Under `make test` this make is a sub-make: without the outer one's variables it prints no "Entering directory".
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(["make", "-n", target, f"ASSIGNMENT={ASSIGNMENT}", "STUDENT=alice bob", "FORCE=1",
                             "READY="], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    commands = [line.split("python ", 1)[1].strip() for line in result.stdout.splitlines() if "-m nbcourse" in line]
    assert commands == [expected], result.stdout
