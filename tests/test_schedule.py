"""Due dates and late work: schedule.toml, checked with clear errors, applied through nbgrader's gradebook
(``duedate``, ``total_seconds_late``) and its late-submission plugin."""

from __future__ import annotations

import shutil
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path

from nbcourse.roster import open_gradebook
from nbcourse.schedule import LatePolicy, ScheduleError, load_schedule, set_assignments

ASSIGNMENT = "01_training_recipe"
DUE = "2026-10-05T23:59:00+02:00"  # 21:59 UTC


def small_course(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, folder / "solutions" / ASSIGNMENT)
    return folder


# ---- the policies ------------------------------------------------------------------------------

@pytest.mark.parametrize(("policy", "seconds_late", "penalty"), [
    (LatePolicy("percent-per-day", 10), 6.5 * 3600, 0.9),          # a day started: 10 % of 9 points
    (LatePolicy("percent-per-day", 10), 24 * 3600 + 1, 1.8),       # the second day started
    (LatePolicy("percent-per-day", 40), 3 * 24 * 3600, 9.0),       # never more than the score
    (LatePolicy("percent-per-day", 10, grace_seconds=900), 600, None),  # within the grace period
    (LatePolicy("percent-per-day", 10, grace_seconds=900), 901, 0.9),
    (LatePolicy("zero"), 1, 9.0),
    (LatePolicy("none"), 10 ** 6, None),
    (LatePolicy("zero"), 0, None),                                  # on time
])
def test_late_policies(policy, seconds_late, penalty):
    found = policy.penalty(9.0, seconds_late)
    if penalty is None:
        assert found is None
    else:
        assert found == pytest.approx(penalty)


def test_defaults_and_overrides_and_a_zone_for_times_without_offset(tmp_path):
    course = small_course(tmp_path)
    (course / "schedule.toml").write_text(
        'timezone = "Europe/Berlin"\n[late]\npolicy = "percent-per-day"\npercent = 10\ngrace = "15m"\n'
        f'[assignments.{ASSIGNMENT}]\ndue = "2026-10-05T23:59"\nlate = {{ percent = 25 }}\n')
    schedule = load_schedule(course)
    entry = schedule.assignments[ASSIGNMENT]
    assert entry.late == LatePolicy("percent-per-day", 25.0, 900.0)
    assert str(schedule.due_utc(ASSIGNMENT)) == "2026-10-05 21:59:00"


def test_the_assignments_set_are_the_scheduled_ones_else_those_with_submissions(tmp_path):
    course = small_course(tmp_path)
    assert set_assignments(course) == []
    (course / "submitted" / "s1" / "02_forward_propagation").mkdir(parents=True)
    (course / "submitted" / "s1" / "02_forward_propagation" / "x.ipynb").write_text("{}")
    (course / "submitted" / "s2" / "03_backpropagation").mkdir(parents=True)  # empty: nothing submitted
    assert set_assignments(course) == ["02_forward_propagation"]
    (course / "schedule.toml").write_text(f'[assignments.{ASSIGNMENT}]\ndue = "{DUE}"\n')
    assert set_assignments(course) == [ASSIGNMENT]


