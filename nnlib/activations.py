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
"""

from __future__ import annotations

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
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


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
    return np.maximum(z, 0.0, dtype=z.dtype)


def relu_derivative(z) -> Array:
    """relu'(z) = 1 for z > 0, else 0 (TensorFlow's choice at z = 0)."""
    z = _float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, alpha: float = 0.2) -> Array:
    """leaky_relu(z) = z for z >= 0, alpha z for z < 0 (Keras's default alpha = 0.2)."""
    z = _float(z)
    return np.where(z >= 0, z, alpha * z).astype(z.dtype, copy=False)


def leaky_relu_derivative(z, alpha: float = 0.2) -> Array:
    """leaky_relu'(z) = 1 for z > 0, alpha for z <= 0 (TensorFlow's choice at z = 0)."""
    z = _float(z)
    return np.where(z > 0, 1.0, alpha).astype(z.dtype, copy=False)


def elu(z, alpha: float = 1.0) -> Array:
    """elu(z) = z for z > 0, alpha (e^z - 1) for z <= 0."""
    z = _float(z)
    # expm1 of min(z, 0): never overflows, and exact near 0.
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))).astype(z.dtype, copy=False)


def elu_derivative(z, alpha: float = 1.0) -> Array:
    """elu'(z) = 1 for z > 0, alpha e^z for z <= 0."""
    z = _float(z)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))).astype(z.dtype, copy=False)


def softplus(z) -> Array:
    """softplus(z) = ln(1 + e^z), computed as max(z, 0) + ln(1 + e^-|z|) so it never overflows."""
    z = _float(z)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def softplus_derivative(z) -> Array:
    """softplus'(z) = sigma(z): softplus is a smooth ReLU whose slope is the sigmoid."""
    return sigmoid(z)


def softmax(z, axis: int = -1) -> Array:
    """softmax(z)_j = e^{z_j} / sum_i e^{z_i} along ``axis``; each row sums to 1.

    Subtracting the row maximum first changes nothing mathematically and keeps every
    exponent <= 0, so nothing overflows.
    """
    z = _float(z)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


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

    ``from_output`` gives f' from the output a = f(z) when that is cheaper (sigmoid:
    a(1 - a)); ``backward`` is set where the derivative is a Jacobian (softmax).
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


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative, from_output=lambda a: a * (1.0 - a)),
    "tanh": Activation("tanh", tanh, tanh_derivative, from_output=lambda a: 1.0 - a * a),
    "relu": Activation("relu", relu, relu_derivative, from_output=lambda a: (a > 0).astype(a.dtype)),
    "leaky_relu": _leaky(0.2),
    "elu": _elu(1.0),
    "softplus": Activation("softplus", softplus, softplus_derivative),
    "softmax": Activation("softmax", softmax, softmax_derivative, vector_jacobian=softmax_backward),
    "linear": Activation("linear", linear, linear_derivative, from_output=np.ones_like),
}


def get(identifier: str | Activation | None, alpha: float | None = None) -> Activation:
    """The :class:`Activation` for a name such as ``"relu"``; None means ``"linear"``.

    ``alpha`` sets the slope of ``leaky_relu`` or the scale of ``elu``.
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
    if alpha is not None:
        if identifier == "leaky_relu":
            return _leaky(alpha)
        if identifier == "elu":
            return _elu(alpha)
        raise ValueError(f"alpha applies to 'leaky_relu' and 'elu' only, not to {identifier!r}")
    return ACTIVATIONS[identifier]
