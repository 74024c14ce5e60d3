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
AdamW      ``m``, ``v`` (Adam with weight_decay=0.004)            0.001
=========  =====================================================  ==================

``iterations`` counts the steps taken. The formulas are Keras 3's, which differ from
some textbooks in where epsilon sits; each docstring says how.

Learning rate. ``learning_rate`` is a float or a schedule from :mod:`nnlib.schedules`; step t
(counted from 0, t = ``iterations``) uses ``schedule(t)``. Reading ``optimizer.learning_rate``
gives the rate the next step will use, a float, as Keras does (``current_learning_rate`` is the
same). It can be set to a float (or a new schedule) between steps, e.g. by a callback; an
optimizer made with a schedule refuses a float (TypeError), as Keras's does.

Options every optimizer takes, as Keras's (keyword arguments, all off by default). In one step,
in Keras's order:

1. clip the gradients (at most one of the three; the arrays passed to ``apply`` are not changed):

   * ``clipnorm=c``:        each gradient g <- g c / max(||g||, c)        (its own L2 norm)
   * ``global_clipnorm=c``: every gradient g <- g c / max(N, c), N = sqrt(sum of all ||g||^2)
   * ``clipvalue=c``:       each entry g <- min(max(g, -c), c)

2. decay the weights, ``weight_decay=wd`` (decoupled, as Keras's AdamW and SGD do it: not
   added to the gradient, so it never enters momentum or Adam's moments):
   w <- w - lr wd w, on every parameter, biases too, unless ``exclude_from_weight_decay`` names it;
3. the optimizer's own update with the clipped gradients and the same lr.

Saving and loading. ``get_config()`` is a JSON-able dict of the hyperparameters (a schedule as
``{"class_name": ..., "config": ...}``); ``type(opt).from_config(config)``, or
``optimizers.deserialize(optimizers.serialize(opt))``, or ``optimizers.get(dict)``, builds an
equal optimizer without state. The state is ``state_arrays()``, a dict from the attribute names
in the table to their lists of arrays (the live arrays, not copies), plus ``iterations``::

    saved = {name: [a.copy() for a in arrays] for name, arrays in opt.state_arrays().items()}
    new = optimizers.deserialize(optimizers.serialize(opt))
    new.build(params)                       # create the state for these parameters
    new.set_state_arrays(saved)             # copy it in (names and shapes are checked)
    new.iterations = opt.iterations         # the next step is the same as opt's
"""

from __future__ import annotations

import math

import numpy as np

from nnlib import schedules
from nnlib._checks import class_and_config, unknown_name
from nnlib.schedules import LearningRateSchedule

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


def _optional(name: str, value, low_open: bool) -> float | None:
    """None, or a finite float >= 0 (> 0 if ``low_open``)."""
    return None if value is None else _number(name, value, 0.0, low_open=low_open)


def clip_by_norm(grad: Array, clipnorm: float) -> Array:
    """g c / max(||g||, c): ``grad`` itself if its L2 norm is at most c, else a rescaled copy."""
    norm = math.sqrt(float(np.vdot(grad, grad)))
    return grad * (clipnorm / norm) if norm > clipnorm else grad


def clip_by_global_norm(grads: list[Array], clipnorm: float) -> list[Array]:
    """g c / max(N, c) for every g, N = sqrt(sum of ||g||^2): all scaled by one factor, directions kept."""
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if norm <= clipnorm:
        return grads
    scale = clipnorm / norm
    return [g * scale for g in grads]


class Optimizer:
    """Base class: ``apply`` checks the inputs, creates the state once, then steps.

    A subclass names its state attributes in ``state_names``, creates them in
    ``create_state`` and defines ``update(index, param, grad, lr)``: one parameter's step
    with the learning rate of this step.
    """

    state_names: tuple[str, ...] = ()

    def __init__(self, learning_rate: float | LearningRateSchedule, *, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None):
        self._schedule: LearningRateSchedule | None = None
        self._learning_rate = 0.0
        if isinstance(learning_rate, LearningRateSchedule):
            self._schedule = learning_rate
        else:  # 0 is refused here (an optimizer that cannot move), but may be set later
            self._learning_rate = _number("learning_rate", learning_rate, 0.0, low_open=True)
        self.weight_decay = _optional("weight_decay", weight_decay, low_open=False)
        self.clipnorm = _optional("clipnorm", clipnorm, low_open=True)
        self.clipvalue = _optional("clipvalue", clipvalue, low_open=True)
        self.global_clipnorm = _optional("global_clipnorm", global_clipnorm, low_open=True)
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"use at most one of clipnorm, clipvalue and global_clipnorm (as Keras), got "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.iterations = 0
        self._shapes: list[tuple[int, ...]] | None = None
        self._excluded: list[Array] = []
        self._decays: list[bool] = []

    # ---- the learning rate -------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The rate the next step uses: the float given, or the schedule at ``iterations`` (as Keras)."""
        return self.current_learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float | LearningRateSchedule) -> None:
        if isinstance(value, LearningRateSchedule):
            self._schedule = value
            return
        if self._schedule is not None:
            raise TypeError(
                f"this optimizer's learning rate is the schedule {self._schedule!r}, so it cannot be "
                f"set to {value!r}: make the optimizer with a float learning_rate to change it by hand"
            )
        self._learning_rate = _number("learning_rate", value, 0.0)

    @property
    def current_learning_rate(self) -> float:
        """The learning rate of the step about to be taken (step ``iterations``, counted from 0)."""
        schedule = self._schedule
        return self._learning_rate if schedule is None else float(schedule(self.iterations))

    @property
    def learning_rate_schedule(self) -> LearningRateSchedule | None:
        """The schedule given as ``learning_rate``, or None for a constant rate."""
        return self._schedule

    # ---- one step ------------------------------------------------------------------------------
    def apply(self, grads: list[Array], params: list[Array]) -> None:
        """One step: update each array in ``params`` in place from its gradient in ``grads``."""
        if len(grads) != len(params):
            raise ValueError(f"got {len(grads)} gradients for {len(params)} parameters")
        shapes = [p.shape for p in params]
        if shapes != self._shapes:
            if self._shapes is not None:
                raise ValueError(
                    f"this optimizer was first used for parameters of shapes {self._shapes}, now "
                    f"{shapes}: use a new optimizer for another model"
                )
            self.build(params)
        if [g.shape for g in grads] != shapes:  # checked for all before any is changed
            index = next(i for i, (g, s) in enumerate(zip(grads, shapes, strict=True)) if g.shape != s)
            raise ValueError(
                f"gradient {index} has shape {grads[index].shape} but its parameter has shape {shapes[index]}"
            )
        lr = self.current_learning_rate  # a Python float: a float32 model stays float32
        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            grads = self.clip_gradients(grads)
        if self.weight_decay:
            self.decay_weights(params, lr)
        for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
            self.update(index, param, grad, lr)
        self.iterations += 1

    def clip_gradients(self, grads: list[Array]) -> list[Array]:
        """The gradients after ``clipnorm``, ``global_clipnorm`` or ``clipvalue`` (new arrays where changed)."""
        if self.clipnorm is not None:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def decay_weights(self, params: list[Array], lr: float) -> None:
        """Decoupled weight decay, in place: w <- w - lr wd w = (1 - lr wd) w."""
        factor = 1.0 - lr * self.weight_decay
        for param, decays in zip(params, self._decays, strict=True):  # pragma: no mutate (built for these params)
            if decays:
                param *= factor

    def exclude_from_weight_decay(self, var_list: list[Array]) -> None:
        """Leave these parameter arrays (the same objects ``apply`` gets) out of the weight decay.

        As in Keras it must come before the first step (``build``), e.g. to spare the biases:
        ``opt.exclude_from_weight_decay([layer.bias for layer in model.layers])``.
        """
        if self._shapes is not None:
            raise ValueError("exclude_from_weight_decay must be called before the optimizer is built")
        self._excluded = list(var_list)

    def build(self, params: list[Array]) -> None:
        """Create the state for these parameters (the first ``apply`` does it if you don't).

        Call it yourself to set the state before the first step, e.g. to replay a step
        from given moments: ``opt.build([w]); opt.m[0][...] = m; opt.iterations = t - 1``.
        """
        self._shapes = [p.shape for p in params]
        self._decays = [not any(p is e for e in self._excluded) for p in params]
        self.create_state(params)

    def create_state(self, params: list[Array]) -> None:
        """The per-parameter state arrays (none for plain SGD)."""

    def update(self, index: int, param: Array, grad: Array, lr: float) -> None:
        """Step ``param`` (parameter number ``index``) in place, with learning rate ``lr``."""
        raise NotImplementedError

    # ---- state and configuration ---------------------------------------------------------------
    def state_arrays(self) -> dict[str, list[Array]]:
        """The state between steps by attribute name, e.g. ``{"m": [...], "v": [...]}`` (live arrays)."""
        return {name: getattr(self, name) for name in self.state_names}

    def set_state_arrays(self, state: dict[str, list[Array]]) -> None:
        """Copy saved state (as ``state_arrays()`` gave it) into this built optimizer's arrays."""
        if self._shapes is None:
            raise ValueError("build(params) the optimizer before setting its state")
        if set(state) != set(self.state_names):
            raise ValueError(f"{type(self).__name__} keeps the state {sorted(self.state_names)}, got {sorted(state)}")
        for name, arrays in state.items():
            live = getattr(self, name)
            if [np.shape(a) for a in arrays] != [b.shape for b in live]:
                raise ValueError(f"{name}: got arrays of shapes {[np.shape(a) for a in arrays]}, "
                                 f"expected {[b.shape for b in live]}")
            for target, source in zip(live, arrays, strict=True):  # pragma: no mutate (lengths checked above)
                target[...] = source

    def get_config(self) -> dict:
        """The hyperparameters as a JSON-able dict: ``type(self)(**config)`` is the same optimizer."""
        schedule = self._schedule
        return {
            "learning_rate": self._learning_rate if schedule is None else schedules.serialize(schedule),
            **self._hyperparameters(),
            "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm,
        }

    def _hyperparameters(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Optimizer:
        """A new optimizer (without state) from ``get_config()``'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        options = {"learning_rate": self._schedule or self._learning_rate, "weight_decay": self.weight_decay,
                   "clipnorm": self.clipnorm, "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}
        arguments = ", ".join(f"{key}={value!r}" for key, value in options.items() if value is not None)
        return f"{type(self).__name__}({arguments})"


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

    def __init__(self, learning_rate: float | LearningRateSchedule = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, **options):
        super().__init__(learning_rate, **options)
        self.momentum = _number("momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)
        self.velocities: list[Array] = []

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("velocities",) if self.momentum else ()

    def create_state(self, params):
        if self.momentum:
            self.velocities = _zeros_like(params)

    def update(self, index, param, grad, lr):
        if not self.momentum:
            param -= lr * grad
            return
        v = self.velocities[index]
        v *= self.momentum
        v -= lr * grad
        if self.nesterov:
            param += self.momentum * v - lr * grad
        else:
            param += v

    def _hyperparameters(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Adagrad: each parameter's step shrinks with the sum of its squared gradients.

    G <- G + g^2;  w <- w - lr g / sqrt(G + eps)

    As in Keras, G starts at ``initial_accumulator_value`` = 0.1 and eps sits inside
    the square root; textbooks often start at 0 and write sqrt(G) + eps.
    """

    state_names = ("accumulators",)

    def __init__(self, learning_rate: float | LearningRateSchedule = 0.001,
                 initial_accumulator_value: float = 0.1, epsilon: float = 1e-7, **options):
        super().__init__(learning_rate, **options)
        self.initial_accumulator_value = _number("initial_accumulator_value", initial_accumulator_value, 0.0)
        self.epsilon = _number("epsilon", epsilon, 0.0)
        self.accumulators: list[Array] = []

    def create_state(self, params):
        self.accumulators = [np.full_like(p, self.initial_accumulator_value) for p in params]

    def update(self, index, param, grad, lr):
        G = self.accumulators[index]
        G += grad * grad
        param -= lr * grad / np.sqrt(G + self.epsilon)

    def _hyperparameters(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: Adagrad with a moving average, so old gradients are forgotten.

    E[g^2] <- rho E[g^2] + (1 - rho) g^2;  w <- w - lr g / sqrt(E[g^2] + eps)

    (Keras: eps inside the square root.)
    """

    state_names = ("accumulators",)

    def __init__(self, learning_rate: float | LearningRateSchedule = 0.001, rho: float = 0.9,
                 epsilon: float = 1e-7, **options):
        super().__init__(learning_rate, **options)
        self.rho = _number("rho", rho, 0.0, 1.0, high_open=True)
        self.epsilon = _number("epsilon", epsilon, 0.0)
        self.accumulators: list[Array] = []

    def create_state(self, params):
        self.accumulators = _zeros_like(params)

    def update(self, index, param, grad, lr):
        mean_square = self.accumulators[index]
        mean_square *= self.rho
        mean_square += (1.0 - self.rho) * grad * grad
        param -= lr * grad / np.sqrt(mean_square + self.epsilon)

    def _hyperparameters(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta: RMSprop whose step size comes from the recent steps themselves.

    E[g^2]  <- rho E[g^2] + (1 - rho) g^2
    dw      =  -sqrt(E[dw^2] + eps) / sqrt(E[g^2] + eps) * g
    E[dw^2] <- rho E[dw^2] + (1 - rho) dw^2
    w       <- w + lr dw

    The original paper has no learning rate (lr = 1); Keras keeps one, default 0.001.
    """

    state_names = ("accumulated_grads", "accumulated_updates")

    def __init__(self, learning_rate: float | LearningRateSchedule = 0.001, rho: float = 0.95,
                 epsilon: float = 1e-7, **options):
        super().__init__(learning_rate, **options)
        self.rho = _number("rho", rho, 0.0, 1.0, high_open=True)
        self.epsilon = _number("epsilon", epsilon, 0.0)
        self.accumulated_grads: list[Array] = []
        self.accumulated_updates: list[Array] = []

    def create_state(self, params):
        self.accumulated_grads = _zeros_like(params)
        self.accumulated_updates = _zeros_like(params)

    def update(self, index, param, grad, lr):
        Eg2, Edw2 = self.accumulated_grads[index], self.accumulated_updates[index]
        Eg2 *= self.rho
        Eg2 += (1.0 - self.rho) * grad * grad
        dw = -np.sqrt(Edw2 + self.epsilon) / np.sqrt(Eg2 + self.epsilon) * grad
        Edw2 *= self.rho
        Edw2 += (1.0 - self.rho) * dw * dw
        param += lr * dw

    def _hyperparameters(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam: momentum (m) plus RMSprop (v), with both averages corrected for starting at 0.

    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2;   t = step number (from 1)
    w <- w - lr_t m / (sqrt(v) + eps),   lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)

    This is the paper's efficient form, as Keras computes it. The textbook form
    m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t), w <- w - lr m_hat / (sqrt(v_hat) + eps)
    is the same except that its eps is scaled by sqrt(1 - b2^t).
    """

    state_names = ("m", "v")

    def __init__(self, learning_rate: float | LearningRateSchedule = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, **options):
        super().__init__(learning_rate, **options)
        self.beta_1 = _number("beta_1", beta_1, 0.0, 1.0, high_open=True)
        self.beta_2 = _number("beta_2", beta_2, 0.0, 1.0, high_open=True)
        self.epsilon = _number("epsilon", epsilon, 0.0)
        self.m: list[Array] = []
        self.v: list[Array] = []

    def create_state(self, params):
        self.m, self.v = _zeros_like(params), _zeros_like(params)

    def update(self, index, param, grad, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations + 1
        m, v = self.m[index], self.v[index]
        m *= b1
        m += (1.0 - b1) * grad
        v *= b2
        v += (1.0 - b2) * np.square(grad)
        # A Python float, so that a float32 model stays float32 (a NumPy float64 scalar would promote).
        lr_t = lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        param -= lr_t * m / (np.sqrt(v) + self.epsilon)

    def _hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), Keras's default wd = 0.004.

    w <- w - lr wd w, then the Adam step of the docstring above. Adding wd w to the gradient
    instead (L2 regularisation) would let Adam's sqrt(v) rescale the decay; here it does not.
    """

    def __init__(self, learning_rate: float | LearningRateSchedule = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, **options):
        if weight_decay is None:
            raise ValueError("weight_decay must be a number for AdamW (use Adam for none), got None")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         weight_decay=weight_decay, **options)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adadelta": Adadelta, "adam": Adam, "adamw": AdamW,
}


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": "Adam", "config": optimizer.get_config()}`` (JSON-able), as Keras names it."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"expected an Optimizer, got {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict) -> Optimizer:
    """A new optimizer (without state) from ``serialize``'s dict."""
    name, arguments = class_and_config(config)
    if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
        raise unknown_name("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name.lower()].from_config(arguments)


def get(identifier: str | dict | Optimizer) -> Optimizer:
    """An optimizer with Keras's defaults for a name such as ``"adam"``, or from ``serialize``'s dict."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if not isinstance(identifier, str):
        raise TypeError(f"optimizer must be a name such as 'adam' or an Optimizer, got {identifier!r}")
    if identifier.lower() not in OPTIMIZERS:
        raise unknown_name("optimizer", identifier, OPTIMIZERS)
    return OPTIMIZERS[identifier.lower()]()
