"""Collect an LMS download: ``python -m nbcourse collect ASSIGNMENT DOWNLOAD [--roster FILE]``.

DOWNLOAD is the .zip an LMS gives for "download all submissions", or the folder it was extracted to.
File names follow the LMS's convention (nbgrader's FileNameCollectorPlugin reads them, one subclass
per LMS):

    Canvas   lastfirst_[late_]<userid>_<submissionid>_<file name>      matched by lms_id (Canvas's user id),
                                                                        or by name for a roster row without one
    Moodle   Full Name_<participantid>_assignsubmission_file_<file name>, or the same prefix as a folder
             (".../assignsubmission_file_/<file name>"): matched by the student's full name (Moodle's
             participant id is per assignment, not the user's id: two students with one name are listed,
             to be placed by hand)

Each submission goes to ``submitted/<student_id>/<assignment>/<notebook>`` with nbgrader's
``timestamp.txt``. The submission time is the file's modification time: in a .zip, the entry's UTC
time stamp when the archive has one (the "extended timestamp" or NTFS field), else its local time
read in ``--timezone`` (default: schedule.toml's timezone, else UTC); in a folder, the file's
modification time. Canvas's "late" flag is not a time: it is only compared with the due date. Canvas
may stamp its files with the time it built the download: when the times show it (a file after the due
date that Canvas does not flag late, or a whole class within two minutes), no time is written, and each
submission Canvas flags late is listed for its time to be entered by hand.

Nothing is guessed: a name not in the roster, two different files for one student's notebook, a
notebook with a name the assignment does not have, a file that is not a notebook, and the roster's
students with no submission are listed; the exit status is 1 when something needs the instructor's
decision, and every unambiguous submission is placed anyway. ``--prefer latest`` places the newest
of a student's duplicates. Collecting the same download again changes nothing; a submission replaced
by a newer one is kept in ``grading/.collect/<assignment>/replaced/``.

nbgrader's own ``zip_collect`` is not used whole: it picks between duplicates silently (or stops the
whole collection when it cannot), refuses a folder that already has a submission unless forced (and
then deletes it), and its extractor drops the archive's file times, which are the submission times.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Unicode

from nbcourse.roster import Student, fold
from nbcourse.status import STATUS_DIR

FORMATS = ("canvas", "moodle")
JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")
COPY_SUFFIX = re.compile(r"(-\d+| ?\(\d+\))$")  # "name-1.ipynb" (Canvas), "name (1).ipynb" (browsers)
NBGRADER_TIME = "%Y-%m-%d %H:%M:%S.%f UTC"   # nbgrader's CourseDirectory.timestamp_format, in UTC


class CollectError(ValueError):
    """The download or the roster cannot be used at all (nothing was placed)."""


# ---- reading the LMS's file names: nbgrader's collector plugins -----------------------------

class LmsFileNames(FileNameCollectorPlugin):
    """nbgrader's file-name collector, made to report every file (a non-notebook is listed, not skipped)."""

    lms = ""

    def collect(self, submitted_file: str) -> dict | None:
        return self._match(submitted_file)


class CanvasFileNames(LmsFileNames):
    lms = "Canvas"
    named_regexp = Unicode(
        r"^(?:.*/)?(?P<lastfirst>[^/_]*)_(?:(?P<late>[Ll][Aa][Tt][Ee])_)?(?P<lms_id>\d+)_(?P<submission_id>\d+)_"
        r"(?P<file_id>[^/]+)$").tag(config=True)


class MoodleFileNames(LmsFileNames):
    lms = "Moodle"
    named_regexp = Unicode(
        r"^(?:.*/)?(?P<full_name>[^/]+?)_(?P<lms_id>\d+)"
        r"(?:_assignsubmission_(?P<plugin>[a-z]+)(?:_/|/|_)|_?/)(?P<file_id>.+)$").tag(config=True)


PLUGINS = {"canvas": CanvasFileNames, "moodle": MoodleFileNames}


def quiet_plugin(kind: str) -> LmsFileNames:
    plugin = PLUGINS[kind]()
    log = logging.getLogger(f"nbcourse.collect.{kind}")
    log.setLevel(logging.ERROR)  # nbgrader's plugin warns for every name that does not match: we list them ourselves
    plugin.log = log
    return plugin


