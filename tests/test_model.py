"""Sequential: training works, gradients are right, fit follows the notes, bad input is named."""

import numpy as np
import pytest

from nnlib import NotCompiledError, Sequential, callbacks, data, layers, optimizers
from nnlib.gradcheck import check_model, numerical_gradient


def digits_split():
    x, y = data.load_digits()
    x_train, x_hold, y_train, y_hold = data.train_holdout_split(x, y, holdout=0.25, seed=0)
    x_train, x_hold = data.standardize(x_train, x_hold)
    return x_train, x_hold, y_train, y_hold


def test_digits_mlp_reaches_95_percent_on_holdout():
    x_train, x_hold, y_train, y_hold = digits_split()
    model = Sequential([layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
                        layers.Dense(10, activation="softmax")], seed=0)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=20, batch_size=32, verbose=0,
                        validation_data=(x_hold, y_hold))
    _, accuracy = model.evaluate(x_hold, y_hold)
    assert accuracy >= 0.95
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    predictions = model.predict(x_hold).argmax(axis=1)
    assert np.mean(predictions == y_hold) == pytest.approx(accuracy)


def test_one_hot_targets_train_the_same_way():
    x_train, _, y_train, _ = digits_split()
    results = []
    for loss, targets in [("sparse_categorical_crossentropy", y_train),
                          ("categorical_crossentropy", data.one_hot(y_train, 10))]:
        model = Sequential([layers.Dense(10, activation="softmax")], seed=3)
        model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
        model.fit(x_train, targets, epochs=3, batch_size=64, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("batch_size", "updates"), [(None, 1), (1, 10_000), (100, 100)])
def test_updates_per_epoch_match_the_notes(batch_size, updates):
    x = np.random.default_rng(0).normal(size=(10_000, 2))
    y = x.sum(axis=1, keepdims=True)
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer=optimizers.SGD(1e-3), loss="mse")
    history = model.fit(x, y, epochs=2, batch_size=batch_size, verbose=0)
    assert model.optimizer.iterations == 2 * updates
    assert history.params["steps"] == updates


REGRESSION = dict(out="linear", loss="mse")


@pytest.mark.parametrize(("hidden", "out", "loss"), [
    ("tanh", "linear", "mse"),
    ("sigmoid", "sigmoid", "binary_crossentropy"),
    ("elu", "softmax", "categorical_crossentropy"),
    ("softplus", "softmax", "sparse_categorical_crossentropy"),
    ("leaky_relu", "softmax", "mse"),          # softmax without its paired loss: the full Jacobian path
    ("tanh", "sigmoid", "categorical_crossentropy"),
])
def test_three_layer_model_gradients_match_numerical(hidden, out, loss, rng):
    model = Sequential([layers.Dense(5, activation=hidden), layers.Dense(4, activation=hidden),
                        layers.Dense(3, activation=out)], seed=0)
    model.compile(optimizer="sgd", loss=loss)
    x = rng.normal(size=(7, 4))
    labels = rng.integers(0, 3, 7)
    y = {"mse": rng.normal(size=(7, 3)), "binary_crossentropy": rng.integers(0, 2, (7, 3)),
         "categorical_crossentropy": data.one_hot(labels, 3),
         "sparse_categorical_crossentropy": labels}[loss]
    assert check_model(model, x, y) < 1e-6


