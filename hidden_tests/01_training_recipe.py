"""Hidden tests of exercise 1, The training recipe: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it.
"""

from __future__ import annotations

import math
import types

import numpy as np

import nnlib.activations
import nnlib.callbacks
import nnlib.data
import nnlib.metrics
from nbcourse.checks import Mistake, Part, check_function

SETS_HINT = "See the chapter 'The training recipe', section 'Training, validation and test sets'."
BY_HAND_HINT = "See the chapter 'The training recipe', section 'The same loop by hand'."
STOPPING_HINT = "See the chapter 'The training recipe', section 'The same loop by hand', and its exercise 1."


def generator(rng):
    """A fresh Generator for one case, drawn from the part's generator (sent to the kernel by its state)."""
    return np.random.default_rng(int(rng.integers(2**31)))


def reference_split(x, y, validation, rng):
    return nnlib.data.train_holdout_split(x, y, holdout=validation, seed=rng)


def split_with(x, y, n_hold, order_x, order_y=None, hold_first=False):
    """A split with n_hold validation samples, built from given orders (for the mistakes below)."""
    order_y = order_x if order_y is None else order_y
    cut = n_hold if hold_first else len(x) - n_hold
    if hold_first:
        return x[order_x[cut:]], x[order_x[:cut]], y[order_y[cut:]], y[order_y[:cut]]
    return x[order_x[:cut]], x[order_x[cut:]], y[order_y[:cut]], y[order_y[cut:]]


def check_split(student, rng):
    # round(validation * n) against the mistakes: 7 * 0.4 = 2.8 (int: 2), 11 * 0.2 = 2.2 (math.ceil: 3).
    cases = [(rng.normal(size=(10, 2)), np.arange(10), 0.3, generator(rng)),
             (rng.normal(size=(50, 3)), rng.normal(size=(50, 1)), 0.2, generator(rng)),
             (rng.normal(size=(7, 1)), rng.integers(0, 3, 7), 0.4, generator(rng)),
             (rng.normal(size=(2, 4)), np.array([0, 1]), 0.5, generator(rng)),
             (rng.normal(size=(40, 2)).astype(np.float32), rng.normal(size=(40, 3)), 0.1, generator(rng)),
             (rng.normal(size=(11, 2)), np.arange(11), 0.2, generator(rng))]
    n = int(rng.integers(10, 60))
    cases.append((rng.normal(size=(n, 3)), rng.integers(0, 5, n), round(float(rng.uniform(0.1, 0.5)), 2),
                  generator(rng)))
    check_function(
        student.function("train_holdout_split"), reference_split, name="train_holdout_split", cases=cases,
        mistakes=[
            Mistake("x and y were shuffled with two different permutations, so a sample's row of x "
                    "no longer sits next to its own row of y",
                    lambda x, y, h, rng: split_with(x, y, round(h * len(x)), rng.permutation(len(x)),
                                                    rng.permutation(len(x))), SETS_HINT),
            Mistake("the training part is the whole data set: the validation samples are also trained on, "
                    "so the validation set can no longer show how the model does on data it never saw",
                    lambda x, y, h, rng: (lambda o, k: (x[o], x[o[len(x) - k:]], y[o], y[o[len(x) - k:]]))(
                        rng.permutation(len(x)), round(h * len(x))), SETS_HINT),
            Mistake("the samples were not shuffled: the validation set is simply the last rows (this is what "
                    "Keras's validation_split does, and it goes wrong when the data are sorted)",
                    lambda x, y, h, rng: split_with(x, y, round(h * len(x)), np.arange(len(x)))),
            Mistake("n_val was rounded up (math.ceil); the task asks for round(validation * n)",
                    lambda x, y, h, rng: split_with(x, y, math.ceil(h * len(x)), rng.permutation(len(x)))),
            Mistake("n_val was rounded down (int or //); the task asks for round(validation * n)",
                    lambda x, y, h, rng: split_with(x, y, int(h * len(x)), rng.permutation(len(x)))),
            Mistake("the validation set was taken from the start of the permutation; the task asks for the "
                    "last n_val entries of order",
                    lambda x, y, h, rng: split_with(x, y, round(h * len(x)), rng.permutation(len(x)),
                                                    hold_first=True)),
        ],
    )


def scaled_by(mean, std, *arrays):
    std = np.where(std > 0, std, 1.0)
    return tuple((a - mean) / std for a in arrays)


