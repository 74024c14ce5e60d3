"""nnlib.schedules: each schedule's value at chosen steps, against numbers worked out by hand
or by the formula written out independently here (NumPy, vectorised over the steps)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nnlib import schedules


def values(schedule, steps) -> np.ndarray:
    return np.array([schedule(int(t)) for t in steps])


STEPS = np.arange(0, 60)


# ---- ExponentialDecay -----------------------------------------------------------------------------

def test_exponential_decay_by_hand():
    """Halving every 10 steps: 0.1 at 0, 0.05 at 10, 0.025 at 20, and 0.1 / sqrt(2) half-way."""
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert schedule(0) == 0.1
    assert schedule(10) == pytest.approx(0.05, rel=1e-15)
    assert schedule(20) == pytest.approx(0.025, rel=1e-15)
    assert schedule(5) == pytest.approx(0.1 / math.sqrt(2), rel=1e-15)


def test_exponential_decay_formula():
    schedule = schedules.ExponentialDecay(0.3, decay_steps=7, decay_rate=0.8)
    np.testing.assert_allclose(values(schedule, STEPS), 0.3 * 0.8 ** (STEPS / 7), rtol=1e-14)


def test_exponential_decay_staircase_holds_then_drops():
    """staircase: 0.1 for steps 0..9, 0.05 for 10..19, ...: the exponent is floor(t / 10)."""
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [schedule(t) for t in (0, 9, 10, 19, 20, 35)] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]
    np.testing.assert_allclose(values(schedule, STEPS), 0.1 * 0.5 ** (STEPS // 10), rtol=1e-15)


def test_decay_rate_above_one_grows():
    """Keras allows a rate above 1 (a growing learning rate), and so does nnlib."""
    assert schedules.ExponentialDecay(1.0, 1, 2.0)(3) == 8.0


# ---- PiecewiseConstantDecay -----------------------------------------------------------------------

def test_piecewise_constant_by_hand():
    """A boundary step still has the earlier value (as Keras: t <= boundary)."""
    schedule = schedules.PiecewiseConstantDecay([3, 7], [1.0, 0.5, 0.1])
    assert [schedule(t) for t in range(10)] == [1.0] * 4 + [0.5] * 4 + [0.1] * 2
    assert schedule(10**9) == 0.1


def test_piecewise_constant_formula():
    boundaries, rates = [2, 10, 11, 40], [0.4, 0.3, 0.2, 0.1, 0.05]
    schedule = schedules.PiecewiseConstantDecay(boundaries, rates)
    expected = np.array(rates)[np.searchsorted(boundaries, STEPS, side="left")]
    np.testing.assert_array_equal(values(schedule, STEPS), expected)


def test_piecewise_constant_one_boundary():
    schedule = schedules.PiecewiseConstantDecay([0], [1.0, 2.0])
    assert (schedule(0), schedule(1)) == (1.0, 2.0)


# ---- CosineDecay ----------------------------------------------------------------------------------

def cosine_reference(t, lr0, decay_steps, alpha=0.0, target=None, warmup=0):
    """The Keras CosineDecay formula, written from its documentation, vectorised over t."""
    t = np.asarray(t, dtype=float)
    peak = lr0 if target is None else target
    s = np.clip(t - warmup, 0, decay_steps)
    decayed = peak * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * s / decay_steps)) + alpha)
    if target is None:
        return decayed
    return np.where(t < warmup, lr0 + (target - lr0) * t / max(warmup, 1), decayed)


def test_cosine_decay_by_hand():
    """From 1.0 to alpha = 0.1 over 10 steps: 0.55 half-way (cos = 0), 0.1 at the end and after."""
    schedule = schedules.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert schedule(0) == 1.0
    assert schedule(5) == pytest.approx(0.55, rel=1e-15)
    assert schedule(10) == pytest.approx(0.1, rel=1e-15)
    assert schedule(1000) == pytest.approx(0.1, rel=1e-15)


def test_cosine_decay_with_warmup_by_hand():
    """Warm up from 0 to 1 over 4 steps (0, 1/4, 1/2, 3/4), then a cosine from 1 to 0 over 10."""
    schedule = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert [schedule(t) for t in range(5)] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert schedule(9) == pytest.approx(0.5, rel=1e-15)
    assert schedule(14) == pytest.approx(0.0, abs=1e-16)
    assert schedule(100) == pytest.approx(0.0, abs=1e-16)


@pytest.mark.parametrize(("lr0", "decay_steps", "alpha", "target", "warmup"), [
    (0.2, 25, 0.0, None, 0),
    (0.2, 25, 0.3, None, 0),
    (0.01, 30, 0.1, 0.5, 12),
    (0.5, 8, 0.0, 0.1, 5),  # a "warm-up" downwards is allowed, as in Keras
    (0.3, 20, 0.2, 0.6, 0),  # a target without warm-up steps: the decay starts from the target
])
def test_cosine_decay_formula(lr0, decay_steps, alpha, target, warmup):
    schedule = schedules.CosineDecay(lr0, decay_steps, alpha=alpha, warmup_target=target, warmup_steps=warmup)
    np.testing.assert_allclose(values(schedule, STEPS), cosine_reference(STEPS, lr0, decay_steps, alpha, target,
                                                                         warmup), rtol=1e-13, atol=1e-16)


# ---- shared behaviour -----------------------------------------------------------------------------

SCHEDULES = {
    "exponential": lambda: schedules.ExponentialDecay(0.1, 100, 0.96, staircase=True),
    "piecewise": lambda: schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    "cosine": lambda: schedules.CosineDecay(0.0, 50, alpha=0.05, warmup_target=0.1, warmup_steps=5),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_values_are_python_floats(name):
    """A Python float, so that ``lr * array`` keeps a float32 array float32."""
    schedule = SCHEDULES[name]()
    assert all(type(schedule(t)) is float for t in (0, 1, 7, 10**6, np.int64(3), np.float32(4.0)))
    assert schedule(np.int64(3)) == schedule(3)
    assert (schedule(3) * np.ones(2, np.float32)).dtype == np.float32


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_config_round_trip(name):
    """serialize gives JSON-able {"class_name", "config"}; deserialize gives an equal schedule."""
    schedule = SCHEDULES[name]()
    data = json.loads(json.dumps(schedules.serialize(schedule)))
    assert data["class_name"] == type(schedule).__name__
    again = schedules.deserialize(data)
    assert type(again) is type(schedule) and again == schedule and again is not schedule
    assert [again(t) for t in range(60)] == [schedule(t) for t in range(60)]
    assert type(schedule).from_config(schedule.get_config()) == schedule


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_negative_step_raises(name):
    with pytest.raises(ValueError, match="step must be"):
        SCHEDULES[name]()(-1)


def test_repr_shows_the_arguments():
    assert repr(schedules.ExponentialDecay(0.1, 10, 0.5)) == (
        "ExponentialDecay(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=False)")


def test_deserialize_unknown_class_lists_the_known_ones():
    with pytest.raises(ValueError, match="'Nope'.*CosineDecay, ExponentialDecay, PiecewiseConstantDecay"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="class_name"):
        schedules.deserialize({"config": {}})
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        schedules.serialize(0.1)


def test_the_base_class_must_be_subclassed():
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: schedules.ExponentialDecay(-0.1, 10, 0.5), "initial_learning_rate"),
    (lambda: schedules.ExponentialDecay(float("nan"), 10, 0.5), "initial_learning_rate"),
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: schedules.ExponentialDecay(0.1, -5, 0.5), "decay_steps"),
    (lambda: schedules.ExponentialDecay(0.1, 10, 0.0), "decay_rate"),
    (lambda: schedules.ExponentialDecay(0.1, 10, "0.5"), "decay_rate"),
    (lambda: schedules.ExponentialDecay(0.1, 10, 0.5, staircase="yes"), "staircase"),
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1]), "values must be one longer than boundaries"),
    (lambda: schedules.PiecewiseConstantDecay([], [0.1]), "values must be one longer than boundaries"),
    (lambda: schedules.PiecewiseConstantDecay([10, 5], [0.1, 0.2, 0.3]), "strictly increasing"),
    (lambda: schedules.PiecewiseConstantDecay([10, 10], [0.1, 0.2, 0.3]), "strictly increasing"),
    (lambda: schedules.PiecewiseConstantDecay([2.5], [0.1, 0.2]), r"boundaries\[0\]"),
    (lambda: schedules.PiecewiseConstantDecay([-1], [0.1, 0.2]), r"boundaries\[0\]"),
    (lambda: schedules.PiecewiseConstantDecay([5], [0.1, -0.2]), r"values\[1\]"),
    (lambda: schedules.CosineDecay(0.1, 0), "decay_steps"),
    (lambda: schedules.CosineDecay(0.1, 10, alpha=1.5), "alpha"),
    (lambda: schedules.CosineDecay(0.1, 10, alpha=-0.1), "alpha"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=-1.0, warmup_steps=5), "warmup_target"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=1.0, warmup_steps=-5), "warmup_steps"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_steps=5), "needs a warmup_target"),
])
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_subclass_without_get_config_is_named():
    class Constant(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.1

    with pytest.raises(NotImplementedError, match=r"Constant must define get_config\(self\)"):
        repr(Constant())


def test_errors_name_the_allowed_interval():
    with pytest.raises(ValueError, match=r"^decay_steps must be a finite number in \(0.0, inf\], got 0$"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match=r"^alpha must be a finite number in \[0.0, 1.0\], got 1.5$"):
        schedules.CosineDecay(0.1, 10, alpha=1.5)
    assert schedules.CosineDecay(0.1, 10, alpha=1.0)(5) == pytest.approx(0.1)  # the upper end is allowed


@pytest.mark.parametrize("step", ["3", None, [3]])
def test_a_step_that_is_not_a_number_is_refused(step):
    with pytest.raises(ValueError, match="step must be a number >= 0"):
        schedules.ExponentialDecay(0.1, 10, 0.5)(step)


def test_a_fractional_step_is_not_rounded():
    assert schedules.PiecewiseConstantDecay([2], [1.0, 0.5])(2.5) == 0.5
    assert schedules.ExponentialDecay(1.0, 1, 0.25)(0.5) == 0.5


@pytest.mark.parametrize(("make", "name"), [
    (lambda: schedules.ExponentialDecay(-0.1, 10, 0.5), "initial_learning_rate"),
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: schedules.ExponentialDecay(0.1, 10, 0.0), "decay_rate"),
    (lambda: schedules.CosineDecay(-0.1, 10), "initial_learning_rate"),
    (lambda: schedules.CosineDecay(0.1, 0), "decay_steps"),
    (lambda: schedules.CosineDecay(0.1, 10, alpha=2.0), "alpha"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=-1.0, warmup_steps=5), "warmup_target"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=1.0, warmup_steps=-5), "warmup_steps"),
])
def test_errors_start_with_the_argument_name(make, name):
    with pytest.raises(ValueError, match=f"^{name} must be a finite number in "):
        make()


def test_messages_of_the_base_class_and_of_deserialize():
    with pytest.raises(ValueError, match=r"^warmup_steps=5 needs a warmup_target \(the rate to warm up to\); "
                                         "without one there is no warm-up$"):
        schedules.CosineDecay(0.1, 10, warmup_steps=5)
    with pytest.raises(NotImplementedError, match=r"^LearningRateSchedule must define __call__\(self, step\)$"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(ValueError, match="^unknown schedule 'Nope'; known schedules are: "):
        schedules.deserialize({"class_name": "Nope", "config": {}})


def test_schedules_of_one_class_are_equal_only_with_equal_arguments():
    assert schedules.ExponentialDecay(0.1, 10, 0.5) == schedules.ExponentialDecay(0.1, 10, 0.5)
    assert schedules.ExponentialDecay(0.1, 10, 0.5) != schedules.ExponentialDecay(0.2, 10, 0.5)
    assert schedules.CosineDecay(0.1, 10) != schedules.ExponentialDecay(0.1, 10, 0.5)