def test_gradcheck_catches_a_wrong_backward(rng):
    model = Sequential([layers.Dense(3, activation="tanh"), layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    assert check_model(model, x, y) < 1e-6
    layer = model.layers[0]
    correct = layer.backward_from_z
    layer.backward_from_z = lambda dZ, input_gradient=True: correct(-dZ, input_gradient)  # a sign error
    assert check_model(model, x, y) > 0.5


def test_seed_makes_training_reproducible():
    x, y = data.make_two_class(200, seed=0)

    def train(seed):
        model = Sequential([layers.Dense(8, activation="relu"), layers.Dense(1, activation="sigmoid")],
                           seed=seed)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]

    assert train(1) == train(1)
    assert train(1) != train(2)



def test_fit_shuffles_by_default():
    """shuffle=True is the default, as in Keras: each epoch's batches in an order drawn from the model's seed."""
    x, y = data.make_regression(40, 2, seed=0)

    def train(**shuffle):
        model = Sequential([layers.Dense(1)], seed=0)
        model.compile(optimizer=optimizers.SGD(0.05), loss="mse")
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, **shuffle)
        return model.get_weights()

    default, shuffled, ordered = train(), train(shuffle=True), train(shuffle=False)
    for a, b in zip(default, shuffled, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(default[0], ordered[0], rtol=1e-6, atol=0)

def test_history_validation_split_and_evaluate():
    x, y = data.make_regression(200, 3, seed=0)
    model = Sequential([layers.Dense(16, activation="relu"), layers.Dense(1)], seed=0)
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=4, batch_size=32, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert all(len(v) == 4 for v in history.history.values())
    assert history.epoch == [0, 1, 2, 3] and model.history is history
    assert history.params["samples"] == 150  # the last quarter is held out, as in Keras
    val_loss, val_mae = model.evaluate(x[150:], y[150:])
    assert val_loss == pytest.approx(history.history["val_loss"][-1])
    assert val_mae == pytest.approx(np.mean(np.abs(model.predict(x[150:]) - y[150:])))
    np.testing.assert_allclose(model.predict(x, batch_size=7), model.predict(x))


def test_epoch_loss_is_the_mean_of_batch_losses():
    x, y = data.make_regression(64, 2, seed=1)
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer=optimizers.SGD(0.0001), loss="mse")
    before = model.evaluate(x, y)
    history = model.fit(x, y, epochs=1, batch_size=None, verbose=0)
    assert history.history["loss"][0] == pytest.approx(before)  # one batch: the loss before its update


