"""Activations: known values, derivatives against numerical gradients, stability, errors."""

import functools
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
    "gelu": (activations.gelu, activations.gelu_derivative),
    "gelu_approximate": (functools.partial(activations.gelu, approximate=True),
                         functools.partial(activations.gelu_derivative, approximate=True)),
    "silu": (activations.silu, activations.silu_derivative),
}


def gelu_by_hand(v: float) -> float:
    return v * 0.5 * (1 + math.erf(v / math.sqrt(2)))


def gelu_tanh_by_hand(v: float) -> float:
    return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))


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
        "gelu": [gelu_by_hand(v) for v in z],
        "gelu_approximate": [gelu_tanh_by_hand(v) for v in z],
        "silu": [v / (1 + math.exp(-v)) for v in z],
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
    # gelu' = Φ(z) + z φ(z); silu' = σ(z) (1 + z (1 - σ(z))); both 1/2 at 0.
    phi = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z])
    np.testing.assert_allclose(activations.gelu_derivative(z), cdf + z * phi, rtol=1e-13)
    np.testing.assert_allclose(activations.silu_derivative(z), s * (1 + z * (1 - s)), rtol=1e-13)
    assert activations.gelu_derivative(np.array([0.0]))[0] == activations.silu_derivative(np.array([0.0]))[0] == 0.5
    u = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
    du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * z**2)
    np.testing.assert_allclose(activations.gelu_derivative(z, approximate=True),
                               0.5 * (1 + np.tanh(u)) + 0.5 * z * (1 - np.tanh(u) ** 2) * du, rtol=1e-13)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_derivative_matches_numerical_gradient(name, rng):
    function, derivative = ELEMENTWISE[name]
    # Keep away from the kinks at 0, where the one-sided slopes differ.
    z = rng.uniform(-4, 4, 50)
    z = z[np.abs(z) > 1e-3]
    numeric = numerical_gradient(lambda: float(np.sum(function(z))), z)
    assert relative_error(derivative(z), numeric) < 1e-7


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "linear", "gelu",
                                  "silu", "swish"])
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


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "softmax", "tanh", "elu", "relu", "leaky_relu", "gelu",
                                  "gelu_approximate", "silu"])
def test_stable_at_extreme_inputs(name):
    """No overflow warning (pytest turns RuntimeWarning into an error) and no NaN up to |z| = 1e4."""
    function = activations.get("gelu", approximate=True) if name == "gelu_approximate" else activations.get(name)
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


@pytest.mark.parametrize("name", ["gelu", "gelu_approximate", "silu"])
def test_infinite_inputs_give_the_limits(name):
    """f(-inf) = 0, f(inf) = inf, f'(-inf) = 0, f'(inf) = 1: no inf * 0 = nan (and no warning) in z Φ(z), z σ(z)."""
    function, derivative = ELEMENTWISE[name]
    for dtype in (np.float64, np.float32):
        z = np.array([-np.inf, np.finfo(dtype).min, np.finfo(dtype).max, np.inf], dtype)
        np.testing.assert_array_equal(function(z), [0, 0, z[2], np.inf])
        np.testing.assert_array_equal(derivative(z), [0, 0, 1, 1])
        assert function(z).dtype == derivative(z).dtype == dtype


def test_erf_is_float64_precise():
    """erf and erfc against the C library's (math.erf, math.erfc), which are correct to about 1 ulp."""
    x = np.concatenate([np.linspace(-6, 6, 24001), np.geomspace(1e-300, 26, 2000), -np.geomspace(1e-300, 6, 2000)])
    erf_ref = np.array([math.erf(v) for v in x])
    erfc_ref = np.array([math.erfc(v) for v in x])
    nonzero = erf_ref != 0
    assert np.max(np.abs(activations.erf(x) - erf_ref)) < 1e-15
    assert np.max(np.abs(activations.erf(x) - erf_ref)[nonzero] / np.abs(erf_ref[nonzero])) < 2e-15
    assert np.max(np.abs(activations.erfc(x) - erfc_ref)) < 1e-15
    # Relative precision of erfc: full beyond 1.5 (down to erfc(26) = 5.7e-296), 1 - erf(x) below.
    relative = np.abs(activations.erfc(x) - erfc_ref) / erfc_ref
    assert np.max(relative[x >= 1.5]) < 5e-15
    assert np.max(relative) < 5e-14
    np.testing.assert_array_equal(activations.erf(-x), -activations.erf(x))


