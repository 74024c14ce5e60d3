"""The grading tools on their own: checks, preprocessors, the self-check's errors, the CLI's reasons."""

from __future__ import annotations

import os
import shutil
import tempfile
import types

import numpy as np
import pytest
from conftest import ROOT

import nnlib.activations
from nbcourse import checks, cli, harness, preprocessors, protocol


def reference_sigmoid(z):
    return nnlib.activations.sigmoid(z)


CASES = [(np.array([-2.0, 0.0, 3.0]),), (np.array([[-1000.0, 1000.0]]),)]
NUMPY_SIGMOID = """
def sigmoid(z):  # NumPy only, as the students' functions must be
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
"""
# The tests of the module's kernel share one pytest-xdist worker (make test: --dist loadgroup).
KERNEL = pytest.mark.xdist_group("nbcourse-kernel")
SIGN_FLIP = checks.Mistake("the sign is flipped", lambda z: -nnlib.activations.sigmoid(z), "See 'Sigmoid'.")


@pytest.fixture(scope="module")
def kernel():
    """A real Python kernel (not sandboxed: these tests are about the channel), with numpy imported."""
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.blocking_client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    client.execute_interactive("import numpy as np", timeout=30)
    yield manager, client, harness.KernelChannel(client, manager.interrupt_kernel, manager.is_alive)
    client.stop_channels()
    manager.shutdown_kernel(now=True)


@pytest.fixture
def student(kernel):
    """define(code) runs code in the kernel as a student's cell; returns the checks' view of the kernel."""
    _, client, channel = kernel

    def define(code: str, seconds: float = 20.0) -> checks.Student:
        reply = client.execute_interactive(code, timeout=30)
        assert reply["content"]["status"] == "ok", reply["content"]
        return checks.Student(channel, seconds)

    return define


@KERNEL
def test_a_correct_answer_passes(student):
    sigmoid = student(NUMPY_SIGMOID).function("sigmoid")
    checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES, mistakes=[SIGN_FLIP])


@KERNEL
def test_a_known_mistake_is_named_with_its_hint(student):
    sigmoid = student("def sigmoid(z):\n    return -1 / (1 + np.exp(-z))\n").function("sigmoid")
    with pytest.raises(checks.CheckFailed, match=r"it looks like the sign is flipped\. See 'Sigmoid'\."):
        checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES[:1], mistakes=[SIGN_FLIP])


@KERNEL
def test_an_unknown_mistake_shows_input_expected_and_got(student):
    sigmoid = student("def sigmoid(z):\n    return 1 / (1 + np.exp(-z)) + 0.1\n").function("sigmoid")
    with pytest.raises(checks.CheckFailed, match=r"expected \[0\.119203.*got \[0\.219203.*largest difference 0\.1"):
        checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES, mistakes=[SIGN_FLIP])


@KERNEL
def test_an_unstable_answer_is_caught_and_a_nan_mistake_can_be_named(student):
    def naive_derivative(z):
        with np.errstate(all="ignore"):
            return np.exp(-z) / (1 + np.exp(-z)) ** 2

    derivative = student("def d(z):\n    return np.exp(-z) / (1 + np.exp(-z)) ** 2\n").function("d")
    unstable = checks.Mistake("the unstable formula", naive_derivative, "")
    with pytest.raises(checks.CheckFailed, match="it looks like the unstable formula"):
        checks.check_function(derivative, nnlib.activations.sigmoid_derivative, name="d", cases=CASES,
                              mistakes=[unstable])
    with pytest.raises(checks.CheckFailed, match="non-finite"):
        checks.check_function(derivative, nnlib.activations.sigmoid_derivative, name="d", cases=CASES)


@KERNEL
def test_a_failing_mistake_function_is_skipped(student):
    def broken(z):
        raise ValueError("the mistake itself fails")

    sigmoid = student("def sigmoid(z):\n    return 1 / (1 + np.exp(-z)) + 0.1\n").function("sigmoid")
    with pytest.raises(checks.CheckFailed, match="expected"):
        checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES,
                              mistakes=[checks.Mistake("broken", broken)])


