"""Hidden tests of exercise 10, Hands-on regression and classification: they run in the grader, never in
the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it.
"""

from __future__ import annotations

import itertools

import numpy as np

import nnlib
import nnlib.activations
import nnlib.data
import nnlib.layers
import nnlib.metrics
from nbcourse.checks import Mistake, Part, check_function

METRICS_HINT = "See the chapter 'Hands-on regression and classification', section 'Evaluate on the test set'."
ONE_HOT_HINT = ("See the chapter 'Hands-on regression and classification', section 'Sparse or one-hot: "
                "the same cost'.")
CONFUSION_HINT = ("See the chapter 'Hands-on regression and classification', section 'Where the errors are: "
                  "the confusion matrix'.")
FORWARD_HINT = ("See the chapter 'Hands-on regression and classification', section 'Choose, and train with a "
                "validation set'.")
RATIO_HINT = ("See the chapter 'Hands-on regression and classification', section 'The update-to-weight ratio, "
              "per layer'.")


def reference_metrics(y_true, y_pred):
    mse = nnlib.metrics.mean_squared_error(y_true, y_pred)
    mae = nnlib.metrics.mean_absolute_error(y_true, y_pred)
    baseline = nnlib.metrics.mean_squared_error(y_true, np.full_like(y_true, np.mean(y_true)))
    return mse, mae, 1.0 - mse / baseline


def with_r2(r2_function):
    return lambda y, p: (*reference_metrics(y, p)[:2], r2_function(y, p))


def with_mae(mae_function):
    return lambda y, p: (reference_metrics(y, p)[0], mae_function(y, p), reference_metrics(y, p)[2])


def check_metrics(student, rng):
    cases = []
    for shape in [(7,), (30, 1), (200,), (1000, 1)]:
        y = rng.normal(2.0, 3.0, shape)
        cases.append((y, y + rng.normal(0.5, 1.0, shape)))
    cases.append((y, np.full(y.shape, float(np.mean(y)))))  # R^2 = 0
    cases.append((y, -y))  # much worse than the mean: R^2 < 0
    cases.append((np.array([0.0, 1.0]), np.array([0.0, 1.0])))  # perfect: R^2 = 1
    cases.append((rng.normal(size=50).astype(np.float32), rng.normal(size=50).astype(np.float32)))
    check_function(
        student.function("regression_metrics"), reference_metrics, name="regression_metrics", cases=cases,
        rtol=1e-5,
        mistakes=[
            Mistake("R^2's denominator uses the predictions: it must be the spread of the targets, "
                    "sum (y_true - mean(y_true))^2",
                    with_r2(lambda y, p: 1 - np.sum((y - p) ** 2) / np.sum((p - np.mean(p)) ** 2)), METRICS_HINT),
            Mistake("R^2's denominator is not centred: it must be sum (y_true - mean(y_true))^2, "
                    "not sum y_true^2",
                    with_r2(lambda y, p: 1 - np.sum((y - p) ** 2) / np.sum(y ** 2)), METRICS_HINT),
            Mistake("R^2 is missing its '1 -': the ratio alone is 0 for a perfect model",
                    with_r2(lambda y, p: np.sum((y - p) ** 2) / np.sum((y - np.mean(y)) ** 2)), METRICS_HINT),
            Mistake("the MAE has no absolute value: positive and negative errors cancel",
                    with_mae(lambda y, p: np.mean(y - p)), METRICS_HINT),
            Mistake("the MAE has no absolute value: positive and negative errors cancel",
                    with_mae(lambda y, p: np.mean(p - y)), METRICS_HINT),
            Mistake("the MSE is the root mean squared error (RMSE): the square root is not part of the MSE",
                    lambda y, p: (np.sqrt(reference_metrics(y, p)[0]), *reference_metrics(y, p)[1:]), METRICS_HINT),
        ],
    )


def check_onehot(student, rng):
    cases = [(rng.integers(0, 5, 20), 5), (rng.integers(0, 3, 40), 10), (np.array([1]), 2), (np.array([0, 0, 0]), 3),
             (np.arange(7)[::-1].copy(), 7)]
    check_function(
        student.function("one_hot"), nnlib.data.one_hot, name="one_hot", cases=cases,
        mistakes=[
            Mistake("the number of columns comes from the largest label, not from k",
                    lambda labels, k: nnlib.data.one_hot(labels), ONE_HOT_HINT),
            Mistake("the result is transposed: one row per sample, one column per class",
                    lambda labels, k: nnlib.data.one_hot(labels, k).T, ONE_HOT_HINT),
            Mistake("the classes are counted from 1: label 0 must set column 0",
                    lambda labels, k: np.eye(k)[labels - 1], ONE_HOT_HINT),
        ],
    )


def reference_confusion(labels, predicted, k):
    return nnlib.data.one_hot(labels, k).T @ nnlib.data.one_hot(predicted, k)


def check_confusion(student, rng):
    cases = []
    for n, k in [(30, 3), (200, 10), (8, 2), (1, 4)]:
        labels = rng.integers(0, k, n)
        predicted = np.where(rng.random(n) < 0.6, labels, rng.integers(0, k, n))
        cases.append((labels, predicted, k))
    cases.append((np.array([0, 0, 1]), np.array([2, 2, 2]), 5))
    check_function(
        student.function("confusion_matrix", substitutes={"one_hot": nnlib.data.one_hot}), reference_confusion,
        name="confusion_matrix", cases=cases,
        mistakes=[
            Mistake("the matrix is transposed: rows are the true classes, columns the predictions",
                    lambda labels, predicted, k: reference_confusion(labels, predicted, k).T, CONFUSION_HINT),
            Mistake("each row is divided by its class's count: return the counts themselves",
                    lambda labels, predicted, k: reference_confusion(labels, predicted, k)
                    / np.maximum(reference_confusion(labels, predicted, k).sum(axis=1, keepdims=True), 1),
                    CONFUSION_HINT),
            Mistake("the size comes from the largest label seen, not from k",
                    lambda labels, predicted, k: reference_confusion(labels, predicted, k)[
                        :max(labels.max(), predicted.max()) + 1, :max(labels.max(), predicted.max()) + 1],
                    CONFUSION_HINT),
        ],
    )


