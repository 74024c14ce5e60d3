"""The feedback page a student reads: nbgrader's, made usable (nbgrader_config.py puts these in generate_feedback).

* :class:`NameParts`: the summary at the top names each graded part ("Part 3: a step with momentum"),
  taken from the part's markdown heading, where nbgrader writes "Test cell" for every one.
* :class:`NoteUngradedChecks`: the visible check cells and the self-check are not run when grading;
  their cell says so, and shows no traceback from an earlier run.
* :class:`LinkBookSections`: "See the chapter 'X', section 'Y'." in a cell's output becomes a link to
  that section of the book. The book's address is ``NNCOURSE_BOOK_URL`` (the published book, e.g.
  ``https://example.org/course/``), by default the local build, ``file://<course>/_build/html/``.
  Chapters are found by the first heading of each ``book/*.md``; a chapter or section that is not in
  the book stays plain text, so no link is ever broken. Each graded part's verdict is shown in a box,
  red when the part failed, green when it passed; the messages wrap instead of running off the page.
* :class:`FeedbackExporter`: nbgrader's HTML exporter with this course's template
  (``nbcourse/templates/nbcourse_feedback``): the page loads nothing from the network (nbgrader's
  loads MathJax from a CDN); the formulas of the markdown cells are written as MathML when the page is
  made, which browsers display without any script.

Grades are not affected: nbgrader has scored the notebook before feedback is generated.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import nbgrader
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, Unicode, default
from traitlets.config import Config

from nbcourse.book import BOOK_URL_VARIABLE, HEADING, Chapter, book_address, find, plain_heading, read_book
from nbcourse.preprocessors import ANSI, is_test_cell

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE_NAME = "nbcourse_feedback"
_FORMGRADER = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
NBGRADER_TEMPLATES = _FORMGRADER / "templates"  # holds nbgrader's feedback/index.html.j2, which ours extends
BOOTSTRAP_CSS = _FORMGRADER / "static" / "node_modules" / "bootstrap" / "dist" / "css"  # inlined in the page

# "See the chapter 'Gradient descent', section 'Momentum'." (or "section \"Adam's bias correction\"")
HINT = re.compile(r"See the chapter (['\"])")
SECTION = re.compile(r",? section (['\"])")
POINTS = re.compile(r"\s*\(\s*\d+(?:\.\d+)?\s*points?\s*\)\s*$", re.I)  # "(2 points)" after a part's name


def _link(url: str, text: str) -> str:
    return f'<a class="nbcourse-book-link" href="{html.escape(url)}" target="_blank" rel="noopener">{text}</a>'


def _quoted(text: str, start: int, quote: str, resolve) -> tuple[int, object] | None:
    """The name quoted from ``text[start]`` to a closing ``quote`` that ``resolve(name, loose)`` knows:
    (the index of that quote, what ``resolve`` gave). A name may hold the quote ("The notes' table,
    checked"): each possible end is tried, first for an exact title, then for a loose one."""
    ends, end = [], start
    while (end := text.find(quote, end + 1)) != -1 and "\n" not in text[start:end]:
        if end + 1 == len(text) or not text[end + 1].isalnum():  # not an apostrophe inside a word
            ends.append(end)
    for loose in (False, True):
        for end in ends:
            found = resolve(text[start:end], loose)
            if found is not None:
                return end, found
    return None


def link_hints(text: str, chapters: dict[str, Chapter], base: str) -> str:
    """``text`` as HTML (escaped), each "See the chapter 'X', section 'Y'" with X linked to the chapter's
    page and Y to its section. A chapter or section that is not in the book stays plain text."""
    out, position = [], 0
    for match in HINT.finditer(text):
        if match.start() < position:
            continue
        chapter_at = _quoted(text, match.end(), match.group(1), lambda name, loose: find(chapters, name, loose))
        if chapter_at is None:
            continue
        end, chapter = chapter_at
        out += [html.escape(text[position:match.end()]),
                _link(base + chapter.page, html.escape(text[match.end():end])), html.escape(text[end])]
        position = end + 1
        section = SECTION.match(text, position)
        section_at = section and _quoted(text, section.end(), section.group(1), chapter.anchor)
        if section_at:
            end, anchor = section_at
            name = html.escape(text[section.end():end])
            out += [html.escape(text[position:section.end()]), _link(f"{base}{chapter.page}#{anchor}", name),
                    html.escape(text[end])]
            position = end + 1
    out.append(html.escape(text[position:]))
    return "".join(out)


# ---- preprocessors ------------------------------------------------------------------------------

def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def part_name(markdown: str) -> str | None:
    """The first heading of a markdown cell, without its "(2 points)": "Part 3: a step with momentum"."""
    for line in markdown.splitlines():
        heading = HEADING.match(line)
        if heading:
            return POINTS.sub("", plain_heading(heading.group(2))) or None
    return None


class NameParts(Preprocessor):
    """Put each graded cell's part name in ``cell.metadata.nbcourse.part``, for the page's summary.

    The name is the heading of the part's ``<part>_text`` cell (the grade id ``momentum_test`` is part
    ``momentum``), else the last heading above the cell; a cell with neither keeps nbgrader's label."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        texts, last = {}, None
        for cell in nb.cells:
            grade_id = str(_nbgrader(cell).get("grade_id", ""))
            if cell.get("cell_type") == "markdown" and grade_id.endswith("_text") and part_name(cell.source):
                texts[grade_id.removesuffix("_text")] = part_name(cell.source)
        for cell in nb.cells:
            meta = _nbgrader(cell)
            if cell.get("cell_type") == "markdown":
                last = part_name(cell.source) or last
            if meta.get("grade"):
                stem = str(meta.get("grade_id", "")).rsplit("_", 1)[0]
                name = texts.get(stem) or last
                if name:
                    cell.setdefault("metadata", {}).setdefault("nbcourse", {})["part"] = name
        return nb, resources


def is_visible_check(cell) -> bool:
    """A visible check cell (``<part>_check``) or the self-check: for the student, not run when grading."""
    meta = _nbgrader(cell)
    grade_id = str(meta.get("grade_id", ""))
    return (cell.get("cell_type") == "code" and not meta.get("grade") and not meta.get("solution")
            and (grade_id.endswith("_check") or grade_id == "selfcheck"))


UNGRADED_NOTE = "Not run when grading: run this cell in your notebook to check your answer."


class NoteUngradedChecks(Preprocessor):
    """Replace the outputs of the visible check cells and the self-check by a note saying they were not
    run when grading (a notebook graded before they were skipped may hold their tracebacks)."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if is_visible_check(cell):
            cell.outputs = [NotebookNode(output_type="display_data", metadata={}, data={
                "text/plain": UNGRADED_NOTE,
                "text/html": f'<p class="nbcourse-note">{html.escape(UNGRADED_NOTE)}</p>'})]
            cell.execution_count = None
        return cell, resources


def _output_text(output) -> str:
    if output.get("output_type") == "error":
        return ANSI.sub("", "\n".join(output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]))
    return ANSI.sub("", output.get("text", ""))


