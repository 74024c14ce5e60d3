"""Broken and hostile submissions through the real instructor commands: every student gets a grade
row and a feedback page that says what happened, the rest of the class is graded, and no
submission is changed.

One scratch course, exercise 2, a class of deliberately awkward students, graded with two
workers; the same class is graded again against PostgreSQL in test_postgres.py.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json

import nbformat
import pytest
from conftest import ROOT
from exercise_tools import answers_of, filled, make_course, nbcourse, nbgrader_meta, notebook_path, submit

# One worker grades the class once for every test here (make test: pytest-xdist, --dist loadgroup).
pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("awkward-class")]
ASSIGNMENT = "02_forward_propagation"
FULL = 9.0
POINTS = {"sigmoid": 2.0, "derivative": 2.0, "forward": 3.0, "cost": 2.0}
ENV = {"NNCOURSE_TIMEOUT": "15", "NNCOURSE_MEMORY_MB": "1500"}


def answer_cell(notebook, grade_id):
    return next(c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == grade_id)


WRONG_COST = "def cost(Ya, Yp):\n    return 0.0\n"
CHEATS = {  # each makes a wrong cost() pass, if its trick works
    "patches_numpy": "np.allclose = lambda *a, **k: True\n" + WRONG_COST,
    "patches_checks": "import nbcourse.checks\nnbcourse.checks.check_function = lambda *a, **k: None\n" + WRONG_COST,
    "patches_builtins": "import builtins\nbuiltins.AssertionError = GeneratorExit\n" + WRONG_COST,
    "hides_tracebacks": "get_ipython().showtraceback = lambda *a, **k: None\n" + WRONG_COST,
    "exec_patch": "exec('np.allclose = lambda *a, **k: True')\n" + WRONG_COST,
}
# The five routes a review found past the old answer rules, each in a notebook with no function
# implemented: if any worked, it would score more than 0.
NOTHING = "raise NotImplementedError()\n"
ROUTES = {
    # 1. eval through the standard library: string annotations evaluated by typing
    "route_annotations": {"sigmoid_answer": (
        "import typing\n\n\ndef probe(x: \"__import__('nnlib').activations.sigmoid\"):\n    pass\n\n\n"
        "sigmoid = typing.get_type_hints(probe)['x']\n")},
    # 2. a module reached through a container, changed inside an answer function
    "route_container": {"cost_answer": (
        "def cost(Ya, Yp):\n    import nbcourse.checks as c\n    [c][0].difference = lambda *a, **k: None\n"
        "    return 0.0\n")},
    # 3. delegating to the reference through names the tests used to leave, from a method, a partial, a closure
    "route_delegate": {"sigmoid_answer": (
        "import functools\n\n\nclass Use:\n    @staticmethod\n    def sigmoid(z):\n"
        "        return globals()['nnlib'].activations.sigmoid(z)\n\n\nsigmoid = functools.partial(Use.sigmoid)\n"),
        "derivative_answer": "def sigmoid_derivative(z):\n    return nn_sigmoid(z) * (1 - nn_sigmoid(z))\n"},
    # 4. changing a library function's code object through a standard-library helper
    "route_code_object": {"cost_answer": (
        "import functools\n\n"
        "functools.partial(setattr, np.allclose, '__co' + 'de__')((lambda *a, **k: True).__code__)\n"
        "functools.partial(setattr, np, 'allclose')(lambda *a, **k: True)\n\n\ndef cost(Ya, Yp):\n    return 0.0\n")},
    # 5. IPython's input history, printed into the feedback
    "route_history": {"cost_answer": "print('HISTORY', In)\nprint('OUT', Out)\n" + NOTHING},
}


def class_of_students(course):
    """Submit the awkward class to ``course``; return {student: (expected score, expected status)}."""
    release = nbformat.read(notebook_path(course / "exercises", ASSIGNMENT), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", ASSIGNMENT), as_version=4)
    complete = filled(release, solution)
    expected = {}

    def add(student, notebook, score, status="graded", name=None):
        submit(course, student, ASSIGNMENT, notebook, name=name)
        expected[student] = (score, status)

    add("good", complete, FULL)
    # A deleted graded cell is put back by nbgrader and graded.
    deleted = nbformat.from_dict(complete)
    deleted.cells = [c for c in deleted.cells if nbgrader_meta(c).get("grade_id") != "cost_test"]
    add("deleted_test", deleted, FULL)
    # An edited graded cell is overwritten from the gradebook (nbgrader's checksums of locked cells).
    edited = filled(release, solution, {"cost_answer": WRONG_COST})
    answer_cell(edited, "cost_test").source = "pass  # trust me"
    add("edited_test", edited, FULL - POINTS["cost"])
    # An edited locked cell (the set-up) is overwritten from the gradebook too: its patch never runs.
    edited_setup = filled(release, solution, {"cost_answer": WRONG_COST})
    setup = next(c for c in edited_setup.cells if c.cell_type == "code" and nbgrader_meta(c).get("locked"))
    setup.source += "\nnp.allclose = lambda *a, **k: True\n"
    add("edited_setup", edited_setup, FULL - POINTS["cost"])
    # A test cell tagged skip-execution would not run, and nbgrader scores a cell without error as passed.
    skipping = filled(release, solution, {"cost_answer": WRONG_COST})
    answer_cell(skipping, "cost_test").metadata["tags"] = ["skip-execution"]
    add("skips_test", skipping, FULL - POINTS["cost"])
    # A test cell moved above its answer runs there, before the answer exists: that part scores 0.
    reordered = nbformat.from_dict(complete)
    test = answer_cell(reordered, "cost_test")
    reordered.cells.remove(test)
    reordered.cells.insert(1, test)
    add("reordered_test", reordered, FULL - POINTS["cost"])
    # A duplicated answer cell: nbgrader keeps the first as the answer; the copy runs as the student's code.
    duplicated = nbformat.from_dict(complete)
    answer = answer_cell(duplicated, "sigmoid_answer")
    duplicated.cells.insert(duplicated.cells.index(answer) + 1, nbformat.from_dict(answer))
    add("duplicated_answer", duplicated, FULL)
    # A segfault kills the kernel: the notebook is not graded and the student is told why.
    add("segfault", filled(release, solution, {
        "cost_answer": "np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2**40,), strides=(2**20,)).sum()\n"}),
        0.0, "kernel died")
    add("loops", filled(release, solution, {"cost_answer": "while True:\n    pass\n"}), FULL - POINTS["cost"])
    # A memory bomb meets the kernel's address-space limit (1500 MB here): MemoryError in that cell only.
    # Blocks of 1 GiB leave the kernel's own threads room to report it; a bomb of small blocks may
    # instead kill the kernel at the limit, which the "segfault" student covers.
    add("memory_bomb", filled(release, solution, {
        "cost_answer": "blocks = []\nwhile True:\n    blocks.append(np.ones(2**27))\n"}), FULL - POINTS["cost"])
    add("floods_output", filled(release, solution, {
        "sigmoid_answer": "print('x' * 30_000_000)\nfor i in range(20_000):\n    print(i)\n\n"
                          "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"}), FULL)
    add("exits", filled(release, solution, {"cost_answer": "import sys\nsys.exit(0)\n"}), FULL - POINTS["cost"])
    for student, code in CHEATS.items():
        add(student, filled(release, solution, {"cost_answer": code}), FULL - POINTS["cost"])
    nothing = {grade_id: NOTHING for grade_id in answers_of(solution)}
    for student, answers in ROUTES.items():
        add(student, filled(release, solution, {**nothing, **answers}), 0.0)
    add("not_json", "{ this is not a notebook", 0.0, "not a valid notebook")
    add("json_not_notebook", json.dumps({"hello": "world"}), 0.0, "not graded")
    add("renamed", complete, 0.0, f"no notebook named {ASSIGNMENT}.ipynb", name="my_homework.ipynb")
    (course / "submitted" / "missing" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "missing" / ASSIGNMENT / "notes.txt").write_text("I forgot the notebook")
    expected["missing"] = (0.0, f"no notebook named {ASSIGNMENT}.ipynb")
    # A second notebook is not graded, and the status says so (nbgrader only logs "Skipping unknown notebook").
    add("extra_files", complete, FULL, "graded; skipped (not graded): scratch.ipynb")
    (course / "submitted" / "extra_files" / ASSIGNMENT / "data.csv").write_text("1,2,3\n")
    # Modules of their own next to the notebook must not replace numpy or the kernel's launcher.
    for module in ("numpy.py", "ipykernel_launcher.py"):
        (course / "submitted" / "extra_files" / ASSIGNMENT / module).write_text("raise SystemExit('shadowed')\n")
    nbformat.write(complete, course / "submitted" / "extra_files" / ASSIGNMENT / "scratch.ipynb")
    warns = filled(release, solution, {
        "sigmoid_answer": "import warnings\n\ndef sigmoid(z):\n    warnings.warn('a warning')\n"
                          "    return 1 / (1 + np.exp(-z))  # overflows at -1000: NumPy warns, value right\n"})
    add("warns", warns, FULL)
    # Reading the instructor's files with code the answer rules allow: the sandbox has no such files.
    add("reads_solutions", filled(release, solution, {"cost_answer": (
        "def peek(path):\n"
        "    try:\n"
        "        with open(path, 'rb') as handle:\n"
        "            return len(handle.read(10)) > 0\n"
        "    except OSError:\n"
        "        return False\n\n\n"
        f"print('SOLUTIONS', peek({str(notebook_path(course / 'solutions', ASSIGNMENT))!r}))\n"
        f"print('GRADEBOOK', peek({str(course / 'gradebook.db')!r}))\n"
        f"print('OTHERS', peek({str(notebook_path(course / 'submitted' / 'good', ASSIGNMENT))!r}))\n"
        "try:\n"
        f"    open({str(course / 'planted.txt')!r}, 'w').write('x')\n"
        "except OSError:\n"
        "    pass\n"
        "print('LINKED', peek('gb.db'), peek('sol'), open('data.csv').read().strip())\n"
        + answers_of(solution)["cost_answer"])}), FULL)
    folder = course / "submitted" / "reads_solutions" / ASSIGNMENT  # links to what the sandbox hides
    (folder / "gb.db").symlink_to(course / "gradebook.db")
    (folder / "sol").symlink_to(course / "solutions")
    (folder / "data.csv").write_text("own data\n")
    return expected


def submitted_hashes(course):
    """Every submitted file's content (a link's target path: the gradebook it points at does change)."""
    paths = [p for p in sorted((course / "submitted").rglob("*")) if p.is_file() or p.is_symlink()]
    return {str(p.relative_to(course)):
            str(p.readlink()) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def grade(course, env=None):
    """Autograde (two workers), feedback and export, as an instructor would."""
    for command in (["autograde", "--workers", "2"], ["feedback"], ["export", "--to", "grades.csv"]):
        result = nbcourse(course, *command, env={**ENV, **(env or {})})
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("class"), [ASSIGNMENT])
    expected = class_of_students(course)
    before = submitted_hashes(course)
    grade(course)
    return course, expected, before


def rows(course):
    with open(course / "grades.csv") as handle:
        return {r["student_id"]: r for r in csv.DictReader(handle)}


def feedback(course, student):
    return (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def autograded(course, student):
    return nbformat.read(notebook_path(course / "autograded" / student, ASSIGNMENT), as_version=4)


def check_class(course, expected):
    """Every student's score and status as expected, and a feedback page each (shared with test_postgres)."""
    table = rows(course)
    assert set(table) == set(expected)
    def as_expected(got: dict, score: float, status: str) -> bool:
        exact = status == "graded"  # "graded" is also a substring of "not graded: ..."
        return float(got["score"]) == score and (got["status"] == status if exact else status in got["status"])

    wrong = {s: (table[s]["score"], table[s]["status"]) for s, (score, status) in expected.items()
             if not as_expected(table[s], score, status)}
    assert not wrong, f"unexpected grades: {wrong}"
    for student in expected:
        assert feedback(course, student)