def test_erf_special_values_and_shapes():
    np.testing.assert_array_equal(activations.erf(np.array([0.0, np.inf, -np.inf])), [0.0, 1.0, -1.0])
    np.testing.assert_array_equal(activations.erfc(np.array([0.0, np.inf, -np.inf])), [1.0, 0.0, 2.0])
    assert np.isnan(activations.erf(np.array([np.nan]))[0]) and np.isnan(activations.erfc(np.array([np.nan]))[0])
    assert activations.erf(0.5) == pytest.approx(math.erf(0.5), rel=1e-15)
    assert activations.erf(np.ones((2, 3, 4))).shape == (2, 3, 4)
    assert activations.erf(np.ones(3, np.float32)).dtype == np.float64


def test_normal_cdf_keeps_the_left_tail():
    """Φ(z) = erfc(-z / sqrt 2) / 2: the tail is exact where (1 + erf(z / sqrt 2)) / 2 would give 1 - 1 = 0."""
    z = np.array([-37.0, -30.0, -10.0, -1.0, 0.0, 1.0, 10.0])
    # z / sqrt 2 may round either way, which far out moves Φ by about z^2 ulp: round as nnlib does.
    expected = [0.5 * math.erfc(-v * math.sqrt(0.5)) for v in z]
    np.testing.assert_allclose(activations.normal_cdf(z), expected, rtol=1e-13)
    assert activations.normal_cdf(np.array([-30.0]))[0] > 0
    assert relative_error(activations.normal_pdf(z), numerical_gradient(
        lambda: float(np.sum(activations.normal_cdf(z))), z, h=1e-5)) < 1e-8


def test_gelu_and_its_approximation():
    """The tanh form stays within 5e-4 of the exact GELU; both are about relu far from 0."""
    z = np.linspace(-6, 6, 1201)
    gap = np.abs(activations.gelu(z) - activations.gelu(z, approximate=True))
    assert 1e-4 < np.max(gap) < 5e-4
    far = np.array([-12.0, 12.0])
    np.testing.assert_allclose(activations.gelu(far), [0, 12], atol=1e-30)
    np.testing.assert_allclose(activations.gelu(far, approximate=True), [0, 12], atol=1e-30)
    # silu's minimum: -0.278 at z = -1.278, where silu' = 0.
    assert activations.silu(np.array([-1.2784645])) == pytest.approx(-0.2784645, abs=1e-7)
    assert abs(activations.silu_derivative(np.array([-1.2784645]))[0]) < 1e-7


def test_gelu_keeps_float32():
    z = np.linspace(-5, 5, 11, dtype=np.float32)
    for approximate in (False, True):
        for f in (activations.gelu, activations.gelu_derivative):
            out = f(z, approximate=approximate)
            assert out.dtype == np.float32
            np.testing.assert_allclose(out, f(z.astype(np.float64), approximate=approximate), rtol=1e-6, atol=1e-7)


def test_gelu_and_silu_by_name():
    """"gelu" is the exact GELU, as in Keras; "swish" is "silu"; approximate=True picks the tanh form."""
    z = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(activations.get("gelu")(z), activations.gelu(z))
    assert activations.get("swish") is activations.get("silu")
    tanh_form = activations.get("gelu", approximate=True)
    assert tanh_form is activations.get("gelu", approximate=True) and tanh_form.name == "gelu(approximate=True)"
    np.testing.assert_array_equal(tanh_form(z), activations.gelu(z, approximate=True))
    np.testing.assert_array_equal(tanh_form.derivative(z), activations.gelu_derivative(z, approximate=True))
    assert activations.get("gelu", approximate=False) is activations.get("gelu")
    with pytest.raises(ValueError, match="approximate applies to 'gelu' only"):
        activations.get("relu", approximate=True)
    for name in ("leaky_relu", "gelu"):  # a saved config with both keys is refused, not half read
        with pytest.raises(ValueError, match=f"^alpha and approximate cannot both be given \\(for '{name}'\\)$"):
            activations.get(name, alpha=0.1, approximate=True)
    with pytest.raises(TypeError, match="approximate must be True or False"):
        activations.get("gelu", approximate="yes")


