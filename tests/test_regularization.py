"""Regularisation: Dropout, BatchNormalization, Maxout, L1/L2 penalties and EarlyStopping."""

import numpy as np
import pytest

from nnlib import Sequential, callbacks, data, layers, optimizers, regularizers
from nnlib.gradcheck import check_layer, check_model, numerical_gradient, relative_error


def built(layer, input_dim, seed=0):
    layer.build(input_dim, np.random.default_rng(seed))
    return layer


# ---- Dropout -----------------------------------------------------------------------------

def test_dropout_is_identity_at_inference(rng):
    layer = built(layers.Dropout(0.5, seed=0), 4)
    x = rng.normal(size=(8, 4))
    assert layer.forward(x, training=False) is x
    np.testing.assert_array_equal(layer.backward(x), x)


def test_inverted_dropout_keeps_the_expected_value():
    layer = built(layers.Dropout(0.3, seed=1), 200)
    x = np.ones((500, 200))
    out = layer.forward(x, training=True)
    dropped = np.mean(out == 0)
    assert dropped == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(out[out != 0], 1 / 0.7)
    assert out.mean() == pytest.approx(1.0, abs=0.01)


def test_dropout_backward_uses_the_forward_mask(rng):
    layer = built(layers.Dropout(0.5, seed=2), 6)
    x = rng.normal(size=(5, 6))
    out = layer.forward(x, training=True)
    grad = rng.normal(size=(5, 6))
    mask = out / x  # 0 where dropped, 2 where kept
    np.testing.assert_allclose(layer.backward(grad), grad * mask)
    assert set(np.round(np.unique(mask), 12)) == {0.0, 2.0}


def test_dropout_is_seeded():
    a = built(layers.Dropout(0.5, seed=3), 10).forward(np.ones((4, 10)), training=True)
    b = built(layers.Dropout(0.5, seed=3), 10, seed=99).forward(np.ones((4, 10)), training=True)
    np.testing.assert_array_equal(a, b)  # its own seed, whatever generator the model passes
    c = built(layers.Dropout(0.5), 10, seed=3).forward(np.ones((4, 10)), training=True)
    d = built(layers.Dropout(0.5), 10, seed=3).forward(np.ones((4, 10)), training=True)
    np.testing.assert_array_equal(c, d)  # no seed: the model's generator
    assert not np.array_equal(c, built(layers.Dropout(0.5), 10, seed=4).forward(np.ones((4, 10)), training=True))
    assert layers.Dropout(0.5, seed=3).seed == 3 and layers.Dropout(0.5).rng is None


def test_dropout_defaults_to_inference_and_keeps_float32(rng):
    layer = built(layers.Dropout(0.5, seed=0), 4)
    x = rng.normal(size=(8, 4)).astype(np.float32)
    assert layer.forward(x) is x and layer(x) is x  # training=False unless asked
    out = layer(x, training=True)
    assert out.dtype == np.float32 and np.any(out == 0)
    assert layer.backward(np.ones_like(x)).dtype == np.float32
    fresh = layers.Dropout(0.5)  # built by its first call, drawing from a generator of its own
    assert np.any(fresh(x, training=True) == 0)


def test_dropout_of_rate_zero_changes_nothing_in_training():
    """Dropout(0.0) draws no random numbers: a seeded model trains exactly as without the layer."""
    x, y = data.make_regression(40, 3, seed=0)
    weights = []
    for extra in ([], [layers.Dropout(0.0)]):
        model = Sequential([layers.Dense(8, activation="tanh"), *extra, layers.Dense(1)], seed=0)
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", None])
def test_dropout_rate_outside_the_range(rate):
    with pytest.raises(ValueError, match=r"Dropout rate must be a number in \[0, 1\)"):
        layers.Dropout(rate)


# ---- BatchNormalization ------------------------------------------------------------------

def test_batchnorm_training_normalises_and_updates_moving_averages(rng):
    layer = built(layers.BatchNormalization(momentum=0.9), 3)
    x = rng.normal(5.0, 3.0, (64, 3))
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.moving_variance, 0.9 + 0.1 * x.var(axis=0))


