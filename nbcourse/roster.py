"""The class roster: ``python -m nbcourse roster import FILE``.

The file is a CSV (UTF-8, with or without a byte-order mark) with a header line:

    student_id   required: the folder name under submitted/ and the id in nbgrader's gradebook
                 (letters, digits, ".", "_", "-"; not starting with "." or "-")
    first_name   required (may be empty)
    last_name    required (may be empty)
    email        optional
    lms_id       optional: the student's user id in the LMS (Canvas's numeric user id), so that
                 `collect` recognises Canvas file names and the LMS exports can name the student

Headers are matched without regard to case, spaces or hyphens ("Student ID", "First name",
"E-mail", "LMS ID" work). Import checks the whole file first: a duplicate or unsafe id, an
empty id or a missing column stops it with the line number, and nothing is imported.
Each student goes into nbgrader's gradebook (``Student``: first_name, last_name, email,
lms_user_id), and a copy of the roster is kept in the course as ``roster.csv`` (git-ignored,
like the gradebook) for ``collect``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

ROSTER_FILE = "roster.csv"
COLUMNS = ("student_id", "first_name", "last_name", "email", "lms_id")
REQUIRED = ("student_id", "first_name", "last_name")
# Header spellings LMS exports and spreadsheets use, after lower-casing and turning spaces/hyphens into "_".
ALIASES = {
    "studentid": "student_id", "student_number": "student_id", "id_number": "student_id",
    "firstname": "first_name", "given_name": "first_name",
    "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
    "e_mail": "email", "email_address": "email", "e_mail_address": "email",
    "lmsid": "lms_id", "lms_user_id": "lms_id",
}
SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")


class RosterError(ValueError):
    """The roster cannot be used; the message names the file and the line."""


class PartialImport(RosterError):
    """The gradebook stopped an import part way; the message says how far it got."""


@dataclass(frozen=True)
class Student:
    student_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_id: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def header_key(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return ALIASES.get(key, key)


def parse_roster(text: str, where: str = "roster") -> list[Student]:
    """Students from the CSV ``text``; RosterError names the line of the first problem."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(f"{where}: the file is empty; it needs a header line {','.join(COLUMNS)}") from None
    keys = [header_key(h) for h in header]
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        raise RosterError(f"{where}, line 1: missing column(s) {', '.join(missing)}; the header is "
                          f"{','.join(header)!r}, expected {','.join(COLUMNS)} (email and lms_id optional)")
    repeated = sorted({k for k in keys if k in COLUMNS and keys.count(k) > 1})
    if repeated:
        raise RosterError(f"{where}, line 1: column(s) {', '.join(repeated)} appear twice in the header")
    index = {k: i for i, k in enumerate(keys) if k in COLUMNS}
    students, seen_ids, seen_lms = [], {}, {}
    line = 1
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line (spreadsheets add them at the end)
        if len(row) > len(header):
            raise RosterError(f"{where}, line {line}: {len(row)} fields for {len(header)} columns (an unquoted comma?)")
        values = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
        student = Student(**{c: values.get(c, "") for c in COLUMNS})
        sid = student.student_id
        if not sid:
            raise RosterError(f"{where}, line {line}: the student_id is empty")
        if not SAFE_ID.fullmatch(sid):
            raise RosterError(f"{where}, line {line}: student_id {sid!r} cannot be a folder name (use letters, "
                              "digits, '.', '_' and '-', at most 100, not starting with '.' or '-')")
        if sid in seen_ids:
            raise RosterError(f"{where}, line {line}: student_id {sid!r} is already on line {seen_ids[sid]}")
        seen_ids[sid] = line
        if student.lms_id:
            if student.lms_id in seen_lms:
                raise RosterError(f"{where}, line {line}: lms_id {student.lms_id!r} is already on line "
                                  f"{seen_lms[student.lms_id]}")
            seen_lms[student.lms_id] = line
        students.append(student)
    if not students:
        raise RosterError(f"{where}: no students after the header line")
    return students


def read_roster(path: Path) -> list[Student]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RosterError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RosterError(f"{path}: not UTF-8 (byte {error.start}); save it as \"CSV UTF-8\"") from None
    return parse_roster(text, str(path))


