"""Activation functions f(z), each with its derivative f'(z) beside it.

Every function works elementwise on an array of any shape (softmax works along the
last axis) and keeps the dtype of a float32 or float64 input. ``get(name)`` turns a
Keras-style string such as ``"relu"`` into an :class:`Activation`, the object a
:class:`~nnlib.layers.Dense` layer uses in its forward and backward pass.

Where the lecture notes and Keras differ, nnlib follows Keras and says so:

* ``relu_derivative(0) = 0`` as in TensorFlow (the notes' table uses 1; both are valid
  subgradients).
* ``leaky_relu``'s slope ``alpha`` defaults to Keras's 0.2; the notes use 0.1 in one
  place and 0.01 in their table: pass ``alpha`` to choose.
* ``"gelu"`` is the exact GELU z Φ(z), as ``keras.activations.gelu`` (``approximate=False``).
  Its tanh approximation is ``get("gelu", approximate=True)``, what Keras writes as
  ``keras.activations.gelu(x, approximate=True)``. Beware that ``keras.ops.gelu`` defaults to
  the approximation: only the activation defaults to the exact form.
* ``"swish"`` is another name for ``"silu"``, z σ(z), as in Keras.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnlib._checks import unknown_name

Array = np.ndarray


def _float(z) -> Array:
    z = np.asarray(z)
    return z if z.dtype in (np.float32, np.float64) else z.astype(np.float64)


def sigmoid(z) -> Array:
    """sigma(z) = 1 / (1 + e^-z), computed without overflow for any |z|."""
    z = _float(z)
    # e^-|z| never overflows; sigma(z) = 1/(1+e^-z) for z >= 0 and e^z/(1+e^z) for z < 0.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # float32 stays float32: e has z's type


def sigmoid_derivative(z) -> Array:
    """sigma'(z) = sigma(z) (1 - sigma(z)) = e^-z / (1 + e^-z)^2."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z) -> Array:
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z)."""
    return np.tanh(_float(z))


def tanh_derivative(z) -> Array:
    """tanh'(z) = 1 - tanh(z)^2."""
    t = np.tanh(_float(z))
    return 1.0 - t * t


def relu(z) -> Array:
    """relu(z) = max(0, z)."""
    z = _float(z)
    return np.maximum(z, 0.0)  # a Python float keeps float32 float32


def relu_derivative(z) -> Array:
    """relu'(z) = 1 for z > 0, else 0 (TensorFlow's choice at z = 0)."""
    z = _float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, alpha: float = 0.2) -> Array:
    """leaky_relu(z) = z for z >= 0, alpha z for z < 0 (alpha = 0.2 by default, as the
    functions ``keras.activations.leaky_relu`` and ``tf.nn.leaky_relu``; the ``keras.layers.LeakyReLU``
    layer defaults to 0.3)."""
    z = _float(z)
    return np.asarray(np.where(z >= 0, z, alpha * z), dtype=z.dtype)


def leaky_relu_derivative(z, alpha: float = 0.2) -> Array:
    """leaky_relu'(z) = 1 for z > 0, alpha for z <= 0 (TensorFlow's choice at z = 0)."""
    z = _float(z)
    return np.asarray(np.where(z > 0, 1.0, alpha), dtype=z.dtype)


def elu(z, alpha: float = 1.0) -> Array:
    """elu(z) = z for z > 0, alpha (e^z - 1) for z <= 0."""
    z = _float(z)
    # expm1 of min(z, 0): never overflows, and exact near 0.
    return np.asarray(np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))), dtype=z.dtype)


def elu_derivative(z, alpha: float = 1.0) -> Array:
    """elu'(z) = 1 for z > 0, alpha e^z for z <= 0."""
    z = _float(z)
    return np.asarray(np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))), dtype=z.dtype)


def softplus(z) -> Array:
    """softplus(z) = ln(1 + e^z), computed as max(z, 0) + ln(1 + e^-|z|) so it never overflows."""
    z = _float(z)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def softplus_derivative(z) -> Array:
    """softplus'(z) = sigma(z): softplus is a smooth ReLU whose slope is the sigmoid."""
    return sigmoid(z)


# ---- the error function, for GELU -----------------------------------------------------------
# NumPy has no erf. The two classical expansions below give it to float64 precision, each where it
# converges fast: a series for |x| < 1.5 and a continued fraction beyond (see ``erf``).

_SERIES_TERMS = 25  # enough for |x| < 1.5: the first term left out is below 2e-18 of the sum
_FRACTION_TERMS = 80  # enough for |x| >= 1.5 (fewer would do further out)
_SERIES_END = 1.5
# erfc(x) underflows to 0 beyond 27.3: capping |x| at 30 changes nothing and keeps x^2 finite (x may be inf).
_ERF_CAP = 30.0
# 2^n / (2n + 1)!!, the coefficients of the series below, built by their recurrence.
_SERIES_COEFFICIENTS = np.cumprod([1.0] + [2.0 / (2 * n + 1) for n in range(1, _SERIES_TERMS)])


