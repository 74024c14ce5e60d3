"""Loss (cost) functions L(y_true, y_pred), each with its gradient dL/dy_pred beside it.

Every loss is the mean over the batch of a per-sample loss, as in Keras, so the
gradient carries the factor 1/n. Shapes: ``y_pred`` is (n, k); ``y_true`` is (n, k)
except for sparse categorical cross-entropy, where it is n integer labels.

Probabilities are clipped to [eps, 1 - eps] with Keras's eps = 1e-7 before any
logarithm, so a prediction of exactly 0 or 1 gives a large but finite loss; the
gradient is zero where the clip is active, as it is in TensorFlow. As in Keras, the
categorical losses first divide each row of probabilities by its sum (a softmax
output already sums to 1).

When a model's output layer is the activation a loss is made for (softmax with the
categorical losses, sigmoid with binary cross-entropy), the model computes the loss
from the logits z instead (``*_from_logits``), as Keras does: no clipping, exact
for any z, and its gradient is simply (p - y) / n.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnlib._checks import as_float_array, check_matrix, unknown_name

Array = np.ndarray
EPSILON = 1e-7  # keras.backend.epsilon()


def mean_squared_error(y_true: Array, y_pred: Array) -> float:
    """MSE = mean over samples and outputs of (y_pred - y_true)^2.

    This is Keras's MSE. The notes' cost Cf = 1/2 (Ya - Yp)^2 is half of it: the 1/2
    only makes the derivative tidy, Yp - Ya instead of 2 (Yp - Ya). Both have the same
    minimum; gradients (and so the best learning rate) differ by a factor of 2.
    """
    return float(np.mean((y_pred - y_true) ** 2))


def mean_squared_error_gradient(y_true: Array, y_pred: Array) -> Array:
    """dMSE/dy_pred = 2 (y_pred - y_true) / (n k) for y_pred of shape (n, k)."""
    return 2.0 * (y_pred - y_true) / y_pred.size


def _clip(p: Array) -> Array:
    return np.clip(p, EPSILON, 1.0 - EPSILON)


def _inside_clip(p: Array) -> Array:
    # TensorFlow passes the gradient of clip only where the value was not clipped.
    return (p >= EPSILON) & (p <= 1.0 - EPSILON)


def binary_crossentropy(y_true: Array, y_pred: Array) -> float:
    """BCE = -mean[y log p + (1 - y) log(1 - p)], p = y_pred in (0, 1), y in {0, 1}."""
    p = _clip(y_pred)  # numerical safety: log(0) would be -inf
    return float(-np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p)))


def binary_crossentropy_gradient(y_true: Array, y_pred: Array) -> Array:
    """dBCE/dp = (p - y) / (p (1 - p)) / (n k)."""
    p = _clip(y_pred)
    return (p - y_true) / (p * (1.0 - p)) * _inside_clip(y_pred) / y_pred.size


def _row_normalised(y_pred: Array) -> tuple[Array, Array]:
    total = np.sum(y_pred, axis=1, keepdims=True)
    return y_pred / total, total


def categorical_crossentropy(y_true: Array, y_pred: Array) -> float:
    """CCE = -(1/n) sum over samples i and classes j of y_ij log p_ij, one-hot y of shape (n, k)."""
    p, _ = _row_normalised(y_pred)  # Keras: rows divided by their sum (a softmax output already sums to 1)
    p = _clip(p)                    # numerical safety: log(0) would be -inf
    return float(-np.sum(y_true * np.log(p)) / y_pred.shape[0])


def categorical_crossentropy_gradient(y_true: Array, y_pred: Array) -> Array:
    """dCCE/dp_k = -(y_k / q_k - sum_j y_j) / (n sum(p)), clipped entries contributing nothing.

    For rows that sum to 1 this is -y_k / p_k + sum_j y_j, whose second term the softmax
    Jacobian removes again.
    """
    q, total = _row_normalised(y_pred)
    y_kept = y_true * _inside_clip(q)
    return -(y_kept / _clip(q) - np.sum(y_kept, axis=1, keepdims=True)) / (total * y_pred.shape[0])


def sparse_categorical_crossentropy(labels: Array, y_pred: Array) -> float:
    """SCCE = -(1/n) sum over samples i of log p_i[label_i]: CCE with integer labels for one-hot rows.

    Keras (TensorFlow) computes it as a log-softmax of log(clip(p)), which divides each row by
    its sum; for rows of p that sum to 1 and lie inside the clip this is the formula above.
    """
    c = _clip(y_pred)  # numerical safety: log(0) would be -inf
    rows = np.arange(y_pred.shape[0])
    return float(-np.mean(np.log(c[rows, labels]) - np.log(np.sum(c, axis=1))))


def sparse_categorical_crossentropy_gradient(labels: Array, y_pred: Array) -> Array:
    """dSCCE/dp_k = (1 / sum(c) - [k = label] / c[label]) / n, zero where p was clipped."""
    n = y_pred.shape[0]
    rows = np.arange(n)
    c = _clip(y_pred)
    grad = np.broadcast_to(1.0 / np.sum(c, axis=1, keepdims=True), y_pred.shape).copy()
    grad[rows, labels] -= 1.0 / c[rows, labels]
    grad *= _inside_clip(y_pred)
    return grad / n


def _logsumexp(z: Array) -> Array:
    top = z.max(axis=1, keepdims=True)
    return top + np.log(np.exp(z - top).sum(axis=1, keepdims=True))


def categorical_crossentropy_from_logits(y_true: Array, z: Array) -> float:
    """CCE of softmax(z): mean over samples of sum_j y_j (logsumexp(z) - z_j)."""
    return float(np.sum(y_true * (_logsumexp(z) - z)) / z.shape[0])


def sparse_categorical_crossentropy_from_logits(labels: Array, z: Array) -> float:
    """SCCE of softmax(z): mean over samples of logsumexp(z) - z[label]."""
    rows = np.arange(z.shape[0])
    return float((_logsumexp(z)[:, 0] - z[rows, labels]).sum() / len(rows))


def binary_crossentropy_from_logits(y_true: Array, z: Array) -> float:
    """BCE of sigmoid(z): mean of max(z, 0) - z y + log(1 + e^-|z|), exact for any z."""
    return float(np.mean(np.maximum(z, 0.0) - z * y_true + np.log1p(np.exp(-np.abs(z)))))


@dataclass(frozen=True)
class Loss:
    """A loss as a model uses it: its value, its gradient and a check of the targets.

    ``paired_activation`` names the output activation the loss is made for (softmax with
    the cross-entropies, sigmoid with binary cross-entropy): with it, the model computes
    the loss from the logits (``from_logits``) and starts backpropagation from
    dL/dz = (p - y) / n (see ``Sequential.backpropagate``).
    """

    name: str
    function: Callable[[Array, Array], float]
    gradient: Callable[[Array, Array], Array]
    sparse: bool = False
    paired_activation: str | None = None
    from_logits: Callable[[Array, Array], float] | None = None

    def __call__(self, y_true: Array, y_pred: Array) -> float:
        return self.function(y_true, y_pred)

    def prepare_targets(self, y, n_outputs: int, name: str = "y") -> Array:
        """``y`` checked against an output of ``n_outputs`` columns, as the loss needs it."""
        if self.sparse:
            return _check_labels(y, n_outputs, name)
        y = as_float_array(y, name)
        if y.ndim == 1 and n_outputs == 1:
            y = y[:, None]
        check_matrix(y, name)
        if y.shape[1] != n_outputs:
            hint = ""
            if y.shape[1] == 1 and n_outputs > 1 and self.name == "categorical_crossentropy":
                hint = (
                    "; categorical_crossentropy needs one-hot targets: use nnlib.data.one_hot(y) "
                    "or the loss 'sparse_categorical_crossentropy'"
                )
            raise ValueError(
                f"{name} has shape {y.shape} but the model outputs {n_outputs} value(s) per "
                f"sample: {name} must have shape (n_samples, {n_outputs}){hint}"
            )
        return y


def _check_labels(y, n_classes: int, name: str) -> Array:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"sparse_categorical_crossentropy needs {name} as integer class labels of shape "
            f"(n_samples,), got shape {y.shape}; for one-hot targets use 'categorical_crossentropy'"
        )
    fractional = np.not_equal(np.mod(y, 1), 0)
    if np.any(fractional):  # name a value that is not a whole number, as a plain number
        raise TypeError(f"{name} must hold integer class labels, got values such as {y[fractional][0].item()!r}")
    y = y.astype(np.intp)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)][0]
        raise ValueError(
            f"{name} contains the label {bad}, but the model has {n_classes} output classes: "
            f"labels must be integers in 0..{n_classes - 1}"
        )
    return y


LOSSES: dict[str, Loss] = {
    "mean_squared_error": Loss("mean_squared_error", mean_squared_error, mean_squared_error_gradient),
    "binary_crossentropy": Loss(
        "binary_crossentropy", binary_crossentropy, binary_crossentropy_gradient,
        paired_activation="sigmoid", from_logits=binary_crossentropy_from_logits,
    ),
    "categorical_crossentropy": Loss(
        "categorical_crossentropy", categorical_crossentropy, categorical_crossentropy_gradient,
        paired_activation="softmax", from_logits=categorical_crossentropy_from_logits,
    ),
    "sparse_categorical_crossentropy": Loss(
        "sparse_categorical_crossentropy", sparse_categorical_crossentropy,
        sparse_categorical_crossentropy_gradient, sparse=True, paired_activation="softmax",
        from_logits=sparse_categorical_crossentropy_from_logits,
    ),
}
ALIASES = {"mse": "mean_squared_error"}


def get(identifier: str | Loss) -> Loss:
    """The :class:`Loss` for a Keras name such as ``"mse"`` or ``"sparse_categorical_crossentropy"``."""
    if isinstance(identifier, Loss):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"loss must be a name such as 'mse' or a Loss, got {identifier!r}")
    name = ALIASES.get(identifier, identifier)
    if name not in LOSSES:
        raise unknown_name("loss", identifier, [*LOSSES, *ALIASES])
    return LOSSES[name]
