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
    losses,
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
    with pytest.raises(ValueError, match=r"holds weights only \(written by save_weights\): build the model and call "
                                         "load_weights, or save it with save_model$"):
        saving.load_model(tmp_path / "w.npz")
    with pytest.raises(TypeError, match="^expected an nnlib Sequential model, got 'model'$"):
        saving.load_weights("model", tmp_path / "w.npz")
    saving.save_weights(every_layer_model(), tmp_path / "unbuilt.npz")
    with pytest.raises(ValueError) as error:
        saving.load_weights(every_layer_model(), tmp_path / "unbuilt.npz")
    assert str(error.value) == f"{tmp_path / 'unbuilt.npz'} holds no weights: its model was saved before it was built"
    with pytest.raises(ValueError) as error:
        saving.layer_from_config({"class_name": "Lambda", "config": {}})
    assert str(error.value) == ("layer: unknown layer class 'Lambda'; nnlib files hold the layers "
                                f"{', '.join(saving.LAYERS)}")


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



def delete(mapping, key):
    del mapping[key]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["model"].update(class_name="Functional"),
     "unknown model class 'Functional'; nnlib saves Sequential models"),
    (lambda d: d["model"].update(name=3), "the model's name must be a string, got 3"),
    (lambda d: d["model"].update(input_dim=0), "input_dim must be a positive integer or null, got 0"),
    (lambda d: d["model"].update(input_dim="4"), "input_dim must be a positive integer or null, got '4'"),
    (lambda d: d["model"].update(input_dim=None), "input_dim is None but the input shape says 4"),
    (lambda d: d["model"].update(input_dim=None, input=None),
     "layer 0 has weights but the model has no input_dim to build it"),
    (lambda d: d["model"].update(input={"shape": [4]}),
     "'input' must be {'shape': [d], 'name': ...} or null, got {'shape': [4]}"),
    (lambda d: d["model"].update(input={"shape": [0], "name": None}),
     "input: Input(shape=...) takes one sample's shape, a tuple with one positive integer such as (2,) for 2 "
     "features, got (0,)"),
    (lambda d: d["model"].update(input={"shape": [5], "name": None}), "input_dim is 4 but the input shape says 5"),
    (lambda d: d["layers"][0]["config"].update(input_dim=5),
     "the layers do not fit together: layer 'dense' was declared with input_dim=5 but receives 4 features"),
    (lambda d: delete(d, "model"), "the description lacks its 'model' or 'layers' section"),
    (lambda d: delete(d, "layers"), "the description lacks its 'model' or 'layers' section"),
    (lambda d: d["layers"].__setitem__(1, "Dense"), "layers[1] must be an object with a 'class_name', got 'Dense'"),
    (lambda d: d["layers"].__setitem__(1, {"config": {}}),
     "layers[1] must be an object with a 'class_name', got {'config': {}}"),
    (lambda d: d["layers"][0].update(weight_shapes=[[4, "8"], [8]]),
     "layers[0].weight_shapes must be lists of integers, got [[4, '8'], [8]]"),
    (lambda d: d["layers"][0].update(weight_shapes=[[4, True], [8]]),
     "layers[0].weight_shapes must be lists of integers, got [[4, True], [8]]"),
    (lambda d: d["layers"][0].update(weight_shapes={}), "layers[0].weight_shapes must be lists of integers, got {}"),
], ids=["model-class", "name", "input-dim-0", "input-dim-str", "input-dim-none", "no-input-dim", "input-keys",
        "input-shape",
        "input-mismatch", "layers-do-not-fit", "no-model", "no-layers", "layer-str", "layer-no-class",
        "shape-str", "shape-bool", "shapes-not-a-list"])
def test_a_damaged_description_is_named_with_the_file(change, message, tmp_path):
    path = tmp_path / "model.npz"
    model = Sequential([Input(shape=(4,)), layers.Dense(8, activation="relu"), layers.Dropout(0.5),
                        layers.Dense(3, activation="softmax")], seed=0)
    saving.save_model(model, path)
    rewrite(path, lambda arrays, document: change(document))
    with pytest.raises(ValueError) as error:
        saving.load_model(path)
    assert str(error.value) == f"{path}: {message}"


