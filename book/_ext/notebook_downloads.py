"""Sphinx extension: each chapter's download menu offers the chapter as a notebook (.ipynb).

The chapters are MyST Markdown, which Jupyter opens only with jupytext. At build, every page read from
a MyST notebook is converted by jupytext into ``_sources/<page>.ipynb`` beside its ``.md``, without
outputs (it runs top to bottom in the course's environment, or a student's: ``make student``), and
the theme's download menu lists it first (sphinx-book-theme shows ".ipynb" when the page context
names ``ipynb_source``).
"""

from __future__ import annotations

from pathlib import Path

import jupytext


def is_myst_notebook(path: Path) -> bool:
    """A Markdown file whose front matter names a kernel: myst-nb executes it as a notebook."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".md" or not text.startswith("---"):
        return False
    front = text.split("\n---", 1)[0]
    return "kernelspec:" in front


def write_notebook(source: Path, target: Path) -> None:
    notebook = jupytext.read(source)
    notebook.metadata.pop("jupytext", None)  # a plain notebook: no pairing with a text file
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")


def offer_notebook(app, pagename, templatename, context, doctree) -> None:
    if doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if not is_myst_notebook(source):
        return
    write_notebook(source, Path(app.outdir) / "_sources" / f"{pagename}.ipynb")
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # before the theme's header buttons (priority 501), which read ipynb_source
    app.connect("html-page-context", offer_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