# ---- the download -----------------------------------------------------------------------

@dataclass
class Entry:
    """One file of the download."""
    path: str                     # its path inside the archive or folder
    data: bytes
    when: dt.datetime             # aware, UTC
    time_source: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_download(source: Path, timezone: dt.tzinfo) -> tuple[list[Entry], str]:
    """Every file of a .zip or a folder, with its time; and a phrase saying where the times came from."""
    if source.is_dir():
        entries = []
        for folder, _, files in os.walk(source):
            for name in sorted(files):
                path = Path(folder, name)
                relative = path.relative_to(source).as_posix()
                if JUNK.search(relative) or path.is_symlink():
                    continue  # a link could point anywhere on this machine: never collected
                when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                entries.append(Entry(relative, path.read_bytes(), when, "file time"))
        return entries, "each file's modification time in the folder"
    if not zipfile.is_zipfile(source):
        raise CollectError(f"{source}: neither a folder nor a .zip archive")
    entries, local = [], 0
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = entry_name(info)
            if JUNK.search(name):
                continue
            when, time_source = utc_extra_time(info.extra), "archive UTC time"
            if when is None:  # a DOS time: the zip writer's local time, no zone
                local += 1
                when = dt.datetime(*info.date_time, tzinfo=timezone).astimezone(dt.UTC)
                time_source = f"archive local time read as {timezone}"
            entries.append(Entry(name, archive.read(info), when, time_source))
    if local:
        return entries, (f"the archive's file times; {local} without a UTC time stamp, read as local time in "
                         f"{timezone} (--timezone)")
    return entries, "the archive's UTC file times"


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name; an archive that did not flag UTF-8 names often has them anyway (Python reads cp437)."""
    if not info.flag_bits & 0x800:
        try:
            return info.filename.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return info.filename


def utc_extra_time(extra: bytes) -> dt.datetime | None:
    """The UTC modification time a zip entry's extra fields may carry: "extended timestamp" (0x5455, Info-ZIP,
    most zip writers) or NTFS (0x000a, Windows)."""
    offset = 0
    while offset + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4: offset + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            return dt.datetime.fromtimestamp(struct.unpack_from("<i", body, 1)[0], dt.UTC)
        if tag == 0x000A and len(body) >= 32:
            inner = 4
            while inner + 4 <= len(body):
                attr, attr_size = struct.unpack_from("<HH", body, inner)
                if attr == 1 and attr_size >= 8:
                    ticks = struct.unpack_from("<Q", body, inner + 4)[0]  # 100 ns since 1601-01-01 UTC
                    return dt.datetime(1601, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ticks // 10)
                inner += 4 + attr_size
        offset += 4 + size
    return None


def detect_format(entries: list[Entry]) -> str:
    """canvas or moodle: the convention more of the files follow (Moodle's names also fit Canvas's pattern
    less often than the reverse: "_assignsubmission_" decides)."""
    canvas_names = quiet_plugin("canvas")
    moodle = sum("_assignsubmission_" in e.path for e in entries)
    canvas = sum(bool(canvas_names.collect(e.path)) for e in entries)
    if not moodle and not canvas:
        raise CollectError("the file names follow neither Canvas's (lastfirst_<userid>_<submissionid>_<file>) nor "
                           "Moodle's (Full Name_<id>_assignsubmission_file_<file>) convention; give --format or "
                           "rename them")
    return "moodle" if moodle >= canvas else "canvas"


# ---- who is it ---------------------------------------------------------------------------

@dataclass
class Match:
    student: Student | None
    lms_name: str                  # the name as the LMS wrote it
    lms_id: str
    late_flag: bool = False
    note: str = ""                 # how it was matched when not by the LMS id, or why it was not


def identify(kind: str, info: dict, roster: list[Student]) -> Match:
    if kind == "canvas":
        name, lms_id = info["lastfirst"], info["lms_id"]
        late = bool(info.get("late"))
        by_id = [s for s in roster if s.lms_id and s.lms_id == lms_id]
        if by_id:
            return Match(by_id[0], name, lms_id, late)
        by_name = [s for s in roster if not s.lms_id and fold(s.last_name + s.first_name) == fold(name)]
        if len(by_name) == 1:
            return Match(by_name[0], name, lms_id, late, f"matched by name: add lms_id {lms_id} to the roster")
        if len(by_name) > 1:
            return Match(None, name, lms_id, late, "several roster students without an lms_id have this name: "
                         f"give them their lms_id ({', '.join(s.student_id for s in by_name)})")
        return Match(None, name, lms_id, late, f"no roster student has lms_id {lms_id} or this name")
    name, lms_id = info["full_name"].replace("_", " "), info["lms_id"]
    wanted = fold(name)
    by_name = [s for s in roster if wanted in (fold(s.first_name + s.last_name), fold(s.last_name + s.first_name))]
    if len(by_name) == 1:
        return Match(by_name[0], name, lms_id)
    if len(by_name) > 1:
        return Match(None, name, lms_id, note="several roster students have this name "
                     f"({', '.join(s.student_id for s in by_name)}): Moodle's file name cannot tell them apart "
                     f"(its participant id, {lms_id}, changes from one assignment to the next); place this file by "
                     "hand in submitted/<student_id>/<assignment>/")
    return Match(None, name, lms_id, note="no roster student has this name")


# ---- the plan: what goes where ----------------------------------------------------------------

@dataclass
class Candidate:
    entry: Entry
    file_id: str
    match: Match


@dataclass
class Plan:
    placed: dict[str, dict[str, Candidate]] = field(default_factory=dict)   # student -> notebook -> file
    duplicates: list[tuple[Student, str, list[Candidate], str]] = field(default_factory=list)
    unknown: list[Candidate] = field(default_factory=list)
    odd_names: list[tuple[Candidate, bool]] = field(default_factory=list)   # (file, needs a decision)
    not_notebooks: list[tuple[Candidate | Entry, bool]] = field(default_factory=list)
    unrecognised: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def expected_name(file_id: str, expected: list[str]) -> tuple[str | None, bool]:
    """The assignment's notebook this file is (and whether the LMS or a browser renamed it), or None."""
    base = PurePosixPath(file_id).name
    if base in expected:
        return base, False
    stem = base[: -len(".ipynb")] if base.endswith(".ipynb") else base
    stripped = COPY_SUFFIX.sub("", stem) + ".ipynb"
    return (stripped, True) if stripped in expected else (None, False)


