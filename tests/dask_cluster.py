"""A real Dask cluster on 127.0.0.1 for the grading tests and benchmarks: `dask scheduler` and
`dask worker ADDRESS` processes, as an instructor starts them (README: grading across machines).

Each worker gets a folder of its own as TMPDIR, so a test can tell which worker's grader is at
work (its scratch course is there). Everything is stopped afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DASK = str(Path(sys.executable).with_name("dask"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def kill_worker(self, index: int) -> None:
        """SIGKILL worker ``index`` (its nanny and its worker process) and nothing else: what it started
        must go by itself, as on a machine that was switched off."""
        import psutil

        nanny = psutil.Process(self.workers[index].pid)
        for process in [nanny, *(c for c in nanny.children() if "python" in c.name().lower())]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        self.workers[index].wait(10)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(5)


@contextmanager
def cluster(folder: Path, workers: int, env: dict[str, str] | None = None, timeout: float = 60) -> Iterator[Cluster]:
    """A scheduler and ``workers`` one-thread workers, connected, for the duration of the block."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=open(logs / "scheduler.log", "w"),
                                 env=environment, start_new_session=True)
    running = Cluster(address, scheduler)
    try:
        for number in range(workers):
            tmp = folder / f"worker{number}"
            tmp.mkdir(exist_ok=True)
            running.folders.append(tmp)
            running.workers.append(subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-dashboard", "--name", f"worker{number}",
                 "--local-directory", str(tmp)],
                stdout=subprocess.DEVNULL, stderr=open(logs / f"worker{number}.log", "w"),
                env={**environment, "TMPDIR": str(tmp)}, start_new_session=True))
        _wait_for(address, workers, timeout, logs)
        yield running
    finally:
        for process in [*running.workers, scheduler]:
            _stop(process)


def _wait_for(address: str, workers: int, timeout: float, logs: Path) -> None:
    from distributed import Client

    deadline = time.monotonic() + timeout
    while True:
        try:
            with Client(address, timeout="5s") as client:
                if workers:
                    client.wait_for_workers(workers, timeout=max(1.0, deadline - time.monotonic()))
                return
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                said = "\n".join(p.read_text()[-2000:] for p in sorted(logs.glob("*.log")))
                raise RuntimeError(f"the Dask cluster at {address} did not start with {workers} worker(s):\n{said}") \
                    from None
            time.sleep(0.5)


def graders_in(folder: Path) -> list:
    """The processes working in ``folder`` (a worker's TMPDIR): its graders and their kernels."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if process.cwd().startswith(str(folder)):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found
