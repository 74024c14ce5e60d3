"""nnlib against Keras 3 on TensorFlow (CPU): the same model and weights give the same numbers.

Each test builds an nnlib model, copies its weights into a Keras twin (tests/keras_helpers.py)
and compares forward values, losses, gradients (Keras's from tf.GradientTape) and the weights
after 5 optimizer steps, to 1e-5 in float32 and 1e-10 in float64. TensorFlow is imported by the
first test that needs it, never at collection, so ``pytest -m "not keras"`` does not pay for it.

Where nnlib and Keras disagree the test is an expected failure (strict: it fails once they agree);
every such case is listed, with its cause, in DISAGREEMENTS below.
"""

from __future__ import annotations

import os
import subprocess
import sys

import keras_helpers as kh
import numpy as np
import pytest
from conftest import ROOT
from keras_helpers import TOLERANCE, assert_close

from nnlib import activations, layers, losses, metrics, optimizers, regularizers

pytestmark = pytest.mark.keras

STEPS = 5

# Known disagreements: (test, case, dtype or None for both) -> reason. Each test is an xfail(strict=True),
# so it fails once the two agree and its entry should go. Those left are on Keras's side, constants that
# float64 TensorFlow rounds to float32:
# * its LeakyRelu op keeps alpha in a 32-bit attribute, so float64 Keras uses float32(0.2) = 0.20000000298
#   (test_float64_keras_rounds_the_leaky_relu_slope shows nnlib agrees given that slope);
# * tf.nn.gelu makes its constants with math_ops.cast(python float, dtype), through a float32 tensor:
#   1/sqrt(2) (exact form) and 0.044715 (tanh form) lose their last 8 digits, and gelu moves by up to
#   5e-9 and 9e-10 (test_float64_keras_rounds_the_gelu_constants shows nnlib agrees given those constants).
LEAKY = "TensorFlow keeps leaky_relu's alpha as a float32 attribute: float64 Keras uses 0.20000000298"
GELU = "TensorFlow's float64 gelu uses 1/sqrt(2) rounded to float32, 0.70710676908"
GELU_TANH = "TensorFlow's float64 gelu(approximate=True) uses 0.044715 rounded to float32, 0.044714998454"
DISAGREEMENTS = {
    ("test_activation_values", "leaky_relu", "float64"): LEAKY,
    ("test_activation_derivatives", "leaky_relu", "float64"): LEAKY,
    ("test_activation_backward", "leaky_relu", "float64"): LEAKY,
    ("test_derivative_at_zero_is_tensorflows_choice", "leaky_relu", "float64"): LEAKY,
    **{(test, "gelu", "float64"): GELU for test in (
        "test_activation_values", "test_activation_derivatives", "test_activation_backward",
        "test_smooth_activations_over_a_wide_range")},
    **{(test, "gelu(approximate=True)", "float64"): GELU_TANH for test in (
        "test_activation_values", "test_activation_derivatives", "test_activation_backward",
        "test_smooth_activations_over_a_wide_range")},
}


def expect_disagreement(request, case: str, dtype: str) -> None:
    """Mark the running test xfail(strict=True) if (this test, case, dtype) is in DISAGREEMENTS."""
    test = request.node.originalname
    reason = DISAGREEMENTS.get((test, case, dtype)) or DISAGREEMENTS.get((test, case, None))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def test_every_listed_disagreement_names_a_test_here():
    """A typo in DISAGREEMENTS would silently mark nothing."""
    assert {test for test, _, _ in DISAGREEMENTS} <= {name for name in globals() if name.startswith("test_")}
    assert {dtype for _, _, dtype in DISAGREEMENTS} <= {None, *TOLERANCE}




