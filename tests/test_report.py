"""The report an instructor reads first (nbcourse/report.py), through the real CLI, from a real autograde
of the small class of tests/test_export.py (`lms_class`): who did not submit, late and skipped work, a
part that scores 0 for everyone, the most frequent named mistakes, grades from older hidden tests."""

from __future__ import annotations

import base64
import re

import pytest
from exercise_tools import nbcourse
from test_export import ASSIGNMENT, NOT_SET, SCRIPT_STUDENT, lms_class

from nbcourse.report import gradebook_url, write_report

pytestmark = pytest.mark.grading
# The tests of `pages` share one pytest-xdist worker (make test: --dist loadgroup): one autograde.
REPORT = pytest.mark.xdist_group("report")
PARTS = ["sigmoid_test", "derivative_test", "forward_test", "cost_test"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The report as graded, and the report after the hidden tests changed (without regrading)."""
    course = lms_class(tmp_path_factory.mktemp("report"))
    result = nbcourse(course, "report")
    assert result.returncode == 0, result.stdout + result.stderr
    page = (course / "report.html").read_text(encoding="utf-8")
    assert (course / "grades.csv").is_file()
    with open(course / "hidden_tests" / f"{ASSIGNMENT}.py", "a") as module:
        module.write("\n# a changed hidden test\n")
    result = nbcourse(course, "report", "--to", "after-change.html", "--csv", "after-change.csv")
    assert result.returncode == 0, result.stdout + result.stderr
    return page, (course / "after-change.html").read_text(encoding="utf-8")


def section(page: str, title: str) -> str:
    """The HTML from the <h2> or <h3> titled ``title`` to the next heading of either level."""
    return re.split(r"<h[23]>", page.split(f">{title}</h")[1], maxsplit=1)[0]


def row(html: str, *cells: str) -> bool:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" in html


@REPORT
def test_the_student_table_marks_each_result(pages):
    table = section(pages[0], "Students")
    assert "<td>zoe</td><td>Zoë Ånne de la Cruz-Núñez</td>" in table
    assert ('<td>ghost</td><td>Gaspard Ôtis</td><td><span class="not-due-yet">not due yet</span></td>'
            '<td><span class="not-submitted">not submitted</span></td><td>0</td>') in table
    assert '<span class="not-graded">not graded</span>' in table.split("<td>kim</td>")[1].split("</tr>")[0]
    assert '<span class="late">late 30.0 h</span>' in table.split("<td>li</td>")[1].split("</tr>")[0]
    assert "(not on the roster)" in table.split("<td>anon</td>")[1].split("</tr>")[0]


@REPORT
def test_non_submitters_are_named(pages):
    absent = section(pages[0], "Did not submit")
    assert row(absent, ASSIGNMENT, "1", "Gaspard Ôtis (ghost)")


@REPORT
def test_late_and_skipped_work_is_listed(pages):
    late = section(pages[0], "Late submissions")
    assert row(late, ASSIGNMENT, "Li Wei Ming (li)", "2026-10-07 05:59:00", "30.0 h", "1")
    skipped = section(pages[0], "Files grading skipped")
    assert row(skipped, ASSIGNMENT, "anon", "my_notes.ipynb")


@REPORT
def test_a_part_that_scores_zero_for_everyone_is_flagged(pages):
    attention = section(pages[0], "Needs your attention")
    flagged = re.findall(r"part <code>(\w+)</code>: 0 for everyone who submitted", attention)
    assert flagged == ["cost_test"]  # not sigmoid_test, which one student passed
    assert "part <code>cost_test</code> scores 0 for everyone" in section(pages[0], ASSIGNMENT).replace("Part", "part")


@REPORT
def test_the_most_frequent_mistakes_of_each_part_are_named(pages):
    mistakes = section(pages[0], f"Most frequent mistakes in {ASSIGNMENT}")
    cost = re.findall(r"<tr><td>cost_test</td><td>(.*?)</td><td>(\d+)</td></tr>", mistakes)
    assert sorted(cost) == sorted([
        ("the sum over samples was taken instead of the mean", "2"),
        ("the factor 1/2 was dropped: that is Keras&#x27;s mean squared error, not the notes&#x27; Cf", "2"),
        ("<em>other (no known mistake matched; read their feedback)</em>", "1")])  # the untouched notebook
    # a part the grader could not compute (odd's sigmoid_test) is not counted as the student's mistake
    assert row(mistakes, "sigmoid_test", "e^z was used where e^-z belongs: that is sigmoid(-z) = 1 - sigmoid(z)", "1")
    assert row(mistakes, "sigmoid_test", "<em>other (no known mistake matched; read their feedback)</em>", "1")


@REPORT
def test_only_set_assignments_have_sections_and_one_plot_each_with_submissions(pages):
    assert NOT_SET not in pages[0]
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', pages[0])
    assert len(images) == 1  # 01_training_recipe is set but has no submissions yet
    assert base64.b64decode(images[0]).startswith(b"\x89PNG\r\n\x1a\n")
    for part in PARTS:
        assert f"<td>{part}</td>" in section(pages[0], ASSIGNMENT)


@REPORT
def test_failed_submissions_and_ungraded_parts_are_listed_with_reasons(pages):
    failed = section(pages[0], "Submissions that could not be graded")
    assert re.search(r"<td>kim</td><td>the submitted file is not a valid notebook[^<]*</td>", failed)
    ungraded = section(pages[0], "Parts whose grade could not be computed")
    assert re.search(r"<td>odd</td><td>sigmoid_test: This part could not be graded[^<]*"
                     r"RuntimeError: a bug in the hidden test", ungraded)


@REPORT
def test_grades_from_older_hidden_tests_are_flagged(pages):
    before, after = pages
    assert "<p>None.</p>" in section(before, "Graded against older hidden tests")
    stale = section(after, "Graded against older hidden tests")
    for student in ("zoe", "li", "odd", "anon"):
        assert f"({student})</td>" in stale or f"<td>{student}</td>" in stale
    assert "graded against older hidden tests than the current ones" in section(after, "Needs your attention")


@REPORT
def test_student_text_is_escaped_and_nothing_is_loaded_from_the_network(pages):
    assert "x&lt;script&gt;" in pages[0] and SCRIPT_STUDENT not in pages[0]
    assert "<script" not in pages[0]
    assert not re.search(r"https?://", pages[0]), "the page must not load anything from the network"
    assert re.search(r"Made \d{4}-\d{2}-\d{2} \d{2}:\d{2}", pages[0])
    assert re.search(r"the gradebook sqlite:////\S+/gradebook\.db", pages[0])


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
