"""``Sequential``: a stack of layers with Keras's ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

One training step is the recipe of the notes: forward pass, loss, backward pass,
update. ``fit`` repeats it over mini-batches for a number of epochs and returns a
:class:`~nnlib.callbacks.History`.

Differences from Keras, each deliberate:

* ``fit(batch_size=None)`` means batch gradient descent (one update per epoch on the
  whole set); Keras reads None as 32.
* The float type follows the data (``dtype=None``): float32 data train in float32, as in
  Keras, and anything else (NumPy's float64 default, integers) in float64, which the
  chapters' gradient checks need. Keras computes in its ``floatx`` whatever the data.
  ``Sequential(dtype="float32")`` fixes it, and the data are converted to it.
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
from nnlib.layers import Input, Layer

Array = np.ndarray
DTYPES = (np.float32, np.float64)
FLOAT64 = np.dtype(np.float64)  # the float type of a model built without data


class NotCompiledError(RuntimeError, ValueError):
    """Raised by fit/evaluate before ``compile`` has chosen a loss and an optimizer."""


class Sequential:
    """Layers applied one after another: output = layer_L(... layer_1(x)).

    ``seed`` (an int or ``numpy.random.Generator``) drives the weight initialisation
    and the shuffling in ``fit``, so a seeded model trains the same way every time.
    ``dtype``: None follows the first data the model sees (float32 stays float32, the
    rest is float64; ``build`` without data gives float64), or "float32"/"float64".
    A first item ``Input(shape=(d,))`` builds the weights at once, as in Keras.
    """

    def __init__(self, layers: Sequence[Layer | Input] | None = None, seed=None, dtype=None,
                 name: str = "sequential"):
        self.dtype = None if dtype is None else np.dtype(dtype)
        if self.dtype is not None and self.dtype not in DTYPES:
            raise ValueError(f"dtype must be None, 'float32' or 'float64', got {dtype!r}")
        self.rng = rng_from(seed)
        self.name = name
        self.layers: list[Layer] = []
        self.declared_input: Input | None = None
        self.optimizer: optimizers_module.Optimizer | None = None
        self.loss: losses_module.Loss | None = None
        self.metrics: dict[str, metrics_module.Metric] = {}
        self.history: History | None = None
        self.stop_training = False
        for layer in layers or []:
            self.add(layer)

    # ---- structure -------------------------------------------------------------------
    def add(self, layer: Layer | Input) -> None:
        if isinstance(layer, Input):
            if self.layers or self.declared_input is not None:
                raise ValueError("Input(shape=...) must come first, before any layer, and only once")
            self.declared_input = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential takes nnlib layers, got {layer!r}")
        if layer.name is None:
            kind = type(layer).__name__.lower()
            count = sum(type(other) is type(layer) for other in self.layers)
            layer.name = kind if count == 0 else f"{kind}_{count}"
        self.layers.append(layer)
        if self.declared_input is not None:
            self.build((None, *self.declared_input.shape))

    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    def build(self, input_shape: tuple[int | None, int] | int) -> None:
        """Create every layer's weights for inputs of shape ``input_shape``, e.g. ``(None, 2)``.

        As in Keras the shape includes the batch size (None: any); an int d is read as
        (None, d). A build that fails leaves the model as it was, weights and seed included.
        """
        self._build(_features(input_shape), FLOAT64 if self.dtype is None else self.dtype)

    def _build(self, input_dim: int, dtype: np.dtype) -> None:
        if not self.layers:
            raise ValueError("the model has no layers: pass a list to Sequential or call add()")
        rng_state = self.rng.bit_generator.state
        newly_built = []
        try:
            for layer in self.layers:
                if not layer.built:
                    layer.build(input_dim, self.rng, dtype)
                    newly_built.append(layer)
                elif layer.input_dim != input_dim:
                    raise ValueError(
                        f"layer {layer.name!r} was built for {layer.input_dim} inputs but receives {input_dim}"
                    )
                input_dim = layer.output_dim
        except Exception:
            for layer in newly_built:
                layer.unbuild()
            self.rng.bit_generator.state = rng_state
            raise
        self.dtype = dtype

    @property
    def input_dim(self) -> int | None:
        return self.layers[0].input_dim if self.layers else None

    @property
    def output_dim(self) -> int:
        return self.layers[-1].output_dim

    @property
    def trainable_weights(self) -> list[Array]:
        """The arrays the optimizer updates: the parameters of every layer not frozen."""
        return [p for layer in self.layers if layer.trainable for p in layer.params]

    @property
    def non_trainable_weights(self) -> list[Array]:
        """Frozen layers' parameters, then every layer's state (BatchNormalization's moving averages)."""
        frozen = [p for layer in self.layers if not layer.trainable for p in layer.params]
        return frozen + [w for layer in self.layers for w in layer.non_trainable]

    @property
    def gradients(self) -> list[Array]:
        """dL/d(weight) from the last backward pass, in the order of ``trainable_weights``."""
        return [g for layer in self.layers if layer.trainable for g in layer.grads]

    def get_weights(self) -> list[Array]:
        """Copies of every layer's weights in order (trainable, then non-trainable per layer), as Keras."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence) -> None:
        if not self.built:
            raise ValueError("build the model (call build(input_shape), fit or predict) before set_weights")
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
        trainable = sum(w.size for w in self.trainable_weights)
        lines += [f"Total params: {self.count_params():,}", f"Trainable params: {trainable:,}",
                  f"Non-trainable params: {self.count_params() - trainable:,}"]
        print_fn("\n".join(lines))

    # ---- saving, in a plain file that loading cannot run (nnlib.saving) ----------------
    def save(self, path) -> None:
        """Architecture, weights, compile settings and optimizer state in one file: ``models.load_model``."""
        from nnlib import saving  # saving builds Sequential models: imported here, not at the top

        saving.save_model(self, path)

    def save_weights(self, path) -> None:
        """The weights alone, for ``load_weights`` into a model of the same architecture."""
        from nnlib import saving

        saving.save_weights(self, path)

    def load_weights(self, path) -> None:
        from nnlib import saving

        saving.load_weights(self, path)

    # ---- the two passes --------------------------------------------------------------
    def forward(self, x: Array, training: bool = False) -> Array:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad: Array, input_gradient: bool = False) -> Array | None:
        """Backpropagate dL/d(output) through every layer, last to first, filling each one's ``grads``.

        Returns dL/dx if ``input_gradient``, else None: training needs no gradient for the data.
        """
        for index in reversed(range(len(self.layers))):
            grad = self.layers[index].backward(grad, input_gradient=index > 0 or input_gradient)
        return grad

    def _output_pairs_with_loss(self) -> bool:
        """Is the output activation the one the loss is made for (softmax/CE, sigmoid/BCE)?"""
        activation = getattr(self.layers[-1], "activation", None)
        return activation is not None and activation.name == self.loss.paired_activation

    def backpropagate(self, y: Array, output: Array) -> None:
        """Fill every layer's ``grads`` with dL/d(weights) for the loss of (y, output).

        Softmax with cross-entropy (and sigmoid with binary cross-entropy): the activation's
        Jacobian and the loss's 1/p cancel, leaving dL/dz = (p - y) / n at the output layer's
        pre-activation z. Backpropagation then starts there: exact, with no division by p.
        """
        last = len(self.layers) - 1
        if self._output_pairs_with_loss():
            p, n = output, len(output)
            if self.loss.paired_activation == "sigmoid":
                dZ = (p - y) / p.size  # binary cross-entropy is a mean over all n k outputs
            elif self.loss.sparse:
                dZ = (p - np.eye(p.shape[1], dtype=p.dtype)[y]) / n  # y: labels, made one-hot rows
            else:
                dZ = (p * y.sum(axis=1, keepdims=True) - y) / n  # (p - y) / n when rows of y sum to 1
            grad = self.layers[last].backward_from_z(dZ, input_gradient=last > 0)
        else:
            grad = self.layers[last].backward(self.loss.gradient(y, output), input_gradient=last > 0)
        for index in reversed(range(last)):
            grad = self.layers[index].backward(grad, input_gradient=index > 0)

    def regularization_loss(self) -> float:
        """The sum of the layers' weight penalties (L1/L2), added to the loss as in Keras."""
        return sum(layer.regularization_loss() for layer in self.layers)

    def compute_loss(self, y: Array, output: Array) -> float:
        """The loss of (y, output) plus the weight penalties.

        With softmax (sigmoid) output and cross-entropy it is computed from the logits z, as
        Keras does: exact for any z, where log(p) would need p clipped away from 0.
        """
        if self._output_pairs_with_loss():
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
        x, y = self.prepare_data(x, y)
        output = self.forward(x, training=True)
        loss = self.compute_loss(y, output)
        self.backpropagate(y, output)
        return loss, output

    def train_on_batch(self, x, y) -> float:
        """One update of the weights on one batch; returns the batch's loss before the update."""
        loss, _ = self.compute_gradients(x, y)
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
        if not self.built:  # the float type follows the first data (float32 or float64) unless set
            self._build(x.shape[1], x.dtype if self.dtype is None else self.dtype)
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
            y = check_finite(np.asarray(y, dtype=self.dtype), y_name)
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
        gradient descent (n updates), b is mini-batch (ceil(n / b) updates). The validation set
        comes from ``validation_data=(x_val, y_val)`` or, as in Keras, from the last
        ``validation_split`` share of x and y, taken before shuffling.
        """
        self._require_compiled("fit")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        x, y = self.prepare_data(x, y)
        x, y, validation = self._validation_set(x, y, validation_split, validation_data)
        history = History()
        # As in Keras, the user's callbacks first: History then records what they add to the logs.
        callbacks = _CallbackList([*(callbacks or []), history, *([ProgbarLogger(verbose)] if verbose else [])])
        log_keys = ["loss", *self.metrics]
        callbacks.set_model(self, {
            "epochs": epochs, "steps": updates_per_epoch(len(x), batch_size), "batch_size": batch_size,
            "samples": len(x), "verbose": verbose,
            "metrics": log_keys + ([f"val_{key}" for key in log_keys] if validation else []),
        })
        self.history, self.stop_training = history, False
        weights = self.trainable_weights

        callbacks.on_train_begin()
        for epoch in range(epochs):
            callbacks.on_epoch_begin(epoch)
            sums, seen = dict.fromkeys(log_keys, 0.0), 0
            for step, batch in enumerate(batch_indices(len(x), batch_size, shuffle, self.rng)):
                x_batch, y_batch = x[batch], y[batch]
                output = self.forward(x_batch, training=True)       # 1. forward pass
                loss = self.compute_loss(y_batch, output)           # 2. loss
                self.backpropagate(y_batch, output)                 # 3. backward pass
                self.optimizer.apply(self.gradients, weights)       # 4. update
                # Scores of the batch's outputs before the update, as Keras reports them.
                for key, value in self._scores(y_batch, output, loss).items():
                    sums[key] += value * len(batch)
                seen += len(batch)
                callbacks.on_train_batch_end(step, sums, seen)
                if self.stop_training:  # a callback may stop mid-epoch (TerminateOnNaN)
                    break
            logs = {key: total / seen for key, total in sums.items()}  # the means over the epoch
            if validation:
                logs.update((f"val_{key}", value) for key, value in self._evaluate(*validation).items())
            callbacks.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callbacks.on_train_end()
        return history

    def _validation_set(self, x: Array, y: Array, validation_split: float, validation_data: tuple | None):
        """(x_train, y_train, (x_val, y_val) or None): the validation data fit reports on."""
        if isinstance(validation_split, bool) or not 0.0 <= validation_split < 1.0:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
        if validation_split and validation_data is not None:
            raise ValueError("pass validation_data or validation_split, not both")
        if validation_split:
            n_train = int(len(x) * (1.0 - validation_split))
            if not 0 < n_train < len(x):
                raise ValueError(f"validation_split={validation_split} leaves an empty part of {len(x)} samples")
            return x[:n_train], y[:n_train], (x[n_train:], y[n_train:])
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (x_val, y_val)")
            return x, y, self.prepare_data(*validation_data, x_name="validation_data[0]",
                                           y_name="validation_data[1]")
        return x, y, None

    def _evaluate(self, x: Array, y: Array) -> dict[str, float]:
        output = self.forward(x)  # inference: training=False, forward's default
        return self._scores(y, output, self.compute_loss(y, output))

    def evaluate(self, x, y, verbose: int = 0) -> float | list[float]:
        """The loss on (x, y), or ``[loss, *metrics]`` when metrics were compiled (as Keras)."""
        self._require_compiled("evaluate")
        x, y = self.prepare_data(x, y)
        scores = self._evaluate(x, y)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in scores.items()))
        return scores["loss"] if len(scores) == 1 else list(scores.values())

    # verbose is accepted, as in Keras, and unused: no mutant of its default can change anything
    def predict(self, x, batch_size: int | None = None, verbose: int = 0) -> Array:  # pragma: no mutate
        """The model's outputs for x of shape (n, d_in): shape (n, d_out)."""
        x = self._prepare_x(x)
        if batch_size is None:
            return self.forward(x)  # inference: training=False, forward's default
        return np.concatenate([self.forward(x[i])
                               for i in batch_indices(len(x), batch_size, shuffle=False)])


def _features(input_shape) -> int:
    """The number of features d in a Keras input shape (None, d), or in an int d."""
    shape = (None, input_shape) if isinstance(input_shape, (int, np.integer)) else input_shape
    if (not isinstance(shape, (tuple, list)) or len(shape) != 2 or isinstance(shape[1], bool)
            or not isinstance(shape[1], (int, np.integer)) or shape[1] < 1
            or not (shape[0] is None or isinstance(shape[0], (int, np.integer)))):
        raise ValueError(
            f"input_shape must be (batch_size, n_features) with batch_size None or an int, such as "
            f"(None, 2), or the number of features; got {input_shape!r}"
        )
    return int(shape[1])


class _CallbackList:
    """Calls every callback in turn; per-batch only those that look at batches (a small model's
    step takes a fraction of a millisecond, and per-batch work adds up)."""

    def __init__(self, callbacks: list[Callback]):
        self.callbacks = callbacks
        self.per_batch = [c for c in callbacks
                          if type(c).on_train_batch_end is not Callback.on_train_batch_end]

    def set_model(self, model: Sequential, params: dict) -> None:
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)

    def on_train_begin(self) -> None:
        for callback in self.callbacks:
            callback.on_train_begin()

    def on_epoch_begin(self, epoch: int) -> None:
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch)

    def on_train_batch_end(self, step: int, sums: dict[str, float], seen: int) -> None:
        if self.per_batch:
            running = {key: total / seen for key, total in sums.items()}  # the epoch's means so far
            for callback in self.per_batch:
                callback.on_train_batch_end(step, running)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_end(self) -> None:
        for callback in self.callbacks:
            callback.on_train_end()