def test_batchnorm_inference_uses_moving_averages(rng):
    layer = built(layers.BatchNormalization(), 2)
    gamma, beta = np.array([2.0, 0.5]), np.array([1.0, -1.0])
    mean, var = np.array([3.0, -2.0]), np.array([4.0, 0.25])
    layer.set_weights([gamma, beta, mean, var])
    x = rng.normal(size=(5, 2))
    np.testing.assert_allclose(layer.forward(x, training=False), gamma * (x - mean) / np.sqrt(var + 1e-3) + beta)
    np.testing.assert_array_equal(layer.moving_mean, mean)  # inference leaves them alone
    assert [w.shape for w in layer.get_weights()] == [(2,), (2,), (2,), (2,)]


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_backward_matches_numerical(training, rng):
    layer = built(layers.BatchNormalization(), 4)
    layer.set_weights([rng.normal(size=4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.5, 2, 4)])
    errors = check_layer(layer, rng.normal(2.0, 1.5, (6, 4)), training=training)
    assert max(errors.values()) < 1e-6, errors


def test_batchnorm_refuses_a_training_batch_of_one(rng):
    layer = built(layers.BatchNormalization(), 3)
    with pytest.raises(ValueError, match="training batch of 1 sample"):
        layer.forward(np.ones((1, 3)), training=True)
    assert layer.forward(np.ones((1, 3)), training=False).shape == (1, 3)
    model = Sequential([layers.Dense(3), layers.BatchNormalization(), layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="use a larger batch_size"):
        model.fit(np.ones((4, 2)), np.ones(4), batch_size=1, verbose=0)
    assert layer.forward(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), training=True).shape == (2, 3)  # 2 will do
    with pytest.raises(ValueError, match=r"batch statistics need at least 2 \(use a larger batch_size\)$"):
        layer.forward(np.ones((1, 3)), training=True)


def test_batchnorm_arguments_and_its_defaults(rng):
    for momentum in (0.0, 1.0):  # both ends allowed: follow each batch, or never move
        assert layers.BatchNormalization(momentum=momentum).momentum == momentum
    with pytest.raises(ValueError, match=r"^momentum must be in \[0, 1\], got 1.5$"):
        layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="^epsilon must be positive, got 0$"):
        layers.BatchNormalization(epsilon=0)
    layer = built(layers.BatchNormalization(), 3)
    assert [g.shape for g in layer.grads] == [(3,), (3,)] and not np.any(layer.grads[0])  # before any backward
    x = rng.normal(2.0, 1.0, (6, 3))
    np.testing.assert_allclose(layer.forward(x), (x - 0.0) / np.sqrt(1.0 + 1e-3))  # inference by default
    np.testing.assert_allclose(layer.backward(np.ones((6, 3))), np.full((6, 3), 1 / np.sqrt(1.0 + 1e-3)))


def test_maxout_arguments_defaults_seeding_and_float32(rng):
    layer = built(layers.Maxout(3), 4)
    assert layer.pieces == 2 and layer.W.shape == (4, 3, 2) and layer.b.shape == (3, 2)
    assert [g.shape for g in layer.grads] == [(4, 3, 2), (3, 2)] and not np.any(layer.grads[0])
    np.testing.assert_array_equal(layer.W, built(layers.Maxout(3), 4).W)  # drawn from the generator given
    with pytest.raises(ValueError, match="^units must be a positive integer, got 0$"):
        layers.Maxout(0)
    with pytest.raises(ValueError, match="^units must be a positive integer, got '2'$"):
        layers.Maxout("2")
    with pytest.raises(ValueError, match="^pieces must be a positive integer, got 0$"):
        layers.Maxout(2, pieces=0)
    single = layers.Maxout(3)
    single.build(4, rng, "float32")
    out = single.forward(rng.normal(size=(5, 4)).astype(np.float32))
    dx = single.backward(np.ones_like(out))  # the input gradient by default
    assert out.dtype == dx.dtype == single.grads[0].dtype == single.grads[1].dtype == np.float32
    assert dx.shape == (5, 4)