def keras_loss(name: str):
    """Keras's loss object (mean over the batch, as nnlib's) for an nnlib loss name."""
    classes = {
        "mean_squared_error": "MeanSquaredError", "binary_crossentropy": "BinaryCrossentropy",
        "categorical_crossentropy": "CategoricalCrossentropy",
        "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    }
    return getattr(kh.load().keras.losses, classes[name])()


# ---- activations ------------------------------------------------------------------------------

# Rows for softmax; +-50 saturates sigmoid, softplus and softmax; no exact 0 (relu's kink).
Z = np.array([
    [-50.0, -3.0, -0.7, 0.2, 1.5, 50.0],
    [-8.0, -1e-3, 1e-3, 0.5, 4.0, 9.0],
    [30.0, -30.0, 2.0, -2.0, 0.1, -0.1],
])
# case -> (name, options): each activation by name, plus the ones that take options of get() and Keras.
ACTIVATION_CASES = {name: (name, {}) for name in sorted(activations.ACTIVATIONS)}
ACTIVATION_CASES["gelu(approximate=True)"] = ("gelu", {"approximate": True})


def activation_pair(case: str):
    """nnlib's Activation and Keras's function for a key of ACTIVATION_CASES."""
    name, options = ACTIVATION_CASES[case]
    return activations.get(name, **options), kh.keras_activation(name, **options)


@pytest.mark.parametrize("case", list(ACTIVATION_CASES))
def test_activation_values(case, dtype, tfk, request):
    """f(z) of nnlib equals keras.activations.<name>(z), in the input's dtype."""
    expect_disagreement(request, case, dtype)
    ours, theirs = activation_pair(case)
    z = Z.astype(dtype)
    assert ours(z).dtype == dtype
    assert_close(ours(z), theirs(tfk.tf.constant(z)), dtype)


@pytest.mark.parametrize("case", list(ACTIVATION_CASES))
def test_activation_derivatives(case, dtype, tfk, request):
    """f'(z) equals TensorFlow's gradient (softmax: the whole Jacobian, row by row)."""
    expect_disagreement(request, case, dtype)
    ours, theirs = activation_pair(case)
    tf, z = tfk.tf, tfk.tf.Variable(Z.astype(dtype))
    with tf.GradientTape() as tape:
        a = theirs(z)
    expected = tape.batch_jacobian(a, z) if case == "softmax" else tape.gradient(a, z)
    assert ours.derivative(Z.astype(dtype)).dtype == dtype
    assert_close(ours.derivative(Z.astype(dtype)), expected, dtype)


@pytest.mark.parametrize("case", list(ACTIVATION_CASES))
def test_activation_backward(case, dtype, tfk, request):
    """Activation.backward(z, a, g), the dL/dz a Dense layer uses, equals TensorFlow's g^T J."""
    expect_disagreement(request, case, dtype)
    ours, theirs = activation_pair(case)
    tf, z = tfk.tf, tfk.tf.Variable(Z.astype(dtype))
    g = np.random.default_rng(0).normal(size=Z.shape).astype(dtype)
    with tf.GradientTape() as tape:
        a = theirs(z)
    z_np = Z.astype(dtype)
    assert_close(ours.backward(z_np, ours(z_np), g), tape.gradient(a, z, output_gradients=g), dtype)


@pytest.mark.parametrize("case", ["gelu", "gelu(approximate=True)", "silu"])
def test_smooth_activations_over_a_wide_range(case, dtype, tfk, request):
    """GELU (exact: TensorFlow's erfc; approximate) and SiLU on a fine grid out to the saturated tails."""
    expect_disagreement(request, case, dtype)
    ours, theirs = activation_pair(case)
    tf = tfk.tf
    z_np = np.concatenate([np.linspace(-12.0, 12.0, 2401), [-40.0, -30.0, 30.0, 40.0]]).astype(dtype)
    z = tf.Variable(z_np)
    with tf.GradientTape() as tape:
        a = theirs(z)
    assert_close(ours(z_np), a, dtype, "values")
    assert_close(ours.derivative(z_np), tape.gradient(a, z), dtype, "derivatives")


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu"])
def test_derivative_at_zero_is_tensorflows_choice(name, dtype, tfk, request):
    """At the kink z = 0 nnlib promises TensorFlow's subgradient: relu' = 0, leaky_relu' = alpha, elu' = 1."""
    expect_disagreement(request, name, dtype)
    tf, z = tfk.tf, tfk.tf.Variable(np.zeros((1, 2), dtype))
    with tf.GradientTape() as tape:
        a = kh.keras_activation(name)(z)
    expected = tape.gradient(a, z)
    activation, z_np = activations.get(name), np.zeros((1, 2), dtype)
    assert_close(activation.derivative(z_np), expected, dtype)
    assert_close(activation.backward(z_np, activation(z_np), np.ones_like(z_np)), expected, dtype)


# ---- losses on given predictions -------------------------------------------------------------

# Rows sum to 1 and hold values near 0 and 1, some inside Keras's clip to [1e-7, 1 - 1e-7].
PROBABILITIES = np.array([
    [1e-9, 1e-6, 1.0 - 1e-6 - 1e-9],
    [0.2, 0.7, 0.1],
    [1.0 - 1e-5, 5e-6, 5e-6],
    [1e-9, 0.7 - 1e-9, 0.3],
])
PREDICTIONS = {
    "probabilities": PROBABILITIES,
    "unnormalised": PROBABILITIES * np.array([[0.5], [0.8], [0.9], [0.6]]),  # rows sum to < 1
}
LABELS = np.array([2, 1, 1, 0])  # right and sure, right, wrong and sure, wrong inside the clip
BINARY_TARGETS = np.array([[0, 1, 1], [0, 1, 0], [0, 0, 1], [1, 1, 0]])
LOSS_NAMES = sorted(losses.LOSSES)


def loss_targets(name: str, dtype: str) -> np.ndarray:
    if name == "sparse_categorical_crossentropy":
        return LABELS
    if name == "binary_crossentropy":
        return BINARY_TARGETS.astype(dtype)
    return np.eye(3, dtype=dtype)[LABELS]


@pytest.mark.parametrize("predictions", list(PREDICTIONS))
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_value(name, predictions, dtype, tfk, request):
    """nnlib's loss of fixed predictions equals Keras's loss object (from_logits=False)."""
    expect_disagreement(request, f"{name}-{predictions}", dtype)
    y, p = loss_targets(name, dtype), PREDICTIONS[predictions].astype(dtype)
    assert_close(losses.get(name)(y, p), keras_loss(name)(y, tfk.tf.constant(p)), dtype)


@pytest.mark.parametrize("predictions", list(PREDICTIONS))
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_gradient(name, predictions, dtype, tfk, request):
    """dL/dp of nnlib equals TensorFlow's gradient of Keras's loss (zero where the clip is active)."""
    expect_disagreement(request, f"{name}-{predictions}", dtype)
    tf = tfk.tf
    y, p = loss_targets(name, dtype), PREDICTIONS[predictions].astype(dtype)
    p_variable = tf.Variable(p)
    with tf.GradientTape() as tape:
        loss = keras_loss(name)(y, p_variable)
    assert_close(losses.get(name).gradient(y, p), tape.gradient(loss, p_variable), dtype)


# ---- whole models: one forward and backward pass -----------------------------------------------

def make_data(loss: str, dtype: str, outputs: int, batches: int = 1, size: int = 16, features: int = 4,
              seed: int = 7, x_scale: float = 1.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``batches`` seeded (x, y) pairs, y shaped as ``loss`` wants it."""
    rng = np.random.default_rng(seed)
    data = []
    for _ in range(batches):
        x = (x_scale * rng.normal(size=(size, features))).astype(dtype)
        labels = rng.integers(0, outputs, size)
        y = {
            "sparse_categorical_crossentropy": labels,
            "categorical_crossentropy": np.eye(outputs, dtype=dtype)[labels],
            "binary_crossentropy": rng.integers(0, 2, (size, outputs)).astype(dtype),
            "mean_squared_error": rng.normal(size=(size, outputs)).astype(dtype),
        }[loss]
        data.append((x, y))
    return data


def compare_pass(model, twin, loss: str, x, y, dtype: str) -> None:
    """One training-mode pass: outputs, loss (with any weight penalty) and every gradient agree."""
    model.compile(optimizers.SGD(), loss)
    nn_loss, nn_output = model.compute_gradients(x, y)
    k_output, k_loss, k_grads = kh.keras_gradients(twin, keras_loss(loss), x, y)
    assert_close(nn_output, k_output, dtype, "output")
    assert_close(nn_loss, k_loss, dtype, "loss")
    assert len(model.gradients) == len(k_grads)
    for index, (ours, theirs) in enumerate(zip(model.gradients, k_grads, strict=True)):
        assert_close(ours, theirs, dtype, f"gradient of trainable weight {index}")


# (loss, output activation, outputs): Keras computes these losses from the logits; nnlib fuses too.
FUSED = [
    ("categorical_crossentropy", "softmax", 3),
    ("sparse_categorical_crossentropy", "softmax", 3),
    ("binary_crossentropy", "sigmoid", 1),
    ("binary_crossentropy", "sigmoid", 3),
]
# The output layer's kernel times 1 (probabilities well inside (0, 1)) or 40 (some below 1e-7).
OUTPUT_SCALES = {"moderate": 1.0, "saturated": 40.0}


def fused_twins(activation: str, outputs: int, scale: float, dtype: str):
    """A 4-5-k network, tanh then ``activation``, its output kernel scaled by ``scale``; and its twin."""
    model = kh.twins([layers.Dense(5, activation="tanh"), layers.Dense(outputs, activation=activation)], 4, dtype)[0]
    weights = model.get_weights()
    weights[2] = weights[2] * scale
    model.set_weights(weights)
    return model, kh.keras_twin(model)


@pytest.mark.parametrize("scale", list(OUTPUT_SCALES))
@pytest.mark.parametrize(("loss", "activation", "outputs"), FUSED)
def test_fused_gradients(loss, activation, outputs, scale, dtype, tfk):
    """Softmax / sigmoid output with its cross-entropy: outputs and weight gradients agree, saturated too."""
    model, twin = fused_twins(activation, outputs, OUTPUT_SCALES[scale], dtype)
    (x, y), = make_data(loss, dtype, outputs)
    model.compile(optimizers.SGD(), loss)
    _, output = model.compute_gradients(x, y)
    k_output, _, k_grads = kh.keras_gradients(twin, keras_loss(loss), x, y)
    assert_close(output, k_output, dtype, "output")
    for index, (ours, theirs) in enumerate(zip(model.gradients, k_grads, strict=True)):
        assert_close(ours, theirs, dtype, f"gradient of trainable weight {index}")


@pytest.mark.parametrize("scale", list(OUTPUT_SCALES))
@pytest.mark.parametrize(("loss", "activation", "outputs"), FUSED)
def test_fused_loss_value(loss, activation, outputs, scale, dtype, tfk, request):
    """The same networks: the loss compute_gradients reports equals Keras's."""
    expect_disagreement(request, f"{loss}-{activation}-{outputs}-{scale}", dtype)
    model, twin = fused_twins(activation, outputs, OUTPUT_SCALES[scale], dtype)
    (x, y), = make_data(loss, dtype, outputs)
    model.compile(optimizers.SGD(), loss)
    assert_close(model.compute_gradients(x, y)[0], kh.keras_gradients(twin, keras_loss(loss), x, y)[1], dtype)


# ---- training: the same 5 batches through each optimizer ---------------------------------------

def train_both(model, twin, make_optimizer, loss: str, data, dtype: str) -> None:
    """train_on_batch on each batch in both: every batch's loss and the final weights agree."""
    model.compile(make_optimizer(optimizers), loss)
    twin.compile(make_optimizer(kh.load().keras.optimizers), loss)
    for step, (x, y) in enumerate(data, 1):
        assert_close(model.train_on_batch(x, y), twin.train_on_batch(x, y), dtype, f"loss of batch {step}")
    for index, (ours, theirs) in enumerate(zip(model.get_weights(), twin.get_weights(), strict=True)):
        assert_close(ours, theirs, dtype, f"weights[{index}] after {len(data)} steps")


# The two libraries share class and argument names, so one factory builds both from a module.
# None of these are Keras's defaults. momentum, Adam's betas and Adagrad's initial accumulator are
# exact in float32: float64 Keras rounds those to float32 (see test_float64_keras_rounds_*).
OPTIMIZERS = {
    "sgd": lambda o: o.SGD(learning_rate=0.1),
    "momentum": lambda o: o.SGD(learning_rate=0.05, momentum=0.75),
    "nesterov": lambda o: o.SGD(learning_rate=0.05, momentum=0.75, nesterov=True),
    "adagrad": lambda o: o.Adagrad(learning_rate=0.1, initial_accumulator_value=0.125),
    "rmsprop": lambda o: o.RMSprop(learning_rate=0.01, rho=0.8),
    "adadelta": lambda o: o.Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-6),
    "adam": lambda o: o.Adam(learning_rate=0.02, beta_1=0.75, beta_2=0.9375),
}
# model -> (layers, loss, outputs)
MODELS = {
    "classifier": (lambda: [layers.Dense(8, activation="tanh"), layers.Dense(3, activation="softmax")],
                   "categorical_crossentropy", 3),
    "regression": (lambda: [layers.Dense(8, activation="tanh"), layers.Dense(2)], "mean_squared_error", 2),
}


@pytest.mark.parametrize("model_name", list(MODELS))
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_optimizer_steps(optimizer, model_name, dtype, tfk):
    """A 4-8-k network, identical initial weights, the same 5 batches: the same weights after."""
    make_layers, loss, outputs = MODELS[model_name]
    model, twin = kh.twins(make_layers(), 4, dtype)
    train_both(model, twin, OPTIMIZERS[optimizer], loss, make_data(loss, dtype, outputs, STEPS), dtype)


# ---- Dropout and BatchNormalization ------------------------------------------------------------

def test_dropout_is_the_identity_at_inference(dtype, tfk):
    """Dropout(0.5) between two Dense layers: predictions agree with Keras's model(x, training=False)."""
    model, twin = kh.twins([layers.Dense(6, activation="relu"), layers.Dropout(0.5), layers.Dense(3)], 4, dtype)
    (x, _), = make_data("mean_squared_error", dtype, 3)
    assert_close(model.predict(x), twin(x, training=False), dtype)
    hidden = model.layers[0].forward(x)
    np.testing.assert_array_equal(model.layers[1].forward(hidden, training=False), hidden)


def test_batchnorm_defaults_are_keras(tfk):
    """momentum 0.99 and epsilon 1e-3, as keras.layers.BatchNormalization()."""
    ours, theirs = layers.BatchNormalization(), tfk.keras.layers.BatchNormalization()
    assert (ours.momentum, ours.epsilon) == (theirs.momentum, theirs.epsilon) == (0.99, 1e-3)


def test_batchnorm_training_then_inference(dtype, tfk):
    """Training mode: batch statistics, and the moving averages follow them; inference: the averages."""
    rng = np.random.default_rng(3)
    model = kh.twins([layers.BatchNormalization()], 4, dtype)[0]
    # gamma, beta, moving mean, moving variance: none at its initial value
    model.set_weights([rng.uniform(0.5, 2.0, 4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.5, 2.0, 4)])
    twin = kh.keras_twin(model)
    shift, scale = rng.normal(size=4) * 3, rng.uniform(0.5, 3.0, 4)
    for step in range(1, 4):
        x = (shift + scale * rng.normal(size=(8, 4))).astype(dtype)
        assert_close(model.forward(x, training=True), twin(x, training=True), dtype, f"training output {step}")
        for index, (ours, theirs) in enumerate(zip(model.get_weights(), twin.get_weights(), strict=True)):
            assert_close(ours, theirs, dtype, f"weights[{index}] after training batch {step}")
    x = (shift + scale * rng.normal(size=(8, 4))).astype(dtype)
    assert_close(model.predict(x), twin(x, training=False), dtype, "inference output")


@pytest.mark.parametrize("model_name", list(MODELS))
def test_batchnorm_gradients_and_training(model_name, dtype, tfk):
    """Dense-BN-Dense: gradients through BN in training mode, then 5 Adam steps (with moving stats)."""
    _, loss, outputs = MODELS[model_name]
    head = layers.Dense(outputs, activation="softmax" if model_name == "classifier" else None)
    model, twin = kh.twins([layers.Dense(6, activation="tanh"), layers.BatchNormalization(), head], 4, dtype)
    (x, y), *batches = make_data(loss, dtype, outputs, 1 + STEPS, x_scale=3.0)
    compare_pass(model, twin, loss, x, y, dtype)
    train_both(model, twin, OPTIMIZERS["adam"], loss, batches, dtype)


# ---- weight penalties --------------------------------------------------------------------------

# Strengths exact in float32: float64 Keras rounds l1 and l2 to float32 (see test_float64_keras_rounds_*).
REGULARIZERS = {
    "l1": lambda: regularizers.L1(0.015625),
    "l2": lambda: regularizers.L2(0.03125),
    "l1l2": lambda: regularizers.L1L2(l1=0.015625, l2=0.03125),
}


@pytest.mark.parametrize("regularizer", list(REGULARIZERS))
def test_kernel_regularizers(regularizer, dtype, tfk):
    """The penalty (Keras's model.losses), the loss with it, its gradients and 5 SGD steps agree."""
    make = REGULARIZERS[regularizer]
    model, twin = kh.twins([layers.Dense(8, activation="tanh", kernel_regularizer=make()),
                            layers.Dense(3, activation="softmax", kernel_regularizer=make())], 4, dtype)
    assert_close(model.regularization_loss(), sum(float(p) for p in twin.losses), dtype, "penalty")
    (x, y), *batches = make_data("categorical_crossentropy", dtype, 3, 1 + STEPS)
    compare_pass(model, twin, "categorical_crossentropy", x, y, dtype)
    train_both(model, twin, OPTIMIZERS["sgd"], "categorical_crossentropy", batches, dtype)


# ---- why some hyperparameters above are powers of 2 -----------------------------------------------

def f32(value: float) -> float:
    """The float32 nearest to ``value``, as a Python float."""
    return float(np.float32(value))


# Keras casts these Python floats with ops.cast(value, "float64"), which goes through a float32
# tensor (TF's LeakyRelu even stores alpha as a 32-bit attribute). (nnlib factory, Keras's value).
ROUNDED_OPTIMIZERS = {
    "momentum": (lambda o, h: o.SGD(learning_rate=0.05, momentum=h), 0.9),
    "nesterov": (lambda o, h: o.SGD(learning_rate=0.05, momentum=h, nesterov=True), 0.9),
    "adagrad": (lambda o, h: o.Adagrad(learning_rate=0.1, initial_accumulator_value=h), 0.1),
}


@pytest.mark.parametrize("case", list(ROUNDED_OPTIMIZERS))
def test_float64_keras_rounds_optimizer_hyperparameters(case, tfk):
    """Float64 Keras with momentum 0.9 (Adagrad: accumulator 0.1) trains as nnlib with float32(0.9)."""
    make, value = ROUNDED_OPTIMIZERS[case]
    make_layers, loss, outputs = MODELS["classifier"]

    def make_optimizer(module):  # nnlib's gets the float32-rounded value, Keras's the Python float
        return make(module, f32(value) if module is optimizers else value)

    with kh.floatx("float64"):
        model, twin = kh.twins(make_layers(), 4, "float64")
        train_both(model, twin, make_optimizer, loss, make_data(loss, "float64", outputs, STEPS), "float64")


def test_float64_keras_rounds_regularizer_strengths(tfk):
    """Float64 Keras's L1L2(0.01, 0.02) penalises as nnlib's L1L2(float32(0.01), float32(0.02))."""
    with kh.floatx("float64"):
        dense = layers.Dense(3, activation="softmax", kernel_regularizer=regularizers.L1L2(0.01, 0.02))
        model, twin = kh.twins([dense], 4, "float64")
        dense.kernel_regularizer = regularizers.L1L2(f32(0.01), f32(0.02))
        (x, y), = make_data("categorical_crossentropy", "float64", 3)
        compare_pass(model, twin, "categorical_crossentropy", x, y, "float64")


def test_float64_keras_rounds_the_leaky_relu_slope(tfk):
    """Float64 Keras's leaky_relu (slope 0.2) is nnlib's leaky_relu with alpha = float32(0.2)."""
    tf, z = tfk.tf, tfk.tf.Variable(Z)
    with tf.GradientTape() as tape:
        a = kh.keras_activation("leaky_relu")(z)
    leaky = activations.get("leaky_relu", alpha=f32(0.2))
    assert_close(leaky(Z), a, "float64")
    assert_close(leaky.derivative(Z), tape.gradient(a, z), "float64")


# ---- metrics ------------------------------------------------------------------------------------

# case -> (targets, noise in the predictions relative to each column's spread (1 where that is 0)).
# Offsets stay small beside the spread: Keras's float32 SS_tot, sum(y^2) - sum(y) mean(y), cancels.
R2_CASES = {
    "one output": (lambda rng: rng.normal(size=(16, 1)) * 3 + 1, 0.5),
    "three outputs": (lambda rng: rng.normal(size=(16, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -0.1], 0.8),
    "worse than the mean": (lambda rng: rng.normal(size=(16, 2)), 3.0),
    "constant column, missed": (lambda rng: np.column_stack([rng.normal(size=16), np.full(16, 2.0)]), 0.3),
    "constant column, hit": (lambda rng: np.column_stack([rng.normal(size=16), np.full(16, 2.0)]), 0.0),
}


@pytest.mark.parametrize("case", list(R2_CASES))
def test_r2_score(case, dtype, tfk):
    """metrics.r2_score equals keras.metrics.R2Score() (class_aggregation="uniform_average"), nan included."""
    rng = np.random.default_rng(3)
    make, noise = R2_CASES[case]
    y = make(rng)
    spread = np.where(y.std(axis=0) > 0, y.std(axis=0), 1.0)
    y, p = y.astype(dtype), (y + noise * spread * rng.normal(size=y.shape)).astype(dtype)
    keras_r2 = tfk.keras.metrics.R2Score(dtype=dtype)
    keras_r2.update_state(y, p)
    assert_close(metrics.r2_score(y, p), keras_r2.result(), dtype)


def test_r2_score_by_name_is_keras(tfk):
    """The name "r2_score" that nnlib's compile takes is one Keras's compile takes, for R2Score."""
    assert isinstance(tfk.keras.metrics.get("r2_score"), tfk.keras.metrics.R2Score)


CONFUSION_CASES = {
    "labels": lambda rng: (rng.integers(0, 4, 50), rng.integers(0, 4, 50), None),
    "probabilities": lambda rng: (rng.integers(0, 5, 40), rng.dirichlet(np.ones(5), 40), None),
    "one-hot and logits": lambda rng: (np.eye(3)[rng.integers(0, 3, 30)], rng.normal(size=(30, 3)), None),
    "absent classes": lambda rng: (rng.integers(1, 3, 20), rng.integers(0, 2, 20), 6),
}


@pytest.mark.parametrize("case", list(CONFUSION_CASES))
def test_confusion_matrix(case, tfk):
    """metrics.confusion_matrix equals tf.math.confusion_matrix of the labels (scores read by argmax)."""
    y_true, y_pred, num_classes = CONFUSION_CASES[case](np.random.default_rng(5))
    labels = np.argmax(y_true, axis=1) if np.ndim(y_true) == 2 else y_true
    predicted = np.argmax(y_pred, axis=1) if np.ndim(y_pred) == 2 else y_pred
    classes = num_classes or max(np.shape(y_pred)[1] if np.ndim(y_pred) == 2 else 0, labels.max() + 1,
                                 predicted.max() + 1)
    expected = tfk.tf.math.confusion_matrix(labels, predicted, num_classes=classes)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, num_classes), np.asarray(expected))
    if num_classes is None and np.ndim(y_pred) == 1:  # TensorFlow's own default size
        np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                      np.asarray(tfk.tf.math.confusion_matrix(labels, predicted)))


