"""Which submissions ``nbcourse autograde`` grades: the new and the changed ones, by content.

A submission is graded again when what it was graded from has changed since: its files (their
content hash, not their timestamps: a copy or an LMS download rewrites every timestamp), the
hidden tests (``nbcourse.trusted.tests_digest``), or the release it was graded against
(``nbcourse.gradebook.source_hash``); when its grade is lost (missing from the gradebook or from
``autograded/``); or when its last grading failed for a reason that is not the student's (a grading
worker that died, a result that could not be recorded, a part whose check could not run). Everything
else is skipped and counted; ``--force`` grades everything.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nbcourse.status import Status

# Why a submission is graded again, in the order they are checked, and how the count is said.
WHY = {
    "new": "new",
    "changed": "changed since they were graded",
    "tests": "graded against older hidden tests (hidden_tests/ changed since)",
    "release": "graded against an older release (solutions/ changed since)",
    "lost": "missing from the gradebook or from autograded/",
    "retry": "failed last time for a reason outside the student's control",
    "forced": "--force",
}

# A failed grading the student did not cause: tried again on the next autograde.
# (the reasons cli.REASONS and cli.autograde write: a worker that died or hung, a result not recorded,
# a failure nbgrader's log does not explain)
NOT_THE_STUDENTS = re.compile(
    r"stopped the grader's own process|recording the result failed|the instructor has the details"
    r"|the next autograde grades it|could not be read on the grading machine", re.I)


def submission_hash(folder: Path) -> str:
    """The content of every file in a submission folder (names included; a link by where it points).

    Every file, not only the notebooks and timestamp.txt: a notebook may read a data file beside it.
    """
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder)).encode()
        if path.is_symlink():
            digest.update(b"L" + name + b"\0" + str(path.readlink()).encode() + b"\0")
        elif path.is_file():
            digest.update(b"F" + name + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def unexpected_notebooks(folder: Path, expected: list[str]) -> list[str]:
    """Notebooks in a submission folder that nbgrader will not grade (a second copy, a renamed one)."""
    if not folder.is_dir():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and str(p.relative_to(folder)) not in expected)


def needs_retry(status: Status) -> bool:
    """Did this grading fail for a reason the student did not cause?"""
    return bool(status.ungraded_parts) if status.graded else bool(NOT_THE_STUDENTS.search(status.reason))


def students_in_gradebook(url: str, names: list[str]) -> dict[str, set[str]]:
    """{assignment: the students with a submission of it in the gradebook}."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy import create_engine, inspect

    found: dict[str, set[str]] = {name: set() for name in names}
    engine = create_engine(url)
    try:  # a gradebook not set up yet holds nothing (and is set up later, by the release, not here)
        if "submitted_assignment" not in inspect(engine).get_table_names():
            return found
    finally:
        engine.dispose()
    with Gradebook(url, course_id="") as gradebook:
        for name in names:
            try:
                found[name] = {s.student_id for s in gradebook.find_assignment(name).submissions}
            except MissingEntry:
                pass
    return found


@dataclass
class Plan:
    todo: list[tuple[str, str]] = field(default_factory=list)         # (student, assignment) to grade
    hashes: dict[tuple[str, str], str] = field(default_factory=dict)  # their submission hashes, before grading
    why: Counter = field(default_factory=Counter)                     # WHY key -> how many
    unchanged: int = 0

    def said(self) -> str:
        """"2 new, 1 graded against older hidden tests (...)": what is graded and why."""
        return ", ".join(f"{n} {WHY[key]}" for key, n in self.why.items())


def plan(root: Path, found: list[tuple[str, str]], statuses: dict[tuple[str, str], Status],
         tests: dict[str, str], releases: dict[str, str], graded: dict[str, set[str]], force: bool) -> Plan:
    """Decide which of ``found`` to grade. ``tests`` and ``releases`` are each assignment's current
    fingerprints, ``graded`` the students each assignment has in the gradebook."""
    result = Plan()
    for student, assignment in found:
        key = (student, assignment)
        result.hashes[key] = submission_hash(root / "submitted" / student / assignment)
        status = statuses.get(key)
        if force:
            why = "forced"
        elif status is None:
            why = "new"
        elif needs_retry(status) or status.retry:
            why = "retry"
        elif status.submission != result.hashes[key]:  # "" in a record older than the hash: changed
            why = "changed"
        elif status.tests != tests[assignment]:
            why = "tests"
        elif status.release != releases[assignment]:
            why = "release"
        elif status.graded and (student not in graded[assignment]
                                or not (root / "autograded" / student / assignment).is_dir()):
            why = "lost"
        else:
            result.unchanged += 1
            continue
        result.why[why] += 1
        result.todo.append(key)
    return result