# ---- Maxout ------------------------------------------------------------------------------

def test_maxout_takes_the_largest_piece_and_can_learn_abs():
    layer = built(layers.Maxout(1, pieces=2), 1)
    layer.set_weights([np.array([[[1.0, -1.0]]]), np.zeros((1, 2))])  # max(x, -x) = |x|
    x = np.linspace(-2, 2, 9)[:, None]
    np.testing.assert_allclose(layer.forward(x), np.abs(x))


def test_maxout_backward_matches_numerical(rng):
    layer = built(layers.Maxout(3, pieces=4), 5)
    errors = check_layer(layer, rng.normal(size=(6, 5)))
    assert max(errors.values()) < 1e-6, errors


# ---- L1 / L2 -----------------------------------------------------------------------------

def test_penalties_and_their_gradients(rng):
    W = rng.normal(size=(4, 3))
    assert regularizers.L1(0.1)(W) == pytest.approx(0.1 * np.abs(W).sum())
    assert regularizers.L2(0.2)(W) == pytest.approx(0.2 * (W**2).sum())
    both = regularizers.L1L2(l1=0.1, l2=0.2)
    assert both(W) == pytest.approx(0.1 * np.abs(W).sum() + 0.2 * (W**2).sum())
    assert relative_error(both.gradient(W), numerical_gradient(lambda: both(W), W)) < 1e-7
    assert regularizers.get("l2").l2 == 0.01 and regularizers.get(None) is None
    with pytest.raises(ValueError, match="l1 must be a non-negative number"):
        regularizers.L1(-1.0)
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        regularizers.get("l3")


def test_l1_alone_and_strengths_that_are_not_numbers():
    W = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert regularizers.L1(0.1)(W) == pytest.approx(0.35)
    np.testing.assert_allclose(regularizers.L1(0.1).gradient(W), [[0.1, -0.1], [0.1, 0.0]])
    both = regularizers.L1L2(l1=0.1, l2=0.2)
    assert both(W) == pytest.approx(0.35 + 0.2 * 5.25)
    np.testing.assert_allclose(both.gradient(W), [[0.1 + 0.4, -0.1 - 0.8], [0.1 + 0.2, 0.0]])
    with pytest.raises(ValueError, match="^l2 must be a non-negative number, got -1$"):
        regularizers.L2(-1)
    with pytest.raises(ValueError, match="^l1 must be a non-negative number, got '0.1'$"):
        regularizers.L1("0.1")


def test_regularizers_show_their_strengths():
    assert repr(regularizers.L1L2(l1=0.001, l2=0.002)) == "L1L2(l1=0.001, l2=0.002)"
    assert repr(regularizers.get("l1")) == "L1(l1=0.01, l2=0.0)"


