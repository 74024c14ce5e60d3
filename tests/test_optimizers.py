"""nnlib.optimizers against independent re-implementations of Keras 3's update rules.

The second half covers what every optimizer shares: a schedule as the learning rate, decoupled
weight decay, the three clipping options, the config round trip and the state accessors.

Each reference below works on plain Python floats, one parameter entry at a time, so it
shares no code (and no NumPy in-place arithmetic) with nnlib. Keras 3's rules:

    SGD       w -= lr g
    momentum  v = m v - lr g;  w += v
    nesterov  v = m v - lr g;  w += m v - lr g
    Adagrad   acc (from 0.1) += g^2;  w -= lr g / sqrt(acc + eps)
    RMSprop   v = rho v + (1 - rho) g^2;  w -= lr g / sqrt(v + eps)
    Adadelta  Eg = rho Eg + (1 - rho) g^2;  d = -sqrt(Ed + eps) / sqrt(Eg + eps) g;
              Ed = rho Ed + (1 - rho) d^2;  w += lr d
    Adam      t from 1;  m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);
              w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from nnlib import optimizers, schedules

STEPS = 5
SEED = 20240611
RTOL = 1e-12


# ---- test data: two parameter arrays of different shapes and seeded random gradients --------

def initial_params() -> list[np.ndarray]:
    return [np.array([0.5, -1.0, 2.0]), np.array([[0.1, -0.2], [0.3, 1.5]])]


def gradient_sequence(steps: int = STEPS, seed: int = SEED) -> list[list[np.ndarray]]:
    """``steps`` lists of gradients shaped like ``initial_params()``, of mixed sizes and signs."""
    rng = np.random.default_rng(seed)
    return [[rng.normal(scale=s, size=p.shape) for p, s in zip(initial_params(), (1.0, 3.0), strict=True)]
            for _ in range(steps)]


def flat(arrays: list[np.ndarray]) -> list[float]:
    """All entries of a list of arrays as one list of Python floats."""
    return [float(v) for a in arrays for v in np.asarray(a).ravel()]


def run_nnlib(optimizer, grads_seq) -> list[np.ndarray]:
    """Apply ``optimizer`` for every step of ``grads_seq``; check the arrays are updated in place."""
    params = initial_params()
    originals = list(params)
    for grads in grads_seq:
        optimizer.apply(grads, params)
    assert all(p is o for p, o in zip(params, originals, strict=True))
    return params


# ---- the references: scalar loops, one function per rule -------------------------------------

def ref_sgd(w, grads_seq, lr, momentum=0.0, nesterov=False):
    w, v = list(w), [0.0] * len(w)
    for g in grads_seq:
        for i, gi in enumerate(g):
            if momentum == 0.0:
                w[i] = w[i] - lr * gi
                continue
            v[i] = momentum * v[i] - lr * gi
            if nesterov:
                w[i] = w[i] + momentum * v[i] - lr * gi
            else:
                w[i] = w[i] + v[i]
    return w, {"velocities": v}


def ref_adagrad(w, grads_seq, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    w, acc = list(w), [initial_accumulator_value] * len(w)
    for g in grads_seq:
        for i, gi in enumerate(g):
            acc[i] = acc[i] + gi * gi
            w[i] = w[i] - lr * gi / math.sqrt(acc[i] + epsilon)
    return w, {"accumulators": acc}


def ref_rmsprop(w, grads_seq, lr, rho=0.9, epsilon=1e-7):
    w, ms = list(w), [0.0] * len(w)
    for g in grads_seq:
        for i, gi in enumerate(g):
            ms[i] = rho * ms[i] + (1.0 - rho) * gi * gi
            w[i] = w[i] - lr * gi / math.sqrt(ms[i] + epsilon)
    return w, {"accumulators": ms}


def ref_adadelta(w, grads_seq, lr, rho=0.95, epsilon=1e-7):
    w, eg, ed = list(w), [0.0] * len(w), [0.0] * len(w)
    for g in grads_seq:
        for i, gi in enumerate(g):
            eg[i] = rho * eg[i] + (1.0 - rho) * gi * gi
            d = -math.sqrt(ed[i] + epsilon) / math.sqrt(eg[i] + epsilon) * gi
            ed[i] = rho * ed[i] + (1.0 - rho) * d * d
            w[i] = w[i] + lr * d
    return w, {"accumulated_grads": eg, "accumulated_updates": ed}


def ref_adam(w, grads_seq, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, m, v = list(w), [0.0] * len(w), [0.0] * len(w)
    for t, g in enumerate(grads_seq, start=1):
        lr_t = lr * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
        for i, gi in enumerate(g):
            m[i] = m[i] + (gi - m[i]) * (1.0 - beta_1)
            v[i] = v[i] + (gi * gi - v[i]) * (1.0 - beta_2)
            w[i] = w[i] - lr_t * m[i] / (math.sqrt(v[i]) + epsilon)
    return w, {"m": m, "v": v}


# (test id, nnlib optimizer factory, reference, the reference's hyperparameters spelt out).
# The "default" cases build nnlib's optimizer with no arguments, so they also check that its
# defaults are Keras's; the others use non-default values (large eps shows where eps sits).
CASES = [
    ("sgd-default", lambda: optimizers.SGD(), ref_sgd, {"lr": 0.01}),
    ("sgd", lambda: optimizers.SGD(learning_rate=0.05), ref_sgd, {"lr": 0.05}),
    ("sgd-momentum", lambda: optimizers.SGD(0.03, momentum=0.9), ref_sgd, {"lr": 0.03, "momentum": 0.9}),
    ("sgd-nesterov", lambda: optimizers.SGD(0.02, momentum=0.8, nesterov=True), ref_sgd,
     {"lr": 0.02, "momentum": 0.8, "nesterov": True}),
    ("adagrad-default", lambda: optimizers.Adagrad(), ref_adagrad,
     {"lr": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}),
    ("adagrad", lambda: optimizers.Adagrad(0.05, initial_accumulator_value=0.5, epsilon=1e-2), ref_adagrad,
     {"lr": 0.05, "initial_accumulator_value": 0.5, "epsilon": 1e-2}),
    ("rmsprop-default", lambda: optimizers.RMSprop(), ref_rmsprop, {"lr": 0.001, "rho": 0.9, "epsilon": 1e-7}),
    ("rmsprop", lambda: optimizers.RMSprop(0.01, rho=0.5, epsilon=1e-2), ref_rmsprop,
     {"lr": 0.01, "rho": 0.5, "epsilon": 1e-2}),
    ("adadelta-default", lambda: optimizers.Adadelta(), ref_adadelta,
     {"lr": 0.001, "rho": 0.95, "epsilon": 1e-7}),
    ("adadelta", lambda: optimizers.Adadelta(1.0, rho=0.7, epsilon=1e-3), ref_adadelta,
     {"lr": 1.0, "rho": 0.7, "epsilon": 1e-3}),
    ("adam-default", lambda: optimizers.Adam(), ref_adam,
     {"lr": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
    ("adam", lambda: optimizers.Adam(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-2), ref_adam,
     {"lr": 0.02, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-2}),
]


@pytest.mark.parametrize(("make", "reference", "hyper"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_keras_rule_over_five_steps(make, reference, hyper):
    """Parameters and every exposed state array equal the scalar Keras reference after 5 steps."""
    optimizer = make()
    grads_seq = gradient_sequence()
    params = run_nnlib(optimizer, grads_seq)
    expected_w, expected_state = reference(flat(initial_params()), [flat(g) for g in grads_seq], **hyper)

    np.testing.assert_allclose(flat(params), expected_w, rtol=RTOL, atol=0)
    assert optimizer.iterations == STEPS
    assert all(a != b for a, b in zip(flat(params), flat(initial_params()), strict=True))  # all moved
    for name, expected in expected_state.items():
        if name == "velocities" and not hyper.get("momentum"):
            assert optimizer.velocities == []  # plain SGD carries no state
            continue
        state = getattr(optimizer, name)
        assert [s.shape for s in state] == [p.shape for p in params]
        np.testing.assert_allclose(flat(state), expected, rtol=RTOL, atol=0, err_msg=name)


@pytest.mark.parametrize(("make", "reference", "hyper"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_step_matches_keras_rule(make, reference, hyper):
    """Not only the end point: after each of the 5 steps the parameters match the reference."""
    optimizer = make()
    grads_seq = gradient_sequence()
    params = initial_params()
    for step in range(1, STEPS + 1):
        optimizer.apply(grads_seq[step - 1], params)
        expected_w, _ = reference(flat(initial_params()), [flat(g) for g in grads_seq[:step]], **hyper)
        np.testing.assert_allclose(flat(params), expected_w, rtol=RTOL, atol=0, err_msg=f"step {step}")
        assert optimizer.iterations == step


def test_apply_takes_gradients_first_and_leaves_them_alone():
    """apply(grads, params): the second list moves, the first is read only and unchanged."""
    grads = [np.array([1.0, -2.0])]
    params = [np.array([10.0, 20.0])]
    params_before = params[0]
    optimizers.SGD(learning_rate=0.5).apply(grads, params)
    assert params[0] is params_before
    np.testing.assert_array_equal(params[0], [9.5, 21.0])
    np.testing.assert_array_equal(grads[0], [1.0, -2.0])


@pytest.mark.parametrize(("make", "reference", "hyper"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_apply_does_not_modify_gradients(make, reference, hyper):
    """No optimizer writes into the gradient arrays it is given."""
    optimizer = make()
    grads_seq = gradient_sequence()
    saved = [[g.copy() for g in grads] for grads in grads_seq]
    run_nnlib(optimizer, grads_seq)
    for grads, copies in zip(grads_seq, saved, strict=True):
        for g, c in zip(grads, copies, strict=True):
            np.testing.assert_array_equal(g, c)


@pytest.mark.parametrize(("gamma", "eta"), [(0.9, 0.01), (0.5, 0.2)])
def test_notes_momentum_form_gives_the_same_trajectory(gamma, eta):
    """The notes' update = gamma update + eta g; w -= update is SGD(momentum=gamma) with v = -update."""
    optimizer = optimizers.SGD(learning_rate=eta, momentum=gamma)
    grads_seq = gradient_sequence(steps=8)
    params = initial_params()
    w = flat(initial_params())
    update = [0.0] * len(w)
    for grads in grads_seq:
        optimizer.apply(grads, params)
        for i, gi in enumerate(flat(grads)):
            update[i] = gamma * update[i] + eta * gi
            w[i] -= update[i]
        np.testing.assert_allclose(flat(params), w, rtol=RTOL, atol=1e-15)
        np.testing.assert_allclose(flat(optimizer.velocities), [-u for u in update], rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("scale", [1e-2, 1.0, 1e4])
def test_adam_first_step_is_about_lr_whatever_the_gradient_scale(scale):
    """Adam's first step is lr g / (|g| + eps / sqrt(1 - b2)) ~ -lr sign(g), for tiny and huge g alike."""
    lr = 0.01
    rng = np.random.default_rng(SEED)
    grad = scale * rng.uniform(0.5, 2.0, size=6) * np.array([1, -1, 1, -1, -1, 1])
    param = np.zeros(6)
    optimizers.Adam(learning_rate=lr).apply([grad], [param])
    np.testing.assert_allclose(param, -lr * np.sign(grad), rtol=1e-3)


# (id, factory) for the ill-conditioned quadratic; each learning rate suits its method.
QUADRATIC_CASES = [
    ("sgd", lambda: optimizers.SGD(0.03)),  # stable needs lr < 2 / 50
    ("sgd-momentum", lambda: optimizers.SGD(0.01, momentum=0.9)),
    ("sgd-nesterov", lambda: optimizers.SGD(0.01, momentum=0.9, nesterov=True)),
    ("adagrad", lambda: optimizers.Adagrad(0.5)),
    ("rmsprop", lambda: optimizers.RMSprop(0.01)),
    ("adadelta", lambda: optimizers.Adadelta(1.0, epsilon=1e-4)),  # Keras's eps = 1e-7 warms up too slowly
    ("adam", lambda: optimizers.Adam(0.05)),
]


@pytest.mark.parametrize("make", [c[1] for c in QUADRATIC_CASES], ids=[c[0] for c in QUADRATIC_CASES])
def test_decreases_an_ill_conditioned_quadratic(make):
    """200 steps on f(w) = 1/2 w^T A w, A = diag(1, 50), from (1, 1) cut f by at least 10^4."""
    optimizer = make()
    A = np.diag([1.0, 50.0])

    def f(w):
        return 0.5 * float(w @ A @ w)

    w = np.array([1.0, 1.0])
    f0 = f(w)
    for _ in range(200):
        optimizer.apply([A @ w], [w])
        assert np.all(np.isfinite(w))
    assert f(w) < 1e-4 * f0
    assert abs(w[0]) < 0.05 and abs(w[1]) < 0.05  # both the flat and the steep direction converged


def test_get_by_name():
    """get("adam") is a fresh Adam with Keras's lr 0.001; names are case-insensitive; instances pass through."""
    adam = optimizers.get("adam")
    assert type(adam) is optimizers.Adam
    assert adam.learning_rate == 0.001
    assert (adam.beta_1, adam.beta_2, adam.epsilon) == (0.9, 0.999, 1e-7)
    assert optimizers.get("adam") is not adam
    assert type(optimizers.get("RMSprop")) is optimizers.RMSprop
    assert optimizers.get("sgd").learning_rate == 0.01
    mine = optimizers.SGD(0.3)
    assert optimizers.get(mine) is mine


def test_get_unknown_name_lists_the_known_ones():
    """get("nope") raises ValueError naming the bad name and every known optimizer."""
    with pytest.raises(ValueError, match="nope") as info:
        optimizers.get("nope")
    for name in ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw"):
        assert name in str(info.value)


def test_get_rejects_non_names():
    with pytest.raises(TypeError):
        optimizers.get(3)


ALL_CLASSES = [optimizers.SGD, optimizers.Adagrad, optimizers.RMSprop, optimizers.Adadelta, optimizers.Adam,
               optimizers.AdamW]


@pytest.mark.parametrize("cls", ALL_CLASSES)
@pytest.mark.parametrize("lr", [0.0, -0.01, float("nan")])
def test_non_positive_learning_rate_raises(cls, lr):
    """A learning rate of 0, below 0 or NaN is refused at construction."""
    with pytest.raises(ValueError, match="learning_rate"):
        cls(learning_rate=lr)


@pytest.mark.parametrize("momentum", [-0.1, 1.5])
def test_momentum_outside_unit_interval_raises(momentum):
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(0.1, momentum=momentum)


@pytest.mark.parametrize("cls", ALL_CLASSES)
@pytest.mark.parametrize("grad_shape", [(2,), (1,), (3, 1)])
def test_mismatched_gradient_shape_raises(cls, grad_shape):
    """A gradient whose shape differs from its parameter's is a ValueError naming both shapes,
    even when NumPy could broadcast it (shape (1,)) instead of failing by itself."""
    params = [np.zeros(3), np.zeros((2, 2))]
    with pytest.raises(ValueError, match=rf"gradient 0 has shape {re.escape(str(grad_shape))}.*\(3,\)"):
        cls(learning_rate=0.1).apply([np.ones(grad_shape), np.zeros((2, 2))], params)
    np.testing.assert_array_equal(params[0], np.zeros(3))


def test_wrong_number_of_gradients_raises():
    with pytest.raises(ValueError, match="2 gradients for 1 parameters"):
        optimizers.Adam().apply([np.zeros(2), np.zeros(2)], [np.zeros(2)])


def test_reuse_for_parameters_of_other_shapes_raises():
    """An optimizer's state belongs to one set of parameters; other shapes later are a ValueError."""
    optimizer = optimizers.Adam()
    optimizer.apply([np.ones(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match="new optimizer"):
        optimizer.apply([np.ones(3)], [np.zeros(3)])
    assert optimizer.iterations == 1


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_shape_error_leaves_nothing_half_updated(cls):
    """A step rejected for its second gradient changes neither the first parameter nor the step count."""
    optimizer = cls(learning_rate=0.1)
    params = [np.ones(2), np.ones(3)]
    with pytest.raises(ValueError, match="gradient 1"):
        optimizer.apply([np.ones(2), np.ones(2)], params)
    np.testing.assert_array_equal(params[0], np.ones(2))
    np.testing.assert_array_equal(params[1], np.ones(3))
    assert optimizer.iterations == 0


@pytest.mark.parametrize(("make", "message"), [
    (lambda: optimizers.SGD(True), "learning_rate must be a finite number"),
    (lambda: optimizers.SGD(float("inf")), "learning_rate must be a finite number"),
    (lambda: optimizers.RMSprop(rho=5), r"rho must be a finite number in \[0.0, 1.0\)"),
    (lambda: optimizers.Adam(beta_1=2), "beta_1 must be"),
    (lambda: optimizers.Adam(beta_2=1.0), "beta_2 must be"),
    (lambda: optimizers.Adagrad(epsilon=-1), "epsilon must be"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-0.1), "initial_accumulator_value must be"),
    (lambda: optimizers.Adadelta(rho=-0.5), "rho must be"),
    (lambda: optimizers.Adadelta(rho=1.0), r"^rho must be a finite number in \[0.0, 1.0\), got 1.0$"),
    (lambda: optimizers.Adam(beta_1=1.0), r"^beta_1 must be a finite number in \[0.0, 1.0\), got 1.0$"),
    (lambda: optimizers.Adam(epsilon=-1e-7), r"^epsilon must be a finite number in \[0.0, inf\], got -1e-07$"),
    (lambda: optimizers.RMSprop(epsilon=-1e-7), "^epsilon must be a finite number"),
    (lambda: optimizers.Adadelta(epsilon=-1e-7), "^epsilon must be a finite number"),
])
def test_hyperparameters_out_of_range_are_refused(make, message):
    """Each hyperparameter is checked, so a typo fails at construction rather than as NaN later."""
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_scalars_are_accepted():
    assert optimizers.SGD(np.int64(1)).learning_rate == 1.0
    assert optimizers.Adam(np.float32(0.01)).learning_rate == pytest.approx(0.01)


def test_state_can_be_set_before_the_first_step():
    """build() creates the state; apply() then uses what was set instead of starting from zeros."""
    w, g = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    opt = optimizers.Adam(0.1)
    opt.build([w])
    opt.m[0][...] = [0.2, -0.2]
    opt.v[0][...] = [0.04, 0.04]
    opt.iterations = 4
    opt.apply([g], [w])
    m = 0.9 * np.array([0.2, -0.2]) + 0.1 * g
    v = 0.999 * 0.04 + 0.001 * g**2
    expected = np.array([1.0, -2.0]) - 0.1 * math.sqrt(1 - 0.999**5) / (1 - 0.9**5) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    assert opt.iterations == 5


# ==== what every optimizer shares: schedules, weight decay, clipping, config, state ============
#
# The reference below takes a step rule for one scalar entry (Keras's, as above) and adds the
# shared parts in Keras's order, all on Python floats: clip the gradients, decay the weights
# w <- w - w wd lr, then the rule with the same lr; the lr of step t (from 0) is lrs[t].

def rule_sgd(w, g, lr, t, s, momentum=0.0, nesterov=False):
    if not momentum:
        return w - lr * g
    s["velocities"] = momentum * s.get("velocities", 0.0) - lr * g
    return w + momentum * s["velocities"] - lr * g if nesterov else w + s["velocities"]


def rule_adagrad(w, g, lr, t, s, initial_accumulator_value=0.1, epsilon=1e-7):
    s["accumulators"] = s.get("accumulators", initial_accumulator_value) + g * g
    return w - lr * g / math.sqrt(s["accumulators"] + epsilon)


def rule_rmsprop(w, g, lr, t, s, rho=0.9, epsilon=1e-7):
    s["accumulators"] = rho * s.get("accumulators", 0.0) + (1 - rho) * g * g
    return w - lr * g / math.sqrt(s["accumulators"] + epsilon)


def rule_adadelta(w, g, lr, t, s, rho=0.95, epsilon=1e-7):
    s["accumulated_grads"] = rho * s.get("accumulated_grads", 0.0) + (1 - rho) * g * g
    d = -math.sqrt(s.get("accumulated_updates", 0.0) + epsilon) / math.sqrt(s["accumulated_grads"] + epsilon) * g
    s["accumulated_updates"] = rho * s.get("accumulated_updates", 0.0) + (1 - rho) * d * d
    return w + lr * d


def rule_adam(w, g, lr, t, s, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
    return w - lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t) * s["m"] / (math.sqrt(s["v"]) + epsilon)


def clip_reference(grads, clipnorm=None, global_clipnorm=None, clipvalue=None):
    """``grads``: one list of floats per parameter."""
    if clipnorm is not None:
        norms = [math.sqrt(sum(x * x for x in g)) for g in grads]
        return [[x * clipnorm / max(n, clipnorm) for x in g] for g, n in zip(grads, norms, strict=True)]
    if global_clipnorm is not None:
        n = math.sqrt(sum(x * x for g in grads for x in g))
        return [[x * global_clipnorm / max(n, global_clipnorm) for x in g] for g in grads]
    if clipvalue is not None:
        return [[min(max(x, -clipvalue), clipvalue) for x in g] for g in grads]
    return grads


def reference(rule, hyper, grads_seq, lrs, weight_decay=None, clip=None, decayed=None):
    """(weights after each step, state after each step), both as flat lists of floats.

    ``decayed[i]`` says whether parameter i has weight decay (all by default)."""
    w = [flat([p]) for p in initial_params()]
    decayed = decayed or [True] * len(w)
    states = [[{} for _ in p] for p in w]
    trajectory, state_trajectory = [], []
    for t, (grads, lr) in enumerate(zip(grads_seq, lrs, strict=True)):
        g = clip_reference([flat([x]) for x in grads], **(clip or {}))
        for p in range(len(w)):
            for i in range(len(w[p])):
                if weight_decay is not None and decayed[p]:
                    w[p][i] = w[p][i] - w[p][i] * weight_decay * lr
                w[p][i] = rule(w[p][i], g[p][i], lr, t + 1, states[p][i], **hyper)
        trajectory.append([x for p in w for x in p])
        state_trajectory.append({name: [s[name] for p in states for s in p] for name in states[0][0]})
    return trajectory, state_trajectory


# (id, nnlib class, reference rule, hyperparameters for both), none of them Keras's defaults.
# AdamW decays by its default 0.004 unless told otherwise (DEFAULT_DECAY).
RULES = [
    ("sgd", optimizers.SGD, rule_sgd, {}),
    ("momentum", optimizers.SGD, rule_sgd, {"momentum": 0.8}),
    ("nesterov", optimizers.SGD, rule_sgd, {"momentum": 0.7, "nesterov": True}),
    ("adagrad", optimizers.Adagrad, rule_adagrad, {"initial_accumulator_value": 0.2}),
    ("rmsprop", optimizers.RMSprop, rule_rmsprop, {"rho": 0.8}),
    ("adadelta", optimizers.Adadelta, rule_adadelta, {"rho": 0.9, "epsilon": 1e-4}),
    ("adam", optimizers.Adam, rule_adam, {"beta_1": 0.8, "beta_2": 0.95}),
    ("adamw", optimizers.AdamW, rule_adam, {"beta_1": 0.8, "beta_2": 0.95}),
]
DEFAULT_DECAY = {optimizers.AdamW: 0.004}
RULE_IDS = [r[0] for r in RULES]
LR = 0.05


def check_trajectory(optimizer, rule, hyper, lrs, grads_seq=None, **shared):
    """Step ``optimizer`` and compare weights and every state array with the reference after each step."""
    grads_seq = grads_seq or gradient_sequence()
    expected_w, expected_state = reference(rule, hyper, grads_seq, lrs, **shared)
    params = initial_params()
    for step, grads in enumerate(grads_seq):
        assert optimizer.current_learning_rate == pytest.approx(lrs[step], rel=1e-15)
        optimizer.apply(grads, params)
        np.testing.assert_allclose(flat(params), expected_w[step], rtol=RTOL, atol=1e-15, err_msg=f"step {step}")
        for name, arrays in optimizer.state_arrays().items():
            np.testing.assert_allclose(flat(arrays), expected_state[step][name], rtol=RTOL, atol=1e-15,
                                       err_msg=f"{name} after step {step}")
    assert set(optimizer.state_arrays()) == set(expected_state[-1])
    return params


# ---- a schedule as the learning rate --------------------------------------------------------------

@pytest.mark.parametrize(("cls", "rule", "hyper"), [r[1:] for r in RULES], ids=RULE_IDS)
def test_schedule_gives_each_step_its_rate(cls, rule, hyper):
    """Step t (from 0) uses schedule(t): here 0.1, 0.05, 0.025, ... (ExponentialDecay halving each step)."""
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    check_trajectory(cls(schedule, **hyper), rule, hyper, [0.1 * 0.5**t for t in range(STEPS)],
                     weight_decay=DEFAULT_DECAY.get(cls))


def test_sgd_with_piecewise_schedule_by_hand():
    """SGD steps by -lr_t g with lr_t = 1, 1, 0.5, 0.5, 0.25 (boundaries 1 and 3): w = 10 - 3.25 g."""
    schedule = schedules.PiecewiseConstantDecay([1, 3], [1.0, 0.5, 0.25])
    optimizer = optimizers.SGD(schedule)
    w = np.array([10.0])
    rates = []
    for _ in range(5):
        rates.append(optimizer.learning_rate)
        optimizer.apply([np.array([2.0])], [w])
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert w[0] == 10.0 - 3.25 * 2.0
    assert optimizer.learning_rate == optimizer.current_learning_rate == 0.25


def test_learning_rate_follows_iterations():
    """The rate is read from iterations, so setting iterations (as when resuming) moves it too."""
    schedule = schedules.CosineDecay(1.0, decay_steps=10)
    optimizer = optimizers.Adam(schedule)
    assert optimizer.learning_rate_schedule is schedule
    assert optimizer.learning_rate == 1.0
    optimizer.iterations = 5
    assert optimizer.learning_rate == pytest.approx(0.5, rel=1e-15)
    assert type(optimizer.learning_rate) is float
    assert optimizers.Adam(0.1).learning_rate_schedule is None


def test_setting_the_learning_rate():
    """A float can be set (as a callback does), a schedule can replace it, and float() reads it."""
    optimizer = optimizers.SGD(0.1)
    optimizer.learning_rate = 0.01
    assert float(optimizer.learning_rate) == 0.01
    w = np.array([1.0])
    optimizer.apply([np.array([1.0])], [w])
    assert w[0] == 1.0 - 0.01
    optimizer.learning_rate = np.float32(0.5)
    assert type(optimizer.learning_rate) is float and optimizer.learning_rate == 0.5
    optimizer.learning_rate = 0  # a callback may pause learning, even if the constructor refuses 0
    assert optimizer.learning_rate == 0.0
    optimizer.learning_rate = schedules.PiecewiseConstantDecay([0], [1.0, 2.0])
    assert optimizer.learning_rate == 2.0  # iterations is 1


@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf"), "0.1", None])
def test_setting_a_bad_learning_rate_raises(value):
    optimizer = optimizers.SGD(0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate = value
    assert optimizer.learning_rate == 0.1


def test_setting_a_float_on_a_scheduled_optimizer_raises():
    """As in Keras: an optimizer made with a schedule has no settable float rate."""
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    optimizer = optimizers.Adam(schedule)
    with pytest.raises(TypeError, match="schedule"):
        optimizer.learning_rate = 0.01
    assert optimizer.learning_rate_schedule is schedule


# ---- decoupled weight decay -----------------------------------------------------------------------

@pytest.mark.parametrize(("cls", "rule", "hyper"), [r[1:] for r in RULES], ids=RULE_IDS)
def test_weight_decay_matches_keras_rule(cls, rule, hyper):
    """w <- w - w wd lr before each step, on every parameter; the state never sees the decay."""
    check_trajectory(cls(LR, weight_decay=0.3, **hyper), rule, hyper, [LR] * STEPS, weight_decay=0.3)


def test_weight_decay_by_hand():
    """SGD(0.1, weight_decay=0.5) on w = 2, g = 1: w = 2 - 2 * 0.5 * 0.1 - 0.1 * 1 = 1.8."""
    w = np.array([2.0])
    optimizers.SGD(0.1, weight_decay=0.5).apply([np.array([1.0])], [w])
    assert w[0] == pytest.approx(1.8, rel=1e-15)


def test_weight_decay_uses_the_scheduled_rate():
    """The decay of step t is scaled by schedule(t), as the step itself."""
    schedule = schedules.CosineDecay(0.0, 6, warmup_target=0.2, warmup_steps=2)
    lrs = [schedule(t) for t in range(STEPS)]
    assert lrs[0] == 0.0 and len(set(lrs)) == STEPS
    check_trajectory(optimizers.AdamW(schedule, weight_decay=0.25), rule_adam, {}, lrs, weight_decay=0.25)


def test_adamw_is_adam_with_keras_default_weight_decay():
    adamw = optimizers.AdamW()
    assert adamw.weight_decay == 0.004 and adamw.learning_rate == 0.001
    assert (adamw.beta_1, adamw.beta_2, adamw.epsilon) == (0.9, 0.999, 1e-7)
    assert optimizers.Adam().weight_decay is None and optimizers.SGD().weight_decay is None
    grads_seq = gradient_sequence()
    adamw_params = run_nnlib(optimizers.AdamW(0.1, weight_decay=0.2), grads_seq)
    adam_params = run_nnlib(optimizers.Adam(0.1, weight_decay=0.2), grads_seq)
    np.testing.assert_array_equal(flat(adamw_params), flat(adam_params))
    assert type(optimizers.get("adamw")) is optimizers.AdamW


def test_adamw_needs_a_weight_decay():
    with pytest.raises(ValueError, match=r"^weight_decay must be a number for AdamW \(use Adam for none\), got None$"):
        optimizers.AdamW(weight_decay=None)


def test_adamw_passes_its_adam_hyperparameters_on():
    adamw = optimizers.AdamW(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3, weight_decay=0.1)
    assert (adamw.beta_1, adamw.beta_2, adamw.epsilon, adamw.weight_decay) == (0.8, 0.99, 1e-3, 0.1)


def test_a_new_optimizer_has_empty_state():
    assert optimizers.SGD(0.1, momentum=0.9).state_arrays() == {"velocities": []}
    assert optimizers.Adam().state_arrays() == {"m": [], "v": []}
    assert optimizers.RMSprop().state_arrays() == {"accumulators": []}
    assert optimizers.Adagrad().state_arrays() == {"accumulators": []}
    assert optimizers.Adadelta().state_arrays() == {"accumulated_grads": [], "accumulated_updates": []}


def test_exclusions_come_before_the_first_step():
    optimizer = optimizers.AdamW()
    optimizer.build([np.zeros(2)])
    with pytest.raises(ValueError, match="^exclude_from_weight_decay must be called before the optimizer is built$"):
        optimizer.exclude_from_weight_decay([])


def test_excluded_parameters_are_not_decayed():
    """exclude_from_weight_decay([arrays]): those arrays (by identity) step without the decay."""
    params = initial_params()
    optimizer = optimizers.SGD(LR, momentum=0.5, weight_decay=0.3)
    optimizer.exclude_from_weight_decay([params[1]])
    grads_seq = gradient_sequence()
    for grads in grads_seq:
        optimizer.apply(grads, params)
    expected, _ = reference(rule_sgd, {"momentum": 0.5}, grads_seq, [LR] * STEPS, weight_decay=0.3,
                            decayed=[True, False])
    np.testing.assert_allclose(flat(params), expected[-1], rtol=RTOL)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay([params[0]])


# ---- gradient clipping ----------------------------------------------------------------------------

CLIPS = {  # each cuts some gradients of gradient_sequence() and not others
    "clipnorm": {"clipnorm": 3.0},
    "global_clipnorm": {"global_clipnorm": 5.0},
    "clipvalue": {"clipvalue": 1.5},
}


@pytest.mark.parametrize("clip", list(CLIPS))
@pytest.mark.parametrize(("cls", "rule", "hyper"), [r[1:] for r in RULES], ids=RULE_IDS)
def test_clipping_matches_keras_rule(cls, rule, hyper, clip):
    check_trajectory(cls(LR, **hyper, **CLIPS[clip]), rule, hyper, [LR] * STEPS, clip=CLIPS[clip],
                     weight_decay=DEFAULT_DECAY.get(cls))


def test_the_clip_cases_cut_some_gradients_and_not_others():
    """So that the tests above see both branches of each option."""
    grads_seq = gradient_sequence()
    norms = [np.linalg.norm(g) for grads in grads_seq for g in grads]
    global_norms = [math.sqrt(sum(np.sum(g * g) for g in grads)) for grads in grads_seq]
    entries = np.abs(flat([g for grads in grads_seq for g in grads]))
    assert min(norms) < CLIPS["clipnorm"]["clipnorm"] < max(norms)
    assert min(global_norms) < CLIPS["global_clipnorm"]["global_clipnorm"] < max(global_norms)
    assert min(entries) < CLIPS["clipvalue"]["clipvalue"] < max(entries)


def test_clipping_by_hand():
    """Gradients (3, 4) (norm 5) and (0, 1): clipnorm 1 scales only the first, global_clipnorm 1
    scales both by 1 / sqrt(26), clipvalue 0.5 cuts each entry."""
    grads = [np.array([3.0, 4.0]), np.array([0.0, 1.0])]

    def step(**clip):
        params = [np.zeros(2), np.zeros(2)]
        optimizers.SGD(1.0, **clip).apply(grads, params)
        return [-p for p in params]

    np.testing.assert_allclose(np.concatenate(step(clipnorm=1.0)), [0.6, 0.8, 0.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(np.concatenate(step(global_clipnorm=1.0)), np.array([3, 4, 0, 1]) / math.sqrt(26),
                               rtol=1e-15)
    np.testing.assert_array_equal(np.concatenate(step(clipvalue=0.5)), [0.5, 0.5, 0.0, 0.5])
    np.testing.assert_array_equal(np.concatenate(step(clipnorm=10.0)), [3.0, 4.0, 0.0, 1.0])


def test_clip_then_decay_then_step_together():
    """All three parts in one optimizer: AdamW with clipnorm and a schedule."""
    schedule = schedules.ExponentialDecay(0.1, 2, 0.5)
    check_trajectory(optimizers.AdamW(schedule, weight_decay=0.2, beta_1=0.8, clipnorm=2.0), rule_adam,
                     {"beta_1": 0.8}, [schedule(t) for t in range(STEPS)], weight_decay=0.2,
                     clip={"clipnorm": 2.0})


@pytest.mark.parametrize("options", [
    {"clipnorm": 1.0, "clipvalue": 1.0}, {"clipnorm": 1.0, "global_clipnorm": 1.0},
    {"clipvalue": 1.0, "global_clipnorm": 1.0}, {"clipnorm": 1.0, "clipvalue": 1.0, "global_clipnorm": 1.0},
])
def test_more_than_one_clip_option_raises(options):
    with pytest.raises(ValueError, match="at most one of clipnorm, clipvalue and global_clipnorm"):
        optimizers.Adam(**options)


@pytest.mark.parametrize(("options", "name"), [
    ({"clipnorm": 0.0}, "clipnorm"), ({"clipnorm": -1.0}, "clipnorm"), ({"clipvalue": 0}, "clipvalue"),
    ({"global_clipnorm": float("inf")}, "global_clipnorm"), ({"weight_decay": -0.1}, "weight_decay"),
    ({"weight_decay": float("nan")}, "weight_decay"), ({"clipnorm": "1"}, "clipnorm"),
])
def test_bad_options_are_refused_by_name(options, name):
    with pytest.raises(ValueError, match=name):
        optimizers.SGD(0.1, **options)


def test_unknown_options_are_refused():
    with pytest.raises(TypeError, match="clip_norm"):
        optimizers.Adam(clip_norm=1.0)


OPTION_SETS = {
    "weight_decay": {"weight_decay": 0.1}, **CLIPS,
    "all": {"weight_decay": 0.1, "clipnorm": 0.5,
            "learning_rate": schedules.CosineDecay(0.0, 4, warmup_target=0.1, warmup_steps=1)},
}


@pytest.mark.parametrize("options", list(OPTION_SETS))
@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_options_do_not_modify_gradients(cls, options):
    """Clipping makes new arrays (or passes the originals through): the caller's gradients stay as they were."""
    grads_seq = gradient_sequence()
    saved = [[g.copy() for g in grads] for grads in grads_seq]
    run_nnlib(cls(**{"learning_rate": 0.1, **OPTION_SETS[options]}), grads_seq)
    for grads, copies in zip(grads_seq, saved, strict=True):
        for g, c in zip(grads, copies, strict=True):
            np.testing.assert_array_equal(g, c)


@pytest.mark.parametrize("options", list(OPTION_SETS))
@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_float32_stays_float32(cls, options):
    """Schedules, decay and clipping use Python floats, so float32 parameters and state stay float32."""
    params = [p.astype(np.float32) for p in initial_params()]
    optimizer = cls(**{"learning_rate": 0.1, **OPTION_SETS[options]})
    for grads in gradient_sequence():
        optimizer.apply([g.astype(np.float32) for g in grads], params)
    assert all(p.dtype == np.float32 for p in params)
    assert all(a.dtype == np.float32 for arrays in optimizer.state_arrays().values() for a in arrays)


# ---- configuration and state ----------------------------------------------------------------------

CONFIG_CASES = {
    "sgd": lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True, clipvalue=1.5),
    "adagrad": lambda: optimizers.Adagrad(schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True),
                                          initial_accumulator_value=0.2, epsilon=1e-3, weight_decay=0.1),
    "rmsprop": lambda: optimizers.RMSprop(0.01, rho=0.8, epsilon=1e-5, global_clipnorm=4.0),
    "adadelta": lambda: optimizers.Adadelta(1.0, rho=0.9, epsilon=1e-4, clipnorm=2.0),
    "adam": lambda: optimizers.Adam(schedules.PiecewiseConstantDecay([2], [0.1, 0.01]), beta_1=0.8, beta_2=0.99,
                                    epsilon=1e-6),
    "adamw": lambda: optimizers.AdamW(schedules.CosineDecay(0.0, 5, alpha=0.1, warmup_target=0.05,
                                                            warmup_steps=2), weight_decay=0.3, clipnorm=3.0),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_config_round_trip_takes_identical_steps(case):
    """get_config is JSON-able; from_config, deserialize(serialize(...)) and get(dict) rebuild an
    optimizer that takes bit-for-bit the same steps."""
    original = CONFIG_CASES[case]()
    config = json.loads(json.dumps(original.get_config()))
    assert config == original.get_config()
    copies = [type(original).from_config(config), optimizers.deserialize(optimizers.serialize(original)),
              optimizers.get(json.loads(json.dumps(optimizers.serialize(original))))]
    expected = run_nnlib(original, gradient_sequence())
    for copy in copies:
        assert type(copy) is type(original) and copy.get_config() == original.get_config()
        assert copy.iterations == 0
        for actual, wanted in zip(run_nnlib(copy, gradient_sequence()), expected, strict=True):
            np.testing.assert_array_equal(actual, wanted)


def test_config_lists_the_hyperparameters():
    config = optimizers.SGD(0.05, momentum=0.8, clipnorm=1.0).get_config()
    assert config == {"learning_rate": 0.05, "momentum": 0.8, "nesterov": False, "weight_decay": None,
                      "clipnorm": 1.0, "clipvalue": None, "global_clipnorm": None}
    config = optimizers.AdamW(schedules.ExponentialDecay(0.1, 10, 0.5)).get_config()
    assert config["learning_rate"] == {"class_name": "ExponentialDecay", "config": {
        "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": False}}
    assert config["weight_decay"] == 0.004
    assert optimizers.serialize(optimizers.Adam())["class_name"] == "Adam"


def test_config_holds_a_learning_rate_set_later():
    optimizer = optimizers.Adam(0.1)
    optimizer.learning_rate = 0.02
    assert optimizer.get_config()["learning_rate"] == 0.02


def test_deserialize_errors():
    with pytest.raises(ValueError, match="'Nadam'.*adam"):
        optimizers.deserialize({"class_name": "Nadam", "config": {}})
    with pytest.raises(ValueError, match="class_name"):
        optimizers.deserialize({"learning_rate": 0.1})
    with pytest.raises(TypeError, match="beta_3"):
        optimizers.deserialize({"class_name": "Adam", "config": {"beta_3": 0.5}})
    with pytest.raises(TypeError, match="Optimizer"):
        optimizers.serialize("adam")


STATE_NAMES = {
    "sgd": (lambda: optimizers.SGD(0.1), set()),
    "momentum": (lambda: optimizers.SGD(0.1, momentum=0.9), {"velocities"}),
    "adagrad": (optimizers.Adagrad, {"accumulators"}),
    "rmsprop": (optimizers.RMSprop, {"accumulators"}),
    "adadelta": (optimizers.Adadelta, {"accumulated_grads", "accumulated_updates"}),
    "adam": (optimizers.Adam, {"m", "v"}),
    "adamw": (optimizers.AdamW, {"m", "v"}),
}


@pytest.mark.parametrize("case", list(STATE_NAMES))
def test_state_arrays_are_the_live_state(case):
    """state_arrays() names the state attributes and returns those very arrays, one per parameter."""
    make, names = STATE_NAMES[case]
    optimizer = make()
    assert set(optimizer.state_arrays()) == names
    run_nnlib(optimizer, gradient_sequence())
    state = optimizer.state_arrays()
    assert set(state) == names
    for name, arrays in state.items():
        assert arrays is getattr(optimizer, name)
        assert [a.shape for a in arrays] == [p.shape for p in initial_params()]


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_saved_config_and_state_resume_the_same_trajectory(case):
    """Save after 3 steps (config, state copies, iterations); a rebuilt optimizer then takes the
    same last 2 steps as the original."""
    grads_seq = gradient_sequence()
    original, params = CONFIG_CASES[case](), initial_params()
    for grads in grads_seq[:3]:
        original.apply(grads, params)
    saved_config = json.loads(json.dumps(optimizers.serialize(original)))
    saved_state = {name: [a.copy() for a in arrays] for name, arrays in original.state_arrays().items()}
    resumed, resumed_params = optimizers.deserialize(saved_config), [p.copy() for p in params]
    resumed.build(resumed_params)
    resumed.set_state_arrays(saved_state)
    resumed.iterations = original.iterations
    for grads in grads_seq[3:]:
        original.apply(grads, params)
        resumed.apply(grads, resumed_params)
    for actual, wanted in zip(resumed_params, params, strict=True):
        np.testing.assert_array_equal(actual, wanted)


def test_set_state_arrays_checks_names_shapes_and_build():
    optimizer = optimizers.Adam()
    state = {"m": [np.ones(2)], "v": [np.ones(2)]}
    with pytest.raises(ValueError, match=r"^build\(params\) the optimizer before setting its state$"):
        optimizer.set_state_arrays(state)
    optimizer.build([np.zeros(2)])
    with pytest.raises(ValueError, match=r"^Adam keeps the state \['m', 'v'\], got \['m'\]$"):
        optimizer.set_state_arrays({"m": [np.ones(2)]})
    with pytest.raises(ValueError, match=r"v: got arrays of shapes \[\(3,\)\], expected \[\(2,\)\]"):
        optimizer.set_state_arrays({"m": [np.ones(2)], "v": [np.ones(3)]})
    optimizer.set_state_arrays(state)
    np.testing.assert_array_equal(optimizer.v[0], [1.0, 1.0])
    assert optimizer.v[0] is not state["v"][0]


def test_repr_shows_the_options_that_are_set():
    assert repr(optimizers.Adam()) == "Adam(learning_rate=0.001)"
    assert repr(optimizers.AdamW(clipnorm=1.0)) == "AdamW(learning_rate=0.001, weight_decay=0.004, clipnorm=1.0)"
    assert "CosineDecay(initial_learning_rate=0.1" in repr(optimizers.SGD(schedules.CosineDecay(0.1, 10)))
    assert repr(optimizers.SGD(0.1, clipvalue=0.5)) == "SGD(learning_rate=0.1, clipvalue=0.5)"
    assert repr(optimizers.RMSprop(global_clipnorm=2.0)) == "RMSprop(learning_rate=0.001, global_clipnorm=2.0)"
