"""Hidden tests of exercise 5, Adaptive learning rates: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed settings (large epsilons, float32, several steps t) sit beside weights,
gradients and states drawn from it, and beside one setting drawn from it too.
"""

from __future__ import annotations

import numpy as np

import nnlib.optimizers
from nbcourse.checks import Mistake, Part, check_function

EPS_HINT = "Keras puts epsilon inside the square root"
ADAGRAD_HINT = "See the chapter 'Adaptive learning rates', section 'Adagrad'."
RMSPROP_HINT = "See the chapter 'Adaptive learning rates', section 'RMSprop'."
ADADELTA_HINT = "See the chapter 'Adaptive learning rates', section 'Adadelta'."
ADAM_HINT = "See the chapter 'Adaptive learning rates', section 'Adam'."
ADAM_BIAS_HINT = "See the chapter 'Adaptive learning rates', section \"Adam's bias correction\"."


def nn_step(optimizer, w, g, state, t=1):
    """One step of an nnlib optimizer from the given state: {attribute name: array}; returns the new w."""
    w = w.copy()
    optimizer.apply([np.zeros_like(w)], [w])   # creates the state; a zero gradient from zero state moves nothing
    for name, value in state.items():
        getattr(optimizer, name)[0][...] = value
    optimizer.iterations = t - 1               # the step about to be taken is step t
    optimizer.apply([g], [w])
    return w


def alr_cases(rng, settings, n_state, dtype=np.float64):
    """(w, g, *state, *settings) for each (shape, settings) pair; the state arrays are positive."""
    cases = []
    for shape, values in settings:
        w, g = rng.normal(size=shape), rng.normal(size=shape) * rng.choice([0.01, 1.0, 10.0])
        state = [rng.uniform(0.0, 2.0, size=shape) for _ in range(n_state)]
        cases.append(tuple(np.asarray(a, dtype=dtype) for a in (w, g, *state)) + tuple(values))
    return cases


def random_shape(rng):
    return tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 3))))


def log_uniform(rng, low, high):
    return float(10 ** rng.uniform(np.log10(low), np.log10(high)))


def nn_adagrad_step(w, g, accumulator, lr=0.001, eps=1e-7):
    optimizer = nnlib.optimizers.Adagrad(learning_rate=lr, epsilon=eps)
    return nn_step(optimizer, w, g, {"accumulators": accumulator}), optimizer.accumulators[0].copy()


def check_adagrad(student, rng):
    mistakes = [
        Mistake("the step used the accumulator before this step's g^2 was added; add it first",
                lambda w, g, G, lr=0.001, eps=1e-7: (w - lr * g / np.sqrt(G + eps), G + g**2), ADAGRAD_HINT),
        Mistake("epsilon was added outside the square root (the textbook's sqrt(G) + eps); " + EPS_HINT,
                lambda w, g, G, lr=0.001, eps=1e-7: (w - lr * g / (np.sqrt(G + g**2) + eps), G + g**2),
                ADAGRAD_HINT),
        Mistake("the accumulator was returned unchanged; return the new sum G + g^2, the next step needs it",
                lambda w, g, G, lr=0.001, eps=1e-7: (w - lr * g / np.sqrt(G + g**2 + eps), G), ADAGRAD_HINT),
        Mistake("the step was divided by the sum of squares itself, not by its square root",
                lambda w, g, G, lr=0.001, eps=1e-7: (w - lr * g / (G + g**2 + eps), G + g**2), ADAGRAD_HINT),
    ]
    settings = [((3,), (0.1,)), ((2, 2), (0.01, 1e-7)), ((1,), ()), ((4,), (0.5, 0.5)), ((2, 3), (1.0, 1e-3)),
                (random_shape(rng), (log_uniform(rng, 0.001, 1.0), log_uniform(rng, 1e-7, 1.0)))]
    step = student.function("adagrad_step")
    check_function(step, nn_adagrad_step, name="adagrad_step", cases=alr_cases(rng, settings, 1),
                   mistakes=mistakes)
    check_function(step, nn_adagrad_step, name="adagrad_step", rtol=1e-5, atol=1e-6,
                   cases=alr_cases(rng, settings[:2], 1, np.float32), mistakes=mistakes)


def nn_rmsprop_step(w, g, mean_square, lr=0.001, rho=0.9, eps=1e-7):
    optimizer = nnlib.optimizers.RMSprop(learning_rate=lr, rho=rho, epsilon=eps)
    return nn_step(optimizer, w, g, {"accumulators": mean_square}), optimizer.accumulators[0].copy()