BAD = [
    (f'[assignments.{ASSIGNMENT}]\ndue = "05.10.2026 23:59"\n',
     f"schedule.toml: [assignments.{ASSIGNMENT}] due = '05.10.2026 23:59': not a date and time"),
    (f'[assignments.{ASSIGNMENT}]\ndue = "2026-10-05T23:59:00"\n',
     f"[assignments.{ASSIGNMENT}] due = '2026-10-05T23:59:00' has no UTC offset"),
    (f'[assignments.99_nothing]\ndue = "{DUE}"\n',
     "schedule.toml: [assignments.99_nothing]: no assignment '99_nothing'"),
    ('[late]\npolicy = "half"\n', "schedule.toml: [late] policy = 'half': unknown late policy"),
    ('[late]\npolicy = "percent-per-day"\n', "schedule.toml: [late] percent = 0.0: a number of percent per day"),
    (f'[assignments.{ASSIGNMENT}]\ndue = "{DUE}"\nlate = {{ grace = "soon" }}\n',
     f"[assignments.{ASSIGNMENT}] late grace = 'soon': a duration"),
    (f'[assignments.{ASSIGNMENT}]\ndeu = "{DUE}"\n', "unknown key(s) deu"),
    ("[assignments\n", "schedule.toml: not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_schedule_is_named_by_file_key_and_value(tmp_path, text, message):
    course = small_course(tmp_path)
    (course / "schedule.toml").write_text(text)
    with pytest.raises(ScheduleError) as error:
        load_schedule(course)
    assert message in str(error.value)


@pytest.mark.slow
def test_a_bad_schedule_stops_release_and_autograde_before_anything_changes(tmp_path):
    course = small_course(tmp_path)
    text, message = BAD[0]
    (course / "schedule.toml").write_text(text)
    (course / "submitted" / "s1" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "s1" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{}")
    checked = nbcourse(course, "schedule")
    assert checked.returncode == 2 and message in checked.stderr
    for command in ("release", "autograde"):
        result = nbcourse(course, command)
        assert result.returncode != 0 and message in result.stderr and "nothing was done" in result.stderr
    assert not (course / "exercises").exists() and not (course / "autograded").exists()
    assert not (course / "gradebook.db").exists()


# ---- a late submission, end to end ----------------------------------------------------------------

def canvas_zip(path: Path, files: list[tuple[str, bytes, str]]) -> Path:
    import calendar
    import struct

    with zipfile.ZipFile(path, "w") as archive:
        for name, data, when in files:
            seconds = calendar.timegm(time.strptime(when, "%Y-%m-%d %H:%M"))
            info = zipfile.ZipInfo(name, time.gmtime(seconds)[:6])
            info.extra = struct.pack("<HHBi", 0x5455, 5, 1, seconds)  # the entry's UTC time
            archive.writestr(info, data)
    return path


@pytest.mark.grading
@pytest.mark.slow
def test_a_submission_six_and_a_half_hours_late_is_flagged_and_penalised_in_the_gradebook(tmp_path):
    course = make_course(tmp_path / "course", [ASSIGNMENT])
    (course / "schedule.toml").write_text(
        f'[late]\npolicy = "percent-per-day"\npercent = 10\n\n[assignments.{ASSIGNMENT}]\ndue = "{DUE}"\n')
    (tmp_path / "roster.csv").write_text("student_id,first_name,last_name,email,lms_id\n"
                                         "s001,Zoë,Ångström,zoe@example.org,1001\n"
                                         "s002,Jean Paul,De la Cruz,jp@example.org,1002\n", encoding="utf-8")
    assert nbcourse(course, "roster", "import", str(tmp_path / "roster.csv")).returncode == 0
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(course / "solutions", ASSIGNMENT), as_version=4)
    complete = nbformat.writes(filled(release, solution)).encode()
    archive = canvas_zip(tmp_path / "submissions.zip", [
        (f"angstromzoe_1001_1_{ASSIGNMENT}.ipynb", complete, "2026-10-05 21:00"),           # on time
        (f"delacruzjeanpaul_late_1002_2_{ASSIGNMENT}.ipynb", complete, "2026-10-06 04:29"),  # 6 h 30 min late
    ])
    collected = nbcourse(course, "collect", ASSIGNMENT, str(archive))
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "LATE by 6 h 30 min" in collected.stdout

    graded = nbcourse(course, "autograde", env={"NNCOURSE_TIMEOUT": "30"})
    assert graded.returncode == 0, graded.stdout + graded.stderr

    def lateness() -> dict[str, tuple[float, float | None, float]]:
        with open_gradebook(course) as gradebook:
            return {s.student.id: (s.total_seconds_late, s.notebooks[0].late_submission_penalty, s.score)
                    for s in gradebook.assignment_submissions(ASSIGNMENT)}

    found = lateness()
    assert found["s001"] == (0, None, 9.0)
    late, penalty, score = found["s002"]
    assert late == 6.5 * 3600 and score == 9.0 and penalty == pytest.approx(0.9)  # 10 % for the day started

    # A changed policy reaches the graded submission at the next command, without regrading.
    (course / "schedule.toml").write_text(
        f'[late]\npolicy = "percent-per-day"\npercent = 10\n\n[assignments.{ASSIGNMENT}]\ndue = "{DUE}"\n'
        'late = "zero"\n')
    again = nbcourse(course, "autograde", env={"NNCOURSE_TIMEOUT": "30"})
    assert again.returncode == 0, again.stdout + again.stderr
    assert "s002: late penalty now 9" in again.stdout
    assert lateness()["s002"] == (6.5 * 3600, 9.0, 9.0)

    # Taken out of the schedule: no due date, so no lateness and no penalty either.
    (course / "schedule.toml").write_text('[late]\npolicy = "zero"\n')
    released = nbcourse(course, "release")
    assert released.returncode == 0, released.stdout + released.stderr
    assert f"{ASSIGNMENT}: due date removed" in released.stdout and "s002: late penalty now 0" in released.stdout
    assert lateness()["s002"][1] is None