def test_every_student_gets_the_right_grade_status_and_feedback(course):
    check_class(course[0], course[1])


def test_an_edited_locked_cell_is_restored(course):
    cells = [c for c in autograded(course[0], "edited_setup").cells if nbgrader_meta(c).get("locked")]
    assert cells and not any("np.allclose = " in c.source for c in cells)


def test_a_deleted_test_cell_is_restored_and_graded(course):
    assert any(nbgrader_meta(c).get("grade_id") == "cost_test" for c in autograded(course[0], "deleted_test").cells)


@pytest.mark.parametrize("student", ["segfault", "not_json", "json_not_notebook", "renamed", "missing"])
def test_a_broken_submission_gets_a_page_that_says_why(course, student):
    page = feedback(course[0], student)
    assert "could not be graded" in page
    reason = rows(course[0])[student]["status"].removeprefix("not graded: ").split("; skipped (not graded)")[0]
    assert html.escape(reason) in page


def test_an_endless_loop_costs_its_part_only(course):
    assert "CellTimeoutError" in feedback(course[0], "loops") or "Timeout" in feedback(course[0], "loops")


def test_a_memory_bomb_is_stopped_by_the_kernel_limit(course):
    assert "MemoryError" in feedback(course[0], "memory_bomb")


def test_megabytes_of_output_are_cut(course):
    path = notebook_path(course[0] / "autograded" / "floods_output", ASSIGNMENT)
    assert path.stat().st_size < 1_000_000, "the 30 MB print must not reach the autograded notebook"
    assert "output cut" in feedback(course[0], "floods_output")