def test_the_description_entry_itself_is_checked(tmp_path):
    path = tmp_path / "model.npz"
    cases = [
        (np.zeros(3), "'__nnlib__' must be UTF-8 bytes (a 1-D uint8 array), got float64 of shape (3,)"),
        (np.zeros((2, 2), np.uint8), "'__nnlib__' must be UTF-8 bytes (a 1-D uint8 array), got uint8 of shape (2, 2)"),
        (np.frombuffer(b"[1, 2]", np.uint8), "the description must be a JSON object, got list"),
    ]
    for entry, message in cases:
        with open(path, "wb") as file:
            np.savez(file, **{saving.CONFIG_KEY: entry})
        with pytest.raises(ValueError) as error:
            saving.load_model(path)
        assert str(error.value) == f"{path}: {message}"
    with open(path, "wb") as file:
        np.savez(file, **{saving.CONFIG_KEY: np.frombuffer(b"{not json", np.uint8)})
    with pytest.raises(ValueError, match=r"^.*model.npz: the description '__nnlib__' is not valid JSON: Expecting"):
        saving.load_model(path)
    with open(path, "wb") as file:
        np.savez(file, **{saving.CONFIG_KEY: np.frombuffer("{\"format\": \"é\"}".encode("latin-1"), np.uint8)})
    with pytest.raises(ValueError, match=r"the description '__nnlib__' is not valid JSON: 'utf-8' codec"):
        saving.load_model(path)


def test_weights_must_be_floating_point(tmp_path):
    path = tmp_path / "model.npz"
    saving.save_model(trained(), path)
    rewrite(path, lambda arrays, document: arrays.update({"weights/0/0": np.zeros((4, 8), np.int64)}))
    with pytest.raises(ValueError) as error:
        saving.load_model(path)
    assert str(error.value) == f"{path}: 'weights/0/0' must hold floating-point numbers, got dtype int64"


def test_layers_without_weights_need_no_weight_shapes(tmp_path):
    path = tmp_path / "model.npz"
    model = trained()
    saving.save_model(model, path)
    rewrite(path, lambda arrays, document: delete(document["layers"][2], "weight_shapes"))  # Dropout
    assert_same_weights(model, saving.load_model(path))


def test_a_one_feature_model_with_a_named_input_round_trips(tmp_path):
    model = Sequential([Input(shape=(1,), name="dose"), layers.Dense(2)], seed=0)
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    assert loaded.input_dim == 1 and loaded.declared_input.name == "dose"
    assert_same_weights(model, loaded)


def test_the_file_records_the_nnlib_version_and_a_weights_file_no_generator(tmp_path):
    import nnlib

    model = trained()
    for save, path in ((saving.save_model, tmp_path / "model.npz"), (saving.save_weights, tmp_path / "w.npz")):
        save(model, path)
        with np.load(path) as archive:
            document = json.loads(archive[saving.CONFIG_KEY].tobytes())
        assert document["nnlib_version"] == nnlib.__version__
        full = save is saving.save_model
        assert (document["model"]["rng_state"] is not None) == full
        assert (document["layers"][6]["rng_state"] is not None) == full  # Dropout(0.1, seed=4)


def test_what_only_nnlib_can_read_back_is_refused_on_saving(tmp_path):
    path = tmp_path / "never.npz"
    model = small_trained()
    model.loss = losses.Loss("hinge", lambda y, p: 0.0, lambda y, p: p)
    with pytest.raises(ValueError) as error:
        saving.save_model(model, path)
    assert str(error.value).endswith(f": only nnlib's built-in losses ({', '.join(losses.LOSSES)})")

    class Mine(optimizers.SGD):
        pass

    model = small_trained(Mine(0.1))
    with pytest.raises(ValueError) as error:
        saving.save_model(model, path)
    names = ", ".join(cls.__name__ for cls in optimizers.OPTIMIZERS.values())
    assert str(error.value) == f"cannot save the optimizer Mine(learning_rate=0.1): only nnlib's built-in optimizers " \
                               f"({names})"
    bn = layers.BatchNormalization()
    bn.epsilon = float("nan")
    with pytest.raises(ValueError, match=r"^cannot save the model: its description is not plain JSON \(Out of range "):
        saving.save_model(Sequential([bn]), path)
    assert not path.exists()


