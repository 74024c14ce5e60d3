"""nnlib's learning-rate schedules, weight decay and gradient clipping against Keras 3 on TensorFlow.

Schedules: each one's value at steps 0..99 against ``keras.optimizers.schedules``. Optimizers:
the same starting weights and the same 5 gradients go through an nnlib optimizer and its Keras
namesake (``keras_optimizer.apply`` on ``keras.Variable``s); after every step the weights AND
each state array agree, to 1e-5 in float32 and 1e-10 in float64. Then two small models train
side by side (the twins of tests/keras_helpers.py) with everything at once.

Two Keras habits decide the numbers below (each has its own test at the end):

* A schedule made from Python floats is computed in float32 whatever floatx is: Keras turns
  ``initial_learning_rate`` into a tensor, and a Python float becomes a float32 tensor. In
  float64 the Keras schedules here are therefore given ``np.float64`` hyperparameters.
* Float64 Keras rounds ``weight_decay`` (and momentum, Adam's betas) to float32 on the way in
  (``tf.cast`` of a Python float goes through a float32 tensor), so those are powers of 2 here.
"""

from __future__ import annotations

import keras_helpers as kh
import numpy as np
import pytest
from keras_helpers import assert_close

from nnlib import layers, optimizers, schedules

pytestmark = pytest.mark.keras

STEPS = 5



def f32(value: float) -> float:
    """The float32 nearest to ``value``, as a Python float."""
    return float(np.float32(value))


def number_for(module, dtype: str):
    """How a hyperparameter reaches ``module``: a Python float, except np.float64 for float64 Keras
    schedules (a Python float would make Keras compute the schedule in float32)."""
    if module is schedules or dtype == "float32":
        return float
    return np.float64


def keras_schedules():
    return kh.load().keras.optimizers.schedules


# ---- schedules ------------------------------------------------------------------------------------

