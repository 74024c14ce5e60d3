"""Saving: a model round-trips through one .npz file (architecture, weights, compile settings,
optimizer state), weights load into a matching model only, and untrusted files run no code."""

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from nnlib import (
    Input,
    Sequential,
    activations,
    initializers,
    layers,
    models,
    optimizers,
    regularizers,
    saving,
    schedules,
)

rng = np.random.default_rng(7)
X = rng.normal(size=(60, 4))
Y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)  # three classes


def every_layer_model(optimizer=None, seed=1, dtype=None, classes=3):
    """Every layer type, with activations with and without a parameter, regularizers and dropout
    that draws from the model's generator and from its own."""
    model = Sequential([
        layers.Dense(8, activation=activations.get("leaky_relu", alpha=0.1),
                     kernel_initializer=initializers.RandomNormal(0.0, 0.1, seed=3),
                     kernel_regularizer=regularizers.L2(0.01), bias_regularizer=regularizers.L1L2(0.001, 0.002)),
        layers.BatchNormalization(momentum=0.9, epsilon=1e-4),
        layers.Dropout(0.2),
        layers.Maxout(6, pieces=3, kernel_initializer="he_uniform"),
        layers.Dense(5, activation="elu", kernel_regularizer="l1", use_bias=True),
        layers.Activation(activations.get("gelu", approximate=True)),
        layers.Dropout(0.1, seed=4),
        layers.Dense(classes, activation="softmax", kernel_initializer="glorot_normal"),
    ], seed=seed, dtype=dtype, name="every_layer")
    model.compile(optimizer=optimizer or optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def trained(optimizer=None, **kwargs):
    model = every_layer_model(optimizer, **kwargs)
    model.fit(X, Y, epochs=3, batch_size=16, verbose=0)
    return model


def assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


def rewrite(path, change):
    """Load every array of an nnlib file, let ``change(arrays, document)`` edit them, write them back."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    document = json.loads(arrays[saving.CONFIG_KEY].tobytes())
    change(arrays, document)
    arrays[saving.CONFIG_KEY] = np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)
    with open(path, "wb") as file:
        np.savez(file, **arrays)


# ---- round trips ----------------------------------------------------------------------------

def test_round_trip_keeps_architecture_weights_and_compile_settings(tmp_path):
    model = trained()
    saving.save_model(model, tmp_path / "model.npz")
    loaded = models.load_model(tmp_path / "model.npz")

    assert_same_weights(model, loaded)
    np.testing.assert_array_equal(model.predict(X), loaded.predict(X))
    assert [saving.layer_config(layer) for layer in loaded.layers] == \
        [saving.layer_config(layer) for layer in model.layers]
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.layers[0].activation.name == "leaky_relu(alpha=0.1)"
    assert loaded.layers[5].activation is activations.GELU_TANH
    assert loaded.layers[0].bias_regularizer.l1 == 0.001 and loaded.layers[0].bias_regularizer.l2 == 0.002
    assert (loaded.name, loaded.dtype, loaded.input_dim) == ("every_layer", np.float64, 4)
    assert loaded.loss is model.loss and list(loaded.metrics) == ["accuracy"]
    assert type(loaded.optimizer) is optimizers.Adam
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations == 12
    for name, arrays in model.optimizer.state_arrays().items():
        for a, b in zip(arrays, loaded.optimizer.state_arrays()[name], strict=True):
            np.testing.assert_array_equal(a, b)
    assert loaded.evaluate(X, Y) == model.evaluate(X, Y)


@pytest.mark.parametrize("optimizer", [
    lambda: optimizers.SGD(0.05, momentum=0.9),
    lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    lambda: optimizers.Adam(0.01),
    lambda: optimizers.RMSprop(0.01),
    lambda: optimizers.Adagrad(0.05),
    lambda: optimizers.Adadelta(1.0),
    lambda: optimizers.AdamW(0.01, weight_decay=0.01, clipnorm=1.0),
    lambda: optimizers.SGD(schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5), momentum=0.5),
], ids=["sgd-momentum", "nesterov", "adam", "rmsprop", "adagrad", "adadelta", "adamw", "sgd-schedule"])
def test_training_continues_after_loading_exactly_as_without_saving(optimizer, tmp_path):
    model = trained(optimizer())
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    loaded.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert_same_weights(model, loaded)
    assert loaded.optimizer.iterations == model.optimizer.iterations == 20


def test_without_the_optimizer_state_training_would_differ(tmp_path):
    """The test above is not vacuous: a fresh Adam (moments at 0, step 1) continues differently."""
    model = trained(optimizers.Adam(0.01))
    saving.save_model(model, tmp_path / "model.npz")
    fresh = saving.load_model(tmp_path / "model.npz", compile=False)
    assert fresh.optimizer is None and fresh.loss is None
    fresh.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    fresh.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert not np.array_equal(model.get_weights()[0], fresh.get_weights()[0])


def test_weight_decay_exclusions_round_trip(tmp_path):
    model = every_layer_model(optimizers.AdamW(0.01, weight_decay=0.1))
    model.build((None, 4))
    model.optimizer.exclude_from_weight_decay([model.layers[0].b, model.layers[-1].b])
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    loaded.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert_same_weights(model, loaded)


def test_float32_model_stays_float32(tmp_path):
    model = trained(dtype="float32")
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    assert loaded.dtype == np.float32 and all(w.dtype == np.float32 for w in loaded.get_weights())
    np.testing.assert_array_equal(model.predict(X), loaded.predict(X))


def test_unbuilt_and_uncompiled_model_round_trips(tmp_path):
    model = Sequential([layers.Dense(3, activation="relu", input_dim=5), layers.Dropout(0.5)], name="plan")
    saving.save_model(model, tmp_path / "plan.npz")
    loaded = saving.load_model(tmp_path / "plan.npz")
    assert not loaded.built and loaded.loss is None and loaded.optimizer is None and loaded.name == "plan"
    assert loaded.layers[0].declared_input_dim == 5 and loaded.layers[1].rate == 0.5
    assert loaded.predict(np.ones((2, 5))).shape == (2, 3)


def test_declared_input_and_frozen_layers_round_trip(tmp_path):
    model = Sequential([Input(shape=(4,)), layers.Dense(6, activation="sigmoid"), layers.Dense(3)], seed=0)
    model.layers[0].trainable = False
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9), loss="mse", metrics=["mae"])
    model.fit(X, np.eye(3)[Y], epochs=2, verbose=0)
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    assert loaded.declared_input is not None and loaded.declared_input.shape == (4,)
    assert [layer.trainable for layer in loaded.layers] == [False, True]
    model.fit(X, np.eye(3)[Y], epochs=2, verbose=0)
    loaded.fit(X, np.eye(3)[Y], epochs=2, verbose=0)
    assert_same_weights(model, loaded)


def test_layer_config_round_trips_every_layer_alone():
    for layer in every_layer_model().layers:
        config = saving.layer_config(layer)
        assert json.loads(json.dumps(config)) == config  # plain JSON
        again = saving.layer_from_config(config)
        assert type(again) is type(layer) and not again.built
        assert saving.layer_config(again) == config


def test_paths_are_used_exactly_as_given(tmp_path):
    model = trained()
    saving.save_model(model, str(tmp_path / "checkpoint"))  # no suffix added (np.savez would add .npz)
    saving.save_weights(model, tmp_path / "weights.bin")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint", "weights.bin"]
    assert_same_weights(model, saving.load_model(tmp_path / "checkpoint"))


# ---- weights alone --------------------------------------------------------------------------

def test_weights_load_into_a_new_model_of_the_same_architecture(tmp_path):
    model = trained()
    saving.save_weights(model, tmp_path / "w.npz")
    other = every_layer_model(seed=99)  # unbuilt: load_weights builds it for the file's input size
    saving.load_weights(other, tmp_path / "w.npz")
    assert_same_weights(model, other)
    np.testing.assert_array_equal(model.predict(X), other.predict(X))
    assert other.optimizer.iterations == 0  # the weights only


def test_weights_load_from_a_full_model_file(tmp_path):
    model = trained()
    saving.save_model(model, tmp_path / "model.npz")
    other = every_layer_model(seed=99)
    saving.load_weights(other, tmp_path / "model.npz")
    assert_same_weights(model, other)


def test_weights_refuse_another_architecture_and_change_nothing(tmp_path):
    saving.save_weights(trained(), tmp_path / "w.npz")
    wider = every_layer_model(classes=4)
    wider.build((None, 4))
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"layer 7 \(Dense 'dense_2'\) has weights of shapes \[\(5, 3\), \(3,\)\] "
                                         r"in the file but \[\(5, 4\), \(4,\)\] in the model"):
        saving.load_weights(wider, tmp_path / "w.npz")
    for a, b in zip(before, wider.get_weights(), strict=True):  # the first layers were not loaded either
        np.testing.assert_array_equal(a, b)
    shorter = Sequential([layers.Dense(8), layers.BatchNormalization()])
    with pytest.raises(ValueError, match=r"holds the weights of the layers \['Dense', 'BatchNormalization', "
                                         r"'Dropout'.*but the model's layers are \['Dense', 'BatchNormalization'\]"):
        saving.load_weights(shorter, tmp_path / "w.npz")


def test_load_model_refuses_a_weights_file(tmp_path):
    saving.save_weights(trained(), tmp_path / "w.npz")
    with pytest.raises(ValueError, match="holds weights only.*load_weights"):
        saving.load_model(tmp_path / "w.npz")


# ---- untrusted and damaged files --------------------------------------------------------------

class Payload:
    """Unpickling this creates a file: the stand-in for code an attacker would run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_a_pickled_object_in_the_file_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.npz"
    saving.save_model(trained(), path)
    rewrite(path, lambda arrays, document: arrays.update({"weights/0/0": np.array([Payload(marker)], dtype=object)}))
    with pytest.raises(ValueError, match="'weights/0/0' holds pickled Python objects, which nnlib refuses"):
        saving.load_model(path)
    with pytest.raises(ValueError, match="pickled Python objects"):
        saving.load_weights(every_layer_model(), path)
    assert not marker.exists()
    with np.load(path, allow_pickle=True) as archive:  # the file really is dangerous
        archive["weights/0/0"]
    assert marker.exists()


def test_a_pickled_description_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    with open(tmp_path / "evil.npz", "wb") as file:
        np.savez(file, **{saving.CONFIG_KEY: np.array([Payload(marker)], dtype=object)})
    with pytest.raises(ValueError, match="'__nnlib__' holds pickled Python objects"):
        saving.load_model(tmp_path / "evil.npz")
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Payload(marker)))  # a bare pickle
    with pytest.raises(ValueError, match="is not an nnlib file.*pickled"):
        saving.load_model(tmp_path / "evil.pkl")
    assert not marker.exists()


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],
    lambda data: data[:100],
    lambda data: b"",
    lambda data: b"garbage, not an archive at all" * 10,
], ids=["truncated", "head", "empty", "garbage"])
def test_truncated_or_garbage_files_are_not_nnlib_files(damage, tmp_path):
    path = tmp_path / "model.npz"
    saving.save_model(trained(), path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match="is not an nnlib file"):
        saving.load_model(path)


