"""One grading process: nbgrader's API kept warm, grading one submission per request.

A :class:`Worker` is a long-lived Python process that loads the course's nbgrader configuration
once and then grades one submission per request with ``NbGraderAPI.autograde`` (nbgrader's
own code, the same as ``nbgrader autograde --student S``), so a submission costs its
kernel's time, not a fresh nbgrader start-up. nbcourse/cluster.py runs one per Dask worker
thread, on a scratch course that holds the one submission it grades.

A worker that dies or hangs (nbgrader itself running out of memory, say) is killed by its
owner, and the submission gets a failed result with the reason. It dies with its owner too
(it watches its parent), so a Dask worker killed mid-task leaves no grader behind writing into
the gradebook. The gradebook takes concurrent writers: a write that meets SQLite's lock
(``database is locked``) is retried; PostgreSQL handles concurrent sessions itself.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

# Errors of concurrent writers, worth a retry: SQLite's lock, PostgreSQL's conflicts, and a row another
# worker inserted first (nbgrader reads, then inserts).
LOCKED = ("database is locked", "could not obtain lock", "deadlock detected", "could not serialize access",
          "UNIQUE constraint failed", "duplicate key value violates unique constraint")
RETRIES = 8


@dataclass
class Result:
    student: str
    assignment: str
    success: bool
    log: str
    seconds: float


def _api(root: str):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    config.CourseDirectory.root = root
    return NbGraderAPI(config=config)


def _watch_parent(parent: int) -> None:
    """End this process (and with it the kernel, started with bwrap's --die-with-parent) once its
    parent is gone: a lost Dask worker must not leave a grader writing into the gradebook."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _serve(root: str, parent: int, connection) -> None:
    """The worker's loop: receive (assignment, student), autograde it, send back what happened."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    os.chdir(root)
    try:
        api, broken = _api(root), ""
    except Exception:  # a broken nbgrader_config.py: say so for every submission, do not just die
        api, broken = None, "the grading worker could not load nbgrader_config.py:\n" + traceback.format_exc()
    while True:
        job = connection.recv()
        if job is None:
            return
        if api is None:
            connection.send({"success": False, "log": broken})
            continue
        assignment, student = job
        for attempt in range(RETRIES):
            outcome = api.autograde(assignment, student, force=True, create=True)
            log = (outcome.get("log") or "") + (outcome.get("error") or "")
            # (a cell's own failure quotes the cell, which may say anything: never retried)
            student_failure = any(s in log for s in ("CellTimeoutError", "DeadKernelError", "CellExecutionError"))
            if outcome.get("success") or student_failure or not any(s in log for s in LOCKED):
                break
            time.sleep(random.uniform(0.2, 1.0) * (attempt + 1))
        connection.send({"success": bool(outcome.get("success")), "log": log})


class Worker:
    """One grading process and the socket to it.

    A plain ``python -m nbcourse.workers`` child, not a multiprocessing one: a Dask worker under its
    nanny is a daemonic process, which multiprocessing forbids to have children.
    """

    def __init__(self, root: Path, env: dict[str, str] | None = None):
        ours, theirs = socket.socketpair()
        with theirs:
            # nbgrader's console log and the kernels' start-up chatter go nowhere; the log comes back in answers.
            # env: the course's settings (NNCOURSE_*, the gradebook's URL), read by nbgrader_config.py
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nbcourse.workers", str(root), str(theirs.fileno()), str(os.getpid())],
                pass_fds=[theirs.fileno()], env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.connection = Connection(ours.detach())

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def grade(self, assignment: str, student: str, timeout: float) -> dict | None:
        """What nbgrader said, or None when the worker died or ran past ``timeout`` (it is then killed)."""
        try:
            self.connection.send((assignment, student))
            if self.connection.poll(timeout):
                return self.connection.recv()
        except (EOFError, OSError, BrokenPipeError):
            pass
        self.kill()
        return None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.connection.close()

    def close(self) -> None:
        try:
            self.connection.send(None)
        except (OSError, BrokenPipeError):
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.connection.close()


def default_workers() -> int:
    """One more grader than cores (the local cluster's size).

    A submission keeps about 0.8 of a core busy (measured with one worker: the grader waits for
    the kernel, the kernel for the grader, and both for kernel start-up), so one worker per core
    leaves the cores idle part of the time; a spare worker fills those gaps.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1


if __name__ == "__main__":  # python -m nbcourse.workers ROOT FD PARENT: one grading process (Worker starts it)
    _serve(sys.argv[1], int(sys.argv[3]), Connection(int(sys.argv[2])))