def plan(entries: list[Entry], kind: str, roster: list[Student], expected: list[str], prefer: str | None) -> Plan:
    plugin = quiet_plugin(kind)
    result = Plan()
    groups: dict[tuple[str, str], list[Candidate]] = {}
    students = {s.student_id: s for s in roster}
    for entry in entries:
        info = plugin.collect(entry.path)
        if not info:
            (result.not_notebooks.append((entry, False)) if not entry.path.endswith(".ipynb")
             else result.unrecognised.append(entry))
            continue
        candidate = Candidate(entry, info["file_id"], identify(kind, info, roster))
        if candidate.match.student is None:
            result.unknown.append(candidate)
            continue
        if not candidate.file_id.lower().endswith(".ipynb"):
            result.not_notebooks.append((candidate, False))
            continue
        notebook, _ = expected_name(candidate.file_id, expected)
        if notebook is None:
            result.odd_names.append((candidate, False))
            continue
        groups.setdefault((candidate.match.student.student_id, notebook), []).append(candidate)
    blocked = set()
    for (sid, notebook), found in sorted(groups.items()):
        distinct = {c.entry.digest: c for c in found}
        if len(distinct) == 1:  # the same file twice: the earliest upload is when it was submitted
            result.placed.setdefault(sid, {})[notebook] = min(found, key=lambda c: c.entry.when)
            if len(found) > 1:
                result.warnings.append(f"{sid}: {len(found)} identical copies of {notebook}; placed once")
            continue
        newest = max(c.entry.when for c in distinct.values())
        latest = [c for c in distinct.values() if c.entry.when == newest]
        rule = (f"--prefer latest would place {latest[0].entry.path} (the newest)" if len(latest) == 1 else
                "their times are equal: no rule can pick one; delete the wrong one from the download")
        if prefer == "latest" and len(latest) == 1:
            result.placed.setdefault(sid, {})[notebook] = latest[0]
            result.warnings.append(f"{sid}: {len(distinct)} different files for {notebook}; placed the newest, "
                                   f"{latest[0].entry.path} (--prefer latest)")
            continue
        result.duplicates.append((students[sid], notebook, sorted(distinct.values(), key=lambda c: c.entry.when),
                                  rule))
        blocked.add(sid)
    for sid in blocked:  # a submission is placed whole or not at all
        result.placed.pop(sid, None)
    # A student's other files need a decision only when nothing of theirs could be placed.
    have = set(result.placed) | blocked
    result.odd_names = [(c, c.match.student.student_id not in have) for c, _ in result.odd_names]
    result.not_notebooks = [(c, isinstance(c, Candidate) and c.match.student.student_id not in have)
                            for c, _ in result.not_notebooks]
    return result