def _exp_minus_square(x: Array) -> Array:
    """e^{-x^2}, split as e^{-s^2} e^{-(x - s)(x + s)} with s = x rounded to 1/16.

    s^2 is exact in float64, so the rounding of x^2 (an absolute error of up to 1e-13 when
    x^2 is near 700) does not become a relative error of e^{-x^2}.
    """
    s = np.round(x * 16.0) / 16.0
    return np.exp(-s * s) * np.exp(-(x - s) * (x + s))


def _erf_series(x: Array) -> Array:
    """erf(x) = (2 / sqrt(pi)) e^{-x^2} sum_n 2^n x^{2n+1} / (2n + 1)!!, for 0 <= x < 1.5.

    Every term is positive, so nothing cancels (the Taylor series of erf alternates). The
    polynomial in x^2 is summed by Horner's rule.
    """
    x2 = x * x
    total = np.full_like(x, _SERIES_COEFFICIENTS[-1])
    for coefficient in _SERIES_COEFFICIENTS[-2::-1]:
        total *= x2
        total += coefficient
    return (2.0 / math.sqrt(math.pi)) * x * _exp_minus_square(x) * total


def _erfc_continued_fraction(x: Array) -> Array:
    """erfc(x) = (e^{-x^2} / sqrt(pi)) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...))))), x >= 1.5.

    Laplace's continued fraction, evaluated from its far end inwards. It gives the small
    erfc(x) to full relative precision, which 1 - erf(x) cannot (it cancels).
    """
    t = x.copy()
    for k in range(_FRACTION_TERMS, 0, -1):
        np.divide(k / 2.0, t, out=t)
        t += x
    return _exp_minus_square(x) / (math.sqrt(math.pi) * t)


def _erf_parts(x) -> tuple[Array, Array, Array]:
    """x as float64, the mask |x| < 1.5, and erf(|x|) there / erfc(|x|) elsewhere."""
    x = np.asarray(x, dtype=np.float64)
    a = np.minimum(np.abs(x), _ERF_CAP)
    near = a < _SERIES_END
    part = np.empty_like(a)
    part[near] = _erf_series(a[near])
    part[~near] = _erfc_continued_fraction(a[~near])
    return x, near, part


def erf(x) -> Array:
    """erf(x) = (2 / sqrt(pi)) integral_0^x e^{-t^2} dt, in float64, to within a few units in the last place.

    Computed by the series in ``_erf_series`` for |x| < 1.5 and as 1 - erfc(|x|) with the
    continued fraction in ``_erfc_continued_fraction`` beyond; erf(-x) = -erf(x).
    """
    x, near, part = _erf_parts(x)
    return np.copysign(np.where(near, part, 1.0 - part), x)


def erfc(x) -> Array:
    """erfc(x) = 1 - erf(x), in float64; for x >= 1.5 to full relative precision however small.

    For x <= -1.5 it is 2 - erfc(|x|); for |x| < 1.5 it is 1 - erf(x), whose relative error
    stays below 2e-14 there (erfc(1.5) = 0.034 is the smallest value taken this way).
    """
    x, near, part = _erf_parts(x)
    return np.where(near, 1.0 - np.copysign(part, x), np.where(x < 0, 2.0 - part, part))


_SQRT_HALF = math.sqrt(0.5)  # 1 / sqrt(2)
_PDF_CAP = 40.0  # φ(40) = 0 in float64: capping |z| there changes no value of normal_pdf


def normal_cdf(z) -> Array:
    """Φ(z) = P(Z <= z) for a standard normal Z = (1 + erf(z / sqrt(2))) / 2 = erfc(-z / sqrt(2)) / 2, in float64.

    The erfc form keeps the left tail exact: Φ(-30) = 4.9e-198, not 1 - 1 = 0.
    """
    return 0.5 * erfc(-np.asarray(z, dtype=np.float64) * _SQRT_HALF)


def normal_pdf(z) -> Array:
    """φ(z) = Φ'(z) = e^{-z^2 / 2} / sqrt(2 pi) = e^{-w^2} / (sqrt(2) sqrt(pi)) with w = z / sqrt(2), in float64."""
    w = np.minimum(np.abs(np.asarray(z, dtype=np.float64)), _PDF_CAP) * _SQRT_HALF
    return _SQRT_HALF * np.exp(-w * w) / math.sqrt(math.pi)


