"""Calling a student's function in their kernel from the trusted grader, with plain data both ways.

The grader never runs test code in the student's kernel and the kernel never sees a test, a
seed or a reference. For each call, :class:`KernelChannel` sends the kernel one fixed piece of
code, :data:`KERNEL_SOURCE` (it holds no secret), over an execute request that allows stdin;
the conversation then goes through Jupyter's ``input_request``/``input_reply`` messages:

    kernel: "nbcourse:request"           grader: {"function", "args", "driver", "substitutes"}
    kernel: "nbcourse:substitute:{...}"  grader: the reference's value for those inputs (see below)
    kernel: "nbcourse:result:{...}"      grader: "" (and it decodes the result as untrusted data)

``substitutes`` are the names of the student's answers to *other* parts that this part's
function calls (``sigmoid`` inside ``sigmoid_derivative``): during the call they are bound,
in the student's namespace, to stubs that ask the grader, which answers with the reference's
value. So every part is graded on its own, and no reference code enters the kernel; a stub
kept for later is refused, since the grader answers only for the call in flight.

A ``driver`` is a short piece of kernel-side code, also free of secrets, for calls that are
not ``function(*args)``: build the student's Keras model, train it, return its predictions.
"""

from __future__ import annotations

import json
import queue
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nbcourse import protocol

# Runs in the student's kernel (NumPy only). Results are encoded with the same tags as
# nbcourse.protocol; the grader decodes them with protocol.loads, trusting nothing.
KERNEL_SOURCE = r'''
import base64 as _b64, builtins as _builtins, copy as _copy, io as _io, json as _json, types as _types
import warnings as _warnings
import numpy as _np

def _npy(a):
    buffer = _io.BytesIO()
    _np.save(buffer, a, allow_pickle=False)
    return _b64.b64encode(buffer.getvalue()).decode("ascii")

def _encode(v, depth=0):
    if depth > 30:
        raise TypeError("the value is nested too deeply")
    if isinstance(v, _np.generic):
        if _np.asarray(v).dtype.kind not in "biufcU":
            raise TypeError(f"a {type(v).__name__}, which is not numeric data")
        return {"$scalar": _npy(_np.asarray(v))}
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else {"$float": repr(float(v))}
    if isinstance(v, _np.ndarray):
        if v.dtype.kind not in "biufcU":
            raise TypeError(f"an array of dtype {v.dtype}, which is not numeric data")
        return {"$array": _npy(v)}
    if type(v) is tuple:
        return {"$tuple": [_encode(x, depth + 1) for x in v]}
    if type(v) is list:
        return {"$list": [_encode(x, depth + 1) for x in v]}
    if type(v) is dict and all(isinstance(k, str) for k in v):
        return {"$dict": [[k, _encode(x, depth + 1)] for k, x in v.items()]}
    raise TypeError(f"a {type(v).__name__}, which is not data (return numbers, arrays, or tuples and lists of them)")

def _constant(value):
    return lambda: _copy.deepcopy(value)

def _decode(d):
    if not isinstance(d, dict):
        return d
    (tag, body), = d.items()
    if tag in ("$array", "$scalar"):
        a = _np.load(_io.BytesIO(_b64.b64decode(body)), allow_pickle=False)
        return a[()] if tag == "$scalar" else a
    if tag == "$float":
        return float(body)
    if tag == "$list":
        return [_decode(x) for x in body]
    if tag == "$tuple":
        return tuple(_decode(x) for x in body)
    if tag == "$dict":
        return {k: _decode(x) for k, x in body}
    if tag == "$rng":
        generator = _np.random.Generator(getattr(_np.random, body["bit_generator"])())
        generator.bit_generator.state = body
        return generator
    if tag == "$namespace":
        return _types.SimpleNamespace(**{k: _decode(x) for k, x in body.items()})
    if tag == "$constant":
        return _constant(_decode(body))
    raise ValueError(tag)

def _run(user_ns):
    ask = _builtins.input
    request = _json.loads(ask("nbcourse:request"))

    def stub(name):
        def call(*args, **kwargs):
            reply = _json.loads(ask("nbcourse:substitute:" + _json.dumps(
                {"name": name, "args": _encode(args), "kwargs": _encode(kwargs)})))
            if "error" in reply:
                raise RuntimeError(reply["error"])
            return _decode(reply["value"])
        call.__name__ = name
        return call

    saved = {name: user_ns[name] for name in request["substitutes"] if name in user_ns}
    for name in request["substitutes"]:
        user_ns[name] = stub(name)
    try:
        with _warnings.catch_warnings(), _np.errstate(all="ignore"):
            _warnings.simplefilter("ignore")
            args = _decode(request["args"])
            if request["driver"] is not None:
                scope = {"student": user_ns, "np": _np, **args}
                exec(compile(request["driver"], "<grader>", "exec"), scope)
                value = scope.get("result")
            else:
                function = user_ns.get(request["function"])
                if function is None:
                    raise NameError(f"{request['function']} is not defined: its answer cell is missing or stopped "
                                    "with an error before defining it (see the error under that cell)")
                if not callable(function):
                    raise TypeError(f"{request['function']} is a {type(function).__name__}, not a function")
                value = function(*args)
        try:
            outcome = {"value": _encode(value)}
        except TypeError as error:
            outcome = {"not_data": str(error)}
    except BaseException as error:
        outcome = {"raised": type(error).__name__, "message": str(error)[:2000]}
    finally:
        for name in request["substitutes"]:
            if name in saved:
                user_ns[name] = saved[name]
            else:
                user_ns.pop(name, None)
    ask("nbcourse:result:" + _json.dumps(outcome))

_run(user_ns)
'''

