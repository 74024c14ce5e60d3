"""The grader judges, the kernel computes: nbgrader's execution step with hidden tests outside the kernel.

:class:`TrustedExecute` takes the place of nbgrader's ``Execute`` in the autograde pipeline
(nbgrader_config.py). It starts the student's kernel in the sandbox (nbcourse/sandbox.py) and
goes through the notebook:

* the exercise's set-up cells and the student's own cells run in the kernel, as nbgrader runs
  them (with a time budget for all of them together, set by the exercise);
* the visible check cells (``<part>_check``) and the self-check (``selfcheck``) do not run: they
  are for the student, and they would only cost time;
* a graded test cell is never run in the kernel, whatever its source says. Its part's check,
  from ``hidden_tests/<assignment>.py``, runs here, in the grader's process: it sends inputs
  into the kernel as plain data, gets plain data back (nbcourse/harness.py), compares it with
  nnlib's reference, and writes the verdict into the cell's outputs: a line when it passes, an
  error naming the mistake when it fails. nbgrader's own SaveAutoGrades then scores the cell
  (an error output scores 0), so the gradebook, feedback and export work as before.

Each part's cases come from a generator seeded with the course secret, the assignment, the
student and the part (:func:`seed`): a regrade draws the same cases, another student other ones.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import os
import secrets
import time
import types
from pathlib import Path

import numpy as np
from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from traitlets import Unicode

from nbcourse.checks import CheckFailed, Student, StudentError
from nbcourse.harness import KernelChannel, KernelGone, PartTimeout
from nbcourse.sandbox import DEFAULT_PACKAGES, SandboxedExecute

NOTEBOOK_SECONDS = 120.0   # default budget for all the non-test cells of one notebook
NOT_GRADED = "This part could not be graded"  # starts the verdict of a part whose grade was not computed
SECRET_FILE = ".secret"    # in hidden_tests/, git-ignored, created on first use
# The graded cell's metadata key holding its verdict as data ({"passed", "graded", "mistake"}): the
# report counts the named mistakes from it instead of parsing the text written for the student.
VERDICT_METADATA = "nbcourse_verdict"


def cell_role(cell) -> str:
    """"test" (graded in the grader), "skip" (a visible check: not run when grading) or "run"."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code":
        return "other"
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    grade_id = str(meta.get("grade_id", ""))
    if meta.get("locked") and not meta.get("solution") and (grade_id.endswith("_check") or grade_id == "selfcheck"):
        return "skip"
    return "run"


