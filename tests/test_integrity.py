"""The answer rules (nbcourse.integrity): every tampering trick is flagged, honest answers are not.

The end-to-end proof, through `nbcourse autograde`, is in test_hostile_submissions.py; here each
rule is shown on its own, against the real context of exercise 3 (its setup and hidden tests).
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import answers_of, assignment_names, wrong_answers

from nbcourse.integrity import Context, guarded_source, protect_trusted_cells, violations
from nbcourse.preprocessors import GUARD_MARK


def context_of(assignment: str) -> Context:
    notebook = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("solution")]
    return Context.from_cells(code)


CONTEXT = context_of("03_backpropagation")

TAMPERING = {
    "patch numpy": "np.allclose = lambda *a, **k: True",
    "patch numpy in a function": "def output_gradients(*a):\n    np.testing.assert_allclose = print\n    return 0",
    "delete from numpy": "del np.isclose",
    "patch the checks": "import nbcourse.checks\nnbcourse.checks.check_function = lambda *a, **k: None",
    "import the checks by another name": "from nbcourse import checks as c",
    "patch builtins": "import builtins\nbuiltins.AssertionError = Exception",
    "builtins through a dunder": "__builtins__['isinstance'] = lambda *a: True",
    "hide tracebacks": "get_ipython().showtraceback = lambda *a, **k: None",
    "setattr on a module": "setattr(np, 'allclose', lambda *a, **k: True)",
    "computed getattr": "f = getattr(np, 'all' + 'close')",
    "dunder in a string": "g = output_gradients.__getattribute__('__glo' 'bals__')",
    "frame walking": "def leak():\n    return (x for x in []).gi_frame.f_back.f_globals",
    "globals()": "globals()['np'] = None",
    "exec": "exec('np.allclose = lambda *a, **k: True')",
    "global rebinding inside a function": "def f():\n    global np\n    np = None",
    "empty a hidden test's cases": "_bp_cases.clear()",
    "replace a hidden reference": "nn_gradients = lambda *a: None",
    "threads": "import threading",
    "os": "import os\nos._exit(0)",
    "sys.exit": "import sys\nsys.exit(0)",
    "unittest.mock": "from unittest import mock",
    "pickle through numpy": "np.load('x.npy', allow_pickle=True)",
    "magic": "%load_ext something",
    "shell": "!cat ../../solutions/*",
    "custom equality": "class Always:\n    def __eq__(self, other):\n        return True",
    "in-place change of a module": "np.random.__dict__.clear()",
    "a module under another name": "m = np\nm.allclose = lambda *a, **k: True",
    "a module passed to a function": "def f(m):\n    m.allclose = len\n\nf(np)",
    "a submodule passed to a function": "def f(m):\n    m.assert_allclose = len\n\nf(np.testing)",
    "an attribute of an expression": "[np][0].allclose = len",
    "a shell escape in an assignment": "x = !cat ../../solutions/*",
    "help syntax": "np.allclose?",
    "getattr under another name": "g = getattr\nd = g(len, '_' * 2 + 'globals' + '_' * 2)",
    "code run from a string by the standard library": "import timeit\ntimeit.timeit('import numpy', number=1)",
    "a module reached through another": "import logging\nm = logging.sys.modules",
    "string formatting reaches attributes": "import string\nf = string.Formatter().get_field",
    "np.load with allow_pickle by position": "x = np.load('evil.npy', None, True)",
    "np.load with keywords unpacked": "x = np.load('evil.npy', **{'allow' + '_pickle': True})",
    "a dunder as a keyword": "X = type('X', (), dict(__eq__=lambda s, o: True))",
    "a lambda default hides a patch": "def g(x=lambda np: 0):\n    np.allclose = len",
    "an annotation hides a patch": "def g(x: (lambda np: np)):\n    np.allclose = len",
    "a comprehension default hides a patch": "def g(x=[0 for np in ()]):\n    np.allclose = len",
    "nnlib's reference behind a list": "import nnlib.activations as a\nref = [a.sigmoid]",
}


@pytest.mark.parametrize("source", TAMPERING.values(), ids=TAMPERING.keys())
def test_tampering_is_flagged(source):
    assert violations(source, CONTEXT), source


HONEST = {
    "re-import numpy": "import numpy as np\n\ndef f(z):\n    return 1 / (1 + np.exp(-z))",
    "locals that share a hidden name": "def f(x, rng, k, layers):\n    rng = rng or np.random.default_rng(0)\n"
                                       "    layers[0] = k\n    return rng, layers",
    "a module-level helper and constant": "SCALE = 2.0\n\ndef helper(a):\n    return SCALE * a",
    "a class with __init__ and super": "class Layer:\n    def __init__(self, n):\n        super().__init__()\n"
                                      "        self.n = n\n\n    def __call__(self, x):\n        return x",
    "getattr with a literal": "def f(o):\n    return getattr(o, 'name', None)",
    "comprehensions and lambdas": "g = [lambda v, i=i: v * i for i in range(3)]\nh = {k: v for k, v in zip('ab', g)}",
    "math and itertools": "import math\nimport itertools\nfrom functools import reduce",
    "module attributes as values": "def f(x):\n    return x.astype(np.float64), np.pi, isinstance(x, np.ndarray)",
    "a syntax error is left to fail on its own": "def f(:\n    pass",
    "constants and types imported by name": "from math import pi, inf\nfrom numpy import float64, newaxis\n\n"
                                            "def area(r):\n    return (pi * r**2).astype(float64)[:, newaxis], inf",
    "matplotlib inline": "%matplotlib inline\nimport numpy as np",
    "a continuation line that starts with an operator": "x = (1\n     % 2)\ny = (1\n     != 2)",
}


@pytest.mark.parametrize("source", HONEST.values(), ids=HONEST.keys())
def test_honest_code_is_not_flagged(source):
    assert violations(source, CONTEXT) == []


@pytest.mark.parametrize("assignment", assignment_names())
def test_no_solution_or_plausible_wrong_answer_breaks_a_rule(assignment):
    """The rules must never cost an honest student: every solution and wrong answer passes them,
    except the wrong answers that call a library instead of computing: their import is refused,
    and their part scores 0 either way."""
    context = context_of(assignment)
    solution = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    sources = [(label, code) for answers in wrong_answers(assignment).values() for label, code in answers]
    sources += [("solution", code) for code in answers_of(solution).values()]
    flagged = {}
    for label, code in sources:
        why = violations(code, context)
        if label.startswith("calls ") and why and all(w.startswith("it imports ") for w in why):
            continue
        if why:
            flagged[f"{label}: {code[:50]}"] = why
    assert not flagged


REBINDINGS = {  # allowed: the names are put back before each test cell (next test)
    "shadow a builtin the tests use": "def len(x):\n    return 0",
    "rebind np": "import math as np",
    "rebind a module the tests use": "np = None",
    "match rebinds a name the tests use": "match 0:\n    case len:\n        pass",
    "a name of the student's that the tests also use": "rng = np.random.default_rng(0)\nk = 3\nx = [1, 2]",
}


@pytest.mark.parametrize("source", REBINDINGS.values(), ids=REBINDINGS.keys())
def test_top_level_rebinding_is_allowed(source):
    assert violations(source, CONTEXT) == []


def test_rebinding_is_undone_before_each_test_cell():
    """Run set-up, a student's rebinding and a test cell in one namespace, as the kernel would."""
    import nbformat.v4 as v4

    setup = v4.new_code_cell("import numpy as np\ncases = [1, 2, 3]")
    student = v4.new_code_cell("np = None\ncases = []\n\ndef len(x):\n    return 0")
    test = v4.new_code_cell("result = (np.sum(cases), len(cases))")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    context = Context.from_sources([setup.source], [test.source])
    assert {"np", "cases", "len"} <= context.protected
    protect_trusted_cells([setup, test], context, nonce="x")
    namespace: dict = {}
    for cell in (setup, student, test):
        exec(compile(cell.source, "<cell>", "exec"), namespace)
    assert namespace["result"] == (6, 3)
    assert all(line.endswith(GUARD_MARK) for line in test.source.splitlines() if "_nbcourse_x" in line)


def test_a_global_rebinding_inside_a_function_is_refused():
    assert violations("def f():\n    global np\n    np = None", CONTEXT)


def test_a_guarded_cell_raises_names_the_rule_and_keeps_the_code():
    source = "np.allclose = lambda *a, **k: True\n"
    guarded = guarded_source(source, violations(source, CONTEXT))
    with pytest.raises(RuntimeError, match="np.allclose"):
        exec(compile(guarded, "<cell>", "exec"), {})
    assert "# np.allclose = lambda *a, **k: True" in guarded


def test_the_self_check_tells_a_student_which_answer_the_grader_will_not_run():
    """A student finds out before submitting: `python -m nbcourse check` fails that part and says why."""
    from nbcourse.selfcheck import refused_answers

    release = nbformat.read(ROOT / "exercises" / "02_forward_propagation" / "02_forward_propagation.ipynb",
                            as_version=4)
    answer = next(c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "cost_answer")
    answer.source = "np.allclose = lambda *a, **k: True\ndef cost(Ya, Yp):\n    return 0.0\n"
    refused = refused_answers(release)
    assert list(refused) == ["cost"] and "np.allclose" in refused["cost"]
