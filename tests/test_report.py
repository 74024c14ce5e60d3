"""The instructor's grading summary (nbcourse/report.py), from a real autograde of a small class."""

from __future__ import annotations

import base64
import re

import matplotlib.pyplot as plt
import nbformat
import pytest
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path, submit

from nbcourse.report import gradebook_url, write_report

pytestmark = pytest.mark.grading
# The tests of `page` share one pytest-xdist worker (make test: --dist loadgroup): one autograde.
REPORT = pytest.mark.xdist_group("report")
ASSIGNMENT = "02_forward_propagation"
PARTS = ["sigmoid_test", "derivative_test", "forward_test", "cost_test"]
SCRIPT_STUDENT = "x<script>"  # a student id a browser would run if the page did not escape it
BROKEN_FOR_ONE_ANSWER = """

def _breaks_on_one_answer(check):
    def broken(student, rng):
        if student.function("sigmoid")(np.array([123.0])) == -1.0:
            raise RuntimeError("a bug in the hidden test")
        return check(student, rng)
    return broken


PARTS[0] = Part(PARTS[0].grade_id, _breaks_on_one_answer(PARTS[0].check), PARTS[0].seconds)
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("report"), [ASSIGNMENT])
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    submit(course, "complete", ASSIGNMENT, filled(release, solution))  # 9 of 9
    submit(course, "untouched", ASSIGNMENT, release)  # 0
    submit(course, "not_json", ASSIGNMENT, "{ this is not a notebook")  # not graded: 0
    # A hidden test that fails on one student's answer (a grader bug): that part scores 0 and says why.
    with open(course / "hidden_tests" / f"{ASSIGNMENT}.py", "a") as module:
        module.write(BROKEN_FOR_ONE_ANSWER)
    sigmoid = "def sigmoid(z):\n    if np.all(z == 123.0):\n        return -1.0\n    return 1 / (1 + np.exp(-z))\n"
    submit(course, SCRIPT_STUDENT, ASSIGNMENT, filled(release, solution, {"sigmoid_answer": sigmoid}))
    result = nbcourse(course, "autograde")
    assert result.returncode == 0, result.stdout + result.stderr

    path = write_report(course)
    assert path == course / "report.html" and path.is_file()
    assert plt.get_fignums() == [], "the report left matplotlib figures open"
    return path.read_text()


@REPORT
def test_one_embedded_plot_per_assignment(page):
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 1
    assert base64.b64decode(images[0]).startswith(b"\x89PNG\r\n\x1a\n")


@REPORT
def test_every_part_is_named(page):
    for part in PARTS:
        assert f"<td>{part}</td>" in page


@REPORT
def test_counts_and_mean(page):
    # submissions, graded, not graded, mean (9 + 0 + 0 + 7) / 4, highest, max
    assert "<td>4</td><td>3</td><td>1</td><td>4.00</td><td>9</td><td>9</td>" in page
    # sigmoid_test: max 2, mean 2/4, one full mark, three zeros
    assert "<td>sigmoid_test</td><td>2</td><td>0.50</td><td>1</td><td>3</td>" in page


@REPORT
def test_failed_submissions_and_ungraded_parts_are_listed_with_reasons(page):
    failed = page.split("could not be graded</h2>")[1].split("<h2>")[0]
    assert re.search(r"<td>not_json</td><td>the submitted file is not a valid notebook[^<]*</td>", failed)
    assert "complete" not in failed and "untouched" not in failed
    ungraded = page.split("could not be computed</h2>")[1]
    assert re.search(r"<td>x&lt;script&gt;</td><td>sigmoid_test: This part could not be graded[^<]*"
                     r"RuntimeError: a bug in the hidden test", ungraded)


@REPORT
def test_student_text_is_escaped(page):
    assert "&lt;script&gt;" in page
    assert "<script" not in page


@REPORT
def test_self_contained_with_a_date_and_the_gradebook(page):
    assert not re.search(r"https?://", page), "the page must not load anything from the network"
    assert re.search(r"Made \d{4}-\d{2}-\d{2} \d{2}:\d{2}", page)
    assert re.search(r"the gradebook sqlite:////\S+/gradebook\.db", page)


def test_the_gradebook_url_is_found_as_nbgrader_config_sets_it(tmp_path, monkeypatch):
    monkeypatch.delenv("NNCOURSE_DB_URL", raising=False)
    assert gradebook_url(tmp_path).database == str(tmp_path.resolve() / "gradebook.db")
    monkeypatch.setenv("NNCOURSE_DB_URL", "postgresql://teacher:s3cret@db.example.org/course")
    shown = gradebook_url(tmp_path).render_as_string(hide_password=True)
    assert shown == "postgresql://teacher:***@db.example.org/course"


def test_no_gradebook_is_an_error_not_a_new_empty_gradebook(tmp_path, monkeypatch):
    monkeypatch.delenv("NNCOURSE_DB_URL", raising=False)
    with pytest.raises(SystemExit, match="no gradebook"):
        write_report(tmp_path)
    assert not (tmp_path / "gradebook.db").exists() and not (tmp_path / "report.html").exists()
