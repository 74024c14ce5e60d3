"""Release an assignment so that a release that fails changes nothing.

``nbgrader generate_assignment`` writes the student version into ``exercises/<name>/`` and the
assignment's cells into the gradebook as it goes: when it refuses (nbgrader's rule: no cell may be
added to or removed from an assignment that has submissions in the gradebook), it has already deleted
``exercises/<name>/`` and may have changed part of the gradebook. Here each release runs nbgrader
itself, in three steps:

1. a **dry run** in a scratch course (the configuration and ``solutions/<name>/`` copied into
   ``grading/.release-*``) against a scratch gradebook holding what nbgrader's rule looks at: a copy
   of the SQLite file, or, for any other database (PostgreSQL), the assignment's notebooks, cells
   and whether it has submissions, copied through nbgrader's own API into a scratch SQLite file
   (only for an assignment with submissions: without, the rule cannot refuse, and nbgrader checks
   a notebook's cell metadata before it writes its cells);
2. if nbgrader accepts, the **real run**, still in the scratch course (so ``exercises/`` is not
   touched yet) but against the real gradebook, which nbgrader updates itself;
3. the new ``exercises/<name>/`` replaces the old one by a rename.

A refusal stops at step 1: ``exercises/<name>/`` and the gradebook stay as they were. The limit: on a
shared gradebook, another grader changing the same assignment between steps 1 and 2 can still make
step 2 fail; ``exercises/`` is then still untouched, and the message says so.

A release is remembered in ``grading/<name>/.released`` (the source's hash and the gradebook's
address, the format ``nbcourse.gradebook.ensure_in_gradebook`` writes): an assignment whose source
has not changed since is not released again unless forced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nbcourse.gradebook import gradebook_url, in_gradebook, source_hash
from nbcourse.status import STATUS_DIR

# What nbgrader says when it refuses to change an assignment that has submissions.
REFUSALS = ("Cannot add or remove cells for notebook", "Cannot modify existing assignment")


@dataclass
class Outcome:
    name: str
    state: str          # "released", "unchanged" or "failed"
    message: str = ""   # for "failed": what happened and what to do


def stamp_text(root: Path, name: str) -> str:
    """What a release depends on: the source's content and which gradebook it went into."""
    db = gradebook_url(root).render_as_string(hide_password=False)
    return f"{source_hash(root, name)} {hashlib.sha256(db.encode()).hexdigest()}"


def is_current(root: Path, name: str) -> bool:
    """Released from the current source into this gradebook, and exercises/<name>/ is there."""
    stamp = root / STATUS_DIR / name / ".released"
    return (stamp.is_file() and stamp.read_text() == stamp_text(root, name)
            and (root / "exercises" / name).is_dir() and in_gradebook(root, name))


