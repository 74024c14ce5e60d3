"""The grading tools on their own: checks, preprocessors, the self-check's errors, the CLI's reasons."""

from __future__ import annotations

import numpy as np
import pytest

import nnlib.activations
from nbcourse import checks, cli, preprocessors


def reference_sigmoid(z):
    return nnlib.activations.sigmoid(z)


CASES = [(np.array([-2.0, 0.0, 3.0]),), (np.array([[-1000.0, 1000.0]]),)]


def numpy_sigmoid(z):  # the students' functions below use NumPy only, as they must
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
SIGN_FLIP = checks.Mistake("the sign is flipped", lambda z: -nnlib.activations.sigmoid(z), "See 'Sigmoid'.")


def test_a_correct_answer_passes():
    def sigmoid(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES, mistakes=[SIGN_FLIP])


def test_a_known_mistake_is_named_with_its_hint():
    def sigmoid(z):
        return -numpy_sigmoid(z)

    with pytest.raises(checks.CheckFailed, match=r"it looks like the sign is flipped\. See 'Sigmoid'\."):
        checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES, mistakes=[SIGN_FLIP])


def test_an_unknown_mistake_shows_input_expected_and_got():
    def sigmoid(z):
        return numpy_sigmoid(z) + 0.1

    with pytest.raises(checks.CheckFailed, match=r"expected \[0\.119203.*got \[0\.219203.*largest difference 0\.1"):
        checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES, mistakes=[SIGN_FLIP])


def test_an_unstable_answer_is_caught_and_a_nan_mistake_can_be_named():
    def naive_derivative(z):
        return np.exp(-z) / (1 + np.exp(-z)) ** 2  # inf / inf = nan at z = -1000

    unstable = checks.Mistake("the unstable formula", naive_derivative, "")
    with pytest.raises(checks.CheckFailed, match="it looks like the unstable formula"):
        checks.check_function(naive_derivative, nnlib.activations.sigmoid_derivative, name="d", cases=CASES,
                              mistakes=[unstable])
    with pytest.raises(checks.CheckFailed, match="non-finite"):
        checks.check_function(naive_derivative, nnlib.activations.sigmoid_derivative, name="d", cases=CASES)


def test_a_failing_mistake_function_is_skipped():
    def broken(z):
        raise IndexError("a wrong formula that cannot even run here")

    def sigmoid(z):
        return numpy_sigmoid(z) * 2

    with pytest.raises(checks.CheckFailed, match="expected"):
        checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES,
                              mistakes=[checks.Mistake("broken", broken)])


def test_errors_and_stubs_are_reported_with_the_inputs():
    def stub(z):
        raise NotImplementedError()

    with pytest.raises(checks.CheckFailed, match="sigmoid is not implemented yet"):
        checks.check_function(stub, reference_sigmoid, name="sigmoid", cases=CASES)

    def crashes(z):
        return z.undefined

    with pytest.raises(checks.CheckFailed, match=r"raised AttributeError"):
        checks.check_function(crashes, reference_sigmoid, name="sigmoid", cases=CASES)
    with pytest.raises(checks.CheckFailed, match="is not a function"):
        checks.check_function(None, reference_sigmoid, name="sigmoid", cases=CASES)
    with pytest.raises(checks.CheckFailed, match="shape"):
        checks.check_function(lambda z: z.ravel()[:1], reference_sigmoid, name="sigmoid", cases=CASES)
    with pytest.raises(checks.CheckFailed, match="does the function return"):
        checks.check_function(lambda z: None, reference_sigmoid, name="sigmoid", cases=CASES)


def test_calling_a_library_earns_nothing_even_through_a_helper():
    namespace = {"nnlib": nnlib, "np": np}
    exec("def helper(z):\n    return nnlib.activations.sigmoid(z)\n"
         "def sigmoid(z):\n    return helper(z)\n", namespace)
    with pytest.raises(checks.CheckFailed, match="calls nnlib"):
        checks.check_function(namespace["sigmoid"], reference_sigmoid, name="sigmoid", cases=CASES)
    exec("from nnlib.activations import sigmoid as s\ndef sigmoid2(z):\n    return s(z)\n", namespace)
    assert "nnlib" in checks.forbidden_library(namespace["sigmoid2"])
    assert checks.forbidden_library(namespace["sigmoid2"], forbidden=("keras",)) is None


def test_substitutes_grade_each_part_on_its_own():
    namespace = {"np": np}
    exec("def sigmoid(z):\n    return 1 / (1 + np.exp(-2 * z))\n"     # wrong: part 1 loses its points
         "def derivative(z):\n    s = sigmoid(z)\n    return s * (1 - s)\n", namespace)
    with pytest.raises(checks.CheckFailed):
        checks.check_function(namespace["derivative"], nnlib.activations.sigmoid_derivative, name="d",
                              cases=CASES[:1])
    checks.check_function(namespace["derivative"], nnlib.activations.sigmoid_derivative, name="d",
                          cases=CASES[:1], substitutes={"sigmoid": nnlib.activations.sigmoid})
    assert namespace["sigmoid"](np.array([0.0]))[0] == 0.5  # restored afterwards
    assert namespace["sigmoid"] is not nnlib.activations.sigmoid


