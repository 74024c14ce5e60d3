"""Numerical gradients: the check that every backward pass in nnlib is right.

The central difference (f(w + h) - f(w - h)) / 2h has an error of order h^2, so in
float64 with h = 1e-6 it agrees with a correct analytic gradient to about 1e-8 in
relative terms, where a mistake (a flipped sign, a missing factor) scores about 1: the book
passes a check below 1e-7 (chapter 3), with the relative error of ``relative_error``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnlib._checks import rng_from

Array = np.ndarray


def numerical_gradient(f: Callable[[], float], x: Array, h: float = 1e-6) -> Array:
    """df/dx by central differences, nudging each entry of ``x`` in place and restoring it.

    ``f`` takes no arguments and reads ``x`` (a weight array of a layer, say), so any
    computation that depends on ``x`` can be checked.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)  # pragma: no mutate (reshape(-2) flattens too)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be a contiguous array that f reads, not a copy")
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        f_plus = f()
        flat[i] = original - h
        f_minus = f()
        flat[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(analytic: Array, numeric: Array, floor: float = 1e-8) -> float:
    """max |a - n| / max(max |a| + max |n|, floor): 0 for a perfect match, about 1 for nonsense.

    The scale is the gradient's largest entry, not each entry's own size: a finite
    difference has an absolute error of about 1e-10, which would make an entry of 1e-8
    look wrong on its own although the gradient is right.
    """
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    if analytic.shape != numeric.shape:
        raise ValueError(f"shapes differ: analytic {analytic.shape}, numeric {numeric.shape}")
    if analytic.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(analytic)) + np.max(np.abs(numeric))), floor)
    return float(np.max(np.abs(analytic - numeric)) / scale)


def check_layer(layer, x: Array, seed: int | np.random.Generator | None = 0, h: float = 1e-6,
                training: bool = True) -> dict[str, float]:
    """Relative errors of a built layer's backward pass, for its input and each parameter.

    The scalar checked is L = sum(forward(x) * G) for a fixed random G, so dL/d(output)
    is G and every output element takes part. ``training`` picks the mode of layers that
    have two (BatchNormalization). A layer that draws random numbers in its forward pass
    (Dropout in training) cannot be checked this way: each call would draw anew.
    """
    x = np.array(x, dtype=np.float64)
    output = layer.forward(x, training=training)
    G = rng_from(seed).standard_normal(output.shape)
    grad_x = layer.backward(G)
    analytic = [grad_x, *[g.copy() for g in layer.grads]]

    def loss() -> float:
        return float(np.sum(layer.forward(x, training=training) * G))

    errors = {"input": relative_error(analytic[0], numerical_gradient(loss, x, h))}
    for index, (param, grad) in enumerate(zip(layer.params, analytic[1:], strict=True)):  # pragma: no mutate
        errors[f"params[{index}]"] = relative_error(grad, numerical_gradient(loss, param, h))
    return errors


def check_model(model, x: Array, y: Array, h: float = 1e-6) -> float:
    """The largest relative error over all of a compiled model's weight gradients on (x, y)."""
    x, y = model.prepare_data(x, y)
    model.compute_gradients(x, y)
    analytic = [g.copy() for g in model.gradients]

    def loss() -> float:  # the training loss, weight penalties included
        return model.compute_loss(y, model.forward(x, training=True))

    pairs = zip(analytic, model.trainable_weights, strict=True)  # pragma: no mutate (one gradient per weight)
    return max(relative_error(a, numerical_gradient(loss, w, h)) for a, w in pairs)
