"""The course's commands, each a thin layer over nbgrader's own CLI.

    python -m nbcourse release   [ASSIGNMENT ...]            regenerate exercises/ from solutions/
    python -m nbcourse autograde [ASSIGNMENT ...] [--student S ...] [--workers N] [--slice K/N]
                                                             grade everything in submitted/
    python -m nbcourse feedback  [ASSIGNMENT ...]            feedback HTML, hidden tests removed
    python -m nbcourse export    [--to grades.csv]           one row per student and assignment
    python -m nbcourse report    [--to report.html] [--csv grades.csv]   grades CSV and a one-page summary
    python -m nbcourse check     NOTEBOOK                    a student's self-check (exit 1 on failure)

nbgrader does the work; this layer runs it once per submission, in parallel worker
processes (nbcourse/workers.py), each kernel in a sandbox (nbcourse/sandbox.py), so that
one broken submission (a notebook that is not JSON, a kernel that dies, an endless loop)
costs that student a clear reason in their feedback and grade row, never the class its
batch. ``--slice K/N`` grades the K-th of N slices of the students, for N machines
sharing one PostgreSQL gradebook.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

STATUS_DIR = "grading"  # grading/<assignment>/<student>.json: how each submission's grading went


def course_root(start: Path | None = None) -> Path:
    """The folder holding nbgrader_config.py: the current one or a parent."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise SystemExit("no nbgrader_config.py here or above: run this inside the course directory")


