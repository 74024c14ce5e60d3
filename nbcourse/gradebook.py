"""The gradebook: where it is, and what must be in it before nbgrader can grade into it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from nbcourse.status import STATUS_DIR

DEFAULT_DB_URL = "sqlite:///gradebook.db"  # as in nbgrader_config.py


def gradebook_url(root: Path) -> URL:
    """The gradebook's URL as nbgrader_config.py sets it, a relative SQLite path taken from ``root``."""
    url = make_url(os.environ.get("NNCOURSE_DB_URL", DEFAULT_DB_URL))
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        url = url.set(database=str((root / database).resolve()))
    return url


def nbgrader(root: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course directory and capture what it says.

    The environment's bin folder goes first on PATH: nbgrader runs ``alembic`` from there.
    """
    bin_folder = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_folder + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True,
                          text=True, timeout=timeout, env=env)


def log_tail(result: subprocess.CompletedProcess, lines: int = 30) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def source_hash(root: Path, name: str) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "solutions" / name).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def ensure_in_gradebook(root: Path, names: list[str]) -> None:
    """nbgrader autograde needs each assignment's cells in the gradebook; generate_assignment puts them there.

    Skipped when this machine already did it for the same solutions/ and gradebook.
    """
    db = gradebook_url(root).render_as_string(hide_password=False)
    for name in names:
        stamp = root / STATUS_DIR / name / ".released"
        current = f"{source_hash(root, name)} {hashlib.sha256(db.encode()).hexdigest()}"
        if stamp.is_file() and stamp.read_text() == current and in_gradebook(root, name):
            continue
        for attempt in range(3):  # another machine may be releasing it into a shared gradebook right now
            result = nbgrader(root, "generate_assignment", name, "--force")
            if result.returncode == 0:
                break
            time.sleep(2 * (attempt + 1))
        else:
            raise SystemExit(f"could not prepare {name} in the gradebook:\n{log_tail(result)}")
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current)


def register_students(root: Path, students: list[str]) -> None:
    """Put every student in the gradebook before the workers start: nbgrader creates a missing
    student by reading then inserting, so two workers starting on one new student's two
    assignments both insert, and one fails (UNIQUE constraint failed: student.id)."""
    from nbgrader.api import Gradebook, InvalidEntry

    with Gradebook(gradebook_url(root).render_as_string(hide_password=False), course_id="") as gradebook:
        known = {student.id for student in gradebook.students}
        for student in students:
            if student not in known:
                try:
                    gradebook.add_student(student)
                except InvalidEntry:  # another machine added it a moment ago (nbgrader has rolled back)
                    pass


def in_gradebook(root: Path, name: str) -> bool:
    """Does the gradebook know the assignment (it may have been deleted since the last release)?"""
    from nbgrader.api import Gradebook, MissingEntry

    url = gradebook_url(root)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return False
    with Gradebook(url.render_as_string(hide_password=False), course_id="") as gradebook:
        try:
            return bool(gradebook.find_assignment(name).notebooks)
        except MissingEntry:
            return False


