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

METRICS_HINT = "See the chapter 'Hands-on regression and classification', section 'Evaluate on the holdout'."
ONE_HOT_HINT = ("See the chapter 'Hands-on regression and classification', section 'Sparse or one-hot: "
                "the same cost'.")
CONFUSION_HINT = ("See the chapter 'Hands-on regression and classification', section 'Where the errors are: "
                  "the confusion matrix'.")
FORWARD_HINT = "See the chapter 'Hands-on regression and classification', section 'Choose, and train with a holdout'."


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


def reference_classes(probabilities):
    if probabilities.shape[1] == 1:
        return (probabilities[:, 0] > 0.5).astype(int)  # as nnlib.metrics.binary_accuracy thresholds
    return np.argmax(probabilities, axis=1)


def check_classes(student, rng):
    cases = [(nnlib.activations.softmax(rng.normal(0, 2, (n, k))),) for n, k in [(12, 3), (1, 10), (40, 4), (5, 2)]]
    cases += [(nnlib.activations.sigmoid(rng.normal(0, 2, (n, 1))),) for n in (9, 30, 1)]
    check_function(
        student.function("predict_classes"), reference_classes, name="predict_classes", cases=cases,
        mistakes=[
            Mistake("argmax of a single sigmoid column is always 0: threshold P(class 1) at 0.5 instead",
                    lambda p: np.argmax(p, axis=1), CONFUSION_HINT),
            Mistake("the argmax is taken over axis 0 (the samples): each row is one sample, take it over axis 1",
                    lambda p: np.argmax(p, axis=0), CONFUSION_HINT),
            Mistake("the largest probability is returned instead of its column (max instead of argmax)",
                    lambda p: np.max(p, axis=1), CONFUSION_HINT),
            Mistake("the result keeps the column: return shape (n,), not (n, 1)",
                    lambda p: (p > 0.5).astype(int) if p.shape[1] == 1 else np.argmax(p, axis=1)[:, None],
                    CONFUSION_HINT),
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
                    lambda x, layers: reference_forward(x, [(W, 0 * b) for W, b in layers])),
        ],
    )


PARTS = [
    Part("metrics_test", check_metrics),
    Part("onehot_test", check_onehot),
    Part("classes_test", check_classes),
    Part("confusion_test", check_confusion),
    Part("forward_test", check_forward),
]