def check_standardize(student, rng):
    mistakes = [
        Mistake("each set was scaled with its own statistics: the validation set's mean and standard deviation "
                "were used for it, so information from it leaked into the preparation",
                lambda a, b: (*scaled_by(a.mean(0), a.std(0), a), *scaled_by(b.mean(0), b.std(0), b)), SETS_HINT),
        Mistake("the statistics of all the data (training and validation together) were used, "
                "not those of the training set alone",
                lambda a, b: scaled_by(np.r_[a, b].mean(0), np.r_[a, b].std(0), a, b), SETS_HINT),
        Mistake("the sample standard deviation (ddof=1, dividing by n - 1) was used; the task asks for "
                "np.std's default, dividing by n",
                lambda a, b: scaled_by(a.mean(0), a.std(0, ddof=1), a, b)),
        Mistake("the features were centred but not divided by their standard deviation",
                lambda a, b: (a - a.mean(0), b - a.mean(0))),
        Mistake("the statistics were taken over the rows (axis=1) instead of over the samples (axis=0)",
                lambda a, b: (*scaled_by(a.mean(1, keepdims=True), a.std(1, keepdims=True), a),
                              *scaled_by(b.mean(1, keepdims=True), b.std(1, keepdims=True), b))),
    ]
    scales, shifts = np.array([1.0, 10.0, 0.1]), np.array([5.0, -3.0, 100.0])
    n, d = int(rng.integers(2, 40)), int(rng.integers(1, 6))
    scale, shift = rng.uniform(0.1, 10, d), rng.uniform(-100, 100, d)
    cases = [(rng.normal(size=(20, 3)) * scales + shifts, rng.normal(size=(8, 3)) * 2 * scales + shifts + 1),
             (rng.normal(size=(5, 2)), rng.normal(size=(1, 2)) + 3),
             (np.c_[rng.normal(size=(6, 1)), np.full((6, 1), 7.0)], rng.normal(size=(4, 2)) + 7),   # a constant feature
             (rng.uniform(0, 16, size=(30, 4)), rng.uniform(0, 16, size=(30, 4))),
             (rng.normal(size=(n, d)) * scale + shift, rng.normal(size=(int(rng.integers(1, 20)), d)) * scale + shift)]
    standardize = student.function("standardize")
    check_function(standardize, nnlib.data.standardize, name="standardize", cases=cases, mistakes=mistakes)
    # float32 inputs: compared with a tolerance that allows for float32 rounding
    cases32 = [(rng.normal(size=(16, 3)).astype(np.float32) * 3 + 1, rng.normal(size=(5, 3)).astype(np.float32))]
    check_function(standardize, nnlib.data.standardize, name="standardize", cases=cases32, mistakes=mistakes,
                   rtol=1e-4, atol=1e-5)


def check_accuracy(student, rng):
    # First a case where each mistake below gives a different number (predictions 2, 0, 3, 2, 1).
    first = (np.array([2, 0, 1, 2, 3]), np.array([[0.05, 0.05, 0.9, 0.0, 0.0], [0.6, 0.1, 0.1, 0.1, 0.1],
                                                  [0.1, 0.2, 0.1, 0.5, 0.1], [0.1, 0.1, 0.7, 0.05, 0.05],
                                                  [0.1, 0.4, 0.2, 0.1, 0.2]]))
    sizes = [(5, 5), (12, 3), (1, 4), (40, 2), (30, 10), (int(rng.integers(1, 100)), int(rng.integers(2, 12)))]
    cases = [first] + [(rng.integers(0, k, n), nnlib.activations.softmax(rng.normal(0, 2, (n, k)))) for n, k in sizes]
    check_function(
        student.function("accuracy"), nnlib.metrics.sparse_categorical_accuracy, name="accuracy", cases=cases,
        mistakes=[
            Mistake("the argmax was taken over the samples (axis=0) instead of over each row's classes (axis=1)",
                    lambda labels, p: float(np.mean(np.argmax(p, axis=0) == labels)), BY_HAND_HINT),
            Mistake("np.argmax was called without an axis, so it gives one index into the flattened array",
                    lambda labels, p: float(np.mean(np.argmax(p) == labels))),
            Mistake("the largest probability itself was compared with the label, not its position (use argmax)",
                    lambda labels, p: float(np.mean(np.max(p, axis=1) == labels))),
            Mistake("the number of right predictions was returned, not their share (the sum, not the mean)",
                    lambda labels, p: float(np.sum(np.argmax(p, axis=1) == labels))),
            Mistake("the accuracy was returned as a percentage; return a fraction between 0 and 1",
                    lambda labels, p: 100 * nnlib.metrics.sparse_categorical_accuracy(labels, p)),
        ],
    )