class LinkBookSections(Preprocessor):
    """Show the graded parts' verdicts in a box (red: failed, green: passed), and link every
    "See the chapter 'X', section 'Y'" of a cell's output to the book (see the module's notes).

    Such an output becomes a ``display_data`` with ``text/html`` (the links) and ``text/plain`` (the
    text as it was); other outputs of ungraded cells are left alone."""

    enabled = Bool(True).tag(config=True)
    course_root = Unicode(help="the course folder, holding book/ (default: the current folder, "
                               "where nbgrader runs generate_feedback)").tag(config=True)
    book_url = Unicode(help=f"the book's address (default: ${BOOK_URL_VARIABLE}, else the local build "
                            "<course>/_build/html)").tag(config=True)

    @default("course_root")
    def _course_root_default(self):
        return os.getcwd()

    @default("book_url")
    def _book_url_default(self):
        return os.environ.get(BOOK_URL_VARIABLE, "")

    def preprocess(self, nb, resources):
        root = Path(self.course_root)
        self._chapters = read_book(root)
        self._base = book_address(root, self.book_url)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") != "code":
            return cell, resources
        graded = is_test_cell(cell)
        score, points = _nbgrader(cell).get("score"), _nbgrader(cell).get("points")
        failed = any(o.get("output_type") == "error" for o in cell.get("outputs", [])) or (
            score is not None and points is not None and float(score) < float(points))
        outputs = []
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind not in ("stream", "error"):
                outputs.append(output)
                continue
            text = _output_text(output)
            if not graded and not HINT.search(text):
                outputs.append(output)
                continue
            if kind == "error":
                css = "nbcourse-verdict nbcourse-failed" if graded else "nbcourse-error"
            else:
                css = "nbcourse-verdict nbcourse-passed" if graded and not failed else "nbcourse-stream"
            body = link_hints(text.rstrip("\n"), self._chapters, self._base)
            page = f'<div class="{css}"><pre>{body}</pre></div>'
            outputs.append(NotebookNode(output_type="display_data", metadata={"nbcourse": {"output_type": kind}},
                                        data={"text/plain": text, "text/html": page}))
        cell.outputs = outputs
        return cell, resources


