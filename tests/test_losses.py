"""Losses: known values, gradients against numerical gradients, stability at 0 and 1, target checks."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlib import activations, data, losses
from nnlib.gradcheck import numerical_gradient, relative_error


def test_known_values():
    y, p = np.array([[1.0], [0.0]]), np.array([[0.8], [0.4]])
    assert losses.mean_squared_error(y, p) == pytest.approx((0.2**2 + 0.4**2) / 2)
    assert losses.binary_crossentropy(y, p) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    y_onehot = np.array([[0, 1, 0], [1, 0, 0]], float)
    probs = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    expected = -(math.log(0.7) + math.log(0.5)) / 2
    assert losses.categorical_crossentropy(y_onehot, probs) == pytest.approx(expected)
    assert losses.sparse_categorical_crossentropy(np.array([1, 0]), probs) == pytest.approx(expected)


def test_half_factor_of_the_notes():
    """The notes' Cf = 1/2 (Ya - Yp)^2 is half of Keras's MSE; its gradient is Yp - Ya."""
    ya, yp = np.array([[3.0]]), np.array([[0.7]])
    assert 0.5 * losses.mean_squared_error(ya, yp) == pytest.approx(0.5 * (3.0 - 0.7) ** 2)
    assert 0.5 * losses.mean_squared_error_gradient(ya, yp)[0, 0] == pytest.approx(0.7 - 3.0)


def _targets(name, rng, n=5, k=4):
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, k, n)
    if name == "categorical_crossentropy":
        return data.one_hot(rng.integers(0, k, n), k)
    if name == "binary_crossentropy":
        return rng.integers(0, 2, (n, k)).astype(float)
    return rng.normal(size=(n, k))


def _predictions(name, rng, n=5, k=4):
    z = rng.normal(size=(n, k))
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        return activations.softmax(z)
    if name == "binary_crossentropy":
        return activations.sigmoid(z)
    return z


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_gradient_matches_numerical_gradient(name, rng):
    loss = losses.get(name)
    y, p = _targets(name, rng), _predictions(name, rng)
    numeric = numerical_gradient(lambda: loss(y, p), p)
    assert relative_error(loss.gradient(y, p), numeric) < 1e-7


@pytest.mark.parametrize(("name", "targets"), [
    ("binary_crossentropy", "as drawn"), ("binary_crossentropy", "soft rows summing to 0.7"),
    ("categorical_crossentropy", "as drawn"), ("categorical_crossentropy", "soft rows summing to 0.7"),
    ("sparse_categorical_crossentropy", "as drawn"),
])
def test_the_models_short_output_gradient_equals_the_chain_rule(name, targets, rng):
    """Softmax/sigmoid with its cross-entropy: the model starts backprop at dL/dz = (p - y) / n, which must
    equal the long way, f's Jacobian times dL/dp."""
    from nnlib import Sequential, layers

    loss = losses.get(name)
    activation = activations.get(loss.paired_activation)
    model = Sequential([layers.Dense(4, activation=loss.paired_activation)], seed=0)
    model.compile(optimizer="sgd", loss=loss)
    x, y = rng.normal(size=(5, 3)), _targets(name, rng)
    if targets != "as drawn":
        y = 0.7 * rng.dirichlet(np.ones(4), size=5)
    p = model.forward(model.prepare_data(x, y)[0], training=True)
    model.backpropagate(y, p)
    z = model.layers[0].z
    chained = activation.backward(z, p, loss.gradient(y, p))  # dL/dz the long way
    np.testing.assert_allclose(model.gradients[0], x.T @ chained, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(model.gradients[1], chained.sum(axis=0), rtol=1e-9, atol=1e-13)


def test_sparse_equals_categorical_on_one_hot(rng):
    labels = rng.integers(0, 6, 20)
    p = activations.softmax(rng.normal(size=(20, 6)))
    onehot = data.one_hot(labels, 6)
    assert losses.sparse_categorical_crossentropy(labels, p) == pytest.approx(
        losses.categorical_crossentropy(onehot, p), rel=1e-12)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy_gradient(labels, p),
                               losses.categorical_crossentropy_gradient(onehot, p))


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy"])
def test_stable_for_probabilities_at_zero_and_one(name):
    """Exact 0s and 1s give a large finite loss (log of Keras's eps = 1e-7), never inf or nan."""
    loss = losses.get(name)
    p = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    y = {"sparse_categorical_crossentropy": np.array([0, 0]),
         "categorical_crossentropy": np.array([[1.0, 0, 0], [1, 0, 0]]),
         "binary_crossentropy": np.array([[1.0, 1, 0], [1, 0, 0]])}[name]
    value, grad = loss(y, p), loss.gradient(y, p)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value <= -math.log(1e-7) + 1e-9
    assert value > 1.0  # a confident wrong answer costs a lot
    perfect = {"sparse_categorical_crossentropy": np.array([1, 0]),
               "categorical_crossentropy": p, "binary_crossentropy": p}[name]
    assert loss(perfect, p) < 1e-6


@given(arrays(np.float64, (6, 3), elements=st.floats(0.0, 1.0)))
def test_binary_crossentropy_finite_and_nonnegative(p):
    y = (p > 0.5).astype(float)
    value = losses.binary_crossentropy(y, p)
    assert np.isfinite(value) and value >= 0
    assert np.all(np.isfinite(losses.binary_crossentropy_gradient(y, p)))


