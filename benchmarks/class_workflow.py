"""A class's week, timed step by step: from the LMS download to the LMS upload, README commands only.

A synthetic class of ``--students`` students (default 100) on this machine, three quick assignments
(02_forward_propagation, 06_activation_functions, 07_loss_functions) and the submission mix of
grading_speed.py (60 % complete, 25 % with wrong answers, 15 % broken: not JSON, a kernel crash, the
release handed back untouched). Every step is the real CLI in a scratch course, in order:

1. ``nbcourse release``: the three assignments into a fresh gradebook, due dates from schedule.toml
   (10 % per day late);
2. ``nbcourse roster import roster.csv``: the class, names with accents and spaces, Canvas user ids;
3. ``nbcourse collect ASSIGNMENT canvas.zip``, one Canvas download per assignment (flat file names,
   UTC entry times; one submission in 20 late, marked ``late_`` as Canvas does);
4. ``nbcourse autograde``: the whole class;
5. one student resubmits: a new download of 06_activation_functions in which that student's file is
   newer and corrected; ``collect`` it, then ``autograde`` again: it must grade that submission only;
6. ``nbcourse feedback``; 7. ``nbcourse report``; 8. ``nbcourse export --format canvas`` and ``moodle``.

Printed: each step's seconds (and the load average around it: this machine is shared), and checks
that the run did what it says (every submission placed, graded or with its reason, the regrade of
one, an upload row per student). Exit status 1 when a check fails.

    .venv/bin/python benchmarks/class_workflow.py [--students 100] [--keep]
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # grading_speed's class
from grading_speed import ASSIGNMENTS, class_notebooks, cores, environment, load  # noqa: E402

FIRST_DUE = dt.datetime(2026, 10, 5, 21, 59, tzinfo=dt.UTC)  # 23:59 in Berlin; then one a week
DUES = {assignment: FIRST_DUE + dt.timedelta(days=7 * i) for i, assignment in enumerate(ASSIGNMENTS)}
FIRST = ["Zoë", "Jean Paul", "Ana", "Marie", "Ōta", "Lars"]
LAST = ["Ångström", "De la Cruz", "Nuñez", "Curie", "Smith", "O'Brien"]


def student_rows(count: int) -> list[dict[str, str]]:
    return [{"student_id": f"s{i:03d}", "first_name": FIRST[i % len(FIRST)], "last_name": f"{LAST[i % len(LAST)]} {i}",
             "email": f"s{i:03d}@example.org", "lms_id": str(10000 + i)} for i in range(count)]


def canvas_zip(path: Path, files: list[tuple[str, bytes, dt.datetime]]) -> Path:
    """Canvas's "Download submissions": flat names, each entry with its UTC time (extended timestamp field)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, when in files:
            seconds = calendar.timegm(when.utctimetuple())
            info = zipfile.ZipInfo(name, time.gmtime(seconds)[:6])
            info.extra = struct.pack("<HHBi", 0x5455, 5, 1, seconds)
            archive.writestr(info, data)
    return path


def canvas_name(row: dict[str, str], late: bool, assignment: str, copy: str = "") -> str:
    letters = "".join(c for c in (row["last_name"] + row["first_name"]).lower() if c.isascii() and c.isalnum())
    return f"{letters}_{'late_' if late else ''}{row['lms_id']}_{5000 + int(row['lms_id'])}_{assignment}{copy}.ipynb"


def canvas_download(path: Path, assignment: str, due: dt.datetime, rows: list[dict[str, str]],
                    notebooks: dict, newer: str | None = None) -> Path:
    """Every student's notebook, submitted before the due date but one in twenty 1 to 30 hours late;
    the student ``newer`` half an hour later than in the first download."""
    files = []
    for number, row in enumerate(rows):
        late = number % 20 == 7
        when = due + (dt.timedelta(hours=1 + number % 30) if late else -dt.timedelta(hours=1 + number % 48))
        if row["student_id"] == newer:
            when += dt.timedelta(minutes=30)
        files.append((canvas_name(row, late, assignment),
                      notebook_bytes(notebooks[(row["student_id"], assignment)]), when))
    return canvas_zip(path, files)


def notebook_bytes(notebook: object) -> bytes:
    return (notebook if isinstance(notebook, str) else nbformat.writes(notebook)).encode()


