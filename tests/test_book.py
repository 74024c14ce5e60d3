"""The book: it builds from the repo with warnings as errors, executes its cells, and leaks nothing.

These tests build the real book into _build/html (the same folder `make book` uses, so
an unchanged rebuild is fast thanks to the execution cache).
"""

import re
import shutil
from pathlib import Path

import pytest
from conftest import LEAK_MARKERS, ROOT, build_book, toc_pages

pytestmark = pytest.mark.book


def test_every_toc_page_is_built(html):
    assert (html / "index.html").is_file()
    for page in toc_pages():
        assert (html / f"{page}.html").is_file(), page


def test_intro_cells_were_executed(html):
    page = (html / "book" / "intro.html").read_text()
    match = re.search(r"holdout accuracy after (\d+) epochs: ([\d.]+)%", page)
    assert match, "the intro's training cell left no output"
    assert float(match.group(2)) > 90
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', page)
    assert images, "the intro's loss-curve figure is missing"
    for src in images:
        assert (html / "book" / src).resolve().is_file(), src


def test_mathjax_is_served_from_the_site(html):
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for page in html.rglob("*.html"):
        text = page.read_text()
        assert not re.search(r"<script[^>]+src=\"https?://", text), f"{page} loads a remote script"
        assert "cdn.jsdelivr.net/npm/mathjax" not in text


def test_no_solution_or_hidden_test_text(html):
    for path in html.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".txt", ".ipynb", ".md", ".js", ".py"}:
            text = path.read_text(errors="ignore")
            for marker in LEAK_MARKERS:
                assert marker not in text, f"{marker!r} found in {path}"
    assert not (html / "solutions").exists()
    assert not (html / "_sources" / "solutions").exists()


@pytest.fixture
def scratch_book(tmp_path) -> Path:
    """A copy of the book's configuration around a one-page book, to test what it does."""
    shutil.copy(ROOT / "_config.yml", tmp_path)
    shutil.copytree(ROOT / "book" / "_ext", tmp_path / "book" / "_ext")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n")
    return tmp_path


PAGE = """---
kernelspec: {{display_name: Python 3, language: python, name: python3}}
jupytext: {{text_representation: {{extension: .md, format_name: myst}}}}
---
# A page

```{{code-cell}} ipython3
{code}
```
"""


def test_a_failing_cell_fails_the_build(scratch_book):
    (scratch_book / "book" / "intro.md").write_text(PAGE.format(code="raise ValueError('broken chapter')"))
    result = build_book(scratch_book)
    assert result.returncode != 0
    assert "broken chapter" in result.stdout + result.stderr


def test_a_solutions_folder_is_not_rendered(scratch_book):
    (scratch_book / "book" / "intro.md").write_text(PAGE.format(code="print(1 + 1)"))
    solutions = scratch_book / "solutions" / "a1"
    solutions.mkdir(parents=True)
    (solutions / "a1.md").write_text(PAGE.format(code="### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"))
    result = build_book(scratch_book)
    assert result.returncode == 0, result.stdout[-3000:]
    out = scratch_book / "_build" / "html"
    assert (out / "book" / "intro.html").is_file()
    leaked = [p for p in out.rglob("*") if p.is_file() and "HIDDEN TESTS" in p.read_text(errors="ignore")]
    assert not leaked


def test_each_chapter_links_its_exercise():
    """A chapter NN_name.md whose exercise exists ends by offering the notebook for download."""
    exercises = {p.name for p in (ROOT / "exercises").iterdir() if p.is_dir()}
    for chapter in sorted((ROOT / "book").glob("[0-9][0-9]_*.md")):
        number = chapter.name[:2]
        matching = [name for name in exercises if name.startswith(number + "_")]
        if matching:
            link = f"../exercises/{matching[0]}/{matching[0]}.ipynb"
            assert link in chapter.read_text(), f"{chapter.name} does not link {link}"


def test_exercise_downloads_are_student_versions(html):
    downloads = list((html / "_downloads").rglob("*.ipynb"))
    assert downloads, "no exercise notebook is offered for download"
    for path in downloads:
        text = path.read_text()
        assert "raise NotImplementedError()" in text
        for marker in LEAK_MARKERS:
            assert marker not in text


def test_no_page_shows_stderr(html):
    """Warnings and library log lines (TensorFlow's in the Keras chapter) must not reach the pages."""
    for page in (html / "book").glob("*.html"):
        assert not re.search(r'class="[^"]*\boutput stderr\b', page.read_text()), f"{page.name} shows stderr output"


def test_every_glue_reference_is_glued_in_its_chapter():
    """Each {glue:text}`name` (or {glue:}) in a chapter names a value a code cell of that chapter glues.

    Found without building: a typed-in key that no cell computes would otherwise surface only at build.
    A key glued in a loop, glue(name, ...), counts if the chapter spells it as a string, "name".
    """
    for chapter in sorted((ROOT / "book").glob("[0-9][0-9]_*.md")):
        text = chapter.read_text()
        patterns = []
        for quote_prefix, name in re.findall(r'glue\((f?)"([^"]+)"', text):
            if quote_prefix:  # glue(f"wi_a10_{key}", ...): any text in place of each {...}
                parts = re.split(r"\{[^}]*\}", name)
                patterns.append(re.compile(".+".join(map(re.escape, parts)) + r"\Z"))
            else:
                patterns.append(re.compile(re.escape(name) + r"\Z"))
        for name in re.findall(r"\{glue(?::\w+)?\}`([A-Za-z0-9_]+)", text):
            glued = any(p.match(name) for p in patterns) or f'"{name}"' in text  # glue(name, ...) in a loop
            assert glued, f"{chapter.name}: {{glue}}`{name}` is never glued"
