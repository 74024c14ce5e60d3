"""Writing a new assignment: ``python -m nbcourse new NAME`` and the format it follows.

An assignment ``NAME`` is three files (docs/authoring.md explains each):

    solutions/NAME/NAME.ipynb     the nbgrader source notebook: the statement, the solution, the graded cells
    hidden_tests/NAME.py          each graded part's check, run by the trusted grader (nbcourse/trusted.py)
    tests/wrong_answers/NAME.py   plausible wrong answers per part, which the suite checks lose their points

:func:`create` writes all three with one worked example part in the course's exact format, so that
right after it the solution scores full marks, the wrong answers lose their part, ``nbcourse release
NAME`` works and the tests that iterate over assignments pass. The instructor then edits the example.

:func:`load_wrong_answers` is how the test suite reads ``tests/wrong_answers/NAME.py``: a missing file
is a :class:`MissingWrongAnswers` whose message says which file to create and what goes in it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

# An assignment's name is a folder, a notebook, a Python module's file name, part of a pytest id and
# nbgrader's assignment id: lowercase letters and digits in words joined by single underscores keeps it
# safe in all of them (no "+", which nbgrader refuses; no spaces, dots, dashes or slashes).
NAME_RULE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
NAME_LIMIT = 60
TITLE_LIMIT = 80
NAME_RULE_TEXT = ("an assignment name is lowercase letters and digits in words joined by single underscores, "
                  f"at most {NAME_LIMIT} characters (e.g. 14_learning_rate_schedules)")

EXAMPLE_PART = "mse"          # the scaffold's one part: <part>_text, _answer, _test, _check
EXAMPLE_POINTS = 2
EXAMPLE_CHAPTER = "Loss functions"
EXAMPLE_HINT = "See the chapter 'Loss functions', section 'Mean squared error, for regression'."


class AuthoringError(ValueError):
    """A request ``nbcourse new`` refuses; the message says why and what to do."""


class MissingWrongAnswers(LookupError):
    """tests/wrong_answers/<assignment>.py does not exist; the message says what to create."""


# ---- names -------------------------------------------------------------------------------------

def targets(root: Path, name: str) -> dict[str, Path]:
    """The files (and the release folder) an assignment ``name`` occupies in the course ``root``."""
    return {"solution": root / "solutions" / name / f"{name}.ipynb",
            "hidden tests": root / "hidden_tests" / f"{name}.py",
            "wrong answers": wrong_answers_path(root, name),
            "release": root / "exercises" / name}


def check_name(root: Path, name: str) -> None:
    """Raise :class:`AuthoringError` unless ``name`` is a valid, unused assignment name in ``root``."""
    if len(name) > NAME_LIMIT or not NAME_RULE.fullmatch(name):
        raise AuthoringError(f"{name!r} is not a valid assignment name: {NAME_RULE_TEXT}; nothing was changed")
    paths = targets(root, name)
    occupied = [paths["solution"].parent, paths["hidden tests"], paths["wrong answers"], paths["release"]]
    taken = [str(path.relative_to(root)) for path in occupied if path.exists() or path.is_symlink()]
    if taken:
        raise AuthoringError(f"the assignment {name} exists already ({', '.join(taken)}); "
                             "nothing was changed. Choose another name, or edit those files.")
    number = re.match(r"(\d+)_", name)
    if number:  # the number of an assignment is its chapter's (the book links chapter NN to exercise NN_...)
        same = sorted(p.name for p in (root / "solutions").glob(f"{number[1]}_*") if p.is_dir())
        if same:
            raise AuthoringError(f"the number {number[1]} belongs to the assignment {same[0]} already: an "
                                 f"assignment NN_name goes with chapter book/NN_*.md, one per chapter. Choose "
                                 "another number, or a name without one; nothing was changed.")


def default_title(name: str) -> str:
    """"14_learning_rates" -> "Learning rates"."""
    words = re.sub(r"^\d+_", "", name).replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) if words else name


# ---- the three files ---------------------------------------------------------------------------

def _locked(grade_id: str) -> dict:
    return {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3,
                         "solution": False}}


def _answer(grade_id: str) -> dict:
    return {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
                         "solution": True}}


def _graded(grade_id: str, points: float) -> dict:
    return {"nbgrader": {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                         "schema_version": 3, "solution": False}}


def _cell(kind, grade_id: str, source: str, metadata: dict):
    # The course's notebooks use each cell's grade_id as its cell id: stable, readable diffs.
    return kind(source=source.strip("\n"), metadata=metadata, id=grade_id)


GRADED_SOURCE = """\
# Graded: when your work is graded, hidden tests check your function on many inputs.
# They run in the grader, not in this notebook: running this cell does nothing."""


