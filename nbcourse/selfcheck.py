"""The student's self-check: run a notebook's visible tests in a fresh kernel, one line per part.

Each part of an exercise has a check cell (``<part>_check``: the visible tests, not graded)
and a graded cell (``<part>_test``), whose hidden tests run in the grader, outside the notebook.

``nbgrader validate`` exits 0 even when tests fail; this exits 1 when any part fails,
so it works in a terminal, a script, and (through :func:`check_notebook`) a notebook cell:

    python -m nbcourse check exercises/02_forward_propagation/02_forward_propagation.ipynb
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from nbcourse.preprocessors import ANSI, is_test_cell
from nbcourse.unix_sockets import socket_parent

SOCKET_LEAF = "/nbcourse-check-XXXXXXXX/kernel-99"  # the longest socket path under the temporary folder

SELF_CHECK_ENV = "NNCOURSE_SELFCHECK"


@dataclass
class PartResult:
    grade_id: str
    points: float
    passed: bool
    message: str


class NotebookError(ValueError):
    """The file is not a notebook this tool can check."""


def _error_message(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            value = ANSI.sub("", str(output.get("evalue", ""))).strip()
            return f"{output.get('ename', 'Error')}: {value}" if value else output.get("ename", "Error")
    return None


def run_visible_tests(path: str | Path, timeout: int = 120) -> list[PartResult]:
    """Execute a copy of the notebook and report each graded test cell."""
    path = Path(path)
    if not path.is_file():
        raise NotebookError(f"no notebook at {path}")
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:
        raise NotebookError(f"{path} is not a valid notebook: {error}") from None
    points = {cell.metadata["nbgrader"].get("grade_id", "").removesuffix("_test"):
              float(cell.metadata["nbgrader"].get("points", 0)) for cell in notebook.cells if is_test_cell(cell)}
    checks = [cell for cell in notebook.cells
              if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").endswith("_check")]
    if not checks:
        raise NotebookError(f"{path} has no check cells: is it an exercise notebook?")
    env_before = os.environ.get(SELF_CHECK_ENV)
    os.environ[SELF_CHECK_ENV] = "1"  # the kernel inherits it: the notebook's own check cell skips
    try:
        # Unix sockets, not TCP: the kernel then has nothing to warn about on start-up
        # (under /tmp when TMPDIR is too deep for a socket's path: nbcourse/unix_sockets.py)
        with tempfile.TemporaryDirectory(prefix="nbcourse-check-", dir=socket_parent(SOCKET_LEAF)) as sockets:
            manager = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
            client = NotebookClient(notebook, km=manager, timeout=timeout, kernel_name="python3", allow_errors=True,
                                    resources={"metadata": {"path": str(path.parent.resolve())}})
            client.execute(stderr=subprocess.DEVNULL)  # the kernel's own start-up and shutdown lines
    finally:
        if env_before is None:
            os.environ.pop(SELF_CHECK_ENV, None)
        else:
            os.environ[SELF_CHECK_ENV] = env_before
    results = []
    where = chapter_pointer(notebook, path)
    for cell in checks:
        part = cell.metadata["nbgrader"]["grade_id"].removesuffix("_check")
        message = _error_message(cell)
        if message is not None and where:
            message = f"{message} ({where})"
        results.append(PartResult(part, points.get(part, 0.0), message is None, message or "visible tests pass"))
    return results


CHAPTER = re.compile(r"goes with the chapter \*([^*]+)\*")


def chapter_pointer(notebook, path: Path) -> str:
    """"see the chapter 'X': <address>", as the feedback links it (the book's address as there), or ""."""
    from nbcourse.book import book_address, find, read_book

    intro = next((c.source for c in notebook.cells if c.cell_type == "markdown"), "")
    match = CHAPTER.search(intro)
    if not match:
        return ""
    title = match.group(1)
    for folder in (path.resolve().parent, *path.resolve().parents):
        if (folder / "book").is_dir():
            chapter = find(read_book(folder), title)
            if chapter is not None:
                return f"see the chapter '{title}': {book_address(folder)}{chapter.page}"
    return f"see the chapter '{title}'"


def summary(results: list[PartResult]) -> str:
    lines = []
    for r in results:
        status = "pass" if r.passed else "FAIL"
        message = re.sub(r"\s+", " ", r.message)
        lines.append(f"{status}  {r.grade_id} ({r.points:g} points): {message}")
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def check_notebook(path: str | Path) -> list[PartResult] | None:
    """For the notebook's last cell: print the summary and raise if any part fails.

    Does nothing while the notebook is itself being checked or graded.
    """
    if os.environ.get(SELF_CHECK_ENV) or os.environ.get("NBGRADER_EXECUTION"):
        print("(self-check skipped while the notebook is being checked or graded)")
        return None
    results = run_visible_tests(path)
    print(summary(results))
    failed = [r.grade_id for r in results if not r.passed]
    if failed:
        raise AssertionError(f"{len(failed)} of {len(results)} parts fail their visible tests: {', '.join(failed)}")
    return results


def main(notebook: str) -> int:
    """``python -m nbcourse check NOTEBOOK``: one line per part; exit 0 if every part passes, 1 if one
    fails, 2 if the notebook cannot be checked (with the reason)."""
    try:
        results = run_visible_tests(notebook)
    except NotebookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(results))
    return 0 if all(r.passed for r in results) else 1
