"""TensorFlow and Keras for tests/test_keras_parity.py: imported quietly, on demand, plus nnlib's Keras twins.

Nothing here imports TensorFlow at module level: ``load()`` does, once, so that
``pytest -m "not keras"`` never pays the import. ``load()`` sets the environment first:

* ``TF_CPP_MIN_LOG_LEVEL=3`` hides TensorFlow's C++ INFO/WARNING/ERROR lines;
* ``TF_ENABLE_ONEDNN_OPTS=0`` turns off oneDNN. In TF 2.21 its start-up notice ("oneDNN custom
  operations are on ...", written twice, each after "WARNING: All log messages before
  absl::InitializeLog() ...") ignores TF_CPP_MIN_LOG_LEVEL (as import-time logs have since 2.19,
  tensorflow/tensorflow#100442); without oneDNN the CPU kernels also stop reordering float sums,
  which only helps a parity test.

Both must be set before the first ``import tensorflow`` in the process; the Python-side
loggers (absl, ``tf.get_logger()``) are turned down to ERROR after it.
"""

from __future__ import annotations

import contextlib
import functools
import os
from types import SimpleNamespace

import numpy as np

QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
# nnlib agrees with Keras to this, in each float type (tests/test_keras_parity*.py).
TOLERANCE = {"float32": 1e-5, "float64": 1e-10}


def assert_close(actual, expected, dtype: str, what: str = "") -> None:
    """actual == expected within TOLERANCE[dtype], relative and absolute."""
    tolerance = TOLERANCE[dtype]
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=tolerance, atol=tolerance,
                               err_msg=what)


@functools.cache
def load() -> SimpleNamespace:
    """``tf`` and ``keras``, imported once with TensorFlow's logging silenced (skips if absent)."""
    import pytest

    os.environ.update(QUIET_ENVIRONMENT)
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    tf.get_logger().setLevel("ERROR")
    if keras.backend.backend() != "tensorflow":
        pytest.skip(f"the parity tests need Keras's TensorFlow backend, not {keras.backend.backend()!r}")
    return SimpleNamespace(tf=tf, keras=keras)


@contextlib.contextmanager
def floatx(dtype: str):
    """Keras's float type set to ``dtype`` inside the block (layers, optimizers, losses), restored after it.

    ``set_floatx`` alone is not enough in Keras 3: the first layer built caches a global dtype
    policy from floatx, and later layers follow that policy, so the policy is set too.
    """
    config = load().keras.config
    previous = config.floatx(), config.dtype_policy()
    config.set_floatx(dtype)
    config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        config.set_floatx(previous[0])
        config.set_dtype_policy(previous[1])


# ---- nnlib -> Keras ---------------------------------------------------------------------------

def keras_activation(name: str, **options):
    """The Keras function for an nnlib activation name (a key of ``nnlib.activations.ACTIVATIONS``).

    ``options`` are those of ``activations.get`` other than ``alpha``, passed on to Keras under the
    same name: ``keras_activation("gelu", approximate=True)`` is GELU's tanh form in both.
    """
    ka = load().keras.activations
    special = {
        "leaky_relu": functools.partial(ka.leaky_relu, negative_slope=0.2),  # nnlib's alpha = 0.2
        "elu": functools.partial(ka.elu, alpha=1.0),
    }
    if options:
        return functools.partial(getattr(ka, name), **options)
    return special.get(name) or getattr(ka, name)


def keras_regularizer(regularizer):
    """Keras's L1 / L2 / L1L2 with the strengths of an nnlib regularizer (None stays None)."""
    from nnlib import regularizers

    kr = load().keras.regularizers
    if regularizer is None:
        return None
    if type(regularizer) is regularizers.L1:
        return kr.L1(regularizer.l1)
    if type(regularizer) is regularizers.L2:
        return kr.L2(regularizer.l2)
    return kr.L1L2(l1=regularizer.l1, l2=regularizer.l2)


def keras_layer(layer):
    """The Keras layer that computes what an nnlib layer computes (frozen if the nnlib layer is)."""
    twin = _keras_layer(layer)
    twin.trainable = layer.trainable
    return twin


def _keras_activation_of(layer):
    from nnlib import activations

    names = [key for key, value in activations.ACTIVATIONS.items() if value is layer.activation]
    if not names:
        raise TypeError(f"no Keras twin for the activation {layer.activation.name!r}")
    return keras_activation(names[0])


def _keras_layer(layer):
    from nnlib import layers

    kl = load().keras.layers
    if isinstance(layer, layers.Dense):
        return kl.Dense(
            layer.units, activation=_keras_activation_of(layer), use_bias=layer.use_bias,
            kernel_regularizer=keras_regularizer(layer.kernel_regularizer),
            bias_regularizer=keras_regularizer(layer.bias_regularizer),
        )
    if isinstance(layer, layers.Activation):
        return kl.Activation(_keras_activation_of(layer))
    if isinstance(layer, layers.Dropout):
        return kl.Dropout(layer.rate)
    if isinstance(layer, layers.BatchNormalization):
        return kl.BatchNormalization(momentum=layer.momentum, epsilon=layer.epsilon)
    raise TypeError(f"no Keras twin for {layer!r}")


def keras_twin(model):
    """A Keras ``Sequential`` with the layers and the current weights of a built nnlib model.

    Its float type is Keras's floatx at the call: use it inside ``floatx(model.dtype.name)``.
    """
    keras = load().keras
    twin = keras.Sequential([keras.Input((model.input_dim,)), *map(keras_layer, model.layers)])
    twin.set_weights(model.get_weights())
    dtypes = {w.dtype for w in twin.weights}
    assert dtypes <= {model.dtype.name}, f"the Keras twin holds {dtypes}, not {model.dtype.name}: use floatx()"
    return twin


def twins(layers, input_dim: int, dtype: str, seed: int = 0):
    """A built nnlib ``Sequential`` of ``layers`` and its Keras twin, with identical weights."""
    from nnlib import Sequential

    model = Sequential(layers, seed=seed, dtype=dtype)
    model.build(input_dim)
    return model, keras_twin(model)


def keras_gradients(keras_model, loss_object, x, y):
    """Keras's (output, loss + weight penalties, gradients in ``trainable_weights`` order) in training mode."""
    tf = load().tf
    with tf.GradientTape() as tape:
        output = keras_model(x, training=True)
        loss = loss_object(y, output)
        if keras_model.losses:
            loss = loss + tf.add_n(keras_model.losses)
    grads = tape.gradient(loss, keras_model.trainable_weights)
    return np.asarray(output), float(loss), [np.asarray(g) for g in grads]
