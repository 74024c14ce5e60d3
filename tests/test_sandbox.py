"""The kernel sandbox, proved by a submission that tries to break each property.

Nothing checks the student's code before it runs: the hidden tests run in the grader, and the
kernel holds only the student's cells. The probe records what each attempt did; the test
asserts it was refused.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import sysconfig
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import answers_of, filled, make_course, nbcourse, nbgrader_meta, notebook_path, submit

pytestmark = pytest.mark.grading
# The tests of one module fixture share one pytest-xdist worker (make test: --dist loadgroup), so each
# class is graded once; the two fixtures may run side by side on two workers.
PROBE_GROUP = pytest.mark.xdist_group("sandbox-probe")
FORKS_GROUP = pytest.mark.xdist_group("sandbox-forks")
ASSIGNMENT = "02_forward_propagation"
# The base interpreter's site-packages (a venv's python does not import from it, but could read it)
BASE_SITE = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"]

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
attempt("import_nnlib", lambda: __import__("nnlib"))
attempt("import_nbcourse", lambda: __import__("nbcourse.checks"))
attempt("import_scipy", lambda: __import__("scipy"))
attempt("import_sklearn", lambda: __import__("sklearn"))
attempt("read_hidden_tests", lambda: open(root + "/hidden_tests/{a}.py").read())
attempt("read_secret", lambda: open(root + "/hidden_tests/.secret").read())
results["course_listing"] = os.listdir(root) if os.path.isdir(root) else []
results["base_site_packages"] = os.listdir({base_site!r}) if os.path.isdir({base_site!r}) else []
results["root_home_listing"] = os.listdir("/root") if os.path.isdir("/root") else []
results["uid"] = os.getuid()
results["environment"] = sorted(os.environ)


def environment_of(pid):  # every process the kernel can see, bwrap's own included
    try:
        entries = open(f"/proc/{{pid}}/environ", "rb").read().split(b"\\0")
        return [entry.split(b"=")[0].decode() for entry in entries if entry]
    except OSError:
        return []


results["visible_environments"] = sorted({{name for p in os.listdir("/proc") if p.isdigit()
                                           for name in environment_of(p)}})
results["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("RESULTS" + json.dumps(results))
'''

REFUSED = ["read_solutions", "read_gradebook", "read_other_submission", "read_config", "write_course",
           "write_submitted", "write_system", "write_root", "fill_shared_memory", "connect_grader_host",
           "connect_internet", "allocate_3_GiB", "signal_grader", "import_nnlib", "import_nbcourse",
           "import_scipy", "import_sklearn", "read_hidden_tests", "read_secret"]


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
        code = PROBE.format(root=str(course), a=ASSIGNMENT, port=server.getsockname()[1], grader_pid=os.getpid(),
                            base_site=BASE_SITE)
        submit(course, "probe", ASSIGNMENT, filled(release, solution,
                                                   {"sigmoid_answer": code + answers_of(solution)["sigmoid_answer"]}))
        result = nbcourse(course, "autograde", env={"NNCOURSE_MEMORY_MB": "1500",
                                                    "NNCOURSE_DB_URL": "sqlite:///gradebook.db"})
    assert result.returncode == 0, result.stdout + result.stderr
    graded = nbformat.read(notebook_path(course / "autograded" / "probe", ASSIGNMENT), as_version=4)
    cell = next(c for c in graded.cells if nbgrader_meta(c).get("grade_id") == "sigmoid_answer")
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    assert "RESULTS" in text, f"the probe did not finish: {cell.outputs}"
    return course, json.loads(text.split("RESULTS", 1)[1].splitlines()[0])


@PROBE_GROUP
def test_the_probe_ran_outside_tmp(probe):
    assert not str(probe[0]).startswith("/tmp")


@PROBE_GROUP
@pytest.mark.parametrize("attempt", REFUSED)
def test_the_kernel_is_refused(probe, attempt):
    assert probe[1][attempt] != "allowed", f"{attempt} must be refused inside the sandbox"


@PROBE_GROUP
def test_the_base_interpreters_packages_are_out_of_reach(probe):
    """A package installed beside the interpreter, outside the venv, is not readable from the kernel."""
    if sys.base_prefix == sys.prefix:
        pytest.skip("not in a virtual environment: the base site-packages is the environment's own")
    assert os.listdir(BASE_SITE), "the base interpreter has packages here (numpy at least): the test can fail"
    assert probe[1]["base_site_packages"] == []


@PROBE_GROUP
def test_the_kernel_can_write_its_scratch_folder_only_and_it_is_thrown_away(probe):
    course, results = probe
    assert results["write_scratch"] == "allowed"
    assert not (course / "autograded" / "probe" / ASSIGNMENT / "scratch.txt").exists()
    assert not (course / "planted.txt").exists()
    assert not (course / "submitted" / "probe" / ASSIGNMENT / "planted.txt").exists()


@PROBE_GROUP
def test_the_course_folder_is_an_empty_skeleton_inside_the_sandbox(probe):
    """Only the folders that lead to the scratch copy exist there: not the course's own packages."""
    results = probe[1]
    skeleton = {"autograded", ".venv"}
    assert set(results["course_listing"]) <= skeleton, results["course_listing"]
    assert set(results["root_home_listing"]) <= {".pyenv"}, results["root_home_listing"]