@KERNEL
@pytest.mark.parametrize(("code", "message"), [
    ("def sigmoid(z):\n    raise NotImplementedError()\n", "sigmoid is not implemented yet"),
    ("def sigmoid(z):\n    return z.undefined\n", r"raised AttributeError"),
    ("sigmoid = 3\n", "sigmoid is a int, not a function"),
    ("sigmoid = None\n", "sigmoid is not defined"),
    ("def sigmoid(z):\n    return z.ravel()[:1]\n", "shape"),
    ("def sigmoid(z):\n    return None\n", "does the function return"),
    ("def sigmoid(z):\n    return (v for v in z)\n", "not data"),
    ("def sigmoid(z):\n    return {1: z}\n", "not data"),
    ("def sigmoid(z):\n    return np.array([object()])\n", "not numeric data"),
    ("def sigmoid(z):\n    import sys\n    sys.exit(0)\n", "raised SystemExit"),
])
def test_errors_stubs_and_non_data_are_reported_with_the_inputs(student, code, message):
    sigmoid = student(code).function("sigmoid")
    with pytest.raises(checks.CheckFailed, match=message):
        checks.check_function(sigmoid, reference_sigmoid, name="sigmoid", cases=CASES)


@KERNEL
def test_substitutes_grade_each_part_on_its_own_and_are_gone_afterwards(student):
    kernel = student("def sigmoid(z):\n    return 1 / (1 + np.exp(-2 * z))\n"     # wrong: part 1 loses its points
                     "def derivative(z):\n    s = sigmoid(z)\n    return s * (1 - s)\n")
    with pytest.raises(checks.CheckFailed):
        checks.check_function(kernel.function("derivative"), nnlib.activations.sigmoid_derivative, name="d",
                              cases=CASES[:1])
    derivative = kernel.function("derivative", substitutes={"sigmoid": nnlib.activations.sigmoid})
    checks.check_function(derivative, nnlib.activations.sigmoid_derivative, name="d", cases=CASES[:1])
    assert kernel.function("sigmoid")(np.array([1.0]))[0] == pytest.approx(1 / (1 + np.exp(-2)))  # restored


@KERNEL
def test_a_substitute_kept_for_later_answers_nothing(student):
    kernel = student("kept = []\n"
                     "def derivative(z):\n    kept.append(sigmoid)\n    return z\n"
                     "def later(z):\n    return kept[0](z)\n")
    kernel.function("derivative", substitutes={"sigmoid": nnlib.activations.sigmoid})(np.zeros(2))
    with pytest.raises(checks.StudentError, match="sigmoid is not available now"):
        kernel.function("later")(np.zeros(2))


@KERNEL
def test_answers_change_only_their_own_copy_of_the_inputs(student):
    step = student("def step(w, g):\n    w -= 0.1 * g\n    return w\n").function("step")
    w, g = np.ones(3), np.ones(3)
    checks.check_function(step, lambda w, g: w - 0.1 * g, name="step", cases=[(w, g)])
    np.testing.assert_array_equal(w, 1.0)


@KERNEL
def test_generators_and_stand_ins_cross_the_channel(student):
    kernel = student("def draw(rng, model):\n"
                     "    return rng.normal(size=3), model.layers[0].units, model.get_weights()[0] * 2\n")
    rng = np.random.default_rng(5)
    model = types.SimpleNamespace(layers=[types.SimpleNamespace(units=4)], get_weights=protocol.Constant([np.eye(2)]))
    draws, units, doubled = kernel.function("draw")(rng, model)
    np.testing.assert_array_equal(draws, np.random.default_rng(5).normal(size=3))
    assert units == 4 and isinstance(units, int)
    np.testing.assert_array_equal(doubled, 2 * np.eye(2))


@KERNEL
def test_an_endless_loop_is_stopped_at_the_time_limit_and_the_kernel_goes_on(student):
    kernel = student("def spin(x):\n    while True:\n        pass\n", seconds=2)
    with pytest.raises(harness.PartTimeout, match="time limit of 2 s"):
        kernel.function("spin")(1)
    assert student(NUMPY_SIGMOID).function("sigmoid")(np.array([0.0]))[0] == 0.5


@pytest.mark.parametrize("data", [
    {"$array": "bm90IG5weQ=="},                                                     # not a .npy
    {"$array": protocol._npy(np.array([1, 2]))[:-16]},                              # cut short
    {"$object": "os.system"}, {"$rng": {}}, {"$constant": 1}, {"a": 1, "b": 2},    # nothing but data comes back
    {"$dict": [[1, 2]]},
])
def test_the_grader_decodes_nothing_but_data(data):
    with pytest.raises(protocol.NotData):
        protocol.decode(data)


