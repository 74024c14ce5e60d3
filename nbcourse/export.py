"""Grades out of the course: ``nbcourse export --to FILE --format long|canvas|moodle``.

* ``long`` (default, ``grades.csv``): nbgrader's export columns (one row per student and
  assignment in the gradebook) plus a ``status`` column saying why a grade is missing, or that
  it is late.
* ``canvas``: Canvas's gradebook import CSV. The columns Canvas's importer expects: ``Student``
  ("Last, First"), ``ID`` (the Canvas user id: the roster's LMS id), ``SIS User ID``,
  ``SIS Login ID``, ``Section``; then one column per assignment set for the class, named as the
  assignment (Canvas matches a column to the assignment of that title, or "Title (canvas id)");
  a ``Points Possible`` row under the header; and ``Final Points`` last, which Canvas reads as its
  own read-only total and ignores on import (it is there for the instructor to compare).
* ``moodle``: Moodle's CSV grade import. ``Email address`` and ``ID number`` (the roster's LMS id)
  identify the student (choose one as "Map from" when importing, and say which with ``--moodle-key``:
  rows without it are left out, since Moodle stops an import at a row it cannot match), ``First name``
  and ``Last name``
  are for reading, then one column per assignment (map each to its grade item) and ``Course total``
  (Moodle cannot import a course total: leave it on "ignore").

The LMS files hold only the assignments set for the class (``nbcourse.schedule.set_assignments``,
else those with any submission). An empty cell means "no grade yet" in both LMSs: it is written for
a submission that could not be graded, or has parts that need attention, never a 0; and for an
assignment that is not yet due. A student who did not submit an assignment that is due gets 0.
Late submissions carry nbgrader's late penalty in their score. Everything that needs the
instructor (empty cells, late work, students the LMS cannot identify) is printed as a warning.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from nbcourse.gradebook import gradebook_url
from nbcourse.status import Status, read_all

FORMATS = ("long", "canvas", "moodle")
DEFAULT_FILES = {"long": "grades.csv", "canvas": "grades-canvas.csv", "moodle": "grades-moodle.csv"}

# What a student's result on one assignment is.
GRADED = "graded"                # a score, as nbgrader computed it (late penalty included)
NOT_SUBMITTED = "not submitted"  # nothing submitted and the assignment is due (or has no due date): 0
NOT_DUE = "not due yet"          # nothing submitted, the due date is still to come: no grade yet
NOT_GRADED = "not graded"        # submitted, but grading failed or has not run: no grade
ATTENTION = "needs attention"    # graded, but some parts could not be graded or need a person: no grade
NO_GRADE = (NOT_DUE, NOT_GRADED, ATTENTION)

# Canvas's importer: the student columns it recognises, and the row it reads maximum points from.
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"  # as Canvas's own export writes it (the importer looks for "Points Possible")
CANVAS_TOTAL = "Final Points"              # a read-only column to Canvas: dropped on import
MOODLE_STUDENT_COLUMNS = ["First name", "Last name", "ID number", "Email address"]
MOODLE_TOTAL = "Course total"
MOODLE_NO_GRADE = "-"                      # Moodle's own mark for "no grade" (an empty cell means the same)


@dataclass
class Person:
    """A student as the gradebook knows them (the roster import fills the names, email and LMS id)."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""

    @property
    def on_roster(self) -> bool:
        return bool(self.first_name or self.last_name or self.email or self.lms_user_id)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.id

    @property
    def sortable_name(self) -> str:
        """"Last, First", as Canvas names a student (and matches its ``sortable_name``)."""
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.last_name or self.first_name or self.id


@dataclass
class Result:
    """One student's result on one assignment."""

    state: str
    score: float | None = None     # what the LMS gets; None: no grade (an empty cell)
    raw_score: float = 0.0
    penalty: float = 0.0
    seconds_late: float = 0.0
    timestamp: datetime | None = None
    why: str = ""                  # why there is no grade, for the instructor
    stale: bool = False            # graded against older hidden tests than the current ones
    status: Status | None = None
    manual: bool = False           # no grade only because a written answer waits for a TA (formgrader)

    @property
    def late(self) -> bool:
        return self.seconds_late > 0


