"""Plotting helpers the chapters share: a function beside its derivative, optimizer paths on a
contour map, and training curves.

Each helper draws on a matplotlib ``Axes`` that you pass in and returns what it drew, so a
chapter keeps control of its figure layout. The helpers only call methods of that ``Axes``,
so importing this module does not import matplotlib, and no other nnlib module imports it:
nnlib itself does not need matplotlib.

    fig, ax = plt.subplots()
    path = optimizer_trajectory(optimizers.SGD(0.1, momentum=0.9), grad_f, start=[-4.0, 2.0], steps=50)
    contour_with_trajectories(ax, f, {"momentum": path}, xlim=(-5, 5), ylim=(-3, 3))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for the annotations: importing nnlib.plotting does not import matplotlib
    from matplotlib.axes import Axes
    from matplotlib.contour import QuadContourSet
    from matplotlib.lines import Line2D

Array = np.ndarray


def optimizer_trajectory(optimizer, grad_fn: Callable[[Array], Array], start, steps: int) -> Array:
    """Run ``optimizer`` for ``steps`` steps on a function of a small parameter vector w.

    ``grad_fn(w)`` returns the gradient at w (same shape as w). Each step calls
    ``optimizer.apply([grad_fn(w)], [w])``, which updates w in place exactly as in training.
    Returns the path, shape (steps + 1, len(start)): row 0 is ``start``, row t is w after t steps.
    ``start`` itself is not modified.
    """
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    w = np.array(start, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"start must be a 1-D parameter vector such as [x, y], got shape {w.shape}")
    path = np.empty((steps + 1, w.size))
    path[0] = w
    for t in range(1, steps + 1):
        grad = np.asarray(grad_fn(w), dtype=np.float64)
        optimizer.apply([grad], [w])
        path[t] = w
    return path


def plot_function_and_derivative(ax: Axes, f: Callable[[Array], Array], df: Callable[[Array], Array],
                                 z=None, title: str | None = None, name: str = "f") -> list[Line2D]:
    """Draw f(z) and its derivative f'(z) on one axes (two lines); returns the two lines.

    ``z`` defaults to 401 points on [-5, 5]. The derivative is dashed, as in the notes' table.
    """
    z = np.linspace(-5.0, 5.0, 401) if z is None else np.asarray(z, dtype=np.float64)
    (value,) = ax.plot(z, f(z), label=f"{name}(z)")
    (slope,) = ax.plot(z, df(z), linestyle="--", label=f"{name}'(z)")
    ax.axhline(0.0, color="0.8", linewidth=0.8, zorder=0)
    ax.axvline(0.0, color="0.8", linewidth=0.8, zorder=0)
    ax.set(xlabel="z", ylabel="value", title=title if title is not None else name)
    ax.legend()
    return [value, slope]


def contour_with_trajectories(ax: Axes, f: Callable[[Array, Array], Array], trajectories: Mapping[str, Array],
                              xlim: tuple[float, float], ylim: tuple[float, float],
                              levels: int | Sequence[float] = 20, resolution: int = 200,
                              minimum: Sequence[float] | None = None) -> QuadContourSet:
    """Contour lines of f(x, y) with one line per optimizer path drawn over them.

    ``f`` works elementwise on arrays x and y. ``trajectories`` maps a label to a path of
    shape (steps + 1, 2), such as :func:`optimizer_trajectory` returns. ``minimum`` (x, y),
    if given, is marked with a star (a marker, not a line). Returns the contour set.
    """
    x, y = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    contours = ax.contour(x, y, f(x, y), levels=levels, colors="0.75", linewidths=0.8)
    for label, path in trajectories.items():
        path = np.asarray(path)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"trajectory {label!r} must have shape (steps + 1, 2), got {path.shape}")
        ax.plot(path[:, 0], path[:, 1], marker="o", markersize=2.5, linewidth=1.2, label=label)
    if minimum is not None:
        ax.scatter([minimum[0]], [minimum[1]], marker="*", s=120, color="k", zorder=3)
    ax.set(xlim=xlim, ylim=ylim, xlabel="$w_1$", ylabel="$w_2$")
    if trajectories:
        ax.legend()
    return contours


def plot_history(ax: Axes, history, keys: Sequence[str] = ("loss",), label: str | None = None) -> list[Line2D]:
    """Draw the per-epoch curves ``keys`` of a ``History`` (or its ``.history`` dict); one line a key.

    Epochs are counted from 1. ``label`` prefixes each line's legend entry, so the
    histories of several models can share one axes.
    """
    logs = history.history if hasattr(history, "history") else history
    lines = []
    for key in keys:
        if key not in logs:
            raise KeyError(f"history has no {key!r}; it has: {', '.join(logs)}")
        values = logs[key]
        if label is None:
            text = key
        else:
            text = f"{label}: {key}" if len(keys) > 1 else label
        (line,) = ax.plot(np.arange(1, len(values) + 1), values, label=text)
        lines.append(line)
    ax.set(xlabel="epoch", ylabel=keys[0] if len(keys) == 1 else "value")
    ax.legend()
    return lines