def test_stderr_does_not_cost_a_correct_answer(course):
    """The answer warns (NumPy overflows at -1000, and warnings.warn): the verdict is the grader's alone."""
    cell = answer_cell(autograded(course[0], "warns"), "sigmoid_test")
    assert [o.get("name") for o in cell.outputs] == ["stdout"] and "Passed" in cell.outputs[0]["text"]


HIDDEN_TEST_TEXT = ("check_function", "Mistake(", "PARTS = ", "def check_", "import nnlib", "reference_forward")


@pytest.mark.parametrize("student", [*CHEATS, *ROUTES, "exits"])
def test_tampering_changes_nothing_and_shows_no_hidden_test(course, student):
    """The grade is decided in the grader (expected scores in class_of_students); the student's cells ran,
    and nothing of the hidden tests reached the kernel, so nothing of them reaches the feedback."""
    page = feedback(course[0], student)
    own = notebook_path(course[0] / "submitted" / student, ASSIGNMENT).read_text()  # their code may say anything
    for text in HIDDEN_TEST_TEXT:
        assert text not in page or text in own, f"{text!r} in the feedback of {student}"
    hidden = (ROOT / "hidden_tests" / f"{ASSIGNMENT}.py").read_text().splitlines()
    definitions = [line.strip() for line in hidden if line.startswith("def ")]
    assert definitions and not [line for line in definitions if html.escape(line) in page]
    status = json.loads((course[0] / "grading" / ASSIGNMENT / f"{student}.json").read_text())
    assert status["graded"] and not status["ungraded_parts"]


def test_the_history_holds_no_hidden_test(course):
    page = feedback(course[0], "route_history")
    assert "HISTORY" in page, "the student's cell ran and printed its history"
    assert "nbcourse" not in page.split("HISTORY", 1)[1].split("</pre>", 1)[0]


def test_the_sandbox_hides_the_course_from_the_student(course):
    outputs = "".join(o.get("text", "") for o in answer_cell(autograded(course[0], "reads_solutions"),
                                                            "cost_answer").outputs)
    assert "SOLUTIONS False" in outputs and "GRADEBOOK False" in outputs and "OTHERS False" in outputs
    assert "LINKED False False own data" in outputs, "symbolic links must not bring the gradebook in"
    # links stay behind (cluster.py sends regular files only): what they point to never reaches autograded/, feedback/
    for folder in ("autograded", "feedback"):
        names = {p.name for p in (course[0] / folder / "reads_solutions" / ASSIGNMENT).rglob("*")}
        assert not names & {"gb.db", "sol"}, f"{folder}: {names}"
    assert not (course[0] / "planted.txt").exists()


def test_submissions_are_never_changed(course):
    course_dir, _, before = course
    assert submitted_hashes(course_dir) == before

