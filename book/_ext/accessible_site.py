"""Sphinx extension: the theme's controls named as they read, for screen readers and voice control.

axe-core (tests/test_browser.py) finds three widgets whose accessible name leaves out the text they
show (WCAG 2.5.3, "label in name"): the search button (named "Search", showing "Search Ctrl+K"), the
colour-mode button (named "Color mode", its icons titled "Light", "Dark", "System Settings"), and
the toggle of every folded code cell (named "Toggle hidden content", showing "Show code cell
source"). The search button and the toggles are named by the text they show; the colour-mode icons
lose their titles, so the button's own name and tooltip, "Color mode", stand alone. Each page is
patched after it is written; a theme whose markup changed fails the build here, not the page silently.
"""

from __future__ import annotations

from pathlib import Path

# (what, as the theme writes it, as it should read); every page has the first two.
FIXES = [
    ("the search button", 'title="Search" aria-label="Search"', 'title="Search"'),
    ("the colour-mode button's icons", 'data-mode="light" title="Light"></i>', 'data-mode="light"></i>'),
    ("the colour-mode button's icons", 'data-mode="dark"  title="Dark"></i>', 'data-mode="dark"></i>'),
    ("the colour-mode button's icons", 'data-mode="auto"  title="System Settings"></i>', 'data-mode="auto"></i>'),
    ("a folded code cell's toggle", '<summary aria-label="Toggle hidden content">', "<summary>"),
]
ON_EVERY_PAGE = ("the search button", "the colour-mode button's icons")


def patch(text: str) -> tuple[str, set[str]]:
    """The page with the fixes made, and the fixes it now carries (made here, or on an earlier build)."""
    carried = set()
    for what, old, new in FIXES:
        if old in text:
            text = text.replace(old, new)
        if new in text:
            carried.add(what)
    return text, carried


def patch_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        before = page.read_text(encoding="utf-8")
        text, carried = patch(before)
        missing = [what for what in ON_EVERY_PAGE if what not in carried]
        if missing and "search-button__button" in text:  # a page of the theme that lacks a fix
            raise RuntimeError(f"{page}: the theme's markup changed, {missing[0]} was not found (book/_ext)")
        if text != before:
            page.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("build-finished", patch_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
