"""Layers: each has a forward pass and, beside it, the backward pass that undoes its shapes.

A layer maps x of shape (n, d_in) to an output of shape (n, d_out). ``forward(x,
training)`` keeps what ``backward`` will need; ``backward(grad)`` receives
dL/d(output), stores dL/d(parameter) in ``grads`` and returns dL/dx. ``params`` (the
trainable arrays) and ``grads`` are lists in the same order; ``get_weights()`` returns
``params`` followed by any non-trainable state (BatchNormalization's moving averages),
in Keras's order.

``backward(grad, input_gradient=False)`` skips dL/dx: a model's first layer is told so,
since nothing needs the gradient with respect to the data (for Dense that saves a third
of its backward work). ``layer.trainable = False`` freezes a layer, as in Keras: the
optimizer leaves its weights alone (and BatchNormalization then runs in inference mode).
"""

from __future__ import annotations

import numpy as np

from nnlib import activations, initializers, regularizers
from nnlib._checks import as_float_array, rng_from

Array = np.ndarray


class Layer:
    """Base class. Subclasses create ``params`` in ``build`` and implement the two passes."""

    def __init__(self, name: str | None = None):
        self.name = name
        self.params: list[Array] = []
        self.grads: list[Array] = []
        self.non_trainable: list[Array] = []
        self.trainable = True
        self.input_dim: int | None = None
        self.built = False

    def build(self, input_dim: int, rng: np.random.Generator, dtype="float64") -> None:  # pragma: no mutate
        self.input_dim = input_dim
        self.built = True

    def unbuild(self) -> None:
        """Forget the weights, as before ``build`` (a model whose build failed half-way calls it)."""
        self.params, self.grads, self.non_trainable = [], [], []
        self.input_dim, self.built = None, False

    @property
    def output_dim(self) -> int:
        raise NotImplementedError

    def forward(self, x: Array, training: bool = False) -> Array:  # pragma: no mutate (default unused here)
        raise NotImplementedError

    def backward(self, grad: Array, input_gradient: bool = True) -> Array | None:  # pragma: no mutate (ditto)
        raise NotImplementedError

    def __call__(self, x, training: bool = False) -> Array:
        x = as_float_array(x, "x")
        if not self.built:
            if x.ndim != 2:
                raise ValueError(
                    f"{self.name or type(self).__name__} expects x of shape (n_samples, n_features), got {x.shape}"
                )
            self.build(x.shape[1], np.random.default_rng(), x.dtype)
        return self.forward(x, training)

    def regularization_loss(self) -> float:
        """The penalty this layer adds to the loss (kernel regularizers); 0 by default."""
        return 0.0

    @property
    def weights(self) -> list[Array]:
        return self.params + self.non_trainable

    def get_weights(self) -> list[Array]:
        """Copies of the parameters, then the non-trainable state, as in Keras."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights: list) -> None:
        """Copy ``weights`` into the layer; shapes must match ``get_weights()``."""
        if len(weights) != len(self.weights):
            raise ValueError(
                f"layer {self.name!r} has {len(self.weights)} weight arrays, got {len(weights)}"
            )
        for index, (param, value) in enumerate(zip(self.weights, weights, strict=True)):  # pragma: no mutate
            value = as_float_array(value, f"weights[{index}]")
            if value.shape != param.shape:
                raise ValueError(
                    f"layer {self.name!r}: weights[{index}] must have shape {param.shape}, got {value.shape}"
                )
            param[...] = value

    def _check_input(self, x: Array) -> None:
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(
                f"layer {self.name!r} expects input of shape (n_samples, {self.input_dim}), "
                f"got shape {x.shape}"
            )


class Input:
    """The shape of the data a model takes, as ``keras.Input``: ``Sequential([Input(shape=(2,)), ...])``.

    Not a layer that computes anything: a model that starts with it builds its weights at once
    (``shape`` is one sample's shape, without the batch dimension).
    """

    def __init__(self, shape: tuple[int] | int, name: str | None = None):
        shape = (shape,) if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool) else shape
        if (not isinstance(shape, (tuple, list)) or len(shape) != 1
                or isinstance(shape[0], bool) or not isinstance(shape[0], (int, np.integer)) or shape[0] < 1):
            raise ValueError(
                f"Input(shape=...) takes one sample's shape, a tuple with one positive integer such as "
                f"(2,) for 2 features, got {shape!r}"
            )
        self.shape = (int(shape[0]),)
        self.name = name

    def __repr__(self) -> str:
        return f"Input(shape={self.shape})"


class Dense(Layer):
    """A fully connected layer: a = f(z), z = x W + b.

    Shapes: x (n, d_in), W (d_in, units), b (units,), z and a (n, units).

    Backward, given g = dL/da:
        dL/dz = g * f'(z)          (softmax: the Jacobian-vector product)
        dL/dW = x^T dL/dz          (d_in, units)   + the regularizer's gradient, if any
        dL/db = sum over n of dL/dz (units,)
        dL/dx = dL/dz W^T          (n, d_in)
    """

    def __init__(self, units: int, activation: str | activations.Activation | None = None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 input_dim: int | None = None, name: str | None = None):
        super().__init__(name)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.declared_input_dim = input_dim

    def build(self, input_dim: int, rng: np.random.Generator, dtype="float64") -> None:
        if self.declared_input_dim is not None and input_dim != self.declared_input_dim:
            raise ValueError(
                f"layer {self.name!r} was declared with input_dim={self.declared_input_dim} "
                f"but receives {input_dim} features"
            )
        super().build(input_dim, rng, dtype)  # pragma: no mutate (Layer.build uses input_dim only)
        self.W = self.kernel_initializer((input_dim, self.units), dtype, rng)
        self.params = [self.W]
        if self.use_bias:
            self.b = self.bias_initializer((self.units,), dtype, rng)
            self.params.append(self.b)
        self.grads = [np.zeros_like(p) for p in self.params]

    @property
    def output_dim(self) -> int:
        return self.units

    def forward(self, x: Array, training: bool = False) -> Array:  # pragma: no mutate (training: unused by Dense)
        self._check_input(x)
        self.x = x
        self.z = x @ self.W + self.b if self.use_bias else x @ self.W
        self.a = self.activation(self.z)
        return self.a

    def backward(self, grad: Array, input_gradient: bool = True) -> Array | None:
        """dL/dx from g = dL/da: first dL/dz = g * f'(z), then as ``backward_from_z``."""
        dZ = self.activation.backward(self.z, self.a, grad)
        return self.backward_from_z(dZ, input_gradient)

    def backward_from_z(self, dZ: Array, input_gradient: bool = True) -> Array | None:
        """dL/dx from dZ = dL/dz, the gradient before the activation; fills ``grads`` with [dW, db].

        A model calls it directly when the activation's Jacobian cancels against its loss
        (softmax with cross-entropy: dZ = (p - y) / n).
        """
        dW = self.x.T @ dZ
        if self.kernel_regularizer is not None:
            dW += self.kernel_regularizer.gradient(self.W)
        self.grads = [dW]
        if self.use_bias:
            db = dZ.sum(axis=0)
            if self.bias_regularizer is not None:
                db += self.bias_regularizer.gradient(self.b)
            self.grads.append(db)
        if not input_gradient:
            return None
        dx = dZ @ self.W.T
        return dx

    def regularization_loss(self) -> float:
        penalty = 0.0
        if self.kernel_regularizer is not None:
            penalty += self.kernel_regularizer(self.W)
        if self.use_bias and self.bias_regularizer is not None:
            penalty += self.bias_regularizer(self.b)
        return penalty

    def __repr__(self) -> str:
        return f"Dense({self.units}, activation={self.activation.name!r})"


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale the
    survivors by 1 / (1 - rate), so the expected output equals the input; at inference, identity.

    Shapes: x and output (n, d). Backward: dL/dx = g * mask / (1 - rate), the same mask.
    """

    def __init__(self, rate: float, seed: int | np.random.Generator | None = None, name: str | None = None):
        super().__init__(name)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) or not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self.rng = None if seed is None else rng_from(seed)

    def build(self, input_dim: int, rng: np.random.Generator, dtype="float64") -> None:  # pragma: no mutate
        super().build(input_dim, rng, dtype)  # pragma: no mutate (Layer.build uses input_dim only)
        self.rng = self.rng or rng

    @property
    def output_dim(self) -> int:
        return self.input_dim

    def forward(self, x: Array, training: bool = False) -> Array:
        self._check_input(x)
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        self.mask = (self.rng.random(x.shape) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self.mask

    def backward(self, grad: Array, input_gradient: bool = True) -> Array | None:
        if not input_gradient:
            return None
        return grad if self.mask is None else grad * self.mask

    def __repr__(self) -> str:
        return f"Dropout({self.rate})"


class BatchNormalization(Layer):
    """Normalise each feature over the batch, then scale and shift: y = gamma x_hat + beta.

    Training:  x_hat = (x - mean_B) / sqrt(var_B + eps), with the batch's mean and (biased)
               variance; the moving averages follow them:
               moving <- momentum moving + (1 - momentum) batch statistic.
    Inference: x_hat = (x - moving_mean) / sqrt(moving_variance + eps).

    Keras's defaults: momentum 0.99, epsilon 1e-3. Shapes: x and y (n, d); gamma, beta,
    moving_mean, moving_variance (d,). ``get_weights()`` is [gamma, beta, moving_mean,
    moving_variance], as in Keras.

    Backward in training, given g = dL/dy (every x_i moves the batch mean and variance):
        dL/dgamma = sum g x_hat,  dL/dbeta = sum g
        dL/dx = gamma / (n sqrt(var_B + eps)) (n g - sum g - x_hat sum(g x_hat))
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, name: str | None = None):
        super().__init__(name)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"epsilon must be positive, got {epsilon!r}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)

    def build(self, input_dim: int, rng: np.random.Generator, dtype="float64") -> None:
        super().build(input_dim, rng, dtype)  # pragma: no mutate (Layer.build uses input_dim only)
        self.gamma, self.beta = np.ones(input_dim, dtype), np.zeros(input_dim, dtype)
        self.moving_mean, self.moving_variance = np.zeros(input_dim, dtype), np.ones(input_dim, dtype)
        self.params = [self.gamma, self.beta]
        self.grads = [np.zeros_like(self.gamma), np.zeros_like(self.beta)]
        self.non_trainable = [self.moving_mean, self.moving_variance]

    @property
    def output_dim(self) -> int:
        return self.input_dim

    def forward(self, x: Array, training: bool = False) -> Array:
        self._check_input(x)
        # A frozen BatchNormalization runs in inference mode, as in Keras (fine-tuning keeps its statistics).
        self.training = training = training and self.trainable
        if training:
            if x.shape[0] < 2:
                raise ValueError(
                    f"BatchNormalization {self.name!r} got a training batch of {x.shape[0]} sample: "
                    "batch statistics need at least 2 (use a larger batch_size)"
                )
            mean, variance = x.mean(axis=0), x.var(axis=0)
            self.moving_mean *= self.momentum
            self.moving_mean += (1.0 - self.momentum) * mean
            self.moving_variance *= self.momentum
            self.moving_variance += (1.0 - self.momentum) * variance
        else:
            mean, variance = self.moving_mean, self.moving_variance
        self.inv_std = 1.0 / np.sqrt(variance + self.epsilon)
        self.x_hat = (x - mean) * self.inv_std
        return self.gamma * self.x_hat + self.beta

    def backward(self, grad: Array, input_gradient: bool = True) -> Array | None:
        dgamma = np.sum(grad * self.x_hat, axis=0)
        dbeta = np.sum(grad, axis=0)
        self.grads = [dgamma, dbeta]
        if not input_gradient:
            return None
        if not self.training:  # fixed statistics: a per-feature affine map
            return grad * (self.gamma * self.inv_std)
        n = grad.shape[0]
        dx = (self.gamma * self.inv_std / n) * (n * grad - dbeta - self.x_hat * dgamma)
        return dx


