"""Answers may compute; they may not change how the tests run. Checked before a notebook runs.

Hidden tests run in the student's kernel, after the student's code: an answer cell that
rebinds ``np.allclose``, replaces ``nbcourse.checks.check_function``, patches IPython so
errors are not shown, or empties a test's list of cases would score full marks. A
kernel is Python, and Python can always reach its own internals, so this cannot be
prevented inside the kernel. It is prevented before: :class:`GuardAnswers`, run by
``nbcourse autograde`` in nbgrader's pipeline after nbgrader has restored the locked and
test cells from the gradebook, reads every cell that is not one of those (answer cells
and cells the student added) and checks it against the rules below. A cell that breaks
one is not run: its source is replaced by a ``raise`` that names the rule, the original
kept below as comments, so that part scores 0 and the feedback says why.

The rules (each names something an honest answer to these exercises never needs):

* imports only from :data:`ALLOWED_IMPORTS` (numpy, math, functools, itertools, ...) and
  the modules the exercise's locked cells import: no ``sys``, ``builtins``, ``inspect``,
  ``os``, ``IPython``, ``nbcourse``, ``timeit``, ``pickle``, ...;
* no name from :data:`FORBIDDEN_NAMES` (``setattr``, ``eval``, ``exec``, ``globals``,
  ``get_ipython``, ...), ``getattr``/``hasattr`` only called with a literal name, no IPython
  magic (but ``%matplotlib inline``), shell escape or ``?``;
* no dunder attribute or dunder string (``__globals__``, ``"__dict__"``), apart from
  :data:`ALLOWED_DUNDERS`; no frame or code attributes (``gi_frame``, ``f_globals``, ...);
* no assignment to an attribute or item of a module or of a name the locked cells set up
  (``np.allclose = ...``, ``x_train[:] = 0``), no ``np.load(..., allow_pickle=True)``;
* no ``global`` rebinding, inside a function, of a name the tests read (``np``, ``rng``,
  ``len``); rebinding such a name at the top level is allowed and harmless: the names
  are put back before each test cell (:func:`protect_trusted_cells`);
* no use of a name that only the hidden tests define (their helpers and cases).
"""

from __future__ import annotations

import ast
import builtins
import re
import secrets
import symtable
import sys
import types
from dataclasses import dataclass, field

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from nbcourse.preprocessors import GUARD_MARK, is_test_cell

# Answers may import these, and whatever the exercise's own locked cells import (keras in 12_keras).
# An allowlist, not a denylist: timeit, cProfile, doctest, string.Formatter, logging.sys, ... all
# reach the interpreter, and no denylist keeps up with the standard library.
ALLOWED_IMPORTS = frozenset({
    "numpy", "math", "cmath", "random", "statistics", "functools", "itertools", "collections", "typing",
    "dataclasses", "warnings", "time", "copy", "numbers", "fractions", "decimal", "heapq", "bisect", "enum", "abc",
})
# Never, even when a locked cell imports it (the self-check cell imports nbcourse; the reference is nnlib).
NEVER_IMPORTS = frozenset({"nbcourse", "nnlib", "nbgrader", "nbclient", "nbformat", "IPython", "ipykernel",
                           "jupyter_client", "sys", "os", "builtins", "importlib", "inspect", "gc", "ctypes"})
FORBIDDEN_NAMES = frozenset({
    "setattr", "delattr", "vars", "globals", "locals", "eval", "exec", "compile", "__import__", "get_ipython",
    "breakpoint", "exit", "quit", "help",
})
ALLOWED_DUNDERS = frozenset({"__init__", "__call__", "__repr__", "__str__", "__len__", "__iter__", "__next__",
                             "__getitem__", "__name__", "__doc__", "__main__"})
FRAME_ATTRIBUTES = frozenset({"modules", "sys", "os", "builtins", "importlib", "inspect", "gc", "ctypes",
                              "subprocess", "f_globals", "f_locals", "f_back", "f_builtins", "f_code", "f_trace",
                              "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "tb_frame",
                              "tb_next", "co_code", "co_consts", "func_globals", "func_code"})