def test_float32_model_trains_like_float64():
    x, y = data.make_two_class(200, seed=0)
    histories = {}
    for dtype in ("float32", "float64"):
        model = Sequential([layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")],
                           seed=0, dtype=dtype)
        model.compile(optimizer=optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
        histories[dtype] = model.fit(x, y, epochs=60, batch_size=32, verbose=0).history
        assert model.predict(x).dtype == dtype
        assert all(w.dtype == dtype for w in model.get_weights())
        assert all(g.dtype == dtype for g in model.gradients)
    np.testing.assert_allclose(histories["float32"]["loss"], histories["float64"]["loss"], rtol=1e-3)
    assert histories["float32"]["accuracy"][-1] > 0.9


def test_verbose_levels(capsys, monkeypatch):
    """verbose=1: a progress bar per epoch, as Keras; 2: one line per epoch; 0: silence."""
    monkeypatch.setattr("nnlib.callbacks._interactive", lambda: False)  # output captured, as in a log file
    x, y = data.make_regression(50, 2, seed=0)
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=1, validation_split=0.2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    last = history.history
    assert lines[-1].startswith("3/3 ━━━━━━━━━━━━━━━━━━━━ ")
    for key in ("loss", "mae", "val_loss", "val_mae"):
        assert f"{key}: {last[key][-1]:.4f}" in lines[-1]
    model.fit(x, y, epochs=3, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("Epoch 3/3 - 2/2 ")
    model.fit(x, y, epochs=3, verbose=0)
    assert capsys.readouterr().out == ""
    # In a terminal or notebook the bar is redrawn in place while the epoch runs.
    monkeypatch.setattr("nnlib.callbacks._interactive", lambda: True)
    monkeypatch.setattr("nnlib.callbacks.ProgbarLogger.REDRAW_SECONDS", 0.0)
    model.fit(x, y, epochs=1, batch_size=10, verbose=1)
    out = capsys.readouterr().out
    assert all(f"\r{step}/5 " in out for step in range(1, 6))



def test_evaluate_and_predict_run_in_inference_mode(capsys):
    """Dropout is off in evaluate, in predict (whole or in batches) and in fit's validation scores."""
    x, y = data.make_regression(40, 3, seed=0)
    model = Sequential([layers.Dense(16, activation="relu"), layers.Dropout(0.5), layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
    output = model.predict(x)
    np.testing.assert_array_equal(output, model.predict(x))
    np.testing.assert_allclose(model.predict(x, batch_size=7), output, rtol=1e-12)
    loss, mae = model.evaluate(x, y)
    assert loss == pytest.approx(np.mean((output - y) ** 2), rel=1e-12)
    assert mae == pytest.approx(np.mean(np.abs(output - y)), rel=1e-12)
    assert history.history["val_loss"][0] == pytest.approx(loss, rel=1e-12)
    assert capsys.readouterr().out == ""  # evaluate is silent by default
    model.evaluate(x, y, verbose=1)
    assert capsys.readouterr().out == f"loss: {loss:.4f} - mae: {mae:.4f}\n"


def test_predict_in_batches_feeds_at_most_batch_size_rows_at_a_time(monkeypatch):
    model = Sequential([layers.Dense(2)], seed=0)
    model.build((None, 3))
    x = np.random.default_rng(0).normal(size=(10, 3))
    sizes = []
    forward = model.layers[0].forward
    monkeypatch.setattr(model.layers[0], "forward", lambda x, training=False: sizes.append(len(x)) or forward(x))
    np.testing.assert_array_equal(model.predict(x, batch_size=4), x @ model.layers[0].W + model.layers[0].b)
    assert sizes == [4, 4, 2]


def test_backward_returns_the_input_gradient_only_when_asked(rng):
    """Training needs no dL/dx (None by default); backward(grad, input_gradient=True) gives it."""
    model = Sequential([layers.Dense(4, activation="tanh"), layers.Dense(3, activation="tanh"), layers.Dense(2)],
                       seed=0)
    model.build((None, 3))
    x, grad = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    model.forward(x, training=True)
    assert model.backward(grad) is None
    dx = model.backward(grad, input_gradient=True)

    def loss():
        return float(np.sum(model.forward(x) * grad))
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-6, atol=1e-9)
    assert len(model.gradients) == 6


def test_errors_name_what_was_called_too_early():
    model = Sequential([layers.Dense(1)])
    for call, action in [(lambda: model.evaluate(np.ones((3, 2)), np.ones(3)), "evaluate"),
                         (lambda: model.compute_gradients(np.ones((3, 2)), np.ones(3)), "compute_gradients")]:
        with pytest.raises(NotCompiledError, match=rf"^call model.compile\(optimizer=..., loss=...\) before {action}$"):
            call()
    with pytest.raises(ValueError, match=r"^build the model \(call build\(input_shape\), fit or predict\) "
                                         r"before set_weights$"):
        model.set_weights([])


def test_fit_defaults_are_keras_s(capsys, monkeypatch):
    """One epoch, batches of 32, a progress bar; and the run's settings reach the callbacks."""
    monkeypatch.setattr("nnlib.callbacks._interactive", lambda: False)
    x, y = data.make_regression(100, 2, seed=0)
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y)
    assert history.epoch == [0] and model.optimizer.iterations == 4  # ceil(100 / 32)
    assert capsys.readouterr().out.startswith("Epoch 1/1\n4/4 ")
    assert history.params == {"epochs": 1, "steps": 4, "batch_size": 32, "samples": 100, "verbose": 1,
                              "metrics": ["loss"]}


def test_fit_for_zero_epochs_trains_nothing_and_epochs_must_be_a_count():
    x, y = data.make_regression(20, 2, seed=0)
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=0, verbose=0)
    assert history.history == {} and model.optimizer.iterations == 0
    for epochs in ("3", 2.0, True, -1):
        with pytest.raises(ValueError, match=f"^epochs must be a non-negative integer, got {epochs!r}$"):
            model.fit(x, y, epochs=epochs, verbose=0)


def test_epoch_scores_are_the_means_over_every_batch():
    """With a learning rate of 0 the weights stay put: the epoch's loss is the loss on the whole set."""
    x, y = data.make_regression(50, 2, seed=0)
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    model.optimizer.learning_rate = 0.0
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # batches of 16, 16, 16 and 2
    loss, mae = model.evaluate(x, y)
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-12)
    assert history.history["mae"][0] == pytest.approx(mae, rel=1e-12)


def test_validation_split_edges_and_validation_data_errors():
    x, y = data.make_regression(10, 2, seed=0)
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    assert model.fit(x, y, verbose=0, validation_split=0.8).params["samples"] == 1  # one sample left to train on
    for split in (0.95, 1e-17):  # nothing to train on; nothing to validate on
        with pytest.raises(ValueError, match=f"^validation_split={split} leaves an empty part of 10 samples$"):
            model.fit(x, y, verbose=0, validation_split=split)
    with pytest.raises(ValueError, match="^pass validation_data or validation_split, not both$"):
        model.fit(x, y, verbose=0, validation_split=0.2, validation_data=(x, y))
    with pytest.raises(ValueError, match=r"^validation_data must be a pair \(x_val, y_val\)$"):
        model.fit(x, y, verbose=0, validation_data=(x, y, y))
    with pytest.raises(ValueError, match=r"^validation_data\[1\] has shape \(10, 2\) but the model outputs 1"):
        model.fit(x, y, verbose=0, validation_data=(x, np.ones((10, 2))))


def test_a_single_layer_model_computes_no_gradient_for_the_data(rng, monkeypatch):
    """Its only layer is also the first: backpropagation asks it for dL/dW alone, paired loss or not."""
    for activation, loss, y in [("softmax", "sparse_categorical_crossentropy", rng.integers(0, 3, 6)),
                                ("tanh", "mse", rng.normal(size=(6, 3)))]:
        model = Sequential([layers.Dense(3, activation=activation)], seed=0)
        model.compile(optimizer="sgd", loss=loss)
        model.build((None, 4))
        asked = []
        layer = model.layers[0]
        for method in ("backward", "backward_from_z"):
            original = getattr(layer, method)
            monkeypatch.setattr(layer, method, lambda grad, input_gradient=True, original=original, asked=asked:
                                asked.append(input_gradient) or original(grad, input_gradient))
        model.compute_gradients(rng.normal(size=(6, 4)), y)
        assert asked and not any(asked)


def test_float32_sparse_labels_keep_the_gradients_float32(rng):
    model = Sequential([layers.Dense(4, activation="relu"), layers.Dense(3, activation="softmax")], seed=0,
                       dtype="float32")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.compute_gradients(rng.normal(size=(8, 5)), rng.integers(0, 3, 8))
    assert all(g.dtype == np.float32 for g in model.gradients)

def test_callback_can_stop_training():
    class StopAfterTwo(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = data.make_regression(50, 2, seed=0)
    model = Sequential([layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[StopAfterTwo()])
    assert history.epoch == [0, 1]


def test_summary_counts_parameters():
    model = Sequential([layers.Dense(32, activation="relu"), layers.Dense(10)])
    model.build(64)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 2,410" in lines[0]  # 64*32 + 32 + 32*10 + 10
    assert model.count_params() == 2410
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]


def test_summary_is_keras_table():
    """One row per layer: name (type), output shape, parameters; then the three totals."""
    model = Sequential([layers.Dense(32, activation="relu"), layers.Dense(10)])
    model.layers[1].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[0].splitlines() == ['Model: "sequential"',
                                     "Layer (type)                Output Shape         Param #",
                                     "dense (Dense)               (unbuilt)                  0",
                                     "dense_1 (Dense)             (unbuilt)                  0",
                                     "Total params: 0", "Trainable params: 0", "Non-trainable params: 0"]
    model.build((None, 64))
    lines.clear()
    model.summary(print_fn=lines.append)
    assert lines[0].splitlines()[2:] == ["dense (Dense)               (None, 32)             2,080",
                                         "dense_1 (Dense)             (None, 10)               330",
                                         "Total params: 2,410", "Trainable params: 2,080",
                                         "Non-trainable params: 330"]


# ---- bad input -------------------------------------------------------------------------

@pytest.fixture
def compiled():
    model = Sequential([layers.Dense(4, activation="relu"), layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_before_compile():
    model = Sequential([layers.Dense(1)])
    with pytest.raises(NotCompiledError, match=r"call model.compile\(optimizer=..., loss=...\) before fit"):
        model.fit(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError):  # NotCompiledError is also a ValueError
        model.evaluate(np.ones((3, 2)), np.ones(3))


def test_nan_and_inf_inputs_are_refused(compiled):
    x = np.ones((5, 2))
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"x contains NaN or infinite values \(first at index \(3, 1\)\)"):
        compiled.fit(x, np.zeros(5, int), verbose=0)
    model = Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="y contains NaN or infinite"):
        model.fit(np.ones((3, 2)), np.array([1.0, np.inf, 0.0]), verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[0\] contains NaN"):
        model.fit(np.ones((3, 2)), np.ones(3), verbose=0,
                  validation_data=(np.full((2, 2), np.nan), np.ones(2)))


def test_mismatched_shapes(compiled):
    with pytest.raises(ValueError, match="x and y must have the same number of samples, got 5 and 4"):
        compiled.fit(np.ones((5, 2)), np.zeros(4, int), verbose=0)
    compiled.fit(np.ones((5, 2)), np.zeros(5, int), verbose=0)
    with pytest.raises(ValueError, match=r"x has 3 features but the model was built for 2.*\(n_samples, 2\)"):
        compiled.predict(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"must be 2-D with shape \(n_samples, n_features\), got shape \(5,\)"):
        compiled.predict(np.ones(5))
    with pytest.raises(ValueError, match="the model has 4 weight arrays, got 2"):
        compiled.set_weights(compiled.get_weights()[:2])
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(2, 4\)"):
        compiled.set_weights([np.ones((3, 4)), *compiled.get_weights()[1:]])
    mse = Sequential([layers.Dense(2)])
    mse.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"y has shape \(5, 3\) but the model outputs 2 value\(s\)"):
        mse.fit(np.ones((5, 2)), np.ones((5, 3)), verbose=0)


def test_layer_sizes_that_do_not_fit():
    model = Sequential([layers.Dense(4), layers.Dense(2, input_dim=5)])
    with pytest.raises(ValueError, match="declared with input_dim=5 but receives 4 features"):
        model.build(3)


def test_labels_outside_the_classes(compiled):
    with pytest.raises(ValueError, match="contains the label 3, but the model has 3 output classes"):
        compiled.fit(np.ones((4, 2)), np.array([0, 1, 2, 3]), verbose=0)


def test_unknown_names_list_the_known_ones():
    model = Sequential([layers.Dense(1)])
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'; known optimizers are: adadelta, adagrad"):
        model.compile(optimizer="adamax", loss="mse")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        model.compile(optimizer="sgd", loss="hinge")
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["f1"])
    with pytest.raises(ValueError, match="'accuracy' needs a classification loss"):
        model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    with pytest.raises(ValueError, match="compile needs a loss"):
        model.compile(optimizer="sgd")
    with pytest.raises(TypeError, match="Sequential takes nnlib layers"):
        Sequential(["dense"])


def test_fit_arguments_are_checked(compiled):
    x, y = np.ones((10, 2)), np.zeros(10, int)
    with pytest.raises(ValueError, match="batch_size must be a positive integer or None"):
        compiled.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="validation_split must be in"):
        compiled.fit(x, y, validation_split=1.0, verbose=0)
    with pytest.raises(ValueError, match="not both"):
        compiled.fit(x, y, validation_split=0.2, validation_data=(x, y), verbose=0)
    with pytest.raises(ValueError, match="epochs must be"):
        compiled.fit(x, y, epochs=-1, verbose=0)
    with pytest.raises(TypeError, match="x must hold numbers"):
        compiled.fit(np.array([["a", "b"]]), np.zeros(1, int), verbose=0)


