"""Hidden tests of exercise 4, Gradient descent: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it.
"""

from __future__ import annotations

import math

import numpy as np

import nnlib.data
import nnlib.optimizers
from nbcourse.checks import Mistake, Part, check_function

BATCH_HINT = "See the chapter 'Gradient descent', section 'Batch, stochastic and mini-batch gradient descent'."
MOMENTUM_HINT = "See the chapter 'Gradient descent', section 'Momentum'."
NESTEROV_HINT = "See the chapter 'Gradient descent', section 'Nesterov momentum: look before you leap'."


def check_updates(student, rng):
    cases = [(10, 3), (100, 10), (10_000, None), (7, 1), (5, 8), (1, 1), (33, 32), (64, 32), (1, None)]
    cases += [(int(rng.integers(1, 5000)), int(rng.integers(1, 200))) for _ in range(4)]
    check_function(
        student.function("updates_per_epoch"), nnlib.data.updates_per_epoch, name="updates_per_epoch", cases=cases,
        mistakes=[
            Mistake("the count was rounded down (n // batch_size): the last, smaller batch also makes an update",
                    lambda n, b: 1 if b is None else n // b, BATCH_HINT),
            Mistake("n / batch_size was returned unrounded; a number of updates is a whole number, "
                    "ceil(n / batch_size)", lambda n, b: 1 if b is None else n / b, BATCH_HINT),
            Mistake("one was added to n // batch_size even when batch_size divides n; use ceil(n / batch_size)",
                    lambda n, b: 1 if b is None else n // b + 1, BATCH_HINT),
            Mistake("batch_size=None was read as batches of one sample (n updates); None means the whole set "
                    "is one batch: 1 update", lambda n, b: n if b is None else math.ceil(n / b), BATCH_HINT),
            Mistake("batch_size=None was read as Keras's default of 32; in this course None means the whole set "
                    "is one batch: 1 update", lambda n, b: math.ceil(n / (32 if b is None else b)), BATCH_HINT),
        ],
    )


def reference_minibatches(x, y, batch_size, rng):
    return list(nnlib.data.minibatches(x, y, batch_size, shuffle=True, seed=rng))


def batches(x, y, size, order_x, order_y=None, drop_last=False):
    """Batches cut from given orders (for the mistakes below)."""
    order_y = order_x if order_y is None else order_y
    n = len(x)
    size = n if size is None else size
    stop = n - n % size if drop_last else n
    return [(x[order_x[s:s + size]], y[order_y[s:s + size]]) for s in range(0, stop, size)]


def check_minibatches(student, rng):
    def generator():
        return np.random.default_rng(int(rng.integers(2**31)))

    cases = [(rng.normal(size=(10, 2)), np.arange(10), 3, generator()),
             (rng.normal(size=(12, 3)), rng.normal(size=(12, 1)), 4, generator()),
             (rng.normal(size=(5, 2)), rng.integers(0, 3, 5), None, generator()),
             (rng.normal(size=(7, 1)), rng.normal(size=7), 1, generator()),
             (rng.normal(size=(6, 2)), np.arange(6), 10, generator()),
             (rng.normal(size=(33, 4)).astype(np.float32), rng.normal(size=(33, 2)), 8, generator())]
    check_function(
        student.function("minibatches"), reference_minibatches, name="minibatches", cases=cases,
        mistakes=[
            Mistake("the last, smaller batch was dropped: its samples would never be trained on in this epoch",
                    lambda x, y, b, rng: batches(x, y, b, rng.permutation(len(x)), drop_last=True), BATCH_HINT),
            Mistake("x and y were shuffled with two different permutations, so a sample's row of x no longer "
                    "sits next to its own row of y",
                    lambda x, y, b, rng: batches(x, y, b, rng.permutation(len(x)), rng.permutation(len(x))),
                    BATCH_HINT),
            Mistake("the samples were not shuffled: the batches come in the data's own order",
                    lambda x, y, b, rng: batches(x, y, b, np.arange(len(x)))),
            Mistake("batch_size=None was read as batches of one sample; None means one batch of the whole set",
                    lambda x, y, b, rng: batches(x, y, 1 if b is None else b, rng.permutation(len(x)))),
        ],
    )


def reference_sgd_step(w, g, velocity, lr, momentum, nesterov=False):
    """One step of nnlib's SGD from the given velocity; returns (new w, new velocity)."""
    optimizer = nnlib.optimizers.SGD(learning_rate=lr, momentum=momentum, nesterov=nesterov)
    w = w.copy()
    optimizer.build([w])
    optimizer.velocities[0][...] = velocity
    optimizer.apply([g], [w])
    return w, optimizer.velocities[0].copy()


def momentum_cases(rng, dtype=np.float64):
    settings = [((3,), 0.1, 0.9), ((2, 2), 0.01, 0.9), ((1,), 0.5, 0.5), ((4,), 0.05, 0.99), ((2, 3), 1.0, 0.3),
                ((5,), float(rng.uniform(0.001, 1)), float(rng.uniform(0.1, 0.99)))]
    return [(*tuple(rng.normal(size=shape).astype(dtype) for _ in range(3)), lr, momentum)
            for shape, lr, momentum in settings]


def check_momentum(student, rng):
    mistakes = [
        Mistake("the notes' update convention was used with Keras's velocity (v = momentum v + lr g, "
                "w - v): in this exercise the velocity is v = -update, v = momentum v - lr g, w + v",
                lambda w, g, v, lr, mu: (w - (mu * v + lr * g), mu * v + lr * g), MOMENTUM_HINT),
        Mistake("PyTorch's convention was used (v = momentum v + g, w - lr v); Keras scales the gradient "
                "by lr inside the velocity: v = momentum v - lr g, w + v",
                lambda w, g, v, lr, mu: (w - lr * (mu * v + g), mu * v + g), MOMENTUM_HINT),
        Mistake("w was moved by the old velocity; the new velocity (which includes this step's gradient) "
                "moves w", lambda w, g, v, lr, mu: (w + v, mu * v - lr * g), MOMENTUM_HINT),
        Mistake("the velocity was returned unchanged: return the new velocity, the next step needs it",
                lambda w, g, v, lr, mu: (w + mu * v - lr * g, v), MOMENTUM_HINT),
        Mistake("the momentum was ignored: that is a plain gradient-descent step",
                lambda w, g, v, lr, mu: (w - lr * g, -lr * g), MOMENTUM_HINT),
    ]
    step = student.function("sgd_momentum_step")
    check_function(step, reference_sgd_step, name="sgd_momentum_step", cases=momentum_cases(rng), mistakes=mistakes)
    check_function(step, reference_sgd_step, name="sgd_momentum_step", rtol=1e-5, atol=1e-6,
                   cases=momentum_cases(rng, np.float32), mistakes=mistakes)


def check_nesterov(student, rng):
    mistakes = [
        Mistake("plain momentum was used (w + v): Nesterov's step is w + momentum v - lr g",
                lambda w, g, v, lr, mu: (w + mu * v - lr * g, mu * v - lr * g), NESTEROV_HINT),
        Mistake("the gradient term is missing from the weight update: w + momentum v - lr g, with v the new "
                "velocity", lambda w, g, v, lr, mu: (w + mu * (mu * v - lr * g), mu * v - lr * g), NESTEROV_HINT),
        Mistake("the notes' update convention was used with Keras's velocity (v = momentum v + lr g, "
                "w - momentum v - lr g): in this exercise the velocity is v = -update, added to w",
                lambda w, g, v, lr, mu: (w - mu * (mu * v + lr * g) - lr * g, mu * v + lr * g), NESTEROV_HINT),
        Mistake("the gradient term was added instead of subtracted (w + momentum v + lr g)",
                lambda w, g, v, lr, mu: (w + mu * (mu * v - lr * g) + lr * g, mu * v - lr * g), NESTEROV_HINT),
        Mistake("the velocity was returned unchanged: return the new velocity, the next step needs it",
                lambda w, g, v, lr, mu: (w + mu * (mu * v - lr * g) - lr * g, v), NESTEROV_HINT),
    ]

    def reference(*args):
        return reference_sgd_step(*args, nesterov=True)

    step = student.function("nesterov_step")
    check_function(step, reference, name="nesterov_step", cases=momentum_cases(rng), mistakes=mistakes)
    check_function(step, reference, name="nesterov_step", rtol=1e-5, atol=1e-6,
                   cases=momentum_cases(rng, np.float32), mistakes=mistakes)


PARTS = [
    Part("updates_test", check_updates),
    Part("minibatches_test", check_minibatches),
    Part("momentum_test", check_momentum),
    Part("nesterov_test", check_nesterov),
]