def test_a_layer_frozen_after_training_cannot_save_the_optimizer_state(tmp_path):
    """The optimizer's moments belong to the trainable weights it was built for."""
    model = Sequential([layers.Dense(4, activation="tanh"), layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    model.layers[0].trainable = False
    with pytest.raises(ValueError) as error:
        saving.save_model(model, tmp_path / "never.npz")
    assert str(error.value) == ("cannot save the optimizer's state 'm': its shapes [(4, 4), (4,), (4, 3), (3,)] are "
                                "not those of the model's trainable weights [(4, 3), (3,)]")

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



# ---- compile sections: malformed ones are refused, a minimal one is read with its defaults ------

def small_trained(optimizer=None):
    """One softmax layer (2 trainable arrays), 2 Adam steps: a quick model with optimizer state."""
    model = Sequential([layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer=optimizer or optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(X, Y, epochs=1, batch_size=32, verbose=0)
    return model


def rename_state(arrays, document):
    """Adam's state "v" saved as "velocities": a name Adam does not keep."""
    for k in range(2):
        arrays[f"optimizer/velocities/{k}"] = arrays.pop(f"optimizer/v/{k}")
    document["compile"]["state"] = {"m": 2, "velocities": 2}


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: "adam", r"the compile section must hold 'loss', 'metrics' and 'optimizer', got 'adam'"),
    (lambda c: {k: v for k, v in c.items() if k != "metrics"}, "the compile section must hold 'loss', 'metrics'"),
    (lambda c: {k: v for k, v in c.items() if k != "loss"}, "the compile section must hold 'loss', 'metrics'"),
    (lambda c: {k: v for k, v in c.items() if k != "optimizer"}, "the compile section must hold 'loss'"),
    (lambda c: {**c, "metrics": "accuracy"}, "compile.metrics must be a list of names, got 'accuracy'"),
    (lambda c: {**c, "metrics": [3]}, "compile settings: metrics must be names such as 'accuracy', got 3"),
    (lambda c: {**c, "loss": "mse"}, "compile settings: 'accuracy' needs a classification loss"),
    (lambda c: {**c, "optimizer": {"class_name": "Adam", "config": {"learning_rate": -1.0}}},
     "compile settings: learning_rate must be"),
    (lambda c: {**c, "iterations": True}, "compile.iterations must be a non-negative integer, got True"),
    (lambda c: {**c, "iterations": 1.5}, "compile.iterations must be a non-negative integer, got 1.5"),
    (lambda c: {**c, "state": [2, 2]}, r"compile.state must map state names to array counts, got \[2, 2\]"),
    (lambda c: {**c, "state": {"m": True, "v": 2}}, "compile.state must map state names to array counts"),
    (lambda c: {**c, "state": {"m": 2, "v": 2.0}}, "compile.state must map state names to array counts"),
    (lambda c: {**c, "state": {"m": 1, "v": 2}},
     "the optimizer's state 'm' has 1 arrays but the model has 2 trainable weights"),
    (lambda c: {**c, "no_weight_decay": 0}, "compile.no_weight_decay must list trainable weight indices, got 0"),
    (lambda c: {**c, "no_weight_decay": [2]}, r"compile.no_weight_decay must list .* got \[2\]"),
    (lambda c: {**c, "no_weight_decay": [-1]}, r"compile.no_weight_decay must list .* got \[-1\]"),
    (lambda c: {**c, "no_weight_decay": ["0"]}, r"compile.no_weight_decay must list .* got \['0'\]"),
    (None, r"optimizer state: Adam keeps the state \['m', 'v'\], got \['m', 'velocities'\]"),
], ids=["not-a-dict", "no-metrics", "no-loss", "no-optimizer", "metrics-str", "metric-not-a-name",
        "metric-for-another-loss", "optimizer-config", "iterations-bool", "iterations-float", "state-list",
        "state-bool", "state-float", "state-count", "no-decay-int", "no-decay-too-big", "no-decay-negative",
        "no-decay-str", "state-name"])
def test_a_malformed_compile_section_is_refused_naming_the_file(change, message, tmp_path):
    path = tmp_path / "model.npz"
    saving.save_model(small_trained(), path)
    if change is None:
        rewrite(path, rename_state)
    else:
        rewrite(path, lambda arrays, document: document.update(compile=change(document["compile"])))
    with pytest.raises(ValueError, match=message) as error:
        saving.load_model(path)
    assert str(error.value).startswith(f"{path}: ")
    assert saving.load_model(path, compile=False).optimizer is None  # the rest of the file is fine


def test_a_minimal_compile_section_means_a_fresh_optimizer(tmp_path):
    """loss, metrics and optimizer alone: no steps taken, no state, no weight-decay exclusions."""
    path = tmp_path / "model.npz"
    model = small_trained(optimizers.AdamW(0.01, weight_decay=0.1))
    saving.save_model(model, path)

    def minimal(arrays, document):
        for key in ("iterations", "state", "no_weight_decay"):
            del document["compile"][key]
        for key in [k for k in arrays if k.startswith("optimizer/")]:
            del arrays[key]
    rewrite(path, minimal)
    loaded = saving.load_model(path)
    assert type(loaded.optimizer) is optimizers.AdamW and loaded.optimizer.iterations == 0
    assert_same_weights(model, loaded)
    fresh = Sequential([layers.Dense(3, activation="softmax")], seed=0)  # same weights, new AdamW
    fresh.compile(optimizer=optimizers.AdamW(0.01, weight_decay=0.1), loss="sparse_categorical_crossentropy")
    fresh.build((None, 4))
    fresh.set_weights(model.get_weights())
    fresh.rng = np.random.default_rng(1)
    loaded.rng = np.random.default_rng(1)
    fresh.fit(X, Y, epochs=1, verbose=0)
    loaded.fit(X, Y, epochs=1, verbose=0)
    assert_same_weights(fresh, loaded)


def test_a_compiled_model_never_trained_round_trips(tmp_path):
    model = Sequential([layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy", metrics=["acc"])
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    assert not loaded.built and loaded.optimizer.iterations == 0 and list(loaded.metrics) == ["accuracy"]
    assert loaded.optimizer.get_config() == model.optimizer.get_config()

    def with_state(arrays, document):
        document["compile"]["state"] = {"velocities": 2}
    rewrite(tmp_path / "model.npz", with_state)
    with pytest.raises(ValueError, match="the optimizer has state but the model was never built"):
        saving.load_model(tmp_path / "model.npz")


def test_weight_decay_exclusion_of_the_first_weight_round_trips(tmp_path):
    model = Sequential([layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer=optimizers.AdamW(0.05, weight_decay=0.5), loss="sparse_categorical_crossentropy")
    model.build((None, 4))
    model.optimizer.exclude_from_weight_decay([model.layers[0].W])  # trainable weight 0: the kernel
    model.fit(X, Y, epochs=1, verbose=0)
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    assert [w is loaded.layers[0].W for w in loaded.optimizer._excluded] == [True]
    model.fit(X, Y, epochs=2, verbose=0)
    loaded.fit(X, Y, epochs=2, verbose=0)
    assert_same_weights(model, loaded)


def test_model_methods_save_and_load(tmp_path):
    """model.save, model.save_weights and model.load_weights are the saving functions, as in Keras."""
    model = small_trained()
    model.save(tmp_path / "model.npz")
    model.save_weights(tmp_path / "weights.npz")
    loaded = models.load_model(tmp_path / "model.npz")
    assert_same_weights(model, loaded)
    assert loaded.optimizer.iterations == 2
    other = Sequential([layers.Dense(3, activation="softmax")], seed=5)
    other.load_weights(tmp_path / "weights.npz")
    assert_same_weights(model, other)
    with pytest.raises(ValueError, match="holds weights only"):
        models.load_model(tmp_path / "weights.npz")


# ---- random generators -------------------------------------------------------------------------

def test_dropout_keeps_drawing_from_the_models_generator_after_loading(tmp_path):
    model = trained()
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    assert loaded.layers[2].rng is loaded.rng  # Dropout(0.2) without a seed: the model's generator
    assert loaded.layers[6].rng is not loaded.rng  # Dropout(0.1, seed=4): its own
    assert loaded.rng.bit_generator.state == model.rng.bit_generator.state
    assert loaded.layers[6].rng.bit_generator.state == model.layers[6].rng.bit_generator.state


def test_a_generator_of_another_kind_round_trips(tmp_path):
    """A model seeded with a PCG64DXSM generator continues with one, in the same state."""
    model = Sequential([layers.Dense(6, activation="relu"), layers.Dropout(0.5), layers.Dense(3, activation="softmax")],
                       seed=np.random.Generator(np.random.PCG64DXSM(5)))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    saving.save_model(model, tmp_path / "model.npz")
    loaded = saving.load_model(tmp_path / "model.npz")
    assert type(loaded.rng.bit_generator) is np.random.PCG64DXSM
    assert loaded.layers[1].rng is loaded.rng  # the Dropout follows the model's new generator
    model.fit(X, Y, epochs=2, verbose=0)
    loaded.fit(X, Y, epochs=2, verbose=0)
    assert_same_weights(model, loaded)


def test_a_generator_whose_state_is_not_plain_numbers_is_not_saved(tmp_path):
    model = Sequential([layers.Dense(3)], seed=np.random.Generator(np.random.MT19937(5)))
    saving.save_model(model, tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as archive:
        document = json.loads(archive[saving.CONFIG_KEY].tobytes())
    assert document["model"]["rng_state"] is None
    assert type(saving.load_model(tmp_path / "model.npz").rng.bit_generator) is np.random.PCG64


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["layers"][0].update(rng_state=d["model"]["rng_state"]),
     r"layers\[0\] has an rng_state but a Dense draws no random numbers"),
    (lambda d: d["model"].update(rng_state={"bit_generator": "PCG64", "state": "garbage"}),
     "the model's rng_state: invalid random generator state"),
    (lambda d: d["model"].update(rng_state="PCG64"), "the model's rng_state: expected the state of a PCG64 or "
                                                     "PCG64DXSM generator, got 'PCG64'"),
    (lambda d: d["layers"][6].update(rng_state={"bit_generator": "PCG64", "state": {}}),
     r"layers\[6\].rng_state: invalid random generator state"),
], ids=["layer-without-rng", "model-state", "model-not-a-dict", "layer-state"])
def test_a_malformed_generator_state_is_refused(change, message, tmp_path):
    path = tmp_path / "model.npz"
    saving.save_model(trained(), path)
    rewrite(path, lambda arrays, document: change(document))
    with pytest.raises(ValueError, match=message) as error:
        saving.load_model(path)
    assert str(error.value).startswith(f"{path}: ")



# ---- layer configs in a file: each error names the file, the layer and the argument ---------------

DENSE_0 = "layers[0] (Dense)"


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c.update(kernel_initializer="he"),
     f"{DENSE_0}, kernel_initializer: expected a dict {{'class_name': ..., 'config': {{...}}}}, got 'he'"),
    (lambda c: c.update(kernel_initializer={"class_name": "Orthogonal", "config": {}}),
     f"{DENSE_0}, kernel_initializer: unknown initializer 'Orthogonal'; known: {', '.join(saving.INITIALIZERS)}"),
    (lambda c: c["kernel_initializer"]["config"].update(bogus=1),
     f"{DENSE_0}, kernel_initializer: RandomNormal takes no argument bogus"),
    (lambda c: c["kernel_regularizer"]["config"].update(l2=-1),
     f"{DENSE_0}, kernel_regularizer: L2: l2 must be a non-negative number, got -1"),
    (lambda c: c.update(bias_regularizer={"class_name": "L3", "config": {}}),
     f"{DENSE_0}, bias_regularizer: unknown regularizer 'L3'; known: Regularizer, L1, L2, L1L2"),
    (lambda c: c.update(activation={"alpha": 0.1}),
     f"{DENSE_0}, activation: expected an activation name or {{'name': ..., 'alpha' or 'approximate': ...}}, "
     "got {'alpha': 0.1}"),
    (lambda c: c.update(activation=["relu"]),
     f"{DENSE_0}, activation: unknown activation ['relu']; known: {', '.join(activations.ACTIVATIONS)}"),
    (lambda c: c.update(activation={"name": "relu", "alpha": 0.1}),
     f"{DENSE_0}, activation: alpha applies to 'leaky_relu' and 'elu' only, not to 'relu'"),
    (lambda c: c.update(trainable="yes"), "layers[0]: trainable must be true or false, got 'yes'"),
    (lambda c: c.update(bogus=1, bogus_too=2), f"{DENSE_0}: Dense takes no argument bogus, bogus_too"),
], ids=["initializer-not-a-dict", "initializer-unknown", "initializer-argument", "regularizer-value",
        "regularizer-unknown", "activation-no-name", "activation-list", "activation-option", "trainable",
        "layer-arguments"])
