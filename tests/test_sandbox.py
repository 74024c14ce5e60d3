"""The kernel sandbox, proved by a submission that tries to break each property.

The answer rules (nbcourse/integrity.py) would stop this probe before it runs (it imports os
and socket), so they are switched off here: what is tested is the sandbox alone, the second
line of defence. The probe records what each attempt did; the test asserts it was refused.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import answers_of, filled, make_course, nbcourse, nbgrader_meta, notebook_path, submit

pytestmark = pytest.mark.grading
ASSIGNMENT = "02_forward_propagation"

PROBE = '''
import json, os, socket
results = {{}}


def attempt(name, action):
    try:
        action()
        results[name] = "allowed"
    except BaseException as error:  # noqa: BLE001 (the probe records every refusal)
        results[name] = type(error).__name__


root = {root!r}
attempt("read_solutions", lambda: open(root + "/solutions/{a}/{a}.ipynb").read())
attempt("read_gradebook", lambda: open(root + "/gradebook.db", "rb").read())
attempt("read_other_submission", lambda: open(root + "/submitted/other/{a}/{a}.ipynb").read())
attempt("read_config", lambda: open(root + "/nbgrader_config.py").read())
attempt("write_course", lambda: open(root + "/planted.txt", "w").write("x"))
attempt("write_submitted", lambda: open(root + "/submitted/probe/{a}/planted.txt", "w").write("x"))
attempt("write_system", lambda: open("/usr/planted.txt", "w").write("x"))
attempt("write_root", lambda: open("/planted.txt", "w").write("x"))
attempt("fill_shared_memory", lambda: open("/dev/shm/big", "wb").write(b"x" * 200 * 2**20))
attempt("connect_grader_host", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3))
attempt("connect_internet", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
attempt("allocate_3_GiB", lambda: bytearray(3 * 2**30))
attempt("signal_grader", lambda: os.kill({grader_pid}, 0) if {grader_pid} > 3 else 1 / 0)
attempt("write_scratch", lambda: open("scratch.txt", "w").write("x"))
results["course_listing"] = os.listdir(root) if os.path.isdir(root) else []
results["root_home_listing"] = os.listdir("/root") if os.path.isdir("/root") else []
results["uid"] = os.getuid()
results["environment"] = sorted(os.environ)
results["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("RESULTS" + json.dumps(results))
'''

REFUSED = ["read_solutions", "read_gradebook", "read_other_submission", "read_config", "write_course",
           "write_submitted", "write_system", "write_root", "fill_shared_memory", "connect_grader_host",
           "connect_internet", "allocate_3_GiB", "signal_grader"]


@pytest.fixture(scope="module")
def probe():
    # Not under /tmp, which the sandbox replaces anyway: the course must be hidden by the sandbox's
    # own choice of what to mount, not by accident.
    folder = Path(tempfile.mkdtemp(prefix="nbcourse-sandbox-test-", dir="/var/tmp"))
    try:
        yield probed(make_course(folder / "course", [ASSIGNMENT]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def probed(course):
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    submit(course, "other", ASSIGNMENT, filled(release, solution))
    with socket.socket() as server:  # something for the kernel to (fail to) reach on the grader's loopback
        server.bind(("127.0.0.1", 0))
        server.listen()
        code = PROBE.format(root=str(course), a=ASSIGNMENT, port=server.getsockname()[1], grader_pid=os.getpid())
        submit(course, "probe", ASSIGNMENT, filled(release, solution,
                                                   {"sigmoid_answer": code + answers_of(solution)["sigmoid_answer"]}))
        result = nbcourse(course, "autograde", env={"NNCOURSE_ANSWER_RULES": "off", "NNCOURSE_MEMORY_MB": "1500",
                                                    "NNCOURSE_DB_URL": "sqlite:///gradebook.db"})
    assert result.returncode == 0, result.stdout + result.stderr
    graded = nbformat.read(notebook_path(course / "autograded" / "probe", ASSIGNMENT), as_version=4)
    cell = next(c for c in graded.cells if nbgrader_meta(c).get("grade_id") == "sigmoid_answer")
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    assert "RESULTS" in text, f"the probe did not finish: {cell.outputs}"
    return course, json.loads(text.split("RESULTS", 1)[1].splitlines()[0])


def test_the_probe_ran_outside_tmp(probe):
    assert not str(probe[0]).startswith("/tmp")


@pytest.mark.parametrize("attempt", REFUSED)
def test_the_kernel_is_refused(probe, attempt):
    assert probe[1][attempt] != "allowed", f"{attempt} must be refused inside the sandbox"


def test_the_kernel_can_write_its_scratch_folder_only_and_it_is_thrown_away(probe):
    course, results = probe
    assert results["write_scratch"] == "allowed"
    assert not (course / "autograded" / "probe" / ASSIGNMENT / "scratch.txt").exists()
    assert not (course / "planted.txt").exists()
    assert not (course / "submitted" / "probe" / ASSIGNMENT / "planted.txt").exists()


def test_the_course_folder_is_an_empty_skeleton_inside_the_sandbox(probe):
    """Only the folders that lead to the scratch copy (and the course's own code) exist there."""
    results = probe[1]
    skeleton = {"autograded", "nnlib", "nbcourse", ".venv"}
    assert set(results["course_listing"]) <= skeleton, results["course_listing"]
    assert set(results["root_home_listing"]) <= {".pyenv"}, results["root_home_listing"]


def test_the_kernel_runs_as_nobody_alone_with_a_clean_environment(probe):
    results = probe[1]
    assert results["uid"] == 65534
    assert not any(name.startswith("NNCOURSE") for name in results["environment"]), results["environment"]
    assert len(results["processes"]) <= 3, f"the kernel sees other processes: {results['processes']}"


def test_the_probe_itself_is_still_graded(probe):
    course, _ = probe
    status = json.loads((course / "grading" / ASSIGNMENT / "probe.json").read_text())
    assert status["graded"]