@dataclass
class Assignment:
    name: str
    max_score: float
    duedate: datetime | None = None  # naive UTC, as nbgrader keeps it


@dataclass
class ClassGrades:
    """The class's results on some assignments, read from the gradebook and grading/."""

    assignments: list[Assignment]
    students: list[Person]
    results: dict[tuple[str, str], Result] = field(default_factory=dict)  # (student, assignment) -> Result

    def result(self, student: str, assignment: str) -> Result:
        return self.results[(student, assignment)]

    def total(self, student: str) -> float | None:
        """The sum of the student's scores; None while any of them has no grade for a reason to fix."""
        results = [self.results[(student, a.name)] for a in self.assignments]
        if any(r.state in (NOT_GRADED, ATTENTION) for r in results):
            return None
        return sum(r.score or 0.0 for r in results)

    @property
    def max_total(self) -> float:
        return sum(a.max_score for a in self.assignments)


def set_for_class(root: Path) -> list[str]:
    """The assignments set for the class: the schedule's (nbcourse/schedule.py), or, in a course without
    that module, those with any submission."""
    try:
        from nbcourse.schedule import set_assignments
    except ImportError:
        submitted = root / "submitted"
        return sorted({f.name for f in submitted.glob("*/*") if f.is_dir()}) if submitted.is_dir() else []
    try:
        return list(set_assignments(root))
    except ValueError as error:  # schedule.toml cannot be read (ScheduleError): say what, export nothing
        raise SystemExit(f"error: {error}; nothing was exported") from None


