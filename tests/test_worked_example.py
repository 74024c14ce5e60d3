"""The lecture notes' worked 2-2-1 example, by hand and in nnlib.

The network: inputs x1 = 1, x2 = 2, target Ya = 3.

    HN1i = w1 x1 + w3 x2 + b1        HN1o = sigmoid(HN1i)
    HN2i = w2 x1 + w4 x2 + b1        HN2o = sigmoid(HN2i)      (one bias b1 shared by both)
    ONi  = w5 HN1o + w6 HN2o + b2    Yp   = sigmoid(ONi)
    Cf   = 1/2 (Ya - Yp)^2

with w1..w4 = 0.1, 0.2, 0.1, 0.2, b1 = 1, w5 = 0.3, w6 = 0.4, b2 = 0.5.

Every expected value below is written out scalar by scalar with ``math.exp``; nnlib is
only ever the thing under test. Two errata of the notes are checked on the way:
dCf/dYp = Yp - Ya (the notes have Ya - Yp) and dYp/dONi = sigmoid(ONi)(1 - sigmoid(ONi)).
nnlib's "mse" is Keras's, (Yp - Ya)^2 = 2 Cf with no 1/2, so its gradients are 2x the
notes' Cf gradients.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import Sequential, layers, optimizers

X1, X2, YA = 1.0, 2.0, 3.0
WEIGHTS = {"w1": 0.1, "w2": 0.2, "w3": 0.1, "w4": 0.2, "b1": 1.0, "w5": 0.3, "w6": 0.4, "b2": 0.5}
NAMES = tuple(WEIGHTS)
ALPHA = 0.1  # the notes' learning rate for the hand update step
REL = 1e-12  # relative tolerance between the hand arithmetic and nnlib


# ---- the hand computation: plain Python floats, one scalar at a time -----------------------

def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def forward(w1, w2, w3, w4, b1, w5, w6, b2, b1_node2=None) -> dict[str, float]:
    """The notes' forward pass. ``b1_node2`` (default: b1) lets a test move one node's bias alone."""
    b1_node2 = b1 if b1_node2 is None else b1_node2
    hn1i = w1 * X1 + w3 * X2 + b1
    hn2i = w2 * X1 + w4 * X2 + b1_node2
    hn1o = sigmoid(hn1i)
    hn2o = sigmoid(hn2i)
    oni = w5 * hn1o + w6 * hn2o + b2
    yp = sigmoid(oni)
    cf = 0.5 * (YA - yp) ** 2
    return {"HN1i": hn1i, "HN2i": hn2i, "HN1o": hn1o, "HN2o": hn2o, "ONi": oni, "Yp": yp, "Cf": cf}


def cost(**weights) -> float:
    return forward(**weights)["Cf"]


def hand_gradients(w1, w2, w3, w4, b1, w5, w6, b2) -> dict[str, float]:
    """dCf/d(each weight) by the chain rule, written out as in the notes (with the errata fixed)."""
    f = forward(w1, w2, w3, w4, b1, w5, w6, b2)
    hn1o, hn2o, yp = f["HN1o"], f["HN2o"], f["Yp"]
    dcf_dyp = yp - YA                          # d/dYp of 1/2 (Ya - Yp)^2
    dyp_doni = yp * (1.0 - yp)                 # sigmoid'(ONi) = sigmoid(ONi)(1 - sigmoid(ONi))
    delta_out = dcf_dyp * dyp_doni             # dCf/dONi
    delta_h1 = delta_out * w5 * hn1o * (1.0 - hn1o)   # dCf/dHN1i
    delta_h2 = delta_out * w6 * hn2o * (1.0 - hn2o)   # dCf/dHN2i
    return {
        "w5": delta_out * hn1o,
        "w6": delta_out * hn2o,
        "b2": delta_out,
        "w1": delta_h1 * X1,
        "w3": delta_h1 * X2,
        "w2": delta_h2 * X1,
        "w4": delta_h2 * X2,
        "b1": delta_h1 + delta_h2,             # the shared bias feeds both hidden nodes
        # kept for the shared-bias tests:
        "dCf/dHN1i": delta_h1,
        "dCf/dHN2i": delta_h2,
    }


def central_difference(fn, weights: dict[str, float], name: str, h: float = 1e-6) -> float:
    """(fn(w + h) - fn(w - h)) / 2h in the one weight ``name``."""
    plus, minus = dict(weights), dict(weights)
    plus[name] += h
    minus[name] -= h
    return (fn(**plus) - fn(**minus)) / (2.0 * h)


HAND = forward(**WEIGHTS)
GRAD = hand_gradients(**WEIGHTS)


# ---- nnlib -------------------------------------------------------------------------------

def build_model(learning_rate: float = 0.1) -> Sequential:
    """The worked example in nnlib, with the notes' weights: W1 rows are inputs, columns hidden nodes."""
    model = Sequential([layers.Dense(2, activation="sigmoid"), layers.Dense(1, activation="sigmoid")])
    model.build(2)
    w = WEIGHTS
    model.set_weights([
        [[w["w1"], w["w2"]], [w["w3"], w["w4"]]],
        [w["b1"], w["b1"]],
        [[w["w5"]], [w["w6"]]],
        [w["b2"]],
    ])
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def x_and_y() -> tuple[np.ndarray, np.ndarray]:
    return np.array([[X1, X2]]), np.array([[YA]])


