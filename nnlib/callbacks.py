"""Callbacks: code that ``fit`` calls at the start and end of training, of each epoch and of each batch.

``History`` is the one every ``fit`` returns: ``history.history["loss"]`` is the list of
per-epoch training losses, and likewise every metric and its ``val_`` twin.
``ProgbarLogger`` draws the progress bar that ``fit(verbose=1)`` shows. The others are
Keras's, with its names and arguments:

======================  ==============================================================
EarlyStopping           stop when a monitored number stops improving
ReduceLROnPlateau       multiply the learning rate by ``factor`` when it stops improving
LearningRateScheduler   set the learning rate before each epoch from ``schedule(epoch, lr)``
ModelCheckpoint         save the model (or its weights) after each epoch, or when it improves
TerminateOnNaN          stop when the loss becomes NaN or infinite
CSVLogger               write each epoch's logs to a CSV file
======================  ==============================================================
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import os
import sys
import time

import numpy as np

from nnlib import saving


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


def _non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _non_negative_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _path(name: str, value) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (a str or pathlib.Path), got {value!r}")
    return os.fspath(value)


class MonitorCallback(Callback):
    """Base class of the callbacks that watch one number of ``logs`` and ask whether it improved.

    ``mode`` is "min" (losses), "max" (accuracies) or "auto" (max when the name contains
    "acc", else min). A value improves on the best one so far only by more than ``min_delta``:

        min mode:  current < best - min_delta        max mode:  current > best + min_delta

    (strict: a value exactly ``min_delta`` better does not count).
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", min_delta: float = 0.0):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a logged value such as 'val_loss', got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not min_delta >= 0:
            raise ValueError(f"min_delta must be non-negative, got {min_delta!r}")
        self.monitor, self.min_delta = monitor, float(min_delta)
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.mode = mode

    def _is_improvement(self, current: float, best: float | None) -> bool:
        if best is None:
            return True
        if self.mode == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta

    def _check_monitor(self) -> None:
        """Refuse, before the first epoch, to watch a value that ``fit`` does not log."""
        available = (self.params or {}).get("metrics")
        if available is not None and self.monitor not in available:
            hint = " (validation metrics need validation_data or validation_split)" if \
                self.monitor.startswith("val_") else ""
            raise ValueError(
                f"{type(self).__name__} monitors {self.monitor!r}, which fit does not compute{hint}; "
                f"available: {', '.join(available)}"
            )

    def _monitored(self, logs: dict | None) -> float:
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"{type(self).__name__} monitors {self.monitor!r}, which is not in the logs; "
                f"available: {', '.join(logs) or 'nothing'}"
            )
        return logs[self.monitor]


class EarlyStopping(MonitorCallback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode`` is "min" (losses), "max" (accuracies) or "auto" (max when the name contains
    "acc", else min). With ``restore_best_weights`` the model ends with the weights of its
    best epoch, as in Keras, instead of those of its last. ``best``, ``best_epoch``,
    ``wait`` and ``stopped_epoch`` show what happened.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = False, verbose: int = 0):
        super().__init__(monitor, mode, min_delta)
        self.patience = _non_negative_int("patience", patience)
        self.restore_best_weights, self.verbose = restore_best_weights, verbose

    def on_train_begin(self, logs=None):
        self._check_monitor()
        self.wait, self.stopped_epoch, self.best, self.best_epoch = 0, None, None, 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitored(logs)
        if self._is_improvement(current, self.best):
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


def _optimizer_of(model, caller: str):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(f"{caller} changes the optimizer's learning rate: compile the model first")
    return optimizer


def _check_settable_learning_rate(optimizer, caller: str) -> None:
    """Refuse to set the rate of an optimizer that follows a schedule (Keras refuses too)."""
    schedule = getattr(optimizer, "learning_rate_schedule", None)
    if schedule is not None:
        raise ValueError(
            f"{caller} sets the optimizer's learning rate, but this optimizer follows the schedule "
            f"{schedule!r}: use a schedule or {caller}, not both (make the optimizer with a float "
            "learning_rate)"
        )


def _learning_rate(optimizer) -> float:
    return float(optimizer.learning_rate)


