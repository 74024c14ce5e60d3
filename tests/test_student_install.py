"""A student's install (make student): what the chapters and the exercises import, and nothing more.

`make student` installs requirements-student.in (and requirements-keras.in with KERAS=1) with the
versions of requirements.txt. These tests check, without installing anything, that every package
the chapters' code cells and the exercise notebooks import is in that install, TensorFlow only for
the Keras chapter, and that the self-check runs with the instructors' packages out of reach.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import jupytext
import pytest
from conftest import ROOT

STUDENT = ROOT / "requirements-student.in"
KERAS = ROOT / "requirements-keras.in"
OURS = {"nnlib", "nbcourse"}  # installed from the checkout (pip install -e .)
# What a student's install leaves out on purpose; the self-check must not import any of it.
INSTRUCTORS_ONLY = ("nbgrader", "sqlalchemy", "dask", "distributed", "tensorflow", "jupyter_book", "psycopg")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requested(path: Path) -> set[str]:
    """The package names a requirements .in file asks for."""
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(canonical(re.split(r"[=<>!~;\[ ]", line, maxsplit=1)[0]))
    return names


def closure(names: set[str]) -> set[str]:
    """Those packages and every package they require (extras left out), as installed here."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in metadata.distribution(name).requires or []:
            if "extra ==" in requirement.replace('"', " ").replace("'", " "):
                continue
            marker = requirement.split(";", 1)
            if len(marker) == 2 and not _marker_applies(marker[1]):
                continue
            todo.append(canonical(re.split(r"[=<>!~;\[ (]", requirement.strip(), maxsplit=1)[0]))
    return seen


def _marker_applies(marker: str) -> bool:
    from packaging.markers import Marker

    return Marker(marker).evaluate({"extra": ""})


def imported_modules(code: str) -> set[str]:
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    modules = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return modules


def code_cells(path: Path) -> list[str]:
    notebook = jupytext.read(path) if path.suffix == ".md" else json.loads(path.read_text())
    cells = notebook.cells if path.suffix == ".md" else notebook["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "code"]


def distributions_of(modules: set[str]) -> dict[str, set[str]]:
    """{module: the distributions that provide it}; a module of the standard library or ours maps to none."""
    providers = metadata.packages_distributions()
    found = {}
    for module in modules - OURS - set(sys.stdlib_module_names):
        found[module] = {canonical(d) for d in providers.get(module, [])} or {f"(no package provides {module})"}
    return found


SOURCES = sorted((ROOT / "book").glob("*.md")) + sorted((ROOT / "exercises").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_student_install_has_what_each_chapter_and_exercise_imports(path):
    keras_chapter = path.name.startswith("12_")
    installed = closure(requested(STUDENT) | (requested(KERAS) if keras_chapter else set()))
    modules = set().union(*(imported_modules(code) for code in code_cells(path)))
    missing = {module: dists for module, dists in distributions_of(modules).items() if not dists & installed}
    assert not missing, f"{path.name} imports what `make student` does not install: {missing}"


def test_tensorflow_is_only_the_extra():
    assert "tensorflow" not in {d.split("-")[0] for d in closure(requested(STUDENT))}
    assert "tensorflow-cpu" in requested(KERAS)


def test_the_student_packages_are_pinned_by_requirements_txt():
    pinned = {canonical(line.split("==")[0]) for line in (ROOT / "requirements.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    for path in (STUDENT, KERAS):
        assert requested(path) <= pinned, f"{path.name} asks for what requirements.txt does not pin"


BLOCK = """
import importlib.abc, runpy, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"{{name}} is not in a student's install")
sys.meta_path.insert(0, Block())
sys.argv = ["nbcourse", "check", {notebook!r}]
runpy.run_module("nbcourse", run_name="__main__")
"""


@pytest.mark.slow
def test_the_self_check_runs_without_the_instructors_packages(tmp_path):
    """`python -m nbcourse check` with nbgrader, SQLAlchemy, Dask, TensorFlow and Jupyter Book unimportable."""
    notebook = tmp_path / "02_forward_propagation.ipynb"
    shutil.copy(ROOT / "solutions" / "02_forward_propagation" / "02_forward_propagation.ipynb", notebook)
    code = BLOCK.format(blocked=set(INSTRUCTORS_ONLY), notebook=str(notebook))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed, 0 failed" in result.stdout
    # and the block is real: the instructors' commands do need what it refuses
    code = BLOCK.format(blocked=set(INSTRUCTORS_ONLY), notebook=str(notebook)).replace('"check", ', '"export", ')
    refused = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert refused.returncode != 0 and "is not in a student's install" in refused.stderr