DUNDER = re.compile(r"__\w+__")
MATPLOTLIB_MAGIC = re.compile(r"^[ \t]*%matplotlib(?:[ \t]+\w+)?[ \t]*$", re.M)
NOT_RUN = ("# nbcourse did not run this cell: {reason}.\n"
           "# Your code is kept below, commented out; the notebook you submitted is unchanged.\n"
           "raise RuntimeError({message!r})\n")


def _module_passed_as_value(name: ast.Name, bound: tuple[str, bool], parents: dict[int, ast.AST]) -> str | None:
    """The dotted module name when ``name``, or a submodule reached from it, is used as a value
    (``m = np``, ``f(np.random)``) rather than called or read from."""
    dotted, surely_module = bound
    chain, node = [dotted], name
    while isinstance(parents.get(id(node)), ast.Attribute) and parents[id(node)].value is node:
        node = parents[id(node)]
        chain.append(node.attr)
        if not isinstance(node.ctx, ast.Load):
            return None  # a store into the module: reported as such
    parent = parents.get(id(node))
    if isinstance(parent, ast.Call) and parent.func is node:
        return None
    if node is name and surely_module:
        return dotted
    return ".".join(chain) if _is_loaded_module(".".join(chain)) else None


def _is_loaded_module(dotted: str) -> bool:
    """Is ``dotted`` a module, judged from the packages this (trusted) process has imported: a
    student's cell must not make the grader import a package it names."""
    top, *rest = dotted.lstrip(".").split(".")
    obj = sys.modules.get(top)
    for attr in rest:
        if not isinstance(obj, types.ModuleType):
            return False
        obj = sys.modules.get(f"{obj.__name__}.{attr}") or getattr(obj, attr, None)
    return isinstance(obj, types.ModuleType)


def _root(node: ast.AST) -> ast.Name | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node if isinstance(node, ast.Name) else None


def _imports(tree: ast.AST) -> dict[str, tuple[str, bool]]:
    """{bound name: (dotted name of what the import binds to it, surely a module)} for ``tree``'s imports."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b` binds the package a; `import a.b as c` binds a.b
                top = alias.name.split(".")[0]
                bound[alias.asname or top] = (alias.name if alias.asname else top, True)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound[alias.asname or alias.name] = (f"{'.' * node.level}{node.module or ''}.{alias.name}", False)
    return bound


def _top_level_bindings(tree: ast.Module) -> set[str]:
    """Names a cell binds in the notebook's namespace (not inside its functions, but ``global`` ones too)."""
    names: set[str] = set()

    def targets(node):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                targets(element)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    def visit(statements):
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
                continue
            for child in ast.walk(node):
                if isinstance(child, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    for target in getattr(child, "targets", None) or [child.target]:
                        targets(target)
                elif isinstance(child, (ast.For, ast.AsyncFor, ast.comprehension)):
                    if not isinstance(child, ast.comprehension):
                        targets(child.target)
                elif isinstance(child, ast.withitem) and child.optional_vars is not None:
                    targets(child.optional_vars)
                elif isinstance(child, ast.NamedExpr):
                    targets(child.target)
                elif isinstance(child, ast.Delete):
                    for target in child.targets:
                        targets(target)
                elif isinstance(child, (ast.Import, ast.ImportFrom)):
                    names.update(_imports(child))
                elif isinstance(child, ast.ExceptHandler) and child.name:
                    names.add(child.name)
                elif isinstance(child, (ast.MatchAs, ast.MatchStar)) and child.name:
                    names.add(child.name)
                elif isinstance(child, ast.MatchMapping) and child.rest:
                    names.add(child.rest)

    visit(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _global_nodes(tree: ast.Module, source: str) -> set[int]:
    """ids of the ``ast.Name`` nodes in ``tree`` that refer to the notebook's namespace (not a local)."""
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:
        return set()
    children: dict[tuple, list] = {}

    def index(t):
        for child in t.get_children():
            children.setdefault((child.get_lineno(), child.get_name(), id(t)), []).append(child)
            index(child)

    index(table)
    found: set[int] = set()
    entered: set[int] = set()

    def visit(node, scope):
        if isinstance(node, _SCOPES) and id(node) not in entered:
            entered.add(id(node))
            inner = children.get((node.lineno, _scope_name(node), id(scope)))
            if inner:
                # decorators, defaults, annotations, bases and a comprehension's first iterable run outside
                outside = _evaluated_outside(node)
                for outer in outside:
                    visit(outer, scope)
                own = inner.pop(0)
                skip = {id(n) for n in outside}
                for child in ast.iter_child_nodes(node):
                    if id(child) not in skip:
                        visit_within(child, own, skip)
                return
        if isinstance(node, ast.Name):
            if scope.get_type() == "module":
                found.add(id(node))
            else:
                try:
                    if scope.lookup(node.id).is_global():
                        found.add(id(node))
                except KeyError:
                    found.add(id(node))
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    def visit_within(node, scope, skip):
        # the scope node's own fields: its arguments and comprehension clauses hold evaluated-outside parts
        if id(node) in skip:
            return
        if isinstance(node, (ast.arguments, ast.comprehension, ast.arg)):
            for child in ast.iter_child_nodes(node):
                visit_within(child, scope, skip)
            return
        visit(node, scope)

    visit(tree, table)
    return found


def _scope_name(node) -> str:
    names = {ast.Lambda: "lambda", ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp",
             ast.GeneratorExp: "genexpr"}
    return names.get(type(node)) or node.name


def _evaluated_outside(node) -> list[ast.AST]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        outer = [*args.defaults, *[d for d in args.kw_defaults if d is not None]]
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, [args.vararg, args.kwarg])]
        outer += [a.annotation for a in every if a.annotation is not None]
        return outer + list(getattr(node, "decorator_list", [])) + [r for r in [getattr(node, "returns", None)] if r]
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *[k.value for k in node.keywords]]
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return [node.generators[0].iter]
    return []