@pytest.mark.parametrize(("approximate", "constant", "value"), [
    (False, "_SQRT_HALF", np.sqrt(0.5)), (True, "_GELU_TANH_CUBIC", 0.044715)])
def test_float64_keras_rounds_the_gelu_constants(approximate, constant, value, tfk, monkeypatch):
    """Float64 Keras's gelu is nnlib's gelu with its constant (1/sqrt(2), or 0.044715) rounded to float32.

    So the float64 disagreements listed for gelu are TensorFlow's rounding, and nnlib's erfc agrees
    with TensorFlow's to 1e-10 over the whole range.
    """
    monkeypatch.setattr(activations, constant, float(f32(value)))
    tf = tfk.tf
    z_np = np.concatenate([np.linspace(-12.0, 12.0, 2401), [-40.0, -30.0, 30.0, 40.0]])
    z = tf.Variable(z_np)
    with tf.GradientTape() as tape:
        a = kh.keras_activation("gelu", approximate=approximate)(z)
    gelu = activations.get("gelu", approximate=approximate)
    assert_close(gelu(z_np), a, "float64", "values")
    assert_close(gelu.derivative(z_np), tape.gradient(a, z), "float64", "derivatives")


# ---- TensorFlow keeps quiet ---------------------------------------------------------------------

