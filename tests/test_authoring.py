"""`python -m nbcourse new`: a new assignment is accepted by the whole checking machinery at once.

In a scratch copy of the course (its notebooks, hidden tests, book and test suite), `nbcourse new`
makes an assignment; then, through the real CLI, `nbcourse release` releases it, `nbcourse autograde`
grades its solution full marks (the preflight, in the sandbox) and its wrong answers 0 with their
mistakes named, and the course's own tests that iterate over assignments pass for it. A missing
wrong-answers file is one failing test that says what to write, not a collection error.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import filled, nbcourse, nbgrader_meta, notebook_path, submit

from nbcourse.authoring import (
    EXAMPLE_PART,
    NAME_RULE_TEXT,
    AuthoringError,
    MissingWrongAnswers,
    check_name,
    default_title,
    load_wrong_answers,
)
from nbcourse.trusted import cell_role

NAME = "15_my_quiz"  # the tests that do not follow the guide
RUFF = str(Path(sys.executable).with_name("ruff"))


def scratch_course(folder: Path, with_tests: bool = True) -> Path:
    """A copy of the course as an instructor's checkout holds it (nnlib and nbcourse linked, not copied)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("nbgrader_config.py", "pyproject.toml"):
        shutil.copy(ROOT / name, folder)
    for name in ("solutions", "hidden_tests", "exercises", "book"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns(".secret", "_build", "__pycache__"))
    if with_tests:
        shutil.copytree(ROOT / "tests", folder / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    for package in ("nnlib", "nbcourse"):  # ruff tells first-party imports by these folders
        (folder / package).symlink_to(ROOT / package)
    return folder


def pytest_in(course: Path, *args: str, exercises: str) -> subprocess.CompletedProcess:
    """The course's own test suite, run in ``course`` on the assignments ``exercises``, in one process."""
    return subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-p", "no:cacheprovider", "-q", "-rfE", *args],
                          cwd=course, capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "EXERCISES": exercises})


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and a digest of its content (symbolic links by their target)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(folder))] = f"-> {os.readlink(path)}"
        elif path.is_file() and "__pycache__" not in path.parts:
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            found[str(path.relative_to(folder)) + "/"] = ""
    return found


# ---- the scaffold, through the CLI, in a scratch course -------------------------------------------

def guide_commands() -> list[str]:
    """The commands of docs/authoring.md's "In five minutes", as written there."""
    block = re.search(r"## In five minutes\n\n```sh\n(.*?)```", (ROOT / "docs" / "authoring.md").read_text(), re.S)
    assert block, "docs/authoring.md has no command block under 'In five minutes'"
    return [line for line in block[1].splitlines() if line.strip()]


@pytest.mark.grading
@pytest.mark.slow
def test_a_new_assignment_passes_every_check_of_the_course(tmp_path):
    course = scratch_course(tmp_path / "course")
    (course / ".venv").symlink_to(ROOT / ".venv")  # the guide's commands call .venv/bin/python
    commands = guide_commands()
    name = re.match(r"\.venv/bin/python -m nbcourse new (\S+)", commands[0])[1]
    environment = {k: v for k, v in os.environ.items() if k != "EXERCISES"}
    outputs = []
    for command in commands:  # new, release, the fast and the full exercise tests, as the guide says
        run = subprocess.run(["bash", "-c", command], cwd=course, capture_output=True, text=True, timeout=3600,
                             env=environment)
        assert run.returncode == 0, f"{command}\n{run.stdout[-5000:]}\n{run.stderr[-3000:]}"
        outputs.append(run.stdout)
    written = [line.removeprefix("wrote ") for line in outputs[0].splitlines() if line.startswith("wrote ")]
    assert written == [f"solutions/{name}/{name}.ipynb", f"hidden_tests/{name}.py", f"tests/wrong_answers/{name}.py"]
    for command, output in zip(commands[2:], outputs[2:], strict=True):  # nothing failed, skipped or deselected
        assert re.search(r"^=* ?\d+ passed in ", output.strip().splitlines()[-1]), f"{command}\n{output[-3000:]}"
    collected = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--co",
                                "tests/test_exercises.py"], cwd=course, capture_output=True, text=True,
                               env={**environment, "EXERCISES": name}).stdout
    assert f"test_a_wrong_answer_loses_its_part_only[{name}-{EXAMPLE_PART}-" in collected, \
        "the full run graded the new assignment's wrong answers"
    lint = subprocess.run([RUFF, "check", f"hidden_tests/{name}.py", f"tests/wrong_answers/{name}.py"], cwd=course,
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    release = nbformat.read(notebook_path(course / "exercises", name), as_version=4)
    assert "raise NotImplementedError()" in release.cells[3].source and "BEGIN SOLUTION" not in str(release)

    # A class through the CLI: the solution, each wrong answer of the wrong-answers file, an untouched notebook.
    solution = nbformat.read(notebook_path(course / "solutions", name), as_version=4)
    wrong = {f"wrong{i}": code for i, (_, code) in enumerate(load_wrong_answers(course, name)[EXAMPLE_PART])}
    assert len(wrong) >= 2
    submit(course, "complete", name, filled(release, solution))
    submit(course, "untouched", name, release)
    for student, code in wrong.items():
        submit(course, student, name, filled(release, solution, {f"{EXAMPLE_PART}_answer": code}))
    graded = nbcourse(course, "autograde", name, "--workers", "2")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert f"preflight: the solution of {name} scores full marks in the sandbox" in graded.stdout
    exported = nbcourse(course, "export", "--to", "grades.csv")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    with open(course / "grades.csv") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle) if r["assignment"] == name}
    assert float(rows["complete"]["score"]) == float(rows["complete"]["max_score"]) == 2.0, rows["complete"]
    for student in ["untouched", *wrong]:
        assert float(rows[student]["score"]) == 0.0 and rows[student]["status"] == "graded", rows[student]
    named = {"wrong0": "it looks like the squared errors were summed instead of averaged",
             "wrong1": "it looks like the notes' cost 1/2 (Ya - Yp)^2 was used"}
    for student, mistake in named.items():
        notebook = nbformat.read(course / "autograded" / student / name / f"{name}.ipynb", as_version=4)
        verdict = next(c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == f"{EXAMPLE_PART}_test")
        text = " ".join(str(o.get("evalue", "")) for o in verdict.outputs)
        assert mistake in text and "See the chapter 'Loss functions', section 'Mean squared error" in text, text

    # The other tests that iterate over assignments.
    suite = pytest_in(course, "tests/test_feedback.py::test_every_section_a_hidden_test_names_is_in_the_book",
                      "tests/test_book.py::test_each_chapter_links_its_exercise",
                      "tests/test_repo.py::test_solution_and_exercise_notebooks_carry_no_outputs", exercises=name)
    assert suite.returncode == 0, suite.stdout[-5000:] + suite.stderr[-3000:]
    assert re.match(r"3 passed in ", suite.stdout.strip().splitlines()[-1]), suite.stdout