# ---- placing -----------------------------------------------------------------------------

def read_timestamp(folder: Path) -> dt.datetime | None:
    from nbgrader.utils import parse_utc

    path = folder / "timestamp.txt"
    if not path.is_file():
        return None
    try:
        return parse_utc(path.read_text().strip()).replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        return None


def place(root: Path, assignment: str, sid: str, files: dict[str, Candidate],
          when: dt.datetime | None) -> tuple[str, str]:
    """Write one student's submission, submitted at ``when`` (None: unknown); ("placed"|"unchanged"|"updated"|
    "kept", detail)."""
    folder = root / "submitted" / sid / assignment
    stamp_file = folder / "timestamp.txt"
    same = all((folder / nb).is_file() and (folder / nb).read_bytes() == c.entry.data for nb, c in files.items())
    old_when = read_timestamp(folder)
    if same:  # the same file again: it was submitted at the earlier of the two times
        if when is None or old_when == when:
            return "unchanged", ""
        if old_when is not None and old_when < when:
            return "unchanged", f"the same file as before, whose earlier time, {when_text(old_when)}, is kept"
        write_atomic(stamp_file, when.strftime(NBGRADER_TIME).encode())
        return "updated", f"the same file as before; its earlier time, {when_text(when)}, recorded"
    existing = [folder / nb for nb in files if (folder / nb).is_file()]
    if existing and old_when and when and old_when > when:
        return "kept", (f"submitted/ already has a newer submission ({old_when:%Y-%m-%d %H:%M} UTC) than the "
                        f"download's ({when:%Y-%m-%d %H:%M} UTC); nothing replaced")
    if existing:
        keep = root / STATUS_DIR / ".collect" / assignment / "replaced" / sid / (
            old_when.strftime("%Y%m%dT%H%M%SZ") if old_when else "unknown-time")
        keep.mkdir(parents=True, exist_ok=True)
        for path in [*existing, stamp_file]:
            if path.is_file():
                shutil.copy2(path, keep / path.name)
    folder.mkdir(parents=True, exist_ok=True)
    for notebook, candidate in files.items():
        write_atomic(folder / notebook, candidate.entry.data)
    if when is not None:
        write_atomic(stamp_file, when.strftime(NBGRADER_TIME).encode())
    else:  # the earlier copy's time is not this one's
        stamp_file.unlink(missing_ok=True)
    return ("updated", f"the previous copy is in {STATUS_DIR}/.collect/{assignment}/replaced/{sid}/") \
        if existing else ("placed", "")


def canvas_times_unusable(result: Plan, due: dt.datetime | None) -> str:
    """Why a Canvas download's file times cannot be submission times ("" when they can).

    Canvas writes each file into the download with the time it builds the archive, not the time it was
    submitted; only its "late" flag in the file name is the LMS's word on lateness. Two signs give the
    build time away: a file after the due date that Canvas does not flag late, and every file of a class
    stamped within two minutes.
    """
    placed = [c for files in result.placed.values() for c in files.values()]
    times = [c.entry.when for c in placed]
    if due is not None:
        unflagged = [c for c in placed if not c.match.late_flag and c.entry.when > due]
        if unflagged:
            return (f"{len(unflagged)} file(s) carry a time after the due date without Canvas's late flag "
                    f"(e.g. {unflagged[0].entry.path}, {when_text(unflagged[0].entry.when)}): the times are when "
                    "Canvas built the download")
    if len(times) >= 5 and max(times) - min(times) <= dt.timedelta(minutes=2):
        return (f"all {len(times)} files carry times within two minutes of each other ({when_text(min(times))}): "
                "when Canvas built the download")
    return ""


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.collect-tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# ---- the command -------------------------------------------------------------------------------

