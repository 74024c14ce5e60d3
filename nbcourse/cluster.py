"""Grading as Dask tasks: on a local cluster, or on Dask workers across machines.

Each submission is one task, :func:`grade_submission`. The coordinating machine (the one running
``nbcourse autograde``) holds the course directory and the gradebook; a task receives what its
submission needs, as plain data: the submitted files and the assignment's grading files
(nbgrader_config.py, schedule.toml, the hidden tests, the course secret, the
source's data files) with the course's settings. The worker lays them out as a scratch course,
grades it there with nbgrader in its own sandbox and the trusted grader (nbcourse/workers.py),
and returns the autograded folder; nbgrader writes the gradebook rows itself, into the course's
gradebook (so several machines need PostgreSQL). The coordinator puts the autograded folder in
place and records the status (nbcourse/cli.py): one place for everything.

A Dask worker lost mid-task (its machine stops, its process is killed) costs a retry on
another worker, which Dask's scheduler does by itself; the lost worker's grader dies with it.
The submission is recorded once, from the one result the coordinator receives.

Without ``--scheduler`` the cluster is local, in the coordinator's own process: one thread per
grader, each driving its grading process, so there is nothing to set up.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nbcourse.workers import Result, Worker

CONNECT_SECONDS = 5    # to reach a scheduler
WORKERS_SECONDS = 15   # for a scheduler without workers to gain one
LOST_SECONDS = 120     # with work left and no worker at all, grading stops after this long
SKIPPED = {".ipynb_checkpoints", "__pycache__"}


class ClusterError(RuntimeError):
    """The cluster cannot grade: no scheduler, no workers, or workers that cannot grade this course."""


@functools.cache
def code_digest() -> str:
    """The grader's code (nbcourse, nnlib, nbgrader's version) as this process first read it: a worker
    grading with other code would give other grades, so its tasks are refused."""
    import nbgrader

    import nbcourse
    import nnlib

    digest = hashlib.sha256(nbgrader.__version__.encode())
    for package in (nbcourse, nnlib):
        folder = Path(package.__file__).parent
        for path in sorted(folder.glob("*.py")):
            digest.update(f"{package.__name__}/{path.name}".encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _files(folder: Path, skip_notebooks: bool = False) -> dict[str, tuple[int, bytes]]:
    """{relative path: (mode, content)} of the regular files under ``folder``. Symbolic links are left
    behind: a link to the gradebook or to solutions/ must not travel with a submission."""
    found = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or SKIPPED & set(relative.parts):
            continue
        if skip_notebooks and path.suffix == ".ipynb":
            continue
        found[relative.as_posix()] = (path.stat().st_mode & 0o777, path.read_bytes())
    return found


@dataclass(frozen=True)
class CourseFiles:
    """What every submission of one assignment needs besides itself; sent to each worker once."""

    assignment: str
    files: dict[str, tuple[int, bytes]]  # relative to the course root
    assignments: tuple[str, ...]         # solutions/<each>/ exists, so schedule.toml reads as at home
    env: dict[str, str]                  # NNCOURSE_* settings, the gradebook's URL among them
    gradebook: tuple[str, int, int] | None  # (host, device, inode) of an SQLite gradebook
    digest: str
    timeout: float


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    files: dict[str, tuple[int, bytes]] = field(repr=False)


def course_files(root: Path, assignment: str, timeout: float) -> CourseFiles:
    from nbcourse.gradebook import gradebook_url
    from nbcourse.trusted import SECRET_FILE, course_secret

    course_secret(root / "hidden_tests")  # made here if it is new: every worker must draw the same cases
    files = {}
    for name in ("nbgrader_config.py", "schedule.toml", f"hidden_tests/{assignment}.py", f"hidden_tests/{SECRET_FILE}"):
        if (root / name).is_file():
            path = root / name
            files[name] = (path.stat().st_mode & 0o777, path.read_bytes())
    source = root / "solutions" / assignment
    files.update({f"solutions/{assignment}/{name}": data for name, data in _files(source, skip_notebooks=True).items()})
    url = gradebook_url(root)
    env = {k: v for k, v in os.environ.items() if k.startswith("NNCOURSE_")}
    env["NNCOURSE_DB_URL"] = url.render_as_string(hide_password=False)
    gradebook = sqlite_identity(url.database or "") if url.get_backend_name() == "sqlite" else None
    assignments = tuple(sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir()))
    return CourseFiles(assignment, files, assignments, env, gradebook, code_digest(), timeout)


def submission_files(root: Path, student: str, assignment: str) -> Submission:
    return Submission(student, assignment, _files(root / "submitted" / student / assignment))


def sqlite_identity(path: str) -> tuple[str, int, int] | None:
    """(host, device, inode) of an SQLite file: a worker elsewhere with a file at the same path has another."""
    if not os.path.isfile(path):
        return None
    stat = os.stat(path)
    return socket.gethostname(), stat.st_dev, stat.st_ino


# ---- on a worker ------------------------------------------------------------------------

def check_worker(env: dict[str, str], gradebook: tuple[str, int, int] | None, digest: str) -> str:
    """Why this worker cannot grade the course ("" when it can): other code, no sandbox, no gradebook."""
    if digest != code_digest():
        return ("it runs other grading code (nbcourse, nnlib or nbgrader) than the coordinating machine: install the "
                "course's environment at the same commit there (`make` in a checkout)")
    from sqlalchemy.engine import make_url

    from nbcourse import sandbox

    if env.get("NNCOURSE_SANDBOX", "on").lower() not in {"off", "0", "no", "false"}:
        try:
            sandbox.require()
        except sandbox.SandboxUnavailable as error:
            return str(error)
    url = env["NNCOURSE_DB_URL"]
    if url.startswith("sqlite"):
        if gradebook is None or sqlite_identity(make_url(url).database or "") != gradebook:
            return ("the gradebook is an SQLite file on the coordinating machine, which this worker cannot reach: "
                    "grade across machines with a PostgreSQL gradebook (NNCOURSE_DB_URL)")
        return ""
    try:
        import sqlalchemy

        engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 10}, poolclass=sqlalchemy.pool.NullPool)
        with engine.connect():
            pass
    except Exception as error:
        return f"it cannot reach the gradebook's database ({type(error).__name__}: {str(error).strip()[:300]})"
    return ""


def grader_key(env: dict[str, str], config: bytes) -> tuple:
    """What a grading process fixes when it starts: the settings and nbgrader_config.py (a change: a new one)."""
    return tuple(sorted(env.items())), config


class Grader:
    """One grading process and the scratch course it grades in (one per Dask worker thread)."""

    def __init__(self, env: dict[str, str], config: bytes):
        self.root = Path(tempfile.mkdtemp(prefix="nbcourse-grader-"))
        self.key = grader_key(env, config)
        self.env = env
        self.worker: Worker | None = None
        weakref.finalize(self, shutil.rmtree, str(self.root), True)

    def grade(self, course: CourseFiles, submission: Submission) -> dict:
        from nbgrader.utils import rmtree

        for name in ("submitted", "autograded", "hidden_tests", "solutions"):
            if (self.root / name).exists():
                rmtree(str(self.root / name))
        for name in course.assignments:
            (self.root / "solutions" / name).mkdir(parents=True, exist_ok=True)
        _write(self.root, course.files)
        _write(self.root / "submitted" / submission.student / submission.assignment, submission.files)
        if self.worker is None or not self.worker.alive:
            self.worker = Worker(self.root, self.env)
        answer = self.worker.grade(submission.assignment, submission.student, course.timeout)
        if answer is None:
            self.worker = None
            answer = {"success": False,
                      "log": f"the grading worker died or ran longer than {course.timeout:.0f} s on this submission"}
        elif not answer["success"] and not self.worker.alive:
            self.worker = None
        answer["files"] = _files(self.root / "autograded" / submission.student / submission.assignment)
        return answer

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        shutil.rmtree(self.root, ignore_errors=True)


def _write(folder: Path, files: dict[str, tuple[int, bytes]]) -> None:
    for name, (mode, data) in files.items():
        path = folder / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise ValueError(f"refusing to write {name!r} outside {folder}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode | 0o600)


_local = threading.local()
_graders: weakref.WeakSet = weakref.WeakSet()


def grade_submission(course: CourseFiles, submission: Submission) -> dict:
    """The task: grade one submission on this worker; {"success", "log", "files", "host"}."""
    host = socket.gethostname()
    checked = (course.digest, course.env["NNCOURSE_DB_URL"])
    if getattr(_local, "checked", None) != checked:  # once per thread: a worker may join after the start
        why = check_worker(course.env, course.gradebook, course.digest)
        if why:
            return {"success": False, "log": f"the grading worker on {host} cannot grade this course: {why}",
                    "files": {}, "host": host}
        _local.checked = checked
    config = course.files.get("nbgrader_config.py", (0, b""))[1]
    grader = getattr(_local, "grader", None)
    if grader is None or grader.key != grader_key(course.env, config):
        if grader is not None:
            grader.close()
        grader = _local.grader = Grader(course.env, config)
        _graders.add(grader)
    answer = grader.grade(course, submission)
    answer["host"] = host
    return answer


def close_graders() -> int:
    """Stop this process's grading processes and delete their scratch courses (run on every worker at the end)."""
    graders = list(_graders)
    for grader in graders:
        grader.close()
    return len(graders)