def points_in_source(root: Path, assignment: str) -> float:
    """An assignment's maximum score from its source notebooks (for one not yet in the gradebook)."""
    total = 0.0
    for path in sorted((root / "solutions" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") or meta.get("task"):
                total += float(meta.get("points", 0) or 0)
    return total


def open_gradebook(root: Path) -> Gradebook:
    """nbgrader's gradebook of the course, read-only in spirit: an error if there is none yet."""
    url = gradebook_url(root)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise SystemExit(f"no gradebook at {url.database}: run nbcourse autograde (or roster import) first")
    # course_id="": Gradebook() otherwise adds a course row when its id is missing; reading adds nothing.
    return Gradebook(url.render_as_string(hide_password=False), course_id="")


def read_class(root: Path, names: list[str] | None = None) -> ClassGrades:
    """Every student's result on ``names`` (default: the assignments set for the class), from nbgrader's
    gradebook (scores, late penalties, due dates, roster data) and grading/ (what went wrong)."""
    from nbcourse.incremental import submission_hash
    from nbcourse.schedule import load_schedule
    from nbcourse.trusted import tests_digest

    statuses = read_all(root)
    try:  # the due dates are the schedule's, also for an assignment the gradebook does not have yet
        scheduled = load_schedule(root).assignments
    except ValueError as error:
        raise SystemExit(f"error: {error}; nothing was exported") from None

    def due(name: str, in_gradebook: datetime | None) -> datetime | None:
        entry = scheduled.get(name)
        if entry is None:  # not in schedule.toml (or no schedule): what the gradebook says
            return in_gradebook
        return entry.due.astimezone(UTC).replace(tzinfo=None) if entry.due else None

    now = datetime.now(UTC).replace(tzinfo=None)  # nbgrader's dates are naive UTC
    with open_gradebook(root) as gradebook:
        wanted = names if names is not None else set_for_class(root)
        people = {s.id: Person(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "")
                  for s in gradebook.students}
        known = {a.name: a for a in gradebook.assignments}
        assignments, submissions = [], {}
        for name in wanted:
            found = known.get(name)
            if found is None or not found.max_score:  # not released into this gradebook yet
                assignments.append(Assignment(name, points_in_source(root, name), due(name, found and found.duedate)))
                if found is None:
                    continue
            else:
                assignments.append(Assignment(name, float(found.max_score), due(name, found.duedate)))
            for sub in found.submissions:
                submissions[(sub.student_id, name)] = (
                    float(sub.score or 0.0), float(sub.late_submission_penalty or 0.0),
                    float(sub.total_seconds_late or 0.0), sub.timestamp, bool(sub.needs_manual_grade))
    for student, _ in statuses:
        people.setdefault(student, Person(student))
    for folder in (root / "submitted").glob("*/*") if (root / "submitted").is_dir() else []:
        if folder.is_dir() and folder.name in wanted:
            people.setdefault(folder.parent.name, Person(folder.parent.name))

    digests = {}
    for a in assignments:
        try:
            digests[a.name] = tests_digest(root / "hidden_tests", a.name)
        except OSError:
            digests[a.name] = ""
    grades = ClassGrades(assignments, sorted(people.values(), key=lambda p: p.id))
    for person in grades.students:
        for a in assignments:
            key = (person.id, a.name)
            status = statuses.get(key)
            folder = root / "submitted" / person.id / a.name
            changed = bool(status and status.graded and status.submission and folder.is_dir()
                           and submission_hash(folder) != status.submission)
            grades.results[key] = classify(root, key, a, status, submissions.get(key), now, digests[a.name], changed)
    return grades


def classify(root: Path, key: tuple[str, str], assignment: Assignment, status: Status | None,
             submission: tuple | None, now: datetime, digest: str, changed: bool = False) -> Result:
    """The state of one student's work on one assignment (see the constants above); ``changed``: the
    submitted files are not those that were graded (collected again since)."""
    student, name = key
    submitted = (root / "submitted" / student / name).is_dir()
    if status is not None and not status.graded:
        return Result(NOT_GRADED, why=status.summary(), status=status)
    if changed:  # the grade in the gradebook is an earlier copy's: never exported as this one's
        return Result(NOT_GRADED, why="submitted again since it was graded: run nbcourse autograde", status=status)
    if submission is None:
        if status is not None or submitted:
            return Result(NOT_GRADED, why="submitted, not graded yet: run nbcourse autograde", status=status)
        if assignment.duedate is not None and assignment.duedate > now:
            return Result(NOT_DUE, why=f"due {assignment.duedate:%Y-%m-%d %H:%M} UTC")
        return Result(NOT_SUBMITTED, score=0.0, why="not submitted")
    raw, penalty, late, timestamp, manual = submission
    stale = bool(status is not None and digest and status.tests and status.tests != digest)
    common = {"raw_score": raw, "penalty": penalty, "seconds_late": late, "timestamp": timestamp,
              "stale": stale, "status": status}
    if status is not None and status.ungraded_parts:
        return Result(ATTENTION, why=status.summary(), **common)
    if manual:
        return Result(ATTENTION, why="needs manual grading in nbgrader's formgrader", manual=True, **common)
    return Result(GRADED, score=max(0.0, raw - penalty), **common)


def number(value: float) -> str:
    """A score as an LMS reads it: "7", "7.5", "8.33" (no float noise)."""
    return f"{round(value, 2):g}"


def lateness(seconds: float) -> str:
    """A duration a person reads: "40 min", "6.5 h", "2.3 days"."""
    if seconds < 3600:
        return f"{max(seconds, 60) / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


# ---- the LMS formats ----------------------------------------------------------------------

def cell(result: Result, empty: str = "") -> str:
    return empty if result.score is None else number(result.score)


def canvas_rows(grades: ClassGrades) -> list[list[str]]:
    names = [a.name for a in grades.assignments]
    rows = [CANVAS_STUDENT_COLUMNS + names + [CANVAS_TOTAL],
            [CANVAS_POINTS_ROW, "", "", "", ""] + [number(a.max_score) for a in grades.assignments]
            + [number(grades.max_total)]]
    for person in grades.students:
        total = grades.total(person.id)
        rows.append([person.sortable_name, person.lms_user_id, "", "", ""]
                    + [cell(grades.result(person.id, name)) for name in names]
                    + ["" if total is None else number(total)])
    return rows


MOODLE_KEYS = {"email": "Email address", "idnumber": "ID number"}  # --moodle-key: the column the import maps


def moodle_key_of(person: Person, key: str) -> str:
    return person.email if key == "email" else person.lms_user_id


def moodle_rows(grades: ClassGrades, key: str = "email") -> list[list[str]]:
    names = [a.name for a in grades.assignments]
    rows = [MOODLE_STUDENT_COLUMNS + names + [MOODLE_TOTAL]]
    for person in grades.students:
        if not moodle_key_of(person, key):
            continue  # Moodle stops the whole import at a row it cannot match to a user: listed instead
        total = grades.total(person.id)
        rows.append([person.first_name, person.last_name, person.lms_user_id, person.email]
                    + [cell(grades.result(person.id, name), MOODLE_NO_GRADE) for name in names]
                    + [MOODLE_NO_GRADE if total is None else number(total)])
    return rows


def warnings_for(grades: ClassGrades, lms: str, moodle_key: str = "email") -> list[str]:
    """What the instructor must know before uploading: each a paragraph naming the students."""
    found = []
    if lms == "canvas":
        unknown = [p.id for p in grades.students if not p.lms_user_id]
        if unknown:
            found.append(f"{len(unknown)} student(s) without an LMS id in the gradebook (import the roster): "
                         f"{', '.join(unknown)}. Canvas matches their rows by name only, or asks.")
    if lms == "moodle":
        unknown = [p.id for p in grades.students if not moodle_key_of(p, moodle_key)]
        what = "email" if moodle_key == "email" else "LMS id (Moodle ID number)"
        if unknown:
            found.append(f"{len(unknown)} student(s) left out: no {what} in the gradebook, the field the import "
                         f"matches on (--moodle-key {moodle_key}: map {MOODLE_KEYS[moodle_key]!r}), and Moodle stops "
                         f"an import at a row it cannot match (import the roster): {', '.join(unknown)}")
    elif lms != "canvas":
        unknown = [p.id for p in grades.students if not p.on_roster]
        if unknown:
            found.append(f"{len(unknown)} student(s) not on the roster (no name or email): {', '.join(unknown)}")
    empty = [(p.id, a.name, r) for p in grades.students for a in grades.assignments
             if (r := grades.result(p.id, a.name)).state in (NOT_GRADED, ATTENTION)]
    if empty:
        lines = "\n".join(f"  {s} {a}: {r.why}" for s, a, r in empty)
        found.append(f"{len(empty)} submission(s) have no grade (an empty cell, not 0): fix and regrade, or grade "
                     f"them by hand in the LMS:\n{lines}")
    late = [(p.id, a.name, r) for p in grades.students for a in grades.assignments
            if (r := grades.result(p.id, a.name)).late]
    if late:
        lines = "\n".join(f"  {s} {a}: {lateness(r.seconds_late)} late, penalty {number(r.penalty)} point(s)"
                          for s, a, r in late)
        found.append(f"{len(late)} late submission(s), their penalty already in the score:\n{lines}")
    stale = [(p.id, a.name) for p in grades.students for a in grades.assignments
             if grades.result(p.id, a.name).stale]
    if stale:
        found.append(f"{len(stale)} submission(s) graded against older hidden tests than the current ones (run "
                     f"nbcourse autograde again): {', '.join(f'{s} {a}' for s, a in stale)}")
    return found


# ---- the long format ------------------------------------------------------------------------

LONG_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                "raw_score", "late_submission_penalty", "score", "max_score", "status"]


def text(value: object) -> str:
    return "" if value is None else str(value)


def long_status(result: Result) -> str:
    """The ``status`` column: "graded", "not submitted", or why the grade is missing; then late, stale."""
    if result.state == GRADED:
        said = result.status.summary() if result.status else "graded"
    elif result.state in (NOT_GRADED, ATTENTION):
        said = result.why
    elif result.state == NOT_DUE:
        said = f"not submitted ({result.why})"
    else:
        said = "not submitted"
    if result.late:
        said += f"; late by {lateness(result.seconds_late)} (penalty {number(result.penalty)})"
    if result.stale:
        said += "; graded against older hidden tests: grade it again"
    return said


def long_rows(root: Path) -> list[dict[str, str]]:
    """One row per student and assignment in the gradebook, in nbgrader's export columns plus ``status``
    (written from nbgrader's API with the csv module: nbgrader's own export does not quote a name with a
    comma). A submission that could not be graded scores 0 here, with the reason in ``status``."""
    with open_gradebook(root) as gradebook:
        names = sorted(a.name for a in gradebook.assignments)
    names += sorted({a for _, a in read_all(root)} - set(names))
    grades = read_class(root, names)
    rows = []
    for a in grades.assignments:
        for person in grades.students:
            result = grades.result(person.id, a.name)
            graded = result.state in (GRADED, ATTENTION)
            rows.append({
                "assignment": a.name, "duedate": text(a.duedate), "timestamp": text(result.timestamp),
                "student_id": person.id, "last_name": person.last_name, "first_name": person.first_name,
                "email": person.email,
                "raw_score": text(result.raw_score if graded else 0.0),
                "late_submission_penalty": text(result.penalty if graded else 0.0),
                "score": text(max(0.0, result.raw_score - result.penalty) if graded else 0.0),
                "max_score": text(a.max_score), "status": long_status(result)})
    return rows


# ---- the command ----------------------------------------------------------------------------

def writable(path: Path, encoding: str):
    """``path`` opened for a CSV (its folder made if need be), or a clear error saying why it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", newline="", encoding=encoding)
    except (FileExistsError, NotADirectoryError):  # a file where a folder on the way should be
        raise SystemExit(f"error: cannot write the grades to {path}: a file is in the way of its folder "
                         f"{path.parent}") from None
    except OSError as error:
        raise SystemExit(f"error: cannot write the grades to {path}: {error.strerror or error}") from None


def export(root: Path, to: str | None = None, fmt: str = "long", moodle_key: str = "email") -> int:
    """Write the grades in ``fmt`` to ``root / to`` (default per format); warnings go to stderr. ``moodle_key``:
    the user field Moodle's import is told to match on (email or idnumber); rows without it are left out."""
    if moodle_key not in MOODLE_KEYS:
        raise SystemExit(f"unknown Moodle key {moodle_key!r}; choose one of {', '.join(MOODLE_KEYS)}")
    if fmt not in FORMATS:
        raise SystemExit(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = root / (to or DEFAULT_FILES[fmt])
    if fmt == "long":
        rows = long_rows(root)
        with writable(path, "utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=LONG_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {len(rows)} rows to {path}")
        return 0
    grades = read_class(root)
    if not grades.assignments:
        raise SystemExit("no assignment is set for the class yet (none in schedule.toml, no submissions): "
                         "nothing to export")
    rows = canvas_rows(grades) if fmt == "canvas" else moodle_rows(grades, moodle_key)
    # UTF-8 with a byte-order mark: both LMSs read it, and a spreadsheet opened on the way keeps accents.
    with writable(path, "utf-8-sig") as handle:
        csv.writer(handle).writerows(rows)
    students = len(rows) - (2 if fmt == "canvas" else 1)
    print(f"wrote {students} student(s) x {len(grades.assignments)} assignment(s) "
          f"({', '.join(a.name for a in grades.assignments)}) for {fmt.capitalize()} to {path}")
    for warning in warnings_for(grades, fmt, moodle_key):
        print(f"warning: {warning}", file=sys.stderr)
    return 0
