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


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy"])
def test_combined_gradient_equals_chain_rule(name, rng):
    """(p - y) / n is the gradient through the output activation, without the Jacobian."""
    loss = losses.get(name)
    activation = activations.get(loss.paired_activation)
    z = rng.normal(size=(5, 4))
    y = _targets(name, rng)
    p = activation(z)
    chained = activation.backward(z, p, loss.gradient(y, p))
    np.testing.assert_allclose(loss.combined_gradient(y, p), chained, rtol=1e-10, atol=1e-14)
    numeric = numerical_gradient(lambda: loss(y, activation(z)), z)
    assert relative_error(loss.combined_gradient(y, p), numeric) < 1e-7


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


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown loss 'crossentropy'.*binary_crossentropy.*mse"):
        losses.get("crossentropy")
    assert losses.get("mse") is losses.get("mean_squared_error")