# ---- the exporter: our template, formulas as MathML -----------------------------------------------

# docutils' LaTeX reader lacks a few commands the exercises use: the nearest ones it knows.
_TEX_FIXES = [
    (re.compile(r"\\(big|Big|bigg|Bigg)(?![a-zA-Z])"), r"\\\1l"),
    (re.compile(r"\\dots(?![a-zA-Z])"), r"\\ldots"),
    (re.compile(r"\\([dt]?frac)\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])"), r"\\\1{\2}{\3}"),
]


def tex_to_html(tex: str, block: bool = False) -> str:
    """A formula as MathML (rendered by the browser, no script), or as its TeX source when it cannot be read."""
    fixed = tex.strip()
    for pattern, replacement in _TEX_FIXES:
        fixed = pattern.sub(replacement, fixed)
    try:
        from docutils.utils.math.latex2mathml import tex2mathml

        mathml = tex2mathml(fixed, as_block=block)
    except Exception:
        source = f"$${tex}$$" if block else f"${tex}$"
        return f'<code class="nbcourse-tex">{html.escape(source)}</code>'
    return f'<span class="nbcourse-math">{mathml}</span>' if block else mathml  # a span: mistune may put it in a <p>


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with formulas written as MathML instead of left for MathJax."""

    def inline_math(self, body: str) -> str:
        return tex_to_html(body)

    def block_math(self, body: str) -> str:
        return tex_to_html(body, block=True)

    def latex_environment(self, name: str, body: str) -> str:
        return tex_to_html(f"\\begin{{{name}}}{body}\\end{{{name}}}", block=True)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter with this course's template and formulas as MathML.

    nbgrader's GenerateFeedback sets ``HTMLExporter.template_name = "feedback"``; this class's own
    settings (``FeedbackExporter.*``, which a config may still change) take precedence."""

    def __init__(self, config=None, **kwargs):
        own = Config()
        own.FeedbackExporter.template_name = TEMPLATE_NAME
        own.FeedbackExporter.extra_template_basedirs = [str(TEMPLATES)]
        own.FeedbackExporter.extra_template_paths = [str(NBGRADER_TEMPLATES), str(BOOTSTRAP_CSS)]
        own.FeedbackExporter.exclude_anchor_links = True  # no "¶" after every heading
        if config is not None:
            own.merge(config)
        super().__init__(config=own, **kwargs)

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)
