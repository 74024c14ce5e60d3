"""Helpers for the exercise tests: build submissions, run nbgrader in a scratch course, read grades."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from conftest import ROOT
from nbgrader.utils import determine_grade

from nbcourse.authoring import load_wrong_answers
from nbcourse.preprocessors import is_test_cell
from nbcourse.trusted import grade_notebook

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)


def assignment_names() -> list[str]:
    """Every assignment in solutions/, or those named in $EXERCISES (comma-separated) for a quick run."""
    names = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))
    wanted = [n for n in os.environ.get("EXERCISES", "").split(",") if n]
    return [n for n in names if n in wanted] if wanted else names


def notebook_path(folder: Path, assignment: str) -> Path:
    return folder / assignment / f"{assignment}.ipynb"


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answers_of(solution) -> dict[str, str]:
    """Each answer cell's code as a student would type it: the solution without its markers."""
    return {nbgrader_meta(c)["grade_id"]: SOLUTION_MARKERS.sub("", c.source)
            for c in solution.cells if nbgrader_meta(c).get("solution")}


def filled(release, solution, overrides: dict[str, str] | None = None):
    """The released notebook with every answer cell filled in (from the solution, or ``overrides``)."""
    answers = {**answers_of(solution), **(overrides or {})}
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution"):
            cell.source = answers[grade_id]
    return notebook


def with_answer(solution, grade_id: str, code: str):
    """The source notebook with one answer replaced."""
    notebook = nbformat.from_dict(solution)
    cells = [c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == grade_id]
    assert len(cells) == 1, f"no answer cell {grade_id!r}"
    cells[0].source = code
    return notebook


def grade_parts(notebook, assignment: str, student: str = "tester") -> dict[str, tuple[float, float, str]]:
    """Grade a notebook with the trusted grader, in the sandbox, as autograde does (without nbgrader's
    gradebook): {test cell grade_id: (score, max, verdict)}, scored by nbgrader's own rule."""
    _, graded = grade_notebook(ROOT, assignment, nbformat.from_dict(notebook), student)
    scores = {}
    for cell in graded.cells:
        if is_test_cell(cell):
            score, most = determine_grade(cell)
            text = "".join(o.get("text", "") or o.get("evalue", "") for o in cell.outputs)
            scores[nbgrader_meta(cell)["grade_id"]] = (score, most, text)
    return scores


def wrong_answers(assignment: str) -> dict[str, list[tuple[str, str]]]:
    """tests/wrong_answers/<assignment>.py: {part: [(what is wrong, code), ...]}; a missing file raises
    nbcourse.authoring.MissingWrongAnswers, whose message says what to write there."""
    return load_wrong_answers(ROOT, assignment)


def make_course(folder: Path, names: list[str] | None = None) -> Path:
    """A scratch course directory: the real config, the named solutions and their hidden tests;
    exercises/ regenerated there."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    (folder / "hidden_tests").mkdir(exist_ok=True)
    for name in names or assignment_names():
        shutil.copytree(ROOT / "solutions" / name, folder / "solutions" / name)
        shutil.copy(ROOT / "hidden_tests" / f"{name}.py", folder / "hidden_tests")
    result = nbcourse(folder, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


def nbcourse(course: Path, *args: str, env: dict | None = None, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbcourse", *args], cwd=course, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def submit(course: Path, student: str, assignment: str, notebook, name: str | None = None) -> Path:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{assignment}.ipynb")
    if isinstance(notebook, str):
        path.write_text(notebook)
    else:
        nbformat.write(notebook, path)
    return path