def when_text(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def who(student: Student) -> str:
    return f"{student.student_id} ({student.full_name})" if student.full_name else student.student_id


def collect(root: Path, assignment: str, source: Path, roster: list[Student], kind: str = "auto",
            prefer: str | None = None, timezone: str | None = None) -> int:
    """Place an LMS download's submissions under submitted/ and print what needs a decision; 1 if anything does."""
    from nbcourse.schedule import format_duration, load_schedule

    known = sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))
    expected = sorted(p.name for p in (root / "solutions" / assignment).glob("*.ipynb")) if assignment in known else []
    if not expected:
        raise CollectError(f"no assignment {assignment!r} with a notebook in solutions/; known: {', '.join(known)}")
    schedule = load_schedule(root)
    try:
        zone = ZoneInfo(timezone) if timezone else (schedule.timezone or dt.UTC)
    except Exception:
        raise CollectError(f"--timezone {timezone!r} is not a time zone name (e.g. Europe/Berlin, UTC)") from None
    if not source.exists():
        raise CollectError(f"{source}: no such file or folder")
    entries, time_source = read_download(source, zone)
    if not entries:
        raise CollectError(f"{source}: holds no files")
    kind = detect_format(entries) if kind == "auto" else kind
    result = plan(entries, kind, roster, expected, prefer)
    due = schedule.due_utc(assignment)
    due = due.replace(tzinfo=dt.UTC) if due else None

    unusable = canvas_times_unusable(result, due) if kind == "canvas" else ""
    if unusable:
        time_source = f"NONE: {unusable}; the files are placed without a time (on time unless Canvas flags them late)"
    print(f"collect {assignment} from {source} ({PLUGINS[kind].lms} file names; submission times: {time_source})")
    counts: dict[str, int] = {}
    decisions = 0
    students = {s.student_id: s for s in roster}
    unknown_lateness = []
    for sid, files in sorted(result.placed.items()):
        when = None if unusable else max(c.entry.when for c in files.values())
        outcome, detail = place(root, assignment, sid, files, when)
        counts[outcome] = counts.get(outcome, 0) + 1
        flagged = any(c.match.late_flag for c in files.values())
        late = f", LATE by {format_duration((when - due).total_seconds())}" if due and when and when > due else ""
        notes = [c.match.note for c in files.values() if c.match.note]
        notes += [f"{c.entry.path} saved as {nb}" for nb, c in files.items() if PurePosixPath(c.file_id).name != nb]
        if flagged and due and when and when <= due:
            result.warnings.append(f"{sid}: Canvas marks the submission late, but its time ({when_text(when)}) is "
                                   "before the due date: check --timezone and the schedule")
        if flagged and when is None:
            late = ", LATE by Canvas's flag, by how much unknown"
            unknown_lateness.append(f"{who(students[sid])}: write its submission time (Canvas's SpeedGrader shows "
                                    f"it) into submitted/{sid}/{assignment}/timestamp.txt as YYYY-MM-DD HH:MM:SS "
                                    "UTC, then run make autograde; until then it is graded as on time")
        if outcome == "kept":
            decisions += 1
        print(f"  {outcome:9} {who(students[sid])}: submitted {when_text(when) if when else 'at an unknown time'}"
              f"{late}" + "".join(f"; {n}" for n in [*notes, detail] if n))
    print(f"{counts.get('placed', 0)} placed, {counts.get('updated', 0)} updated, "
          f"{counts.get('unchanged', 0)} unchanged" + (f", {counts['kept']} kept" if counts.get("kept") else ""))

    def section(title: str, lines: list[str]) -> None:
        if lines:
            print(f"\n{title} ({len(lines)}):")
            for line in lines:
                print(f"  {line}")

    unknown = [f"{c.entry.path}: {c.match.lms_name!r} (LMS id {c.match.lms_id}): {c.match.note}; add them to the "
               "roster (roster import) and collect again" for c in result.unknown]
    duplicates = []
    for student, notebook, found, rule in result.duplicates:
        files = "; ".join(f"{c.entry.path} ({when_text(c.entry.when)})" for c in found)
        duplicates.append(f"{who(student)}: {len(found)} different files for {notebook}: {files}. Nothing placed "
                          f"for this student; {rule}")
    odd = [f"{c.entry.path} ({who(c.match.student)}): not a notebook of {assignment} (expected "
           f"{', '.join(expected)}){'; nothing else was submitted: rename it and collect again' if need else ''}"
           for c, need in result.odd_names]
    others = [f"{c.entry.path} ({who(c.match.student)}{'; NO NOTEBOOK submitted: your decision' if need else ''})"
              if isinstance(c, Candidate) else f"{c.path} (not a {PLUGINS[kind].lms} file name)"
              for c, need in result.not_notebooks]
    unrecognised = [f"{e.path}: not a {PLUGINS[kind].lms} file name (--format?)" for e in result.unrecognised]
    decisions += len(unknown) + len(duplicates) + sum(n for _, n in result.odd_names) \
        + sum(n for _, n in result.not_notebooks) + len(unrecognised) + len(unknown_lateness)
    section("NEEDS YOUR DECISION: late by Canvas's flag, but the download holds no submission times", unknown_lateness)
    section("NEEDS YOUR DECISION: names not in the roster, nothing placed", unknown)
    section("NEEDS YOUR DECISION: two or more files for one notebook", duplicates)
    section("notebooks with a name the assignment does not have, not placed", odd)
    section("NEEDS YOUR DECISION: notebooks whose names fit no LMS convention, not placed", unrecognised)
    section("files that are not notebooks, not placed", others)
    section("warnings", result.warnings)
    handed_in = set(result.placed) | {s.student_id for s, *_ in result.duplicates} \
        | {c.match.student.student_id for c, _ in [*result.odd_names] if c.match.student} \
        | {c.match.student.student_id for c, _ in result.not_notebooks if isinstance(c, Candidate)}
    missing = [who(s) for s in roster if s.student_id not in handed_in
               and not (root / "submitted" / s.student_id / assignment).is_dir()]
    section("on the roster, no submission", missing)

    record = {"assignment": assignment, "source": str(source), "format": kind, "time_source": time_source,
              "collected_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "placed": {sid: {nb: {"file": c.entry.path, "submitted": None if unusable else c.entry.when.isoformat()}
                               for nb, c in f.items()} for sid, f in result.placed.items()},
              "unknown_lateness": unknown_lateness, "unknown": unknown, "duplicates": duplicates, "odd_names": odd,
              "unrecognised": unrecognised,
              "not_notebooks": others, "missing": missing, "warnings": result.warnings}
    folder = root / STATUS_DIR / ".collect" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    if decisions:
        print(f"\n{decisions} item(s) need your decision (listed above); every other submission was placed.")
        return 1
    return 0


