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
import html
import io
import os
import re
import shutil
import sys
import zlib
from pathlib import Path

from nbcourse.gradebook import ensure_in_gradebook, log_tail, nbgrader, register_students
from nbcourse.preprocessors import is_test_cell
from nbcourse.status import STATUS_DIR, Status, read_all


def course_root(start: Path | None = None) -> Path:
    """The folder holding nbgrader_config.py: the current one or a parent."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise SystemExit("no nbgrader_config.py here or above: run this inside the course directory")


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
            print(log_tail(result), file=sys.stderr)
    return 1 if failed else 0


# ---- autograde -------------------------------------------------------------------------

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


def ungraded_parts(autograded: Path) -> dict[str, str]:
    """{grade_id: why} for the parts whose grade the grader could not compute (trusted.py says so in the
    cell's output): the grade row and the report name them, never a silent 0."""
    import nbformat

    from nbcourse.trusted import NOT_GRADED

    found = {}
    for path in autograded.glob("*.ipynb"):
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception:
            continue
        for cell in notebook.cells:
            if not is_test_cell(cell):  # a student's own cell may print anything
                continue
            for output in cell.get("outputs", []):
                text = str(output.get("evalue", ""))
                if output.get("output_type") == "error" and text.startswith(NOT_GRADED):
                    found[cell.metadata.get("nbgrader", {}).get("grade_id", "?")] = text
    return found


def record(root: Path, result, tests: str) -> Status:
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
                    ungraded_parts(autograded) if graded else {}, tests, log)
    status.write(root)
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


def in_slice(student: str, part: tuple[int, int]) -> bool:
    """Is ``student`` in slice K of N? A stable hash: every machine computes the same slices."""
    k, n = part
    return zlib.crc32(student.encode()) % n == k - 1


def parse_slice(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise argparse.ArgumentTypeError(f"--slice takes K/N with 1 <= K <= N (e.g. 1/3), not {text!r}")
    return int(match[1]), int(match[2])


def job_timeout(root: Path, assignment: str) -> float:
    """How long one submission may take in all, from the exercise alone (its hidden tests' budgets and
    the time its cells may take), not from what the student submitted: start-up included."""
    from nbcourse.trusted import job_seconds

    return job_seconds(root / "hidden_tests", assignment, float(os.environ.get("NNCOURSE_TIMEOUT", "60"))) + 120


def preflight(root: Path, names: list[str]) -> None:
    """Grade each assignment's solution in the sandbox before grading the class: anything but full
    marks (a broken environment, a course copied away from its packages) stops grading, with why."""
    import nbformat

    from nbcourse.trusted import grade_notebook

    own = root / "nnlib"
    if own.is_dir():
        import nnlib

        used = Path(nnlib.__file__).resolve().parent
        if used != own.resolve():
            raise SystemExit(
                f"error: this course is {root}, but the grader imports nnlib from {used}: the environment belongs "
                f"to another copy of the course. Install this one (`pip install -e {root}`, or `make` in it) "
                "and grade again. Nothing was graded.")
    for name in names:
        stamp, current = root / STATUS_DIR / name / ".preflight", preflight_fingerprint(root, name)
        if stamp.is_file() and stamp.read_text() == current:
            continue
        notebooks = expected_notebooks(root, name)
        for notebook in notebooks:
            source = nbformat.read(root / "solutions" / name / notebook, as_version=4)
            expected = {c.metadata["nbgrader"]["grade_id"] for c in source.cells if is_test_cell(c)}
            try:
                verdicts, _ = grade_notebook(root, name, source, "preflight")
            except Exception as error:
                raise SystemExit(f"error: preflight: grading the solution of {name} failed ({type(error).__name__}: "
                                 f"{error}); nothing was graded. Is the environment complete (`make`)?") from None
            failed = {k: why for k, (ok, why) in verdicts.items() if not ok}
            if failed or set(verdicts) != expected:
                lost = "; ".join(f"{k}: {why}" for k, why in failed.items()) or "parts missing from the verdicts"
                raise SystemExit(
                    f"error: preflight: the solution of {name} does not score full marks in the sandbox ({lost}). "
                    "The environment or the hidden tests are broken; nothing was graded.")
        print(f"preflight: the solution of {name} scores full marks in the sandbox")
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current)


