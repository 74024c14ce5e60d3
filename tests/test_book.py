"""The book: it builds from the repo with warnings as errors, executes its cells, and leaks nothing.

These tests build the real book into _build/html (the same folder `make book` uses, so
an unchanged rebuild is fast thanks to the execution cache).
"""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from conftest import LEAK_MARKERS, ROOT, build_book, toc_pages

pytestmark = pytest.mark.book


def test_every_toc_page_is_built(html):
    assert (html / "index.html").is_file()
    for page in toc_pages():
        assert (html / f"{page}.html").is_file(), page


def test_intro_cells_were_executed(html):
    page = (html / "book" / "intro.html").read_text()
    match = re.search(r"test accuracy after (\d+) epochs: ([\d.]+)%", page)
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
        for quote_prefix, name in re.findall(r'glue\(\s*(f?)"([^"]+)"', text):
            if quote_prefix:  # glue(f"wi_a10_{key}", ...): any text in place of each {...}
                parts = re.split(r"\{[^}]*\}", name)
                patterns.append(re.compile(".+".join(map(re.escape, parts)) + r"\Z"))
            else:
                patterns.append(re.compile(re.escape(name) + r"\Z"))
        for name in re.findall(r"\{glue(?::\w+)?\}`([A-Za-z0-9_]+)", text):
            glued = any(p.match(name) for p in patterns) or f'"{name}"' in text  # glue(name, ...) in a loop
            assert glued, f"{chapter.name}: {{glue}}`{name}` is never glued"


CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))


def notebook_pages() -> list[str]:
    """The pages of the table of contents that are MyST notebooks (read when a test asks: a scratch
    course copied by test_authoring.py has no _toc.yml)."""
    return [page for page in toc_pages() if (ROOT / f"{page}.md").read_text().startswith("---")]


def run_chapter_tool():
    spec = importlib.util.spec_from_file_location("run_chapter", ROOT / "tools" / "run_chapter.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prose(path: Path) -> list[tuple[int, str]]:
    """The chapter's lines a reader sees as text: outside code cells, fences, front matter and inline code."""
    lines, fence, front = [], None, False
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if number == 1 and line == "---":
            front = True
            continue
        if front:
            front = line != "---"
            continue
        opening = re.match(r"^\s*(`{3,}|~{3,}|:{3,})", line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = None
            elif fence[0] == ":":  # a directive's body is prose (notes, admonitions)
                lines.append((number, re.sub(r"`[^`]*`", "", line)))
            continue
        if opening:
            fence = opening.group(1)
            continue
        lines.append((number, re.sub(r"`[^`]*`", "", line)))
    return lines


TYPED_NUMBER = re.compile(r"\b[Cc]hapters? \d|§")


def test_chapters_cite_each_other_by_label_not_by_typed_number():
    """"chapter 3" typed in the text goes stale when chapters move; {numref} and {ref} follow them."""
    typed = [f"{path.name}:{number}: {line.strip()}" for path in (*CHAPTERS, ROOT / "book" / "intro.md")
             for number, line in prose(path) if TYPED_NUMBER.search(line)]
    hint = "cite a chapter with {numref}`Chapter %s <ch-label>`, a section with {ref}"
    assert typed == [], f"{hint}:\n" + "\n".join(typed)


def test_a_typed_chapter_number_would_be_caught(tmp_path):
    page = tmp_path / "99_x.md"
    page.write_text("---\nkernelspec: {}\n---\n# X\n\nAs chapter 3 showed.\n\n```{code-cell}\n# chapter 3\n```\n"
                    "Inline `chapter 4` is code.\n")
    assert [line for _, line in prose(page) if TYPED_NUMBER.search(line)] == ["As chapter 3 showed."]


def test_every_chapter_starts_with_its_label_and_links_the_notation():
    for path in CHAPTERS:
        text = path.read_text()
        label = "ch-" + path.stem[3:].replace("_", "-")
        assert re.search(rf"^\({re.escape(label)}\)=\n# ", text, re.M), f"{path.name} lacks ({label})= above its title"
        assert "{ref}`notation`" in text, f"{path.name} does not link the notation page"


def test_code_lines_fit_the_page_column():
    """Every code line within the column (tools/run_chapter.py's MAX_CODE_LINE; the browser tests
    check the rendered pages themselves)."""
    tool = run_chapter_tool()
    wide = {path.name: tool.long_lines(jupytext.read(path)) for path in sorted((ROOT / "book").glob("*.md"))}
    wide = {name: lines for name, lines in wide.items() if lines}
    assert wide == {}, f"code lines over {tool.MAX_CODE_LINE} characters: {wide}"


def test_each_exercise_link_comes_with_how_to_work_on_it():
    for path in CHAPTERS:
        text = path.read_text()
        if "{download}`" in text and "../exercises/" in text:
            assert "{ref}`working-on-exercises`" in text or "<working-on-exercises>`" in text, \
                f"{path.name} offers its exercise without linking 'Working on the exercises'"


def test_each_chapter_downloads_as_a_notebook(html):
    """The download menu offers .ipynb: the chapter's own cells, no outputs, a valid notebook."""
    pages = notebook_pages()
    assert pages, "no chapter is a MyST notebook"
    for page in pages:
        built = html / "_sources" / f"{page}.ipynb"
        assert built.is_file(), f"{page}: no notebook in the build"
        notebook = nbformat.read(built, as_version=4)
        nbformat.validate(notebook)
        source = jupytext.read(ROOT / f"{page}.md")
        assert [c.source for c in notebook.cells if c.cell_type == "code"] == \
            [c.source for c in source.cells if c.cell_type == "code"], page
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
        assert notebook.metadata.kernelspec.name == "python3"
        assert f'href="../_sources/{page}.ipynb"' in (html / f"{page}.html").read_text(), \
            f"{page}: the download menu does not offer the notebook"


@pytest.mark.slow
def test_a_downloaded_chapter_runs_top_to_bottom_where_it_is_saved(html, tmp_path):
    """As a reader runs it: the downloaded .ipynb in a folder of their own, with nbclient."""
    notebook = tmp_path / "02_forward_propagation.ipynb"
    shutil.copy(html / "_sources" / "book" / "02_forward_propagation.ipynb", notebook)
    result = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                             "--output", "ran.ipynb", str(notebook)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    ran = nbformat.read(tmp_path / "ran.ipynb", as_version=4)
    assert any(o.get("output_type") == "display_data" for c in ran.cells for o in c.get("outputs", []))


def test_the_publishing_workflow_builds_and_uploads_the_book():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    assert {"run": "make book"} in steps
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert workflow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages")
