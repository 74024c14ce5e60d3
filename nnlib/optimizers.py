"""Optimizers: how a gradient becomes a step. Each keeps its state in plain sight.

``optimizer.apply(grads, params)`` updates every parameter array in place (the
Keras order: gradients first). The state an optimizer carries between steps is an
attribute holding one array per parameter, so it can be printed, plotted and tested:

=========  =====================================================  ==================
optimizer  state                                                  Keras default lr
=========  =====================================================  ==================
SGD        ``velocities`` (with momentum)                         0.01
Adagrad    ``accumulators`` (sum of g^2, starting at 0.1)         0.001
RMSprop    ``accumulators`` (moving mean of g^2)                  0.001
Adadelta   ``accumulated_grads``, ``accumulated_updates``         0.001
Adam       ``m``, ``v`` (moving means of g and g^2)               0.001
=========  =====================================================  ==================

``iterations`` counts the steps taken. The formulas are Keras 3's, which differ from
some textbooks in where epsilon sits; each docstring says how.
"""

from __future__ import annotations

import math

import numpy as np

from nnlib._checks import unknown_name

Array = np.ndarray


def _number(name: str, value, low: float, high: float = np.inf, low_open: bool = False,
            high_open: bool = False) -> float:
    """``value`` as a float, or a ValueError naming the hyperparameter and its allowed range."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and np.isfinite(value) and (value > low if low_open else value >= low)
    ok = ok and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: ``apply`` checks the inputs, creates the state once, then steps."""

    def __init__(self, learning_rate: float):
        self.learning_rate = _number("learning_rate", learning_rate, 0.0, low_open=True)
        self.iterations = 0
        self._shapes: list[tuple[int, ...]] | None = None

    def apply(self, grads: list[Array], params: list[Array]) -> None:
        """One step: update each array in ``params`` in place from its gradient in ``grads``."""
        if len(grads) != len(params):
            raise ValueError(f"got {len(grads)} gradients for {len(params)} parameters")
        shapes = [p.shape for p in params]
        if self._shapes is None:
            self.build(params)
        elif shapes != self._shapes:
            raise ValueError(
                f"this optimizer was first used for parameters of shapes {self._shapes}, now "
                f"{shapes}: use a new optimizer for another model"
            )
        for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
            if grad.shape != param.shape:  # checked for all before any is changed
                raise ValueError(
                    f"gradient {index} has shape {grad.shape} but its parameter has shape {param.shape}"
                )
        for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
            self.update(index, param, grad)
        self.iterations += 1

    def build(self, params: list[Array]) -> None:
        """Create the state for these parameters (the first ``apply`` does it if you don't).

        Call it yourself to set the state before the first step, e.g. to replay a step
        from given moments: ``opt.build([w]); opt.m[0][...] = m; opt.iterations = t - 1``.
        """
        self._shapes = [p.shape for p in params]
        self.create_state(params)

    def create_state(self, params: list[Array]) -> None:
        """The per-parameter state arrays (none for plain SGD)."""

    def update(self, index: int, param: Array, grad: Array) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


def _zeros_like(params: list[Array]) -> list[Array]:
    return [np.zeros_like(p) for p in params]