def test_a_corrupted_entry_is_reported(tmp_path):
    path = tmp_path / "model.npz"
    saving.save_model(trained(), path)
    path.write_bytes(path.read_bytes().replace(b'"version": 1', b'"version": 2'))  # the zip's CRC no longer matches
    with pytest.raises(ValueError, match="the entry '__nnlib__' is damaged"):
        saving.load_model(path)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"version": 1', '"version": 7', "format version 7, newer than this nnlib reads"),
    ('"version": 1', '"version": "1"', "invalid format version '1'"),
    ('"nnlib.model"', '"keras.model"', "is not an nnlib file: format 'keras.model'"),
    ('"Maxout"', '"Lambda"', r"layers\[3\]: unknown layer class 'Lambda'"),
    ('"HeUniform"', '"Evil"', "unknown initializer 'Evil'"),
    ('"L1"', '"L3"', "unknown regularizer 'L3'"),
    ('"elu"', '"os.system"', "unknown activation 'os.system'"),
    ('"leaky_relu"', '"relu"', "alpha applies to 'leaky_relu' and 'elu' only"),
    ('"Adam"', '"Evil"', "compile settings: unknown optimizer 'Evil'"),
    ('"sparse_categorical_crossentropy"', '"hinge"', "compile settings: unknown loss 'hinge'"),
    ('"pieces": 3', '"pieces": 0', r"layers\[3\] \(Maxout\): Maxout: pieces must be a positive integer"),
    ('"pieces": 3', '"piecez": 3', "Maxout takes no argument piecez"),
    ('"dtype": "float64"', '"dtype": "int8"', "dtype must be 'float32', 'float64' or null"),
    ('"iterations": 12', '"iterations": -1', "iterations must be a non-negative integer"),
    ('"bit_generator": "PCG64"', '"bit_generator": "MT19937"', "expected the state of a PCG64"),
], ids=["version", "version-type", "format", "layer", "initializer", "regularizer", "activation", "alpha", "optimizer",
        "loss", "bad-value", "bad-key", "dtype", "iterations", "rng"])
