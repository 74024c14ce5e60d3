"""Dense: forward values, backward checked numerically for every activation, weights, errors."""

import numpy as np
import pytest

from nnlib import activations, layers
from nnlib.gradcheck import check_layer


def built_dense(units, input_dim, seed=0, **kwargs):
    layer = layers.Dense(units, **kwargs)
    layer.build(input_dim, np.random.default_rng(seed))
    return layer


def test_forward_is_x_w_plus_b(rng):
    layer = built_dense(3, 4, activation="tanh")
    layer.set_weights([rng.normal(size=(4, 3)), rng.normal(size=3)])
    x = rng.normal(size=(5, 4))
    W, b = layer.get_weights()
    np.testing.assert_allclose(layer.forward(x), np.tanh(x @ W + b))
    assert layer.forward(x).shape == (5, 3)


@pytest.mark.parametrize("activation", sorted(activations.ACTIVATIONS))
@pytest.mark.parametrize("use_bias", [True, False])
def test_backward_matches_numerical_gradient(activation, use_bias, rng):
    layer = built_dense(3, 4, activation=activation, use_bias=use_bias)
    errors = check_layer(layer, rng.normal(size=(6, 4)), seed=1)
    assert len(errors) == (3 if use_bias else 2)
    assert max(errors.values()) < 1e-6, errors


def test_weights_round_trip_and_copies():
    layer = built_dense(2, 3)
    W, _ = layer.get_weights()
    W[:] = 7.0  # a copy: the layer is unchanged
    assert not np.any(layer.W == 7.0)
    layer.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_array_equal(layer.W, np.ones((3, 2)))


def test_bad_input_is_named():
    layer = built_dense(2, 3)
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(3, 2\), got \(2, 3\)"):
        layer.set_weights([np.ones((2, 3)), np.zeros(2)])
    with pytest.raises(ValueError, match="2 weight arrays, got 1"):
        layer.set_weights([np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"expects input of shape \(n_samples, 3\), got shape \(4, 5\)"):
        layer.forward(np.ones((4, 5)))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="unknown activation"):
        layers.Dense(3, activation="sigmoidal")
    with pytest.raises(ValueError, match="declared with input_dim=4"):
        layers.Dense(3, input_dim=4).build(5, np.random.default_rng(0))


def test_call_builds_lazily():
    layer = layers.Dense(2, kernel_initializer="zeros")
    out = layer(np.ones((3, 5)))
    assert out.shape == (3, 2) and layer.W.shape == (5, 2)
    np.testing.assert_array_equal(out, 0.0)


def test_call_builds_in_the_data_float_type_and_refuses_other_shapes():
    layer = layers.Dense(2, activation="relu")
    out = layer(np.ones((3, 5), dtype=np.float32), training=True)
    assert layer.built and layer.input_dim == 5 and layer.W.dtype == out.dtype == np.float32
    assert layer(np.ones((1, 5))).shape == (1, 2)  # built once: a second call reuses the weights
    for unnamed, name in ((layers.Dense(2), "Dense"), (layers.Dense(2, name="hidden"), "hidden")):
        with pytest.raises(ValueError, match=rf"^{name} expects x of shape \(n_samples, n_features\), got \(5,\)$"):
            unnamed(np.ones(5))
        assert not unnamed.built
    with pytest.raises(TypeError, match="x must hold numbers"):
        layers.Dense(2)([["a", "b"]])


@pytest.mark.parametrize("shape", [(0,), (-2,), (2.0,), (True,), (2, 3), (), "2", None, 0, True])
def test_input_refuses_anything_but_one_positive_count(shape):
    with pytest.raises(ValueError, match=r"^Input\(shape=\.\.\.\) takes one sample's shape, a tuple with one "
                                         r"positive integer such as \(2,\) for 2 features, got "):
        layers.Input(shape=shape)


@pytest.mark.parametrize("shape", [3, (3,), [3], np.int64(3)])
def test_input_takes_a_count_or_a_one_tuple(shape):
    given = layers.Input(shape=shape, name="pixels")
    assert given.shape == (3,) and type(given.shape[0]) is int and given.name == "pixels"
    assert repr(given) == "Input(shape=(3,))"


def test_float32_stays_float32(rng):
    layer = layers.Dense(3, activation="relu")
    layer.build(4, rng, "float32")
    out = layer.forward(rng.normal(size=(2, 4)).astype(np.float32))
    assert out.dtype == np.float32
    grad = layer.backward(np.ones_like(out))
    assert grad.dtype == np.float32 and layer.grads[0].dtype == np.float32


def test_a_models_first_layer_skips_the_data_gradient(rng):
    """Training needs no dL/dx for the data: the model tells its first layer so; the layer still can."""
    from nnlib import Sequential

    model = Sequential([layers.Dense(4, activation="tanh"), layers.Dense(2)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(5, 3))
    model.compute_gradients(x, rng.normal(size=(5, 2)))
    calls = []
    first = model.layers[0]
    original = first.backward
    first.backward = lambda grad, input_gradient=True: calls.append(input_gradient) or original(grad, input_gradient)
    model.compute_gradients(x, rng.normal(size=(5, 2)))
    assert calls == [False]
    assert model.backward(np.ones((5, 2)), input_gradient=True).shape == (5, 3)
    errors = check_layer(model.layers[0], x)
    assert errors["input"] < 1e-6


def test_weights_that_are_not_numbers_are_named():
    layer = built_dense(2, 3)
    with pytest.raises(TypeError, match=r"^weights\[1\] must hold numbers"):
        layer.set_weights([np.ones((3, 2)), ["a", "b"]])


def test_a_one_feature_input_is_allowed():
    assert layers.Input(shape=(1,)).shape == (1,)


def test_activation_layer_passes_gradients_back_by_default(rng):
    layer = layers.Activation("tanh")
    x = rng.normal(size=(4, 3))
    out = layer(x)
    np.testing.assert_allclose(layer.backward(np.ones_like(out)), 1 - np.tanh(x) ** 2)
    dz = rng.normal(size=(4, 3))
    assert layer.backward_from_z(dz) is dz
    assert layer.backward_from_z(dz, input_gradient=False) is None
    assert layer.backward(dz, input_gradient=False) is None


def test_layers_without_weights_add_no_penalty():
    for layer in (layers.Dropout(0.5), layers.BatchNormalization(), layers.Activation("relu"), layers.Maxout(2)):
        assert layer.regularization_loss() == 0.0

