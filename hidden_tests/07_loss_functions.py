"""Hidden tests of exercise 7, Loss functions: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases (scores of +-1000, probabilities of exactly 0 and 1, float32)
sit beside cases drawn from it.
"""

from __future__ import annotations

import numpy as np

import nnlib.activations as nn_act
import nnlib.data as nn_data
import nnlib.losses as nn_losses
from nbcourse.checks import CheckFailed, Mistake, Part, StudentError, check_function

SOFTMAX_HINT = "See the chapter 'Loss functions', section 'Why softmax and not sigmoid?'."
STABILITY_HINT = "See the chapter 'Loss functions', section 'Numerical stability: the log of 0'."
MSE_HINT = "See the chapter 'Loss functions', section 'Mean squared error, for regression'."
BCE_HINT = "See the chapter 'Loss functions', section 'Binary cross-entropy, for two classes'."
CATEGORICAL_HINT = "See the chapter 'Loss functions', section 'Categorical cross-entropy, with one-hot targets'."
SPARSE_HINT = "See the chapter 'Loss functions', section 'Sparse categorical cross-entropy, with integer labels'."


def over_everything(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def check_softmax(student, rng):
    cases = [(rng.normal(0, 3, 5),), (rng.normal(0, 3, (4, 3)),), (rng.normal(0, 3, (1, 4)),),
             (rng.normal(0, 3, (2, 3, 4)),), (np.array([[2.0, 2.0, 2.0], [0.0, 1.0, 2.0]]),)]
    softmax = student.function("softmax")
    check_function(
        softmax, nn_act.softmax, name="softmax", cases=cases,
        mistakes=[
            Mistake("the scores were normalised down the columns (axis 0), not along each row (the last axis)",
                    lambda z: nn_act.softmax(z, axis=0), SOFTMAX_HINT),
            Mistake("the sigmoid 1 / (1 + e^-z) was used: it treats each score alone, and rows do not sum to 1",
                    nn_act.sigmoid, SOFTMAX_HINT),
            Mistake("the whole array was normalised at once: each row must be normalised on its own",
                    over_everything, SOFTMAX_HINT),
        ],
    )
    big = np.array([[1000.0, 999.0, 998.0], [-1000.0, 0.0, 1000.0], [-1000.0, -1000.0, -1001.0]])
    call = f"softmax({big.tolist()})"
    try:
        got = softmax(big.copy())
    except StudentError as error:
        raise CheckFailed(error.describe(call)) from None
    try:
        values = None if got is None else np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        values = None  # not numbers: check_function below says what it expected
    if values is not None and not np.all(np.isfinite(values)):
        raise CheckFailed(
            f"{call} returned {values.tolist()}: it looks like each row's own maximum was not "
            f"subtracted before e^z: e^1000 overflows to inf and inf / inf is nan, and a row far below a single "
            f"maximum subtracted from the whole array underflows to 0 / 0 = nan. {STABILITY_HINT}")
    check_function(softmax, nn_act.softmax, name="softmax", cases=[(big,)])
    check_function(softmax, nn_act.softmax, name="softmax", rtol=1e-5, atol=1e-7,
                   cases=[(rng.normal(0, 3, (3, 5)).astype(np.float32),)])  # float32: to float32 precision


def check_mse(student, rng):
    cases = [(rng.normal(size=(n, k)), rng.normal(size=(n, k))) for n, k in [(5, 3), (1, 1), (8, 1), (2, 4)]]
    check_function(
        student.function("mse"), nn_losses.mean_squared_error, name="mse", cases=cases,
        mistakes=[
            Mistake("the notes' cost with its factor 1/2: Keras's MSE has none",
                    lambda t, p: 0.5 * nn_losses.mean_squared_error(t, p), MSE_HINT),
            Mistake("the squared errors were summed instead of averaged", lambda t, p: float(np.sum((p - t) ** 2)),
                    MSE_HINT),
            Mistake("the sum was divided by the number of samples n only: the mean is over all n k entries",
                    lambda t, p: float(np.sum((p - t) ** 2) / len(p)), MSE_HINT),
            Mistake("the errors are not squared", lambda t, p: float(np.mean(p - t)), MSE_HINT),
        ],
    )
    check_function(
        student.function("mse_gradient", substitutes={"mse": nn_losses.mean_squared_error}),
        nn_losses.mean_squared_error_gradient, name="mse_gradient", cases=cases,
        mistakes=[
            Mistake("the sign is flipped: d/dy_pred of (y_pred - y_true)^2 is 2 (y_pred - y_true), as the notes' "
                    "erratum on dCf/dYp explains", lambda t, p: -nn_losses.mean_squared_error_gradient(t, p), MSE_HINT),
            Mistake("the factor 2 is missing: that is the gradient of the notes' cost (with 1/2), not of MSE",
                    lambda t, p: 0.5 * nn_losses.mean_squared_error_gradient(t, p), MSE_HINT),
            Mistake("the division by the number of entries n k is missing: MSE is a mean",
                    lambda t, p: 2.0 * (p - t), MSE_HINT),
            Mistake("the gradient was divided by n only, not by all n k entries",
                    lambda t, p: 2.0 * (p - t) / len(p), MSE_HINT),
        ],
    )


def bce_terms(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return y * np.log(p) + (1 - y) * np.log(1 - p)


def check_bce(student, rng):
    cases = [(rng.integers(0, 2, (n, k)).astype(float), nn_act.sigmoid(rng.normal(0, 2, (n, k))))
             for n, k in [(6, 3), (5, 1), (1, 1), (4, 2)]]
    cases.append((np.array([[1.0], [0.0], [1.0], [0.0]]), np.array([[0.0], [1.0], [0.9], [0.2]])))  # confidently wrong
    cases.append((np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.3, 1.0]])))         # confidently right
    check_function(
        student.function("binary_crossentropy"), nn_losses.binary_crossentropy, name="binary_crossentropy",
        cases=cases,
        mistakes=[
            Mistake("p was not clipped: ln 0 = -inf makes the loss inf (or nan)",
                    lambda y, p: float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))), STABILITY_HINT),
            Mistake("the minus sign is missing: a cross-entropy is never negative",
                    lambda y, p: -nn_losses.binary_crossentropy(y, p), BCE_HINT),
            Mistake("the (1 - y) ln(1 - p) term is missing: wrong answers for the samples with y = 0 cost nothing",
                    lambda y, p: float(-np.mean(y * np.log(np.clip(p, 1e-7, 1 - 1e-7)))), BCE_HINT),
            Mistake("the outputs were summed instead of averaged: the mean is over all n k entries",
                    lambda y, p: float(-np.sum(bce_terms(y, p)) / len(p)), BCE_HINT),
            Mistake("one loss per sample was returned (the mean over the outputs only): average over the "
                    "samples too, and return one float", lambda y, p: -np.mean(bce_terms(y, p), axis=1), BCE_HINT),
            Mistake("one loss per output was returned (the mean over the samples only): average over the "
                    "outputs too, and return one float", lambda y, p: -np.mean(bce_terms(y, p), axis=0), BCE_HINT),
        ],
    )


