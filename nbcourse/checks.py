"""What hidden tests call: compare a student's function with a reference, name known mistakes.

A hidden test hands :func:`check_function` the student's function, nnlib's reference,
seeded inputs, and the plausible wrong versions of the reference (:class:`Mistake`).
When the student's output differs from the reference but equals what a known mistake
produces, the failure message names that mistake and the chapter section that
explains it, instead of only printing two arrays.

Nothing here writes to stderr: the student's code runs with NumPy's warnings silenced,
since nbgrader scores a test cell 0 when anything reaches stderr.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import types
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# A function that calls one of these instead of computing the answer earns no points.
FORBIDDEN_MODULES = ("nnlib", "tensorflow", "keras", "torch", "scipy", "sklearn", "jax")


class CheckFailed(AssertionError):
    """A hidden test failed; the message is written for the student."""


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong answer: ``function`` computes what the mistake would return."""

    name: str
    function: Callable
    hint: str = ""


def _describe(value, limit: int = 6) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= limit:
            return np.array2string(value, precision=6, separator=", ")
        return f"array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_describe(v, limit) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _copy_args(args: Sequence) -> tuple:
    return tuple(copy.deepcopy(a) for a in args)


def run_quietly(function: Callable, args: Sequence):
    """Call ``function(*args)`` with warnings and NumPy floating-point warnings silenced."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return function(*args)


def difference(got, expected, rtol: float, atol: float) -> str | None:
    """None when ``got`` matches ``expected`` (nested tuples/lists of arrays or numbers), else why not."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"expected {len(expected)} values, got {_describe(got)}"
        for index, (g, e) in enumerate(zip(got, expected, strict=True)):
            why = difference(g, e, rtol, atol)
            if why:
                return f"value {index}: {why}"
        return None
    if got is None:
        return "got None: does the function return its result?"
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"expected a number or an array, got {type(got).__name__}"
    expected_array = np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return f"expected shape {expected_array.shape}, got shape {got_array.shape}"
    if not np.all(np.isfinite(got_array)) and np.all(np.isfinite(expected_array)):
        return f"got non-finite values (nan or inf): {_describe(got_array)}; expected {_describe(expected_array)}"
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol):
        with np.errstate(all="ignore"):
            largest = float(np.nanmax(np.abs(got_array - expected_array))) if got_array.size else 0.0
        return (f"expected {_describe(expected_array)}, got {_describe(got_array)} "
                f"(largest difference {largest:.3g})")
    return None


def matches(got, expected, rtol: float, atol: float) -> bool:
    """Does ``got`` equal what a mistake produces? NaN matches NaN here: an unstable formula's
    NaNs are exactly how that mistake shows."""
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(matches(g, e, rtol, atol) for g, e in zip(got, expected, strict=True)))
    try:
        got_array, expected_array = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return got_array.shape == expected_array.shape and bool(
        np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True))


def _referenced_objects(function: Callable, depth: int = 3, skip: frozenset = frozenset()):
    """The global objects a function's code refers to, following the student's own helpers
    (but not the names in ``skip``: answers to other parts, which are checked on their own)."""
    if depth < 0 or not isinstance(function, types.FunctionType):
        return
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        for name in code.co_names:
            if name in function.__globals__:
                if name in skip:
                    continue
                obj = function.__globals__[name]
                yield name, obj
                if isinstance(obj, types.FunctionType) and obj.__module__ == function.__module__:
                    yield from _referenced_objects(obj, depth - 1, skip)


def forbidden_library(function: Callable, forbidden: Iterable[str] = FORBIDDEN_MODULES,
                      skip: Iterable[str] = ()) -> str | None:
    """The name of a library ``function`` calls instead of computing the answer, or None."""
    forbidden = tuple(forbidden)

    def library(obj) -> str | None:
        module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
        if isinstance(module, str):
            top = module.split(".")[0]
            if top in forbidden:
                return top
        return None

    for name, obj in _referenced_objects(function, skip=frozenset(skip)):
        found = library(obj)
        if found:
            return f"{found} (through {name!r})"
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    for module in forbidden:
        if f"import {module}" in source or f"from {module}" in source:
            return module
    return None


@contextlib.contextmanager
def _substituted(function: Callable, substitutes: dict[str, Callable]):
    """Temporarily rebind names in the function's globals (the notebook's namespace)."""
    namespace = getattr(function, "__globals__", {})
    saved = {name: namespace[name] for name in substitutes if name in namespace}
    namespace.update(substitutes)
    try:
        yield
    finally:
        for name in substitutes:
            if name in saved:
                namespace[name] = saved[name]
            else:
                namespace.pop(name, None)


def check_function(student: Callable, reference: Callable, cases: Iterable[Sequence], *, name: str,
                   mistakes: Sequence[Mistake] = (), rtol: float = 1e-6, atol: float = 1e-9,
                   forbidden: Iterable[str] = FORBIDDEN_MODULES,
                   substitutes: dict[str, Callable] | None = None) -> None:
    """Raise :class:`CheckFailed` unless ``student(*args)`` matches ``reference(*args)`` for every case.

    Each function gets its own deep copy of the arguments, so an answer that changes its
    inputs in place cannot change what the reference sees. ``substitutes`` maps the names
    of the student's answers to earlier parts (``{"sigmoid": nnlib's sigmoid}``) to correct
    versions, used while this part is checked: every part is graded on its own, so a
    mistake costs only the part where it is made.
    """
    if not callable(student):
        raise CheckFailed(f"{name} is not a function: define it in the answer cell above")
    substitutes = substitutes or {}
    library = forbidden_library(student, forbidden, skip=substitutes)
    if library:
        raise CheckFailed(
            f"{name} calls {library} instead of computing the answer: write it with NumPy only"
        )
    for args in cases:
        args = tuple(args)
        expected = reference(*_copy_args(args))
        try:
            with _substituted(student, substitutes):
                got = run_quietly(student, _copy_args(args))
        except NotImplementedError:
            raise CheckFailed(f"{name} is not implemented yet") from None
        except Exception as error:  # the student's bug, reported with its inputs
            raise CheckFailed(
                f"{name}{_describe(args)} raised {type(error).__name__}: {error}"
            ) from None
        why = difference(got, expected, rtol, atol)
        if why is None:
            continue
        for mistake in mistakes:
            try:  # a wrong formula may overflow or fail on these inputs: then it is not this one
                wrong = run_quietly(mistake.function, _copy_args(args))
            except Exception:
                continue
            if matches(got, wrong, rtol, atol):
                hint = f" {mistake.hint}" if mistake.hint else ""
                raise CheckFailed(f"{name}{_describe(args)}: it looks like {mistake.name}.{hint}")
        raise CheckFailed(f"{name}{_describe(args)}: {why}")