def grads_as_nnlib_arrays(grad: dict[str, float]) -> list[np.ndarray]:
    """The hand gradients laid out as nnlib's [W1, b1, W2, b2] (b1 split back into its two nodes)."""
    return [
        np.array([[grad["w1"], grad["w2"]], [grad["w3"], grad["w4"]]]),
        np.array([grad["dCf/dHN1i"], grad["dCf/dHN2i"]]),
        np.array([[grad["w5"]], [grad["w6"]]]),
        np.array([grad["b2"]]),
    ]


# ---- the hand computation checked against itself by other routes ---------------------------

def test_hand_forward_pass_values():
    """Pre-activations are the notes' 1.3 and 1.6; the outputs are sigmoids of them, pinned to 10 digits."""
    assert HAND["HN1i"] == pytest.approx(1.3, rel=REL)
    assert HAND["HN2i"] == pytest.approx(1.6, rel=REL)
    # Pinned decimals (1/(1+e^-1.3), 1/(1+e^-1.6), ...) guard the formulas above against a slip.
    assert HAND["HN1o"] == pytest.approx(0.7858349830, abs=1e-10)
    assert HAND["HN2o"] == pytest.approx(0.8320183851, abs=1e-10)
    assert HAND["ONi"] == pytest.approx(1.0685578490, abs=1e-10)
    assert HAND["Yp"] == pytest.approx(0.7443225618, abs=1e-10)
    assert HAND["Cf"] == pytest.approx(2.5440403525, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_hand_gradients_match_central_differences(name):
    """Each hand-derived dCf/dw agrees with a numerical central difference of the scalar Cf."""
    numeric = central_difference(cost, WEIGHTS, name)
    assert GRAD[name] == pytest.approx(numeric, rel=1e-7)


def test_shared_bias_gradient_is_the_sum_over_both_hidden_nodes():
    """Moving b1 moves HN1i and HN2i together, so dCf/db1 = dCf/dHN1i + dCf/dHN2i, not either alone."""

    def cost_node1_bias(b1, **rest):  # only HN1's copy of the bias moves
        return forward(b1=b1, b1_node2=WEIGHTS["b1"], **rest)["Cf"]

    def cost_node2_bias(b1, **rest):  # only HN2's copy of the bias moves
        return forward(b1=WEIGHTS["b1"], b1_node2=b1, **rest)["Cf"]

    assert central_difference(cost_node1_bias, WEIGHTS, "b1") == pytest.approx(GRAD["dCf/dHN1i"], rel=1e-7)
    assert central_difference(cost_node2_bias, WEIGHTS, "b1") == pytest.approx(GRAD["dCf/dHN2i"], rel=1e-7)
    assert GRAD["b1"] == pytest.approx(GRAD["dCf/dHN1i"] + GRAD["dCf/dHN2i"], rel=REL)
    assert abs(GRAD["b1"]) > 1.5 * max(abs(GRAD["dCf/dHN1i"]), abs(GRAD["dCf/dHN2i"]))


def test_errata_output_derivatives():
    """dCf/dYp = Yp - Ya (negative here: Yp must grow) and dYp/dONi = Yp (1 - Yp), both numerically."""
    h = 1e-6
    yp, oni = HAND["Yp"], HAND["ONi"]
    dcf_dyp = (0.5 * (YA - (yp + h)) ** 2 - 0.5 * (YA - (yp - h)) ** 2) / (2 * h)
    assert dcf_dyp == pytest.approx(yp - YA, rel=1e-8)
    assert dcf_dyp < 0  # the notes' sign, Ya - Yp, would be positive
    dyp_doni = (sigmoid(oni + h) - sigmoid(oni - h)) / (2 * h)
    assert dyp_doni == pytest.approx(yp * (1.0 - yp), rel=1e-8)


def test_notes_sign_would_climb_the_cost():
    """A step with the correct gradient lowers Cf; the notes' sign (Ya - Yp) raises it."""
    correct = {n: WEIGHTS[n] - ALPHA * GRAD[n] for n in NAMES}
    wrong_sign = {n: WEIGHTS[n] + ALPHA * GRAD[n] for n in NAMES}
    assert cost(**correct) < HAND["Cf"] < cost(**wrong_sign)


def test_one_hand_gradient_descent_step():
    """w_new = w - alpha dCf/dw with alpha = 0.1, and the step lowers the cost."""
    new = {n: WEIGHTS[n] - ALPHA * GRAD[n] for n in NAMES}
    # All gradients are negative here (Yp is too small), so every weight grows.
    assert all(GRAD[n] < 0 for n in NAMES)
    assert all(new[n] > WEIGHTS[n] for n in NAMES)
    assert new["w5"] == pytest.approx(0.3 - 0.1 * GRAD["w5"], rel=REL)
    assert new["b1"] == pytest.approx(1.0 - 0.1 * (GRAD["dCf/dHN1i"] + GRAD["dCf/dHN2i"]), rel=REL)
    assert cost(**new) < HAND["Cf"]


# ---- nnlib against the hand computation ----------------------------------------------------

def test_nnlib_forward_pass_matches_hand():
    """The hidden layer outputs [HN1o, HN2o] and the model outputs Yp, to 1e-12."""
    model = build_model()
    x, _ = x_and_y()
    hidden = model.layers[0].forward(x)
    assert hidden.shape == (1, 2)
    np.testing.assert_allclose(hidden, [[HAND["HN1o"], HAND["HN2o"]]], rtol=REL, atol=0)
    np.testing.assert_allclose(model.layers[0].z, [[HAND["HN1i"], HAND["HN2i"]]], rtol=REL, atol=0)
    np.testing.assert_allclose(model.predict(x), [[HAND["Yp"]]], rtol=REL, atol=0)


def test_nnlib_mse_is_twice_the_notes_cost():
    """nnlib's (Keras's) MSE = (Yp - Ya)^2 = 2 Cf, from evaluate and from compute_gradients."""
    model = build_model()
    x, y = x_and_y()
    assert model.evaluate(x, y) == pytest.approx(2.0 * HAND["Cf"], rel=REL)
    loss, output = model.compute_gradients(x, y)
    assert loss == pytest.approx(2.0 * HAND["Cf"], rel=REL)
    np.testing.assert_allclose(output, [[HAND["Yp"]]], rtol=REL, atol=0)


def test_nnlib_gradients_are_twice_the_hand_gradients():
    """Every entry of [dW1, db1, dW2, db2] is 2 x the hand dCf/dw, in the notes' layout."""
    model = build_model()
    x, y = x_and_y()
    model.compute_gradients(x, y)
    got = model.gradients
    assert [g.shape for g in got] == [(2, 2), (2,), (2, 1), (1,)]
    for g, expected in zip(got, grads_as_nnlib_arrays(GRAD), strict=True):
        np.testing.assert_allclose(g, 2.0 * expected, rtol=REL, atol=0)
    dW1, _, dW2, db2 = got
    assert dW1[0, 0] == pytest.approx(2 * GRAD["w1"], rel=REL)  # x1 -> HN1
    assert dW1[1, 0] == pytest.approx(2 * GRAD["w3"], rel=REL)  # x2 -> HN1
    assert dW1[0, 1] == pytest.approx(2 * GRAD["w2"], rel=REL)  # x1 -> HN2
    assert dW1[1, 1] == pytest.approx(2 * GRAD["w4"], rel=REL)  # x2 -> HN2
    assert dW2[0, 0] == pytest.approx(2 * GRAD["w5"], rel=REL)
    assert dW2[1, 0] == pytest.approx(2 * GRAD["w6"], rel=REL)
    assert db2[0] == pytest.approx(2 * GRAD["b2"], rel=REL)


def test_nnlib_shared_bias_gradient_is_sum_of_hidden_bias_gradient():
    """nnlib keeps one bias per hidden node; their gradients sum to 2 x the notes' shared dCf/db1."""
    model = build_model()
    x, y = x_and_y()
    model.compute_gradients(x, y)
    db1 = model.gradients[1]
    assert db1[0] + db1[1] == pytest.approx(2.0 * GRAD["b1"], rel=REL)


@pytest.mark.parametrize("lr", [0.1, 0.05])
def test_nnlib_one_sgd_step(lr):
    """train_on_batch returns the loss before the step and moves each weight by lr x 2 x dCf/dw."""
    model = build_model(learning_rate=lr)
    x, y = x_and_y()
    loss = model.train_on_batch(x, y)
    assert loss == pytest.approx(2.0 * HAND["Cf"], rel=REL)
    w = WEIGHTS
    g = GRAD
    expected = [
        [[w["w1"] - lr * 2 * g["w1"], w["w2"] - lr * 2 * g["w2"]],
         [w["w3"] - lr * 2 * g["w3"], w["w4"] - lr * 2 * g["w4"]]],
        [w["b1"] - lr * 2 * g["dCf/dHN1i"], w["b1"] - lr * 2 * g["dCf/dHN2i"]],
        [[w["w5"] - lr * 2 * g["w5"]], [w["w6"] - lr * 2 * g["w6"]]],
        [w["b2"] - lr * 2 * g["b2"]],
    ]
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=REL, atol=0)