def test_backward_takes_the_first_of_vector_jacobian_from_output_derivative():
    """The docstring of Activation and its backward agree: vector_jacobian, then from_output, then derivative."""
    z, a, grad = np.array([1.0, 2.0]), np.array([10.0, 20.0]), np.array([1.0, -1.0])

    def derivative(v):
        return np.full_like(v, 2.0)

    def from_output(v):
        return np.full_like(v, 3.0)

    def vector_jacobian(s, g):
        return s * g

    assert list(activations.Activation("d", np.tanh, derivative).backward(z, a, grad)) == [2.0, -2.0]
    assert list(activations.Activation("o", np.tanh, derivative, from_output).backward(z, a, grad)) == [3.0, -3.0]
    both = activations.Activation("v", np.tanh, derivative, from_output, vector_jacobian)
    assert list(both.backward(z, a, grad)) == [10.0, -20.0]
    assert "vector_jacobian" in activations.Activation.__doc__ and "``backward`` is set" not in activations.__doc__


def test_get_and_parameters():
    assert activations.get(None).name == "linear"
    assert activations.get("relu") is activations.get("relu")
    leaky = activations.get("leaky_relu", alpha=0.01)
    np.testing.assert_allclose(leaky(np.array([-1.0, 1.0])), [-0.01, 1.0])
    elu = activations.get("elu", alpha=0.5)
    np.testing.assert_allclose(elu(np.array([-1.0])), [0.5 * (math.exp(-1) - 1)])


@pytest.mark.parametrize(("name", "alpha", "default"), [("leaky_relu", 0.1, 0.2), ("elu", 0.5, 1.0)])
def test_alpha_reaches_the_derivative_and_the_name(name, alpha, default):
    """The derivative (and so backpropagation) uses the chosen alpha, not the default one."""
    activation = activations.get(name, alpha=alpha)
    assert activation.name == f"{name}(alpha={alpha})"
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    numeric = np.array([(activation(np.array([v + 1e-6])) - activation(np.array([v - 1e-6])))[0] / 2e-6 for v in z])
    np.testing.assert_allclose(activation.derivative(z), numeric, rtol=1e-8)
    np.testing.assert_allclose(activation.backward(z, activation(z), np.ones(4)), numeric, rtol=1e-8)
    assert activation.derivative(np.array([-1e-3]))[0] != activations.get(name).derivative(np.array([-1e-3]))[0]


def test_float32_in_float32_out_computed_in_float64_where_promised():
    z = np.linspace(-6.0, 6.0, 101).astype(np.float32)
    for name in ("leaky_relu", "elu"):  # even with a NumPy float64 alpha
        activation = activations.get(name, alpha=np.float64(0.1))
        assert activation(z).dtype == activation.derivative(z).dtype == np.float32
    assert activations.relu_derivative(z).dtype == np.float32
    assert activations.softmax_derivative(z.reshape(1, -1)).dtype == np.float32
    # The normal CDF and density are float64 whatever the input: no float32 rounding of z / sqrt(2).
    np.testing.assert_array_equal(activations.normal_cdf(z), activations.normal_cdf(z.astype(np.float64)))
    np.testing.assert_array_equal(activations.normal_pdf(z), activations.normal_pdf(z.astype(np.float64)))


def test_softmax_jacobian_and_backward_of_one_sample(rng):
    """A single vector (k,) works like a batch of one: Jacobian (k, k), backward (k,)."""
    z, grad = rng.normal(size=4), rng.normal(size=4)
    jacobian = activations.softmax_derivative(z)
    assert jacobian.shape == (4, 4)
    np.testing.assert_allclose(jacobian, activations.softmax_derivative(z[None, :])[0], rtol=1e-15)
    s = activations.softmax(z[None, :])[0]
    np.testing.assert_allclose(activations.softmax_backward(s, grad), jacobian.T @ grad, rtol=1e-12)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'rellu'.*relu.*sigmoid"):
        activations.get("rellu")
    with pytest.raises(TypeError, match="activation must be"):
        activations.get(3)
    with pytest.raises(ValueError, match="alpha applies"):
        activations.get("relu", alpha=0.1)
