"""Layers: each has a forward pass and, beside it, the backward pass that undoes its shapes.

A layer maps x of shape (n, d_in) to an output of shape (n, d_out). ``forward``
keeps what ``backward`` will need; ``backward(grad)`` receives dL/d(output), stores
dL/d(parameter) in ``grads`` and returns dL/dx. ``params`` and ``grads`` are lists of
arrays in the same order as Keras's ``get_weights()``.
"""

from __future__ import annotations

import numpy as np

from nnlib import activations, initializers
from nnlib._checks import as_float_array

Array = np.ndarray


class Layer:
    """Base class. Subclasses set ``params``/``grads`` in ``build`` and implement the passes."""

    def __init__(self, name: str | None = None):
        self.name = name
        self.params: list[Array] = []
        self.grads: list[Array] = []
        self.input_dim: int | None = None
        self.built = False

    def build(self, input_dim: int, rng: np.random.Generator, dtype="float64") -> None:
        self.input_dim = input_dim
        self.built = True

    @property
    def output_dim(self) -> int:
        raise NotImplementedError

    def forward(self, x: Array, training: bool = False) -> Array:
        raise NotImplementedError

    def backward(self, grad: Array) -> Array:
        raise NotImplementedError

    def __call__(self, x, training: bool = False) -> Array:
        x = as_float_array(x, "x")
        if not self.built:
            if x.ndim != 2:
                raise ValueError(
                    f"{self.name or type(self).__name__} expects x of shape (n_samples, n_features), got {x.shape}"
                )
            self.build(x.shape[1], np.random.default_rng(), x.dtype)
        return self.forward(x, training)

    def get_weights(self) -> list[Array]:
        """Copies of the parameters, as in Keras."""
        return [p.copy() for p in self.params]

    def set_weights(self, weights: list) -> None:
        """Copy ``weights`` into the parameters; shapes must match ``get_weights()``."""
        if len(weights) != len(self.params):
            raise ValueError(
                f"layer {self.name!r} has {len(self.params)} weight arrays, got {len(weights)}"
            )
        for index, (param, value) in enumerate(zip(self.params, weights, strict=True)):
            value = as_float_array(value, f"weights[{index}]")
            if value.shape != param.shape:
                raise ValueError(
                    f"layer {self.name!r}: weights[{index}] must have shape {param.shape}, got {value.shape}"
                )
            param[...] = value

    def _check_input(self, x: Array) -> None:
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(
                f"layer {self.name!r} expects input of shape (n_samples, {self.input_dim}), "
                f"got shape {x.shape}"
            )


class Dense(Layer):
    """A fully connected layer: a = f(z), z = x W + b.

    Shapes: x (n, d_in), W (d_in, units), b (units,), z and a (n, units).

    Backward, given g = dL/da:
        dL/dz = g * f'(z)          (softmax: the Jacobian-vector product)
        dL/dW = x^T dL/dz          (d_in, units)
        dL/db = sum over n of dL/dz (units,)
        dL/dx = dL/dz W^T          (n, d_in)
    """

    def __init__(self, units: int, activation: str | activations.Activation | None = None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_dim: int | None = None, name: str | None = None):
        super().__init__(name)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.declared_input_dim = input_dim

    def build(self, input_dim: int, rng: np.random.Generator, dtype="float64") -> None:
        if self.declared_input_dim is not None and input_dim != self.declared_input_dim:
            raise ValueError(
                f"layer {self.name!r} was declared with input_dim={self.declared_input_dim} "
                f"but receives {input_dim} features"
            )
        super().build(input_dim, rng, dtype)
        self.W = self.kernel_initializer((input_dim, self.units), dtype, rng)
        self.params, self.grads = [self.W], [np.zeros_like(self.W)]
        if self.use_bias:
            self.b = self.bias_initializer((self.units,), dtype, rng)
            self.params.append(self.b)
            self.grads.append(np.zeros_like(self.b))

    @property
    def output_dim(self) -> int:
        return self.units

    def forward(self, x: Array, training: bool = False) -> Array:
        self._check_input(x)
        z = x @ self.W
        if self.use_bias:
            z += self.b
        self.x, self.z = x, z
        self.a = self.activation(z)
        return self.a

    def backward(self, grad: Array) -> Array:
        return self.backward_preactivation(self.activation.backward(self.z, self.a, grad))

    def backward_preactivation(self, grad_z: Array) -> Array:
        """The backward pass from dL/dz, skipping the activation (used when it is fused into the loss)."""
        np.matmul(self.x.T, grad_z, out=self.grads[0])
        if self.use_bias:
            np.sum(grad_z, axis=0, out=self.grads[1])
        return grad_z @ self.W.T

    def __repr__(self) -> str:
        return f"Dense({self.units}, activation={self.activation.name!r})"