def test_descriptions_that_name_unknown_things_are_refused(old, new, message, tmp_path):
    path = tmp_path / "model.npz"
    saving.save_model(trained(), path)

    def edit(arrays, document):
        text = json.dumps(document)
        assert old in text
        document.clear()
        document.update(json.loads(text.replace(old, new, 1)))
    rewrite(path, edit)
    with pytest.raises(ValueError, match=message):
        saving.load_model(path)


def test_edits_that_keep_the_zip_valid_are_still_checked(tmp_path):
    path = tmp_path / "model.npz"
    saving.save_model(trained(), path)

    def wrong_shape(arrays, document):
        arrays["weights/3/0"] = np.zeros((8, 6, 2))
    rewrite(path, wrong_shape)
    with pytest.raises(ValueError, match=r"'weights/3/0' has shape \(8, 6, 2\), expected \(8, 6, 3\)"):
        saving.load_model(path)

    saving.save_model(trained(), path)
    rewrite(path, lambda arrays, document: arrays.pop("optimizer/m/2"))
    with pytest.raises(ValueError, match="the array 'optimizer/m/2' is missing"):
        saving.load_model(path)

    saving.save_model(trained(), path)
    rewrite(path, lambda arrays, document: document["layers"][0]["config"].update(units=9))
    with pytest.raises(ValueError, match=r"layer 0 .* shapes \[\(4, 8\), \(8,\)\] in the file but \[\(4, 9\)"):
        saving.load_model(path)


