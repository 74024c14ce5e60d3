"""Weight penalties: L1 pushes weights to exactly zero, L2 shrinks them all.

A regularizer adds penalty(W) to the loss, and so its gradient to dL/dW:

    L1:   l1 sum |W|             gradient  l1 sign(W)
    L2:   l2 sum W^2             gradient  2 l2 W
    L1L2: both

As in Keras, the penalty is added once per batch, not divided by the batch size, and
the defaults are Keras's: L1(0.01), L2(0.01), L1L2(l1=0, l2=0) (set the strengths you
want). Some texts write L2 as (lambda / 2) sum W^2 so that its gradient is lambda W;
Keras's l2 is that lambda / 2.
"""

from __future__ import annotations

import numpy as np

from nnlib._checks import unknown_name

Array = np.ndarray


class Regularizer:
    """penalty(W) and its gradient; ``l1`` and ``l2`` are the two strengths."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        for name, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value >= 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, W: Array) -> float:
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.sum(np.abs(W)))
        if self.l2:
            penalty += self.l2 * float(np.sum(W * W))
        return penalty

    def gradient(self, W: Array) -> Array:
        grad = np.zeros_like(W)
        if self.l1:
            grad += self.l1 * np.sign(W)
        if self.l2:
            grad += 2.0 * self.l2 * W
        return grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


class L1(Regularizer):
    """l1 sum |W| (Keras default l1 = 0.01)."""

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)


class L2(Regularizer):
    """l2 sum W^2 (Keras default l2 = 0.01)."""

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)


class L1L2(Regularizer):
    """l1 sum |W| + l2 sum W^2 (Keras defaults l1 = l2 = 0.0)."""


REGULARIZERS = {"l1": L1, "l2": L2, "l1l2": L1L2, "l1_l2": L1L2}


def get(identifier: str | Regularizer | None) -> Regularizer | None:
    """A regularizer with Keras's defaults for ``"l1"``, ``"l2"`` or ``"l1l2"``; None for none."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"regularizer must be a name such as 'l2', a Regularizer or None, got {identifier!r}")
    if identifier.lower() not in REGULARIZERS:
        raise unknown_name("regularizer", identifier, REGULARIZERS)
    return REGULARIZERS[identifier.lower()]()