def nbgrader(root: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course directory and capture what it says.

    The environment's bin folder goes first on PATH: nbgrader runs ``alembic`` from there.
    """
    bin_folder = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_folder + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True,
                          text=True, timeout=timeout, env=env)


def assignments(root: Path, names: list[str] | None) -> list[str]:
    available = sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        return available
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SystemExit(f"unknown assignment(s) {', '.join(unknown)}; known: {', '.join(available)}")
    return names


# ---- release ---------------------------------------------------------------------------

def release(root: Path, names: list[str] | None = None) -> int:
    """Regenerate exercises/<assignment>/ from solutions/<assignment>/ with nbgrader generate_assignment."""
    failed = 0
    for name in assignments(root, names):
        result = nbgrader(root, "generate_assignment", name, "--force")
        print(f"{name}: {'released' if result.returncode == 0 else 'FAILED'}")
        if result.returncode != 0:
            failed += 1
            print(_log_tail(result), file=sys.stderr)
    return 1 if failed else 0


# ---- autograde -------------------------------------------------------------------------

@dataclass
class Status:
    """How grading one submission went, kept in grading/<assignment>/<student>.json."""

    student: str
    assignment: str
    graded: bool
    reason: str
    seconds: float
    not_run: list[str]  # cells of the student's that broke the answer rules (nbcourse/integrity.py)


# What nbgrader's log says, and what the student should read instead.
REASONS = [
    (r"CellTimeoutError|Timeout waiting for execute reply|timed out",
     "a cell ran longer than the time limit (an endless loop?); the notebook was stopped"),
    (r"DeadKernelError|Kernel died|kernel.*(died|dead)|UnresponsiveKernelError",
     "the notebook's kernel died while it ran (the code exited Python, crashed, or used too much memory)"),
    (r"NotJSONError|Notebook does not appear to be JSON|JSONDecodeError|Unreadable Notebook|not valid JSON",
     "the submitted file is not a valid notebook (it could not be read as JSON)"),
    (r"NBFormatError|ValidationError|is not valid under any of the given schemas|Notebook validation failed",
     "the submitted notebook's structure is invalid (nbformat could not validate it)"),
    (r"No notebooks found|No submitted file|Skipping unknown notebook",
     "no notebook with the expected name was submitted"),
    (r"grading worker died|grading worker failed",
     "grading this submission stopped the grader's own process (too much output or memory?); it was "
     "not graded"),
    (r"add_missing_grade_cells",
     "cells of the exercise were deleted from the notebook and could not be put back: copy your answers "
     "into a fresh copy of the exercise"),
]


def explain(log: str) -> str:
    for pattern, reason in REASONS:
        if re.search(pattern, log, re.I):
            return reason
    return "grading failed; the instructor has the details in grading/"


def _log_tail(result: subprocess.CompletedProcess, lines: int = 30) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def submissions(root: Path, names: list[str], students: list[str] | None) -> list[tuple[str, str]]:
    found = []
    submitted = root / "submitted"
    for folder in sorted(submitted.glob("*/*")) if submitted.is_dir() else []:
        student, assignment = folder.parent.name, folder.name
        if folder.is_dir() and assignment in names and (not students or student in students):
            found.append((student, assignment))
    return found


def expected_notebooks(root: Path, assignment: str) -> list[str]:
    return sorted(p.name for p in (root / "solutions" / assignment).glob("*.ipynb"))


NOT_RUN = re.compile(r"cell \d+ not run: (.*)")


def record(root: Path, result) -> Status:
    """Turn a worker's result into the submission's status, and keep it in grading/."""
    student, assignment, log = result.student, result.assignment, result.log
    missing = [nb for nb in expected_notebooks(root, assignment)
               if not (root / "submitted" / student / assignment / nb).is_file()]
    autograded = root / "autograded" / student / assignment
    drop_linked_copies(root / "submitted" / student / assignment, autograded)
    graded = result.success and autograded.is_dir() and any(autograded.glob("*.ipynb"))
    if graded and not missing:
        reason = ""
    elif missing:
        reason = f"no notebook named {', '.join(missing)} was submitted (check the file name); it scores 0"
    else:
        reason = explain(log)
    status = Status(student, assignment, graded and not missing, reason, result.seconds,
                    sorted(set(NOT_RUN.findall(log))))
    folder = root / STATUS_DIR / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{student}.json").write_text(json.dumps({**asdict(status), "log": log[-20000:]}, indent=1))
    return status


def drop_linked_copies(submitted: Path, autograded: Path) -> None:
    """Delete what nbgrader copied through a submission's symbolic links (a link named data.db to
    the gradebook arrives in autograded/ as a copy of the gradebook, and from there in feedback/)."""
    if not submitted.is_dir():
        return
    for link in (p for p in submitted.rglob("*") if p.is_symlink()):
        copy = autograded / link.relative_to(submitted)
        if copy.is_dir() and not copy.is_symlink():
            shutil.rmtree(copy, ignore_errors=True)
        elif copy.exists() or copy.is_symlink():
            copy.chmod(0o644)
            copy.unlink()


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
    from nbcourse.report import gradebook_url

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
            raise SystemExit(f"could not prepare {name} in the gradebook:\n{_log_tail(result)}")
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current)


def register_students(root: Path, students: list[str]) -> None:
    """Put every student in the gradebook before the workers start: nbgrader creates a missing
    student by reading then inserting, so two workers starting on one new student's two
    assignments both insert, and one fails (UNIQUE constraint failed: student.id)."""
    from nbgrader.api import Gradebook, InvalidEntry

    from nbcourse.report import gradebook_url

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

    from nbcourse.report import gradebook_url

    url = gradebook_url(root)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return False
    with Gradebook(url.render_as_string(hide_password=False), course_id="") as gradebook:
        try:
            return bool(gradebook.find_assignment(name).notebooks)
        except MissingEntry:
            return False


def in_slice(student: str, part: tuple[int, int]) -> bool:
    """Is ``student`` in slice K of N? A stable hash: every machine computes the same slices."""
    k, n = part
    return zlib.crc32(student.encode()) % n == k - 1


def parse_slice(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise argparse.ArgumentTypeError(f"--slice takes K/N with 1 <= K <= N (e.g. 1/3), not {text!r}")
    return int(match[1]), int(match[2])


def job_timeout(root: Path, assignment: str, student: str) -> float:
    """How long one submission may take in all: every code cell (the exercise's, or the student's if
    more) at the cell time limit, and start-up."""
    cell_limit = int(os.environ.get("NNCOURSE_TIMEOUT", "60"))
    cells = 0
    for folder in (root / "solutions" / assignment, root / "submitted" / student / assignment):
        for path in folder.glob("*.ipynb"):
            try:
                cells = max(cells, len(json.loads(path.read_text()).get("cells", [])))
            except (ValueError, OSError, AttributeError):
                continue  # not a notebook: it fails fast
    return cell_limit * (cells + 2) + 120


def autograde(root: Path, names: list[str] | None = None, students: list[str] | None = None,
              workers: int | None = None, part: tuple[int, int] | None = None) -> int:
    from nbcourse import sandbox
    from nbcourse.workers import default_workers, grade_all

    names = assignments(root, names)
    todo = [(s, a) for s, a in submissions(root, names, students) if part is None or in_slice(s, part)]
    if not todo:
        print("nothing to grade: submissions go in submitted/<student>/<assignment>/")
        return 0
    try:
        sandbox.require()
    except sandbox.SandboxUnavailable as error:
        raise SystemExit(f"error: {error}") from None
    ensure_in_gradebook(root, sorted({a for _, a in todo}))
    register_students(root, sorted({s for s, _ in todo}))
    workers = workers or default_workers()
    timeouts = [job_timeout(root, a, s) for s, a in todo]
    print(f"grading {len(todo)} submission(s) with {min(workers, len(todo))} worker(s)"
          + (f", slice {part[0]}/{part[1]}" if part else ""))
    failed = 0
    for result in grade_all(root, todo, workers, max(timeouts)):
        try:
            status = record(root, result)
        except Exception as error:  # keep grading the class; this one is reported, not lost
            status = Status(result.student, result.assignment, False, f"recording the result failed: {error!r}",
                            result.seconds, [])
        failed += not status.graded
        note = f"; cells not run: {'; '.join(status.not_run)}" if status.not_run else ""
        print(f"{status.assignment} {status.student}: "
              f"{'graded' if status.graded else 'NOT GRADED: ' + status.reason}{note} ({status.seconds:.1f} s)")
    print(f"{len(todo) - failed} graded, {failed} not graded (reasons in grading/ and in their feedback)")
    return 0


def statuses(root: Path) -> dict[tuple[str, str], dict]:
    found = {}
    for path in sorted((root / STATUS_DIR).glob("*/*.json")):
        data = json.loads(path.read_text())
        found[(data["student"], data["assignment"])] = data
    return found


# ---- feedback --------------------------------------------------------------------------

FAILED_FEEDBACK = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{assignment}: feedback</title></head>
<body><h1>{assignment}: your submission could not be graded</h1>
<p><strong>What happened:</strong> {reason}.</p>
<p>Your score for this assignment is 0 for now. Fix the problem (run
<code>python -m nbcourse check NOTEBOOK</code> on your notebook before you submit it) and
ask your instructor whether you may resubmit.</p>
</body></html>
"""


