"""Saving and loading models in one plain file: arrays and a JSON description, never pickle.

    saving.save_model(model, "model.npz")       # architecture, weights, compile settings, optimizer state
    model = saving.load_model("model.npz")      # also models.load_model, as keras.models.load_model
    saving.save_weights(model, "w.npz")         # the weights alone ...
    saving.load_weights(other, "w.npz")         # ... into a model of the same architecture

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) read with
``np.load(path, allow_pickle=False)``: it holds numbers and one JSON text, and the JSON
names classes only from nnlib's fixed registries (:data:`LAYERS`, the initializers,
regularizers, activations, losses, metrics, optimizers and schedules), so loading an
untrusted file runs no code from it. A pickled object in the file is refused.

The file goes exactly to the path given, whatever its suffix (``np.savez`` would add
``.npz`` to a name without it; nnlib does not). ``.npz`` is the natural choice, as
Keras 3 insists on ``.keras`` and ``.weights.h5``.

Layout of the archive::

    __nnlib__               the JSON document below, as UTF-8 bytes in a uint8 array
    weights/<i>/<j>         array j of layer i's get_weights() (layers and arrays from 0)
    optimizer/<name>/<k>    the optimizer's state <name> (e.g. m, v, velocities) for trainable weight k

The JSON document::

    {"format": "nnlib.model" or "nnlib.weights", "version": 1, "nnlib_version": "0.1.0",
     "model": {"class_name": "Sequential", "name": "sequential", "dtype": "float64" or null,
               "input_dim": 4 or null (unbuilt), "input": {"shape": [4], "name": null} or null,
               "rng_state": {...} or null},
     "layers": [{"class_name": "Dense", "config": {"units": 8, "activation": "relu", ...,
                 "trainable": true}, "weight_shapes": [[4, 8], [8]], "rng_state": null}, ...],
     "compile": null or {"loss": "mse", "metrics": ["mae"],
                         "optimizer": {"class_name": "Adam", "config": {...}},
                         "iterations": 12, "state": {"m": 4, "v": 4}, "no_weight_decay": []}}

``rng_state`` is the state of a random generator (the model's, for shuffling in ``fit``;
a Dropout layer's own, when it has one): with it, training continued after loading draws
the same batches and dropout masks as training continued without saving. A weights
file has no compile section and no generator states.
"""

from __future__ import annotations

import inspect
import json
import numbers
import os
import re
import zipfile

import numpy as np

import nnlib
from nnlib import activations, initializers, layers, losses, optimizers, regularizers
from nnlib._checks import class_and_config

Array = np.ndarray

FORMAT_MODEL, FORMAT_WEIGHTS, VERSION = "nnlib.model", "nnlib.weights", 1
CONFIG_KEY = "__nnlib__"  # the archive entry holding the JSON document

LAYERS: dict[str, type[layers.Layer]] = {
    cls.__name__: cls
    for cls in (layers.Dense, layers.Dropout, layers.BatchNormalization, layers.Maxout, layers.Activation)
}
INITIALIZERS = {cls.__name__: cls for cls in initializers.INITIALIZERS.values()}
REGULARIZERS = {cls.__name__: cls for cls in (regularizers.Regularizer, regularizers.L1, regularizers.L2,
                                              regularizers.L1L2)}
# The bit generators whose state is plain integers (default_rng's PCG64 among them).
BIT_GENERATORS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM}
# Constructor arguments kept under another attribute name.
ATTRIBUTE_OF = {"input_dim": "declared_input_dim"}