def solution_notebook(name: str, title: str) -> nbformat.NotebookNode:
    """The source notebook: introduction, set-up, one example part, the self-check."""
    number = re.match(r"(\d+)_", name)
    heading = f"# Exercise {int(number[1])}: {title}" if number else f"# Exercise: {title}"
    part = EXAMPLE_PART
    cells = [
        _cell(new_markdown_cell, "intro", f"""
{heading}

This exercise goes with the chapter *{EXAMPLE_CHAPTER}*. You will write, with NumPy alone,
the mean squared error of a batch of predictions.

* Fill in every cell that says `YOUR CODE HERE` (delete the `raise NotImplementedError()` line).
* Run the check cell under each answer: it tests your function on small examples you can
  work out by hand. The graded tests are hidden: they compare your function with a reference
  on many other inputs when your work is graded, and the feedback names the mistake when
  they recognise it.
* Each part is graded on its own: a mistake in one part costs only that part's points.
* Use NumPy only: an answer that calls a neural-network library earns no points.
* To check the whole notebook at once, run `python -m nbcourse check {name}.ipynb`
  in a terminal, or the last cell of this notebook.
""", _locked("intro")),
        _cell(new_code_cell, "setup", "import numpy as np", _locked("setup")),
        _cell(new_markdown_cell, f"{part}_text", f"""
## Part 1: the mean squared error ({EXAMPLE_POINTS} points)

Write `mean_squared_error(y_true, y_pred)`. Both arguments are arrays of the same shape, `(n,)` or
`(n, k)` (one sample per row). Return, as a float, the mean over every sample and every output of
the squared error:

$$
\\text{{MSE}} = \\frac{{1}}{{n k}} \\sum_{{i, j}} \\big(\\hat y_{{ij}} - y_{{ij}}\\big)^2 .
$$

This is Keras's mean squared error: it has no factor $\\tfrac12$.
""", _locked(f"{part}_text")),
        _cell(new_code_cell, f"{part}_answer", '''
def mean_squared_error(y_true, y_pred):
    """The mean over every sample and output of (y_pred - y_true)^2, as a float."""
    ### BEGIN SOLUTION
    return float(np.mean((np.asarray(y_pred) - np.asarray(y_true)) ** 2))
    ### END SOLUTION
''', _answer(f"{part}_answer")),
        _cell(new_code_cell, f"{part}_test", GRADED_SOURCE, _graded(f"{part}_test", EXAMPLE_POINTS)),
        _cell(new_code_cell, f"{part}_check", """
# Check your answer on small examples (not graded: the graded tests are hidden).
got = mean_squared_error(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
assert np.isclose(got, 4 / 3), f"the errors are 0, 0 and 2: the mean of their squares is 4/3, got {got}"
got = mean_squared_error(np.zeros((2, 3)), np.ones((2, 3)))
assert np.isclose(got, 1.0), f"every one of the 6 errors is 1: the mean squared error is 1.0, got {got}"
got = mean_squared_error(np.array([[0.5]]), np.array([[0.5]]))
assert np.isclose(got, 0.0), f"a perfect prediction has no error: 0.0, got {got}"
print("The visible tests pass.")
""", _locked(f"{part}_check")),
        _cell(new_markdown_cell, "selfcheck_text", """
## Check the whole notebook

Save the notebook, then run the cell below: it runs every visible test in a fresh kernel and
prints a summary per part.
""", _locked("selfcheck_text")),
        _cell(new_code_cell, "selfcheck", f"""
from nbcourse.selfcheck import check_notebook

check_notebook("{name}.ipynb")
""", _locked("selfcheck")),
    ]
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    notebook.nbformat_minor = 5  # cell ids, as the course's notebooks
    return notebook


def hidden_tests_source(name: str, title: str) -> str:
    """hidden_tests/<name>.py for the example part: a reference, fixed edge cases beside cases drawn
    from ``rng``, and two known mistakes with the chapter section that explains them."""
    return f'''"""Hidden tests of the assignment {name}.

{title}: these checks run in the grader, never in the student's kernel.
Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it. docs/authoring.md explains the format.
"""

from __future__ import annotations

import numpy as np

import nnlib.losses
from nbcourse.checks import Mistake, Part, check_function

MSE_HINT = "{EXAMPLE_HINT}"


def check_{EXAMPLE_PART}(student, rng):
    cases = [(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])),  # the visible check's example
             (np.zeros((1, 1)), np.ones((1, 1))),                       # one sample, one output
             (np.ones((3, 2)), np.ones((3, 2)))]                        # a perfect prediction: 0
    cases += [(rng.normal(size=shape), rng.normal(size=shape))        # this student's own cases
              for shape in ((5,), (4, 3), (int(rng.integers(2, 60)), int(rng.integers(1, 5))))]
    check_function(
        student.function("mean_squared_error"), nnlib.losses.mean_squared_error, name="mean_squared_error",
        cases=cases,
        mistakes=[
            Mistake("the squared errors were summed instead of averaged",
                    lambda y_true, y_pred: float(np.sum((y_pred - y_true) ** 2)), MSE_HINT),
            Mistake("the notes' cost 1/2 (Ya - Yp)^2 was used: the mean squared error has no factor 1/2",
                    lambda y_true, y_pred: 0.5 * nnlib.losses.mean_squared_error(y_true, y_pred), MSE_HINT),
        ],
    )


PARTS = [
    Part("{EXAMPLE_PART}_test", check_{EXAMPLE_PART}),
]
'''