class SGD(Optimizer):
    """Gradient descent, with optional momentum and Nesterov momentum.

    Plain:     w <- w - lr g
    Momentum:  v <- momentum v - lr g;  w <- w + v
    Nesterov:  v <- momentum v - lr g;  w <- w + momentum v - lr g

    The notes write momentum as update = gamma update + eta g, w <- w - update: the
    same thing with v = -update.
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = _number("momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)
        self.velocities: list[Array] = []

    def create_state(self, params):
        if self.momentum:
            self.velocities = _zeros_like(params)

    def update(self, index, param, grad):
        if not self.momentum:
            param -= self.learning_rate * grad
            return
        v = self.velocities[index]
        v *= self.momentum
        v -= self.learning_rate * grad
        if self.nesterov:
            param += self.momentum * v - self.learning_rate * grad
        else:
            param += v


class Adagrad(Optimizer):
    """Adagrad: each parameter's step shrinks with the sum of its squared gradients.

    G <- G + g^2;  w <- w - lr g / sqrt(G + eps)

    As in Keras, G starts at ``initial_accumulator_value`` = 0.1 and eps sits inside
    the square root; textbooks often start at 0 and write sqrt(G) + eps.
    """

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value = _number("initial_accumulator_value", initial_accumulator_value, 0.0)
        self.epsilon = _number("epsilon", epsilon, 0.0)
        self.accumulators: list[Array] = []

    def create_state(self, params):
        self.accumulators = [np.full_like(p, self.initial_accumulator_value) for p in params]

    def update(self, index, param, grad):
        G = self.accumulators[index]
        G += grad * grad
        param -= self.learning_rate * grad / np.sqrt(G + self.epsilon)


class RMSprop(Optimizer):
    """RMSprop: Adagrad with a moving average, so old gradients are forgotten.

    E[g^2] <- rho E[g^2] + (1 - rho) g^2;  w <- w - lr g / sqrt(E[g^2] + eps)

    (Keras: eps inside the square root.)
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = _number("rho", rho, 0.0, 1.0, high_open=True)
        self.epsilon = _number("epsilon", epsilon, 0.0)
        self.accumulators: list[Array] = []

    def create_state(self, params):
        self.accumulators = _zeros_like(params)

    def update(self, index, param, grad):
        mean_square = self.accumulators[index]
        mean_square *= self.rho
        mean_square += (1.0 - self.rho) * grad * grad
        param -= self.learning_rate * grad / np.sqrt(mean_square + self.epsilon)


class Adadelta(Optimizer):
    """Adadelta: RMSprop whose step size comes from the recent steps themselves.

    E[g^2]  <- rho E[g^2] + (1 - rho) g^2
    dw      =  -sqrt(E[dw^2] + eps) / sqrt(E[g^2] + eps) * g
    E[dw^2] <- rho E[dw^2] + (1 - rho) dw^2
    w       <- w + lr dw

    The original paper has no learning rate (lr = 1); Keras keeps one, default 0.001.
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.95, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = _number("rho", rho, 0.0, 1.0, high_open=True)
        self.epsilon = _number("epsilon", epsilon, 0.0)
        self.accumulated_grads: list[Array] = []
        self.accumulated_updates: list[Array] = []

    def create_state(self, params):
        self.accumulated_grads = _zeros_like(params)
        self.accumulated_updates = _zeros_like(params)

    def update(self, index, param, grad):
        Eg2, Edw2 = self.accumulated_grads[index], self.accumulated_updates[index]
        Eg2 *= self.rho
        Eg2 += (1.0 - self.rho) * grad * grad
        dw = -np.sqrt(Edw2 + self.epsilon) / np.sqrt(Eg2 + self.epsilon) * grad
        Edw2 *= self.rho
        Edw2 += (1.0 - self.rho) * dw * dw
        param += self.learning_rate * dw


class Adam(Optimizer):
    """Adam: momentum (m) plus RMSprop (v), with both averages corrected for starting at 0.

    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2;   t = step number (from 1)
    w <- w - lr_t m / (sqrt(v) + eps),   lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)

    This is the paper's efficient form, as Keras computes it. The textbook form
    m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t), w <- w - lr m_hat / (sqrt(v_hat) + eps)
    is the same except that its eps is scaled by sqrt(1 - b2^t).
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _number("beta_1", beta_1, 0.0, 1.0, high_open=True)
        self.beta_2 = _number("beta_2", beta_2, 0.0, 1.0, high_open=True)
        self.epsilon = _number("epsilon", epsilon, 0.0)
        self.m: list[Array] = []
        self.v: list[Array] = []

    def create_state(self, params):
        self.m, self.v = _zeros_like(params), _zeros_like(params)

    def update(self, index, param, grad):
        t = self.iterations + 1
        m, v = self.m[index], self.v[index]
        m += (1.0 - self.beta_1) * (grad - m)
        v += (1.0 - self.beta_2) * (grad * grad - v)
        # A Python float, so that a float32 model stays float32 (a NumPy float64 scalar would promote).
        lr_t = self.learning_rate * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        param -= lr_t * m / (np.sqrt(v) + self.epsilon)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adadelta": Adadelta, "adam": Adam,
}


def get(identifier: str | Optimizer) -> Optimizer:
    """An optimizer with Keras's defaults for a name such as ``"adam"``."""
    if isinstance(identifier, Optimizer):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"optimizer must be a name such as 'adam' or an Optimizer, got {identifier!r}")
    if identifier.lower() not in OPTIMIZERS:
        raise unknown_name("optimizer", identifier, OPTIMIZERS)
    return OPTIMIZERS[identifier.lower()]()