def test_targets_are_checked():
    cce = losses.get("categorical_crossentropy")
    with pytest.raises(ValueError, match="one-hot"):
        cce.prepare_targets(np.array([[1], [2]]), 10)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        losses.get("mse").prepare_targets(np.ones((4, 2)), 3)
    scce = losses.get("sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="label 10.*10 output classes.*0..9"):
        scce.prepare_targets(np.array([0, 10, 3]), 10)
    with pytest.raises(ValueError, match="label -1"):
        scce.prepare_targets(np.array([0, -1]), 10)
    with pytest.raises(TypeError, match="integer class labels"):
        scce.prepare_targets(np.array([0.5, 1.0]), 10)
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        scce.prepare_targets(np.eye(3), 3)
    np.testing.assert_array_equal(scce.prepare_targets(np.array([[2], [1]]), 3), [2, 1])
    assert losses.get("mse").prepare_targets(np.array([1.0, 2.0]), 1).shape == (2, 1)


def test_target_errors_name_the_targets_and_hint_only_where_it_helps():
    cce = losses.get("categorical_crossentropy")
    with pytest.raises(ValueError) as error:
        cce.prepare_targets(np.array([[1], [2]]), 10, "y_val")
    assert str(error.value) == (
        "y_val has shape (2, 1) but the model outputs 10 value(s) per sample: y_val must have shape "
        "(n_samples, 10); categorical_crossentropy needs one-hot targets: use nnlib.data.one_hot(y) "
        "or the loss 'sparse_categorical_crossentropy'")
    for loss, y, n_outputs in [("mse", np.ones((2, 1)), 3),  # not a classification loss: no hint
                               ("categorical_crossentropy", np.ones((2, 2)), 3),  # not labels: no hint
                               ("categorical_crossentropy", np.ones((2, 3)), 1)]:
        with pytest.raises(ValueError) as error:
            losses.get(loss).prepare_targets(y, n_outputs, "y_val")
        assert str(error.value).endswith(f"y_val must have shape (n_samples, {n_outputs})"), loss
    with pytest.raises(ValueError, match=r"^y_val must be 2-D"):
        losses.get("mse").prepare_targets(np.ones((2, 2, 2)), 2, "y_val")
    with pytest.raises(TypeError, match="^y_val must hold numbers"):
        losses.get("mse").prepare_targets([["a"]], 1, "y_val")
    scce = losses.get("sparse_categorical_crossentropy")
    with pytest.raises(TypeError, match=r"^y_val must hold integer class labels, got values such as \S*0\.5\b"):
        scce.prepare_targets(np.array([0.5, 1.0]), 2, "y_val")
    with pytest.raises(TypeError, match=r"got values such as 2\.5$"):  # the bad value, not the first, plainly
        scce.prepare_targets(np.array([0.0, 2.5, 1.0]), 3, "y_val")
    with pytest.raises(ValueError, match="^y contains the label 7"):  # "y" unless told otherwise
        scce.prepare_targets(np.array([7]), 2)
    with pytest.raises(TypeError, match="^y must hold numbers"):
        losses.get("mse").prepare_targets([["a"]], 1)


def test_clipping_keeps_the_gradient_at_the_clip_bounds():
    """p exactly at eps or 1 - eps is inside the clip: its gradient is not zeroed."""
    eps = losses.EPSILON
    p = np.array([[eps, 1.0 - eps]])
    grad = losses.binary_crossentropy_gradient(np.array([[1.0, 0.0]]), p)
    assert np.all(grad != 0)


def test_log_softmax_is_taken_row_by_row():
    """Each row's logsumexp uses its own maximum: rows far apart in scale stay exact."""
    z = np.array([[1000.0, 0.0], [0.0, 1.0]])
    expected = np.mean([1000.0 - 1000.0 + np.log1p(np.exp(-1000.0)), np.log1p(np.exp(1.0))])
    assert losses.sparse_categorical_crossentropy_from_logits(np.array([0, 0]), z) == pytest.approx(expected)


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown loss 'crossentropy'.*binary_crossentropy.*mse"):
        losses.get("crossentropy")
    assert losses.get("mse") is losses.get("mean_squared_error")


def test_sparse_gradient_is_zero_where_the_prediction_is_clipped():
    """Where p < 1e-7 or p > 1 - 1e-7 the loss uses clip(p), flat in p: TensorFlow's gradient is 0 there."""
    labels = np.array([0, 1, 2, 1])
    p = np.array([
        [1.0, 0.0, 0.0],  # right and sure: every entry clipped
        [0.0, 0.7, 0.3],  # one clipped zero, beside the label
        [0.2, 0.8, 0.0],  # the label's own probability clipped at 0
        [0.25, 0.5, 0.25],  # nothing clipped
    ])
    eps = losses.EPSILON
    clipped = (p < eps) | (p > 1 - eps)
    # By hand: SCCE = -mean log(c[label] / sum(c)) with c = clip(p), so inside the clip
    # dL/dp_k = (1 / sum(c) - [k = label] / c[label]) / n, and 0 where p was clipped.
    c = np.clip(p, eps, 1 - eps)
    expected = np.zeros_like(p)
    for i, label in enumerate(labels):
        for k in range(3):
            if not clipped[i, k]:
                expected[i, k] = (1 / c[i].sum() - (k == label) / c[i, label]) / len(p)
    grad = losses.sparse_categorical_crossentropy_gradient(labels, p)
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=0)
    assert np.all(grad[clipped] == 0)
    # The finite difference agrees with a step small enough to stay inside (or outside) the clip.
    numeric = numerical_gradient(lambda: losses.sparse_categorical_crossentropy(labels, p), p, h=1e-9)
    np.testing.assert_allclose(grad, numeric, atol=1e-6)