def wrong_answers_source(name: str) -> str:
    """tests/wrong_answers/<name>.py for the example part: two wrong answers its hidden test names."""
    return f'''"""Plausible wrong answers to the assignment {name}.

Each must cost its part its points, and only its part.
"""

WRONG_ANSWERS = {{
    "{EXAMPLE_PART}": [
        ("summed, not averaged", "def mean_squared_error(y_true, y_pred):\\n"
                                 "    return float(np.sum((y_pred - y_true) ** 2))\\n"),
        ("the notes' factor 1/2", "def mean_squared_error(y_true, y_pred):\\n"
                                  "    return float(0.5 * np.mean((y_pred - y_true) ** 2))\\n"),
    ],
}}
'''


def create(root: Path, name: str, title: str | None = None) -> list[Path]:
    """Write the three files of a new assignment ``name`` in the course ``root``; return them.

    Refuses (:class:`AuthoringError`, nothing written) an invalid or existing name. Should writing
    fail half-way, what was written is removed again.
    """
    root = Path(root)
    check_name(root, name)
    title = (title or "").strip() or default_title(name)
    if "\n" in title or '"' in title or "\\" in title or len(title) > TITLE_LIMIT:  # a heading and a docstring
        raise AuthoringError(f"the title {title!r} must be one line of at most {TITLE_LIMIT} characters, "
                             "without double quotes or backslashes; nothing was changed")
    paths = targets(root, name)
    folders = {paths[key].parent for key in ("hidden tests", "wrong answers")} | {paths["solution"].parent.parent}
    fresh = sorted({d for folder in folders for d in (folder, *folder.parents) if d.is_relative_to(root)
                    and not d.exists()}, key=lambda d: len(d.parts), reverse=True)  # made here: removed on failure
    written: list[Path] = []
    try:
        folder = paths["solution"].parent
        folder.mkdir(parents=True)
        written.append(folder)
        nbformat.write(solution_notebook(name, title), paths["solution"])
        for key, text in (("hidden tests", hidden_tests_source(name, title)),
                          ("wrong answers", wrong_answers_source(name))):
            paths[key].parent.mkdir(parents=True, exist_ok=True)
            written.append(paths[key])  # before writing: a half-written file is removed too
            paths[key].write_text(text)
    except BaseException as error:
        for path in reversed(written):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        for folder in fresh:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if isinstance(error, OSError):
            raise AuthoringError(f"could not write the assignment {name} ({error}); nothing was left "
                                 "behind") from None
        raise
    return [paths["solution"], paths["hidden tests"], paths["wrong answers"]]


# ---- the wrong answers, as the test suite reads them ---------------------------------------------

def wrong_answers_path(root: Path, name: str) -> Path:
    return Path(root) / "tests" / "wrong_answers" / f"{name}.py"


def graded_parts(root: Path, name: str) -> list[str]:
    """The parts of ``name`` (each graded cell's grade_id without ``_test``), from its source notebook."""
    parts = []
    for path in sorted((Path(root) / "solutions" / name).glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text())["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution") and cell.get("cell_type") == "code":
                parts.append(str(meta.get("grade_id", "")).removesuffix("_test"))
    return parts


def missing_wrong_answers_message(root: Path, name: str) -> str:
    parts = graded_parts(root, name) or ["<part>"]
    example = "\n".join(f'    "{part}": [("what is wrong", "def f(...):\\n    return ...\\n"), ...],'
                        for part in parts)
    return (f"tests/wrong_answers/{name}.py is missing: create it. It holds the plausible wrong answers to "
            f"{name}, two or more for each graded part ({', '.join(parts)}); the suite checks that each costs "
            f"its part its points, and only its part:\n\nWRONG_ANSWERS = {{\n{example}\n}}\n\n"
            "Each answer is the whole code of the part's answer cell, as a student would write it "
            "(docs/authoring.md, 'The wrong answers'; `python -m nbcourse new` writes one for a new assignment).")


def load_wrong_answers(root: Path, name: str) -> dict[str, list[tuple[str, str]]]:
    """tests/wrong_answers/<name>.py's WRONG_ANSWERS: {part: [(what is wrong, code of the answer cell), ...]}.

    Raises :class:`MissingWrongAnswers` (the message says what to create) when the file does not exist.
    """
    path = wrong_answers_path(root, name)
    if not path.is_file():
        raise MissingWrongAnswers(missing_wrong_answers_message(root, name))
    spec = importlib.util.spec_from_file_location(f"wrong_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WRONG_ANSWERS
