"""The narrow channel between the trusted grader and a student's kernel: plain data only.

Both directions carry JSON text. Inside it, a value is JSON's own (None, bool, int, float,
str) or one of these tagged forms:

    {"$list": [...]}   {"$tuple": [...]}   {"$dict": [[key, value], ...]}   (str keys)
    {"$array": "<base64 .npy>"}    an ndarray, written and read with allow_pickle=False
    {"$scalar": "<base64 .npy>"}   a NumPy scalar (a 0-d array read back as its scalar)
    {"$rng": {...}}                a numpy.random.Generator, by its PCG64 state (grader to kernel only)
    {"$namespace": {name: value}}  an object with these attributes (grader to kernel only)
    {"$constant": value}           a function of no arguments returning a fresh copy of value (idem)

:func:`decode` is what the grader applies to what a kernel sends: it builds nothing but the
values above (no pickle, no classes, no code), checks the array dtypes, the nesting depth
and the size, and raises :class:`NotData` with a message for the student otherwise. The
kernel's side of the same format is :data:`nbcourse.harness.KERNEL_SOURCE`, a copy written
without this module, since nothing of the course is importable in the kernel.
"""

from __future__ import annotations

import base64
import io
import json
import math
import types

import numpy as np

MAX_MESSAGE = 64 * 2**20    # characters of JSON the grader reads from a kernel
MAX_DEPTH = 32
DATA_KINDS = "biufcU"       # bool, int, uint, float, complex, str: never object arrays
MAX_ELEMENTS = 50_000_000   # elements of one array


class NotData(ValueError):
    """What the kernel sent is not plain data (or not well-formed); the message is for the student."""


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except Exception as error:  # a malformed .npy, or one that asks for pickle
        raise NotData(f"an array could not be read ({type(error).__name__})") from None
    if array.dtype.kind not in DATA_KINDS or array.dtype.itemsize == 0:
        raise NotData(f"an array of dtype {array.dtype} is not numeric data")
    if array.size > MAX_ELEMENTS:
        raise NotData(f"an array of {array.size:,} elements is larger than any answer ({MAX_ELEMENTS:,} at most)")
    return array


def encode(value, depth: int = 0):
    """``value`` as JSON-ready data in the tagged format above (used by the grader for inputs)."""
    if depth > MAX_DEPTH:
        raise TypeError("data nested too deeply")
    if isinstance(value, np.generic):  # before float: np.float64 is a float, and repr(np.float64(nan)) is no float
        return {"$scalar": _npy(np.asarray(value))}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, np.ndarray):
        return {"$array": _npy(value)}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return {"$list": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"$dict": [[str(k), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, np.random.Generator):
        return {"$rng": value.bit_generator.state}
    if isinstance(value, Constant):
        return {"$constant": encode(value.value, depth + 1)}
    if isinstance(value, types.SimpleNamespace):
        return {"$namespace": {k: encode(v, depth + 1) for k, v in vars(value).items()}}
    raise TypeError(f"{type(value).__name__} cannot be sent to a kernel")


class Constant:
    """A function of no arguments that returns ``value`` (a copy each call): ``model.get_weights``."""

    def __init__(self, value):
        self.value = value

    def __call__(self):
        import copy

        return copy.deepcopy(self.value)


def dumps(value) -> str:
    return json.dumps(encode(value))


def decode(data, depth: int = 0):
    """The plain value that tagged JSON data stands for; :class:`NotData` for anything else."""
    if depth > MAX_DEPTH:
        raise NotData("the value is nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, dict) and len(data) == 1:
        (tag, body), = data.items()
        if tag == "$array" and isinstance(body, str):
            return _from_npy(body)
        if tag == "$scalar" and isinstance(body, str):
            array = _from_npy(body)
            if array.shape != ():
                raise NotData("a scalar was not 0-dimensional")
            return array[()]
        if tag == "$float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag in ("$list", "$tuple") and isinstance(body, list):
            items = [decode(v, depth + 1) for v in body]
            return items if tag == "$list" else tuple(items)
        if tag == "$dict" and isinstance(body, list):
            if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in body):
                raise NotData("a dict must have string keys")
            return {k: decode(v, depth + 1) for k, v in body}
    raise NotData(f"unexpected data: {str(data)[:80]}")


def message(text: str) -> dict:
    """A kernel's message: a JSON object whose fields are then read with :func:`decode`."""
    if not isinstance(text, str) or len(text) > MAX_MESSAGE:
        raise NotData(f"the reply is larger than {MAX_MESSAGE // 2**20} MiB")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise NotData("the reply is not valid JSON (or nested too deeply)") from None
    if not isinstance(data, dict):
        raise NotData("the reply is not a JSON object")
    return data