class Clock:
    """Runs each step's command in the course and keeps its seconds."""

    def __init__(self, course: Path, env: dict[str, str]) -> None:
        self.course, self.env, self.times = course, env, []
        self.failures: list[str] = []

    def step(self, label: str, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        before = load()
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "nbcourse", *args], cwd=self.course, env=self.env,
                                capture_output=True, text=True)
        seconds = time.perf_counter() - start
        self.times.append((label, seconds))
        last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"  {label:<52} {seconds:7.1f} s  (exit {result.returncode}; {before}; {last[:90]})")
        if result.returncode not in ok:
            self.fail(f"{label}: exit status {result.returncode}\n{(result.stdout + result.stderr)[-3000:]}")
        return result

    def check(self, condition: bool, what: str) -> None:
        print(f"    {'ok' if condition else 'FAILED'}: {what}")
        if not condition:
            self.fail(what)

    def fail(self, what: str) -> None:
        self.failures.append(what)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the scratch course")
    args = parser.parse_args()

    env = environment()
    scratch = Path(tempfile.mkdtemp(prefix="class_workflow_"))
    course = scratch / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "hidden_tests").mkdir()
    for name in ASSIGNMENTS:
        shutil.copytree(ROOT / "solutions" / name, course / "solutions" / name)
        shutil.copy(ROOT / "hidden_tests" / f"{name}.py", course / "hidden_tests")
    (course / "schedule.toml").write_text(
        'timezone = "Europe/Berlin"\n\n[late]\npolicy = "percent-per-day"\npercent = 10\n\n'
        + "".join(f'[assignments.{name}]\ndue = "{due.isoformat()}"\n\n' for name, due in DUES.items()))
    rows = student_rows(args.students)
    with open(scratch / "roster.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    print(f"{cores()} cores, OMP_NUM_THREADS={env['OMP_NUM_THREADS']}, {args.students} students x "
          f"{len(ASSIGNMENTS)} assignments, scratch {scratch}")
    clock = Clock(course, env)
    try:
        clock.step("release (3 assignments)", "release")
        clock.step(f"roster import ({args.students} students)", "roster", "import", str(scratch / "roster.csv"))

        ids = [row["student_id"] for row in rows]
        kinds, notebooks = class_notebooks(course, ids, args.seed)
        downloads = {assignment: canvas_download(scratch / f"{assignment}.zip", assignment, due, rows, notebooks)
                     for assignment, due in DUES.items()}
        for assignment, download in downloads.items():
            result = clock.step(f"collect {assignment}", "collect", assignment, str(download))
            clock.check(f"{args.students} placed" in result.stdout, f"collect placed all {args.students} submissions")

        result = clock.step(f"autograde ({len(notebooks)} submissions)", "autograde", ok=(0, 1))
        clock.check(f"grading {len(notebooks)} submission(s)" in result.stdout, "autograde graded every submission")

        # One student, whose 06 had a wrong answer or was broken, uploads a corrected copy half an hour later.
        assignment = ASSIGNMENTS[1]
        again = next(sid for sid in ids if kinds[(sid, assignment)] != "complete")
        complete = next(key for key, kind in kinds.items() if kind == "complete" and key[1] == assignment)
        resubmitted = canvas_download(scratch / f"{assignment}-again.zip", assignment, DUES[assignment],
                                      rows, {**notebooks, (again, assignment): notebooks[complete]}, newer=again)
        result = clock.step(f"collect {assignment} again (1 resubmitted)", "collect", assignment, str(resubmitted))
        clock.check("1 updated" in result.stdout, "the second download updated one submission")
        result = clock.step("autograde after one resubmission", "autograde", ok=(0, 1))
        clock.check("grading 1 submission(s)" in result.stdout, "autograde graded the resubmission only")

        clock.step("feedback", "feedback", ok=(0, 1))
        pages = list((course / "feedback").rglob("*.html"))
        clock.check(len(pages) >= len(notebooks) * 0.8, f"feedback pages written: {len(pages)}")
        clock.step("report", "report", ok=(0, 1))
        clock.check((course / "report.html").is_file(), "report.html written")
        for lms in ("canvas", "moodle"):
            clock.step(f"export --format {lms}", "export", "--format", lms, ok=(0, 1))
            with open(course / f"grades-{lms}.csv", encoding="utf-8-sig") as handle:
                body = list(csv.reader(handle))
            clock.check(sum(1 for line in body if any(r["email"] in line or r["lms_id"] in line for r in rows))
                        == args.students, f"grades-{lms}.csv has a row for each of the {args.students} students")
        total = sum(seconds for _, seconds in clock.times)
        print(f"all steps: {total:.0f} s ({total / 60:.1f} min); {load()}")
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    for failure in clock.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if clock.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
