"""Callbacks: code that ``fit`` calls at the start and end of training and of each epoch.

``History`` is the one every ``fit`` returns: ``history.history["loss"]`` is the list of
per-epoch training losses, and likewise every metric and its ``val_`` twin.
"""

from __future__ import annotations


class Callback:
    """Base class; ``fit`` sets ``self.model`` before training starts."""

    model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called before each epoch (counted from 0)."""

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
        self.params: dict = {}

    def on_train_begin(self, logs=None):
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
