"""Activations: known values, derivatives against numerical gradients, stability, errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from nnlib import activations
from nnlib.gradcheck import numerical_gradient, relative_error

ELEMENTWISE = {
    "sigmoid": (activations.sigmoid, activations.sigmoid_derivative),
    "tanh": (activations.tanh, activations.tanh_derivative),
    "relu": (activations.relu, activations.relu_derivative),
    "leaky_relu": (activations.leaky_relu, activations.leaky_relu_derivative),
    "elu": (activations.elu, activations.elu_derivative),
    "softplus": (activations.softplus, activations.softplus_derivative),
    "linear": (activations.linear, activations.linear_derivative),
}


def test_known_values():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    expected = {
        "sigmoid": [1 / (1 + math.exp(2)), 1 / (1 + math.exp(0.5)), 0.5, 1 / (1 + math.exp(-0.5)),
                    1 / (1 + math.exp(-2))],
        "tanh": [math.tanh(v) for v in z],
        "relu": [0, 0, 0, 0.5, 2],
        "leaky_relu": [-0.4, -0.1, 0, 0.5, 2],  # Keras's default slope 0.2
        "elu": [math.exp(-2) - 1, math.exp(-0.5) - 1, 0, 0.5, 2],
        "softplus": [math.log(1 + math.exp(v)) for v in z],
        "linear": list(z),
    }
    for name, values in expected.items():
        np.testing.assert_allclose(ELEMENTWISE[name][0](z), values, rtol=1e-12, atol=1e-15, err_msg=name)


def test_known_derivatives():
    z = np.array([-2.0, 0.0, 0.0001, 3.0])
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(activations.sigmoid_derivative(z), np.exp(-z) / (1 + np.exp(-z)) ** 2)
    np.testing.assert_allclose(activations.sigmoid_derivative(z), s * (1 - s))
    np.testing.assert_allclose(activations.tanh_derivative(z), 1 / np.cosh(z) ** 2)
    # TensorFlow's choice at 0: relu'(0) = 0, leaky'(0) = alpha.
    np.testing.assert_array_equal(activations.relu_derivative(z), [0, 0, 1, 1])
    np.testing.assert_allclose(activations.leaky_relu_derivative(z, alpha=0.01), [0.01, 0.01, 1, 1])
    np.testing.assert_allclose(activations.elu_derivative(z, alpha=2.0), [2 * math.exp(-2), 2.0, 1, 1])
    np.testing.assert_allclose(activations.softplus_derivative(z), s)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_derivative_matches_numerical_gradient(name, rng):
    function, derivative = ELEMENTWISE[name]
    # Keep away from the kinks at 0, where the one-sided slopes differ.
    z = rng.uniform(-4, 4, 50)
    z = z[np.abs(z) > 1e-3]
    numeric = numerical_gradient(lambda: float(np.sum(function(z))), z)
    assert relative_error(derivative(z), numeric) < 1e-7


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "linear"])
def test_activation_backward_uses_the_derivative(name, rng):
    activation = activations.get(name)
    z = rng.normal(size=(4, 3))
    grad = rng.normal(size=(4, 3))
    np.testing.assert_allclose(activation.backward(z, activation(z), grad), grad * activation.derivative(z),
                               rtol=1e-12, atol=1e-15)


def test_softmax_known_values_and_jacobian(rng):
    z = np.array([[1.0, 2.0, 3.0]])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(activations.softmax(z), [e / e.sum()])
    z = rng.normal(size=(3, 4))
    jacobian = activations.softmax_derivative(z)
    assert jacobian.shape == (3, 4, 4)
    for row in range(3):
        zr = z[row].copy()
        for j in range(4):
            numeric = numerical_gradient(lambda zr=zr, j=j: float(activations.softmax(zr)[j]), zr)
            assert relative_error(jacobian[row, j], numeric) < 1e-7
    grad = rng.normal(size=(3, 4))
    s = activations.softmax(z)
    np.testing.assert_allclose(activations.softmax_backward(s, grad), np.einsum("nij,ni->nj", jacobian, grad))


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "softmax", "tanh", "elu", "relu", "leaky_relu"])
def test_stable_at_extreme_inputs(name):
    """No overflow warning (pytest turns RuntimeWarning into an error) and no NaN up to |z| = 1e4."""
    function = activations.get(name)
    z = np.array([[-1e4, -710.0, -50.0, 0.0, 50.0, 710.0, 1e4]])
    for dtype in (np.float64, np.float32):
        out = function(z.astype(dtype))
        assert np.all(np.isfinite(out)), (name, dtype, out)
        assert out.dtype == dtype
        deriv = function.derivative(z.astype(dtype))
        assert np.all(np.isfinite(deriv))


def test_extreme_values_are_right():
    z = np.array([-1e4, 1e4])
    np.testing.assert_array_equal(activations.sigmoid(z), [0.0, 1.0])
    np.testing.assert_array_equal(activations.softplus(z), [0.0, 1e4])
    np.testing.assert_allclose(activations.softmax(np.array([[1e4, 0.0, -1e4]])), [[1.0, 0.0, 0.0]])
    # Large but equal logits: a naive softmax would give nan = inf / inf.
    np.testing.assert_allclose(activations.softmax(np.array([[1e4, 1e4]])), [[0.5, 0.5]])


finite = st.floats(-1e4, 1e4, allow_nan=False)


@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=2, max_side=8), elements=finite))
def test_softmax_rows_are_distributions(z):
    s = activations.softmax(z)
    assert s.shape == z.shape
    assert np.all(np.isfinite(s)) and np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-12)


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=6), elements=finite),
       st.sampled_from(sorted(ELEMENTWISE)))
def test_elementwise_preserve_shape_and_stay_finite(z, name):
    function, derivative = ELEMENTWISE[name]
    for f in (function, derivative):
        out = f(z)
        assert out.shape == z.shape
        assert np.all(np.isfinite(out))


@given(arrays(np.float64, 20, elements=finite))
def test_sigmoid_in_unit_interval_and_symmetric(z):
    s = activations.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s + activations.sigmoid(-z), 1.0, atol=1e-15)


def test_get_and_parameters():
    assert activations.get(None).name == "linear"
    assert activations.get("relu") is activations.get("relu")
    leaky = activations.get("leaky_relu", alpha=0.01)
    np.testing.assert_allclose(leaky(np.array([-1.0, 1.0])), [-0.01, 1.0])
    elu = activations.get("elu", alpha=0.5)
    np.testing.assert_allclose(elu(np.array([-1.0])), [0.5 * (math.exp(-1) - 1)])


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'rellu'.*relu.*sigmoid"):
        activations.get("rellu")
    with pytest.raises(TypeError, match="activation must be"):
        activations.get(3)
    with pytest.raises(ValueError, match="alpha applies"):
        activations.get("relu", alpha=0.1)
