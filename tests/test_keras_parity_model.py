"""nnlib against Keras for the model's Keras names: an Activation layer, frozen layers, Input.

The same pattern as tests/test_keras_parity.py: an nnlib model, its Keras twin with identical
weights (tests/keras_helpers.py), the same data; numbers agree to 1e-5 in float32, 1e-10 in float64.
"""

from __future__ import annotations

import keras_helpers as kh
import numpy as np
import pytest
from keras_helpers import assert_close
from test_keras_parity import STEPS, keras_loss, make_data

from nnlib import Sequential, layers, optimizers

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("scale", [1.0, 40.0])
@pytest.mark.parametrize(("loss", "activation", "outputs"), [
    ("sparse_categorical_crossentropy", "softmax", 3), ("binary_crossentropy", "sigmoid", 2),
    ("mean_squared_error", "tanh", 2),
])
def test_activation_layer_gradients(loss, activation, outputs, scale, dtype, tfk):
    """Dense(k) then Activation(f): the loss (from the logits where Keras takes them) and every gradient."""
    model, twin = kh.twins([layers.Dense(5), layers.Activation("tanh"), layers.Dense(outputs),
                            layers.Activation(activation)], 4, dtype)
    weights = model.get_weights()
    weights[2] = weights[2] * scale  # 40: saturated outputs, where only the logits give the exact loss
    model.set_weights(weights)
    twin.set_weights(weights)
    (x, y), = make_data(loss, dtype, outputs)
    model.compile(optimizers.SGD(), loss)
    nn_loss, nn_output = model.compute_gradients(x, y)
    k_output, k_loss, k_grads = kh.keras_gradients(twin, keras_loss(loss), x, y)
    assert_close(nn_output, k_output, dtype, "output")
    assert_close(nn_loss, k_loss, dtype, "loss")
    for index, (ours, theirs) in enumerate(zip(model.gradients, k_grads, strict=True)):
        assert_close(ours, theirs, dtype, f"gradient of trainable weight {index}")


def test_frozen_layers_train_as_in_keras(dtype, tfk):
    """A frozen Dense and a frozen BatchNormalization (inference mode, as in Keras): 5 Adam steps agree."""
    model_layers = [layers.Dense(6, activation="relu"), layers.BatchNormalization(), layers.Dense(6, activation="tanh"),
                    layers.Dense(3, activation="softmax")]
    model_layers[0].trainable = model_layers[1].trainable = False
    model, twin = kh.twins(model_layers, 4, dtype)
    assert len(model.trainable_weights) == len(twin.trainable_weights) == 4
    loss = "categorical_crossentropy"
    # Betas exact in float32: float64 Keras rounds them to float32 (see test_keras_parity.py).
    model.compile(optimizers.Adam(learning_rate=0.02, beta_1=0.75, beta_2=0.9375), loss)
    twin.compile(tfk.keras.optimizers.Adam(learning_rate=0.02, beta_1=0.75, beta_2=0.9375), loss)
    for step, (x, y) in enumerate(make_data(loss, dtype, 3, STEPS), 1):
        assert_close(model.train_on_batch(x, y), twin.train_on_batch(x, y), dtype, f"loss of batch {step}")
    for index, (ours, theirs) in enumerate(zip(model.get_weights(), twin.get_weights(), strict=True)):
        assert_close(ours, theirs, dtype, f"weights[{index}] after {STEPS} steps")


def test_input_and_build_shapes_are_keras(tfk):
    """Sequential([Input(shape=(4,)), ...]) is built at once, as Keras's; build takes Keras's (None, d)."""
    keras = tfk.keras
    ours = Sequential([layers.Input(shape=(4,)), layers.Dense(3)])
    theirs = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    assert ours.built and theirs.built
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    lazy, lazy_twin = Sequential([layers.Dense(3)]), keras.Sequential([keras.layers.Dense(3)])
    lazy.build((None, 4))
    lazy_twin.build((None, 4))
    assert [w.shape for w in lazy.get_weights()] == [tuple(np.shape(w)) for w in lazy_twin.get_weights()]
