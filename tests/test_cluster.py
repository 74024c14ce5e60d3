"""Grading on Dask (nbcourse/cluster.py): a class graded through a real `dask scheduler` and two
`dask worker` processes with PostgreSQL as the gradebook, one worker killed while it grades; a
scheduler that does not answer, or has no workers; and the checks a worker passes before it grades.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time

import dask_cluster
import nbformat
import postgres
import pytest
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path, submit
from test_grading import ASSIGNMENT, ENV, FULL

from nbcourse import cluster


def scores(course, env=None) -> dict[str, float]:
    result = nbcourse(course, "export", "--to", "grades.csv", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(course / "grades.csv") as handle:
        return {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}


def small_class(course) -> dict[str, float]:
    """Eight students: complete, one wrong answer, a file that is not a notebook."""
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    expected = {}
    for number in range(8):
        student = f"student{number}"
        if number % 4 == 3:
            submit(course, student, ASSIGNMENT, "not a notebook")
            expected[student] = 0.0
        elif number % 4 == 2:
            submit(course, student, ASSIGNMENT, filled(release, solution, {"cost_answer": "cost = None\n"}))
            expected[student] = FULL - 2.0
        else:
            submit(course, student, ASSIGNMENT, filled(release, solution))
            expected[student] = FULL
    return expected


@pytest.mark.grading
def test_a_class_graded_on_two_dask_workers_survives_losing_one(postgres_server, tmp_path):
    url = postgres.create_database(postgres_server, "dask_class")
    course = make_course(tmp_path / "course", [ASSIGNMENT])
    expected = small_class(course)
    here = tmp_path / "here"
    shutil.copytree(course, here)
    result = nbcourse(here, "autograde", env=ENV)  # the local cluster and the SQLite gradebook
    assert result.returncode == 0, result.stdout + result.stderr
    local = scores(here)
    assert local == expected

    env = {**os.environ, **ENV, "NNCOURSE_DB_URL": url}
    with dask_cluster.cluster(tmp_path / "dask", 2, env=ENV) as running:
        grading = subprocess.Popen([sys.executable, "-m", "nbcourse", "autograde", "--scheduler", running.address],
                                   cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 300
        while not dask_cluster.graders_in(running.folders[0]):  # worker 0 has started grading a submission
            assert grading.poll() is None and time.monotonic() < deadline, grading.communicate()[0]
            time.sleep(0.1)
        time.sleep(1.0)
        assert dask_cluster.graders_in(running.folders[0]), "worker 0 must be grading when it is killed"
        running.kill_worker(0)
        try:
            output, _ = grading.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            grading.kill()
            output = grading.communicate()[0]
            raise AssertionError(f"grading did not end:\n{output[-3000:]}\n{diagnosis(course, running)}") from None
        deadline = time.monotonic() + 15
        while dask_cluster.graders_in(running.folders[0]) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = dask_cluster.graders_in(running.folders[0])
        assert not left, f"the killed worker's grader outlived it: {[p.cmdline() for p in left]}"
    assert grading.returncode == 0, output + diagnosis(course, running)
    assert f"on the Dask cluster at {running.address} (2 worker(s))" in output
    for student in expected:  # each submission reported once, graded on the worker left
        assert sum(line.startswith(f"{ASSIGNMENT} {student}: ") for line in output.splitlines()) == 1, output
    assert scores(course, {"NNCOURSE_DB_URL": url}) == local, output + diagnosis(course, running)
    from nbgrader.api import Gradebook

    with Gradebook(url, course_id="") as gradebook:
        graded = [s.student_id for s in gradebook.find_assignment(ASSIGNMENT).submissions]
    assert sorted(graded) == sorted(set(graded)) and set(graded) <= set(expected)
    assert not list(tmp_path.glob("dask/worker1/nbcourse-grader-*")), "the graders' scratch courses are removed"


def diagnosis(course, running) -> str:
    """What the graders and Dask said: for a failure on CI, where the scratch folders are gone."""
    import json

    said = []
    for path in sorted(course.glob("grading/*/*.json")):
        status = json.loads(path.read_text())
        said.append(f"{path.name}: {status['reason']} ({status['seconds']} s)\n{status['log'][-1500:]}")
    for path in sorted((running.folders[0].parent / "logs").glob("*.log")):
        said.append(f"{path.name}:\n{path.read_text()[-3000:]}")
    return "\n".join(said)


@pytest.fixture(scope="module")
def one_submission(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("unreachable"), [ASSIGNMENT])
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    submit(course, "someone", ASSIGNMENT, release)
    return course


def nothing_graded(course) -> bool:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="") as gradebook:
        submissions = gradebook.find_assignment(ASSIGNMENT).submissions
    return not submissions and not (course / "autograded").exists() and not list(course.glob("grading/*/*.json"))


@pytest.mark.grading
@pytest.mark.xdist_group("no-scheduler")  # one_submission is set up once
@pytest.mark.parametrize("address", ["free port", "tcp://no-such-host.invalid:8786"])
def test_a_scheduler_that_does_not_answer_is_named_within_seconds(one_submission, address):
    address = f"tcp://127.0.0.1:{dask_cluster.free_port()}" if address == "free port" else address
    start = time.monotonic()
    result = nbcourse(one_submission, "autograde", "--scheduler", address, env=ENV)
    seconds = time.monotonic() - start
    assert result.returncode != 0
    assert f"error: no Dask scheduler answered at {address}" in result.stderr, result.stderr
    assert "nothing was graded" in result.stderr and "dask worker" in result.stderr
    assert seconds < cluster.CONNECT_SECONDS + 15, f"{seconds:.0f} s to say the scheduler does not answer"
    assert nothing_graded(one_submission)


@pytest.mark.grading
@pytest.mark.xdist_group("no-scheduler")
def test_a_scheduler_without_workers_is_named(one_submission, tmp_path):
    with dask_cluster.cluster(tmp_path, 0) as running:
        result = nbcourse(one_submission, "autograde", "--scheduler", running.address, env=ENV)
    assert result.returncode != 0
    assert f"the Dask scheduler at {running.address} has no workers" in result.stderr, result.stderr
    assert nothing_graded(one_submission)


@pytest.mark.grading
def test_a_lost_scheduler_costs_a_retry_not_a_grade(tmp_path):
    course = make_course(tmp_path / "course", [ASSIGNMENT])
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    for student in ("first", "second"):
        submit(course, student, ASSIGNMENT, filled(release, solution))
    with dask_cluster.cluster(tmp_path / "dask", 1, env=ENV) as running:
        grading = subprocess.Popen([sys.executable, "-m", "nbcourse", "autograde", "--scheduler", running.address],
                                   cwd=course, env={**os.environ, **ENV}, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 300
        while not dask_cluster.graders_in(running.folders[0]):
            assert grading.poll() is None and time.monotonic() < deadline, grading.communicate()[0]
            time.sleep(0.1)
        os.killpg(running.scheduler.pid, 9)
        output, _ = grading.communicate(timeout=300)
    assert grading.returncode == 1, output
    assert "the Dask cluster was lost: 2 submission(s) were not graded" in output
    assert output.count("NOT GRADED: the grading machines were lost") == 2, output
    assert "Traceback" not in output
    again = nbcourse(course, "autograde", env=ENV)  # the local cluster, as the message says
    assert again.returncode == 0 and "2 graded, 0 not graded" in again.stdout, again.stdout + again.stderr
    assert scores(course) == {"first": FULL, "second": FULL}


@pytest.mark.parametrize("args, said", [
    (["--slice", "1/2"], "--scheduler ADDRESS"), (["--workers", "0"], "at least 1"),
    (["--workers", "2", "--scheduler", "tcp://x:1"], "not allowed with argument")])
def test_retired_and_bad_options_say_what_to_do(args, said, capsys):
    from nbcourse.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["autograde", *args])
    assert stop.value.code == 2 and said in capsys.readouterr().err


def test_a_worker_with_other_code_or_another_sqlite_file_is_refused(tmp_path):
    gradebook = tmp_path / "gradebook.db"
    gradebook.write_bytes(b"")
    env = {"NNCOURSE_DB_URL": f"sqlite:///{gradebook}", "NNCOURSE_SANDBOX": "off"}
    digest = cluster.code_digest()
    assert cluster.check_worker(env, cluster.sqlite_identity(str(gradebook)), digest) == ""
    assert "other grading code" in cluster.check_worker(env, cluster.sqlite_identity(str(gradebook)), "0" * 64)
    elsewhere = ("another-machine", *cluster.sqlite_identity(str(gradebook))[1:])
    assert "PostgreSQL" in cluster.check_worker(env, elsewhere, digest)
    unreachable = {**env, "NNCOURSE_DB_URL": f"postgresql://nobody@127.0.0.1:{dask_cluster.free_port()}/course"}
    assert "cannot reach the gradebook" in cluster.check_worker(unreachable, None, digest)


def test_a_submission_travels_without_its_links(tmp_path):
    folder = tmp_path / "submitted" / "someone" / ASSIGNMENT
    (folder / "data").mkdir(parents=True)
    (folder / "answer.ipynb").write_text("{}")
    (folder / "data" / "x.csv").write_text("1\n")
    (folder / "gradebook.db").symlink_to(tmp_path / "gradebook.db")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "answer.ipynb").write_text("{}")
    (folder / "sol").symlink_to(tmp_path / "solutions")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "answer-checkpoint.ipynb").write_text("{}")
    sent = cluster.submission_files(tmp_path, "someone", ASSIGNMENT)
    assert sorted(sent.files) == ["answer.ipynb", "data/x.csv"]
    with pytest.raises(ValueError, match="outside"):
        cluster.place(tmp_path, "someone", ASSIGNMENT, {"../../escape.txt": (0o644, b"x")})


@pytest.mark.parametrize("log, said", [
    ("the grading worker failed: the Dask scheduler was lost (CommClosedError: ...); not graded", "were lost"),
    ("the grading worker failed: the Dask cluster has had no worker for 120 s; not graded", "were lost"),
    ("the grading worker on host cannot grade this course: it runs other grading code", "not set up"),
    ("the submission could not be read: [Errno 13] Permission denied", "could not be read"),
])
def test_a_cluster_failure_is_explained_and_retried_next_time(log, said):
    from nbcourse.cli import explain
    from nbcourse.incremental import needs_retry
    from nbcourse.status import Status

    reason = explain(log)
    assert said in reason
    assert needs_retry(Status("someone", ASSIGNMENT, False, reason, 0.0)), "not the student's fault: graded next time"