def _relied_on(tree: ast.Module, source: str) -> set[str]:
    """Notebook names a cell needs from elsewhere: those it reads before setting them, and
    every name its functions read (looked up when they are called, perhaps cells later)."""
    nodes = _global_nodes(tree, source)
    reads = {n.id for n in ast.walk(tree) if id(n) in nodes and isinstance(n.ctx, ast.Load)}
    in_functions = {n.id for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                    for n in ast.walk(f) if id(n) in nodes and isinstance(n.ctx, ast.Load)}
    return (reads - _top_level_bindings(tree)) | in_functions


@dataclass
class Context:
    """What the trusted (locked and test) cells of one notebook set up and rely on."""

    imports: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> what it is bound to
    setup_modules: set[str] = field(default_factory=set)     # top-level modules the locked cells import
    setup_names: set[str] = field(default_factory=set)       # bound by locked cells: read-only for answers
    hidden_names: set[str] = field(default_factory=set)      # set by one test cell, read by another: off limits
    protected: set[str] = field(default_factory=set)         # read by the tests: answers may not rebind it

    @classmethod
    def from_cells(cls, trusted: list) -> Context:
        """From a notebook's trusted code cells: locked set-up cells and test cells."""
        return cls.from_sources([c.source for c in trusted if not is_test_cell(c)],
                                [c.source for c in trusted if is_test_cell(c)])

    @classmethod
    def from_sources(cls, setup: list[str], tests: list[str]) -> Context:
        context = cls()
        test_bound: set[str] = set()
        relied_on: set[str] = set()  # what a test cell reads without setting it itself
        for source in setup:
            _, tree = _parse(source)
            if tree is not None:
                context.setup_names |= _top_level_bindings(tree)
                context.imports.update(_imports(tree))
                tops = {dotted.lstrip(".").split(".")[0] for dotted, _ in _imports(tree).values()}
                context.setup_modules |= tops - NEVER_IMPORTS
        for source in tests:
            python, tree = _parse(source)
            if tree is not None:
                bound = _top_level_bindings(tree)
                test_bound |= bound
                relied_on |= _relied_on(tree, python)
                context.imports.update(_imports(tree))
        known = context.setup_names | test_bound | set(dir(builtins))
        context.protected = relied_on & known
        context.hidden_names = (relied_on & test_bound) - context.setup_names - set(context.imports)
        return context


def _parse(source: str) -> tuple[str, ast.Module | None]:
    """The code IPython will run for ``source``, and its tree (None: it fails on its own when it runs)."""
    python = _as_python(source)
    try:
        return python, ast.parse(python)
    except SyntaxError:
        return python, None