# ---- GELU and SiLU -----------------------------------------------------------------------------
# The products z Φ(z), z σ(z) are 0 times infinity at z = -inf. Where the second factor is already
# exactly 0 in float64 (z < -40 for Φ, z < -800 for σ), z is floored without changing any value.

_GELU_FLOOR = -40.0
_SILU_FLOOR = -800.0
_GELU_TANH_CUBIC = 0.044715
_GELU_TANH_SCALE = math.sqrt(2.0 / math.pi)
_GELU_TANH_CLIP = 50.0  # beyond it sigma(2u) is exactly 0 or 1 (see _gelu_tanh_argument)


def _gelu_tanh_argument(z: Array) -> tuple[Array, Array, Array]:
    """(z clipped to [-50, 50], u = sqrt(2/pi) (z + 0.044715 z^3), du/dz) of the tanh approximation.

    Beyond |z| = 50, sigma(2u) is exactly 0 or 1 in float32 and float64, so clipping changes no
    value, and z^3 cannot overflow.
    """
    zc = np.clip(z, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    u = _GELU_TANH_SCALE * (zc + _GELU_TANH_CUBIC * zc**3)
    du = _GELU_TANH_SCALE * (1.0 + 3.0 * _GELU_TANH_CUBIC * zc * zc)
    return zc, u, du


def gelu(z, approximate: bool = False) -> Array:
    """gelu(z) = z Φ(z) = (z / 2) (1 + erf(z / sqrt(2))), Φ the standard normal CDF (Keras's default).

    ``approximate=True`` is the tanh approximation (Hendrycks and Gimpel) that Keras offers as
    ``gelu(x, approximate=True)``:

        gelu(z) ≈ (z / 2) (1 + tanh(u)) = z sigma(2u),   u = sqrt(2/pi) (z + 0.044715 z^3),

    computed as z sigma(2u), which is the same number without the cancellation in 1 + tanh(u)
    for negative z. The exact form is computed in float64 (``normal_cdf``) and returned in the
    input's dtype.
    """
    z = _float(z)
    if approximate:
        _, u, _ = _gelu_tanh_argument(z)
        return np.maximum(z, -_GELU_TANH_CLIP) * sigmoid(2.0 * u)  # sigma(2u) = 0 below -50: no -inf * 0
    return np.asarray(np.maximum(z, _GELU_FLOOR) * normal_cdf(z), dtype=z.dtype)


def gelu_derivative(z, approximate: bool = False) -> Array:
    """gelu'(z) = Φ(z) + z φ(z), φ = Φ' the standard normal density.

    Approximate form: d/dz [z sigma(2u)] = sigma(2u) + 2 z sigma(2u) sigma(-2u) du/dz, with
    du/dz = sqrt(2/pi) (1 + 3 * 0.044715 z^2).
    """
    z = _float(z)
    if approximate:
        zc, u, du = _gelu_tanh_argument(z)
        s = sigmoid(2.0 * u)
        return s + 2.0 * zc * s * sigmoid(-2.0 * u) * du
    z64 = np.clip(z, _GELU_FLOOR, -_GELU_FLOOR).astype(np.float64)  # z φ(z) = 0 beyond |z| = 40
    return np.asarray(normal_cdf(z) + z64 * normal_pdf(z64), dtype=z.dtype)


def silu(z) -> Array:
    """silu(z) = swish(z) = z sigma(z): a smooth ReLU that dips below 0 (to -0.278 at z = -1.278)."""
    z = _float(z)
    return np.maximum(z, _SILU_FLOOR) * sigmoid(z)


def silu_derivative(z) -> Array:
    """silu'(z) = sigma(z) + z sigma(z) (1 - sigma(z)) = sigma(z) (1 + z sigma(-z)).

    1 - sigma(z) is taken as sigma(-z), which stays exact where sigma(z) rounds to 1.
    """
    z = _float(z)
    s = sigmoid(z)
    return s + np.clip(z, _SILU_FLOOR, -_SILU_FLOOR) * s * sigmoid(-z)


def softmax(z, axis: int = -1) -> Array:
    """softmax(z)_j = e^{z_j} / sum_i e^{z_i} along ``axis``; each row sums to 1.

    Subtracting the row maximum first changes nothing mathematically and keeps every
    exponent <= 0, so nothing overflows.
    """
    z = _float(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_derivative(z) -> Array:
    """The Jacobian d softmax(z)_i / d z_j = s_i (delta_ij - s_j), shape (..., k, k).

    Softmax mixes its inputs, so its derivative is a matrix per row rather than a
    number per element. Training never builds it: see :func:`softmax_backward`.
    """
    s = softmax(z)
    return s[..., :, None] * (np.eye(s.shape[-1], dtype=s.dtype) - s[..., None, :])


def softmax_backward(s: Array, grad: Array) -> Array:
    """dL/dz from dL/ds for s = softmax(z): s * (grad - sum(grad * s)), row by row."""
    return s * (grad - np.sum(grad * s, axis=-1, keepdims=True))


def linear(z) -> Array:
    """linear(z) = z: no activation (the output layer of a regression network)."""
    return _float(z)


def linear_derivative(z) -> Array:
    """linear'(z) = 1."""
    return np.ones_like(_float(z))


@dataclass(frozen=True)
class Activation:
    """An activation as a layer uses it: f, f' and the backward step dL/dz.

    ``derivative`` is f'(z). ``from_output``, if set, gives f' from the output a = f(z)
    instead, when that is cheaper (sigmoid: a(1 - a)). ``vector_jacobian``, if set, is used
    where the derivative is a Jacobian matrix rather than a number per element (softmax):
    it maps (a, dL/da) to dL/dz without building the Jacobian. :meth:`backward` uses the
    first of ``vector_jacobian``, ``from_output`` and ``derivative`` that is set.
    """

    name: str
    function: Callable[[Array], Array]
    derivative: Callable[[Array], Array]
    from_output: Callable[[Array], Array] | None = None
    vector_jacobian: Callable[[Array, Array], Array] | None = None

    def __call__(self, z) -> Array:
        return self.function(z)

    def backward(self, z: Array, a: Array, grad: Array) -> Array:
        """dL/dz, given the input z, the output a = f(z) and dL/da, all of one shape."""
        if self.vector_jacobian is not None:
            return self.vector_jacobian(a, grad)
        if self.from_output is not None:
            return grad * self.from_output(a)
        return grad * self.derivative(z)


def _leaky(alpha: float) -> Activation:
    return Activation(
        f"leaky_relu(alpha={alpha})",
        lambda z: leaky_relu(z, alpha),
        lambda z: leaky_relu_derivative(z, alpha),
    )


def _elu(alpha: float) -> Activation:
    return Activation(f"elu(alpha={alpha})", lambda z: elu(z, alpha), lambda z: elu_derivative(z, alpha))


GELU_TANH = Activation(
    "gelu(approximate=True)",
    functools.partial(gelu, approximate=True),
    functools.partial(gelu_derivative, approximate=True),
)
_SILU = Activation("silu", silu, silu_derivative)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative, from_output=lambda a: a * (1.0 - a)),
    "tanh": Activation("tanh", tanh, tanh_derivative, from_output=lambda a: 1.0 - a * a),
    "relu": Activation("relu", relu, relu_derivative, from_output=lambda a: (a > 0).astype(a.dtype)),
    "leaky_relu": _leaky(0.2),
    "elu": _elu(1.0),
    "softplus": Activation("softplus", softplus, softplus_derivative),
    "gelu": Activation("gelu", gelu, gelu_derivative),
    "silu": _SILU,
    "swish": _SILU,  # Keras's other name for silu
    "softmax": Activation("softmax", softmax, softmax_derivative, vector_jacobian=softmax_backward),
    "linear": Activation("linear", linear, linear_derivative, from_output=np.ones_like),
}


