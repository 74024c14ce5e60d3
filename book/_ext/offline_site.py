"""Sphinx extension: keep the built site self-contained and its pages free of console errors.

Jupyter Book 1 always loads sphinx-thebe. With launch buttons off (this book runs
offline), its only effects are an inline script that names a CDN copy of thebe and,
since that script is added on every environment read, a second copy of it that the
browser reports as "Identifier 'THEBE_JS_URL' has already been declared". Both go.
"""

from __future__ import annotations

THEBE_MARKERS = ("THEBE_JS_URL", "sphinx-thebe.js", "thebe@")


def _is_thebe(script) -> bool:
    text = " ".join(str(getattr(script, attr, "") or "") for attr in ("filename", "attributes"))
    return any(marker in text for marker in THEBE_MARKERS) or any(
        marker in str(getattr(script, "attributes", {}).get("body", "")) for marker in THEBE_MARKERS)


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if scripts is not None:
        context["script_files"] = [s for s in scripts if not _is_thebe(s)]


def setup(app):
    app.connect("html-page-context", drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