@PROBE_GROUP
def test_the_kernel_runs_as_nobody_alone_with_a_clean_environment(probe):
    results = probe[1]
    assert results["uid"] == 65534
    assert not any(name.startswith("NNCOURSE") for name in results["environment"]), results["environment"]
    # /proc/1 is bwrap itself: its environment, readable from the kernel, must not be the grader's either
    assert not any(name.startswith("NNCOURSE") for name in results["visible_environments"]), \
        results["visible_environments"]
    assert len(results["processes"]) <= 3, f"the kernel sees other processes: {results['processes']}"


@PROBE_GROUP
def test_the_probe_itself_is_still_graded(probe):
    course, _ = probe
    status = json.loads((course / "grading" / ASSIGNMENT / "probe.json").read_text())
    assert status["graded"]


FORKS = {
    # children that burn a core each, started in one cell: they die with their cell
    "forks_busy": "import os\n\nfor _ in range(4):\n    if os.fork() == 0:\n"
                  "        os.execv('/bin/sh', ['sh', '-c', 'while :; do :; done', 'busy-987655'])\n",
    # forks until the process limit says no (bounded, should the limit ever fail)
    "fork_bomb": "import os\n\nforked = refused = 0\nfor _ in range(1500):\n    try:\n        pid = os.fork()\n"
                 "    except OSError:\n        refused += 1\n        continue\n    if pid == 0:\n"
                 "        os.execv('/bin/sleep', ['sleep', '987654'])\n    forked += 1\n"
                 "print('FORKED', forked, refused)\n",
}


def marked_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if "987654" in command or "busy-987655" in command:
            found.append(f"{entry.name}: {command}")
    return found


@pytest.fixture(scope="module")
def forks(tmp_path_factory):
    """Two forking students and an honest one, graded side by side; the largest number of tasks in any
    of this grading's cgroups is sampled from outside while it runs.

    Other grading may run at the same time (pytest-xdist's other worker), with cgroups of its own in
    the same folder. A job's cgroup is named after its kernel's private folder, made in the grader's
    temporary folder before the cgroup and removed after it: this grading gets a temporary folder of
    its own, and only the cgroups named after a folder in it are this grading's."""
    kernels = Path(tempfile.mkdtemp(prefix="nbcourse-forks-"))  # short: the kernels' ZMQ sockets live there
    try:
        yield graded_forks(tmp_path_factory, kernels)
    finally:
        shutil.rmtree(kernels, ignore_errors=True)


