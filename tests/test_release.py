"""A release that fails changes nothing, through the real CLI.

nbgrader refuses to add or remove a cell of an assignment with submissions in the gradebook. Then
``nbcourse release`` leaves ``exercises/<name>/`` and the gradebook as they were, releases the other
assignments, says what to do, and ``nbcourse autograde`` grades the other assignments. ``release``
releases only what changed (``--force``: everything). The same refusal on PostgreSQL, where the dry
run works on a copy of the assignment's record made through nbgrader's API.
"""

from __future__ import annotations

import hashlib
import json

import nbformat
import postgres
import pytest
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path, submit

pytestmark = [pytest.mark.grading, pytest.mark.slow, pytest.mark.xdist_group("release-class")]
REFUSED, OTHER = "02_forward_propagation", "01_training_recipe"
ENV = {"NNCOURSE_TIMEOUT": "15", "NNCOURSE_MEMORY_MB": "1500"}


def add_cell(course, name):
    """What the instructor of the issue did: a new answer cell in an assignment with submissions."""
    path = notebook_path(course / "solutions", name)
    notebook = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nextra = 1\n### END SOLUTION\n")
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "extra_answer",
                                 "schema_version": 3}
    notebook.cells.append(cell)
    nbformat.write(notebook, path)


def reword(course, name, text=" (revised)"):
    """A change nbgrader allows: the text of a markdown cell."""
    path = notebook_path(course / "solutions", name)
    notebook = nbformat.read(path, as_version=4)
    next(c for c in notebook.cells if c.cell_type == "markdown").source += text
    nbformat.write(notebook, path)


def tree(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def gradebook_state(url, name):
    """The assignment's cells (names, sources, points) and submissions as the gradebook holds them."""
    from nbgrader.api import Gradebook

    with Gradebook(url, course_id="") as gradebook:
        assignment = gradebook.find_assignment(name)
        cells = sorted((nb.name, kind, c.name, str(getattr(c, "source", "")), str(getattr(c, "max_score", "")))
                       for nb in assignment.notebooks
                       for kind, group in (("grade", nb.grade_cells), ("solution", nb.solution_cells),
                                           ("task", nb.task_cells), ("source", nb.source_cells))
                       for c in group)
        return cells, len(assignment.submissions)


def sqlite_url(course):
    return f"sqlite:///{course / 'gradebook.db'}"


def submit_solutions(course, student, names, overrides=None):
    for name in names:
        release = nbformat.read(notebook_path(course / "exercises", name), as_version=4)
        solution = nbformat.read(notebook_path(course / "solutions", name), as_version=4)
        submit(course, student, name, filled(release, solution, overrides and overrides.get(name)))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("release"), [REFUSED, OTHER])
    submit_solutions(course, "ann", [REFUSED, OTHER])
    result = nbcourse(course, "autograde", "--workers", "2", env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    return course


def test_a_refused_release_changes_nothing_and_the_others_are_released(course):
    exercises, gradebook = tree(course / "exercises" / REFUSED), gradebook_state(sqlite_url(course), REFUSED)
    add_cell(course, REFUSED)
    reword(course, OTHER)
    result = nbcourse(course, "release")
    assert result.returncode == 1
    assert f"{REFUSED}: FAILED" in result.stdout and f"{OTHER}: released" in result.stdout
    assert "1 released, 0 unchanged since their last release, 1 FAILED" in result.stdout
    assert "nbgrader refuses to add or remove a cell" in result.stderr
    assert f"({REFUSED} has 1)" in result.stderr and f"nbgrader db assignment remove {REFUSED} --force" in result.stderr
    assert tree(course / "exercises" / REFUSED) == exercises
    assert gradebook_state(sqlite_url(course), REFUSED) == gradebook
    released = nbformat.read(notebook_path(course / "exercises", OTHER), as_version=4)
    assert any("(revised)" in c.source for c in released.cells if c.cell_type == "markdown")
    assert not list((course / "grading").glob(".release-*"))  # the scratch course is gone


def test_autograde_grades_the_other_assignments_when_a_release_fails(course):
    status = {name: course / "grading" / name / "ann.json" for name in (REFUSED, OTHER)}
    before = {name: path.stat().st_mtime_ns for name, path in status.items()}
    wrong = "def cost(Ya, Yp):\n    return 0.0\n"
    submit_solutions(course, "ann", [REFUSED], {REFUSED: {"cost_answer": wrong}})  # a resubmission of each
    (course / "submitted" / "ann" / OTHER / "timestamp.txt").write_text("2026-12-01 09:00:00\n")
    result = nbcourse(course, "autograde", "--workers", "2", env=ENV)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{OTHER} ann: graded" in result.stdout
    assert f"{REFUSED}: 1 submission(s) NOT GRADED, because solutions/{REFUSED}/ changed and could not be released" \
        in result.stderr
    assert "nbgrader refuses" in result.stderr
    assert status[OTHER].stat().st_mtime_ns != before[OTHER]
    assert status[REFUSED].stat().st_mtime_ns == before[REFUSED]
    assert json.loads(status[REFUSED].read_text())["graded"] is True


def test_release_releases_only_what_changed(course):
    result = nbcourse(course, "release", OTHER)
    assert result.returncode == 0 and "0 released, 1 unchanged since their last release (--force" in result.stdout
    result = nbcourse(course, "release", OTHER, "--force")
    assert result.returncode == 0 and f"{OTHER}: released" in result.stdout
    # undoing the added cell makes the source what was released: nothing to release, and its grading goes on
    (notebook_path(course / "solutions", REFUSED)).write_bytes(notebook_path(ROOT / "solutions", REFUSED).read_bytes())
    result = nbcourse(course, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 released, 2 unchanged" in result.stdout
    result = nbcourse(course, "autograde", env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{REFUSED} ann: graded" in result.stdout and "1 unchanged, skipped" in result.stdout


# (nbgrader's add_submission makes SQLAlchemy warn; the suite turns RuntimeWarnings into errors)
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_a_refused_release_on_postgresql_changes_nothing(postgres_server, tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    url = postgres.create_database(postgres_server, "refused_release")
    monkeypatch.setenv("NNCOURSE_DB_URL", url)
    course = make_course(tmp_path / "course", [REFUSED])
    with Gradebook(url, course_id="") as gradebook:  # a submission, as autograde records it
        gradebook.add_student("ann")
        gradebook.add_submission(REFUSED, "ann")
    exercises, gradebook = tree(course / "exercises" / REFUSED), gradebook_state(url, REFUSED)
    add_cell(course, REFUSED)
    result = nbcourse(course, "release")
    assert result.returncode == 1 and f"({REFUSED} has 1)" in result.stderr, result.stdout + result.stderr
    assert tree(course / "exercises" / REFUSED) == exercises
    assert gradebook_state(url, REFUSED) == gradebook
    # a change nbgrader allows is released into PostgreSQL
    (notebook_path(course / "solutions", REFUSED)).write_bytes(notebook_path(ROOT / "solutions", REFUSED).read_bytes())
    reword(course, REFUSED)
    result = nbcourse(course, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    cells, submissions = gradebook_state(url, REFUSED)
    assert submissions == 1 and any("(revised)" in source for *_, source, _ in cells)
