"""Metrics: numbers for judging a model, not for training it.

A loss must be differentiable so that gradient descent can follow it; a metric only
has to mean something to a person (accuracy, mean absolute error). Each metric takes
``(y_true, y_pred)`` as the model's loss receives them and returns a float.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnlib._checks import unknown_name

Array = np.ndarray
Metric = Callable[[Array, Array], float]


def binary_accuracy(y_true: Array, y_pred: Array, threshold: float = 0.5) -> float:
    """Share of outputs on the right side of ``threshold``."""
    return float(np.mean((y_pred > threshold) == (y_true > 0.5)))


def categorical_accuracy(y_true: Array, y_pred: Array) -> float:
    """Share of samples whose largest output is the one-hot target's class."""
    return float(np.mean(np.argmax(y_pred, axis=1) == np.argmax(y_true, axis=1)))


def sparse_categorical_accuracy(labels: Array, y_pred: Array) -> float:
    """Share of samples whose largest output is the integer label."""
    return float(np.mean(np.argmax(y_pred, axis=1) == labels))


def mean_absolute_error(y_true: Array, y_pred: Array) -> float:
    """MAE = mean |y_pred - y_true|."""
    return float(np.mean(np.abs(y_pred - y_true)))


def mean_squared_error(y_true: Array, y_pred: Array) -> float:
    """MSE = mean (y_pred - y_true)^2."""
    return float(np.mean((y_pred - y_true) ** 2))


METRICS: dict[str, Metric] = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "mean_absolute_error": mean_absolute_error,
    "mean_squared_error": mean_squared_error,
}
ALIASES = {"mae": "mean_absolute_error", "mse": "mean_squared_error"}
# Keras reads "accuracy" by the loss: which accuracy makes sense depends on the targets.
ACCURACY_FOR_LOSS = {
    "binary_crossentropy": "binary_accuracy",
    "categorical_crossentropy": "categorical_accuracy",
    "sparse_categorical_crossentropy": "sparse_categorical_accuracy",
}


def get(identifier: str, loss_name: str) -> tuple[str, Metric]:
    """``(history key, function)`` for a metric name; ``"accuracy"``/``"acc"`` follows the loss."""
    if not isinstance(identifier, str):
        raise TypeError(f"metrics must be names such as 'accuracy', got {identifier!r}")
    if identifier in ("accuracy", "acc"):
        if loss_name not in ACCURACY_FOR_LOSS:
            raise ValueError(
                f"'accuracy' needs a classification loss ({', '.join(ACCURACY_FOR_LOSS)}), "
                f"not {loss_name!r}; use 'mae' or 'mse' for regression"
            )
        return "accuracy", METRICS[ACCURACY_FOR_LOSS[loss_name]]
    name = ALIASES.get(identifier, identifier)
    if name not in METRICS:
        raise unknown_name("metric", identifier, [*METRICS, *ALIASES, "accuracy"])
    return identifier, METRICS[name]