def test_other_npz_and_npy_files_are_not_nnlib_files(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(ValueError, match="an .npz archive without the '__nnlib__' entry"):
        saving.load_model(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ValueError, match="holds a single array"):
        saving.load_model(tmp_path / "single.npy")
    with pytest.raises(FileNotFoundError):
        saving.load_model(tmp_path / "missing.npz")


# ---- what cannot be saved --------------------------------------------------------------------

def test_objects_outside_the_registries_cannot_be_saved(tmp_path):
    class Custom(layers.Dense):
        pass

    buffer = tmp_path / "never.npz"
    with pytest.raises(ValueError, match="cannot save the layer .*nnlib files hold the layers Dense"):
        saving.save_model(Sequential([Custom(2)]), buffer)
    square = activations.Activation("square", lambda z: z * z, lambda z: 2 * z)
    with pytest.raises(ValueError, match="cannot save the activation 'square'"):
        saving.save_model(Sequential([layers.Dense(2, activation=square)]), buffer)

    class Ones(initializers.Initializer):
        def sample(self, shape, rng):
            return np.ones(shape)

    with pytest.raises(ValueError, match="cannot save the initializer"):
        saving.save_model(Sequential([layers.Dense(2, kernel_initializer=Ones())]), buffer)
    with pytest.raises(TypeError, match="expected an nnlib Sequential model"):
        saving.save_weights("model", buffer)
    assert not buffer.exists()


def test_layer_from_config_refuses_unknown_classes():
    with pytest.raises(ValueError, match="unknown layer class 'Lambda'; nnlib files hold the layers Dense"):
        saving.layer_from_config({"class_name": "Lambda", "config": {"function": "os.system"}})
    with pytest.raises(ValueError, match="expected"):
        saving.layer_from_config(["Dense", 3])


@pytest.mark.parametrize("config", [
    "adam", {"class_name": "Adam"}, {"config": {}}, {"class_name": "Adam", "config": 3},
    {"class_name": "Adam", "config": {}, "extra": 1},
])
@pytest.mark.parametrize("deserialize", [optimizers.deserialize, schedules.deserialize])
def test_deserialize_names_the_expected_shape(deserialize, config):
    """Anything but {"class_name": ..., "config": {...}} is refused with the shape it should have."""
    with pytest.raises(ValueError, match=r"expected a dict \{'class_name': \.\.\., 'config'"):
        deserialize(config)


def test_deserialize_accepts_keras_extra_keys():
    """Keras writes "module" and "registered_name" beside class_name and config: they are ignored."""
    config = {"module": "keras.optimizers", "registered_name": None, **optimizers.serialize(optimizers.SGD(0.5))}
    assert optimizers.deserialize(config).learning_rate == 0.5