def check_rmsprop(student, rng):
    mistakes = [
        Mistake("the squared gradients were summed as in Adagrad (S + g^2); RMSprop keeps a moving average, "
                "rho S + (1 - rho) g^2",
                lambda w, g, S, lr=0.001, rho=0.9, eps=1e-7: (w - lr * g / np.sqrt(S + g**2 + eps), S + g**2),
                RMSPROP_HINT),
        Mistake("rho and 1 - rho are swapped: the old average keeps the weight rho, the new g^2 gets 1 - rho",
                lambda w, g, S, lr=0.001, rho=0.9, eps=1e-7: (
                    w - lr * g / np.sqrt((1 - rho) * S + rho * g**2 + eps), (1 - rho) * S + rho * g**2),
                RMSPROP_HINT),
        Mistake("epsilon was added outside the square root (sqrt(E[g^2]) + eps, as in PyTorch); " + EPS_HINT,
                lambda w, g, S, lr=0.001, rho=0.9, eps=1e-7: (
                    w - lr * g / (np.sqrt(rho * S + (1 - rho) * g**2) + eps), rho * S + (1 - rho) * g**2),
                RMSPROP_HINT),
        Mistake("the step used the average before this step's g^2 was added; update it first",
                lambda w, g, S, lr=0.001, rho=0.9, eps=1e-7: (
                    w - lr * g / np.sqrt(S + eps), rho * S + (1 - rho) * g**2), RMSPROP_HINT),
    ]
    settings = [((3,), (0.1,)), ((2, 2), (0.01, 0.9, 1e-7)), ((1,), ()), ((4,), (0.5, 0.5, 0.5)),
                ((2, 3), (1.0, 0.99, 1e-3)),
                (random_shape(rng), (log_uniform(rng, 0.001, 1.0), float(rng.uniform(0.5, 0.99)),
                                     log_uniform(rng, 1e-7, 1.0)))]
    step = student.function("rmsprop_step")
    check_function(step, nn_rmsprop_step, name="rmsprop_step", cases=alr_cases(rng, settings, 1),
                   mistakes=mistakes)
    check_function(step, nn_rmsprop_step, name="rmsprop_step", rtol=1e-5, atol=1e-6,
                   cases=alr_cases(rng, settings[:2], 1, np.float32), mistakes=mistakes)


def nn_adadelta_step(w, g, accumulated_grad, accumulated_update, lr=0.001, rho=0.95, eps=1e-7):
    optimizer = nnlib.optimizers.Adadelta(learning_rate=lr, rho=rho, epsilon=eps)
    state = {"accumulated_grads": accumulated_grad, "accumulated_updates": accumulated_update}
    new_w = nn_step(optimizer, w, g, state)
    return new_w, optimizer.accumulated_grads[0].copy(), optimizer.accumulated_updates[0].copy()


def adadelta(w, g, Eg2, Edw2, lr=0.001, rho=0.95, eps=1e-7, swap=False, old_grad=False, scaled=False,
             no_lr=False):
    """Adadelta with one thing changed (for the mistakes below)."""
    new_Eg2 = rho * Eg2 + (1 - rho) * g**2
    below = Eg2 if old_grad else new_Eg2
    dw = -(np.sqrt(below + eps) / np.sqrt(Edw2 + eps) if swap else np.sqrt(Edw2 + eps) / np.sqrt(below + eps)) * g
    step = dw if no_lr else lr * dw
    new_Edw2 = rho * Edw2 + (1 - rho) * (lr * dw if scaled else dw) ** 2
    return w + step, new_Eg2, new_Edw2


def check_adadelta(student, rng):
    mistakes = [
        Mistake("the two accumulators are swapped in the ratio: the step is sqrt(E[dw^2] + eps) / "
                "sqrt(E[g^2] + eps) times g, the steps' average on top",
                lambda *a: adadelta(*a, swap=True), ADADELTA_HINT),
        Mistake("the new state was returned in the wrong order: return (w, E[g^2], E[dw^2])",
                lambda *a: (lambda r: (r[0], r[2], r[1]))(adadelta(*a)), ADADELTA_HINT),
        Mistake("the step used E[g^2] before this step's g^2 was added; update it first",
                lambda *a: adadelta(*a, old_grad=True), ADADELTA_HINT),
        Mistake("the average of squared steps was fed lr * dw; Keras feeds it dw, before the learning rate",
                lambda *a: adadelta(*a, scaled=True), ADADELTA_HINT),
        Mistake("the learning rate was ignored (the paper's Adadelta, lr = 1); Keras multiplies the step by lr",
                lambda *a: adadelta(*a, no_lr=True), ADADELTA_HINT),
    ]
    settings = [((3,), (0.1,)), ((2, 2), (0.5, 0.9, 1e-7)), ((1,), ()), ((4,), (1.0, 0.95, 0.5)),
                ((2, 3), (0.01, 0.5, 1e-3)),
                (random_shape(rng), (log_uniform(rng, 0.001, 1.0), float(rng.uniform(0.5, 0.99)),
                                     log_uniform(rng, 1e-7, 1.0)))]
    step = student.function("adadelta_step")
    check_function(step, nn_adadelta_step, name="adadelta_step", cases=alr_cases(rng, settings, 2),
                   mistakes=mistakes)
    check_function(step, nn_adadelta_step, name="adadelta_step", rtol=1e-5, atol=1e-6,
                   cases=alr_cases(rng, settings[:2], 2, np.float32), mistakes=mistakes)


