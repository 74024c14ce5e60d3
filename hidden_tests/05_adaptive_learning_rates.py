"""Hidden tests of exercise 5, Adaptive learning rates: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed settings (large epsilons, float32, several steps t) sit beside weights,
gradients and states drawn from it, and beside one setting drawn from it too.
"""

from __future__ import annotations

import numpy as np

import nnlib.optimizers
import nnlib.schedules
from nbcourse.checks import Mistake, Part, check_function

EPS_HINT = "Keras puts epsilon inside the square root"
ADAGRAD_HINT = "See the chapter 'Adaptive learning rates', section 'Adagrad'."
RMSPROP_HINT = "See the chapter 'Adaptive learning rates', section 'RMSprop'."
ADADELTA_HINT = "See the chapter 'Adaptive learning rates', section 'Adadelta'."
ADAM_HINT = "See the chapter 'Adaptive learning rates', section 'Adam'."
ADAM_BIAS_HINT = "See the chapter 'Adaptive learning rates', section \"Adam's bias correction\"."
COSINE_HINT = "See the chapter 'Adaptive learning rates', section 'Cosine decay'."
WARMUP_HINT = "See the chapter 'Adaptive learning rates', section 'Warm-up'."


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
        Mistake("epsilon was added outside the square root (the textbook's sqrt(s) + eps); " + EPS_HINT,
                lambda w, g, G, lr=0.001, eps=1e-7: (w - lr * g / (np.sqrt(G + g**2) + eps), G + g**2),
                ADAGRAD_HINT),
        Mistake("the accumulator was returned unchanged; return the new sum s + g^2, the next step needs it",
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
        Mistake("the squared gradients were summed as in Adagrad (s + g^2); RMSprop keeps a moving average, "
                "rho s + (1 - rho) g^2",
                lambda w, g, S, lr=0.001, rho=0.9, eps=1e-7: (w - lr * g / np.sqrt(S + g**2 + eps), S + g**2),
                RMSPROP_HINT),
        Mistake("rho and 1 - rho are swapped: the old average keeps the weight rho, the new g^2 gets 1 - rho",
                lambda w, g, S, lr=0.001, rho=0.9, eps=1e-7: (
                    w - lr * g / np.sqrt((1 - rho) * S + rho * g**2 + eps), (1 - rho) * S + rho * g**2),
                RMSPROP_HINT),
        Mistake("epsilon was added outside the square root (sqrt(s) + eps, as in PyTorch); " + EPS_HINT,
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
                "sqrt(s + eps) times g, the steps' average on top",
                lambda *a: adadelta(*a, swap=True), ADADELTA_HINT),
        Mistake("the new state was returned in the wrong order: return (w, s, E[dw^2])",
                lambda *a: (lambda r: (r[0], r[2], r[1]))(adadelta(*a)), ADADELTA_HINT),
        Mistake("the step used s before this step's g^2 was added; update it first",
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
                "uncorrected s (the two differ when epsilon is large)",
                lambda *a: adam(*a, kind="textbook"), ADAM_HINT),
        Mistake("only m was bias-corrected; s needs its correction too (the sqrt(1 - beta_2^t) in lr_t)",
                lambda *a: adam(*a, kind="m only"), ADAM_HINT),
        Mistake("the bias correction used t + 1: t is already the number of the step being taken (1 for the first)",
                lambda *a: adam(*a, kind="t+1"), ADAM_HINT),
        Mistake("m was divided by s + eps; it is divided by sqrt(s) + eps",
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


def each_step(schedule, step):
    """schedule (nnlib's) at every step of ``step``: a float for a number, an array of its shape for an array."""
    steps = np.asarray(step)
    rates = np.array([schedule(int(s)) for s in steps.ravel()]).reshape(steps.shape)
    return float(rates) if steps.ndim == 0 else rates


def nn_cosine_decay(step, initial_lr, decay_steps, alpha=0.0):
    return each_step(nnlib.schedules.CosineDecay(initial_lr, decay_steps, alpha=alpha), step)


def cosine(step, initial_lr, decay_steps, alpha=0.0, half=True, shift=0, clamp=True, absolute_floor=False):
    """Cosine decay with one thing changed (for the mistakes below); also the grader's stand-in for the
    student's cosine_decay in Part 6, where a warm-up's steps may be negative (nnlib refuses those)."""
    t = np.asarray(step, dtype=float) + shift
    if clamp:
        t = np.minimum(t, decay_steps)
    factor = np.cos(np.pi * t / decay_steps)
    if half:
        factor = 0.5 * (1 + factor)
    if absolute_floor:
        return alpha + (initial_lr - alpha) * factor
    return initial_lr * ((1 - alpha) * factor + alpha)


def schedule_cases(rng, fixed, draw):
    """fixed cases, then this student's: each drawn (step, *settings) with an array of steps too."""
    cases = list(fixed)
    for _ in range(3):
        settings = draw(rng)
        horizon = settings[1] + (settings[3] if len(settings) > 3 else 0)
        cases.append((int(rng.integers(0, 2 * horizon)), *settings))
        cases.append((np.sort(rng.integers(0, 2 * horizon, size=int(rng.integers(2, 8)))), *settings))
    return cases


def check_cosine(student, rng):
    mistakes = [
        Mistake("the 1/2 (1 + cos) is missing: the factor cos(pi t / T) runs from 1 to -1, so the rate goes "
                "below the floor (negative without one); (1 + cos) / 2 runs from 1 to 0",
                lambda *a: cosine(*a, half=False), COSINE_HINT),
        Mistake("the step was counted from 1: Keras's step is the number of updates already made, 0 for the "
                "first, which uses the initial rate", lambda *a: cosine(*a, shift=1), COSINE_HINT),
        Mistake("the step was not clamped at decay_steps: after decay_steps the cosine climbs back up; use "
                "min(step, decay_steps) so that the rate stays at the floor", lambda *a: cosine(*a, clamp=False),
                COSINE_HINT),
        Mistake("alpha was used as the floor itself; the floor is alpha times the initial rate",
                lambda *a: cosine(*a, absolute_floor=True), COSINE_HINT),
        Mistake("alpha was ignored: the rate decays to 0 instead of to alpha times the initial rate",
                lambda step, lr, steps, alpha=0.0: cosine(step, lr, steps), COSINE_HINT),
    ]
    fixed = [(0, 0.1, 100), (50, 0.1, 100), (100, 0.1, 100), (150, 0.1, 100),  # the start, the middle, the end, after
             (1, 1.0, 10), (37, 0.5, 40, 0.2), (120, 0.01, 100, 0.5),
             (np.arange(0, 30, 3), 1.0, 20, 0.1), (np.array([[0, 5], [10, 15]]), 0.3, 10)]
    cases = schedule_cases(rng, fixed, lambda rng: (log_uniform(rng, 1e-4, 1.0), int(rng.integers(2, 500)),
                                                   float(rng.uniform(0.0, 0.5))))
    check_function(student.function("cosine_decay"), nn_cosine_decay, name="cosine_decay", cases=cases,
                   mistakes=mistakes)


def nn_warmup_cosine_decay(step, initial_lr, decay_steps, warmup_target, warmup_steps, alpha=0.0):
    schedule = nnlib.schedules.CosineDecay(initial_lr, decay_steps, alpha=alpha, warmup_target=warmup_target,
                                           warmup_steps=warmup_steps)
    return each_step(schedule, step)


def warmup(step, start, decay_steps, peak, warmup_steps, alpha=0.0, shift=0, unshifted=False, clamp_at=None,
           from_zero=False, from_start=False):
    """Warm-up then cosine decay with one thing changed (for the mistakes below)."""
    t = np.minimum(np.asarray(step, dtype=float), decay_steps + warmup_steps if clamp_at is None else clamp_at)
    begin = 0.0 if from_zero else start
    warm = begin + (peak - begin) * (t + shift) / warmup_steps
    decay = cosine(t if unshifted else t - warmup_steps, start if from_start else peak, decay_steps, alpha)
    rates = np.where(t < warmup_steps, warm, decay)
    return float(rates) if rates.ndim == 0 else rates


def check_warmup(student, rng):
    mistakes = [
        Mistake("the warm-up is one step ahead ((t + 1) / W): the rate must reach the peak at step W, not W - 1, "
                "and be initial_lr at step 0", lambda *a: warmup(*a, shift=1), WARMUP_HINT),
        Mistake("the cosine was started at step t instead of t - warmup_steps: the decay begins where the "
                "warm-up ends", lambda *a: warmup(*a, unshifted=True), WARMUP_HINT),
        Mistake("the step was clamped at decay_steps; with warm-up the decay ends at decay_steps + warmup_steps",
                lambda *a: warmup(*a, clamp_at=a[2]), WARMUP_HINT),
        Mistake("the warm-up started from 0; it starts from initial_lr", lambda *a: warmup(*a, from_zero=True),
                WARMUP_HINT),
        Mistake("the cosine decayed from initial_lr; after the warm-up it decays from warmup_target, the peak",
                lambda *a: warmup(*a, from_start=True), WARMUP_HINT),
    ]
    fixed = [(0, 0.0, 100, 0.1, 10), (5, 0.0, 100, 0.1, 10), (9, 0.0, 100, 0.1, 10), (10, 0.0, 100, 0.1, 10),
             (60, 0.0, 100, 0.1, 10), (105, 0.0, 100, 0.1, 10), (500, 0.0, 100, 0.1, 10),
             (3, 0.02, 50, 0.1, 4), (30, 0.01, 20, 0.5, 1, 0.1), (np.arange(0, 40, 2), 0.001, 25, 0.2, 6, 0.05)]
    cases = schedule_cases(rng, fixed, lambda rng: (log_uniform(rng, 1e-5, 1e-2), int(rng.integers(2, 300)),
                                                   log_uniform(rng, 0.01, 1.0), int(rng.integers(1, 60)),
                                                   float(rng.uniform(0.0, 0.5))))
    student_fn = student.function("warmup_cosine_decay", substitutes={"cosine_decay": cosine})
    check_function(student_fn, nn_warmup_cosine_decay, name="warmup_cosine_decay", cases=cases,
                   mistakes=mistakes)


PARTS = [
    Part("adagrad_test", check_adagrad),
    Part("rmsprop_test", check_rmsprop),
    Part("adadelta_test", check_adadelta),
    Part("adam_test", check_adam),
    Part("cosine_test", check_cosine),
    Part("warmup_test", check_warmup),
]
