"""Due dates and late policies: ``schedule.toml`` in the course, committed with it.

    timezone = "Europe/Berlin"      # optional: for due dates written without a UTC offset

    [late]                          # the default late policy (optional; without it: no penalty)
    policy = "percent-per-day"      # none | zero | percent-per-day
    percent = 10                    # percent-per-day: this share of the score per day or part of a day late
    grace = "15m"                   # optional: late by at most this much costs nothing (still shown as late)

    [assignments.06_activation_functions]
    due = "2026-10-05T23:59:00+02:00"   # ISO 8601; with its UTC offset unless `timezone` is set
    late = "zero"                       # optional: this assignment's own policy ("zero", or a table like [late])

The assignments set for the class are those listed here (without a schedule file: those with a
submission). nbgrader does the rest: ``apply`` writes each due date into the gradebook
(``Assignment.duedate``), nbgrader computes a submission's ``total_seconds_late`` from its
``timestamp.txt``, and its ``AssignLatePenalties`` preprocessor asks ``ScheduledLatePenalty``
(configured in nbgrader_config.py) for the penalty, which it stores per notebook.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Unicode

SCHEDULE_FILE = "schedule.toml"
POLICIES = ("none", "zero", "percent-per-day")
DAY = 86400.0
ISO_EXAMPLE = '"2026-10-05T23:59:00+02:00"'


class ScheduleError(ValueError):
    """schedule.toml says something that cannot be used; the message names the file, key and value."""


@dataclass(frozen=True)
class LatePolicy:
    policy: str = "none"
    percent: float = 0.0          # percent-per-day only
    grace_seconds: float = 0.0

    def penalty(self, score: float, seconds_late: float) -> float | None:
        """The points taken off a notebook scoring ``score`` that came ``seconds_late`` late (None: none).

        percent-per-day counts every day started: 6.5 hours late is one day, 24 h 1 s two days."""
        if seconds_late <= 0 or self.policy == "none" or seconds_late <= self.grace_seconds:
            return None
        if self.policy == "zero":
            return score
        days = math.ceil(seconds_late / DAY)
        return min(score, score * self.percent / 100 * days)

    def describe(self) -> str:
        grace = f", grace {format_duration(self.grace_seconds)}" if self.grace_seconds else ""
        if self.policy == "percent-per-day":
            return f"{self.percent:g} % per day started{grace}"
        if self.policy == "zero":
            return f"0 points when late{grace}"
        return "no penalty"


@dataclass(frozen=True)
class Entry:
    name: str
    due: dt.datetime | None       # timezone-aware
    late: LatePolicy


@dataclass
class Schedule:
    assignments: dict[str, Entry] = field(default_factory=dict)
    timezone: dt.tzinfo | None = None

    def due_utc(self, name: str) -> dt.datetime | None:
        """The due date as nbgrader stores it: naive UTC."""
        entry = self.assignments.get(name)
        if entry is None or entry.due is None:
            return None
        return entry.due.astimezone(dt.UTC).replace(tzinfo=None)


def set_assignments(root: Path) -> list[str]:
    """The assignments set for the class, sorted: those with an entry in schedule.toml or, when the course
    has no schedule file, those that have any submission under submitted/."""
    path = root / SCHEDULE_FILE
    if path.is_file():
        return sorted(load_schedule(root).assignments)
    submitted = root / "submitted"
    if not submitted.is_dir():
        return []
    return sorted({folder.name for folder in submitted.glob("*/*") if folder.is_dir() and any(folder.iterdir())})


# ---- reading and checking the file -----------------------------------------------------

def known_assignments(root: Path) -> list[str] | None:
    source = root / "solutions"
    if not source.is_dir():
        return None
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_schedule(root: Path, path: Path | None = None) -> Schedule:
    """Read and check schedule.toml (an empty Schedule when there is none); ScheduleError names what is wrong."""
    path = path or root / SCHEDULE_FILE
    if not path.is_file():
        return Schedule()
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScheduleError(f"{where}: not valid TOML ({error})") from None
    unknown = sorted(set(data) - {"timezone", "late", "assignments"})
    if unknown:
        raise ScheduleError(f"{where}: unknown key(s) {', '.join(unknown)}; known: timezone, late, assignments")
    timezone = None
    if "timezone" in data:
        try:
            timezone = ZoneInfo(str(data["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"{where}: timezone = {data['timezone']!r} is not a time zone name "
                                "(e.g. \"Europe/Berlin\", \"UTC\")") from None
    default = parse_policy(data.get("late", {}), LatePolicy(), f"{where}: [late]")
    tables = data.get("assignments", {})
    if not isinstance(tables, dict):
        raise ScheduleError(f"{where}: assignments = {tables!r} must be tables, [assignments.NAME]")
    known = known_assignments(root)
    schedule = Schedule(timezone=timezone)
    for name, table in tables.items():
        key = f"{where}: [assignments.{name}]"
        if known is not None and name not in known:
            raise ScheduleError(f"{key}: no assignment {name!r} in solutions/; known: {', '.join(known)}")
        if not isinstance(table, dict):
            raise ScheduleError(f"{key}: must be a table with `due` (and optionally `late`), not {table!r}")
        extra = sorted(set(table) - {"due", "late"})
        if extra:
            raise ScheduleError(f"{key}: unknown key(s) {', '.join(extra)}; known: due, late")
        due = parse_due(table["due"], timezone, f"{key} due") if "due" in table else None
        late = parse_policy(table.get("late", {}), default, f"{key} late")
        schedule.assignments[name] = Entry(name, due, late)
    return schedule


def parse_due(value: object, timezone: dt.tzinfo | None, key: str) -> dt.datetime:
    if isinstance(value, dt.datetime):  # TOML's own date-time (written without quotes)
        when = value
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ScheduleError(f"{key} = {value!r}: not a date and time; write ISO 8601 with its UTC offset, "
                                f"e.g. {ISO_EXAMPLE}") from None
    else:
        raise ScheduleError(f"{key} = {value!r}: not a date and time; write ISO 8601 with its UTC offset, "
                            f"e.g. {ISO_EXAMPLE}")
    if when.tzinfo is None:
        if timezone is None:
            raise ScheduleError(f"{key} = {str(value)!r} has no UTC offset: add one (e.g. {ISO_EXAMPLE}) or set "
                                "`timezone = \"Europe/Berlin\"` at the top of the file")
        when = when.replace(tzinfo=timezone)
    return when


def parse_policy(value: object, base: LatePolicy, key: str) -> LatePolicy:
    """A policy from ``"zero"`` or a table {policy, percent, grace}; what the table leaves out comes from ``base``."""
    if isinstance(value, str):
        value = {"policy": value}
    if not isinstance(value, dict):
        raise ScheduleError(f"{key} = {value!r}: a policy name ({', '.join(POLICIES)}) or a table "
                            "{policy = ..., percent = ..., grace = ...}")
    extra = sorted(set(value) - {"policy", "percent", "grace"})
    if extra:
        raise ScheduleError(f"{key}: unknown key(s) {', '.join(extra)}; known: policy, percent, grace")
    policy = value.get("policy", base.policy)
    if policy not in POLICIES:
        raise ScheduleError(f"{key} policy = {policy!r}: unknown late policy; known: {', '.join(POLICIES)}")
    percent = value.get("percent", base.percent)
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 < percent <= 100:
        if policy == "percent-per-day" or "percent" in value:
            raise ScheduleError(f"{key} percent = {percent!r}: a number of percent per day, more than 0 and at "
                                "most 100")
    grace = base.grace_seconds
    if "grace" in value:
        grace = parse_duration(value["grace"], f"{key} grace")
    return LatePolicy(str(policy), float(percent), grace)


DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(d|h|min|m|s)\s*")
UNITS = {"d": DAY, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0}


def parse_duration(value: object, key: str) -> float:
    """"15m", "2h", "1d", "1h30m" (or 0) as seconds."""
    if value == 0:
        return 0.0
    text = value if isinstance(value, str) else ""
    parts = list(DURATION.finditer(text))
    if not parts or "".join(p.group(0) for p in parts) != text:
        raise ScheduleError(f"{key} = {value!r}: a duration like \"15m\", \"2h\", \"1d\" or \"1h30m\"")
    return sum(float(p[1]) * UNITS[p[2]] for p in parts)


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n} {u} " for n, u in ((days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")) if n)
    return text.strip() or "0 s"


# ---- applying it through nbgrader ------------------------------------------------------

def apply(root: Path, schedule: Schedule | None = None) -> list[str]:
    """Write each scheduled due date into nbgrader's gradebook, and recompute the stored late penalties of
    submissions already graded (so a changed due date or policy needs no regrade). Returns what changed.

    Without a schedule file the gradebook is left alone (due dates set with ``nbgrader db`` stay)."""
    from nbcourse.roster import open_gradebook

    if not (root / SCHEDULE_FILE).is_file():
        return []
    schedule = schedule or load_schedule(root)
    changes = []
    with open_gradebook(root) as gradebook:
        for assignment in gradebook.assignments:
            if assignment.name not in schedule.assignments and assignment.duedate is not None:
                # the schedule is the course's truth: a due date taken out of it is taken out of the gradebook
                gradebook.update_or_create_assignment(assignment.name, duedate=None)
                changes.append(f"{assignment.name}: due date removed")
        for name, entry in sorted(schedule.assignments.items()):
            due = schedule.due_utc(name)
            try:
                current = gradebook.find_assignment(name).duedate
            except Exception:  # MissingEntry: created here; nbcourse release/autograde add its notebooks
                current = "missing"
            if current != due:
                gradebook.update_or_create_assignment(name, duedate=due)
                changes.append(f"{name}: due {entry.due.isoformat() if entry.due else 'none'}")
        # Every assignment, also those taken out of the schedule: their due date is gone, so is their lateness
        # (nbgrader computes total_seconds_late from the assignment's due date, as set above).
        for assignment in gradebook.assignments:
            entry = schedule.assignments.get(assignment.name)
            for submission in assignment.submissions:
                late = submission.total_seconds_late
                for notebook in submission.notebooks:
                    penalty = capped(entry.late.penalty(notebook.score, late), notebook.score) if late > 0 else None
                    if notebook.late_submission_penalty != penalty:
                        notebook.late_submission_penalty = penalty
                        changes.append(f"{assignment.name} {submission.student.id}: late penalty now {penalty or 0:g}")
        gradebook.db.commit()
    return changes


def capped(penalty: float | None, score: float) -> float | None:
    """As nbgrader's AssignLatePenalties stores it: between 0 and the notebook's score."""
    if penalty is None:
        return None
    return min(max(penalty, 0.0), score)


class ScheduledLatePenalty(LateSubmissionPlugin):
    """nbgrader's late-submission plugin, with the penalty of the assignment's policy in schedule.toml.

    nbgrader's AssignLatePenalties calls it for each late notebook while autograding; it is that
    preprocessor (our parent) which knows the assignment being graded."""

    schedule_file = Unicode("", help="The course's schedule.toml").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        path = Path(self.schedule_file)
        if not self.schedule_file or not path.is_file():
            return None
        schedule = load_schedule(path.parent, path)
        entry = schedule.assignments.get(getattr(self.parent, "assignment_id", ""))
        if entry is None:
            return None
        penalty = entry.late.penalty(score, total_seconds_late)
        self.log.info("late by %s: %s, penalty %s", format_duration(total_seconds_late), entry.late.describe(), penalty)
        return penalty


def apply_or_exit(root: Path) -> None:
    """For release and autograde: check schedule.toml and put it into the gradebook, or stop with why."""
    try:
        changes = apply(root)
    except ScheduleError as error:
        raise SystemExit(f"error: {error}; nothing was done") from None
    for change in changes:
        print(f"schedule: {change}")


def register(commands) -> None:
    """The ``schedule`` subcommand, for nbcourse.cli."""
    sub = commands.add_parser("schedule", help=f"check {SCHEDULE_FILE} and show each assignment's due date and "
                              "late policy")
    sub.set_defaults(run=run)


def run(root: Path, args) -> int:
    import sys

    try:
        schedule = load_schedule(root)
    except ScheduleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not (root / SCHEDULE_FILE).is_file():
        print(f"no {SCHEDULE_FILE}: no due dates; the assignments set are those with submissions")
        return 0
    for name, entry in sorted(schedule.assignments.items()):
        due = entry.due.isoformat() if entry.due else "no due date"
        print(f"{name}: due {due}; late: {entry.late.describe()}")
    return 0