class LearningRateScheduler(Callback):
    """Set the learning rate before each epoch: lr <- schedule(epoch, lr), epochs counted from 0.

    ``schedule`` takes the epoch and the current rate and returns the new rate (a function
    of the epoch alone is accepted too). As in Keras, ``logs["learning_rate"]`` holds the
    rate each epoch used; ``verbose=1`` prints each change.
    """

    def __init__(self, schedule, verbose: int = 0):
        if not callable(schedule):
            raise TypeError(f"schedule must be a function (epoch, lr) -> new lr, got {schedule!r}")
        self.schedule, self.verbose = schedule, verbose
        try:
            inspect.signature(schedule).bind(0, 0.1)  # pragma: no mutate (binding ignores the values)
            self._takes_lr = True
        except TypeError:
            self._takes_lr = False  # pragma: no mutate (only its truth is used: None would do the same)
        except ValueError:  # no signature to inspect (some built-ins): call it as documented
            self._takes_lr = True

    def on_train_begin(self, logs=None):
        _check_settable_learning_rate(_optimizer_of(self.model, "LearningRateScheduler"), "LearningRateScheduler")

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = self.schedule(epoch, _learning_rate(optimizer)) if self._takes_lr else self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr < 0:
            raise ValueError(f"schedule({epoch}, lr) must return a finite number >= 0, got {lr!r}")
        optimizer.learning_rate = float(lr)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model.optimizer)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

        lr <- max(lr * factor, min_lr)

    Improvement means by more than ``min_delta`` (as in :class:`EarlyStopping`). After a
    reduction, ``cooldown`` epochs pass before the count of epochs without improvement
    starts again. As in Keras, ``logs["learning_rate"]`` holds the rate each epoch used.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        super().__init__(monitor, mode, min_delta)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0.0 < factor < 1.0:
            raise ValueError(f"factor must be a number in (0, 1) (the rate is multiplied by it), got {factor!r}")
        self.factor = float(factor)
        self.patience = _non_negative_int("patience", patience)
        self.cooldown = _non_negative_int("cooldown", cooldown)
        self.min_lr = _non_negative_number("min_lr", min_lr)
        self.verbose = verbose
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._check_monitor()
        _check_settable_learning_rate(_optimizer_of(self.model, "ReduceLROnPlateau"), "ReduceLROnPlateau")
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = _learning_rate(optimizer)
        if logs is not None:
            logs["learning_rate"] = lr
        current = self._monitored(logs)
        if self.in_cooldown():
            self.cooldown_counter -= 1
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait >= self.patience and lr > self.min_lr:
            new_lr = max(lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            self.cooldown_counter, self.wait = self.cooldown, 0
            if self.verbose:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")


class ModelCheckpoint(MonitorCallback):
    """Save the model (``saving.save_model``) or its weights (``save_weights_only``) after each epoch.

    ``filepath`` may name the epoch (from 1) and any logged value, as Keras formats it:
    ``"ckpt/{epoch:02d}-{val_loss:.2f}.npz"`` -> ``ckpt/03-0.41.npz``; missing folders are
    created. With ``save_best_only`` a file is written only when ``monitor`` improves on
    the best value so far (``initial_value_threshold`` if given; kept across ``fit`` calls,
    as in Keras). The file goes exactly to the path given: nnlib adds no suffix.
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", initial_value_threshold: float | None = None):
        super().__init__(monitor, mode)
        self.filepath = _path("filepath", filepath)
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        self.verbose = verbose
        threshold = initial_value_threshold
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, numbers.Real)
                                      or not math.isfinite(threshold)):
            raise ValueError(f"initial_value_threshold must be a finite number or None, got {threshold!r}")
        self.best = threshold

    def on_train_begin(self, logs=None):
        if self.save_best_only:
            self._check_monitor()

    def _filepath(self, epoch: int, logs: dict) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint cannot fill in filepath={self.filepath!r} ({type(error).__name__}: {error}); "
                f"it may use {{epoch}} and the logged values: {', '.join(logs)}"
            ) from None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        filepath = self._filepath(epoch, logs)
        if self.save_best_only:
            current = self._monitored(logs)
            if not self._is_improvement(current, self.best):
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose:
                previous = "None" if self.best is None else f"{self.best:.5f}"
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            saving.save_weights(self.model, filepath)
        else:
            saving.save_model(self.model, filepath)


class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or infinite (checked after every batch).

    ``fit`` then ends after the current epoch, calling ``on_train_end`` as usual; with
    ``raise_error=True`` a RuntimeError ends it at once instead.
    """

    def __init__(self, raise_error: bool = False):
        self.raise_error = bool(raise_error)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}: loss = {loss}")
        if not self.model.stop_training:
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Write one line per epoch to a CSV file: the epoch (from 0), then each logged value.

    The columns are those of the first epoch in sorted order, under a header line, as in
    Keras (``epoch,loss,val_loss``). ``append=True`` adds to an existing file (the header
    only if the file is empty), for a training continued with another ``fit``. Each line is
    written and the file closed at the end of its epoch, so the log survives a crash.
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        self.filename = _path("filename", filename)
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"separator must be a single character such as ',' or ';', got {separator!r}")
        self.separator, self.append = separator, bool(append)
        self.keys: list[str] | None = None

    def on_train_begin(self, logs=None):
        self.keys = None
        with open(self.filename, "a" if self.append else "w"):
            pass  # creates the file (or empties it, without append) before the first epoch

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        with open(self.filename, "a", newline="") as file:
            writer = csv.writer(file, delimiter=self.separator, lineterminator="\n")
            if file.tell() == 0:
                writer.writerow(["epoch", *self.keys])
            writer.writerow([epoch, *(logs.get(key, "NA") for key in self.keys)])


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