def get(identifier: str | Activation | None, alpha: float | None = None,
        approximate: bool | None = None) -> Activation:
    """The :class:`Activation` for a name such as ``"relu"``; None means ``"linear"``.

    ``alpha`` sets the slope of ``leaky_relu`` or the scale of ``elu``. ``approximate=True``
    picks GELU's tanh approximation (``"gelu"`` alone is the exact GELU, as in Keras), for
    example ``Dense(64, activation=activations.get("gelu", approximate=True))``.
    """
    if identifier is None:
        return ACTIVATIONS["linear"]
    if isinstance(identifier, Activation):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(
            f"activation must be a name such as 'relu', an Activation or None, got {identifier!r}"
        )
    if identifier not in ACTIVATIONS:
        raise unknown_name("activation", identifier, ACTIVATIONS)
    if alpha is not None and approximate is not None:  # no activation takes both: one would be ignored
        raise ValueError(f"alpha and approximate cannot both be given (for {identifier!r})")
    if alpha is not None:
        if identifier == "leaky_relu":
            return _leaky(alpha)
        if identifier == "elu":
            return _elu(alpha)
        raise ValueError(f"alpha applies to 'leaky_relu' and 'elu' only, not to {identifier!r}")
    if approximate is not None:
        if identifier != "gelu":
            raise ValueError(f"approximate applies to 'gelu' only, not to {identifier!r}")
        if not isinstance(approximate, (bool, np.bool_)):
            raise TypeError(f"approximate must be True or False, got {approximate!r}")
        return GELU_TANH if approximate else ACTIVATIONS["gelu"]
    return ACTIVATIONS[identifier]
