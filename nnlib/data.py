"""Data preparation: scaling, splitting, one-hot labels, mini-batches, and data sets that ship offline.

Nothing here downloads anything: digits comes with scikit-learn's installed package,
and the other sets are generated from a seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nnlib._checks import as_float_array, check_matrix, rng_from

Array = np.ndarray
Seed = int | np.random.Generator | None


def updates_per_epoch(n_samples: int, batch_size: int | None) -> int:
    """Weight updates in one pass over ``n_samples``: 1 for batch gradient descent
    (``batch_size=None``), ``n_samples`` for stochastic (1), ceil(n / b) for mini-batches of b.
    """
    if batch_size is None:
        return 1
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None (whole set), got {batch_size!r}")
    return -(-n_samples // int(batch_size))


def batch_indices(n_samples: int, batch_size: int | None, shuffle: bool = True,
                  seed: Seed = None) -> list[Array]:
    """The index arrays of one epoch's batches, in a seeded random order if ``shuffle``."""
    order = rng_from(seed).permutation(n_samples) if shuffle else np.arange(n_samples)
    size = n_samples if batch_size is None else int(batch_size)
    return [order[start:start + size] for start in range(0, n_samples, max(size, 1))] if n_samples else []


def minibatches(x, y, batch_size: int | None = 32, shuffle: bool = True,
                seed: Seed = None) -> Iterator[tuple[Array, Array]]:
    """Yield ``(x_batch, y_batch)`` pairs covering every sample once; the last batch may be smaller."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")
    updates_per_epoch(len(x), batch_size)  # validates batch_size
    for index in batch_indices(len(x), batch_size, shuffle, seed):
        yield x[index], y[index]


def one_hot(labels, num_classes: int | None = None) -> Array:
    """Integer labels (n,) -> one-hot matrix (n, num_classes) of float64 0s and 1s."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if labels.size and not np.all(np.mod(labels, 1) == 0):
        raise TypeError("labels must be integers")
    labels = labels.astype(np.intp)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be in 0..{num_classes - 1}, got values from {labels.min()} to {labels.max()}")
    encoded = np.zeros((labels.size, num_classes))
    encoded[np.arange(labels.size), labels] = 1.0
    return encoded


class Standardizer:
    """Scale each feature to mean 0 and standard deviation 1 using training statistics only.

    Statistics from the holdout part would leak it into training. A constant feature
    (standard deviation 0, such as a digits pixel that is always blank) is centred and
    left unscaled.
    """

    def fit(self, x) -> Standardizer:
        x = check_matrix(as_float_array(x, "x"), "x")
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.std_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, x) -> Array:
        if not hasattr(self, "mean_"):
            raise RuntimeError("call fit(x_train) before transform")
        x = check_matrix(as_float_array(x, "x"), "x", columns=self.mean_.shape[0])
        return (x - self.mean_) / self.std_

    def fit_transform(self, x) -> Array:
        return self.fit(x).transform(x)

    def inverse_transform(self, x) -> Array:
        return np.asarray(x) * self.std_ + self.mean_


def standardize(x_train, *others) -> tuple[Array, ...]:
    """``(x_train_scaled, *others_scaled)`` using the mean and std of ``x_train`` only."""
    scaler = Standardizer().fit(x_train)
    return (scaler.transform(x_train), *(scaler.transform(x) for x in others))


def train_holdout_split(x, y, holdout: float = 0.2, seed: Seed = None,
                        shuffle: bool = True) -> tuple[Array, Array, Array, Array]:
    """``x_train, x_holdout, y_train, y_holdout``: a random ``holdout`` share is kept aside."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")
    if not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout must be a fraction in (0, 1), got {holdout!r}")
    n_holdout = round(holdout * len(x))
    if not 0 < n_holdout < len(x):
        raise ValueError(f"holdout={holdout} of {len(x)} samples leaves an empty part")
    order = rng_from(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    train, hold = order[:-n_holdout], order[-n_holdout:]
    return x[train], x[hold], y[train], y[hold]


def train_val_test_split(x, y, validation: float = 0.2, test: float = 0.2, seed: Seed = None,
                         shuffle: bool = True) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``x_train, x_val, x_test, y_train, y_val, y_test``: three disjoint parts of (x, y).

    The validation share chooses (epochs, learning rate, architecture); the test share is
    used once, at the end, to report. Shares are fractions of all samples.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")
    for name, share in (("validation", validation), ("test", test)):
        if not 0.0 < share < 1.0:
            raise ValueError(f"{name} must be a fraction in (0, 1), got {share!r}")
    n_val, n_test = round(validation * len(x)), round(test * len(x))
    if min(n_val, n_test) < 1 or n_val + n_test >= len(x):
        raise ValueError(f"validation={validation} and test={test} of {len(x)} samples leave an empty part")
    order = rng_from(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    train, val, test_ = order[:-(n_val + n_test)], order[-(n_val + n_test):-n_test], order[-n_test:]
    return x[train], x[val], x[test_], y[train], y[val], y[test_]


def load_digits() -> tuple[Array, Array]:
    """scikit-learn's 8x8 handwritten digits, shipped with the package: x (1797, 64) in 0..16, y (1797,)."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return digits.data.astype(np.float64), digits.target.astype(np.intp)


def make_regression(n_samples: int = 500, n_features: int = 3, noise: float = 0.1,
                    seed: Seed = None) -> tuple[Array, Array]:
    """A smooth non-linear target y = sum_j sin(x_j) + 0.5 x_1 x_2 + noise, x ~ U(-3, 3).

    x has shape (n_samples, n_features), y has shape (n_samples, 1). A linear model
    cannot fit it well; a small ReLU network can.
    """
    rng = rng_from(seed)
    x = rng.uniform(-3.0, 3.0, (n_samples, n_features))
    y = np.sin(x).sum(axis=1)
    if n_features >= 2:
        y += 0.5 * x[:, 0] * x[:, 1]
    y += noise * rng.standard_normal(n_samples)
    return x, y[:, None]


def make_two_class(n_samples: int = 400, noise: float = 0.15,
                   seed: Seed = None) -> tuple[Array, Array]:
    """Two interleaving half-moons in 2-D: x (n_samples, 2), labels y in {0, 1} of shape (n_samples,).

    No straight line separates them, so a model needs a non-linear hidden layer.
    """
    rng = rng_from(seed)
    n_top = n_samples // 2
    angle = rng.uniform(0.0, np.pi, n_samples)
    top = np.arange(n_samples) < n_top
    x = np.where(top[:, None],
                 np.c_[np.cos(angle), np.sin(angle)],
                 np.c_[1.0 - np.cos(angle), 0.5 - np.sin(angle)])
    x += noise * rng.standard_normal(x.shape)
    y = (~top).astype(np.intp)
    order = rng.permutation(n_samples)
    return x[order], y[order]
