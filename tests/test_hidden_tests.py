"""The hidden tests as code: each module in hidden_tests/ matches its notebook's graded cells, passes
the solution and fails an untouched notebook, here in one process and in seconds.

The solution's cells run in a namespace of this process, and :class:`LocalStudent` gives the
checks the same view of it as the grader's channel gives of a kernel (inputs and results go
through nbcourse.protocol, errors become StudentError). The real thing, in the sandbox, is
tested in test_exercises.py (grading marker).
"""

from __future__ import annotations

import json
import time
import warnings

import nbformat
import numpy as np
import pytest
from conftest import ROOT
from exercise_tools import SOLUTION_MARKERS, assignment_names, nbgrader_meta, notebook_path

from nbcourse import harness, protocol
from nbcourse.authoring import MissingWrongAnswers, load_wrong_answers
from nbcourse.checks import CheckFailed, Student, StudentError
from nbcourse.harness import Outcome
from nbcourse.trusted import cell_role, load_hidden_tests, seed

ASSIGNMENTS = assignment_names()


def params():
    for name in ASSIGNMENTS:
        marks = [pytest.mark.keras, pytest.mark.slow] if name == "12_keras" else []
        yield pytest.param(name, marks=marks, id=name)


# The kernel's own encoder and decoder (nbcourse/harness.py), without its conversation with the grader.
KERNEL: dict = {}
exec(harness.KERNEL_SOURCE.rsplit("_run(user_ns)", 1)[0], KERNEL)


def to_kernel(value):
    """What the kernel receives when the grader sends ``value``."""
    return KERNEL["_decode"](json.loads(json.dumps(protocol.encode(value))))


def from_kernel(value):
    """What the grader gets back when the kernel returns ``value`` (TypeError: not data)."""
    return protocol.decode(json.loads(json.dumps(KERNEL["_encode"](value))))


class LocalStudent(Student):
    """A notebook's namespace in this process, seen as the grader sees a kernel."""

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def _call(self, action):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                value = action()
        except StudentError:
            raise
        except Exception as error:
            raise StudentError(Outcome(raised=type(error).__name__, message=str(error))) from None
        try:
            return from_kernel(value)
        except (TypeError, protocol.NotData) as error:
            raise StudentError(Outcome(raised="NotData", message=f"it returned {error}")) from None

    def function(self, name, substitutes=None):
        def call(*args):
            saved = {k: self.namespace[k] for k in substitutes or {} if k in self.namespace}
            self.namespace.update(substitutes or {})
            try:
                if not callable(self.namespace.get(name)):
                    raise StudentError(Outcome(raised="NameError", message=f"{name} is not defined"))
                return self._call(lambda: self.namespace[name](*to_kernel(args)))
            finally:
                self._restore(substitutes, saved)

        return call

    def _restore(self, substitutes, saved):
        for name in substitutes or {}:
            if name in saved:
                self.namespace[name] = saved[name]
            else:
                self.namespace.pop(name, None)

    def run(self, driver, substitutes=None, **names):
        start = time.monotonic()
        scope = {"student": self.namespace, "np": np, **to_kernel(names)}
        saved = {k: self.namespace[k] for k in substitutes or {} if k in self.namespace}
        self.namespace.update(substitutes or {})
        try:
            result = self._call(lambda: exec(compile(driver, "<driver>", "exec"), scope) or scope.get("result"))
        finally:
            self._restore(substitutes, saved)
        return result, time.monotonic() - start


def run_cells(notebook) -> dict:
    """Run the cells the grader would run (set-up and answers), in order, in a fresh namespace."""
    namespace: dict = {}
    for cell in notebook.cells:
        if cell_role(cell) == "run":
            try:
                exec(compile(SOLUTION_MARKERS.sub("", cell.source), "<cell>", "exec"), namespace)
            except NotImplementedError:
                pass
    return namespace


def grade_locally(assignment: str, notebook, student: str = "unit") -> dict[str, str | None]:
    """{grade_id: None if the part passed, else its failure message}."""
    module = load_hidden_tests(ROOT / "hidden_tests", assignment)
    local = LocalStudent(run_cells(notebook))
    verdicts = {}
    for part in module.PARTS:
        rng = np.random.default_rng(seed(b"unit tests", assignment, student, part.grade_id))
        try:
            part.check(local, rng)
            verdicts[part.grade_id] = None
        except CheckFailed as failure:
            verdicts[part.grade_id] = str(failure)
    return verdicts


def source(assignment: str):
    return nbformat.read(notebook_path(ROOT / "solutions", assignment), as_version=4)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_has_its_check_and_no_hidden_code(assignment):
    notebook = source(assignment)
    cells = [c for c in notebook.cells if cell_role(c) == "test"]
    module = load_hidden_tests(ROOT / "hidden_tests", assignment)
    assert [nbgrader_meta(c)["grade_id"] for c in cells] == [p.grade_id for p in module.PARTS]
    for cell in cells:  # the test cell is a comment: nothing of the tests is in the notebook
        assert all(line.startswith("#") for line in cell.source.splitlines()), cell.source
    # Every other graded cell is a written answer a TA grades (a markdown answer cell, <part>_written):
    # no graded cell escapes both the grader and the TA.
    others = [c for c in notebook.cells if nbgrader_meta(c).get("grade") and cell_role(c) != "test"]
    assert all(c.cell_type == "markdown" and nbgrader_meta(c).get("solution")
               and nbgrader_meta(c)["grade_id"].endswith("_written") for c in others), others


@pytest.mark.parametrize("assignment", list(params()))
def test_the_solution_passes_every_part(assignment):
    for student in ("unit", "another student"):
        verdicts = grade_locally(assignment, source(assignment), student)
        assert not any(verdicts.values()), {k: v for k, v in verdicts.items() if v}


@pytest.mark.parametrize("assignment", list(params()))
def test_an_untouched_notebook_fails_every_part(assignment):
    notebook = source(assignment)
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("solution"):
            cell.source = "# YOUR CODE HERE\nraise NotImplementedError()"
    verdicts = grade_locally(assignment, notebook)
    assert all(verdicts.values()), verdicts


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_part_has_two_wrong_answers(assignment):
    """tests/wrong_answers/<assignment>.py names two or more wrong answers for each graded part (test_exercises.py
    grades each of them). A missing file fails here, once, saying what to write: not a collection error."""
    try:
        known = load_wrong_answers(ROOT, assignment)
    except MissingWrongAnswers as missing:
        pytest.fail(str(missing), pytrace=False)
    parts = {nbgrader_meta(c)["grade_id"].removesuffix("_test") for c in source(assignment).cells
             if cell_role(c) == "test"}
    assert set(known) == parts, f"{assignment}: wrong answers for {sorted(known)}, parts {sorted(parts)}"
    assert all(len(v) >= 2 for v in known.values()), f"{assignment}: fewer than two wrong answers for a part"


def test_cases_depend_on_the_secret_the_student_and_the_part():
    seeds = {seed(secret, "a", student, part) for secret in (b"s1", b"s2") for student in ("x", "y")
             for part in ("p", "q")}
    assert len(seeds) == 8
    assert seed(b"s1", "a", "x", "p") == seed(b"s1", "a", "x", "p")  # a regrade draws the same cases