CALL_CODE = (f'exec(compile({KERNEL_SOURCE!r}, "<nbcourse>", "exec"), '
             '{"__name__": "nbcourse_harness", "user_ns": globals()})')


class PartTimeout(Exception):
    """The student's code ran past the part's time budget (the kernel was interrupted)."""


class KernelGone(Exception):
    """The kernel died or stopped answering; nothing more can be graded in this notebook."""


@dataclass
class Outcome:
    """What one call gave: a value (plain data), or the exception the student's code raised."""

    value: object = None
    raised: str | None = None      # the exception's type name
    message: str = ""              # its message, or why the value is not data
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.raised is None


class KernelChannel:
    """Calls into one running kernel through a blocking client of its own."""

    def __init__(self, client, interrupt: Callable[[], None], is_alive: Callable[[], bool]):
        self.client = client
        self.interrupt = interrupt
        self.is_alive = is_alive

    def call(self, function: str | None, args=(), *, substitutes: dict[str, Callable] | None = None,
             driver: str | None = None, timeout: float = 60.0) -> Outcome:
        """Call ``function(*args)`` (or run ``driver`` with ``args`` as its names) in the kernel."""
        substitutes = substitutes or {}
        request = json.dumps({"function": function, "args": protocol.encode(args), "driver": driver,
                              "substitutes": sorted(substitutes)})
        start = time.monotonic()
        deadline = start + timeout
        msg_id = self.client.execute(CALL_CODE, silent=False, store_history=False, allow_stdin=True)
        outcome: Outcome | None = None
        interrupted = graced = False
        checked = start
        while True:
            now = time.monotonic()
            if now > deadline and outcome is not None and not interrupted and not graced:
                deadline, graced = now + 10, True  # the result is in: let the call end by itself
            elif now > deadline and not interrupted:
                self.interrupt()
                interrupted, deadline = True, now + 10
            elif now > deadline:
                raise KernelGone(f"the kernel did not stop within 10 s of the {timeout:.0f} s time limit")
            message = None
            waiting = outcome is None or interrupted  # once the result is in, the reply is awaited (below)
            try:  # further input requests are still answered: a kernel left waiting would hang the notebook
                message = self.client.get_stdin_msg(timeout=0.05 if waiting else 0)
            except queue.Empty:
                pass
            if message is not None:
                reply, result = "", None
                try:
                    if message["msg_type"] == "input_request" and message["parent_header"]["msg_id"] == msg_id:
                        prompt = str(message["content"].get("prompt", ""))
                        reply, result = self._answer(prompt, request, substitutes, interrupted)
                except Exception as error:  # anything malformed from the kernel: its own wrong answer
                    result = Outcome(raised="NotData", message=f"the kernel sent a malformed message ({error!r:.200})")
                if result is not None and outcome is None and not interrupted:
                    outcome = result  # the first result counts; the kernel cannot change it afterwards
                self.client.input(reply)
            if self._replied(msg_id, wait=0.05 if outcome is not None and not interrupted else 0):
                break
            if now - checked > 0.5:
                checked = now
                if not self.is_alive():
                    raise KernelGone("the kernel died (the code exited Python, crashed, or used too much memory)")
        self._drain_iopub()  # what the call printed is not part of the verdict
        if interrupted:
            raise PartTimeout(f"it ran longer than the time limit of {timeout:.0f} s (an endless loop?)")
        if outcome is None:
            return Outcome(raised="Error", message="the kernel returned no result (was input() replaced?)",
                           seconds=time.monotonic() - start)
        outcome.seconds = time.monotonic() - start
        return outcome

    def _drain_iopub(self) -> None:
        while True:
            try:
                self.client.get_iopub_msg(timeout=0)
            except queue.Empty:
                return

    def _replied(self, msg_id: str, wait: float = 0) -> bool:
        while True:
            try:
                reply = self.client.get_shell_msg(timeout=wait)
            except queue.Empty:
                return False
            wait = 0
            header = reply.get("parent_header")
            if isinstance(header, dict) and header.get("msg_id") == msg_id:
                return True

    @staticmethod
    def _answer(prompt: str, request: str, substitutes: dict[str, Callable],
                interrupted: bool) -> tuple[str, Outcome | None]:
        if interrupted:
            return json.dumps({"error": "time is up"}), None
        if prompt == "nbcourse:request":
            return request, None
        if prompt.startswith("nbcourse:substitute:"):
            return _substitute(prompt.removeprefix("nbcourse:substitute:"), substitutes), None
        if prompt.startswith("nbcourse:result:"):
            try:
                sent = protocol.message(prompt.removeprefix("nbcourse:result:"))
                if "value" in sent:
                    return "", Outcome(value=protocol.decode(sent["value"]))
            except protocol.NotData as error:
                return "", Outcome(raised="NotData", message=f"it returned something that is not data: {error}")
            if "not_data" in sent:
                return "", Outcome(raised="NotData", message=f"it returned {str(sent['not_data'])[:500]}")
            return "", Outcome(raised=str(sent.get("raised", "Error"))[:100],
                               message=str(sent.get("message", ""))[:2000])
        return "", None  # the student's own input(): an empty line


def _substitute(text: str, substitutes: dict[str, Callable]) -> str:
    """The reference's value for a stub's call, or an error the stub raises in the kernel."""
    try:
        asked = protocol.message(text)
        name, args, kwargs = asked["name"], protocol.decode(asked["args"]), protocol.decode(asked["kwargs"])
        if name not in substitutes:
            return json.dumps({"error": f"{name} is not available now"})
        if kwargs or not isinstance(args, tuple):
            return json.dumps({"error": f"{name} takes its arguments by position here"})
        with warnings.catch_warnings(), np.errstate(all="ignore"):  # nothing of the reference's on stderr
            warnings.simplefilter("ignore")
            value = substitutes[name](*args, **kwargs)
        return json.dumps({"value": protocol.encode(value)})
    except Exception as error:  # bad inputs to the reference: the student's call was wrong
        return json.dumps({"error": f"{type(error).__name__}: {error}"})
