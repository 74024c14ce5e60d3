"""A TA grades a written answer in nbgrader's formgrader, in a real browser, and the grade reaches the LMS.

In a scratch course: one submission of 06_activation_functions is autograded (its code parts score
full marks, its written part needs manual grading: the exports leave its cell empty, the report says
so); nbgrader's formgrader is started as the README says (``jupyter server`` in the course directory,
on localhost, with a token), headless Chromium opens the submission from the formgrader's list, gives
the written answer a score and a comment, and saves them; the server is stopped. Then
``nbcourse export --format canvas`` has the score, and ``nbcourse feedback`` shows the TA's comment.
"""

from __future__ import annotations

import csv
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path, submit
from test_browser import CHROMIUM_ARGS, INSTALL_HINT, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ASSIGNMENT = "06_activation_functions"
WRITTEN = "dead_relu_written"
ANSWER = ("The learning rate was too large: one big step pushed many hidden units to where z < 0 for every "
          "image, so they output 0 and their gradient is 0; they never change again.")
COMMENT = "Right diagnosis; name a second remedy (He initialisation, leaky ReLU) next time."
TA_SCORE = 1.5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def formgrader(tmp_path):
    """nbgrader's formgrader over the scratch course, as the README starts it: (course, base URL, token).
    The server is stopped (its whole process group) whatever the test does."""
    course = make_course(tmp_path / "course", [ASSIGNMENT])
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    env.pop("JUPYTER_CONFIG_DIR", None)
    # README's command (*Written answers*), with this test's port and token
    command = [str(Path(sys.executable).with_name("jupyter")), "server", "--no-browser", "--ServerApp.ip=127.0.0.1",
               "--ServerApp.default_url=/formgrader/gradebook", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:  # a CI container: Jupyter refuses root without it
        command.append("--allow-root")
    state = {"course": course, "url": f"http://127.0.0.1:{port}", "token": token, "command": command, "env": env,
             "log": tmp_path / "server.log", "process": None}
    yield state
    process = state["process"]
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the group this fixture started, nothing else
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def start_server(state) -> None:
    log = open(state["log"], "w")
    state["process"] = subprocess.Popen(state["command"], cwd=state["course"], env=state["env"], stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if state["process"].poll() is not None:
            pytest.fail(f"the formgrader's server exited:\n{state['log'].read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{state['url']}/api/status?token={state['token']}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the formgrader's server did not answer in 90 s:\n{state['log'].read_text()[-3000:]}")


def stop_server(state) -> None:
    process = state["process"]
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def canvas_cell(course: Path, student: str, assignment: str) -> str:
    with open(course / "grades-canvas.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index(assignment)
    return next(row for row in rows[2:] if row[0] == student)[column]


def run(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = nbcourse(course, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def grade_in_browser(state, times: dict) -> None:
    """The TA's clicks: the address the server prints, the assignment, its notebook, the submission; a score
    and a comment, each saved."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    from playwright.sync_api import sync_playwright

    local, remote, errors = urlparse(state["url"]).netloc, [], []

    def route(route_):
        url = urlparse(route_.request.url)
        if url.netloc == local or url.scheme in ("data", "blob", "about"):
            route_.continue_()
        else:  # the formgrader must work offline: nothing leaves the machine
            remote.append(route_.request.url)
            route_.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.on("pageerror", lambda error: errors.append(str(error)))
            start = time.monotonic()
            page.goto(f"{state['url']}/?token={state['token']}")  # logs in (a cookie), then the default page
            page.wait_for_url("**/formgrader/gradebook*", timeout=30_000)
            page.locator(f"a[href$='/formgrader/gradebook/{ASSIGNMENT}']:visible").click(timeout=30_000)
            page.locator(f"a[href$='/formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}']:visible").click(timeout=30_000)
            link = page.locator("a[href*='/formgrader/submissions/']:visible")  # the lists are filled in by scripts
            link.first.wait_for(timeout=30_000)
            assert link.count() == 1, "one submission"
            flag = page.locator("tr", has=link).locator(".needs-manual-grade").get_attribute("data-search")
            assert flag == "needs manual grade", "the formgrader lists it as needing manual grading"
            link.click()
            page.wait_for_url("**/formgrader/submissions/**", timeout=30_000)
            answer = page.locator(".nbgrader_cell", has=page.locator(f"textarea#{WRITTEN}-comment"))
            assert ANSWER[:40] in answer.inner_text(), "the TA sees the student's written answer"
            with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"
                                      and r.ok, timeout=30_000):
                page.fill(f"input.score#{WRITTEN}", str(TA_SCORE))
                page.locator(f"input.score#{WRITTEN}").press("Tab")  # the formgrader saves on change
            with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT"
                                      and r.ok, timeout=30_000):
                page.fill(f"textarea#{WRITTEN}-comment", COMMENT)
                page.locator(f"textarea#{WRITTEN}-comment").press("Tab")
            times["browser"] = time.monotonic() - start
        finally:
            browser.close()
    # nbgrader's submission page loads MathJax from a CDN (nbconvert's classic template), refused here: its
    # scrolling helper then fails ("MathJax is not defined"), and grading works without it. Nothing else may
    # leave the machine, and no other script may fail.
    assert [url for url in remote if "mathjax" not in url.lower()] == [], f"the formgrader asked the network: {remote}"
    assert [e for e in errors if "MathJax is not defined" not in e] == [], f"script errors on its pages: {errors}"


def test_a_ta_grades_a_written_answer_in_the_formgrader(formgrader):
    started, times = time.monotonic(), {}
    course = formgrader["course"]
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    submit(course, "alice", ASSIGNMENT, filled(release, solution, {WRITTEN: ANSWER}))
    start = time.monotonic()
    run(course, "autograde")  # the preflight included: the solution's ungraded written answer does not stop it
    times["autograde"] = time.monotonic() - start
    points = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
              for c in solution.cells if c.metadata.get("nbgrader", {}).get("grade")}
    code_points = sum(p for grade_id, p in points.items() if grade_id != WRITTEN)

    # Before the TA: no grade in the LMS file (never a 0), and both the export and the report say why.
    exported = run(course, "export", "--format", "canvas")
    assert canvas_cell(course, "alice", ASSIGNMENT) == ""
    assert "needs manual grading" in exported.stderr
    run(course, "report")
    report = BeautifulSoup((course / "report.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "needs manual grading" in report and "written answer" in report.lower()
    assert f"{WRITTEN} (1 to grade by hand)" in report, "the part's scores wait for the TA: not a 0 for everyone"
    with open(course / "grades.csv") as handle:
        row = next(r for r in csv.DictReader(handle) if r["student_id"] == "alice")
    assert float(row["score"]) == code_points and "needs manual grading" in row["status"], row

    # The TA grades it in the formgrader; the server is stopped before the course's commands read the gradebook.
    start = time.monotonic()
    start_server(formgrader)
    times["server start"] = time.monotonic() - start
    grade_in_browser(formgrader, times)
    stop_server(formgrader)

    run(course, "export", "--format", "canvas")
    assert float(canvas_cell(course, "alice", ASSIGNMENT)) == code_points + TA_SCORE
    run(course, "feedback")
    page = BeautifulSoup((course / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(),
                         "html.parser")
    assert COMMENT in page.get_text(" ")
    heading = page.find("a", attrs={"name": WRITTEN}).find_next("div", class_="panel-heading").get_text(" ")
    assert f"{TA_SCORE:g}" in heading and f"{points[WRITTEN]:g}" in heading, heading
    times["total"] = time.monotonic() - started
    print("wall time: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in times.items()))