def test_answers_get_their_own_copy_of_the_inputs():
    def in_place(w, g):
        w -= 0.1 * g
        return w

    w, g = np.ones(3), np.ones(3)
    checks.check_function(in_place, lambda w, g: w - 0.1 * g, name="step", cases=[(w, g)])
    np.testing.assert_array_equal(w, 1.0)


def test_strip_hidden_tests_keeps_visible_code_and_messages():
    cell = {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "solution": False}},
            "source": "# Graded\n### BEGIN HIDDEN TESTS\nsecret = 42\n### END HIDDEN TESTS\nprint('ok')",
            "outputs": [{"output_type": "error", "ename": "CheckFailed", "evalue": "\x1b[31mf: wrong\x1b[0m",
                         "traceback": ["line with secret = 42", "CheckFailed: f: wrong"]}]}
    cell, _ = preprocessors.StripHiddenTests().preprocess_cell(cell, {}, 0)
    assert "secret" not in cell["source"] and "print('ok')" in cell["source"]
    assert cell["outputs"][0]["traceback"] == ["CheckFailed: f: wrong"]
    answer = {"cell_type": "code", "metadata": {"nbgrader": {"solution": True}}, "source": "### BEGIN HIDDEN TESTS",
              "outputs": []}
    assert preprocessors.StripHiddenTests().preprocess_cell(answer, {}, 0)[0]["source"] == "### BEGIN HIDDEN TESTS"


def test_stderr_becomes_marked_stdout():
    cell = {"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stderr", "text": "warn 1\nwarn 2\n"}]}
    cell, _ = preprocessors.StderrAsStdout().preprocess_cell(cell, {}, 0)
    expected = {"output_type": "stream", "name": "stdout", "text": "[stderr] warn 1\n[stderr] warn 2\n"}
    assert cell["outputs"][0] == expected
    assert preprocessors.StderrAsStdout().enabled and preprocessors.StripHiddenTests().enabled


@pytest.mark.parametrize(("log", "reason"), [
    ("nbclient.exceptions.DeadKernelError: Kernel died", "kernel died"),
    ("CellTimeoutError: No reply from kernel before timeout", "time limit"),
    ("nbformat.reader.NotJSONError: Notebook does not appear to be JSON", "not a valid notebook"),
    ("something nobody expected", "grading failed"),
])
def test_grading_failures_are_explained_to_the_student(log, reason):
    assert reason in cli.explain(log)


def test_self_check_refuses_what_is_not_an_exercise(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert cli.check(str(tmp_path / "broken.ipynb")) == 2
    assert cli.check(str(tmp_path / "missing.ipynb")) == 2


@pytest.mark.parametrize("marker", ["### ", "## ", "# ", ""])
def test_hidden_tests_are_stripped_whatever_the_comment_prefix(marker):
    """nbgrader hides any line containing the marker; the feedback must hide the same region."""
    source = f"visible = 1\n{marker}BEGIN HIDDEN TESTS\nsecret = 42\n{marker}END HIDDEN TESTS\nafter = 2\n"
    stripped = preprocessors.strip_hidden_tests(source)
    assert "secret" not in stripped and "visible = 1" in stripped and "after = 2" in stripped


def test_slices_split_every_class_exactly_once():
    students = [f"s{n:03d}" for n in range(200)] + ["Ünïcode", "x<script>"]
    for n in (1, 2, 3, 5):
        owners = [[k for k in range(1, n + 1) if cli.in_slice(s, (k, n))] for s in students]
        assert all(len(o) == 1 for o in owners), "each student belongs to exactly one slice"
        if n > 1:
            assert len({o[0] for o in owners}) == n, "no slice is empty for a class of 200"


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_a_bad_slice_is_refused_with_its_form(text):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="K/N"):
        cli.parse_slice(text)


def test_huge_outputs_are_cut_to_the_limit():
    cell = {"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": "x" * 1_000_000},
        {"output_type": "display_data", "data": {"image/png": "A" * 3_000_000, "text/plain": "<Figure>"}}]}
    cell, _ = preprocessors.LimitOutputSize(max_chars=1000).preprocess_cell(cell, {}, 0)
    assert len(cell["outputs"][0]["text"]) < 1100 and "output cut" in cell["outputs"][0]["text"]
    assert "image/png" not in cell["outputs"][1]["data"]


def test_a_copied_answer_cell_becomes_plain_code():
    cell = {"cell_type": "code", "metadata": {"nbgrader": {}}, "source": "x = 1"}
    cell, _ = preprocessors.DropEmptyNbgraderMetadata().preprocess_cell(cell, {}, 0)
    assert "nbgrader" not in cell["metadata"]
