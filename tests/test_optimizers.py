"""nnlib.optimizers against independent re-implementations of Keras 3's update rules.

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

import math
import re

import numpy as np
import pytest

from nnlib import optimizers

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
    for name in ("sgd", "adagrad", "rmsprop", "adadelta", "adam"):
        assert name in str(info.value)


def test_get_rejects_non_names():
    with pytest.raises(TypeError):
        optimizers.get(3)


ALL_CLASSES = [optimizers.SGD, optimizers.Adagrad, optimizers.RMSprop, optimizers.Adadelta, optimizers.Adam]


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