def register(commands) -> None:
    """The ``collect`` subcommand, for nbcourse.cli."""
    sub = commands.add_parser("collect", help="place an LMS download's submissions under submitted/")
    sub.add_argument("assignment", help="the assignment, as in solutions/")
    sub.add_argument("download", type=Path, help="the LMS's .zip of all submissions, or the folder it was extracted to")
    sub.add_argument("--roster", type=Path, default=None, help="a roster CSV (default: the course's roster.csv)")
    sub.add_argument("--format", choices=("auto", *FORMATS), default="auto", help="the LMS's file names")
    sub.add_argument("--prefer", choices=("latest",), default=None,
                     help="two different files for one notebook: place the newest (default: place neither)")
    sub.add_argument("--timezone", default=None,
                     help="the zone of the archive's local file times (default: schedule.toml's timezone, else UTC)")
    sub.set_defaults(run=run)


def run(root: Path, args) -> int:
    from nbcourse.roster import ROSTER_FILE, RosterError, course_roster, read_roster
    from nbcourse.schedule import ScheduleError

    try:
        roster = read_roster(args.roster) if args.roster else course_roster(root)
        if roster is None:
            raise CollectError(f"no roster: import one first (python -m nbcourse roster import FILE, kept as "
                               f"{ROSTER_FILE}) or give --roster FILE")
        return collect(root, args.assignment, args.download, roster, args.format, args.prefer, args.timezone)
    except (CollectError, RosterError, ScheduleError) as error:
        print(f"error: {error}; nothing was placed", file=sys.stderr)
        return 2
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:  # a damaged download
        print(f"error: {args.download}: cannot be read ({type(error).__name__}: {error}); nothing was placed",
              file=sys.stderr)
        return 2
