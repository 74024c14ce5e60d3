"""``Sequential``: a stack of layers with Keras's ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

One training step is the recipe of the notes: forward pass, cost, backward pass,
update. ``fit`` repeats it over mini-batches for a number of epochs and returns a
:class:`~nnlib.callbacks.History`.

One difference from Keras: ``fit(batch_size=None)`` means batch gradient descent
(one update per epoch on the whole set); Keras reads None as 32.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnlib import losses as losses_module
from nnlib import metrics as metrics_module
from nnlib import optimizers as optimizers_module
from nnlib._checks import as_float_array, check_finite, check_matrix, rng_from
from nnlib.callbacks import Callback, History, ProgbarLogger
from nnlib.data import batch_indices, updates_per_epoch
from nnlib.layers import Dense, Layer

Array = np.ndarray


class NotCompiledError(RuntimeError, ValueError):
    """Raised by fit/evaluate before ``compile`` has chosen a loss and an optimizer."""


class Sequential:
    """Layers applied one after another: output = layer_L(... layer_1(x)).

    ``seed`` (an int or ``numpy.random.Generator``) drives the weight initialisation
    and the shuffling in ``fit``, so a seeded model trains the same way every time.
    ``dtype`` is float64 by default (exact gradient checks); float32 is faster.
    """

    def __init__(self, layers: Sequence[Layer] | None = None, seed=None, dtype="float64",
                 name: str = "sequential"):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        self.rng = rng_from(seed)
        self.name = name
        self.layers: list[Layer] = []
        self.optimizer: optimizers_module.Optimizer | None = None
        self.loss: losses_module.Loss | None = None
        self.metrics: dict[str, metrics_module.Metric] = {}
        self.history: History | None = None
        self.stop_training = False
        for layer in layers or []:
            self.add(layer)

    # ---- structure -------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes nnlib layers, got {layer!r}")
        if layer.name is None:
            kind = type(layer).__name__.lower()
            count = sum(type(other) is type(layer) for other in self.layers)
            layer.name = kind if count == 0 else f"{kind}_{count}"
        self.layers.append(layer)

    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    def build(self, input_dim: int) -> None:
        """Create every layer's weights for inputs of ``input_dim`` features."""
        if not self.layers:
            raise ValueError("the model has no layers: pass a list to Sequential or call add()")
        for index, layer in enumerate(self.layers):
            layer.input_gradient = index > 0
            if not layer.built:
                layer.build(input_dim, self.rng, self.dtype)
            elif layer.input_dim != input_dim:
                raise ValueError(
                    f"layer {layer.name!r} was built for {layer.input_dim} inputs but receives {input_dim}"
                )
            input_dim = layer.output_dim

    @property
    def input_dim(self) -> int | None:
        return self.layers[0].input_dim if self.layers else None

    @property
    def output_dim(self) -> int:
        return self.layers[-1].output_dim

    @property
    def trainable_weights(self) -> list[Array]:
        return [p for layer in self.layers for p in layer.params]

    @property
    def gradients(self) -> list[Array]:
        """dL/d(weight) from the last backward pass, in the order of ``trainable_weights``."""
        return [g for layer in self.layers for g in layer.grads]

    def get_weights(self) -> list[Array]:
        """Copies of every layer's weights in order (trainable, then non-trainable per layer), as Keras."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence) -> None:
        if not self.built:
            raise ValueError("build the model (call build(input_dim), fit or predict) before set_weights")
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"the model has {expected} weight arrays, got {len(weights)}")
        start = 0
        for layer in self.layers:
            layer.set_weights(list(weights[start:start + len(layer.weights)]))
            start += len(layer.weights)

    def count_params(self) -> int:
        return int(sum(w.size for layer in self.layers for w in layer.weights))

    def summary(self, print_fn=print) -> None:
        """Print each layer with its output shape and parameter count, as Keras does."""
        lines = [f'Model: "{self.name}"', f"{'Layer (type)':<28}{'Output Shape':<18}{'Param #':>10}"]
        for layer in self.layers:
            shape = f"(None, {layer.output_dim})" if layer.built else "(unbuilt)"
            count = sum(w.size for w in layer.weights)
            lines.append(f"{layer.name + ' (' + type(layer).__name__ + ')':<28}{shape:<18}{count:>10,}")
        lines.append(f"Total params: {self.count_params():,}")
        print_fn("\n".join(lines))

    # ---- the two passes --------------------------------------------------------------
    def forward(self, x: Array, training: bool = False) -> Array:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad: Array, from_preactivation: bool = False) -> Array | None:
        """Backpropagate dL/d(output) (or dL/dz of the last layer) through every layer.

        Returns dL/dx of the first layer, or None where that layer skips it (Dense does:
        training needs no gradient for the data).
        """
        last, *rest = reversed(self.layers)
        grad = last.backward_preactivation(grad) if from_preactivation else last.backward(grad)
        for layer in rest:
            grad = layer.backward(grad)
        return grad

    def _fuses_loss(self) -> bool:
        last = self.layers[-1]
        return (isinstance(last, Dense) and self.loss.paired_activation is not None
                and last.activation.name == self.loss.paired_activation)

    def regularization_loss(self) -> float:
        """The sum of the layers' weight penalties (L1/L2), added to the loss as in Keras."""
        return sum(layer.regularization_loss() for layer in self.layers)

    def _loss_value(self, y: Array, output: Array, fused: bool | None = None) -> float:
        """The loss with the weight penalties; from the logits when the output layer is fused
        with the loss (softmax or sigmoid with cross-entropy), as Keras computes it."""
        if self._fuses_loss() if fused is None else fused:
            data_loss = self.loss.from_logits(y, self.layers[-1].z)
        else:
            data_loss = self.loss(y, output)
        return data_loss + self.regularization_loss()

    def compute_gradients(self, x, y) -> tuple[float, Array]:
        """Forward and backward pass on one batch (x, y); fills ``gradients``, returns (loss, output).

        The loss includes the weight penalties; the gradients include theirs. x and y are
        checked and converted as ``fit`` does, and the model is built if it is not yet.
        """
        self._require_compiled("compute_gradients")
        return self._compute_gradients(*self.prepare_data(x, y))

    def _compute_gradients(self, x: Array, y: Array) -> tuple[float, Array]:
        output = self.forward(x, training=True)
        fused = self._fuses_loss()
        loss = self._loss_value(y, output, fused)
        if fused:
            self.backward(self.loss.combined_gradient(y, output), from_preactivation=True)
        else:
            self.backward(self.loss.gradient(y, output))
        return loss, output

    def train_on_batch(self, x, y) -> float:
        """One update of the weights on one batch; returns the batch's loss before the update."""
        self._require_compiled("train_on_batch")
        loss, _ = self._compute_gradients(*self.prepare_data(x, y))
        self.optimizer.apply(self.gradients, self.trainable_weights)
        return loss

    # ---- Keras API -------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics: Sequence[str] | None = None) -> None:
        """Choose the optimizer (name or instance), the loss (name) and metrics to report."""
        if loss is None:
            raise ValueError(f"compile needs a loss, one of: {', '.join(losses_module.LOSSES)}")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss)
        if isinstance(metrics, str):
            metrics = [metrics]
        self.metrics = dict(metrics_module.get(m, self.loss.name) for m in metrics or [])

    def _require_compiled(self, action: str) -> None:
        if self.loss is None or self.optimizer is None:
            raise NotCompiledError(f"call model.compile(optimizer=..., loss=...) before {action}")

    def _prepare_x(self, x, name: str = "x") -> Array:
        x = check_finite(check_matrix(as_float_array(x, name, self.dtype), name), name)
        if not self.built:
            self.build(x.shape[1])
        elif x.shape[1] != self.input_dim:
            raise ValueError(
                f"{name} has {x.shape[1]} features but the model was built for {self.input_dim}: "
                f"{name} must have shape (n_samples, {self.input_dim})"
            )
        return x

    def prepare_data(self, x, y, x_name: str = "x", y_name: str = "y") -> tuple[Array, Array]:
        """(x, y) checked and converted as training needs them: x a finite (n, d) array of the
        model's dtype, y as the loss expects it (one row per sample, or integer labels)."""
        x = self._prepare_x(x, x_name)
        y = self.loss.prepare_targets(y, self.output_dim, y_name)
        if len(y) != len(x):
            raise ValueError(
                f"{x_name} and {y_name} must have the same number of samples, got {len(x)} and {len(y)}"
            )
        if not self.loss.sparse:
            y = check_finite(y.astype(self.dtype, copy=False), y_name)
        return x, y

    def _scores(self, y: Array, output: Array, loss: float) -> dict[str, float]:
        scores = {"loss": loss}
        scores.update((name, fn(y, output)) for name, fn in self.metrics.items())
        return scores

    def fit(self, x, y, epochs: int = 1, batch_size: int | None = 32, verbose: int = 1,
            callbacks: Sequence[Callback] | None = None, validation_split: float = 0.0,
            validation_data: tuple | None = None, shuffle: bool = True) -> History:
        """Train for ``epochs`` passes over (x, y) in batches of ``batch_size``.

        ``batch_size=None`` is batch gradient descent (1 update an epoch), 1 is stochastic
        gradient descent (n updates), b is mini-batch (ceil(n / b) updates). The holdout
        comes from ``validation_data=(x_val, y_val)`` or, as in Keras, from the last
        ``validation_split`` share of x and y, taken before shuffling.
        """
        self._require_compiled("fit")
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        x, y = self.prepare_data(x, y)
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
        if validation_split and validation_data is not None:
            raise ValueError("pass validation_data or validation_split, not both")
        if validation_split:
            n_train = int(len(x) * (1.0 - validation_split))
            if not 0 < n_train < len(x):
                raise ValueError(f"validation_split={validation_split} leaves an empty part of {len(x)} samples")
            x, x_val, y, y_val = x[:n_train], x[n_train:], y[:n_train], y[n_train:]
        elif validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (x_val, y_val)")
            x_val, y_val = self.prepare_data(*validation_data, x_name="validation_data[0]",
                                         y_name="validation_data[1]")
        else:
            x_val = y_val = None
        steps = updates_per_epoch(len(x), batch_size)
        log_keys = ["loss", *self.metrics]
        if x_val is not None:
            log_keys += [f"val_{key}" for key in log_keys]

        history = History()
        callbacks = [history, *([ProgbarLogger(verbose)] if verbose else []), *(callbacks or [])]
        params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": len(x),
                  "verbose": verbose, "metrics": log_keys}
        for callback in callbacks:
            callback.set_model(self)
            callback.set_params(params)
        # Only callbacks that look at single batches are called per batch: a step of a small
        # model takes a fraction of a millisecond, and per-batch work adds up.
        batch_callbacks = [c for c in callbacks if type(c).on_train_batch_end is not Callback.on_train_batch_end]
        self.history, self.stop_training = history, False
        for callback in callbacks:
            callback.on_train_begin()
        for epoch in range(epochs):
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
            totals, seen = dict.fromkeys(log_keys[:len(self.metrics) + 1], 0.0), 0
            for step, index in enumerate(batch_indices(len(x), batch_size, shuffle, self.rng)):
                x_batch, y_batch = x[index], y[index]
                loss, output = self._compute_gradients(x_batch, y_batch)
                # Metrics on the batch's outputs before the update, as Keras reports them.
                for key, value in self._scores(y_batch, output, loss).items():
                    totals[key] += value * len(index)
                seen += len(index)
                self.optimizer.apply(self.gradients, self.trainable_weights)
                if batch_callbacks:
                    running = {key: total / seen for key, total in totals.items()}
                    for callback in batch_callbacks:
                        callback.on_train_batch_end(step, running)
            logs = {key: total / len(x) for key, total in totals.items()}
            if x_val is not None:
                logs.update((f"val_{k}", v) for k, v in self._evaluate(x_val, y_val).items())
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for callback in callbacks:
            callback.on_train_end()
        return history

    def _evaluate(self, x: Array, y: Array) -> dict[str, float]:
        output = self.forward(x, training=False)
        return self._scores(y, output, self._loss_value(y, output))

    def evaluate(self, x, y, verbose: int = 0) -> float | list[float]:
        """The loss on (x, y), or ``[loss, *metrics]`` when metrics were compiled (as Keras)."""
        self._require_compiled("evaluate")
        x, y = self.prepare_data(x, y)
        scores = self._evaluate(x, y)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in scores.items()))
        return scores["loss"] if len(scores) == 1 else list(scores.values())

    def predict(self, x, batch_size: int | None = None, verbose: int = 0) -> Array:
        """The model's outputs for x of shape (n, d_in): shape (n, d_out)."""
        x = self._prepare_x(x)
        if batch_size is None:
            return self.forward(x, training=False)
        return np.concatenate([self.forward(x[i], training=False)
                               for i in batch_indices(len(x), batch_size, shuffle=False)])