def test_model_adds_the_penalty_to_loss_and_gradients(rng):
    penalty = regularizers.L1L2(l1=0.01, l2=0.05)
    model = Sequential([layers.Dense(4, activation="tanh", kernel_regularizer=penalty),
                        layers.Dense(1, kernel_regularizer="l2")], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
    plain = float(np.mean((model.predict(x) - y) ** 2))
    expected = plain + penalty(model.layers[0].W) + 0.01 * np.sum(model.layers[1].W ** 2)
    assert model.evaluate(x, y) == pytest.approx(expected)
    assert check_model(model, x, y) < 1e-6


@pytest.mark.parametrize(("loss", "output"), [("mse", None), ("sparse_categorical_crossentropy", "softmax")])
def test_bias_regularizer_adds_its_gradient(loss, output, rng):
    """dL/db = sum of dL/dz + the bias penalty's gradient, in the plain backward pass (mse) and the one
    fused with the loss (softmax + cross-entropy starts from dL/dz)."""
    def make(bias_regularizer):
        model = Sequential([layers.Dense(4, activation="tanh", bias_regularizer=bias_regularizer),
                            layers.Dense(3, activation=output, bias_regularizer=bias_regularizer)], seed=0)
        model.compile(optimizer="sgd", loss=loss)
        model.build(2)
        # The biases start at 0, where the L1 and L2 gradients are 0 too: move them.
        for layer, b in zip(model.layers, [[0.5, -1.0, 2.0, -0.3], [1.5, -0.7, 0.2]], strict=True):
            layer.set_weights([layer.get_weights()[0], np.array(b)])
        return model

    penalty = regularizers.L1L2(l1=0.03, l2=0.2)
    x = rng.normal(size=(6, 2))
    y = rng.integers(0, 3, 6) if output == "softmax" else rng.normal(size=(6, 3))
    model, plain = make(penalty), make(None)
    assert check_model(model, x, y) < 1e-7
    model.compute_gradients(*model.prepare_data(x, y))
    plain.compute_gradients(*plain.prepare_data(x, y))
    for index, layer in enumerate(model.layers):
        dW, db = model.gradients[2 * index], model.gradients[2 * index + 1]
        np.testing.assert_allclose(dW, plain.gradients[2 * index], rtol=1e-12)  # the kernel has no penalty
        np.testing.assert_allclose(db, plain.gradients[2 * index + 1] + penalty.gradient(layer.b), rtol=1e-12)


def test_l1_makes_weights_sparse_and_l2_only_small():
    """Only 2 of 10 features matter: L1 drives the other weights to (about) zero, L2 only shrinks them."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 10))
    y = x[:, :2] @ np.array([[2.0], [-1.0]]) + 0.5 * rng.normal(size=(300, 1))
    weights = {}
    for name, reg in [("none", None), ("l1", regularizers.L1(0.05)), ("l2", regularizers.L2(0.05))]:
        model = Sequential([layers.Dense(1, kernel_regularizer=reg)], seed=0)
        model.compile(optimizer=optimizers.SGD(0.01), loss="mse")
        model.fit(x, y, epochs=200, batch_size=None, verbose=0)
        weights[name] = model.layers[0].W.ravel()
    near_zero = {k: int(np.sum(np.abs(w) < 1e-3)) for k, w in weights.items()}
    assert near_zero["l1"] > near_zero["none"] and near_zero["l1"] > near_zero["l2"]
    assert np.sum(weights["l2"] ** 2) < np.sum(weights["none"] ** 2)


# ---- EarlyStopping -----------------------------------------------------------------------

class FakeModel:
    def __init__(self):
        self.stop_training, self.weights = False, [np.zeros(1)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


def run(stopper, losses):
    model = FakeModel()
    stopper.set_model(model)
    stopper.set_params({"metrics": ["loss", "val_loss"]})
    stopper.on_train_begin()
    for epoch, value in enumerate(losses):
        model.weights = [np.array([float(epoch)])]
        stopper.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            break
    stopper.on_train_end()
    return epoch, model


def test_early_stopping_waits_patience_epochs():
    last, model = run(callbacks.EarlyStopping(patience=2), [1.0, 0.8, 0.9, 0.85, 0.7])
    assert last == 3 and model.stop_training
    assert model.weights[0][0] == 3.0  # without restore_best_weights: the last weights


def test_early_stopping_min_delta_and_restore():
    stopper = callbacks.EarlyStopping(patience=1, min_delta=0.05, restore_best_weights=True)
    last, model = run(stopper, [1.0, 0.98, 0.97, 0.5])
    assert last == 1  # 0.98 is not better by more than 0.05
    assert stopper.best_epoch == 0 and model.weights[0][0] == 0.0


def test_early_stopping_mode_follows_the_name():
    assert callbacks.EarlyStopping(monitor="val_accuracy").mode == "max"
    assert callbacks.EarlyStopping(monitor="val_loss").mode == "min"
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    stopper.set_model(FakeModel())
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {"val_accuracy": 0.5})
    stopper.on_epoch_end(1, {"val_accuracy": 0.6})
    assert stopper.best == 0.6 and not stopper.model.stop_training



def test_early_stopping_verbose_says_when_it_stops_and_what_it_restores(capsys):
    run(callbacks.EarlyStopping(patience=1, restore_best_weights=True), [1.0, 0.5, 0.6, 0.7])
    assert capsys.readouterr().out == ""  # verbose=0 by default
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    last, model = run(stopper, [1.0, 0.5, 0.6, 0.7])
    assert capsys.readouterr().out == ("Epoch 4: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 2.\n")
    assert last == 3 and model.weights[0][0] == 1.0
    run(callbacks.EarlyStopping(patience=2, verbose=1), [1.0, 0.5, 0.4])
    assert capsys.readouterr().out == ""  # never stopped, nothing restored: nothing to say


def test_early_stopping_starts_afresh_each_fit_even_one_of_no_epochs():
    stopper = callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    run(stopper, [1.0, 0.5, 0.6])
    assert (stopper.wait, stopper.best, stopper.best_epoch) == (1, 0.5, 1)
    model = FakeModel()  # then fit(epochs=0): a new start, and nothing to restore at the end
    stopper.set_model(model)
    stopper.on_train_begin()
    stopper.on_train_end()
    assert model.weights[0][0] == 0.0 and not model.stop_training
    assert (stopper.wait, stopper.stopped_epoch, stopper.best, stopper.best_epoch) == (0, None, None, 0)
    assert stopper.best_weights is None

def test_early_stopping_restores_the_best_epoch_in_a_real_fit():
    x, y = data.make_two_class(120, noise=0.35, seed=0)
    model = Sequential([layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu"),
                        layers.Dense(1, activation="sigmoid")], seed=0)
    model.compile(optimizer=optimizers.Adam(0.01), loss="binary_crossentropy")
    stopper = callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    history = model.fit(x, y, epochs=300, batch_size=16, validation_split=0.3, callbacks=[stopper], verbose=0)
    val = history.history["val_loss"]
    assert len(val) < 300, "the overfitting model should have been stopped"
    assert stopper.best == pytest.approx(min(val)) and stopper.best_epoch == int(np.argmin(val))
    assert len(val) == stopper.best_epoch + 1 + 5
    assert model.evaluate(x[84:], y[84:]) == pytest.approx(min(val))


def test_early_stopping_on_a_metric_fit_does_not_compute():
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights() if model.built else None
    with pytest.raises(ValueError, match="monitors 'val_loss'.*validation_data or validation_split.*available: loss"):
        model.fit(np.ones((4, 2)), np.ones(4), epochs=3, verbose=0, callbacks=[callbacks.EarlyStopping()])
    assert before is None and model.optimizer.iterations == 0  # nothing was trained
    with pytest.raises(ValueError, match="monitors 'accuracy'"):
        model.fit(np.ones((4, 2)), np.ones(4), verbose=0, callbacks=[callbacks.EarlyStopping("accuracy")])
    with pytest.raises(ValueError, match="patience must be"):
        callbacks.EarlyStopping(patience=-1)


def test_model_with_every_layer_type_has_right_gradients(rng):
    model = Sequential([layers.Dense(6, activation="relu", kernel_regularizer="l2"),
                        layers.BatchNormalization(), layers.Maxout(4, pieces=3),
                        layers.Dropout(0.0), layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert check_model(model, rng.normal(size=(8, 5)), rng.integers(0, 3, 8)) < 1e-7
    assert len(model.get_weights()) == 2 + 4 + 2 + 0 + 2


def test_dropout_and_batchnorm_behave_differently_in_fit_and_predict():
    x, y = data.make_two_class(200, seed=1)
    model = Sequential([layers.Dense(16, activation="relu"), layers.BatchNormalization(),
                        layers.Dropout(0.5, seed=0), layers.Dense(1, activation="sigmoid")], seed=0)
    model.compile(optimizer=optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))  # inference is deterministic
    train_a = model.forward(x, training=True)
    train_b = model.forward(x, training=True)
    assert not np.allclose(train_a, train_b)  # dropout draws a new mask each training pass
    assert model.evaluate(x, y)[1] > 0.85
