"""Callbacks: code that ``fit`` calls at the start and end of training, of each epoch and of each batch.

``History`` is the one every ``fit`` returns: ``history.history["loss"]`` is the list of
per-epoch training losses, and likewise every metric and its ``val_`` twin.
``EarlyStopping`` stops training when a monitored number stops improving, and
``ProgbarLogger`` draws the progress bar that ``fit(verbose=1)`` shows.
"""

from __future__ import annotations

import sys
import time

import numpy as np


class Callback:
    """Base class; ``fit`` calls ``set_model`` and ``set_params`` before training starts."""

    model = None
    params: dict | None = None

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        """The run's settings: epochs, steps (updates per epoch), metrics (the keys of ``logs``), ..."""
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called before each epoch (counted from 0)."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each update with the epoch's running means so far."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called after each epoch with that epoch's ``logs``: {"loss": ..., "val_loss": ...}."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once after the last epoch."""


class History(Callback):
    """Records ``logs`` after every epoch: ``history[key]`` is a list, one value an epoch.

    ``params`` holds the run's settings, including ``steps``: the number of weight
    updates in one epoch (1 for batch gradient descent, n for stochastic, ceil(n / b)
    for mini-batches of b).
    """

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode`` is "min" (losses), "max" (accuracies) or "auto" (max when the name contains
    "acc", else min). With ``restore_best_weights`` the model ends with the weights of its
    best epoch, as in Keras, instead of those of its last. ``best``, ``best_epoch``,
    ``wait`` and ``stopped_epoch`` show what happened.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = False, verbose: int = 0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"patience must be a non-negative integer, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be non-negative, got {min_delta!r}")
        self.monitor, self.min_delta, self.patience = monitor, float(min_delta), int(patience)
        self.restore_best_weights, self.verbose = restore_best_weights, verbose
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.mode = mode

    def _improved(self, current: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_train_begin(self, logs=None):
        available = (self.params or {}).get("metrics")
        if available is not None and self.monitor not in available:
            hint = " (validation metrics need validation_data or validation_split)" if \
                self.monitor.startswith("val_") else ""
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which fit does not compute{hint}; "
                f"available: {', '.join(available)}"
            )
        self.wait, self.stopped_epoch, self.best, self.best_epoch = 0, None, None, 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {})[self.monitor]
        if self._improved(current):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.verbose and self.stopped_epoch is not None:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def _interactive() -> bool:
    """Can a line be redrawn in place? In a terminal, or in a notebook (ipykernel's stdout)."""
    return sys.stdout.isatty() or type(sys.stdout).__module__.startswith("ipykernel")


class ProgbarLogger(Callback):
    """The progress bar of ``fit(verbose=1)``: steps done, time per step and the running loss
    and metrics, redrawn in place (in a terminal or a notebook), then a line per epoch.
    ``verbose=2`` prints only the line per epoch.
    """

    WIDTH = 20
    REDRAW_SECONDS = 0.1  # printing is slower than a small model's step

    def __init__(self, verbose: int = 1):
        self.verbose = verbose

    def _line(self, step: int, logs: dict, elapsed: float) -> str:
        steps = self.params["steps"]
        done = int(self.WIDTH * step / steps) if steps else self.WIDTH
        bar = "━" * done + " " * (self.WIDTH - done)
        per_step = elapsed / max(step, 1)
        scores = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        return f"{step}/{steps} {bar} {elapsed:.0f}s {per_step * 1e3:.0f}ms/step - {scores}"

    def on_epoch_begin(self, epoch, logs=None):
        self.start = self.last_draw = time.perf_counter()
        if self.verbose == 1:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.verbose == 1 and _interactive() and now - self.last_draw >= self.REDRAW_SECONDS:
            self.last_draw = now
            print("\r" + self._line(batch + 1, logs or {}, now - self.start), end="", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        line = self._line(self.params["steps"], logs or {}, time.perf_counter() - self.start)
        if self.verbose == 1:
            print("\r" + line if _interactive() else line, flush=True)
        else:
            print(f"Epoch {epoch + 1}/{self.params['epochs']} - {line}", flush=True)