def feedback(root: Path, names: list[str] | None = None) -> int:
    names = assignments(root, names)
    known = statuses(root)
    for assignment in names:
        result = nbgrader(root, "generate_feedback", assignment, "--force")
        if result.returncode != 0:
            print(f"{assignment}: nbgrader generate_feedback reported a problem:\n{_log_tail(result)}", file=sys.stderr)
        for (student, graded_assignment), status in known.items():
            if graded_assignment != assignment or status["graded"]:
                continue
            folder = root / "feedback" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            for notebook in expected_notebooks(root, assignment):
                page = FAILED_FEEDBACK.format(assignment=html.escape(assignment), reason=html.escape(status["reason"]))
                (folder / notebook.replace(".ipynb", ".html")).write_text(page)
        print(f"{assignment}: feedback written")
    return 0


# ---- export ----------------------------------------------------------------------------

def export(root: Path, to: str = "grades.csv") -> int:
    """nbgrader's grade export, plus a ``status`` column, and a row for every submission it lacks."""
    scratch = root / STATUS_DIR / "nbgrader_export.csv"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    result = nbgrader(root, "export", "--to", str(scratch))
    if result.returncode != 0:
        raise SystemExit(f"nbgrader export failed:\n{_log_tail(result)}")
    rows = list(csv.DictReader(io.StringIO(scratch.read_text())))
    fields = list(rows[0].keys()) if rows else ["assignment", "student_id", "score", "max_score"]
    known = statuses(root)
    seen = set()
    for row in rows:
        key = (row["student_id"], row["assignment"])
        seen.add(key)
        status = known.get(key)
        if status and not status["graded"]:
            row["score"] = row["raw_score"] = "0.0"
            row["status"] = f"not graded: {status['reason']}"
        elif status:
            row["status"] = "graded"
        else:
            submitted = (root / "submitted" / key[0] / key[1]).is_dir()
            row["status"] = "graded" if submitted else "not submitted"
    for (student, assignment), status in known.items():
        if (student, assignment) not in seen:
            rows.append({"assignment": assignment, "student_id": student, "score": "0.0",
                         "status": "graded" if status["graded"] else f"not graded: {status['reason']}"})
    with open(root / to, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*fields, "status"], restval="")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: (r["assignment"], r["student_id"])))
    print(f"wrote {len(rows)} rows to {root / to}")
    return 0


# ---- the student's check ---------------------------------------------------------------

def check(notebook: str) -> int:
    from nbcourse.selfcheck import NotebookError, run_visible_tests, summary

    try:
        results = run_visible_tests(notebook)
    except NotebookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(results))
    return 0 if all(r.passed for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbcourse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in [("release", "regenerate exercises/ from solutions/"),
                       ("autograde", "autograde every submission in submitted/"),
                       ("feedback", "write feedback for every graded or failed submission")]:
        sub = commands.add_parser(name, help=text)
        sub.add_argument("assignment", nargs="*", help="assignments (default: all)")
        if name == "autograde":
            sub.add_argument("--student", action="append", help="only these students (repeatable)")
            sub.add_argument("--workers", type=int, default=None,
                             help="submissions graded at once (default: the number of cores)")
            sub.add_argument("--slice", type=parse_slice, default=None, metavar="K/N",
                             help="grade only slice K of N of the students (one slice per machine)")
    sub = commands.add_parser("export", help="write the grades CSV")
    sub.add_argument("--to", default="grades.csv")
    sub = commands.add_parser("report", help="write the grades CSV and a one-page summary with plots")
    sub.add_argument("--to", default="report.html")
    sub.add_argument("--csv", default="grades.csv")
    sub = commands.add_parser("check", help="run a notebook's visible tests (exit 1 if any fails)")
    sub.add_argument("notebook")
    args = parser.parse_args(argv)

    if args.command == "check":
        return check(args.notebook)
    root = course_root()
    if args.command == "release":
        return release(root, args.assignment)
    if args.command == "autograde":
        return autograde(root, args.assignment, args.student, args.workers, args.slice)
    if args.command == "feedback":
        return feedback(root, args.assignment)
    if args.command == "report":
        from nbcourse.report import write_report

        export(root, args.csv)
        print(f"wrote the summary to {write_report(root, args.to)}")
        return 0
    return export(root, args.to)