@pytest.mark.slow  # a pytest run of its own
def test_a_missing_wrong_answers_file_is_one_failing_test(tmp_path):
    """The suite used to fail to collect test_exercises.py; now one test fails and says what to write."""
    course = scratch_course(tmp_path / "course")
    assert nbcourse(course, "new", NAME).returncode == 0
    (course / "tests" / "wrong_answers" / f"{NAME}.py").unlink()
    result = pytest_in(course, "tests/test_hidden_tests.py", "tests/test_exercises.py", "-m", "not slow",
                       "-k", "wrong_answers", exercises=f"{NAME},02_forward_propagation")
    output = result.stdout
    assert result.returncode == 1, output + result.stderr  # tests failed; 2 would be a collection error
    assert "error" not in output.splitlines()[-1], output
    assert re.search(r"^1 failed, 1 passed", output.splitlines()[-1]), output
    assert f"FAILED tests/test_hidden_tests.py::test_every_part_has_two_wrong_answers[{NAME}]" in output
    assert f"tests/wrong_answers/{NAME}.py is missing: create it" in output
    assert f'"{EXAMPLE_PART}": [("what is wrong"' in output, "the message shows what goes in the file"


def test_the_missing_file_message_names_the_parts(tmp_path):
    course = scratch_course(tmp_path / "course", with_tests=False)
    with pytest.raises(MissingWrongAnswers, match=r"tests/wrong_answers/02_forward_propagation\.py is missing") as info:
        load_wrong_answers(course, "02_forward_propagation")
    for part in ("sigmoid", "derivative", "forward", "cost"):
        assert f'"{part}": [' in str(info.value)
    assert load_wrong_answers(ROOT, "02_forward_propagation")["cost"]  # an existing file loads as before


# ---- refusals: a bad or taken name changes nothing ------------------------------------------------