# ---- Keras's names: build(input_shape), Input, Activation, trainable, the float type ----------

@pytest.mark.parametrize("shape", [(None, 3), (16, 3), [None, 3], 3])
def test_build_takes_keras_input_shapes(shape):
    model = Sequential([layers.Dense(4), layers.Dense(2)], seed=0)
    model.build(shape)
    assert model.input_dim == 3 and model.layers[0].W.shape == (3, 4)
    one_feature = Sequential([layers.Dense(2)])
    one_feature.build((None, 1))
    assert one_feature.input_dim == 1


@pytest.mark.parametrize("shape", [(3,), (None,), (None, 0), (None, 2.0), "3", (None, 3, 1), (None, None)])
def test_build_names_a_wrong_input_shape(shape):
    with pytest.raises(ValueError, match=r"input_shape must be \(batch_size, n_features\)"):
        Sequential([layers.Dense(2)]).build(shape)


def test_a_failed_build_leaves_the_model_as_it_was():
    """The second layer refuses its input: the first must not keep half-built weights, nor the seed advance."""
    model = Sequential([layers.Dense(4), layers.Dense(2, input_dim=5)], seed=0)
    with pytest.raises(ValueError, match="declared with input_dim=5 but receives 4"):
        model.build((None, 3))
    assert not model.built and not model.layers[0].built and model.layers[0].params == []
    model.layers[1].declared_input_dim = None
    model.build((None, 3))
    fresh = Sequential([layers.Dense(4), layers.Dense(2)], seed=0)
    fresh.build((None, 3))
    for got, expected in zip(model.get_weights(), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_input_builds_the_model_at_once_and_must_come_first():
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)], seed=0)
    assert model.built and model.input_dim == 3 and len(model.layers) == 2
    lazy = Sequential([layers.Dense(4), layers.Dense(2)], seed=0)
    lazy.build((None, 3))
    for got, expected in zip(model.get_weights(), lazy.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="must come first"):
        Sequential([layers.Dense(2), layers.Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"Input\(shape=...\) takes one sample's shape"):
        layers.Input(shape=(None, 3))


def test_activation_layer_equals_the_dense_activation(rng):
    """Dense(k) then Activation(f) computes, trains and backpropagates as Dense(k, activation=f)."""
    x, y = rng.normal(size=(20, 3)), rng.integers(0, 3, 20)
    fused = Sequential([layers.Dense(5, activation="tanh"), layers.Dense(3, activation="softmax")], seed=0)
    split = Sequential([layers.Dense(5), layers.Activation("tanh"), layers.Dense(3),
                        layers.Activation("softmax")], seed=0)
    for model in (fused, split):
        model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        model.build((None, 3))
    split.set_weights(fused.get_weights())
    np.testing.assert_allclose(split.predict(x), fused.predict(x), rtol=1e-12)
    assert check_model(split, x, y) < 1e-6
    fused.fit(x, y, epochs=3, batch_size=5, verbose=0, shuffle=False)
    split.fit(x, y, epochs=3, batch_size=5, verbose=0, shuffle=False)
    for got, expected in zip(split.get_weights(), fused.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_frozen_layers_keep_their_weights(rng):
    x, y = rng.normal(size=(32, 3)), rng.integers(0, 2, 32)
    model = Sequential([layers.Dense(4, activation="relu"), layers.BatchNormalization(),
                        layers.Dense(2, activation="softmax")], seed=0)
    model.layers[0].trainable = model.layers[1].trainable = False
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.build((None, 3))
    before = model.get_weights()
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 6
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = model.get_weights()
    for index in range(6):  # frozen Dense, frozen BatchNormalization (its moving statistics too)
        np.testing.assert_array_equal(after[index], before[index])
    assert not np.array_equal(after[6], before[6])
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 10" in lines[0] and "Non-trainable params: 32" in lines[0]


@pytest.mark.parametrize(("data_dtype", "model_dtype", "expected"), [
    ("float32", None, "float32"), ("float64", None, "float64"), ("int64", None, "float64"),
    ("float32", "float64", "float64"), ("float64", "float32", "float32"),
])
def test_the_float_type_follows_the_data_unless_set(data_dtype, model_dtype, expected, rng):
    x, y = rng.normal(size=(10, 2)).astype(data_dtype), rng.normal(size=(10, 1))
    model = Sequential([layers.Dense(3, activation="tanh"), layers.Dense(1)], seed=0, dtype=model_dtype)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert model.dtype == expected
    assert all(w.dtype == expected for w in model.get_weights() + model.gradients)
    assert model.predict(x).dtype == expected
    built_without_data = Sequential([layers.Dense(1)], dtype=model_dtype)
    built_without_data.build((None, 2))
    assert built_without_data.dtype == (model_dtype or "float64")