def nn_adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    optimizer = nnlib.optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, epsilon=eps)
    new_w = nn_step(optimizer, w, g, {"m": m, "v": v}, t=t)
    return new_w, optimizer.m[0].copy(), optimizer.v[0].copy()


def adam(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7, kind="keras"):
    """Adam with one thing changed (for the mistakes below)."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    c1, c2 = 1 - beta_1**t, 1 - beta_2**t
    if kind == "t+1":
        c1, c2 = 1 - beta_1 ** (t + 1), 1 - beta_2 ** (t + 1)
    step = {"keras": lambda: lr * np.sqrt(c2) / c1 * m / (np.sqrt(v) + eps),
            "t+1": lambda: lr * np.sqrt(c2) / c1 * m / (np.sqrt(v) + eps),
            "none": lambda: lr * m / (np.sqrt(v) + eps),
            "textbook": lambda: lr * (m / c1) / (np.sqrt(v / c2) + eps),
            "m only": lambda: lr * (m / c1) / (np.sqrt(v) + eps),
            "no root": lambda: lr * np.sqrt(c2) / c1 * m / (v + eps)}[kind]()
    return w - step, m, v


def check_adam(student, rng):
    mistakes = [
        Mistake("the bias correction is missing: Keras multiplies the learning rate by "
                "sqrt(1 - beta_2^t) / (1 - beta_1^t)", lambda *a: adam(*a, kind="none"), ADAM_BIAS_HINT),
        Mistake("the textbook form m_hat / (sqrt(v_hat) + eps) was used: Keras adds epsilon to the root of the "
                "uncorrected v (the two differ when epsilon is large)",
                lambda *a: adam(*a, kind="textbook"), ADAM_HINT),
        Mistake("only m was bias-corrected; v needs its correction too (the sqrt(1 - beta_2^t) in lr_t)",
                lambda *a: adam(*a, kind="m only"), ADAM_HINT),
        Mistake("the bias correction used t + 1: t is already the number of the step being taken (1 for the first)",
                lambda *a: adam(*a, kind="t+1"), ADAM_HINT),
        Mistake("m was divided by v + eps; it is divided by sqrt(v) + eps",
                lambda *a: adam(*a, kind="no root"), ADAM_HINT),
    ]
    settings = [((3,), 3, (0.1,)), ((2, 2), 1, (0.01, 0.9, 0.999, 1e-7)), ((1,), 10, ()),
                ((4,), 1, (0.1, 0.9, 0.999, 0.1)), ((2, 3), 50, (0.001, 0.5, 0.9, 1e-3)),
                ((3,), 2, (0.05, 0.9, 0.999, 1.0)),
                (random_shape(rng), int(rng.integers(1, 20)),
                 (log_uniform(rng, 0.001, 0.1), float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.999)),
                  log_uniform(rng, 1e-7, 1.0)))]
    cases = []
    for shape, t, values in settings:
        w, g = rng.normal(size=shape), rng.normal(size=shape) * rng.choice([0.01, 1.0, 10.0])
        m, v = rng.normal(size=shape) * 0.1, rng.uniform(0.0, 0.1, size=shape)
        cases.append((w, g, m, v, t, *values))
    step = student.function("adam_step")
    check_function(step, nn_adam_step, name="adam_step", cases=cases, mistakes=mistakes)
    cases32 = [tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in case) for case in cases[:3]]
    check_function(step, nn_adam_step, name="adam_step", cases=cases32, mistakes=mistakes, rtol=1e-5, atol=1e-6)


PARTS = [
    Part("adagrad_test", check_adagrad),
    Part("rmsprop_test", check_rmsprop),
    Part("adadelta_test", check_adadelta),
    Part("adam_test", check_adam),
]