def graded_forks(tmp_path_factory, kernels: Path):
    import threading

    course = make_course(tmp_path_factory.mktemp("forks"), [ASSIGNMENT])
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    for student, code in FORKS.items():
        submit(course, student, ASSIGNMENT, filled(release, solution,
                                                    {"forward_answer": code + answers_of(solution)["forward_answer"]}))
    submit(course, "honest", ASSIGNMENT, filled(release, solution))
    peak, done, groups = [0], threading.Event(), Path("/sys/fs/cgroup/pids/nbcourse")
    before, seen = set(groups.glob("*")), set()

    def sample():
        while not done.is_set():
            ours = {folder.name for folder in kernels.glob("nbcourse-kernel-*")}
            for current in groups.glob("*/pids.current"):
                if current.parent in before or current.parent.name not in ours:
                    continue
                seen.add(current.parent)
                try:
                    peak[0] = max(peak[0], int(current.read_text()))
                except (OSError, ValueError):
                    pass
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = nbcourse(course, "autograde", "--workers", "2",
                      env={"NNCOURSE_TIMEOUT": "20", "NNCOURSE_PROCESSES": "64", "TMPDIR": str(kernels)})
    done.set()
    sampler.join()
    assert result.returncode == 0, result.stdout + result.stderr
    nbcourse(course, "export", "--to", "grades.csv")
    return course, peak[0], marked_processes(), [group for group in seen if group.exists()]


def cgroups_available() -> bool:
    return Path("/sys/fs/cgroup/pids").is_dir() and os.access("/sys/fs/cgroup/pids", os.W_OK)


@FORKS_GROUP
def test_no_process_of_a_submission_outlives_its_job(forks):
    assert forks[2] == [], f"processes left behind: {forks[2]}"
    assert forks[3] == [], "a job's cgroup was left"


@FORKS_GROUP
def test_a_fork_bomb_stops_at_the_process_limit(forks):
    if not cgroups_available():
        pytest.skip("no writable cgroups here: the PID namespace alone ends the processes with the job")
    peak = forks[1]
    # the bomb's sleeping children fill the cgroup up to its limit, and no further
    assert 48 <= peak <= 64, f"a grading cgroup held {peak} tasks at most (limit 64)"


@FORKS_GROUP
def test_forking_costs_nothing_to_the_honest_student(forks):
    import csv

    with open(forks[0] / "grades.csv") as handle:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert scores == {"honest": 9.0, "forks_busy": 9.0, "fork_bomb": 9.0}, scores


def test_a_copied_course_is_refused_before_grading(tmp_path):
    """A course copied to another folder, graded with the environment of the original (whose editable
    install points at the original checkout): refused, both folders named, nothing graded. Run from a
    folder inside the course, so that Python does not find the copy's own packages first."""
    import subprocess
    import sys

    course = make_course(tmp_path / "copy", [ASSIGNMENT])
    shutil.copytree(ROOT / "nnlib", course / "nnlib")  # its own nnlib, which this environment does not import
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    submit(course, "someone", ASSIGNMENT, release)
    result = subprocess.run([sys.executable, "-m", "nbcourse", "autograde"], cwd=course / "submitted",
                            capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "imports nnlib from" in result.stderr and str(ROOT / "nnlib") in result.stderr, result.stderr
    assert "Nothing was graded" in result.stderr
    assert not (course / "autograded").exists()


def test_a_broken_environment_is_refused_before_grading(tmp_path):
    """The solution must score full marks in the sandbox first: a kernel that cannot run stops everything."""
    course = make_course(tmp_path / "course", [ASSIGNMENT])
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    submit(course, "someone", ASSIGNMENT, release)
    result = nbcourse(course, "autograde", env={"NNCOURSE_MEMORY_MB": "40"})
    assert result.returncode != 0
    assert "preflight" in result.stderr and "nothing was graded" in result.stderr, result.stderr
    assert not (course / "autograded").exists()