def test_a_bad_layer_config_names_the_file_the_layer_and_the_argument(change, message, tmp_path):
    path = tmp_path / "model.npz"
    saving.save_model(every_layer_model(), path)
    rewrite(path, lambda arrays, document: change(document["layers"][0]["config"]))
    with pytest.raises(ValueError) as error:
        saving.load_model(path)
    assert str(error.value) == f"{path}: {message}"


def test_a_layer_config_is_read_with_trainable_true_by_default():
    config = saving.layer_config(layers.Dense(3, activation="tanh"))
    del config["config"]["trainable"]
    assert saving.layer_from_config(config).trainable is True
    config["config"]["trainable"] = False
    assert saving.layer_from_config(config).trainable is False


@pytest.mark.parametrize("config", [{"class_name": "Dense"}, {"class_name": "Dense", "config": 3}, "Dense"])
def test_layer_from_config_names_the_shape_it_expects(config):
    with pytest.raises(ValueError) as error:
        saving.layer_from_config(config)
    assert str(error.value) == f"layer: expected {{'class_name': ..., 'config': {{...}}}}, got {config!r}"


def test_configs_are_plain_json_values():
    assert saving._plain([1, np.int64(2), (np.float32(0.5), "a", None)], "x") == [1, 2, [0.5, "a", None]]
    assert saving._plain(np.bool_(True), "x") is True and type(saving._plain(np.int32(3), "x")) is int
    with pytest.raises(ValueError) as error:
        saving._plain([1, {"a": 2}], "Dense.units")
    assert str(error.value) == ("cannot save Dense.units = {'a': 2}: nnlib files hold numbers, strings and "
                                "nnlib's own objects")