def test_pickled_and_object_arrays_are_refused():
    import base64
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.NotData):
        protocol.decode({"$array": base64.b64encode(buffer.getvalue()).decode()})
    deep = 1
    for _ in range(100):
        deep = {"$list": [deep]}
    with pytest.raises(protocol.NotData, match="nested too deeply"):
        protocol.decode(deep)


def test_data_round_trips():
    value = (np.arange(6, dtype=np.float32).reshape(2, 3), [1, 2.5, None, "x", float("nan")], {"k": np.int64(3)})
    back = protocol.decode(protocol.encode(value))
    np.testing.assert_array_equal(back[0], value[0])
    assert back[0].dtype == np.float32 and back[1][:4] == [1, 2.5, None, "x"] and np.isnan(back[1][4])
    assert back[2]["k"] == 3 and isinstance(back[2]["k"], np.int64)


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


@KERNEL
def test_nan_and_inf_scalars_come_back_as_numbers(student):
    """np.float64 is a float whose repr is not: a loss of inf must reach the grader as inf, to be judged."""
    kernel = student("def loss(x):\n    return np.float64(np.inf) if x else np.float32(np.nan)\n")
    assert kernel.function("loss")(1) == np.inf
    assert np.isnan(kernel.function("loss")(0))


@KERNEL
def test_a_substitute_takes_positional_data_only(student):
    kernel = student("def derivative(z):\n    return sigmoid(z=z)\n")
    with pytest.raises(checks.StudentError, match="by position"):
        kernel.function("derivative", substitutes={"sigmoid": nnlib.activations.sigmoid})(np.zeros(2))


def test_malformed_replies_are_the_students_not_the_graders():
    with pytest.raises(protocol.NotData):
        protocol.message("[" * 100_000 + "]" * 100_000)
    import base64
    import io

    header = io.BytesIO()  # a .npy of 10^18 empty strings: 0 bytes to send, a MemoryError to compare
    np.lib.format.write_array_header_1_0(header, {"descr": "<U0", "fortran_order": False, "shape": (10**9, 10**9)})
    with pytest.raises(protocol.NotData):
        protocol.decode({"$array": base64.b64encode(header.getvalue()).decode()})
    assert "complex" in checks.difference(np.array([1 + 1j]), np.array([1.0]), 1e-6, 1e-9)
    assert "expected a number" in checks.difference(10**400, 1.0, 1e-6, 1e-9)


@KERNEL
def test_a_forged_result_counts_as_the_students_answer_and_hangs_nothing(student):
    """The first result is the answer (the kernel could return anything anyway); the real one after it
    is still answered, so the call ends instead of leaving the kernel waiting."""
    kernel = student("import json\ndef f(x):\n    input('nbcourse:result:' + json.dumps({'value': 7}))\n    return 1\n",
                     seconds=20)
    assert kernel.function("f")(0) == 7
    assert kernel.used < 5


def test_the_kernels_sockets_fit_under_a_deep_temporary_folder(monkeypatch, tmp_path):
    """ZMQ's ipc sockets are Unix sockets (107 bytes of path): under a deep TMPDIR (pytest-xdist's, a Dask
    worker's) the kernel's private folder goes to /tmp instead, and every socket path fits."""
    from nbcourse import unix_sockets

    deep = tmp_path / ("d" * 60) / ("e" * 40)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    assert unix_sockets.socket_parent() == "/tmp"
    folder = tempfile.mkdtemp(prefix="nbcourse-kernel-", dir=unix_sockets.socket_parent())
    try:
        assert len(os.fsencode(os.path.join(folder, "zmq-99"))) <= unix_sockets.UNIX_SOCKET_PATH
    finally:
        os.rmdir(folder)
    shallow = tempfile.mkdtemp(prefix="s", dir="/tmp")
    try:
        monkeypatch.setattr(tempfile, "tempdir", shallow)
        assert unix_sockets.socket_parent() == shallow, "a short TMPDIR is kept"
    finally:
        os.rmdir(shallow)


@pytest.mark.slow
def test_the_self_check_runs_under_a_deep_temporary_folder(monkeypatch, tmp_path):
    """The self-check's kernel talks over Unix sockets too: under a deep TMPDIR they go to /tmp."""
    from nbcourse.selfcheck import run_visible_tests

    deep = tmp_path / ("d" * 60) / ("e" * 40)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    notebook = deep / "02_forward_propagation.ipynb"
    shutil.copy(ROOT / "solutions" / "02_forward_propagation" / "02_forward_propagation.ipynb", notebook)
    results = run_visible_tests(notebook, timeout=60)
    assert results and all(r.passed for r in results), [r.message for r in results]