def reference_epochs_trained(losses, min_delta, patience):
    """Feed the losses to nnlib's EarlyStopping callback, epoch by epoch, as fit would."""
    stopper = nnlib.callbacks.EarlyStopping(monitor="val_loss", min_delta=min_delta, patience=patience)
    stopper.set_model(types.SimpleNamespace(stop_training=False))
    stopper.on_train_begin()
    for epoch, loss in enumerate(losses):
        stopper.on_epoch_end(epoch, {"val_loss": loss})
        if stopper.model.stop_training:
            return epoch + 1
    return len(losses)


def variant(losses, min_delta, patience, against_previous=False, ties_improve=False, reset=True, late=0,
            use_delta=True, index=False):
    """Early stopping with one thing changed (for the mistakes below)."""
    best = previous = None
    wait = 0
    delta = min_delta if use_delta else 0.0
    for epoch, loss in enumerate(losses):
        reference = previous if against_previous else best
        improved = reference is None or (loss <= reference - delta if ties_improve else loss < reference - delta)
        previous = loss
        if improved:
            best = loss
            if reset:
                wait = 0
        else:
            wait += 1
            if wait >= patience + late:
                return epoch if index else epoch + 1
    return len(losses)


def check_stopping(student, rng):
    noisy = [float(v) for v in np.round(1.0 / np.arange(1, 16) + rng.normal(0, 0.02, 15), 3)]
    walk = [float(v) for v in np.round(1.0 + np.cumsum(rng.normal(-0.01, 0.03, 20)), 3)]
    cases = [
        ([1.0, 0.9, 0.95, 0.97], 0.0, 2),                                # stops after the last epoch
        ([1.0, 0.9, 0.95, 0.85, 0.9, 0.92, 0.91, 0.8, 0.79], 0.0, 2),   # a bump, then two epochs without a new best
        ([3.0, 2.0, 2.5, 1.5, 1.8, 1.4, 1.9, 1.6, 1.7, 1.65], 0.0, 3),
        ([1.0, 0.9, 0.9, 0.9, 0.85, 0.85], 0.0, 2),                     # plateaus: equal is no improvement
        ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], 0.0, 1),                       # never stops
        ([1.0, 0.96, 0.93, 0.92, 0.915, 0.91, 0.905, 0.9], 0.05, 2),    # improvements smaller than min_delta
        (noisy, 0.0, 3), (noisy, 0.001, 5), (noisy, 0.0, 1),
        (np.array([0.5, 0.6, 0.4, 0.45, 0.41, 0.39, 0.38]), 0.0, 2),
        ([2.0], 0.0, 1),
        (walk, float(rng.choice([0.0, 0.01])), int(rng.integers(1, 5))),
    ]
    check_function(
        student.function("epochs_trained"), reference_epochs_trained, name="epochs_trained", cases=cases,
        mistakes=[
            Mistake("each loss was compared with the previous epoch's loss; early stopping compares it with "
                    "the best loss so far", lambda l, d, p: variant(l, d, p, against_previous=True), STOPPING_HINT),
            Mistake("a loss equal to the best was counted as an improvement; it must be strictly lower "
                    "(loss < best - min_delta)", lambda l, d, p: variant(l, d, p, ties_improve=True), STOPPING_HINT),
            Mistake("the wait counter was not reset to 0 after an improvement, so it counted every epoch "
                    "without a new best since the start", lambda l, d, p: variant(l, d, p, reset=False),
                    STOPPING_HINT),
            Mistake("training stopped one epoch late (when wait exceeded patience instead of reaching it)",
                    lambda l, d, p: variant(l, d, p, late=1), STOPPING_HINT),
            Mistake("the 0-based position of the last epoch was returned; return the number of epochs trained",
                    lambda l, d, p: variant(l, d, p, index=True), STOPPING_HINT),
            Mistake("min_delta was ignored: an improvement must beat the best by more than min_delta",
                    lambda l, d, p: variant(l, d, p, use_delta=False), STOPPING_HINT),
        ],
    )


PARTS = [
    Part("split_test", check_split),
    Part("standardize_test", check_standardize),
    Part("accuracy_test", check_accuracy),
    Part("stopping_test", check_stopping),
]
