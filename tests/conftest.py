"""Shared fixtures and hypothesis settings."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = str(Path(sys.executable).with_name("jupyter-book"))
# Text that marks solutions and hidden tests: none of it may reach a student.
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

# CI gets more examples; a developer's run stays quick.
settings.register_profile("ci", max_examples=200, deadline=None)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def build_book(source: Path) -> subprocess.CompletedProcess:
    """Build a Jupyter Book as `make book` does: Sphinx warnings are errors."""
    return subprocess.run([JUPYTER_BOOK, "build", str(source), "--warningiserror", "--keep-going"],
                          capture_output=True, text=True, timeout=1800)


def toc_pages() -> list[str]:
    """Every page of _toc.yml, root first, as paths without suffix (book/intro, ...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    stack = list(toc.get("parts", [])) + list(toc.get("chapters", []))
    while stack:
        entry = stack.pop(0)
        if "file" in entry:
            pages.append(entry["file"])
        stack.extend(entry.get("chapters", []) + entry.get("sections", []) + entry.get("parts", []))
    return pages


@pytest.fixture(scope="session")
def html() -> Path:
    """The real book, built into _build/html (cached execution: fast when nothing changed)."""
    result = build_book(ROOT)
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
    return ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server on localhost for the session (tests/postgres.py); fails on CI without one."""
    import postgres

    if postgres.binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql); CI runs these tests")
    with postgres.server() as url:
        yield url