class Maxout(Layer):
    """Maxout: each of ``units`` outputs is the largest of ``pieces`` linear functions of x,
    a_j = max_k (x W_k + b_k)_j, e.g. max(w1^T x + b1, w2^T x + b2) for pieces = 2.

    Shapes: x (n, d_in), W (d_in, units, pieces), b (units, pieces), output (n, units).
    Backward: the gradient flows only through the piece that won, as through a max.
    """

    def __init__(self, units: int, pieces: int = 2, kernel_initializer="glorot_uniform",
                 name: str | None = None):
        super().__init__(name)
        for label, value in (("units", units), ("pieces", pieces)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{label} must be a positive integer, got {value!r}")
        self.units, self.pieces = int(units), int(pieces)
        self.kernel_initializer = initializers.get(kernel_initializer)

    def build(self, input_dim: int, rng: np.random.Generator, dtype="float64") -> None:
        super().build(input_dim, rng, dtype)  # pragma: no mutate (Layer.build uses input_dim only)
        kernel = self.kernel_initializer((input_dim, self.units * self.pieces), dtype, rng)
        self.W = kernel.reshape(input_dim, self.units, self.pieces)
        self.b = np.zeros((self.units, self.pieces), dtype)
        self.params = [self.W, self.b]
        self.grads = [np.zeros_like(self.W), np.zeros_like(self.b)]

    @property
    def output_dim(self) -> int:
        return self.units

    def forward(self, x: Array, training: bool = False) -> Array:  # pragma: no mutate (training: unused by Maxout)
        self._check_input(x)
        z = np.einsum("nd,dup->nup", x, self.W) + self.b  # pragma: no mutate (upper-case subscripts: same)
        self.x = x
        self.winner = np.argmax(z, axis=2)[..., None]  # (n, units, 1)
        return np.take_along_axis(z, self.winner, axis=2)[..., 0]  # pragma: no mutate (axis=-1, NumPy's default, is 2)

    def backward(self, grad: Array, input_gradient: bool = True) -> Array | None:
        dZ = np.zeros((*grad.shape, self.pieces), dtype=grad.dtype)  # only the winning piece gets g
        np.put_along_axis(dZ, self.winner, grad[..., None], axis=2)
        dW = np.einsum("nd,nup->dup", self.x, dZ)  # pragma: no mutate (upper-case subscripts: same)
        db = dZ.sum(axis=0)
        self.grads = [dW, db]
        if not input_gradient:
            return None
        dx = np.einsum("nup,dup->nd", dZ, self.W)  # pragma: no mutate (upper-case subscripts: same)
        return dx


class Activation(Layer):
    """An activation on its own, as ``keras.layers.Activation("relu")``: a = f(x), no weights.

    Shapes: x and a (n, d). Backward: dL/dx = g * f'(x) (softmax: its Jacobian-vector product).
    """

    def __init__(self, activation: str | activations.Activation, name: str | None = None):
        super().__init__(name)
        self.activation = activations.get(activation)

    @property
    def output_dim(self) -> int:
        return self.input_dim

    def forward(self, x: Array, training: bool = False) -> Array:  # pragma: no mutate (training: unused)
        self._check_input(x)
        self.z, self.a = x, self.activation(x)
        return self.a

    def backward(self, grad: Array, input_gradient: bool = True) -> Array | None:
        if not input_gradient:
            return None
        return self.activation.backward(self.z, self.a, grad)

    def backward_from_z(self, dZ: Array, input_gradient: bool = True) -> Array | None:
        """dL/dx when dL/d(input of f) is already known (the loss absorbed f's Jacobian): dZ itself."""
        return dZ if input_gradient else None

    def __repr__(self) -> str:
        return f"Activation({self.activation.name!r})"
