"""The book as the course's tools read it: chapter titles, pages and section anchors, from book/*.md.

The feedback links a hint ("See the chapter 'X', section 'Y'.") to the section it names, and the
self-check points a student to the chapter an exercise goes with. Nothing here needs nbgrader: a
student's install (make student) runs the self-check without it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

BOOK_URL_VARIABLE = "NNCOURSE_BOOK_URL"
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def make_id(text: str) -> str:
    """The anchor Sphinx gives a section with this title (docutils' ``make_id``)."""
    try:
        from docutils.nodes import make_id as docutils_make_id
    except ImportError:  # the same rule, for ASCII titles
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower())
        return re.sub(r"^[^a-z]+|-+$", "", slug)
    return docutils_make_id(text)


def plain_heading(text: str) -> str:
    """A markdown heading as it reads: no emphasis, code or maths markers, links as their text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*`$]", "", text).strip()


@dataclass
class Chapter:
    title: str
    page: str                                                  # relative to the book's address
    sections: dict[str, str] = field(default_factory=dict)    # make_id(title) -> anchor, in page order

    def anchor(self, section: str, loose: bool = True) -> str | None:
        """The anchor of the section named ``section``: the same title up to punctuation, spaces and
        maths ("Xavier/Glorot", "dCf/dw5, one factor at a time"), else (``loose``) the one section whose
        title starts with that name ("He" for "He (Kaiming)"); None if there is no such section."""
        return find(self.sections, section, loose)


def _compact(slug: str) -> str:
    return slug.replace("-", "")


def find(named: dict, name: str, loose: bool = True):
    """``named[key]`` for the key that is ``make_id(name)``, or the same without hyphens, or (``loose``)
    the one key that starts with ``make_id(name) + "-"``; None when there is none, or more than one."""
    wanted = make_id(name)
    if not wanted:
        return None
    if wanted in named:
        return named[wanted]
    for candidates in ([k for k in named if _compact(k) == _compact(wanted)],
                       [k for k in named if loose and k.startswith(wanted + "-")]):
        if len(candidates) == 1:
            return named[candidates[0]]
        if candidates:
            return None
    return None


def read_chapter(path: Path, page: str) -> Chapter | None:
    """A MyST chapter's title (its first ``# `` heading) and sections, skipping front matter and code."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter
        ends = [i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"]
        lines = lines[ends[0] + 1:] if ends else []
    chapter, fence = None, None
    for line in lines:
        if fence:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            continue
        opening = FENCE.match(line)
        if opening:
            fence = opening.group(1)
            continue
        heading = HEADING.match(line)
        if not heading:
            continue
        level, text = len(heading.group(1)), plain_heading(heading.group(2))
        if chapter is None:
            if level == 1:
                chapter = Chapter(text, page)
        elif level > 1:
            chapter.sections.setdefault(make_id(text), make_id(text))  # a repeated title: the first one
    return chapter


def read_book(root: Path) -> dict[str, Chapter]:
    """{make_id(chapter title): Chapter} for ``root/book/*.md``; empty when there is no book."""
    chapters: dict[str, Chapter] = {}
    folder = Path(root) / "book"
    if not folder.is_dir():
        return chapters
    for path in sorted(folder.glob("*.md")):
        chapter = read_chapter(path, f"book/{path.stem}.html")
        if chapter is not None:
            chapters.setdefault(make_id(chapter.title), chapter)  # find(chapters, title) looks one up
    return chapters


def book_address(root: Path, url: str | None = None) -> str:
    """The book's base address, ending in "/": ``url``, else $NNCOURSE_BOOK_URL, else the local build."""
    url = url or os.environ.get(BOOK_URL_VARIABLE, "").strip()
    if not url:
        url = (Path(root).resolve() / "_build" / "html").as_uri()
    return url if url.endswith("/") else url + "/"