def write_roster(path: Path, students: list[Student]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for s in students:
        writer.writerow([s.student_id, s.first_name, s.last_name, s.email, s.lms_id])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(path)


def course_roster(root: Path) -> list[Student] | None:
    """The roster kept in the course by the last import (None when there is none)."""
    path = root / ROSTER_FILE
    return read_roster(path) if path.is_file() else None


def open_gradebook(root: Path):
    """nbgrader's Gradebook for the course. A new gradebook runs ``alembic`` from PATH (nbgrader does so): the
    environment's bin folder goes first, as for the nbgrader commands."""
    from nbgrader.api import Gradebook

    from nbcourse.gradebook import gradebook_url

    bin_folder = str(Path(sys.executable).parent)
    if bin_folder not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_folder + os.pathsep + os.environ.get("PATH", "")
    return Gradebook(gradebook_url(root).render_as_string(hide_password=False), course_id="")


def import_roster(root: Path, source: Path) -> tuple[list[Student], list[str]]:
    """Check ``source`` whole, then put every student in nbgrader's gradebook and keep a copy as roster.csv.

    Returns the students and the ids the gradebook has that this roster lacks (kept: they may have grades)."""
    students = read_roster(source)
    present = roster_columns(source)
    with open_gradebook(root) as gradebook:
        known = {s.id: s for s in gradebook.students}
        # A column the file leaves out keeps what the gradebook has (an empty cell in a given column clears it).
        for number, s in enumerate(students):
            before = known.get(s.student_id)
            if before is not None and "email" not in present:
                s = replace(s, email=before.email or "")
            if before is not None and "lms_id" not in present:
                s = replace(s, lms_id=before.lms_user_id or "")
            students[number] = s
        for done, s in enumerate(students):
            try:
                gradebook.update_or_create_student(s.student_id, first_name=s.first_name or None,
                                                   last_name=s.last_name or None, email=s.email or None,
                                                   lms_user_id=s.lms_id or None)
            except Exception as error:  # the database refused: say how far the import got
                raise PartialImport(f"the gradebook refused {s.student_id} ({type(error).__name__}: {error}); "
                                    f"{done} of {len(students)} student(s) were imported before it and the rest "
                                    "were not: fix the cause and import again (importing again is safe)") from None
        listed = {s.student_id for s in students}
        others = sorted(s.id for s in gradebook.students if s.id not in listed)
    write_roster(root / ROSTER_FILE, students)
    return students, others


def roster_columns(path: Path) -> set[str]:
    """The course's columns a roster file's header has (after read_roster accepted it)."""
    text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    header = next(csv.reader(io.StringIO(text, newline="")), [])
    return {key for key in map(header_key, header) if key in COLUMNS}


def fold(name: str) -> str:
    """A name compared loosely: accents, case, spaces and punctuation ignored ("Müller, José" ~ "mullerjose")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def register(commands) -> None:
    """The ``roster`` subcommand, for nbcourse.cli."""
    sub = commands.add_parser("roster", help="import the class roster (names, emails, LMS ids) into the gradebook")
    actions = sub.add_subparsers(dest="action", required=True)
    imports = actions.add_parser("import", help="check a roster CSV whole, then import it")
    imports.add_argument("file", type=Path, help="CSV: " + ",".join(COLUMNS) + " (email, lms_id optional)")
    actions.add_parser("show", help="print the course's roster")
    sub.set_defaults(run=run)


def run(root: Path, args) -> int:
    if args.action == "show":
        try:
            students = course_roster(root)
        except RosterError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if students is None:
            print(f"no roster yet: python -m nbcourse roster import FILE (kept as {ROSTER_FILE})")
            return 0
        for s in students:
            print("\t".join((s.student_id, s.full_name, s.email, s.lms_id)))
        return 0
    try:
        students, others = import_roster(root, args.file)
    except PartialImport as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RosterError as error:
        print(f"error: {error}; nothing was imported", file=sys.stderr)
        return 2
    print(f"imported {len(students)} student(s) into the gradebook; the roster is kept as {ROSTER_FILE}")
    if others:
        print(f"the gradebook also has {len(others)} student(s) not on this roster (kept, with any grades): "
              + ", ".join(others))
    return 0