# The two libraries share class and argument names: each factory builds either from (module, number).
SCHEDULES = {
    "exponential": lambda s, n: s.ExponentialDecay(n(0.1), 7, n(0.8)),
    "exponential-staircase": lambda s, n: s.ExponentialDecay(n(0.1), 7, n(0.8), staircase=True),
    "piecewise": lambda s, n: s.PiecewiseConstantDecay([10, 25, 60], [n(0.1), n(0.05), n(0.01), n(0.001)]),
    "cosine": lambda s, n: s.CosineDecay(n(0.1), 50),
    "cosine-alpha": lambda s, n: s.CosineDecay(n(0.1), 50, alpha=0.05),
    "cosine-warmup": lambda s, n: s.CosineDecay(n(0.0), 50, alpha=0.1, warmup_target=n(0.2), warmup_steps=20),
    "cosine-warmup-from-nonzero": lambda s, n: s.CosineDecay(n(0.01), 30, warmup_target=n(0.1), warmup_steps=10),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_values(name, dtype, tfk):
    """schedule(t) for t = 0..99 (beyond every decay and warm-up) agrees with Keras's."""
    ours = SCHEDULES[name](schedules, number_for(schedules, dtype))
    theirs = SCHEDULES[name](keras_schedules(), number_for(keras_schedules(), dtype))
    steps = range(100)
    keras_values = [theirs(tfk.tf.constant(t, dtype="int64")) for t in steps]
    assert {v.dtype.name for v in keras_values} == {dtype}
    assert_close([ours(t) for t in steps], [float(v) for v in keras_values], dtype, name)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_configs_use_keras_names(name, tfk):
    """get_config is Keras's, less its "name"; serialize has Keras's class_name."""
    ours = SCHEDULES[name](schedules, float)
    theirs = SCHEDULES[name](keras_schedules(), float)
    keras_config = theirs.get_config()
    keras_config.pop("name")
    assert ours.get_config() == keras_config
    assert schedules.serialize(ours)["class_name"] == keras_schedules().serialize(theirs)["class_name"]


# ---- optimizers, step by step ---------------------------------------------------------------------

def initial_weights(dtype: str) -> list[np.ndarray]:
    """A kernel and a bias of two layers, 4-3-2."""
    rng = np.random.default_rng(11)
    return [rng.normal(size=shape).astype(dtype) for shape in [(4, 3), (3,), (3, 2), (2,)]]


def gradient_sequence(dtype: str) -> list[list[np.ndarray]]:
    """5 steps of gradients of mixed scales, so that each clip below cuts some and not others."""
    rng = np.random.default_rng(12)
    return [[(scale * rng.normal(size=w.shape)).astype(dtype)
             for w, scale in zip(initial_weights(dtype), (0.3, 0.5, 1.5, 2.0), strict=True)]
            for _ in range(STEPS)]


# (nnlib attribute, Keras attribute) of each optimizer's state
STATE = {
    "SGD": [("velocities", "momentums")],
    "RMSprop": [("accumulators", "_velocities")],
    "Adam": [("m", "_momentums"), ("v", "_velocities")],
    "AdamW": [("m", "_momentums"), ("v", "_velocities")],
}

# Built from (module, learning_rate, **options). Momentum, the betas and weight decay (AdamW's too,
# not Keras's default 0.004) are exact in float32: float64 Keras rounds those to float32 (see
# test_float64_keras_rounds_the_weight_decay).
OPTIMIZERS = {
    "momentum": lambda o, lr, **kw: o.SGD(learning_rate=lr, momentum=0.75, **kw),
    "nesterov": lambda o, lr, **kw: o.SGD(learning_rate=lr, momentum=0.5, nesterov=True, **kw),
    "rmsprop": lambda o, lr, **kw: o.RMSprop(learning_rate=lr, rho=0.8, **kw),
    "adam": lambda o, lr, **kw: o.Adam(learning_rate=lr, beta_1=0.75, beta_2=0.9375, **kw),
    "adamw": lambda o, lr, **kw: o.AdamW(learning_rate=lr, beta_1=0.75, beta_2=0.9375, **{"weight_decay": 2**-7, **kw}),
}
LEARNING_RATE = {"momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.01, "adam": 0.02, "adamw": 0.02}
CLIPS = {"clipnorm": 0.75, "global_clipnorm": 4.5, "clipvalue": 0.5}
SCHEDULE = "cosine-warmup-from-nonzero"  # changes the rate at every one of the 5 steps (warm-up)
# option -> (options for the optimizer, whether the learning rate is SCHEDULE)
OPTIONS = {
    "weight_decay": ({"weight_decay": 0.125}, False),
    "clipnorm": ({"clipnorm": CLIPS["clipnorm"]}, False),
    "global_clipnorm": ({"global_clipnorm": CLIPS["global_clipnorm"]}, False),
    "clipvalue": ({"clipvalue": CLIPS["clipvalue"]}, False),
    "schedule": ({}, True),
    "decay-and-global-clipnorm": ({"weight_decay": 0.125, "global_clipnorm": CLIPS["global_clipnorm"]}, False),
    "all": ({"weight_decay": 0.25, "clipnorm": CLIPS["clipnorm"]}, True),
}


def make_both(optimizer: str, option: str, dtype: str):
    """The nnlib optimizer and its Keras namesake (make it inside ``kh.floatx(dtype)``)."""
    options, scheduled = OPTIONS[option]
    keras = kh.load().keras
    made = []
    for module, schedule_module in ((optimizers, schedules), (keras.optimizers, keras.optimizers.schedules)):
        lr = LEARNING_RATE[optimizer]
        if scheduled:
            lr = SCHEDULES[SCHEDULE](schedule_module, number_for(schedule_module, dtype))
        made.append(OPTIMIZERS[optimizer](module, lr, **options))
    return made


def test_the_clips_cut_some_gradients_and_not_others():
    grads_seq = gradient_sequence("float64")
    norms = [np.linalg.norm(g) for grads in grads_seq for g in grads]
    global_norms = [np.sqrt(sum(np.sum(g * g) for g in grads)) for grads in grads_seq]
    entries = np.abs(np.concatenate([g.ravel() for grads in grads_seq for g in grads]))
    assert min(norms) < CLIPS["clipnorm"] < max(norms)
    assert min(global_norms) < CLIPS["global_clipnorm"] < max(global_norms)
    assert min(entries) < CLIPS["clipvalue"] < max(entries)


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_optimizer_steps_and_state(optimizer, option, dtype, tfk):
    """5 steps from the same weights with the same gradients: after each, the learning rate,
    the weights and every state array agree with Keras's."""
    ours, theirs = make_both(optimizer, option, dtype)
    weights = initial_weights(dtype)
    variables = [tfk.keras.Variable(w) for w in weights]
    for step, grads in enumerate(gradient_sequence(dtype)):
        assert_close(ours.learning_rate, float(theirs.learning_rate), dtype, f"learning rate of step {step}")
        ours.apply(grads, weights)
        theirs.apply([tfk.tf.constant(g) for g in grads], variables)
        assert ours.iterations == int(theirs.iterations) == step + 1
        for index, (w, v) in enumerate(zip(weights, variables, strict=True)):
            assert w.dtype == v.numpy().dtype == dtype
            assert_close(w, v.numpy(), dtype, f"weights[{index}] after step {step}")
        for ours_name, keras_name in STATE[type(ours).__name__]:
            for index, (a, b) in enumerate(zip(getattr(ours, ours_name), getattr(theirs, keras_name), strict=True)):
                assert_close(a, b.numpy(), dtype, f"{ours_name}[{index}] after step {step}")


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_optimizer_configs_use_keras_names(optimizer, tfk):
    """Every key of nnlib's get_config is one of Keras's, with the same value (a schedule: the same class
    and config, less Keras's "name"; Keras stores a float learning rate as a float32 variable)."""
    ours, theirs = make_both(optimizer, "all", "float32")
    keras_config = theirs.get_config()
    assert set(ours.get_config()) <= set(keras_config)
    for key, value in ours.get_config().items():
        if key == "learning_rate":
            schedule = dict(keras_config[key]["config"])
            schedule.pop("name")
            assert value == {"class_name": keras_config[key]["class_name"], "config": schedule}
        else:
            assert value == keras_config[key], key
    lr = LEARNING_RATE[optimizer]
    ours, theirs = OPTIMIZERS[optimizer](optimizers, lr), OPTIMIZERS[optimizer](tfk.keras.optimizers, lr)
    assert ours.get_config()["learning_rate"] == pytest.approx(theirs.get_config()["learning_rate"], rel=1e-7)
    assert ours.get_config()["weight_decay"] == theirs.get_config()["weight_decay"]


def test_adamw_defaults_are_keras(tfk):
    ours, theirs = optimizers.AdamW(), tfk.keras.optimizers.AdamW()
    for key in ("weight_decay", "beta_1", "beta_2", "epsilon"):
        assert getattr(ours, key) == getattr(theirs, key), key
    assert ours.learning_rate == pytest.approx(float(theirs.learning_rate), rel=1e-7)


def test_setting_a_float_on_a_scheduled_optimizer_raises_in_both(tfk):
    for module, schedule_module in ((optimizers, schedules), (tfk.keras.optimizers, tfk.keras.optimizers.schedules)):
        optimizer = module.Adam(schedule_module.ExponentialDecay(0.1, 10, 0.5))
        with pytest.raises(TypeError):
            optimizer.learning_rate = 0.01


# ---- models trained side by side ------------------------------------------------------------------

def make_data(dtype: str, outputs: int, batches: int, seed: int = 0):
    """``batches`` batches of 8 inputs of 4 features, one-hot targets of ``outputs`` classes."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(scale=2.0, size=(8, 4)).astype(dtype),
             np.eye(outputs, dtype=dtype)[rng.integers(0, outputs, 8)]) for _ in range(batches)]


MODEL_CASES = {
    "adamw-schedule-clipnorm": ("adamw", "all"),
    "momentum-decay-global-clipnorm": ("momentum", "decay-and-global-clipnorm"),
    "rmsprop-clipvalue": ("rmsprop", "clipvalue"),
}


@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_models_train_alike(case, dtype, tfk):
    """A 4-8-3 classifier, identical initial weights, the same 5 batches through train_on_batch:
    each batch's loss and all weights (biases decay too, as in Keras) agree after every step."""
    optimizer, option = MODEL_CASES[case]
    model, twin = kh.twins([layers.Dense(8, activation="tanh"), layers.Dense(3, activation="softmax")], 4, dtype)
    ours, theirs = make_both(optimizer, option, dtype)
    model.compile(ours, "categorical_crossentropy")
    twin.compile(theirs, "categorical_crossentropy")
    for step, (x, y) in enumerate(make_data(dtype, 3, STEPS), 1):
        assert_close(model.train_on_batch(x, y), twin.train_on_batch(x, y), dtype, f"loss of batch {step}")
        for index, (a, b) in enumerate(zip(model.get_weights(), twin.get_weights(), strict=True)):
            assert_close(a, b, dtype, f"weights[{index}] after batch {step}")


# ---- the two Keras habits of the module docstring ---------------------------------------------------

def test_keras_computes_a_python_float_schedule_in_float32(tfk):
    """With floatx float64, ExponentialDecay(0.1, 7, 0.8) still gives float32 values: they agree with
    nnlib's to float32 precision, not to 1e-10. Given np.float64 it computes in float64."""
    with kh.floatx("float64"):
        theirs = keras_schedules().ExponentialDecay(0.1, 7, 0.8)
        values = [theirs(t) for t in range(1, 30)]
        assert {v.dtype.name for v in values} == {"float32"}
        ours = [schedules.ExponentialDecay(0.1, 7, 0.8)(t) for t in range(1, 30)]
        np.testing.assert_allclose(ours, [float(v) for v in values], rtol=1e-6)
        assert max(abs(a - float(b)) / a for a, b in zip(ours, values, strict=True)) > 1e-10


def test_float64_keras_rounds_the_weight_decay(tfk):
    """Float64 Keras's SGD(1.0, weight_decay=0.1) decays as nnlib's with weight_decay = float32(0.1)."""
    with kh.floatx("float64"):
        theirs = tfk.keras.optimizers.SGD(1.0, weight_decay=0.1)
        variable = tfk.keras.Variable(np.ones(3))
        rounded, exact = np.ones(3), np.ones(3)
        ours_rounded, ours_exact = optimizers.SGD(1.0, weight_decay=f32(0.1)), optimizers.SGD(1.0, weight_decay=0.1)
        zero = np.zeros(3)
        for _ in range(STEPS):
            theirs.apply([tfk.tf.constant(zero)], [variable])
            ours_rounded.apply([zero], [rounded])
            ours_exact.apply([zero], [exact])
        assert_close(rounded, variable.numpy(), "float64")
        assert np.max(np.abs(exact - variable.numpy())) > 1e-10
