"""nnlib.gradcheck: central differences, the relative error the book uses, and the layer and model checks."""

import numpy as np
import pytest

from nnlib import Sequential, layers
from nnlib.gradcheck import check_layer, check_model, numerical_gradient, relative_error


def test_numerical_gradient_of_a_cubic_restores_x(rng):
    x = rng.normal(size=(3, 4))
    before = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(x, before)  # every nudge undone
    assert grad.shape == (3, 4) and grad.dtype == np.float64


def test_numerical_gradient_is_float64_for_float32_weights(rng):
    x = rng.normal(size=5).astype(np.float32)
    grad = numerical_gradient(lambda: float(np.sum(x.astype(np.float64) * 3.0)), x, h=1e-2)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, 3.0, rtol=1e-4)


def test_numerical_gradient_uses_the_step_given():
    x = np.array([1.0])
    # (f(1 + h) - f(1 - h)) / 2h = 3 + h^2 for f = x^3: the error shows the step.
    assert numerical_gradient(lambda: float(x[0] ** 3), x, h=0.1)[0] == pytest.approx(3.01, rel=1e-12)


def test_numerical_gradient_refuses_a_copy():
    x = np.ones((3, 4)).T  # not contiguous: reshape would copy, and the nudges would be lost
    with pytest.raises(ValueError, match="^x must be a contiguous array that f reads, not a copy$"):
        numerical_gradient(lambda: float(np.sum(x)), x)


def test_relative_error_is_scaled_by_the_largest_entries():
    assert relative_error([1.0, 2.0], [1.0, 2.5]) == pytest.approx(0.5 / 4.5, rel=1e-15)
    assert relative_error([1.0], [2.0]) == pytest.approx(1 / 3, rel=1e-15)
    assert relative_error([], []) == 0.0
    # Tiny gradients are compared with the floor (1e-8 by default), not with themselves.
    assert relative_error([0.0], [1e-9]) == pytest.approx(0.1, rel=1e-12)
    assert relative_error([0.0], [1e-9], floor=1e-6) == pytest.approx(1e-3, rel=1e-12)
    # Small integer types are compared as floats, without wrapping around.
    assert relative_error(np.array([100], np.int8), np.array([-100], np.int8)) == 1.0
    with pytest.raises(ValueError, match=r"^shapes differ: analytic \(2,\), numeric \(3,\)$"):
        relative_error(np.ones(2), np.ones(3))


def test_check_layer_defaults_are_seed_0_and_training_mode(rng):
    layer = layers.BatchNormalization()
    layer.build(3, rng)
    x = rng.normal(size=(6, 3))
    errors = check_layer(layer, x)
    assert set(errors) == {"input", "params[0]", "params[1]"} and max(errors.values()) < 1e-6
    assert errors == check_layer(layer, x, seed=0, training=True)
    assert errors != check_layer(layer, x, seed=1, training=True)


def test_check_layer_nudges_float32_data_in_float64(rng):
    """x is checked as float64: float32 steps of 1e-6 would be rounding noise."""
    layer = layers.Dense(3, activation="tanh")
    layer.build(4, rng)
    errors = check_layer(layer, rng.normal(size=(5, 4)).astype(np.float32))
    assert max(errors.values()) < 1e-6, errors


def test_the_checks_use_the_step_given(rng):
    layer = layers.Dense(3, activation="tanh")
    layer.build(4, rng)
    x = rng.normal(size=(5, 4))
    assert max(check_layer(layer, x).values()) < 1e-8
    assert max(check_layer(layer, x, h=0.3).values()) > 1e-4
    model = Sequential([layers.Dense(3, activation="tanh"), layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    y = rng.normal(size=(5, 1))
    assert check_model(model, x, y) < 1e-7 < check_model(model, x, y, h=0.3)
