"""The roster and collecting an LMS download, through the real CLI in a scratch course.

The LMS downloads are built here, in each LMS's file-name convention: Canvas (a flat .zip, entries
with UTC time stamps) and Moodle (a .zip with a folder per student and local DOS times, and the
same extracted to a folder). The class has accents and spaces in its names.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import shutil
import struct
import time
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT
from exercise_tools import nbcourse

from nbcourse.collect import identify
from nbcourse.roster import Student, open_gradebook

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("collect")]  # each test runs the CLI a few times
ASSIGNMENT = "01_training_recipe"
NB = f"{ASSIGNMENT}.ipynb"
ROSTER = ("\ufeffStudent ID,First Name,Last Name,E-mail,LMS ID\n"
          "s001,Zoë,Ångström,zoe@example.org,1001\n"
          "s002,Jean Paul,De la Cruz,jp@example.org,1002\n"
          "s003,Marie,Curie,marie@example.org,\n"
          "s004,Ana,Nuñez,,1004\n")


def small_course(folder: Path) -> Path:
    """Enough of a course for collect and roster: the configuration and one assignment's solution."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, folder / "solutions" / ASSIGNMENT)
    return folder


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A course with the class imported (once: each test gets its own copy)."""
    folder = tmp_path_factory.mktemp("imported")
    course = small_course(folder / "course")
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    result = nbcourse(course, "roster", "import", str(folder / "roster.csv"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported 4 student(s)" in result.stdout
    return course


@pytest.fixture
def course(imported, tmp_path):
    return Path(shutil.copytree(imported, tmp_path / "course"))


def utc(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M"))


def canvas_zip(path: Path, files: list[tuple[str, bytes, str]]) -> Path:
    """Canvas's "Download submissions": flat names, each entry with its UTC time (extended timestamp field)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, when in files:
            info = zipfile.ZipInfo(name, time.gmtime(utc(when))[:6])
            info.extra = struct.pack("<HHBi", 0x5455, 5, 1, utc(when))
            archive.writestr(info, data)
    return path


