"""Autograde several submissions at once: a pool of worker processes, each running nbgrader's API.

Each worker is a long-lived Python process that loads the course's nbgrader configuration
once and then grades one submission per request with ``NbGraderAPI.autograde`` (nbgrader's
own code, the same as ``nbgrader autograde --student S``), so a submission costs its
kernel's time, not a fresh nbgrader start-up. The pool hands out one submission at a time
to whichever worker is free.

A worker that dies or hangs (nbgrader itself running out of memory, say) is killed and
replaced; its submission gets a failed result with the reason, and the rest goes on. The
gradebook takes concurrent writers: a write that meets SQLite's lock (``database is
locked``) is retried; PostgreSQL handles concurrent sessions itself.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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


def _serve(root: str, connection) -> None:
    """The worker's loop: receive (assignment, student), autograde it, send back what happened."""
    os.chdir(root)
    try:
        api, broken = _api(root), ""
    except Exception:  # a broken nbgrader_config.py: say so for every submission, do not just die
        api, broken = None, "the grading worker could not load nbgrader_config.py:\n" + traceback.format_exc()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nbgrader's console log and the kernels' start-up chatter; the log is captured
    os.dup2(devnull, 2)
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
    """One worker process and the pipe to it."""

    def __init__(self, root: Path):
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(str(root), child), daemon=True)
        self.process.start()
        child.close()

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
        self.process.join(5)
        self.connection.close()

    def close(self) -> None:
        try:
            self.connection.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.process.join(10)
        if self.process.is_alive():
            self.kill()


def default_workers() -> int:
    """One more worker than cores.

    A submission keeps about 0.8 of a core busy (measured with one worker: the grader waits for
    the kernel, the kernel for the grader, and both for kernel start-up), so one worker per core
    leaves the cores idle part of the time; a spare worker fills those gaps.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1


def grade_all(root: Path, jobs: Iterable[tuple[str, str]], workers: int, timeout: float) -> Iterator[Result]:
    """Autograde each (student, assignment) with ``workers`` processes; yield results as they finish.

    Every job yields exactly one result, whatever happens to the workers.
    """
    todo: queue.Queue = queue.Queue()
    for job in jobs:
        todo.put(job)
    done: queue.Queue = queue.Queue()
    count = todo.qsize()

    def grade(worker: Worker | None, student: str, assignment: str) -> tuple[Worker | None, dict]:
        try:
            worker = worker or Worker(root)
            answer = worker.grade(assignment, student, timeout)
        except Exception as error:  # the pool itself failed (no memory to start a worker, say)
            answer = {"success": False, "log": f"the grading worker failed: {error!r}"}
        if answer is None:
            answer = {"success": False,
                      "log": f"the grading worker died or ran longer than {timeout:.0f} s on this submission"}
        if not answer["success"] and worker is not None and not worker.process.is_alive():
            worker = None  # started again for the next submission
        return worker, answer

    def run() -> None:
        worker = None
        try:
            while True:
                try:
                    student, assignment = todo.get_nowait()
                except queue.Empty:
                    return
                start = time.perf_counter()
                worker, answer = grade(worker, student, assignment)
                done.put(Result(student, assignment, answer["success"], answer["log"],
                                round(time.perf_counter() - start, 2)))
        finally:
            if worker is not None:
                worker.close()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(max(1, min(workers, count)))]
    for thread in threads:
        thread.start()
    for _ in range(count):
        yield done.get()
    for thread in threads:
        thread.join()