def preflight_fingerprint(root: Path, name: str) -> str:
    """What a preflight result depends on: the solution, the hidden tests, the configuration, the grader's
    and the references' code, the sandbox's settings and the environment (its packages: site-packages
    changes when one is added or removed). Equal fingerprints: the preflight need not run again."""
    import hashlib
    import site

    digest = hashlib.sha256()
    import nbcourse
    import nnlib

    code = [p for package in (nbcourse, nnlib) for p in sorted(Path(package.__file__).parent.glob("*.py"))]
    for path in [*sorted((root / "solutions" / name).glob("*.ipynb")), root / "hidden_tests" / f"{name}.py",
                 root / "nbgrader_config.py", *code]:
        digest.update(path.read_bytes() if path.is_file() else b"-")
    site_packages = Path(site.getsitepackages()[0])
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("NNCOURSE_"))
    digest.update(repr((sys.executable, site_packages.stat().st_mtime_ns, settings)).encode())
    return digest.hexdigest()


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
    if sandbox.enabled() and not sandbox.JobCgroup.available():
        print("warning: the grader cannot make cgroups here (cgroup v1 at /sys/fs/cgroup, writable): each kernel "
              "still runs in the sandbox, but without a process limit, a total memory limit or a CPU share, and the "
              "processes a cell forks live until the notebook ends (README: the sandbox)", file=sys.stderr)
    from nbcourse.trusted import tests_digest

    graded_assignments = sorted({a for _, a in todo})
    preflight(root, graded_assignments)
    ensure_in_gradebook(root, graded_assignments)
    register_students(root, sorted({s for s, _ in todo}))
    workers = workers or default_workers()
    timeout = max(job_timeout(root, a) for a in graded_assignments)
    digests = {a: tests_digest(root / "hidden_tests", a) for a in graded_assignments}
    print(f"grading {len(todo)} submission(s) with {min(workers, len(todo))} worker(s)"
          + (f", slice {part[0]}/{part[1]}" if part else ""))
    failed = partial = 0
    for result in grade_all(root, todo, workers, timeout):
        try:
            status = record(root, result, digests[result.assignment])
        except Exception as error:  # keep grading the class; this one is reported, not lost
            status = Status(result.student, result.assignment, False, f"recording the result failed: {error!r}",
                            result.seconds)
            status.write(root)
        failed += not status.graded
        partial += bool(status.graded and status.ungraded_parts)
        print(f"{status.assignment} {status.student}: "
              f"{status.summary() if status.graded else 'NOT GRADED: ' + status.reason} ({status.seconds:.1f} s)")
    print(f"{len(todo) - failed} graded, {failed} not graded"
          + (f", {partial} with parts that could not be graded" if partial else "")
          + " (reasons in grading/, grades.csv and their feedback)")
    return 0


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
    """Feedback for each assignment that has graded or failed submissions (others are skipped quietly)."""
    asked = names
    names = assignments(root, names)
    known = read_all(root)
    with_work = {a for _, a in known} | {p.name for p in (root / "autograded").glob("*/*") if p.is_dir()}
    names = [a for a in names if a in with_work]
    if not names:
        print("no graded submissions" + (f" for {', '.join(asked)}" if asked else "") + ": nothing to do")
        return 0
    for assignment in names:
        result = nbgrader(root, "generate_feedback", assignment, "--force")
        if result.returncode != 0:
            print(f"{assignment}: nbgrader generate_feedback reported a problem:\n{log_tail(result)}", file=sys.stderr)
        for (student, graded_assignment), status in known.items():
            if graded_assignment != assignment or status.graded:
                continue
            folder = root / "feedback" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            for notebook in expected_notebooks(root, assignment):
                page = FAILED_FEEDBACK.format(assignment=html.escape(assignment), reason=html.escape(status.reason))
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
        raise SystemExit(f"nbgrader export failed:\n{log_tail(result)}")
    rows = list(csv.DictReader(io.StringIO(scratch.read_text())))
    fields = list(rows[0].keys()) if rows else ["assignment", "student_id", "score", "max_score"]
    known = read_all(root)
    seen = set()
    for row in rows:
        key = (row["student_id"], row["assignment"])
        seen.add(key)
        status = known.get(key)
        if status and not status.graded:
            row["score"] = row["raw_score"] = "0.0"
            row["status"] = status.summary()
        elif status:
            row["status"] = status.summary()
        else:
            submitted = (root / "submitted" / key[0] / key[1]).is_dir()
            row["status"] = "graded" if submitted else "not submitted"
    for (student, assignment), status in known.items():
        if (student, assignment) not in seen:
            rows.append({"assignment": assignment, "student_id": student, "score": "0.0",
                         "status": status.summary()})
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