def reference_forward(x, layers, hidden="relu", output="linear"):
    activations = [hidden] * (len(layers) - 1) + [output]
    model = nnlib.Sequential([nnlib.layers.Dense(W.shape[1], activation=activation)
                              for (W, _), activation in zip(layers, activations, strict=True)])
    model.build(x.shape[1])
    model.set_weights([w for pair in layers for w in pair])
    return model.predict(x)


def check_forward(student, rng):
    cases = []
    for n, sizes in [(10, [4, 8, 1]), (25, [4, 8, 6, 1]), (7, [3, 1]), (12, [5, 6, 2]), (1, [3, 4, 1])]:
        layers = [(rng.normal(size=(a, b)), rng.normal(size=b)) for a, b in itertools.pairwise(sizes)]
        cases.append((rng.normal(0, 2, (n, sizes[0])), layers))
    check_function(
        student.function("regression_forward"), reference_forward, name="regression_forward", cases=cases,
        mistakes=[
            Mistake("the output layer has a ReLU: a regression output needs no activation, "
                    "or it can never predict a negative value",
                    lambda x, layers: reference_forward(x, layers, output="relu"), FORWARD_HINT),
            Mistake("the output layer has a softmax: softmax turns scores into class probabilities, "
                    "a regression output needs no activation",
                    lambda x, layers: reference_forward(x, layers, output="softmax"), FORWARD_HINT),
            Mistake("the output layer has a sigmoid: a regression output needs no activation",
                    lambda x, layers: reference_forward(x, layers, output="sigmoid"), FORWARD_HINT),
            Mistake("the hidden layers have no ReLU: without it the network is one linear map",
                    lambda x, layers: reference_forward(x, layers, hidden="linear"), FORWARD_HINT),
            Mistake("the biases are missing",
                    lambda x, layers: reference_forward(x, [(W, 0 * b) for W, b in layers]), FORWARD_HINT),
        ],
    )


def frobenius(w):
    return np.sqrt(np.sum(np.square(w)))


def reference_ratio(w_before, w_after):
    return float(frobenius(w_after - w_before) / frobenius(w_before))


def check_ratio(student, rng):
    cases = [(np.array([[3.0, 0.0], [0.0, 4.0]]), np.array([[3.0, 0.03], [0.04, 4.0]])),  # the visible check's
             (np.array([0.6, 0.8]), np.array([-0.6, -0.8]))]                                 # every sign flipped: 2
    for shape, step in [((64, 10), 1e-3), ((8, 5), 1e-2), ((30,), 1e-1), ((3, 4), 1.0), ((1, 1), 1e-3)]:
        w = rng.normal(0, 0.3, shape)
        cases.append((w, w + rng.normal(0, step * 0.3, shape)))          # an update about `step` of the weights
    w = rng.normal(0, 0.3, (20, 6))
    cases.append((w, 1.02 * w))                                          # every weight grown by 2 %
    cases.append((w.astype(np.float32), (w + 1e-3).astype(np.float32)))
    check_function(
        student.function("update_ratio"), reference_ratio, name="update_ratio", cases=cases, rtol=1e-5,
        mistakes=[
            Mistake("the norms are divided, ||W_after|| / ||W_before||: that is about 1 for any small update; "
                    "take the norm of the change, ||W_after - W_before||",
                    lambda b, a: frobenius(a) / frobenius(b), RATIO_HINT),
            Mistake("the norms are subtracted, (||W_after|| - ||W_before||) / ||W_before||: an update that turns "
                    "the weights without growing them scores 0; take the norm of the difference",
                    lambda b, a: (frobenius(a) - frobenius(b)) / frobenius(b), RATIO_HINT),
            Mistake("the change is divided by the norm of the weights after the update: divide by ||W_before||",
                    lambda b, a: frobenius(a - b) / frobenius(a), RATIO_HINT),
            Mistake("the squared norms are divided: take the square root of each sum of squares",
                    lambda b, a: np.sum((a - b) ** 2) / np.sum(b ** 2), RATIO_HINT),
            Mistake("the ratio is taken entry by entry and averaged, mean(|dW| / |W|): use the norms of the "
                    "whole matrices",
                    lambda b, a: np.mean(np.abs(a - b) / np.abs(b)), RATIO_HINT),
            Mistake("mean absolute values were used, mean|dW| / mean|W|: the rule of thumb uses the Frobenius "
                    "norms, the square roots of the sums of squares",
                    lambda b, a: np.mean(np.abs(a - b)) / np.mean(np.abs(b)), RATIO_HINT),
            Mistake("the norm is taken along one axis only: the Frobenius norm sums the squares of all the entries",
                    lambda b, a: np.linalg.norm(a - b, axis=0).sum() / np.linalg.norm(b, axis=0).sum(),
                    RATIO_HINT),
        ],
    )


PARTS = [
    Part("metrics_test", check_metrics),
    Part("onehot_test", check_onehot),
    Part("confusion_test", check_confusion),
    Part("forward_test", check_forward),
    Part("ratio_test", check_ratio),
]
