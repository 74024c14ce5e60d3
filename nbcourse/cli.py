"""The course's commands, each a thin layer over nbgrader's own CLI.

    python -m nbcourse release   [ASSIGNMENT ...] [--force]  regenerate exercises/ from what changed in solutions/
    python -m nbcourse autograde [ASSIGNMENT ...] [--student S ...] [--workers N | --scheduler ADDRESS] [--force]
                                                             grade what is new or changed in submitted/
    python -m nbcourse feedback  [ASSIGNMENT ...] [--student S ...]   feedback HTML, hidden tests removed
    python -m nbcourse export    [--to FILE] [--format long|canvas|moodle] [--moodle-key email|idnumber]
                                                             grades: one row per student and assignment (long),
                                                             or Canvas's / Moodle's grade import CSV
    python -m nbcourse report    [--to report.html] [--csv grades.csv]   grades CSV and a one-page summary
    python -m nbcourse check     NOTEBOOK                    a student's self-check (exit 1 on failure)
    python -m nbcourse new       NAME [--title TEXT]         a new assignment with one example part (docs/authoring.md)
    python -m nbcourse roster import FILE                    the class roster into the gradebook (roster.csv)
    python -m nbcourse collect   ASSIGNMENT DOWNLOAD         an LMS download (.zip or folder) into submitted/
    python -m nbcourse schedule                              check schedule.toml: due dates, late policies

nbgrader does the work; this layer runs it once per submission, as Dask tasks (nbcourse/cluster.py:
a local cluster, or ``--scheduler ADDRESS`` for Dask workers on several machines), each in a
long-lived grading process (nbcourse/workers.py), each kernel in a sandbox (nbcourse/sandbox.py),
so that one broken submission (a notebook that is not JSON, a kernel that dies, an endless loop)
costs that student a clear reason in their feedback and grade row, never the class its batch.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from contextlib import ExitStack
from pathlib import Path

from nbcourse.gradebook import log_tail, nbgrader, register_students
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

def release(root: Path, names: list[str] | None = None, force: bool = False) -> int:
    """Regenerate exercises/<assignment>/ from solutions/<assignment>/ (nbgrader generate_assignment) for each
    assignment whose source changed since its release (every one with ``force``). A release nbgrader refuses
    changes nothing, and the others go on (nbcourse/release.py)."""
    from nbcourse.release import release as release_each

    counts = {"released": 0, "unchanged": 0, "failed": 0}
    for outcome in release_each(root, assignments(root, names), force):
        counts[outcome.state] += 1
        if outcome.state == "failed":
            print(f"{outcome.name}: FAILED", flush=True)
            print(f"{outcome.name}: {outcome.message}", file=sys.stderr, flush=True)
        elif outcome.state == "released":
            print(f"{outcome.name}: released", flush=True)
    print(f"{counts['released']} released, {counts['unchanged']} unchanged since their last release"
          + (" (--force releases them again)" if counts["unchanged"] else "")
          + (f", {counts['failed']} FAILED (see above: nothing of theirs changed)" if counts["failed"] else ""))
    return 1 if counts["failed"] else 0


# ---- autograde -------------------------------------------------------------------------

# What nbgrader's log says, and what the student should read instead (the first that matches). The grading
# cluster's own failures come first: their messages quote Dask's, which may say "timed out".
REASONS = [
    (r"Dask scheduler was lost|Dask cluster has had no worker",
     "the grading machines were lost while this submission waited or was graded; it was not graded (the next "
     "autograde grades it)"),
    (r"cannot grade this course",
     "a grading machine was not set up for this course; it was not graded (the next autograde grades it)"),
    (r"the submission could not be read",
     "a file of the submission could not be read on the grading machine; it was not graded"),
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


def record(root: Path, result, tests: str, submission: str = "", release: str = "") -> Status:
    """Turn a worker's result into the submission's status, and keep it in grading/. ``submission`` and
    ``release`` are the hashes of what was graded (nbcourse/incremental.py compares them next time)."""
    from nbcourse.incremental import needs_retry, unexpected_notebooks

    student, assignment, log = result.student, result.assignment, result.log
    expected = expected_notebooks(root, assignment)
    missing = [nb for nb in expected if not (root / "submitted" / student / assignment / nb).is_file()]
    # nbgrader grades the expected names only and says "Skipping unknown notebook" in its log: said here
    skipped = unexpected_notebooks(root / "submitted" / student / assignment, expected)
    autograded = root / "autograded" / student / assignment
    graded = result.success and autograded.is_dir() and any(autograded.glob("*.ipynb"))
    if graded and not missing:
        reason = ""
    elif missing:
        found = f": found {', '.join(skipped)}" if skipped else ""
        reason = f"no notebook named {', '.join(missing)} was submitted (check the file name{found}); it scores 0"
    else:
        reason = explain(log)
    status = Status(student, assignment, graded and not missing, reason, result.seconds,
                    ungraded_parts(autograded) if graded else {}, tests, log, submission, release, skipped)
    status.retry = needs_retry(status)
    status.write(root)
    return status


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def retired_slice(text: str) -> None:
    raise argparse.ArgumentTypeError(
        "was retired: to grade on several machines, start `dask scheduler` and `dask worker ADDRESS` there and run "
        "`nbcourse autograde --scheduler ADDRESS` here (README: grading across machines)")


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
              workers: int | None = None, force: bool = False, scheduler: str | None = None) -> int:
    """Grade the submissions that are new or changed, or were graded against older hidden tests or an older
    release (every one with ``force``): nbcourse/incremental.py decides. An assignment whose release fails is
    reported and its submissions wait; the others are graded (exit status 1 then)."""
    from nbcourse import cluster, sandbox
    from nbcourse.gradebook import gradebook_url, source_hash
    from nbcourse.incremental import plan, students_in_gradebook
    from nbcourse.release import alembic_on_path
    from nbcourse.trusted import tests_digest
    from nbcourse.workers import default_workers

    names = assignments(root, names)
    found = submissions(root, names, students)
    if not found:
        print("nothing to grade: submissions go in submitted/<student>/<assignment>/")
        return 0
    with_work = sorted({a for _, a in found})
    # (no hidden tests: "" here, and the preflight below says what is missing)
    digests = {a: tests_digest(root / "hidden_tests", a) if (root / "hidden_tests" / f"{a}.py").is_file() else ""
               for a in with_work}
    releases = {a: source_hash(root, a) for a in with_work}
    url = gradebook_url(root)
    missing_db = url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file()
    alembic_on_path()  # (a new PostgreSQL gradebook is set up by nbgrader's Gradebook, which runs alembic)
    graded = {a: set() for a in with_work} if missing_db else students_in_gradebook(
        url.render_as_string(hide_password=False), with_work)
    decided = plan(root, found, read_all(root), digests, releases, graded, force)
    if decided.unchanged:
        print(f"{decided.unchanged} unchanged, skipped; --force regrades them")
    todo = decided.todo
    if not todo:
        print("nothing new to grade")
        return 0
    try:
        sandbox.require()
    except sandbox.SandboxUnavailable as error:
        raise SystemExit(f"error: {error}") from None
    if sandbox.enabled() and not sandbox.JobCgroup.available():
        print("warning: the grader cannot make cgroups here (cgroup v1 at /sys/fs/cgroup, writable): each kernel "
              "still runs in the sandbox, but without a process limit, a total memory limit or a CPU share, and the "
              "processes a cell forks live until the notebook ends (README: the sandbox)", file=sys.stderr)
    # Connected before anything else is done: a scheduler that does not answer stops this within seconds.
    with ExitStack() as stack:
        try:
            client = stack.enter_context(cluster.connect(scheduler, workers or default_workers()))
        except cluster.ClusterError as error:
            raise SystemExit(f"error: {error}; nothing was graded") from None
        return grade_class(root, client, todo, decided, digests, releases, scheduler)


def grade_class(root: Path, client, todo: list[tuple[str, str]], decided, digests: dict[str, str],
                releases: dict[str, str], scheduler: str | None) -> int:
    """Preflight, release and grade ``todo`` on the Dask cluster of ``client``; print and record each result."""
    from nbcourse import cluster
    from nbcourse.release import is_current, release_assignment

    graded_assignments = sorted({a for _, a in todo})
    preflight(root, graded_assignments)
    # Each assignment must be released into the gradebook; one whose release fails waits, the others go on.
    unreleased = {}
    for name in graded_assignments:
        if not is_current(root, name):
            outcome = release_assignment(root, name)
            if outcome.state == "failed":
                unreleased[name] = outcome.message
    for name, message in unreleased.items():
        waiting = sum(a == name for _, a in todo)
        print(f"{name}: {waiting} submission(s) NOT GRADED, because solutions/{name}/ changed and could not be "
              f"released: {message}", file=sys.stderr)
    todo = [(s, a) for s, a in todo if a not in unreleased]
    graded_assignments = [a for a in graded_assignments if a not in unreleased]
    if not todo:
        return 1
    register_students(root, sorted({s for s, _ in todo}))
    courses = {a: cluster.course_files(root, a, job_timeout(root, a)) for a in graded_assignments}
    unfit = cluster.check_workers(client, courses[graded_assignments[0]])
    if unfit:
        raise SystemExit("error: " + "; ".join(f"the Dask worker {w} cannot grade this course: {why}"
                                               for w, why in sorted(unfit.items()))
                         + ". Stop it or set it up; nothing was graded")
    graders = sum(client.nthreads().values())
    where = f"on the Dask cluster at {scheduler} ({len(client.nthreads())} worker(s))" if scheduler else "here"
    print(f"grading {len(todo)} submission(s) ({decided.said()}) with {graders} grader(s) {where}")
    failed = partial = with_skipped = lost = 0
    for result in cluster.grade_on_cluster(client, root, todo, courses):
        key = (result.student, result.assignment)
        try:
            status = record(root, result, digests[result.assignment], decided.hashes[key], releases[result.assignment])
        except Exception as error:  # keep grading the class; this one is reported, not lost
            status = Status(result.student, result.assignment, False, f"recording the result failed: {error!r}",
                            result.seconds, retry=True)
            status.write(root)
        failed += not status.graded
        lost += status.reason.startswith("the grading machines were lost")
        partial += bool(status.graded and status.ungraded_parts)
        with_skipped += bool(status.skipped_files)
        print(f"{status.assignment} {status.student}: "
              f"{status.summary() if status.graded else 'NOT GRADED: ' + status.summary()[len('not graded: '):]} "
              f"({status.seconds:.1f} s)")
    try:  # the grading processes stop; a lost scheduler has nothing left to stop
        client.run(cluster.close_graders)
    except Exception:
        pass
    print(f"{len(todo) - failed} graded, {failed} not graded"
          + (f", {partial} with parts that could not be graded" if partial else "")
          + " (reasons in grading/, grades.csv and their feedback)")
    if with_skipped:
        print(f"{with_skipped} submission(s) hold notebooks that were not graded (listed above): only the "
              "exercise's own file name is graded; if a student's right copy has another name, rename it in "
              "submitted/ and autograde again")
    if lost:
        print(f"the Dask cluster was lost: {lost} submission(s) were not graded; they are graded by the next "
              "autograde", file=sys.stderr)
    return 1 if unreleased or lost else 0


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


SKIPPED_NOTE = """<div class="alert alert-warning" role="alert" id="nbcourse-skipped">
<p><strong>Not graded:</strong> your submission folder also held {files}. Only {expected} is graded;
the other notebooks were not looked at. If one of them is the copy you meant to submit, ask your
instructor to grade it under the name {expected}.</p></div>
"""


def note_skipped(page: Path, status: Status, expected: list[str]) -> None:
    """Tell the student, at the top of their feedback page, which of their notebooks were not graded."""
    if not status.skipped_files or not page.is_file():
        return
    text = page.read_text()
    if 'id="nbcourse-skipped"' in text:
        return
    note = SKIPPED_NOTE.format(files=", ".join(html.escape(f) for f in status.skipped_files),
                               expected=" and ".join(html.escape(e) for e in expected))
    at = re.search(r"<body[^>]*>", text)
    page.write_text(text[:at.end()] + "\n" + note + text[at.end():] if at else note + text)


def feedback(root: Path, names: list[str] | None = None, students: list[str] | None = None) -> int:
    """Feedback for each assignment (and student, with ``students``) that has graded or failed submissions;
    assignments without any are passed over in silence."""
    asked = names
    names = assignments(root, names)
    known = {k: s for k, s in read_all(root).items() if not students or k[0] in students}
    autograded = {(p.parent.name, p.name) for p in (root / "autograded").glob("*/*") if p.is_dir()}
    with_work = {a for _, a in known} | {a for s, a in autograded if not students or s in students}
    names = [a for a in names if a in with_work]
    if not names:
        print("no graded submissions" + (f" for {', '.join(asked)}" if asked else "")
              + (f" of {', '.join(students)}" if students else "") + ": nothing to do")
        return 0
    for assignment in names:
        who = [arg for s in students or [] if (s, assignment) in autograded for arg in ("--student", s)]
        if who or not students:
            result = nbgrader(root, "generate_feedback", assignment, "--force", *who)
            if result.returncode != 0:
                print(f"{assignment}: nbgrader generate_feedback reported a problem:\n{log_tail(result)}",
                      file=sys.stderr)
        expected = expected_notebooks(root, assignment)
        written = 0
        for (student, graded_assignment), status in known.items():
            if graded_assignment != assignment:
                continue
            written += 1
            folder = root / "feedback" / student / assignment
            if not status.graded:
                folder.mkdir(parents=True, exist_ok=True)
                for notebook in expected:
                    page = FAILED_FEEDBACK.format(assignment=html.escape(assignment),
                                                  reason=html.escape(status.reason))
                    (folder / notebook.replace(".ipynb", ".html")).write_text(page)
            for notebook in expected:
                note_skipped(folder / notebook.replace(".ipynb", ".html"), status, expected)
        print(f"{assignment}: feedback written" + (f" for {written} submission(s)" if students else ""))
    return 0


# ---- export ----------------------------------------------------------------------------

def export(root: Path, to: str | None = None, fmt: str = "long", moodle_key: str = "email") -> int:
    """The grades as a CSV in ``fmt``: long, canvas or moodle (nbcourse/export.py)."""
    from nbcourse.export import export as write_grades

    return write_grades(root, to, fmt, moodle_key)


# ---- the student's check ---------------------------------------------------------------

def check(notebook: str) -> int:
    from nbcourse.selfcheck import main as check_main

    return check_main(notebook)


def new(root: Path, name: str, title: str | None = None) -> int:
    """``nbcourse new``: write a new assignment's three files (nbcourse/authoring.py), or refuse and change nothing."""
    from nbcourse.authoring import AuthoringError, create

    try:
        written = create(root, name, title)
    except AuthoringError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(f"next: edit them (docs/authoring.md), then `python -m nbcourse release {name}` and "
          f"`EXERCISES={name} .venv/bin/python -m pytest tests/test_hidden_tests.py tests/test_exercises.py`")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbcourse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in [("release", "regenerate exercises/ from solutions/"),
                       ("autograde", "autograde every submission in submitted/"),
                       ("feedback", "write feedback for every graded or failed submission")]:
        sub = commands.add_parser(name, help=text)
        sub.add_argument("assignment", nargs="*", help="assignments (default: all)")
        if name in ("release", "autograde"):
            sub.add_argument("--force", action="store_true",
                             help="every one, not only what changed since the last run (release: sources; "
                                  "autograde: submissions, hidden tests, releases)")
        if name in ("autograde", "feedback"):
            sub.add_argument("--student", action="append", help="only these students (repeatable)")
        if name == "autograde":
            where = sub.add_mutually_exclusive_group()
            where.add_argument("--workers", type=positive, default=None,
                               help="submissions graded at once on this machine (default: the number of cores + 1)")
            where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                               help="grade on the workers of the Dask scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786), "
                                    "started with `dask scheduler` and `dask worker ADDRESS` (README)")
            sub.add_argument("--slice", type=retired_slice, default=None, help=argparse.SUPPRESS)
    sub = commands.add_parser("export", help="write the grades CSV (long, or for Canvas or Moodle)")
    sub.add_argument("--to", default=None,
                     help="the file (default: grades.csv, grades-canvas.csv or grades-moodle.csv)")
    sub.add_argument("--format", choices=["long", "canvas", "moodle"], default="long",
                     help="long: a row per student and assignment; canvas/moodle: the LMS's grade import CSV")
    sub.add_argument("--moodle-key", choices=["email", "idnumber"], default="email",
                     help="the user field Moodle's import will match (map 'Email address' to useremail, or 'ID "
                          "number' to useridnumber); students without it are left out and listed")
    sub = commands.add_parser("report", help="write the grades CSV and a one-page summary with plots")
    sub.add_argument("--to", default="report.html")
    sub.add_argument("--csv", default="grades.csv")
    sub = commands.add_parser("check", help="run a notebook's visible tests (exit 1 if any fails)")
    sub.add_argument("notebook")
    sub = commands.add_parser("new", help="start a new assignment: its source notebook, hidden tests and wrong "
                                          "answers, with one example part (docs/authoring.md)")
    sub.add_argument("name", help="lowercase letters and digits in words joined by _, e.g. 14_schedules")
    sub.add_argument("--title", default=None, help="the exercise's title (default: from the name)")
    from nbcourse import collect as collect_command
    from nbcourse import roster as roster_command
    from nbcourse import schedule as schedule_command

    for module in (collect_command, roster_command, schedule_command):  # each defines its own options
        module.register(commands)
    args = parser.parse_args(argv)

    if args.command == "check":
        return check(args.notebook)
    root = course_root()
    if args.command == "new":
        return new(root, args.name, args.title)
    if args.command in ("collect", "roster", "schedule"):
        return args.run(root, args)
    if args.command in ("release", "autograde"):  # due dates into the gradebook before nbgrader uses them
        schedule_command.apply_or_exit(root)
    if args.command == "release":
        return release(root, args.assignment, args.force)
    if args.command == "autograde":
        return autograde(root, args.assignment, args.student, args.workers, args.force, args.scheduler)
    if args.command == "feedback":
        return feedback(root, args.assignment, args.student)
    if args.command == "report":
        from nbcourse.report import write_report

        export(root, args.csv)
        print(f"wrote the summary to {write_report(root, args.to)}")
        return 0
    return export(root, args.to, args.format, args.moodle_key)