QUIET_SCRIPT = """
import numpy as np
import keras_helpers as kh
from nnlib import layers
keras = kh.load().keras
with kh.floatx("float64"):
    model, twin = kh.twins([layers.Dense(3, activation="softmax")], 2, "float64")
    twin.compile(keras.optimizers.Adam(), "categorical_crossentropy")
    twin.train_on_batch(np.ones((4, 2)), np.eye(3)[[0, 1, 2, 0]])
    kh.keras_gradients(twin, keras.losses.CategoricalCrossentropy(), np.ones((4, 2)), np.eye(3)[[0, 1, 2, 0]])
"""


def test_collecting_this_module_does_not_import_tensorflow():
    """So that ``pytest -m "not keras"`` skips the import (seconds) along with the tests."""
    code = "import sys, test_keras_parity; assert 'tensorflow' not in sys.modules, 'tensorflow imported'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "tests", capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr


def test_tensorflow_writes_nothing_to_stderr(tfk):
    """A fresh interpreter importing TensorFlow as these tests do, then training, leaves stderr empty."""
    env = {key: value for key, value in os.environ.items() if key not in kh.QUIET_ENVIRONMENT}
    result = subprocess.run([sys.executable, "-c", QUIET_SCRIPT], cwd=ROOT / "tests", env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
