"""Metrics: numbers for judging a model, not for training it.

A loss must be differentiable so that gradient descent can follow it; a metric only
has to mean something to a person (accuracy, mean absolute error, R²). Each metric in
``METRICS`` takes ``(y_true, y_pred)`` as the model's loss receives them and returns a float.

:func:`confusion_matrix` is not one of them: it returns a matrix of counts, to look at after
training (rows are true classes, columns predicted ones, as ``tf.math.confusion_matrix``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnlib._checks import as_float_array, unknown_name

Array = np.ndarray
Metric = Callable[[Array, Array], float]


def binary_accuracy(y_true: Array, y_pred: Array, threshold: float = 0.5) -> float:
    """Share of outputs on the right side of ``threshold``."""
    return float(np.mean((y_pred > threshold) == (y_true > 0.5)))


def categorical_accuracy(y_true: Array, y_pred: Array) -> float:
    """Share of samples whose largest output is the one-hot target's class."""
    return np.count_nonzero(y_pred.argmax(axis=1) == y_true.argmax(axis=1)) / len(y_true)


def sparse_categorical_accuracy(labels: Array, y_pred: Array) -> float:
    """Share of samples whose largest output is the integer label."""
    return np.count_nonzero(y_pred.argmax(axis=1) == labels) / len(labels)


def mean_absolute_error(y_true: Array, y_pred: Array) -> float:
    """MAE = mean |y_pred - y_true|."""
    return float(np.mean(np.abs(y_pred - y_true)))


def mean_squared_error(y_true: Array, y_pred: Array) -> float:
    """MSE = mean (y_pred - y_true)^2."""
    return float(np.mean((y_pred - y_true) ** 2))


def _as_columns(values, name: str) -> Array:
    """``values`` as a float64 matrix (n_samples, n_outputs); a 1-D array is one output."""
    array = as_float_array(values, name, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, n_outputs) or (n_samples,), got shape {array.shape}")
    return array


def r2_score(y_true: Array, y_pred: Array) -> float:
    """R² = 1 - SS_res / SS_tot, the coefficient of determination, as Keras's ``R2Score()``.

    Per output column j, SS_res = sum_i (y_ij - ŷ_ij)² and SS_tot = sum_i (y_ij - mean_i y_ij)²;
    the columns' scores are then averaged (Keras's default ``class_aggregation="uniform_average"``).
    1 is a perfect fit, 0 is no better than predicting each column's mean, and a worse model
    is negative. As in Keras, a column whose targets are all equal (SS_tot = 0) scores 0 if the
    predictions miss it, and nan (0 / 0) if they hit it exactly.

    Shapes: (n, k) and (n, k); a 1-D array counts as one column, (n,) and (n, 1) match.
    ``fit`` reports each metric as the average over the epoch's batches (weighted by their
    size); for R² that is not the R² of the whole epoch, which Keras reports. ``evaluate`` and
    the ``val_`` numbers are over the whole data set, as in Keras.
    """
    y_true, y_pred = _as_columns(y_true, "y_true"), _as_columns(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"r2_score needs y_true and y_pred of one shape (n_samples, n_outputs), "
            f"got {y_true.shape} and {y_pred.shape}"
        )
    if len(y_true) == 0:
        raise ValueError("r2_score needs at least one sample")
    ss_res = np.sum((y_true - y_pred) ** 2, axis=0)
    constant = np.all(y_true == y_true[0], axis=0)  # SS_tot exactly 0, whatever the mean rounds to
    ss_tot = np.where(constant, 0.0, np.sum((y_true - np.mean(y_true, axis=0)) ** 2, axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):  # where SS_tot = 0 the ratio is not used
        fraction = ss_res / ss_tot
    scores = np.where(ss_tot > 0, 1.0 - fraction, np.where(ss_res > 0, 0.0, np.nan))
    return float(np.mean(scores))


def _class_labels(values, name: str) -> Array:
    """Integer class labels from labels (n,) or (n, 1), or from scores (n, k) by argmax."""
    array = np.asarray(values)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if array.ndim == 2 and array.shape[1] > 1:
        return np.argmax(array, axis=1)
    if array.ndim == 2:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be class labels of shape (n_samples,) or scores of shape (n_samples, n_classes), "
            f"got shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.integer):
        whole = np.isfinite(array) & (array == np.round(array)) & (np.abs(array) < 2.0**53)
        if not np.all(whole):
            hint = ""
            if np.all((array >= 0) & (array <= 1)):
                hint = "; for one sigmoid output per sample, threshold it first: (p > 0.5).astype(int)"
            bad = array[~whole][0].item()
            raise TypeError(f"{name} must hold integer class labels, got values such as {bad!r}{hint}")
    labels = array.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name} contains the label {labels.min()}: class labels start at 0")
    return labels


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> Array:
    """Counts C[i, j] of samples of true class i predicted as class j, shape (num_classes, num_classes).

    Rows are the true classes and columns the predicted ones, as in ``tf.math.confusion_matrix``:
    the diagonal holds the right answers, its sum divided by the total is the accuracy.

    Each argument is either integer class labels, shape (n,) or (n, 1), or one row of scores
    per sample, shape (n, k) with k >= 2 (probabilities, one-hot rows or logits), read as the
    class with the largest score (argmax), as ``categorical_accuracy`` reads them. A single
    sigmoid column is not guessed at: pass ``(p > 0.5).astype(int)``.

    ``num_classes`` defaults, as in TensorFlow, to the largest label seen plus 1, and at
    least to k for scores of k columns, so that a class never seen still gets its row.
    """
    labels, predicted = _class_labels(y_true, "y_true"), _class_labels(y_pred, "y_pred")
    if len(labels) != len(predicted):
        raise ValueError(
            f"y_true and y_pred must have the same number of samples, got {len(labels)} and {len(predicted)}"
        )
    if num_classes is None:
        widths = [np.shape(v)[1] for v in (y_true, y_pred) if np.ndim(v) == 2 and np.shape(v)[1] > 1]
        num_classes = max([int(labels.max(initial=-1)) + 1, int(predicted.max(initial=-1)) + 1, *widths])
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer or None, got {num_classes!r}")
    num_classes = int(num_classes)
    for name, values in (("y_true", labels), ("y_pred", predicted)):
        if values.size and values.max() >= num_classes:
            raise ValueError(
                f"{name} contains the class {values.max()}, but num_classes={num_classes}: "
                f"classes must be integers in 0..{num_classes - 1}"
            )
    counts = np.bincount(labels * num_classes + predicted, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


METRICS: dict[str, Metric] = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "mean_absolute_error": mean_absolute_error,
    "mean_squared_error": mean_squared_error,
    "r2_score": r2_score,  # Keras's name for keras.metrics.R2Score
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