# ---- configs: objects as JSON and back -------------------------------------------------------
def _constructor_arguments(cls) -> list[str]:
    return [name for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _plain(value, what: str):
    """A config value as JSON holds it: None, bool, int, float, str or a list of them."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (numbers.Integral, np.bool_)):
        return bool(value) if isinstance(value, np.bool_) else int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, what) for v in value]
    if isinstance(value, np.random.Generator):
        return None  # a seed given as a Generator: its state is saved separately where it matters
    raise ValueError(f"cannot save {what} = {value!r}: nnlib files hold numbers, strings and nnlib's own objects")


def _object_config(obj, registry: dict[str, type], kind: str) -> dict:
    """``{"class_name": ..., "config": {argument: value}}`` for an initializer or a regularizer."""
    name = type(obj).__name__
    if registry.get(name) is not type(obj):
        raise ValueError(f"cannot save the {kind} {obj!r}: only nnlib's built-in {kind}s ({', '.join(registry)})")
    return {"class_name": name,
            "config": {arg: _plain(getattr(obj, arg), f"{name}.{arg}") for arg in _constructor_arguments(type(obj))}}


def _object_from_config(config, registry: dict[str, type], kind: str, where: str):
    name, arguments = class_and_config(config, where)
    if name not in registry:
        raise ValueError(f"{where}: unknown {kind} {name!r}; known: {', '.join(registry)}")
    return _construct(registry[name], arguments, where)


def _construct(cls, config: dict, where: str):
    unexpected = set(config) - set(_constructor_arguments(cls))
    if unexpected:
        raise ValueError(f"{where}: {cls.__name__} takes no argument {', '.join(sorted(unexpected))}")
    try:
        return cls(**config)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {cls.__name__}: {error}") from None


def activation_config(activation: activations.Activation) -> str | dict:
    """``"relu"``, or the name and parameter of an activation that has one:
    ``{"name": "leaky_relu", "alpha": 0.1}``, ``{"name": "gelu", "approximate": true}``."""
    for name, known in activations.ACTIVATIONS.items():
        if activation is known:
            return name
    if activation is activations.GELU_TANH:
        return {"name": "gelu", "approximate": True}
    match = re.fullmatch(r"(leaky_relu|elu)\(alpha=(.+)\)", activation.name)
    if match is None:
        raise ValueError(f"cannot save the activation {activation.name!r}: only nnlib's built-in activations "
                         f"({', '.join(activations.ACTIVATIONS)})")
    return {"name": match[1], "alpha": float(match[2])}


def _activation_from_config(config, where: str) -> activations.Activation:
    options = {}
    if isinstance(config, dict):
        options = {key: value for key, value in config.items() if key != "name"}
        if "name" not in config or not set(options) <= {"alpha", "approximate"}:
            raise ValueError(f"{where}: expected an activation name or {{'name': ..., 'alpha' or 'approximate': "
                             f"...}}, got {config!r}")
        config = config["name"]
    if not isinstance(config, str) or config not in activations.ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {config!r}; known: {', '.join(activations.ACTIVATIONS)}")
    try:
        return activations.get(config, **options)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None


def _encode(value, what: str):
    if isinstance(value, activations.Activation):
        return activation_config(value)
    if isinstance(value, initializers.Initializer):
        return _object_config(value, INITIALIZERS, "initializer")
    if isinstance(value, regularizers.Regularizer):
        return _object_config(value, REGULARIZERS, "regularizer")
    return _plain(value, what)


def _decode(key: str, value, where: str):
    where = f"{where}, {key}"
    if key == "activation":
        return _activation_from_config(value, where)
    if key.endswith("_initializer"):
        return _object_from_config(value, INITIALIZERS, "initializer", where)
    if key.endswith("_regularizer"):
        return None if value is None else _object_from_config(value, REGULARIZERS, "regularizer", where)
    return value


def layer_config(layer: layers.Layer) -> dict:
    """``{"class_name": "Dense", "config": {...}}``: the layer's constructor arguments, read from its
    attributes, plus ``trainable``; ``layer_from_config`` makes an equal (unbuilt) layer from it."""
    name = type(layer).__name__
    if LAYERS.get(name) is not type(layer):
        raise ValueError(f"cannot save the layer {layer!r}: nnlib files hold the layers {', '.join(LAYERS)}")
    config = {}
    for arg in _constructor_arguments(type(layer)):
        attribute = ATTRIBUTE_OF.get(arg, arg)
        if not hasattr(layer, attribute):
            raise ValueError(f"cannot save {name} {layer.name!r}: it has no attribute {attribute!r} for {arg!r}")
        config[arg] = _encode(getattr(layer, attribute), f"{name}.{arg}")
    config["trainable"] = bool(layer.trainable)
    return {"class_name": name, "config": config}


def layer_from_config(config: dict, where: str = "layer") -> layers.Layer:
    """The unbuilt layer ``layer_config`` describes; a class outside :data:`LAYERS` is a ValueError."""
    if not isinstance(config, dict) or not {"class_name", "config"} <= set(config) \
            or not isinstance(config["config"], dict):
        raise ValueError(f"{where}: expected {{'class_name': ..., 'config': {{...}}}}, got {config!r}")
    name = config["class_name"]
    if name not in LAYERS:
        raise ValueError(f"{where}: unknown layer class {name!r}; nnlib files hold the layers {', '.join(LAYERS)}")
    arguments = dict(config["config"])
    trainable = arguments.pop("trainable", True)
    if not isinstance(trainable, bool):
        raise ValueError(f"{where}: trainable must be true or false, got {trainable!r}")
    where = f"{where} ({name})"
    layer = _construct(LAYERS[name], {k: _decode(k, v, where) for k, v in arguments.items()}, where)
    layer.trainable = trainable
    return layer


# ---- random generators --------------------------------------------------------------------
def _rng_state(rng: np.random.Generator | None) -> dict | None:
    if rng is None or type(rng.bit_generator).__name__ not in BIT_GENERATORS:
        return None
    return rng.bit_generator.state


def _with_state(rng: np.random.Generator, state, where: str) -> np.random.Generator:
    """``rng`` set to the saved ``state`` (a new generator if the state is of another kind)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise ValueError(f"{where}: expected the state of a {' or '.join(BIT_GENERATORS)} generator, got {state!r}")
    if type(rng.bit_generator).__name__ != name:
        rng = np.random.Generator(BIT_GENERATORS[name]())
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{where}: invalid random generator state: {error}") from None
    return rng


# ---- the file ----------------------------------------------------------------------------
def _document(model, format_name: str) -> tuple[dict, dict[str, Array]]:
    """The JSON document and the arrays for ``model`` (without the compile section)."""
    from nnlib.model import Sequential  # here: nnlib.model itself imports this module

    if not isinstance(model, Sequential):
        raise TypeError(f"expected an nnlib Sequential model, got {model!r}")
    declared = model.declared_input
    full = format_name == FORMAT_MODEL
    document = {
        "format": format_name, "version": VERSION, "nnlib_version": nnlib.__version__,
        "model": {
            "class_name": "Sequential", "name": model.name,
            "dtype": None if model.dtype is None else model.dtype.name,
            "input_dim": model.input_dim if model.built else None,
            "input": None if declared is None else {"shape": list(declared.shape), "name": declared.name},
            "rng_state": _rng_state(model.rng) if full else None,
        },
        "layers": [],
    }
    arrays = {}
    for i, layer in enumerate(model.layers):
        entry = layer_config(layer)
        entry["weight_shapes"] = [list(w.shape) for w in layer.weights]
        rng = getattr(layer, "rng", None)
        entry["rng_state"] = _rng_state(rng) if full and rng is not model.rng else None
        document["layers"].append(entry)
        arrays.update((f"weights/{i}/{j}", w) for j, w in enumerate(layer.weights))
    return document, arrays


def _compile_section(model) -> tuple[dict | None, dict[str, Array]]:
    if model.loss is None or model.optimizer is None:
        return None, {}
    loss = model.loss
    if losses.LOSSES.get(loss.name) is not loss:
        raise ValueError(f"cannot save the loss {loss!r}: only nnlib's built-in losses ({', '.join(losses.LOSSES)})")
    optimizer = model.optimizer
    if type(optimizer) not in optimizers.OPTIMIZERS.values():
        raise ValueError(f"cannot save the optimizer {optimizer!r}: only nnlib's built-in optimizers "
                         f"({', '.join(cls.__name__ for cls in optimizers.OPTIMIZERS.values())})")
    weights = model.trainable_weights
    state = {name: arrays for name, arrays in optimizer.state_arrays().items() if arrays}
    for name, arrays in state.items():
        if [a.shape for a in arrays] != [w.shape for w in weights]:
            raise ValueError(f"cannot save the optimizer's state {name!r}: its shapes {[a.shape for a in arrays]} "
                             f"are not those of the model's trainable weights {[w.shape for w in weights]}")
    excluded = [k for k, w in enumerate(weights) if any(w is e for e in optimizer._excluded)]
    section = {"loss": loss.name, "metrics": list(model.metrics), "optimizer": optimizers.serialize(optimizer),
               "iterations": int(optimizer.iterations), "state": {name: len(a) for name, a in state.items()},
               "no_weight_decay": excluded}
    arrays = {f"optimizer/{name}/{k}": a for name, values in state.items() for k, a in enumerate(values)}
    return section, arrays


def _write(path, document: dict, arrays: dict[str, Array]) -> None:
    try:
        text = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot save the model: its description is not plain JSON ({error})") from None
    payload = {CONFIG_KEY: np.frombuffer(text.encode(), dtype=np.uint8), **arrays}  # str.encode: UTF-8
    # Through an open file, so that NumPy writes to exactly this path (with a name it would add ".npz").
    with open(os.fspath(path), "wb") as file:
        np.savez(file, **payload)


def save_model(model, path) -> None:
    """Write the model to ``path`` (str or Path): architecture, weights, compile settings, optimizer state."""
    document, arrays = _document(model, FORMAT_MODEL)
    document["compile"], state = _compile_section(model)
    _write(path, document, {**arrays, **state})


def save_weights(model, path) -> None:
    """Write the model's weights (and, to check them on loading, its architecture) to ``path``."""
    document, arrays = _document(model, FORMAT_WEIGHTS)
    _write(path, document, arrays)


class _Archive:
    """An nnlib file opened for reading: its JSON document and its checked arrays."""

    def __init__(self, path, formats: tuple[str, ...]):
        self.path = os.fspath(path)
        try:
            self.npz = np.load(self.path, allow_pickle=False)  # pragma: no mutate (False is also NumPy's default)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            raise
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{self.path} is not an nnlib file (not a readable .npz archive: {error})") from None
        if not isinstance(self.npz, np.lib.npyio.NpzFile):
            raise ValueError(f"{self.path} is not an nnlib file: it holds a single array, not an .npz archive")
        try:
            self.document = self._read_document()
            self._check_format(formats)
        except BaseException:
            self.npz.close()
            raise

    def __enter__(self) -> _Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.npz.close()

    def array(self, key: str) -> Array:
        if key not in self.npz.files:
            raise ValueError(f"{self.path}: the array {key!r} is missing")
        try:
            return self.npz[key]
        except ValueError as error:
            if "allow_pickle" in str(error):
                raise ValueError(f"{self.path}: the entry {key!r} holds pickled Python objects, which nnlib "
                                 "refuses to load (unpickling can run code)") from None
            raise ValueError(f"{self.path}: the entry {key!r} is damaged: {error}") from None
        except (OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{self.path}: the entry {key!r} is damaged: {error}") from None

    def _read_document(self) -> dict:
        if CONFIG_KEY not in self.npz.files:
            raise ValueError(f"{self.path} is not an nnlib file: an .npz archive without the {CONFIG_KEY!r} entry")
        raw = self.array(CONFIG_KEY)
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"{self.path}: {CONFIG_KEY!r} must be UTF-8 bytes (a 1-D uint8 array), "
                             f"got {raw.dtype} of shape {raw.shape}")
        try:
            document = json.loads(raw.tobytes().decode())  # bytes.decode: UTF-8
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{self.path}: the description {CONFIG_KEY!r} is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise ValueError(f"{self.path}: the description must be a JSON object, got {type(document).__name__}")
        return document

    def _check_format(self, formats: tuple[str, ...]) -> None:
        document = self.document
        if document.get("format") not in (FORMAT_MODEL, FORMAT_WEIGHTS):
            raise ValueError(f"{self.path} is not an nnlib file: format {document.get('format')!r}")
        version = document.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"{self.path}: invalid format version {version!r}")
        if version > VERSION:
            raise ValueError(f"{self.path} has format version {version}, newer than this nnlib reads "
                             f"({VERSION}): upgrade nnlib")
        if document["format"] not in formats:
            raise ValueError(f"{self.path} holds weights only (written by save_weights): build the model "
                             "and call load_weights, or save it with save_model")
        if not isinstance(document.get("model"), dict) or not isinstance(document.get("layers"), list):
            raise ValueError(f"{self.path}: the description lacks its 'model' or 'layers' section")
        for i, entry in enumerate(document["layers"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
                raise ValueError(f"{self.path}: layers[{i}] must be an object with a 'class_name', got {entry!r}")
            shapes = entry.get("weight_shapes", [])
            if not isinstance(shapes, list) or not all(
                    isinstance(s, list) and all(isinstance(d, int) and not isinstance(d, bool) for d in s)
                    for s in shapes):
                raise ValueError(f"{self.path}: layers[{i}].weight_shapes must be lists of integers, got {shapes!r}")

    def layer_weights(self, i: int, layer: layers.Layer, entry: dict) -> list[Array]:
        """Layer i's arrays from the file, checked against the (built) layer's own."""
        expected = [w.shape for w in layer.weights]
        saved = [tuple(s) for s in entry.get("weight_shapes", [])]
        if saved != expected:
            raise ValueError(f"{self.path}: layer {i} ({entry['class_name']} {layer.name!r}) has weights of "
                             f"shapes {saved} in the file but {expected} in the model")
        return [self.checked(f"weights/{i}/{j}", shape) for j, shape in enumerate(expected)]

    def checked(self, key: str, shape: tuple[int, ...]) -> Array:
        array = self.array(key)
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"{self.path}: {key!r} must hold floating-point numbers, got dtype {array.dtype}")
        if array.shape != tuple(shape):
            raise ValueError(f"{self.path}: {key!r} has shape {array.shape}, expected {tuple(shape)}")
        return array


def _model_settings(archive: _Archive) -> tuple[str, str | None, int | None, dict | None]:
    section, path = archive.document["model"], archive.path
    name, dtype, input_dim, declared = (section.get(k) for k in ("name", "dtype", "input_dim", "input"))
    if section.get("class_name") != "Sequential":
        raise ValueError(f"{path}: unknown model class {section.get('class_name')!r}; nnlib saves Sequential models")
    if not isinstance(name, str):
        raise ValueError(f"{path}: the model's name must be a string, got {name!r}")
    if dtype not in (None, "float32", "float64"):
        raise ValueError(f"{path}: the model's dtype must be 'float32', 'float64' or null, got {dtype!r}")
    if input_dim is not None and (isinstance(input_dim, bool) or not isinstance(input_dim, int) or input_dim < 1):
        raise ValueError(f"{path}: input_dim must be a positive integer or null, got {input_dim!r}")
    if declared is not None and (not isinstance(declared, dict) or set(declared) != {"shape", "name"}):
        raise ValueError(f"{path}: 'input' must be {{'shape': [d], 'name': ...}} or null, got {declared!r}")
    return name, dtype, input_dim, declared


def load_model(path, compile: bool = True):
    """The ``Sequential`` model saved by ``save_model``: same layers, weights and, with ``compile``,
    the same loss, metrics and optimizer (with its state), so training continues where it stopped."""
    from nnlib.model import Sequential

    with _Archive(path, (FORMAT_MODEL,)) as archive:
        name, dtype, input_dim, declared = _model_settings(archive)
        entries = archive.document["layers"]
        model_layers = [layer_from_config(entry, f"{archive.path}: layers[{i}]") for i, entry in enumerate(entries)]
        first = []
        if declared is not None:
            try:
                first = [layers.Input(shape=tuple(declared["shape"]), name=declared["name"])]
            except (TypeError, ValueError) as error:
                raise ValueError(f"{archive.path}: input: {error}") from None
        try:
            model = Sequential([*first, *model_layers], dtype=dtype, name=name)
            if input_dim is not None and not model.built:
                model.build((None, input_dim))
        except ValueError as error:
            raise ValueError(f"{archive.path}: the layers do not fit together: {error}") from None
        if model.built and model.input_dim != input_dim:
            raise ValueError(f"{archive.path}: input_dim is {input_dim} but the input shape says {model.input_dim}")
        for i, (layer, entry) in enumerate(zip(model.layers, entries, strict=True)):  # pragma: no mutate
            if layer.built:
                layer.set_weights(archive.layer_weights(i, layer, entry))
            elif entry.get("weight_shapes"):
                raise ValueError(f"{archive.path}: layer {i} has weights but the model has no input_dim to build it")
        _restore_generators(model, archive)
        section = archive.document.get("compile")
        if compile and section is not None:
            _restore_compile(model, section, archive)
    return model


def _restore_generators(model, archive: _Archive) -> None:
    state = archive.document["model"].get("rng_state")
    if state is not None:
        rng = _with_state(model.rng, state, f"{archive.path}: the model's rng_state")
        for layer in model.layers:  # layers that draw from the model's generator keep doing so
            if getattr(layer, "rng", None) is model.rng:
                layer.rng = rng
        model.rng = rng
    entries = archive.document["layers"]  # one a layer: the model was made from them
    for i, (layer, entry) in enumerate(zip(model.layers, entries, strict=True)):  # pragma: no mutate
        if entry.get("rng_state") is not None:
            if not hasattr(layer, "rng"):
                raise ValueError(f"{archive.path}: layers[{i}] has an rng_state but a {entry['class_name']} draws "
                                 "no random numbers")
            layer.rng = _with_state(np.random.default_rng(), entry["rng_state"],
                                    f"{archive.path}: layers[{i}].rng_state")


def _restore_compile(model, section, archive: _Archive) -> None:
    path = archive.path
    if not isinstance(section, dict) or not {"loss", "metrics", "optimizer"} <= set(section):
        raise ValueError(f"{path}: the compile section must hold 'loss', 'metrics' and 'optimizer', got {section!r}")
    if not isinstance(section["metrics"], list):
        raise ValueError(f"{path}: compile.metrics must be a list of names, got {section['metrics']!r}")
    try:
        optimizer = optimizers.deserialize(section["optimizer"])
        model.compile(optimizer=optimizer, loss=section["loss"], metrics=section["metrics"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: compile settings: {error}") from None
    iterations, counts = section.get("iterations", 0), section.get("state", {})
    excluded = section.get("no_weight_decay", [])
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"{path}: compile.iterations must be a non-negative integer, got {iterations!r}")
    if not isinstance(counts, dict) or not all(isinstance(n, int) and not isinstance(n, bool)
                                               for n in counts.values()):
        raise ValueError(f"{path}: compile.state must map state names to array counts, got {counts!r}")
    weights = model.trainable_weights
    if not isinstance(excluded, list) or not all(isinstance(k, int) and 0 <= k < len(weights) for k in excluded):
        raise ValueError(f"{path}: compile.no_weight_decay must list trainable weight indices, got {excluded!r}")
    if excluded:
        optimizer.exclude_from_weight_decay([weights[k] for k in excluded])
    if counts:
        if not model.built:
            raise ValueError(f"{path}: the optimizer has state but the model was never built")
        for name, count in counts.items():
            if count != len(weights):
                raise ValueError(f"{path}: the optimizer's state {name!r} has {count} arrays but the model has "
                                 f"{len(weights)} trainable weights")
        optimizer.build(weights)
        state = {name: [archive.checked(f"optimizer/{name}/{k}", w.shape) for k, w in enumerate(weights)]
                 for name in counts}
        try:
            optimizer.set_state_arrays(state)
        except ValueError as error:
            raise ValueError(f"{path}: optimizer state: {error}") from None
    optimizer.iterations = iterations


def load_weights(model, path) -> None:
    """Copy the weights saved by ``save_weights`` (or ``save_model``) into ``model``.

    The file's layers must be the model's: the same classes in the same order, with weights
    of the same shapes. An unbuilt model is first built for the file's input size. No weight
    is changed unless every array checks out.
    """
    from nnlib.model import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"expected an nnlib Sequential model, got {model!r}")
    with _Archive(path, (FORMAT_MODEL, FORMAT_WEIGHTS)) as archive:
        _, _, input_dim, _ = _model_settings(archive)
        entries = archive.document["layers"]
        saved = [entry["class_name"] for entry in entries]
        have = [type(layer).__name__ for layer in model.layers]
        if saved != have:
            raise ValueError(f"{archive.path} holds the weights of the layers {saved}, but the model's layers "
                             f"are {have}")
        if input_dim is None:
            raise ValueError(f"{archive.path} holds no weights: its model was saved before it was built")
        if not model.built:
            model.build((None, input_dim))
        pairs = zip(model.layers, entries, strict=True)  # pragma: no mutate (as many: the classes matched)
        weights = [archive.layer_weights(i, layer, entry) for i, (layer, entry) in enumerate(pairs)]
    for layer, arrays in zip(model.layers, weights, strict=True):  # pragma: no mutate (one list a layer)
        layer.set_weights(arrays)
