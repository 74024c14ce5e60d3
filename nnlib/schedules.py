"""Learning-rate schedules: the learning rate as a function of the step, with Keras's names.

A schedule is called with the optimizer's step count and returns the rate for that step::

    schedule = schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.5)
    schedule(0), schedule(1000), schedule(2000)        # 0.1, 0.05, 0.025
    optimizer = optimizers.SGD(learning_rate=schedule)  # step t uses schedule(t)

The step t counts from 0, as Keras's ``optimizer.iterations``: the first update uses
``schedule(0)``. Each schedule returns a Python float, so a float32 model stays float32.

==========================  ===================================================================
schedule                    rate at step t
==========================  ===================================================================
ExponentialDecay            lr0 * rate^(t / T)          (staircase: rate^floor(t / T))
PiecewiseConstantDecay      values[i] for boundaries[i-1] < t <= boundaries[i]
CosineDecay                 lr0 ((1 - alpha) (1 + cos(pi min(t, T) / T)) / 2 + alpha),
                            after an optional linear warm-up
==========================  ===================================================================

(lr0 = ``initial_learning_rate``, T = ``decay_steps``; each class's docstring has the details.)

The formulas are Keras 3's (``keras.optimizers.schedules``). ``get_config()`` gives a schedule's
arguments as a dict, and ``serialize`` / ``deserialize`` turn a schedule into
``{"class_name": ..., "config": ...}`` and back, as optimizers store it in their own config.
"""

from __future__ import annotations

import bisect
import itertools
import math

import numpy as np

from nnlib._checks import class_and_config, unknown_name


def _number(name: str, value, low: float, low_open: bool = False, high: float = math.inf) -> float | int:
    """``value`` (an int stays an int), or a ValueError naming the argument and its allowed range."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value > low if low_open else value >= low) and value <= high
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}]"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return int(value) if isinstance(value, (int, np.integer)) else float(value)


def _rate(name: str, value) -> float:
    """A learning rate: a finite float >= 0 (0 is allowed, e.g. to warm up from)."""
    return float(_number(name, value, 0.0))


def _step(step) -> int | float:
    """The step as a Python number (a NumPy one would make the rate a NumPy scalar)."""
    if isinstance(step, bool) or not isinstance(step, (int, float, np.integer, np.floating)) or not step >= 0:
        raise ValueError(f"step must be a number >= 0 (the optimizer's iterations), got {step!r}")
    return int(step) if isinstance(step, (int, np.integer)) else float(step)


class LearningRateSchedule:
    """The base class: ``schedule(step)`` is the learning rate (a float) at that step.

    A subclass defines ``__call__(step)`` and ``get_config()`` (its constructor's arguments,
    so that ``type(s)(**s.get_config())`` is the same schedule).
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must define __call__(self, step)")

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must define get_config(self)")

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        return cls(**config)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(type(self).__name__)  # pragma: no mutate (any hash consistent with __eq__ will do)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class ExponentialDecay(LearningRateSchedule):
    """The rate shrinks by the factor ``decay_rate`` every ``decay_steps`` steps.

        lr(t) = lr0 * decay_rate^(t / decay_steps)

    With ``staircase=True`` the exponent is floor(t / decay_steps): the rate is constant for
    ``decay_steps`` steps, then drops by ``decay_rate`` at once.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False):
        self.initial_learning_rate = _rate("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _number("decay_steps", decay_steps, 0.0, low_open=True)
        self.decay_rate = float(_number("decay_rate", decay_rate, 0.0, low_open=True))
        if not isinstance(staircase, (bool, np.bool_)):
            raise ValueError(f"staircase must be True or False, got {staircase!r}")
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate**p

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate on each interval of steps, the intervals ending at ``boundaries``.

        lr(t) = values[0]   for            t <= boundaries[0]
                values[i]   for boundaries[i-1] < t <= boundaries[i]
                values[-1]  for boundaries[-1] < t

    so ``PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])`` uses 0.1 for steps 0..100,
    0.01 for steps 101..200 and 0.001 after (as Keras: a boundary step still has the earlier value).
    """

    def __init__(self, boundaries: list[int], values: list[float]):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) < 1 or len(values) != len(boundaries) + 1:
            raise ValueError(
                f"values must be one longer than boundaries (one rate for each interval), got "
                f"{len(boundaries)} boundaries and {len(values)} values"
            )
        for index, boundary in enumerate(boundaries):
            if isinstance(boundary, bool) or not isinstance(boundary, (int, np.integer)) or boundary < 0:
                raise ValueError(f"boundaries must be integer steps >= 0, got boundaries[{index}] = {boundary!r}")
        if any(b >= c for b, c in itertools.pairwise(boundaries)):
            raise ValueError(f"boundaries must be strictly increasing, got {boundaries}")
        self.boundaries = [int(b) for b in boundaries]
        self.values = [_rate(f"values[{i}]", v) for i, v in enumerate(values)]

    def __call__(self, step: int) -> float:
        # bisect_left counts the boundaries strictly below the step: the index of its interval.
        return self.values[bisect.bisect_left(self.boundaries, _step(step))]

    def get_config(self) -> dict:
        return {"boundaries": list(self.boundaries), "values": list(self.values)}


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the peak rate down to ``alpha`` times it, after an optional warm-up.

    Without warm-up (``warmup_target=None``) the peak is lr0 = ``initial_learning_rate``:

        s     = min(t, decay_steps)
        lr(t) = lr0 ((1 - alpha) (1 + cos(pi s / decay_steps)) / 2 + alpha)

    With warm-up the rate first climbs in a straight line from lr0 to ``warmup_target``
    over W = ``warmup_steps`` steps, then decays from ``warmup_target``:

        lr(t) = lr0 + (warmup_target - lr0) t / W                              for t < W
        s     = min(t - W, decay_steps)
        lr(t) = warmup_target ((1 - alpha) (1 + cos(pi s / decay_steps)) / 2 + alpha)   after

    After ``decay_steps`` (plus W) steps the rate stays at alpha times the peak.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 warmup_target: float | None = None, warmup_steps: int = 0):
        self.initial_learning_rate = _rate("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _number("decay_steps", decay_steps, 0.0, low_open=True)
        self.alpha = float(_number("alpha", alpha, 0.0, high=1.0))
        if warmup_target is not None:
            warmup_target = _rate("warmup_target", warmup_target)
        self.warmup_target = warmup_target
        self.warmup_steps = _number("warmup_steps", warmup_steps, 0.0)
        if warmup_target is None and self.warmup_steps:
            raise ValueError(
                f"warmup_steps={warmup_steps} needs a warmup_target (the rate to warm up to); "
                "without one there is no warm-up"
            )

    def __call__(self, step: int) -> float:
        t = _step(step)
        if self.warmup_target is None:
            return self._decay(min(t, self.decay_steps), self.initial_learning_rate)
        W = self.warmup_steps
        t = min(t, self.decay_steps + W)
        if t < W:
            return (self.warmup_target - self.initial_learning_rate) * (t / W) + self.initial_learning_rate
        return self._decay(t - W, self.warmup_target)

    def _decay(self, s: float, peak: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * (s / self.decay_steps)))
        return peak * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay)
}


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{"class_name": "CosineDecay", "config": {...}}``: JSON-able, and ``deserialize`` reverses it."""
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"expected a LearningRateSchedule, got {schedule!r}")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict) -> LearningRateSchedule:
    """The schedule described by ``serialize``'s dict."""
    name, arguments = class_and_config(config)
    if name not in SCHEDULES:
        raise unknown_name("schedule", name, SCHEDULES)
    return SCHEDULES[name].from_config(arguments)