def test_nnlib_step_with_half_the_rate_is_the_notes_step():
    """With lr = alpha / 2 the MSE step equals the notes' Cf step with alpha (the 1/2 factor again)."""
    model = build_model(learning_rate=ALPHA / 2)
    x, y = x_and_y()
    model.train_on_batch(x, y)
    W1, b1, W2, b2 = model.get_weights()
    new = {n: WEIGHTS[n] - ALPHA * GRAD[n] for n in NAMES}
    np.testing.assert_allclose(W1, [[new["w1"], new["w2"]], [new["w3"], new["w4"]]], rtol=REL, atol=0)
    np.testing.assert_allclose(W2, [[new["w5"]], [new["w6"]]], rtol=REL, atol=0)
    np.testing.assert_allclose(b2, [new["b2"]], rtol=REL, atol=0)
    # The two per-node biases took the two halves of the shared bias's step.
    assert (b1[0] - WEIGHTS["b1"]) + (b1[1] - WEIGHTS["b1"]) == pytest.approx(new["b1"] - WEIGHTS["b1"],
                                                                              rel=1e-10)


def test_erratum_target_3_is_unreachable_with_a_sigmoid_output():
    """Yp = sigmoid(ONi) < 1, so (3 - Yp)^2 > (3 - 1)^2 = 4: training plateaus just above 4, Yp near 1."""
    model = build_model(learning_rate=0.5)
    x, y = x_and_y()
    losses = [model.train_on_batch(x, y) for _ in range(400)]
    final_yp = float(model.predict(x)[0, 0])
    assert losses[0] == pytest.approx(2.0 * HAND["Cf"], rel=REL)
    assert np.all(np.diff(losses) < 0), "gradient descent on one sample should lower the loss every step"
    assert min(losses) > 4.0
    assert losses[-1] - 4.0 < 0.01          # it gets close to the bound ...
    assert losses[-100] - losses[-1] < 0.01  # ... and barely moves any more: a plateau
    assert 0.99 < final_yp < 1.0
    assert YA - final_yp > 2.0