def load_hidden_tests(folder: Path, assignment: str) -> types.ModuleType:
    """``folder/<assignment>.py``, imported afresh (an edited test is used at once)."""
    path = Path(folder) / f"{assignment}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no hidden tests for {assignment}: {path} is missing")
    spec = importlib.util.spec_from_file_location(f"hidden_tests_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tests_digest(folder: Path, assignment: str) -> str:
    """A fingerprint of an assignment's hidden tests, kept with each grade (a changed test shows)."""
    return hashlib.sha256((Path(folder) / f"{assignment}.py").read_bytes()).hexdigest()[:16]


def course_secret(folder: Path) -> bytes:
    """NNCOURSE_SECRET, or ``hidden_tests/.secret`` (made on first use, readable by its owner only)."""
    if os.environ.get("NNCOURSE_SECRET"):
        return os.environ["NNCOURSE_SECRET"].encode()
    path = Path(folder) / SECRET_FILE
    if not path.is_file():  # written whole, then linked into place: a reader never sees half a secret
        scratch = path.with_name(f"{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(scratch, path)
        except FileExistsError:  # another worker made it a moment ago
            pass
        finally:
            scratch.unlink()
    secret = path.read_text().strip().encode()
    if len(secret) < 16:
        raise ValueError(f"{path} holds no usable secret (16 characters at least): delete it to make a new one")
    return secret


def seed(secret: bytes, assignment: str, student: str, grade_id: str) -> int:
    """The seed of one student's cases for one part: secret, so another student's are worth nothing."""
    message = "\0".join((assignment, student, grade_id)).encode()
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "little")


def job_seconds(folder: Path, assignment: str, cell_timeout: float) -> float:
    """The longest one notebook of the assignment may take to grade: its cells' budget and each part's."""
    try:
        module = load_hidden_tests(folder, assignment)
    except Exception:
        return NOTEBOOK_SECONDS + 10 * cell_timeout
    parts = sum(part.seconds or cell_timeout for part in module.PARTS)
    return float(getattr(module, "NOTEBOOK_SECONDS", NOTEBOOK_SECONDS)) + parts


def verdict_outputs(passed: bool, message: str) -> list[NotebookNode]:
    if passed:
        return [NotebookNode(output_type="stream", name="stdout", text=message.rstrip("\n") + "\n")]
    return [NotebookNode(output_type="error", ename="CheckFailed", evalue=message,
                         traceback=[f"CheckFailed: {message}"])]


class SyncClient:
    """An asynchronous kernel client (nbclient's), used from synchronous code by KernelChannel."""

    def __init__(self, client):
        self.client = client

    def execute(self, *args, **kwargs) -> str:
        return self.client.execute(*args, **kwargs)

    def input(self, text: str) -> None:
        self.client.input(text)

    def get_stdin_msg(self, timeout: float) -> dict:
        return run_sync(self.client.get_stdin_msg)(timeout=timeout)

    def get_shell_msg(self, timeout: float) -> dict:
        return run_sync(self.client.get_shell_msg)(timeout=timeout)

    def get_iopub_msg(self, timeout: float) -> dict:
        return run_sync(self.client.get_iopub_msg)(timeout=timeout)


class TrustedExecute(SandboxedExecute):
    """nbgrader's execution step, with each graded part checked in this process (see the module)."""

    hidden_tests = Unicode("hidden_tests", help="the folder of hidden-test modules").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._configured_timeout = self.timeout or 60  # each cell's limit; capped by the notebook's budget

    def preprocess(self, nb, resources=None, km=None):
        info = (resources or {}).get("nbgrader", {})
        assignment, student = info.get("assignment", ""), info.get("student", "")
        self._channel = None
        self._spent = 0.0
        self._verdicts: dict[str, tuple[bool, str]] = {}
        self._load_error = ""
        try:
            self._module = load_hidden_tests(Path(self.hidden_tests), assignment)
            self._parts = {part.grade_id: part for part in self._module.PARTS}
            self._secret = course_secret(Path(self.hidden_tests))
        except Exception as error:  # every part then says why it could not be graded
            self._module, self._parts, self._secret = None, {}, b""
            self._load_error = f"the hidden tests of {assignment} could not be loaded ({type(error).__name__}: {error})"
        self._assignment, self._student = assignment, student
        self._budget = float(getattr(self._module, "NOTEBOOK_SECONDS", NOTEBOOK_SECONDS))
        nb, resources = super().preprocess(nb, resources, km)
        resources.setdefault("nbcourse", {})["verdicts"] = dict(self._verdicts)
        return nb, resources

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if self._module is not None:  # the kernel imports only what the exercise needs
            km.packages = tuple(getattr(self._module, "KERNEL_PACKAGES", DEFAULT_PACKAGES))
        return km

    def preprocess_cell(self, cell, resources, index):
        role = cell_role(cell)
        if role == "skip":
            cell.outputs, cell.execution_count = [], None
            return cell, resources
        if role == "test":
            cell.outputs, cell.execution_count = self._grade(cell), None
            return cell, resources
        if role == "run":
            remaining = self._budget - self._spent
            if remaining <= 0:
                cell.outputs = [NotebookNode(
                    output_type="stream", name="stdout",
                    text=f"[not run: the notebook's cells may take {self._budget:.0f} s in all when graded, "
                         "and that time is used up]\n")]
                return cell, resources
            self.timeout = int(max(1, min(self._configured_timeout, remaining)))
            start = time.monotonic()
            try:
                return super().preprocess_cell(cell, resources, index)
            finally:
                self._spent += time.monotonic() - start
        return cell, resources

    def _connect(self) -> KernelChannel:
        if self._channel is None:
            # nbclient's own client, connected since the kernel started: a client made now could send its
            # first request before its stdin socket is connected, and the kernel drops an input request
            # to a socket it does not know yet (the call would then wait for ever).
            self._channel = KernelChannel(SyncClient(self.kc), interrupt=run_sync(self.km.interrupt_kernel),
                                          is_alive=run_sync(self.km.is_alive))
        return self._channel

    def _grade(self, cell) -> list[NotebookNode]:
        grade_id = cell.metadata["nbgrader"].get("grade_id", "")
        part = self._parts.get(grade_id)
        if part is None:
            why = self._load_error or f"no hidden test is defined for the graded cell {grade_id!r}"
            self._verdicts[grade_id] = (False, why)
            cell.metadata[VERDICT_METADATA] = {"passed": False, "graded": False, "mistake": None}
            return verdict_outputs(False, f"{NOT_GRADED}: {why}. The instructor has been told.")
        seconds = part.seconds or self._configured_timeout
        rng = np.random.default_rng(seed(self._secret, self._assignment, self._student, grade_id))
        mistake, computed = None, True
        try:
            shown = part.check(Student(self._connect(), seconds), rng)
            passed, message = True, shown or "Passed: your function agrees with the reference on every hidden case."
        except CheckFailed as failure:
            passed, message, mistake = False, str(failure), getattr(failure, "mistake", None)
        except StudentError as error:  # a check that called the student's code itself
            passed, message = False, error.describe("your code")
        except PartTimeout as error:
            passed, message = False, f"This part was stopped: {error}."
        except KernelGone as error:
            self._verdicts[grade_id] = (False, str(error))
            raise DeadKernelError(str(error)) from None
        except Exception as error:  # the grader's own bug: say so, do not blame the student
            computed = False
            passed, message = False, (f"{NOT_GRADED}: the hidden test failed "
                                      f"({type(error).__name__}: {error}). The instructor has been told.")
        finally:
            self.kill_strays()
        self._verdicts[grade_id] = (passed, message)
        cell.metadata[VERDICT_METADATA] = {"passed": passed, "graded": computed, "mistake": mistake}
        return verdict_outputs(passed, message)


def grade_notebook(root: Path, assignment: str, notebook: NotebookNode, student: str,
                   workdir: Path | None = None) -> tuple[dict[str, tuple[bool, str]], NotebookNode]:
    """Grade one notebook as autograde does, outside nbgrader's gradebook: ({grade_id: (passed,
    message)}, the executed notebook). Used for the preflight and by the tests."""
    import tempfile

    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    executor = TrustedExecute(config=config)
    executor.hidden_tests = str(Path(root) / "hidden_tests")
    with tempfile.TemporaryDirectory(prefix="nbcourse-grade-") as scratch:
        resources = {"metadata": {"path": str(workdir or scratch)},
                     "nbgrader": {"assignment": assignment, "student": student}}
        notebook, resources = executor.preprocess(notebook, resources)
    return resources["nbcourse"]["verdicts"], notebook
