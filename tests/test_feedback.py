"""The feedback page a student reads (nbcourse/feedback.py and its template): parts named in the summary,
hints linked to the book, messages that wrap, nothing loaded from the network, no tracebacks from the
cells the grader does not run.

Most tests render a graded notebook made by hand, through the exporter and preprocessors that
nbgrader_config.py gives nbgrader's GenerateFeedback (its GetGrades, which reads the gradebook, is
replaced by the scores written into the notebook). The last one runs the real commands on a scratch course.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT
from exercise_tools import filled, make_course, nbcourse, notebook_path, submit
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import GetGrades
from traitlets.config.loader import PyFileConfigLoader

from nbcourse.book import book_address, make_id, read_book, read_chapter
from nbcourse.feedback import UNGRADED_NOTE, FeedbackExporter, link_hints, tex_to_html

BOOK_URL = "https://example.org/course/"
MOMENTUM = "book/04_gradient_descent.html#momentum"
MESSAGE = ("sgd_momentum_step([0.5, -1.25, 3.0, 0.0001, 12345.678, -0.5, 2.0, 7.5, -3.25, 0.125], "
           "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 0.1, 0.9): it looks like the velocity was returned "
           "unchanged (got <function f>): return the new velocity, the next step needs it. "
           "See the chapter 'Gradient descent', section 'Momentum'.")
PASSED = "Passed: your function agrees with the reference on every hidden case."


# ---- the book -------------------------------------------------------------------------------------

def test_chapters_are_read_from_the_book_without_code_comments():
    chapters = read_book(ROOT)
    descent = chapters["gradient-descent"]
    assert descent.page == "book/04_gradient_descent.html"
    assert descent.anchor("Momentum") == "momentum"
    assert descent.anchor("Nesterov momentum: look before you leap") == "nesterov-momentum-look-before-you-leap"
    recipe = chapters["the-training-recipe"]
    assert recipe.title == "The training recipe"
    assert "the-loop-from-the-right-of-the-decision-box-up-and-back-into-the-forward-pass" not in recipe.sections, \
        "a '# comment' in a code cell is not a heading"


def test_anchors_follow_sphinx(tmp_path):
    assert make_id("Nesterov momentum: look before you leap") == "nesterov-momentum-look-before-you-leap"
    assert make_id("Keras's truncated normals") == "keras-s-truncated-normals"
    page = tmp_path / "book" / "x.md"
    page.parent.mkdir()
    page.write_text("---\ntitle: front matter\n---\n\n# A chapter\n\n```{code-cell}\n# not a heading\n```\n\n"
                    "## $dC_f/dw_5$, one factor at a time\n\n### Xavier / Glorot\n\n### He (Kaiming)\n\n"
                    "### Heavy tails\n\n~~~\n## fenced\n~~~\n")
    chapter = read_chapter(page, "book/x.html")
    assert chapter.title == "A chapter"
    assert list(chapter.sections) == ["dc-f-dw-5-one-factor-at-a-time", "xavier-glorot", "he-kaiming", "heavy-tails"]
    assert chapter.anchor("Xavier/Glorot") == "xavier-glorot"
    assert chapter.anchor("dCf/dw5, one factor at a time") == "dc-f-dw-5-one-factor-at-a-time"
    assert chapter.anchor("He") == "he-kaiming"
    assert chapter.anchor("fenced") is None and chapter.anchor("Glorot") is None


def test_a_hint_becomes_links_to_the_chapter_and_its_section():
    chapters = read_book(ROOT)
    page = link_hints(MESSAGE, chapters, BOOK_URL)
    links = BeautifulSoup(page, "html.parser").find_all("a")
    assert [(a["href"], a.text) for a in links] == [
        (BOOK_URL + "book/04_gradient_descent.html", "Gradient descent"),
        (BOOK_URL + MOMENTUM, "Momentum"),
    ]
    assert BeautifulSoup(page, "html.parser").text == MESSAGE, "the text reads as before, escaped"
    assert "&lt;function f&gt;" in page


@pytest.mark.parametrize(("hint", "hrefs"), [
    ("See the chapter 'Gradient descent', section 'No such section'.", ["book/04_gradient_descent.html"]),
    ("See the chapter 'No such chapter', section 'Momentum'.", []),
    ("See the chapter 'Weight initialisation'.", ["book/08_weight_initialisation.html"]),
    ("See the chapter 'Backpropagation', the aside 'The notes say dCf/dYp = (Ya - Yp)'.",
     ["book/03_backpropagation.html"]),
    ("See the chapter 'Activation functions', section 'The notes' table, checked'.",
     ["book/06_activation_functions.html", "book/06_activation_functions.html#the-notes-table-checked"]),
    ("See the chapter 'Adaptive learning rates', section \"Adam's bias correction\".",
     ["book/05_adaptive_learning_rates.html", "book/05_adaptive_learning_rates.html#adam-s-bias-correction"]),
    ("See the chapter 'The training recipe', section 'The same loop by hand', and its exercise 1.",
     ["book/01_training_recipe.html", "book/01_training_recipe.html#the-same-loop-by-hand"]),
    ("See the chapter 'Backpropagation', section 'Every other weight' (the shared bias).",
     ["book/03_backpropagation.html", "book/03_backpropagation.html#every-other-weight"]),
])
def test_only_what_the_book_has_is_linked(hint, hrefs):
    page = link_hints(hint, read_book(ROOT), BOOK_URL)
    assert [a["href"] for a in BeautifulSoup(page, "html.parser").find_all("a")] == [BOOK_URL + h for h in hrefs]
    assert BeautifulSoup(page, "html.parser").text == hint


def test_without_a_book_nothing_is_linked(tmp_path):
    assert read_book(tmp_path) == {}
    assert "<a" not in link_hints(MESSAGE, read_book(tmp_path), BOOK_URL)


def test_the_book_address_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.delenv("NNCOURSE_BOOK_URL", raising=False)
    assert book_address(tmp_path) == (tmp_path.resolve() / "_build" / "html").as_uri() + "/"
    monkeypatch.setenv("NNCOURSE_BOOK_URL", "https://example.org/course")
    assert book_address(tmp_path) == "https://example.org/course/"


def test_every_section_a_hidden_test_names_is_in_the_book():
    """A hint whose section is not found loses its link (no broken link): catch the typo here."""
    files = sorted((ROOT / "hidden_tests").glob("*.py"))
    if not files:
        pytest.skip("no hidden tests in this checkout")
    chapters = read_book(ROOT)
    hints = [node.value for f in files for node in ast.walk(ast.parse(f.read_text()))
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and "See the chapter" in node.value]
    assert hints
    unlinked = []
    for hint in hints:
        wanted = 2 if ", section " in hint else 1
        if len(BeautifulSoup(link_hints(hint, chapters, BOOK_URL), "html.parser").find_all("a")) < wanted:
            unlinked.append(hint)
    assert not unlinked, f"not found in book/: {unlinked}"


def test_formulas_are_mathml_or_their_source():
    assert tex_to_html(r"\eta\, g_t").startswith("<math")
    assert 'display="block"' in tex_to_html(r"\big(x\big) + \dots + \frac12", block=True)
    assert tex_to_html(r"\notacommand < x") == r'<code class="nbcourse-tex">$\notacommand &lt; x$</code>'


# ---- the page ---------------------------------------------------------------------------------------

def nbgrader_cell(cell, grade_id, **meta):
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "grade": False, "solution": False, "locked": True,
                                 "schema_version": 3, **meta}
    return cell


def graded_notebook():
    """An autograded notebook as TrustedExecute leaves it, with GetGrades' scores: part 1 passed, part 2 failed."""
    intro = "# Exercise 4\n\nA step: $w_{t+1} = w_t + v_t$, with\n\n$$\nv_t = \\gamma\\, v_{t-1} - \\eta\\, g_t\n$$\n"
    cells = [nbgrader_cell(new_markdown_cell(intro), "intro")]
    for part, title, passed in [("updates", "Part 1: updates per epoch (2 points)", True),
                                ("momentum", "Part 2: a step with momentum (2 points)", False)]:
        verdict = (new_output("stream", name="stdout", text=PASSED + "\n") if passed else
                   new_output("error", ename="CheckFailed", evalue=MESSAGE, traceback=[f"CheckFailed: {MESSAGE}"]))
        test = new_code_cell("# Graded: when your work is graded, hidden tests check your function.\n"
                             "# They run in the grader, not in this notebook.", outputs=[verdict])
        cells += [
            nbgrader_cell(new_markdown_cell(f"## {title}\n\nWrite it, $\\eta$ the learning rate."), f"{part}_text"),
            nbgrader_cell(new_code_cell("def f():\n    return 1\n"), f"{part}_answer", solution=True, locked=False),
            nbgrader_cell(test, f"{part}_test", grade=True, points=2.0, score=2.0 if passed else 0.0),
            nbgrader_cell(new_code_cell("assert f() == 1\nprint('The visible tests pass.')"), f"{part}_check"),
        ]
    selfcheck = new_code_cell("from nbcourse.selfcheck import check_notebook\n\ncheck_notebook('x.ipynb')", outputs=[
        new_output("error", ename="NotebookError", evalue="no notebook at x.ipynb",
                   traceback=["\x1b[0;31mNotebookError\x1b[0m Traceback (most recent call last)",
                              "\x1b[0;31mNotebookError\x1b[0m: no notebook at x.ipynb"])])
    cells.append(nbgrader_cell(selfcheck, "selfcheck"))
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def render(notebook, course: Path) -> str:
    """The page, as nbgrader's GenerateFeedback makes it with this course's nbgrader_config.py."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    config.CourseDirectory.root = str(course)
    converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    exporter = converter.exporter_class(parent=converter, config=converter.config)  # as BaseConverter.start
    for preprocessor in converter.preprocessors:
        if preprocessor is not GetGrades:  # it reads the gradebook; the scores are in the notebook already
            exporter.register_preprocessor(preprocessor)
    resources = {"nbgrader": {"notebook": "04_gradient_descent", "assignment": "04_gradient_descent",
                              "student": "alice", "score": 2.0, "max_score": 4.0, "late_penalty": 0.0},
                 "metadata": {"path": str(course)}}
    page, _ = exporter.from_notebook_node(nbformat.from_dict(notebook), resources=resources)
    return page


# The page is rendered once for the tests that read it: they share one pytest-xdist worker (make test).
PAGE = pytest.mark.xdist_group("feedback-page")


@pytest.fixture(scope="module")
def page():
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("NNCOURSE_BOOK_URL", BOOK_URL)
        monkeypatch.chdir(ROOT)  # nbgrader runs generate_feedback from the course folder
        return render(graded_notebook(), ROOT)


def test_the_config_uses_the_course_exporter():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert config.GenerateFeedback.exporter_class is FeedbackExporter


@PAGE
def test_the_summary_names_the_parts(page):
    soup = BeautifulSoup(page, "html.parser")
    summary = [li.a.text for li in soup.select("#toc li")]
    assert summary == ["Part 1: updates per epoch", "Part 2: a step with momentum"]
    assert "Test cell" not in page and "Grade cell" not in page
    assert soup.select("#toc li.nbcourse-failed-part")[0].a["href"] == "#momentum_test"


@PAGE
def test_the_failing_message_is_shown_red_with_a_link_to_the_book(page):
    soup = BeautifulSoup(page, "html.parser")
    failed = soup.select("div.nbcourse-failed")
    assert len(failed) == 1 and failed[0].text == f"CheckFailed: {MESSAGE}"
    assert [a["href"] for a in failed[0].find_all("a")] == [BOOK_URL + "book/04_gradient_descent.html",
                                                            BOOK_URL + MOMENTUM]
    assert [d.text for d in soup.select("div.nbcourse-passed")] == [PASSED]


@PAGE
def test_long_lines_wrap(page):
    styles = "".join(s.text for s in BeautifulSoup(page, "html.parser").find_all("style"))
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", styles)
    wrapping = [selector for selector, body in rules
                if re.search(r"white-space:\s*pre-wrap", body) and re.search(r"overflow-wrap:\s*anywhere", body)]
    assert any("div.output_error pre" in s and "div.output_subarea pre" in s for s in wrapping), wrapping


@PAGE
def test_nothing_is_loaded_from_the_network(page):
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all("script"), "no script at all: no MathJax, require.js or jQuery"
    assert not soup.find_all("link"), "style sheets are inlined"
    loads = [tag.get("src") for tag in soup.find_all(src=True)]
    assert not [url for url in loads if not url.startswith("data:")]
    links = [a["href"] for a in soup.find_all("a", href=True) if re.match(r"https?:", a["href"])]
    assert links and all(url.startswith(BOOK_URL) for url in links), links
    styles = "".join(s.text for s in soup.find_all("style"))
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", styles)


@PAGE
def test_formulas_are_drawn_without_mathjax(page):
    soup = BeautifulSoup(page, "html.parser")
    assert len(soup.find_all("math")) >= 3 and soup.find("math", display="block")
    assert "$" not in soup.select("div.text_cell_render")[0].text, "no TeX left for a script to typeset"


@PAGE
def test_the_cells_the_grader_skips_show_no_traceback(page):
    text = BeautifulSoup(page, "html.parser").body.text
    assert "NotebookError" not in text and "Traceback" not in text and "\x1b" not in text
    assert page.count(UNGRADED_NOTE) == 3  # two visible checks and the self-check


def test_the_default_book_is_the_local_build(monkeypatch):
    monkeypatch.delenv("NNCOURSE_BOOK_URL", raising=False)
    monkeypatch.chdir(ROOT)
    soup = BeautifulSoup(render(graded_notebook(), ROOT), "html.parser")
    hrefs = [a["href"] for a in soup.select("div.nbcourse-failed a")]
    assert hrefs[-1] == (ROOT / "_build" / "html").as_uri() + "/" + MOMENTUM


def test_a_course_without_a_book_keeps_the_hint_as_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    soup = BeautifulSoup(render(graded_notebook(), tmp_path), "html.parser")
    failed = soup.select_one("div.nbcourse-failed")
    assert failed.text == f"CheckFailed: {MESSAGE}" and not failed.find_all("a")


# ---- the real commands ------------------------------------------------------------------------------

@pytest.mark.grading
def test_generate_feedback_on_a_scratch_course(tmp_path):
    assignment = "04_gradient_descent"
    course = make_course(tmp_path / "course", [assignment])
    shutil.copytree(ROOT / "book", course / "book", ignore=shutil.ignore_patterns("_ext", "*.py"))
    if not (course / "hidden_tests" / f"{assignment}.py").exists():
        (course / "hidden_tests").mkdir(exist_ok=True)
        shutil.copy(ROOT / "hidden_tests" / f"{assignment}.py", course / "hidden_tests")
    release = nbformat.read(notebook_path(course / "exercises", assignment), as_version=4)
    solution = nbformat.read(notebook_path(ROOT / "solutions", assignment), as_version=4)
    unchanged = ("def sgd_momentum_step(w, g, velocity, lr, momentum):\n"
                 "    return w + momentum * velocity - lr * g, velocity\n")  # "the velocity was returned unchanged"
    submit(course, "alice", assignment, filled(release, solution, {"momentum_answer": unchanged}))
    env = {"NNCOURSE_BOOK_URL": BOOK_URL, "NNCOURSE_TIMEOUT": "30"}
    for command in (["autograde"], ["feedback"]):
        result = nbcourse(course, *command, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    page = (course / "feedback" / "alice" / assignment / f"{assignment}.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    assert [li.a.text for li in soup.select("#toc li")][2] == "Part 3: a step with momentum"
    assert "Test cell" not in page
    failed = soup.select("div.nbcourse-failed")
    assert len(failed) == 1 and "velocity" in failed[0].text
    assert BOOK_URL + MOMENTUM in [a["href"] for a in failed[0].find_all("a")]
    assert not soup.find_all("script") and not soup.find_all("link")
    assert "NotebookError" not in soup.body.text and "Traceback" not in soup.body.text
