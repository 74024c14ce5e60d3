"""Shared fixtures, hypothesis settings, and what pytest-xdist needs (see pytest_collection_modifyitems)."""

import importlib.util
import inspect
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import yaml
from filelock import FileLock
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["keras_fixtures"]  # tfk and dtype, for the Keras parity suites


def defer_rfc3987_syntax() -> None:
    """Import rfc3987-syntax when it is first used, not when jsonschema (through nbformat) is imported.

    At import it compiles four Lark grammars, for jsonschema's "iri" format check alone: 2.5 s in a bare
    interpreter, 6 s in a pytest process, paid again by each pytest-xdist worker (half of make test-fast).
    No test checks that format; should one, the first call imports the real module and answers as it does.
    """
    if "rfc3987_syntax" in sys.modules:  # imported already, or deferred by an earlier pytest run in this process
        return
    spec = importlib.util.find_spec("rfc3987_syntax")
    if spec is None:
        return
    stand_in = types.ModuleType("rfc3987_syntax", "rfc3987_syntax until its first use (tests/conftest.py)")
    stand_in.__path__ = list(spec.submodule_search_locations)  # its own submodules import as usual

    def is_valid_syntax(term: str, value: str) -> bool:  # what jsonschema imports
        from rfc3987_syntax.syntax_helpers import is_valid_syntax as real

        return real(term, value)

    def __getattr__(name: str):  # anything else from the real module (PEP 562); no import for introspection
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(importlib.import_module("rfc3987_syntax.syntax_helpers"), name)

    stand_in.is_valid_syntax = is_valid_syntax
    stand_in.__getattr__ = __getattr__
    sys.modules["rfc3987_syntax"] = stand_in


defer_rfc3987_syntax()  # before the test modules import nbformat, and with it jsonschema

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


# Module and session fixtures that each pytest-xdist worker may set up for itself.
PER_WORKER_FIXTURES = {
    "postgres_server": "a server of its own per worker: a free port, a folder of its own",
    "tfk": "TensorFlow, imported once per process",
}
# Those that are not, whose tests are spread over several xdist groups: {fixture: groups}, for test_repo.py.
SPREAD_FIXTURES = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True)  # around the other plugins' hooks: pytest-xdist's, and -m and -k deselecting
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (make test: -n auto --dist loadgroup) a module or session fixture is set up once
    per worker that runs a test using it. The tests of one xdist_group run on one worker, so the tests of
    each costly fixture share one group: every test that needs the built book is in the group "book"
    (test_book.py, test_browser.py: one worker builds it); the other groups are marked in their modules,
    next to the fixture they share. Fixtures whose tests are not in one group are kept for test_repo.py."""
    tests = Path(__file__).resolve().parent
    users: dict[str, set[str]] = {}
    for item in items:
        if "html" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("book"))
        groups = {str(mark.args[0]) if mark.args else str(mark.kwargs.get("name", "default"))
                  for mark in item.iter_markers("xdist_group")}
        for name in item.fixturenames:
            definitions = item._fixtureinfo.name2fixturedefs.get(name)
            if not definitions or definitions[-1].scope == "function" or name in PER_WORKER_FIXTURES:
                continue
            if Path(inspect.getfile(definitions[-1].func)).resolve().is_relative_to(tests):
                where = definitions[-1].baseid or "tests/conftest.py"
                users.setdefault(f"{where}::{name}", set()).add("_".join(sorted(groups)) or "(no group)")
    config.stash[SPREAD_FIXTURES] = {fixture: sorted(groups) for fixture, groups in users.items()
                                     if len(groups) > 1 or "(no group)" in groups}
    yield  # the other plugins' hooks: pytest-xdist reads the groups, -m and -k deselect
    if getattr(config.option, "loadgroup", False):  # a pytest-xdist worker, --dist loadgroup
        name_groups_in_node_ids(items)


def name_groups_in_node_ids(items) -> None:
    """Suffix each grouped test's node id with "@<group>", as pytest-xdist 3.8.0 means to do.

    Its loadgroup scheduler reads the group from the node id, which its worker sets through
    ``item._nodeid``; pytest 9.2 keeps the node id in ``item._id`` (a NodeId) instead, so the groups
    were silently ignored and each fixture was set up on both workers (pytest-xdist issue #1386, fix
    pending in its pull request #1388, which sets the structured id as here). Ids that already carry
    their group, from a fixed pytest-xdist, are left as they are.
    """
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted({str(mark.args[0]) if mark.args else str(mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(groups)
        if groups and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


@pytest.fixture(scope="session")
def html(tmp_path_factory) -> Path:
    """The real book, built into _build/html (cached execution: fast when nothing changed).

    The build writes into the checkout, so two builds at once would break each other. Under
    pytest-xdist (make test) the tests that use it share one worker (xdist_group "book",
    --dist loadgroup); should they ever be spread out, the first worker builds under a file lock
    and the others reuse its build (pytest-xdist's pattern for session fixtures).
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # not under xdist: one process, one build
        outcome = book_outcome(build_book(ROOT))
    else:
        marker = tmp_path_factory.getbasetemp().parent / "book-build.json"  # shared by this run's workers
        with FileLock(f"{marker}.lock"):
            if not marker.is_file():
                marker.write_text(json.dumps(book_outcome(build_book(ROOT))))
            outcome = json.loads(marker.read_text())
    assert outcome["returncode"] == 0, f"book build failed:\n{outcome['output']}"
    return ROOT / "_build" / "html"


def book_outcome(result: subprocess.CompletedProcess) -> dict:
    return {"returncode": result.returncode, "output": f"{result.stdout[-5000:]}\n{result.stderr[-5000:]}"}


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