def _as_python(source: str) -> str:
    """The code IPython will run for ``source``: magics, ``!`` escapes and ``?`` become calls of
    ``get_ipython()``, which the rules then see (``x = !ls`` is not Python until IPython rewrites it)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython could not read it either: it will not run
        return source


def violations(source: str, context: Context | None = None) -> list[str]:
    """What in ``source`` (one cell a student wrote) breaks the rules; empty when it may run."""
    context = context or Context()
    found: list[str] = []
    source = MATPLOTLIB_MAGIC.sub("", source)  # the one magic a plotting answer may carry, harmless
    python, tree = _parse(source)
    if "get_ipython" in python and "get_ipython" not in source:
        found.append("it uses an IPython magic, a shell command (!) or help (?)")
    if tree is None:
        return found  # a syntax error fails on its own when the cell runs
    modules = {**context.imports, **_imports(tree)}
    global_nodes = _global_nodes(tree, python)

    def shared(node: ast.AST) -> str | None:
        """The notebook-level name an attribute or item store changes, when the tests use it."""
        root = _root(node)
        if root is not None and id(root) in global_nodes and (root.id in modules or root.id in context.protected):
            return root.id
        return None

    def add(why: str) -> None:
        if why not in found:
            found.append(why)

    parents = {id(child): parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    allowed = ALLOWED_IMPORTS | context.setup_modules
    refused_imports: list[str] = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in modules
                and id(node) in global_nodes):
            passed = _module_passed_as_value(node, modules[node.id], parents)
            if passed:
                add(f"it uses the module {passed} as a value (answers may call it, not pass it around)")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] not in allowed or (node.level if isinstance(node, ast.ImportFrom) else 0):
                    refused_imports.append(name or "a relative module")
        elif isinstance(node, ast.Name):
            if node.id in FORBIDDEN_NAMES or (DUNDER.fullmatch(node.id) and node.id not in ALLOWED_DUNDERS):
                add(f"it uses {node.id}, which answers may not use")
            elif node.id in {"getattr", "hasattr"} and not (
                    isinstance(parents.get(id(node)), ast.Call) and parents[id(node)].func is node):
                add(f"it uses {node.id} other than by calling it")
            elif node.id in context.hidden_names and id(node) in global_nodes:
                add(f"it uses {node.id}, a name of the hidden tests")
        elif isinstance(node, ast.Attribute):
            if (DUNDER.fullmatch(node.attr) and node.attr not in ALLOWED_DUNDERS) or node.attr in FRAME_ATTRIBUTES:
                add(f"it reaches Python internals through .{node.attr}")
            if isinstance(node.ctx, (ast.Store, ast.Del)) and shared(node):
                add(f"it changes {ast.unparse(node)}, part of {shared(node)}, which the tests use")
            elif isinstance(node.ctx, (ast.Store, ast.Del)) and _root(node) is None:
                add(f"it assigns to {ast.unparse(node)}, an attribute of an expression: name the object first")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if shared(node):
                add(f"it changes {ast.unparse(node)} in place, which the tests use: work on a copy")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(m not in ALLOWED_DUNDERS for m in DUNDER.findall(node.value)):
                add("it names Python internals in a string")
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name in {"getattr", "hasattr"} and (
                    len(node.args) < 2 or not isinstance(node.args[1], ast.Constant)
                    or not isinstance(node.args[1].value, str)):
                add(f"it calls {name} with a computed attribute name")
            if any(k.arg == "allow_pickle" for k in node.keywords) or (
                    isinstance(node.func, ast.Attribute) and node.func.attr in {"load", "loads"}
                    and _root(node.func) is not None and _root(node.func).id in modules):
                add("it loads saved data (np.load, pickle), which can run code")
            for keyword in node.keywords:
                if keyword.arg and DUNDER.fullmatch(keyword.arg) and keyword.arg not in ALLOWED_DUNDERS:
                    add(f"it names Python internals ({keyword.arg})")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if DUNDER.fullmatch(node.name) and node.name not in ALLOWED_DUNDERS:
                add(f"it defines {node.name}, which answers may not")
    if refused_imports:
        found.insert(0, f"it imports {', '.join(dict.fromkeys(refused_imports))}; answers may import only "
                        f"{', '.join(sorted(allowed))}")
    # Top-level rebinding is undone before each test cell (protect_trusted_cells); a function that
    # rebinds a global while the tests call it is not.
    declared = {n for node in ast.walk(tree) if isinstance(node, (ast.Global, ast.Nonlocal)) for n in node.names}
    for name in sorted(declared & context.protected):
        add(f"it rebinds {name} from inside a function (global {name}), which the tests rely on")
    return found


def protect_trusted_cells(cells: list, context: Context, nonce: str | None = None) -> None:
    """Make the names the tests rely on immune to top-level rebinding by the student.

    After each trusted cell, the names it binds that the tests rely on are saved under a
    name made up for this run (answers cannot find it: ``globals()`` and friends are
    refused); before each test cell they are put back, and a builtin the student shadowed
    is unshadowed. So ``rng = ...`` or ``len = ...`` in an answer is harmless to the tests.
    The added lines end with :data:`GUARD_MARK`; the feedback drops them.
    """
    store = f"_nbcourse_{nonce or secrets.token_hex(8)}"
    unshadow = sorted(n for n in context.protected if n in dir(builtins))
    for cell in cells:
        _, tree = _parse(cell.source)
        bound = sorted((_top_level_bindings(tree) if tree is not None else set()) & context.protected)
        lines = []
        if is_test_cell(cell):
            lines.append(f"globals().setdefault({store!r}, {{}}); globals().update(globals()[{store!r}]); "
                         f"[globals().pop(_n, None) for _n in {unshadow!r} if _n not in globals()[{store!r}]]  "
                         + GUARD_MARK)
        lines.append(cell.source)
        if bound:
            lines.append(f"globals().setdefault({store!r}, {{}}).update("
                         f"{{_n: globals()[_n] for _n in {bound!r} if _n in globals()}})  {GUARD_MARK}")
        cell.source = "\n".join(lines)


def guarded_source(source: str, reasons: list[str]) -> str:
    reason = "; ".join(reasons)
    message = (f"This cell was not run: {reason}. Answers may compute, not change how the tests run; "
               "see the course's grading rules.")
    original = "\n".join(f"# {line}" for line in source.splitlines())
    return NOT_RUN.format(reason=reason, message=message) + original + "\n"


class GuardAnswers(NbGraderPreprocessor):
    """Replace each student-written cell that breaks a rule with a ``raise`` naming the rule.

    Trusted cells are those whose source equals the gradebook's (nbgrader has just put the
    locked and test cells back); every other code cell is the student's.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        self.trusted = self._trusted_sources(resources)
        code = [c for c in nb.cells if c.cell_type == "code" and self._is_trusted(c)]
        self.context = Context.from_cells(code)
        self.flagged: list[str] = []
        trusted_ids = {id(c) for c in code}
        nb, resources = super().preprocess(nb, resources)
        protect_trusted_cells([c for c in nb.cells if id(c) in trusted_ids], self.context)
        resources.setdefault("nbcourse", {})["guarded_cells"] = self.flagged
        return nb, resources

    @staticmethod
    def _trusted_sources(resources) -> dict[str, str]:
        """{cell name: source} of the gradebook's locked and test cells for this notebook."""
        info = resources.get("nbgrader", {})
        try:
            with Gradebook(info["db_url"], course_id="") as gradebook:  # "": read, add no course row
                notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
                answers = {cell.name for cell in notebook.solution_cells}
                return {cell.name: cell.source for cell in notebook.source_cells if cell.name not in answers}
        except (KeyError, MissingEntry):
            return {}

    def _is_trusted(self, cell) -> bool:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        name = meta.get("grade_id")
        if meta.get("solution") or name not in self.trusted:
            return False
        expected = self.trusted[name]
        return cell.source == expected or cell.source.endswith("\n\n" + expected)  # nbgrader's re-added cells

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self._is_trusted(cell):
            return cell, resources
        reasons = violations(cell.source, self.context)
        if reasons:
            self.flagged.append(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index}")
            self.log.warning("cell %s not run: %s", index, "; ".join(reasons))
            cell.source = guarded_source(cell.source, reasons)
        return cell, resources