def _nbgrader(course: Path, db_url: str, *args: str) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` in ``course`` with the gradebook at ``db_url`` (nbgrader_config.py reads
    NNCOURSE_DB_URL); the environment's bin folder first on PATH (nbgrader runs alembic from there)."""
    env = {**os.environ, "NNCOURSE_DB_URL": db_url,
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                          env=env)


def _tail(result: subprocess.CompletedProcess, lines: int = 15) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def scratch_gradebook(root: Path, name: str, path: Path) -> str:
    """A scratch SQLite gradebook at ``path`` on which nbgrader's rule decides as on the real one; its URL."""
    url = gradebook_url(root)
    if url.get_backend_name() == "sqlite":
        real = Path(url.database or "")
        if real.is_file():  # SQLite's own backup: a consistent copy even while a grader writes
            source = sqlite3.connect(f"file:{real}?mode=ro", uri=True)
            copy = sqlite3.connect(path)
            try:
                source.backup(copy)
            finally:
                source.close()
                copy.close()
        return f"sqlite:///{path}"
    _mirror_assignment(url.render_as_string(hide_password=False), name, f"sqlite:///{path}")
    return f"sqlite:///{path}"


def _mirror_assignment(real_url: str, name: str, copy_url: str) -> None:
    """Copy into ``copy_url`` what nbgrader's release rule reads about ``name`` in ``real_url``: its
    notebooks, their graded, solution, task and locked cells, and one submission if it has any."""
    from nbgrader.api import Gradebook, MissingEntry

    alembic_on_path()
    with Gradebook(real_url, course_id="") as real:
        try:
            assignment = real.find_assignment(name)
        except MissingEntry:
            return  # a first release: nothing can be refused
        notebooks = [(nb.name,
                      [(c.name, c.max_score, c.cell_type) for c in nb.grade_cells],
                      [c.name for c in nb.solution_cells],
                      [(c.name, c.max_score, c.cell_type) for c in nb.task_cells],
                      [(c.name, c.cell_type, c.locked, c.source, c.checksum) for c in nb.source_cells])
                     for nb in assignment.notebooks]
        submitted = len(assignment.submissions) > 0
    with Gradebook(copy_url, course_id="") as copy:
        copy.add_assignment(name)
        for notebook, grade_cells, solution_cells, task_cells, source_cells in notebooks:
            copy.add_notebook(notebook, name)
            for cell, most, kind in grade_cells:
                copy.add_grade_cell(cell, notebook, name, max_score=most, cell_type=kind)
            for cell in solution_cells:
                copy.add_solution_cell(cell, notebook, name)
            for cell, most, kind in task_cells:
                copy.add_task_cell(cell, notebook, name, max_score=most, cell_type=kind)
            for cell, kind, locked, source, checksum in source_cells:
                copy.add_source_cell(cell, notebook, name, cell_type=kind, locked=locked, source=source,
                                     checksum=checksum)
        if submitted:
            copy.add_student("someone")
            with warnings.catch_warnings():  # nbgrader's add_submission makes SQLAlchemy warn; nothing is wrong
                warnings.simplefilter("ignore")
                copy.add_submission(name, "someone")


def alembic_on_path() -> None:
    """nbgrader's Gradebook runs ``alembic`` (from PATH) when it creates a gradebook: this environment's."""
    folder = str(Path(sys.executable).parent)
    if folder not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")


def submission_count(root: Path, name: str) -> int:
    """How many submissions of ``name`` the gradebook holds (0, and no gradebook created, when it has none)."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy import create_engine, inspect

    url = gradebook_url(root)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return 0
    engine = create_engine(url)
    try:
        if "assignment" not in inspect(engine).get_table_names():
            return 0
    finally:
        engine.dispose()
    alembic_on_path()
    try:
        with Gradebook(gradebook_url(root).render_as_string(hide_password=False), course_id="") as gradebook:
            return len(gradebook.find_assignment(name).submissions)
    except MissingEntry:
        return 0


def refusal_message(root: Path, name: str) -> str:
    count = submission_count(root, name)
    return (
        f"nbgrader refuses to add or remove a cell (graded, answer or locked) or a notebook of an assignment that "
        f"already has submissions in the gradebook ({name} has {count}): their grades are kept cell by cell. "
        f"To go on, either undo that change in solutions/{name}/ (changing what a cell contains is allowed), "
        f"or publish the new version as a new assignment (copy solutions/{name}/ and hidden_tests/{name}.py "
        f"under a new name), or drop the grades stored for {name} and grade again: "
        f"`nbgrader db assignment remove {name} --force`, then `nbcourse release {name}` and "
        f"`nbcourse autograde {name}` (submitted/ is kept, so every submission is graded again)")


def release_assignment(root: Path, name: str) -> Outcome:
    """Release one assignment; on failure nothing in exercises/ or the gradebook has changed."""
    stamp, current = root / STATUS_DIR / name / ".released", stamp_text(root, name)  # the source as it is now
    scratch_parent = root / STATUS_DIR
    scratch_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".release-", dir=scratch_parent) as scratch:
        course = Path(scratch) / "course"
        (course / "exercises").mkdir(parents=True)
        shutil.copy(root / "nbgrader_config.py", course)
        shutil.copytree(root / "solutions" / name, course / "solutions" / name, symlinks=True)
        # 1. the dry run: nbgrader's own rule, against a scratch gradebook. Without submissions the rule
        # cannot refuse (and nbgrader checks a notebook's cells before it writes any), so a first release
        # costs one nbgrader run, not two.
        dry = None
        if submission_count(root, name):
            dry = _nbgrader(course, scratch_gradebook(root, name, Path(scratch) / "dry.db"),
                            "generate_assignment", name, "--force")
        if dry is not None and dry.returncode != 0:
            log = dry.stdout + dry.stderr
            if any(text in log for text in REFUSALS):
                why = refusal_message(root, name)
            else:
                why = f"nbgrader generate_assignment failed:\n{_tail(dry)}"
            return Outcome(name, "failed", f"not released; exercises/{name}/ and the gradebook are unchanged. {why}")
        # 2. the real run, into the real gradebook; the student version still goes to the scratch course
        real = gradebook_url(root).render_as_string(hide_password=False)
        for attempt in range(3):  # another grader may be releasing it into a shared gradebook right now
            shutil.rmtree(course / "exercises" / name, ignore_errors=True)
            result = _nbgrader(course, real, "generate_assignment", name, "--force")
            if result.returncode == 0:
                break
            time.sleep(2 * (attempt + 1))
        else:
            return Outcome(name, "failed", (
                f"not released; exercises/{name}/ is unchanged, but nbgrader failed on the gradebook after a dry "
                f"run had passed (another grader changing it at the same time?), so its record of {name} may be "
                f"partly updated: run `nbcourse release {name}` again.\n{_tail(result)}"))
        # 3. the new release replaces the old one: two renames on one file system
        target = root / "exercises" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        previous = Path(scratch) / "previous"
        try:
            if target.exists():
                os.rename(target, previous)
            os.rename(course / "exercises" / name, target)
        except OSError as error:  # e.g. grading/ on another file system: put the old release back
            if previous.exists() and not target.exists():
                os.rename(previous, target)
            return Outcome(name, "failed", (
                f"the gradebook has the new release of {name}, but exercises/{name}/ could not be replaced "
                f"({error}); exercises/{name}/ is the previous release: run `nbcourse release {name} --force` "
                f"again once {STATUS_DIR}/ and exercises/ are on one file system"))
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)
    return Outcome(name, "released")


def release(root: Path, names: list[str], force: bool = False) -> Iterator[Outcome]:
    """Release each assignment whose source changed since its last release (all with ``force``), one
    outcome at a time; a failure does not stop the others."""
    alembic_on_path()
    for name in names:
        yield Outcome(name, "unchanged") if not force and is_current(root, name) else release_assignment(root, name)