def log_clipped(p):
    return np.log(np.clip(p, 1e-7, 1 - 1e-7))


def check_categorical(student, rng):
    cases = []
    for n, k in [(6, 4), (1, 3), (9, 10), (5, 2)]:
        labels = rng.integers(0, k, n)
        cases.append((nn_data.one_hot(labels, k), nn_act.softmax(rng.normal(0, 2, (n, k)))))
    # A confident wrong answer: probability exactly 0 for the true class of the first sample.
    cases.append((nn_data.one_hot(np.array([0, 2, 1]), 3),
                  np.array([[0.0, 0.6, 0.4], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2]])))
    check_function(
        student.function("categorical_crossentropy", substitutes={"softmax": nn_act.softmax}),
        nn_losses.categorical_crossentropy, name="categorical_crossentropy", cases=cases,
        mistakes=[
            Mistake("the per-sample losses were summed instead of averaged over the samples",
                    lambda y, p: float(-np.sum(y * log_clipped(p))), CATEGORICAL_HINT),
            Mistake("np.mean over all n k entries divides by k too many: sum over the classes, then average "
                    "over the samples", lambda y, p: float(-np.mean(y * log_clipped(p))), CATEGORICAL_HINT),
            Mistake("p was not clipped: a probability of 0 for the true class gives ln 0 = -inf",
                    lambda y, p: float(-np.sum(y * np.log(p)) / len(p)), STABILITY_HINT),
            Mistake("the minus sign is missing: a cross-entropy is never negative",
                    lambda y, p: -nn_losses.categorical_crossentropy(y, p), CATEGORICAL_HINT),
        ],
    )


def check_sparse(student, rng):
    cases = [(rng.integers(0, k, n), nn_act.softmax(rng.normal(0, 2, (n, k))))
             for n, k in [(6, 4), (1, 3), (9, 10), (5, 5)]]
    cases.append((np.array([0, 2, 1]), np.array([[0.0, 0.6, 0.4], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2]])))
    substitutes = {"categorical_crossentropy": nn_losses.categorical_crossentropy, "softmax": nn_act.softmax}
    check_function(
        student.function("sparse_categorical_crossentropy", substitutes=substitutes),
        nn_losses.sparse_categorical_crossentropy, name="sparse_categorical_crossentropy", cases=cases,
        mistakes=[
            Mistake("p[:, labels] picks a whole column per label (an n x n matrix): each sample needs its own "
                    "class only, p[np.arange(n), labels]", lambda y, p: float(-np.mean(log_clipped(p[:, y]))),
                    SPARSE_HINT),
            Mistake("the losses were summed instead of averaged over the samples",
                    lambda y, p: float(-np.sum(log_clipped(p[np.arange(len(p)), y]))), SPARSE_HINT),
            Mistake("p was not clipped: a probability of 0 for the true class gives ln 0 = -inf",
                    lambda y, p: float(-np.mean(np.log(p[np.arange(len(p)), y]))), STABILITY_HINT),
            Mistake("the labels were used as if they were one-hot rows (labels times ln p): a label is the index "
                    "of the true class", lambda y, p: float(-np.sum(y[:, None] * log_clipped(p)) / len(p)),
                    SPARSE_HINT),
            Mistake("p[labels] picks whole rows by label: each sample needs its own class, p[np.arange(n), labels]",
                    lambda y, p: float(-np.mean(log_clipped(p[y]))) if y.max() < len(p) else np.array([np.nan]),
                    SPARSE_HINT),
        ],
    )


PARTS = [
    Part("softmax_test", check_softmax),
    Part("mse_test", check_mse),
    Part("bce_test", check_bce),
    Part("categorical_test", check_categorical),
    Part("sparse_test", check_sparse),
]