def test_what_cannot_be_saved_is_named_with_the_choices(tmp_path):
    path = tmp_path / "never.npz"
    odd = layers.Dense(2)
    odd.units = {"a": 1}
    with pytest.raises(ValueError) as error:
        saving.save_model(Sequential([odd]), path)
    assert str(error.value) == ("cannot save Dense.units = {'a': 1}: nnlib files hold numbers, strings and "
                                "nnlib's own objects")
    initializer = initializers.RandomNormal(mean={"a": 1})
    with pytest.raises(ValueError) as error:
        saving.save_model(Sequential([layers.Dense(2, kernel_initializer=initializer)]), path)
    assert str(error.value).startswith("cannot save RandomNormal.mean = {'a': 1}: ")

    class Half(regularizers.L2):
        pass

    with pytest.raises(ValueError) as error:
        saving.save_model(Sequential([layers.Dense(2, kernel_regularizer=Half(0.1))]), path)
    assert str(error.value).endswith(": only nnlib's built-in regularizers (Regularizer, L1, L2, L1L2)")

    class Custom(layers.Dense):
        pass

    with pytest.raises(ValueError) as error:
        saving.save_model(Sequential([Custom(2)]), path)
    assert str(error.value).endswith(f": nnlib files hold the layers {', '.join(saving.LAYERS)}")
    square = activations.Activation("square", lambda z: z * z, lambda z: 2 * z)
    with pytest.raises(ValueError) as error:
        saving.save_model(Sequential([layers.Dense(2, activation=square)]), path)
    assert str(error.value) == ("cannot save the activation 'square': only nnlib's built-in activations "
                                f"({', '.join(activations.ACTIVATIONS)})")
    forgetful = layers.Dense(2)
    del forgetful.declared_input_dim
    with pytest.raises(ValueError) as error:
        saving.save_model(Sequential([forgetful]), path)
    assert str(error.value) == "cannot save Dense 'dense': it has no attribute 'declared_input_dim' for 'input_dim'"
    assert not path.exists()

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


def test_deserialize_names_the_shape_without_a_prefix_when_not_told_where():
    with pytest.raises(ValueError) as error:
        optimizers.deserialize("adam")
    assert str(error.value) == "expected a dict {'class_name': ..., 'config': {...}}, got 'adam'"


def test_deserialize_accepts_keras_extra_keys():
    """Keras writes "module" and "registered_name" beside class_name and config: they are ignored."""
    config = {"module": "keras.optimizers", "registered_name": None, **optimizers.serialize(optimizers.SGD(0.5))}
    assert optimizers.deserialize(config).learning_rate == 0.5
