"""Small input checks shared by the modules: clear errors instead of NumPy tracebacks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(value, name: str, dtype=None) -> np.ndarray:
    """Return ``value`` as a floating-point array, or raise a ``TypeError`` naming ``name``."""
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like of numbers: {error}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if dtype is not None:
        return np.asarray(array, dtype=dtype)
    if array.dtype not in FLOAT_DTYPES:
        array = array.astype(np.float64)
    return array


def check_matrix(array: np.ndarray, name: str, columns: int | None = None) -> np.ndarray:
    """Raise ``ValueError`` unless ``array`` has shape (n_samples, columns)."""
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), got shape {array.shape}"
        )
    if columns is not None and array.shape[1] != columns:
        raise ValueError(
            f"{name} must have shape (n_samples, {columns}), got shape {array.shape}"
        )
    return array


def check_finite(array: np.ndarray, name: str) -> np.ndarray:
    """Raise ``ValueError`` naming ``name`` if ``array`` holds NaN or infinity."""
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} contains NaN or infinite values (first at index {tuple(int(i) for i in bad)}); "
            "clean or impute the data before training"
        )
    return array


def unknown_name(kind: str, name: object, known: Iterable[str]) -> ValueError:
    """The error for a string that names no known activation, loss, optimizer, ..."""
    return ValueError(f"unknown {kind} {name!r}; known {kind}s are: {', '.join(sorted(known))}")


def class_and_config(config: object, where: str = "") -> tuple[object, dict]:
    """(class_name, config) from a ``{"class_name": ..., "config": {...}}`` dict, as Keras serializes objects.

    Keras's optional "module" and "registered_name" keys are accepted and ignored.
    """
    if not isinstance(config, dict) or set(config) - {"module", "registered_name"} != {"class_name", "config"} \
            or not isinstance(config["config"], dict):
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}expected a dict {{'class_name': ..., 'config': {{...}}}}, got {config!r}")
    return config["class_name"], config["config"]


def rng_from(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed, a Generator (returned as is) or None."""
    if seed is not None and not isinstance(seed, (int, np.integer, np.random.Generator)):
        raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")
    return np.random.default_rng(seed)
