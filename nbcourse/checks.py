"""What hidden tests are made of: graded parts, a student's functions as the grader sees them,
and comparison with a reference that names known mistakes.

The hidden tests of an assignment are a module, ``hidden_tests/<assignment>.py``, that runs
in the trusted grader, never in the student's kernel. It lists its graded parts::

    PARTS = [Part("updates_test", check_updates), ...]      # the test cell's grade_id, its check

and each check receives a :class:`Student` (the student's kernel, reached through plain data
only, see nbcourse/harness.py) and a ``numpy.random.Generator`` seeded from the course secret,
the student and the assignment: it draws its cases from it, beside fixed edge cases.

:func:`check_function` compares ``student.function(name)`` with nnlib's reference on those
cases. When the student's output differs from the reference but equals what a known
mistake produces (:class:`Mistake`), the failure message names that mistake and the chapter
section that explains it, instead of only printing two arrays.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from nbcourse.harness import KernelChannel, Outcome


class CheckFailed(AssertionError):
    """A hidden test failed; the message is written for the student. ``mistake`` names the known
    mistake it matched, if any: the grader keeps it in the graded cell's metadata for the report."""

    def __init__(self, message: str = "", mistake: str | None = None):
        super().__init__(message)
        self.mistake = mistake


class StudentError(Exception):
    """The student's code raised, or returned something that is not data."""

    def __init__(self, outcome: Outcome):
        super().__init__(f"{outcome.raised}: {outcome.message}")
        self.outcome = outcome

    def describe(self, call: str) -> str:
        if self.outcome.raised == "NotImplementedError":
            return f"{call.split('(')[0]} is not implemented yet"
        if self.outcome.raised == "NotData":
            return f"{call}: {self.outcome.message}"
        return f"{call} raised {self.outcome.raised}: {self.outcome.message}"


class Student:
    """The student's kernel as one graded part's check sees it: functions that take and return data.

    Every call shares the part's time budget; nothing of the grader's (references, seeds,
    expected values) goes to the kernel but the inputs of the call.
    """

    def __init__(self, channel: KernelChannel, seconds: float):
        self.channel = channel
        self.budget = seconds
        self.used = 0.0  # seconds the student's code has taken so far (the grader's own work is not counted)

    def _remaining(self) -> float:
        return max(self.budget - self.used, 0.5)

    @property
    def deadline(self) -> float:
        """When the part's time would run out if the student's code ran from now on (time.monotonic())."""
        return time.monotonic() + self._remaining()

    def _call(self, *args, **kwargs) -> Outcome:
        start = time.monotonic()
        try:
            return self.channel.call(*args, timeout=self._remaining(), **kwargs)
        finally:
            self.used += time.monotonic() - start

    def function(self, name: str, substitutes: dict[str, Callable] | None = None) -> Callable:
        """``name`` in the student's notebook, as a function of plain data: it returns the value or
        raises :class:`StudentError`. ``substitutes`` maps names of the student's answers to other
        parts to references, served by the grader while this function runs (nbcourse/harness.py)."""

        def call(*args):
            outcome = self._call(name, args, substitutes=substitutes)
            if not outcome.ok:
                raise StudentError(outcome)
            return outcome.value

        call.__name__ = name
        return call

    def run(self, driver: str, substitutes: dict[str, Callable] | None = None, **names) -> tuple[object, float]:
        """Run kernel-side ``driver`` code (it sees ``student``, the notebook's names, ``np``, and
        ``names``; it sets ``result``); return (result, seconds) or raise :class:`StudentError`.
        ``substitutes`` as for :meth:`function`."""
        outcome = self._call(None, names, driver=driver, substitutes=substitutes)
        if not outcome.ok:
            raise StudentError(outcome)
        return outcome.value, outcome.seconds


@dataclass(frozen=True)
class Part:
    """One graded part: the grade_id of its test cell, and its check ``check(student, rng)``, which
    raises :class:`CheckFailed` (or returns a line to show when it passes). ``seconds`` is the time
    the student's code may take in all for this part (default: NNCOURSE_TIMEOUT)."""

    grade_id: str
    check: Callable[[Student, np.random.Generator], str | None]
    seconds: float | None = None


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong answer: ``function`` computes what the mistake would return."""

    name: str
    function: Callable
    hint: str = ""


def _describe(value, limit: int = 6) -> str:
    if isinstance(value, np.random.Generator):
        return "a numpy Generator"
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
    if np.iscomplexobj(got):
        return "expected real numbers, got complex ones"
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError, OverflowError, MemoryError):
        return f"expected a number or an array, got {_describe(got)[:100]}"
    expected_array = np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return f"expected shape {expected_array.shape}, got shape {got_array.shape}"
    if not np.all(np.isfinite(got_array)) and np.all(np.isfinite(expected_array)):
        return f"got non-finite values (nan or inf): {_describe(got_array)}; expected {_describe(expected_array)}"
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol):
        with np.errstate(all="ignore"):
            gaps = np.abs(got_array - expected_array)
            largest = float(np.nanmax(gaps)) if got_array.size else 0.0
        where = ""
        if got_array.size > 6:  # the arrays are not shown: show where they differ most
            index = np.unravel_index(int(np.nanargmax(np.where(np.isnan(gaps), np.inf, gaps))), got_array.shape)
            spot = ", ".join(str(int(i)) for i in index)
            where = f"; at [{spot}] expected {expected_array[index]:.6g}, got {got_array[index]:.6g}"
        return (f"expected {_describe(expected_array)}, got {_describe(got_array)} "
                f"(largest difference {largest:.3g}{where})")
    return None


def matches(got, expected, rtol: float, atol: float) -> bool:
    """Does ``got`` equal what a mistake produces? NaN matches NaN here: an unstable formula's
    NaNs are exactly how that mistake shows."""
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(matches(g, e, rtol, atol) for g, e in zip(got, expected, strict=True)))
    try:
        got_array, expected_array = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError, OverflowError, MemoryError):
        return False
    return got_array.shape == expected_array.shape and bool(
        np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True))


def check_function(student: Callable, reference: Callable, cases: Iterable[Sequence], *, name: str,
                   mistakes: Sequence[Mistake] = (), rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Raise :class:`CheckFailed` unless ``student(*args)`` matches ``reference(*args)`` for every case.

    ``student`` is :meth:`Student.function`'s proxy (or any function of data). The reference
    and the mistakes each get their own deep copy of the arguments, in the grader's process.
    """
    for args in cases:
        args = tuple(args)
        call = f"{name}{_describe(args)}"
        expected = run_quietly(reference, _copy_args(args))
        try:
            got = student(*_copy_args(args))
        except StudentError as error:
            raise CheckFailed(error.describe(call)) from None
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
                raise CheckFailed(f"{call}: it looks like {mistake.name}.{hint}", mistake=mistake.name)
        raise CheckFailed(f"{call}: {why}")