# ---- on the coordinating machine ---------------------------------------------------------

@contextmanager
def connect(scheduler: str | None, workers: int) -> Iterator:
    """A Dask client: to the scheduler at ``scheduler``, or to a local cluster of ``workers`` graders.
    :class:`ClusterError` says why a scheduler cannot be used, within seconds."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler is None:  # (Dask's scratch space in a folder of its own, removed afterwards)
        with tempfile.TemporaryDirectory(prefix="nbcourse-dask-") as scratch, \
                LocalCluster(n_workers=1, threads_per_worker=workers, processes=False, dashboard_address=None,
                             silence_logs=logging.ERROR, local_directory=scratch) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=f"{CONNECT_SECONDS}s")
    except Exception as error:
        raise ClusterError(
            f"no Dask scheduler answered at {scheduler} within {CONNECT_SECONDS} s ({type(error).__name__}: "
            f"{str(error).strip()[:300] or 'no answer'}). Start one with `dask scheduler` and workers with "
            f"`dask worker {scheduler}` (README: grading across machines)") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        except Exception:
            raise ClusterError(f"the Dask scheduler at {scheduler} has no workers (waited {WORKERS_SECONDS} s): start "
                               f"them with `dask worker {scheduler}` on each grading machine") from None
        yield client
    finally:
        client.close()


def check_workers(client, course: CourseFiles) -> dict[str, str]:
    """{worker address: why it cannot grade} over every worker the scheduler has now."""
    answers = client.run(check_worker, course.env, course.gradebook, course.digest)
    return {address: why for address, why in answers.items() if why}


def grade_on_cluster(client, root: Path, jobs: list[tuple[str, str]], courses: dict[str, CourseFiles],
                     ) -> Iterator[Result]:
    """Grade each (student, assignment) as a Dask task; yield results as they finish, each once, with the
    autograded folder already in place under ``root``. A few tasks per worker thread are in flight at a
    time (a class's files are not all held in memory at once)."""
    from distributed import as_completed

    queue = list(reversed(jobs))
    pending: dict = {}
    started: dict = {}
    unreadable: list[Result] = []

    def submit_more(done) -> None:
        capacity = 2 * max(1, sum(client.nthreads().values()))
        while queue and len(pending) < capacity:
            student, assignment = queue[-1]
            try:
                submission = submission_files(root, student, assignment)
            except OSError as error:  # a file that cannot be read: this submission only
                unreadable.append(Result(student, assignment, False, f"the submission could not be read: {error}", 0.0))
                queue.pop()
                continue
            # The assignment's files travel with each task (tens of kilobytes), not scattered once: data scattered
            # to a worker that is then lost is gone, and every task needing it would wait for ever.
            future = client.submit(grade_submission, courses[assignment], submission, pure=False,
                                   key=f"grade-{assignment}-{student}-{time.monotonic_ns()}")
            pending[future] = queue.pop()
            started[future] = time.perf_counter()
            done.add(future)

    done = as_completed([], with_results=False)
    lost_since = None
    while True:
        try:
            submit_more(done)
            yield from unreadable
            unreadable.clear()
            if not pending and not queue:
                return
            if not pending:
                continue
            finished = _next(done, 5.0)
            if finished is None:  # nothing finished for a while: is anyone still working?
                working = client.status == "running" and bool(client.nthreads())
                lost_since = None if working else lost_since or time.monotonic()
                if lost_since is not None and time.monotonic() - lost_since > LOST_SECONDS:
                    raise ClusterError(f"the Dask cluster has had no worker for {LOST_SECONDS} s")
                continue
        except Exception as error:  # the scheduler is gone, or has no worker left: the rest is not graded
            why = f"the grading worker failed: {error}" if isinstance(error, ClusterError) else (
                f"the grading worker failed: the Dask scheduler was lost ({type(error).__name__}: {error})")
            for future in pending:
                future.cancel()
            for student, assignment in [*pending.values(), *reversed(queue)]:
                yield Result(student, assignment, False, why + "; not graded", 0.0)
            return
        lost_since = None
        student, assignment = pending.pop(finished)
        seconds = round(time.perf_counter() - started.pop(finished), 2)
        try:
            answer = finished.result()
        except CancelledError as error:  # the scheduler was lost, and with it every task it held
            answer = {"success": False, "files": {}, "log": "the grading worker failed: the Dask scheduler was lost "
                      f"({type(error).__name__}: {str(error)[:500]}); not graded"}
        except Exception as error:  # KilledWorker: it died on every worker it met (it kills graders?)
            answer = {"success": False, "files": {},
                      "log": f"the grading worker failed: {type(error).__name__}: {str(error)[:500]}"}
        place(root, student, assignment, answer.get("files", {}))
        yield Result(student, assignment, bool(answer["success"]), answer["log"], seconds)


def _next(done, timeout: float):
    """The next finished future of ``done``, or None after ``timeout`` seconds without one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done.has_ready():
            return next(done)
        time.sleep(0.05)
    return None


def place(root: Path, student: str, assignment: str, files: dict[str, tuple[int, bytes]]) -> None:
    """The autograded folder a worker returned, in place of the old one (nbgrader's --force does the same)."""
    from nbgrader.utils import rmtree

    folder = root / "autograded" / student / assignment
    if folder.exists():
        rmtree(str(folder))
    _write(folder, files)
    for name, (mode, _) in files.items():  # as nbgrader left them (read-only)
        (folder / name).chmod(mode)