def moodle_zip(path: Path, files: list[tuple[str, bytes, str]]) -> Path:
    """Moodle's "Download all submissions": DOS times only (the server's local time, no zone)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, local_time in files:
            archive.writestr(zipfile.ZipInfo(name, time.strptime(local_time, "%Y-%m-%d %H:%M")[:6]), data)
    return path


def tree(course: Path) -> dict[str, tuple[bytes, int]]:
    """Everything under submitted/: content and modification time."""
    return {str(p.relative_to(course)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted((course / "submitted").rglob("*")) if p.is_file()}


def placed(course: Path, student: str) -> tuple[bytes, str]:
    folder = course / "submitted" / student / ASSIGNMENT
    return (folder / NB).read_bytes(), (folder / "timestamp.txt").read_text()


# ---- roster -----------------------------------------------------------------------------------

def test_roster_import_keeps_accented_names_in_the_gradebook_and_the_course(course):
    kept = (course / "roster.csv").read_text(encoding="utf-8")
    assert kept.splitlines()[0] == "student_id,first_name,last_name,email,lms_id"
    assert "s002,Jean Paul,De la Cruz,jp@example.org,1002" in kept
    with open_gradebook(course) as gradebook:
        students = {s.id: s for s in gradebook.students}
        assert set(students) == {"s001", "s002", "s003", "s004"}
        zoe = students["s001"]
        assert (zoe.first_name, zoe.last_name, zoe.email, zoe.lms_user_id) == (
            "Zoë", "Ångström", "zoe@example.org", "1001")
        assert (students["s002"].first_name, students["s002"].last_name) == ("Jean Paul", "De la Cruz")
        assert students["s003"].lms_user_id is None
    shown = nbcourse(course, "roster", "show")
    assert "s004\tAna Nuñez" in shown.stdout


def test_a_roster_without_the_optional_columns_keeps_the_emails_and_lms_ids_imported_before(course, tmp_path):
    names_only = tmp_path / "names.csv"
    names_only.write_text("student_id,first_name,last_name\ns001,Zoé,Ångström-Lee\ns002,Jean Paul,De la Cruz\n",
                          encoding="utf-8")
    result = nbcourse(course, "roster", "import", str(names_only))
    assert result.returncode == 0, result.stdout + result.stderr
    with open_gradebook(course) as gradebook:
        zoe = gradebook.find_student("s001")
        assert (zoe.first_name, zoe.last_name, zoe.email, zoe.lms_user_id) == (
            "Zoé", "Ångström-Lee", "zoe@example.org", "1001")
    assert "s001,Zoé,Ångström-Lee,zoe@example.org,1001" in (course / "roster.csv").read_text(encoding="utf-8")
    cleared = tmp_path / "cleared.csv"  # a column that is there, with an empty cell, clears the value
    cleared.write_text("student_id,first_name,last_name,lms_id\ns001,Zoé,Ångström-Lee,\n", encoding="utf-8")
    assert nbcourse(course, "roster", "import", str(cleared)).returncode == 0
    with open_gradebook(course) as gradebook:
        zoe = gradebook.find_student("s001")
        assert (zoe.email, zoe.lms_user_id) == ("zoe@example.org", None)


@pytest.mark.parametrize(("text", "message"), [
    ("student_id,first_name,last_name\ns1,A,B\ns2,C,D\ns1,E,F\n", "line 4: student_id 's1' is already on line 2"),
    ("student_id,first_name\ns1,A\n", "line 1: missing column(s) last_name"),
    ("student_id,first_name,last_name\ns1,A,B\n,C,D\n", "line 3: the student_id is empty"),
    ("student_id,first_name,last_name\n../s1,A,B\n", "line 2: student_id '../s1' cannot be a folder name"),
    ("student_id,first_name,last_name,lms_id\ns1,A,B,7\ns2,C,D,7\n", "line 3: lms_id '7' is already on line 2"),
])
def test_a_bad_roster_is_refused_whole_and_the_old_one_stays(course, tmp_path, text, message):
    before = (course / "roster.csv").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    result = nbcourse(course, "roster", "import", str(bad))
    assert result.returncode == 2
    assert message in result.stderr and str(bad) in result.stderr and "nothing was imported" in result.stderr
    assert (course / "roster.csv").read_bytes() == before
    with open_gradebook(course) as gradebook:
        assert {s.id for s in gradebook.students} == {"s001", "s002", "s003", "s004"}


def test_collect_without_a_roster_says_how_to_get_one(tmp_path):
    course = small_course(tmp_path / "course")
    archive = canvas_zip(tmp_path / "c.zip", [(f"angstromzoe_1001_5_{NB}", b"{}", "2026-10-05 20:00")])
    result = nbcourse(course, "collect", ASSIGNMENT, str(archive))
    assert result.returncode == 2
    assert "roster import" in result.stderr and "nothing was placed" in result.stderr
    assert not (course / "submitted").exists()
    (tmp_path / "class.csv").write_text(ROSTER, encoding="utf-8")
    given = nbcourse(course, "collect", ASSIGNMENT, str(archive), "--roster", str(tmp_path / "class.csv"))
    assert placed(course, "s001") == (b"{}", "2026-10-05 20:00:00.000000 UTC"), given.stdout + given.stderr
    wrong = nbcourse(course, "collect", "99_nothing", str(archive), "--roster", str(tmp_path / "class.csv"))
    assert wrong.returncode == 2 and "no assignment '99_nothing'" in wrong.stderr


# ---- Canvas ----------------------------------------------------------------------------------

def test_canvas_download_places_the_clear_cases_and_lists_the_rest(course, tmp_path):
    archive = canvas_zip(tmp_path / "submissions.zip", [
        (f"angstromzoe_1001_555_{NB}", b'{"who": "zoe"}', "2026-10-05 20:00"),
        (f"delacruzjeanpaul_late_1002_556_{NB}", b'{"who": "jp, first"}', "2026-10-06 04:29"),
        (f"delacruzjeanpaul_late_1002_556_{ASSIGNMENT}-1.ipynb", b'{"who": "jp, second"}', "2026-10-06 04:30"),
        (f"curiemarie_1003_557_{ASSIGNMENT}-1.ipynb", b'{"who": "marie"}', "2026-10-05 21:00"),
        ("curiemarie_1003_557_notes.pdf", b"%PDF-1.4", "2026-10-05 21:00"),
        (f"doejohn_1009_558_{NB}", b'{"who": "john"}', "2026-10-05 21:00"),
    ])
    result = nbcourse(course, "collect", ASSIGNMENT, str(archive))
    out = result.stdout
    assert result.returncode == 1, out + result.stderr  # two things need a decision
    assert placed(course, "s001") == (b'{"who": "zoe"}', "2026-10-05 20:00:00.000000 UTC")
    # Marie has no lms_id in the roster: matched by her name; Canvas's "-1" copy suffix is dropped
    assert placed(course, "s003") == (b'{"who": "marie"}', "2026-10-05 21:00:00.000000 UTC")
    assert "matched by name: add lms_id 1003" in out
    # two different files for one notebook: neither is placed, both are listed with what --prefer latest does
    assert not (course / "submitted" / "s002").exists()
    assert f"delacruzjeanpaul_late_1002_556_{NB} (2026-10-06 04:29:00 UTC)" in out
    assert f"--prefer latest would place delacruzjeanpaul_late_1002_556_{ASSIGNMENT}-1.ipynb" in out
    # a name not in the roster, a file that is not a notebook, a student with nothing
    assert "'doejohn' (LMS id 1009): no roster student has lms_id 1009" in out
    assert not (course / "submitted" / "doejohn").exists() and not (course / "submitted" / "1009").exists()
    assert "curiemarie_1003_557_notes.pdf (s003 (Marie Curie))" in out
    assert "on the roster, no submission (1):\n  s004 (Ana Nuñez)" in out
    assert "2 item(s) need your decision" in out

    before = tree(course)
    again = nbcourse(course, "collect", ASSIGNMENT, str(archive))
    assert again.returncode == 1 and "0 placed, 0 updated, 2 unchanged" in again.stdout
    assert tree(course) == before  # same bytes, same file times: nothing rewritten

    chosen = nbcourse(course, "collect", ASSIGNMENT, str(archive), "--prefer", "latest")
    assert chosen.returncode == 1  # John is still unknown
    assert placed(course, "s002") == (b'{"who": "jp, second"}', "2026-10-06 04:30:00.000000 UTC")
    assert "placed the newest" in chosen.stdout
    assert {k: v for k, v in tree(course).items() if "s002" not in k} == before


def test_a_resubmission_replaces_the_old_copy_which_is_kept_and_an_older_download_changes_nothing(course, tmp_path):
    first = canvas_zip(tmp_path / "first.zip", [(f"angstromzoe_1001_5_{NB}", b'{"v": 1}', "2026-10-05 20:00")])
    second = canvas_zip(tmp_path / "second.zip", [(f"angstromzoe_1001_6_{NB}", b'{"v": 2}', "2026-10-05 21:00")])
    for archive, line in [(first, "1 placed"), (second, "1 updated")]:
        result = nbcourse(course, "collect", ASSIGNMENT, str(archive))
        assert line in result.stdout, result.stdout + result.stderr
    assert placed(course, "s001") == (b'{"v": 2}', "2026-10-05 21:00:00.000000 UTC")
    kept = course / "grading" / ".collect" / ASSIGNMENT / "replaced" / "s001" / "20261005T200000Z" / NB
    assert kept.read_bytes() == b'{"v": 1}'
    older = nbcourse(course, "collect", ASSIGNMENT, str(first))
    assert older.returncode == 1 and "already has a newer submission" in older.stdout
    assert placed(course, "s001") == (b'{"v": 2}', "2026-10-05 21:00:00.000000 UTC")


# ---- Moodle ------------------------------------------------------------------------------------

MOODLE = [  # Berlin is UTC+2 in October: 22:00 there is 20:00 UTC
    (f"Zoë Ångström_71_assignsubmission_file_/{NB}", b'{"who": "zoe"}', "2026-10-05 22:00"),
    (f"Jean Paul De la Cruz_72_assignsubmission_file_{NB}", b'{"who": "jp"}', "2026-10-06 06:30"),
    (f"Ana Nuñez_74_assignsubmission_file_/{NB}", b'{"who": "ana"}', "2026-10-05 23:00"),
    (f"Ana Nuñez_74_assignsubmission_file_/{ASSIGNMENT} (1).ipynb", b'{"who": "ana"}', "2026-10-05 23:30"),  # same
]


def test_moodle_download_matches_full_names_and_reads_local_times_in_the_zone_given(course, tmp_path):
    archive = moodle_zip(tmp_path / "moodle.zip", MOODLE)
    result = nbcourse(course, "collect", ASSIGNMENT, str(archive), "--timezone", "Europe/Berlin")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Moodle file names" in result.stdout and "local time in Europe/Berlin" in result.stdout
    assert placed(course, "s001") == (b'{"who": "zoe"}', "2026-10-05 20:00:00.000000 UTC")
    assert placed(course, "s002") == (b'{"who": "jp"}', "2026-10-06 04:30:00.000000 UTC")
    assert placed(course, "s004") == (b'{"who": "ana"}', "2026-10-05 21:00:00.000000 UTC")  # the first upload
    assert "s004: 2 identical copies of 01_training_recipe.ipynb; placed once" in result.stdout
    assert "on the roster, no submission (1):\n  s003 (Marie Curie)" in result.stdout


def test_an_extracted_moodle_folder_uses_the_files_times_and_an_online_text_alone_needs_a_decision(course, tmp_path):
    folder = tmp_path / "extracted"
    files = [*MOODLE, ("Marie Curie_73_assignsubmission_onlinetext_onlinetext.html", b"<p>see attached</p>",
                       "2026-10-05 22:00")]
    for name, data, local_time in files:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        when = dt.datetime.strptime(local_time, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Europe/Berlin"))
        os.utime(path, (when.timestamp(), when.timestamp()))
    result = nbcourse(course, "collect", ASSIGNMENT, str(folder), "--format", "moodle")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "modification time" in result.stdout
    assert placed(course, "s002") == (b'{"who": "jp"}', "2026-10-06 04:30:00.000000 UTC")
    assert "onlinetext.html (s003 (Marie Curie); NO NOTEBOOK submitted" in result.stdout
    assert not (course / "submitted" / "s003").exists()


# ---- times: Canvas's build time is not a submission time; the same file keeps its earliest time ----

DUE = '[assignments.01_training_recipe]\ndue = "2026-10-05T23:59:00+02:00"\n'  # 21:59 UTC


def test_a_canvas_download_stamped_when_it_was_built_writes_no_times_and_lists_the_late_ones(course, tmp_path):
    """Canvas stamps every file with the time it builds the zip: here the day after the due date."""
    (course / "schedule.toml").write_text(DUE)
    built = "2026-10-06 09:00"
    archive = canvas_zip(tmp_path / "built.zip", [
        (f"angstromzoe_1001_555_{NB}", b'{"who": "zoe"}', built),
        (f"delacruzjeanpaul_late_1002_556_{NB}", b'{"who": "jp"}', built),
    ])
    result = nbcourse(course, "collect", ASSIGNMENT, str(archive))
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "submission times: NONE: 1 file(s) carry a time after the due date without Canvas's late flag" in out
    for student in ("s001", "s002"):  # placed, with no time: not every submission late by the download's time
        folder = course / "submitted" / student / ASSIGNMENT
        assert (folder / NB).is_file() and not (folder / "timestamp.txt").exists()
    assert "LATE by Canvas's flag, by how much unknown" in out
    assert ("NEEDS YOUR DECISION: late by Canvas's flag, but the download holds no submission times (1):\n"
            "  s002 (Jean Paul De la Cruz): write its submission time") in out
    assert "1 item(s) need your decision" in out


def test_a_whole_class_stamped_within_two_minutes_has_no_submission_times(course, tmp_path):
    """Without a due date the flag cannot be compared; five files within two minutes give the build time away."""
    names = ["angstromzoe_1001", "delacruzjeanpaul_1002", "curiemarie_1003", "nunezana_1004"]
    files = [(f"{name}_55{i}_{NB}", b'{"n": %d}' % i, "2026-10-06 09:00") for i, name in enumerate(names)]
    roster = ROSTER + "s005,Five,Student,five@example.org,1005\n"
    (tmp_path / "class.csv").write_text(roster, encoding="utf-8")
    archive = canvas_zip(tmp_path / "built.zip", [*files, (f"studentfive_1005_559_{NB}", b"{}", "2026-10-06 09:01")])
    result = nbcourse(course, "collect", ASSIGNMENT, str(archive), "--roster", str(tmp_path / "class.csv"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 5 files carry times within two minutes of each other" in result.stdout
    assert not list((course / "submitted").rglob("timestamp.txt"))
    spread = canvas_zip(tmp_path / "spread.zip", [(name, data, f"2026-10-05 1{i}:00")
                                                  for i, (name, data, _) in enumerate(files)])
    again = nbcourse(course, "collect", ASSIGNMENT, str(spread), "--roster", str(tmp_path / "class.csv"))
    assert "the archive's UTC file times" in again.stdout, again.stdout
    assert placed(course, "s001") == (b'{"n": 0}', "2026-10-05 10:00:00.000000 UTC")  # now known: recorded


def test_the_same_file_downloaded_again_later_keeps_its_earlier_time(course, tmp_path):
    first = canvas_zip(tmp_path / "first.zip", [(f"angstromzoe_1001_5_{NB}", b'{"v": 1}', "2026-10-05 20:00")])
    later = canvas_zip(tmp_path / "later.zip", [(f"angstromzoe_1001_5_{NB}", b'{"v": 1}', "2026-10-07 09:00")])
    earlier = canvas_zip(tmp_path / "earlier.zip", [(f"angstromzoe_1001_5_{NB}", b'{"v": 1}', "2026-10-05 19:00")])
    assert "1 placed" in nbcourse(course, "collect", ASSIGNMENT, str(first)).stdout
    before = tree(course)
    result = nbcourse(course, "collect", ASSIGNMENT, str(later))
    assert "0 placed, 0 updated, 1 unchanged" in result.stdout, result.stdout
    assert "whose earlier time, 2026-10-05 20:00:00 UTC, is kept" in result.stdout
    assert tree(course) == before
    result = nbcourse(course, "collect", ASSIGNMENT, str(earlier))
    assert "1 updated" in result.stdout and "its earlier time, 2026-10-05 19:00:00 UTC, recorded" in result.stdout
    assert placed(course, "s001") == (b'{"v": 1}', "2026-10-05 19:00:00.000000 UTC")


def test_a_damaged_download_is_a_clear_error_and_places_nothing(course, tmp_path):
    archive = canvas_zip(tmp_path / "c.zip", [(f"angstromzoe_1001_5_{NB}", b'{"v": 1}' * 100, "2026-10-05 20:00")])
    data = bytearray(archive.read_bytes())
    start = data.index(b'{"v"')  # the entry's stored bytes: its CRC no longer matches
    data[start:start + 40] = b"\xff" * 40
    archive.write_bytes(bytes(data))
    result = nbcourse(course, "collect", ASSIGNMENT, str(archive))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot be read" in result.stderr and "nothing was placed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (course / "submitted").exists()


def test_two_students_with_one_name_in_a_moodle_download_are_left_to_the_instructor():
    """Moodle's participant id changes per assignment, so a roster field cannot tell namesakes apart."""
    roster = [Student("s1", "Ana", "Silva", lms_id="71"), Student("s2", "Ana", "Silva", lms_id="72")]
    match = identify("moodle", {"full_name": "Ana Silva", "lms_id": "71"}, roster)
    assert match.student is None
    assert "several roster students have this name (s1, s2)" in match.note and "place this file by hand" in match.note
    assert identify("moodle", {"full_name": "Ana Silva", "lms_id": "71"}, roster[:1]).student == roster[0]