@pytest.mark.slow  # the real CLI in a subprocess: 3 s each
@pytest.mark.parametrize(("name", "why"), [
    ("My Quiz", "is not a valid assignment name"),
    ("02_forward_propagation", "exists already (solutions/02_forward_propagation, "
                               "hidden_tests/02_forward_propagation.py, tests/wrong_answers/02_forward_propagation.py, "
                               "exercises/02_forward_propagation)"),
    ("02_more_forward", "the number 02 belongs to the assignment 02_forward_propagation"),
    ("15_half_made", "exists already (hidden_tests/15_half_made.py)"),
])
def test_new_refuses_a_bad_or_taken_name_and_changes_nothing(tmp_path, name, why):
    course = scratch_course(tmp_path / "course")
    (course / "hidden_tests" / "15_half_made.py").write_text("PARTS = []\n")
    before = tree(course)
    result = nbcourse(course, "new", name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert why in result.stderr and "nothing was changed" in result.stderr, result.stderr
    assert tree(course) == before


@pytest.mark.slow  # the real CLI in a subprocess: 3 s each
def test_new_refuses_a_bad_title_and_changes_nothing(tmp_path):
    course = scratch_course(tmp_path / "course", with_tests=False)
    before = tree(course)
    result = nbcourse(course, "new", "quiz", "--title", 'A "quoted" title')
    assert result.returncode == 2 and "must be one line" in result.stderr, result.stderr
    assert tree(course) == before


@pytest.mark.slow  # the real CLI in a subprocess: 3 s each
def test_a_write_that_fails_half_way_leaves_nothing_behind(tmp_path):
    """tests/wrong_answers is a file here, so the third file cannot be written: the first two are removed."""
    course = tmp_path / "course"
    (course / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "tests" / "wrong_answers").write_text("not a folder\n")
    before = tree(course)
    result = nbcourse(course, "new", "quiz")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "could not write the assignment quiz" in result.stderr and "Traceback" not in result.stderr
    assert tree(course) == before


def test_the_name_rule(tmp_path):
    for good in ("15_my_quiz", "quiz", "a1_b2", "9", "x" * 60):
        check_name(tmp_path, good)
    for bad in ("My Quiz", "../escape", "a+b", "14-quiz", "quiz_", "a__b", "x.y", "Quiz", "", "x" * 61):
        with pytest.raises(AuthoringError, match="is not a valid assignment name"):
            check_name(tmp_path, bad)
    assert default_title("15_learning_rate_schedules") == "Learning rate schedules"
    assert default_title("quiz") == "Quiz"


# ---- the format: the scaffold is built as the course's assignments are ------------------------------

@pytest.mark.slow  # the real CLI in a subprocess: 3 s each
def test_the_scaffold_follows_the_course_format(tmp_path):
    """Cell by cell, the roles, metadata and fixed texts of solutions/01_training_recipe's cells."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    result = nbcourse(course, "new", "quiz", "--title", "A quiz")
    assert result.returncode == 0, result.stderr
    assert (course / "tests" / "wrong_answers" / "quiz.py").is_file()  # made, with its folders
    new = nbformat.read(notebook_path(course / "solutions", "quiz"), as_version=4)
    nbformat.validate(new)
    model = nbformat.read(notebook_path(ROOT / "solutions", "01_training_recipe"), as_version=4)
    assert (new.nbformat, new.nbformat_minor, new.metadata) == (model.nbformat, model.nbformat_minor, model.metadata)

    def shape(notebook):
        rows = []
        for cell in notebook.cells:
            meta = dict(nbgrader_meta(cell))
            grade_id = meta.pop("grade_id")
            kind = re.sub(r"^[a-z0-9]+_(text|answer|test|check)$", r"<part>_\1", grade_id)
            rows.append((cell.cell_type, cell.id == grade_id, kind, cell_role(cell), tuple(sorted(meta))))
        return rows

    model_shape = shape(model)
    one_part = model_shape[:2] + model_shape[2:6] + model_shape[-2:]  # intro, setup, one part, the self-check
    assert shape(new) == one_part
    graded = [c for c in new.cells if cell_role(c) == "test"]
    assert [nbgrader_meta(c)["grade_id"] for c in graded] == [f"{EXAMPLE_PART}_test"]
    assert graded[0].source == next(c.source for c in model.cells if cell_role(c) == "test")
    heading = next(c.source for c in new.cells if nbgrader_meta(c)["grade_id"] == f"{EXAMPLE_PART}_text")
    assert f"({nbgrader_meta(graded[0])['points']:g} points)" in heading.splitlines()[0]
    assert new.cells[0].source.startswith("# Exercise: A quiz\n")
    assert new.cells[-1].source == model.cells[-1].source.replace("01_training_recipe", "quiz")
    answer = next(c.source for c in new.cells if nbgrader_meta(c).get("solution"))
    assert "### BEGIN SOLUTION" in answer and "### END SOLUTION" in answer


@pytest.mark.slow  # the real CLI in a subprocess: 3 s each
def test_the_guide_shows_what_new_writes(tmp_path):
    """docs/authoring.md quotes the scaffold: its code and metadata must be what `new` writes."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    assert nbcourse(course, "new", "quiz").returncode == 0
    guide = (ROOT / "docs" / "authoring.md").read_text()
    written = "\n".join((course / path).read_text() for path in ("hidden_tests/quiz.py", "tests/wrong_answers/quiz.py"))
    quoted = [line for block in re.findall(r"```python\n(.*?)```", guide, re.S) for line in block.splitlines()
              if line.strip() and line.strip() != "..."]
    assert len(quoted) > 20
    assert [line for line in quoted if line not in written.splitlines()] == []
    notebook = nbformat.read(notebook_path(course / "solutions", "quiz"), as_version=4)
    metadata = {nbgrader_meta(c)["grade_id"]: dict(nbgrader_meta(c)) for c in notebook.cells}
    block = re.search(r"```json\n(.*?)```", guide, re.S)[1]
    for line in block.splitlines():
        shown = json.loads(line)
        assert shown == metadata[shown["grade_id"]]
    assert nbcourse(course, "new", "quiz").returncode == 2  # and the name rule quoted there is the one applied
    assert NAME_RULE_TEXT.split(",")[0].removeprefix("an assignment name is ") in " ".join(guide.split())
