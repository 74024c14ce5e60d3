"""Hidden tests of exercise 12, Keras on TensorFlow: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``). The Keras parts need the student's Keras, so short drivers run kernel-side (they
hold no secret: the Keras set-up of the graded model, ``keras.utils.set_random_seed``, ``fit``
with the fixed settings) and send back plain data: predictions, and booleans or names for what
only the kernel can see (is it a History? is it the model it was given?). The grader prepares
the digits with nnlib.data, sends the training labels and the test *inputs* only, and scores
the predictions it gets back: test labels never enter the kernel, and the training time of
``train`` is measured here, around the call that trains.
"""

from __future__ import annotations

import itertools
import types

import numpy as np

import nnlib
import nnlib.data
from nbcourse.checks import CheckFailed, Mistake, Part, StudentError, check_function, difference
from nbcourse.harness import PartTimeout
from nbcourse.protocol import Constant

# The distributions the notebook's set-up cell imports: the sandbox offers the kernel only these.
KERNEL_PACKAGES = ("numpy", "tensorflow-cpu", "keras", "scikit-learn")

BUILD_HINT = "See the chapter 'Keras on TensorFlow', section 'Moving from nnlib to Keras'."
TRAIN_HINT = "See the chapter 'Keras on TensorFlow', section 'Trained the same way'."
WEIGHTS_HINT = "See the chapter 'Keras on TensorFlow', section 'The same model, the same starting weights'."

ACCURACY = 0.93       # test accuracy required of build_model's model and of train
TRAIN_SECONDS = 30.0  # train's time budget, measured by the grader around the call


def digits(rng):
    """The digits split as digits_split() does, with a seed drawn from ``rng``, standardised."""
    x, y = nnlib.data.load_digits()
    x_train, x_test, y_train, y_test = nnlib.data.train_holdout_split(
        x, y, holdout=0.2, seed=int(rng.integers(2**31)))
    x_train, x_test = nnlib.data.standardize(x_train, x_test)
    return x_train, x_test, y_train, y_test


def field(result, key, default=None):
    """``result[key]`` from a driver's reply (a dict, unless the student's code tampered with it)."""
    if not isinstance(result, dict):
        raise CheckFailed("the graded code's result was altered by your code: run the notebook from a "
                          "fresh kernel, without changing the grader's names")
    return result.get(key, default)


def accuracy_of(predictions, y_test) -> float:
    predictions = np.asarray(predictions, dtype=float)
    if predictions.shape != (len(y_test), 10):
        raise CheckFailed(f"the model's predictions for {len(y_test)} digits should have shape "
                          f"({len(y_test)}, 10), got {predictions.shape}")
    return float(np.mean(np.argmax(predictions, axis=1) == y_test))


# ---- Part 1: build_model ------------------------------------------------------------------------

# Kernel-side: build the student's model, look at it, try it on 50 test digits, train it with the
# fixed settings and predict the test digits. It stops at the first thing the grader will refuse.
BUILD_DRIVER = '''
import keras

def error_of(error):
    return [type(error).__name__, str(error)[:2000]]

def loss_name(model):
    loss = getattr(model, "loss", None)
    return str(loss if isinstance(loss, str) else getattr(loss, "name", getattr(loss, "__name__", repr(loss))))

def grade():
    build_model = student.get("build_model")
    if build_model is None:
        raise NameError("build_model is not defined: its answer cell is missing or stopped with an error "
                    "before defining it (see the error under that cell)")
    keras.utils.set_random_seed(seed)
    model = build_model()  # its errors reach the grader as the student's
    out = {"type": type(model).__name__, "is_model": isinstance(model, keras.Model)}
    if not out["is_model"]:
        return out
    out["compiled"] = bool(getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None)
    try:
        out["loss"] = loss_name(model)
    except Exception:
        out["loss"] = "?"
    if not out["compiled"]:
        return out
    try:
        probabilities = np.asarray(model.predict(x_test[:50], verbose=0), dtype=np.float64)
    except Exception as error:
        out["predict_error"] = error_of(error)
        return out
    out["probabilities"] = probabilities
    if probabilities.shape != (50, 10) or not (
            np.all(probabilities >= 0) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)):
        return out  # the grader says what is wrong; no use training this model
    try:
        model.fit(x_train, y_train, epochs=20, batch_size=32, verbose=0)
    except Exception as error:
        out["fit_error"] = error_of(error)
        return out
    out["predictions"] = np.asarray(model.predict(x_test, verbose=0), dtype=np.float64)
    return out

result = grade()
'''


def check_build(student, rng):
    x_train, x_test, y_train, y_test = digits(rng)
    try:
        result, _ = student.run(BUILD_DRIVER, x_train=x_train, y_train=y_train, x_test=x_test,
                                seed=int(rng.integers(2**31)))
    except StudentError as error:
        raise CheckFailed(error.describe("build_model()")) from None
    if not field(result, "is_model"):
        raise CheckFailed(f"build_model() should return a keras.Sequential, got {field(result, 'type')}")
    if not field(result, "compiled"):
        raise CheckFailed("build_model() returned a model that is not compiled: call model.compile(optimizer='adam', "
                          "loss=..., metrics=['accuracy']) before returning it. " + BUILD_HINT)
    loss = str(field(result, "loss", "?"))
    predict_error = field(result, "predict_error")
    if predict_error is not None:
        kind, message = predict_error
        raise CheckFailed(f"the model cannot take the 64 standardised pixels of the digits: predict raised "
                          f"{kind}: {message}. Start it with keras.Input(shape=(64,)). {BUILD_HINT}")
    probabilities = np.asarray(field(result, "probabilities"), dtype=float)
    if probabilities.shape != (50, 10):
        raise CheckFailed(f"predictions for 50 digits should have shape (50, 10), one column per class, "
                          f"got {probabilities.shape}. {BUILD_HINT}")
    if not (np.all(probabilities >= 0) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)):
        raise CheckFailed("the outputs are not probabilities (rows do not sum to 1): it looks like the output "
                          "layer has no softmax; the notes' recipe for classification puts a softmax on the "
                          "output layer. " + BUILD_HINT)
    fit_error = field(result, "fit_error")
    if fit_error is not None:
        kind, message = fit_error
        hint = ""
        if "categorical_crossentropy" in loss and "sparse" not in loss:
            hint = ("it looks like the loss is categorical_crossentropy, which needs one-hot labels: "
                    "for integer labels 0..9 use sparse_categorical_crossentropy. ")
        raise CheckFailed(f"training your model on integer labels 0..9 raised {kind}: "
                          f"{str(message)[:300]} ... {hint}{BUILD_HINT}")
    accuracy = accuracy_of(field(result, "predictions"), y_test)
    if accuracy < ACCURACY:
        raise CheckFailed(f"after fit(epochs=20, batch_size=32) your model reaches a test accuracy of "
                          f"{accuracy:.3f}; it should reach at least {ACCURACY} (loss {loss!r}). {BUILD_HINT}")
    return f"Your model reached a test accuracy of {accuracy:.3f} (at least {ACCURACY} needed)."


# ---- Part 2: train ------------------------------------------------------------------------------

GRADED_MODEL = "_nbcourse_graded_model"  # where the graded model waits in the kernel between the calls

# Kernel-side, in three calls, so that the grader times the call that trains and nothing else.
TRAIN_SETUP_DRIVER = '''
import keras

keras.utils.set_random_seed(seed)
model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
student[key] = model
result = None
'''

TRAIN_DRIVER = '''
import keras

train = student.get("train")
if train is None:
    raise NameError("train is not defined: its answer cell is missing or stopped with an error "
                    "before defining it (see the error under that cell)")
model = student[key]
history = train(model, x_train, y_train)  # its errors reach the grader as the student's
result = {"type": type(history).__name__, "is_history": isinstance(history, keras.callbacks.History)}
if result["is_history"]:
    result["same_model"] = getattr(history, "model", None) is model
    try:
        result["epochs"] = len(history.history.get("loss", []))
    except Exception:
        result["epochs"] = 0
'''

TRAIN_PREDICT_DRIVER = '''
model = student.pop(key, None)
result = None if x_test is None else np.asarray(model.predict(x_test, verbose=0), dtype=np.float64)
'''


def check_train(student, rng):
    x_train, x_test, y_train, y_test = digits(rng)
    student.run(TRAIN_SETUP_DRIVER, seed=int(rng.integers(2**31)), key=GRADED_MODEL)
    try:
        result, seconds = student.run(TRAIN_DRIVER, key=GRADED_MODEL, x_train=x_train, y_train=y_train)
    except StudentError as error:
        student.run(TRAIN_PREDICT_DRIVER, key=GRADED_MODEL, x_test=None)  # forget the graded model
        if error.outcome.raised == "NotImplementedError":
            raise CheckFailed("train is not implemented yet") from None
        message = error.outcome.message
        hint = ""
        if "rank" in message or "shape" in message:
            hint = ("The labels must stay integers 0..9: the model's loss is sparse_categorical_crossentropy, "
                    "so do not one-hot encode them. ")
        raise CheckFailed(f"train(model, x_train, y_train) raised {error.outcome.raised}: {message[:300]} ... "
                          f"{hint}{TRAIN_HINT}") from None
    except PartTimeout:
        raise CheckFailed(f"train ran past this part's time limit and was stopped; its budget is "
                          f"{TRAIN_SECONDS:.0f} s: use fewer epochs or larger batches. {TRAIN_HINT}") from None
    try:
        predictions, _ = student.run(TRAIN_PREDICT_DRIVER, key=GRADED_MODEL, x_test=x_test)
    except StudentError as error:
        raise CheckFailed(f"after train, the model it was given cannot predict the test digits: "
                          f"{error.describe('model.predict(x_test)')}. {TRAIN_HINT}") from None
    accuracy = accuracy_of(predictions, y_test)
    if not field(result, "is_history"):
        raise CheckFailed(f"train should return the History that model.fit returns, got {field(result, 'type')}. "
                          + TRAIN_HINT)
    if not field(result, "same_model"):
        raise CheckFailed("train trained another model than the one it was given: call fit on the model passed "
                          "in. " + TRAIN_HINT)
    if accuracy < ACCURACY:
        epochs = field(result, "epochs", 0)
        raise CheckFailed(f"after train the test accuracy is {accuracy:.3f} ({epochs} "
                          f"epoch{'s' if epochs != 1 else ''}); it should be at least {ACCURACY}: train for more "
                          f"epochs. {TRAIN_HINT}")
    if seconds > TRAIN_SECONDS:
        raise CheckFailed(f"train took {seconds:.1f} s; the budget is {TRAIN_SECONDS:.0f} s: use fewer epochs or "
                          "larger batches. " + TRAIN_HINT)
    return (f"Your train reached a test accuracy of {accuracy:.3f} in {seconds:.1f} s "
            f"({ACCURACY} and {TRAIN_SECONDS:.0f} s allowed).")


# ---- Part 3: to_keras_weights -------------------------------------------------------------------

def reference_keras_weights(layers):
    # nnlib keeps Dense kernels as Keras does, (inputs, units): a round trip through an nnlib model checks the shapes.
    model = nnlib.Sequential([nnlib.layers.Dense(W.shape[0]) for W, _ in layers])
    model.build(layers[0][0].shape[1])
    model.set_weights([w for W, b in layers for w in (W.T, b)])
    return model.get_weights()


def check_convert(student, rng):
    cases = []
    for sizes in [(3, 4, 2), (64, 32, 10), (5, 1), (2, 2, 2, 1), (8, 8, 8)]:
        cases.append(([(rng.normal(size=(b, a)), rng.normal(size=b))
                       for a, b in itertools.pairwise(sizes)],))
    check_function(
        student.function("to_keras_weights"), reference_keras_weights, name="to_keras_weights", cases=cases,
        mistakes=[
            Mistake("the kernels are not transposed: Keras wants (inputs, units), the given W is (units, inputs)",
                    lambda layers: [w for W, b in layers for w in (W, b)], WEIGHTS_HINT),
            Mistake("the list is not flat: set_weights takes [W1, b1, W2, b2, ...], not a list of pairs",
                    lambda layers: [(W.T, b) for W, b in layers], WEIGHTS_HINT),
            Mistake("the biases are (1, units) rows: Keras's biases have shape (units,)",
                    lambda layers: [w for W, b in layers for w in (W.T, b[None, :])], WEIGHTS_HINT),
        ],
    )


# ---- Part 4: same_as_nnlib ----------------------------------------------------------------------

# Kernel-side: the student's twin of the stand-in, its predictions for x (float32, as Keras computes)
# and its weights.
TWIN_DRIVER = '''
import keras

same_as_nnlib = student.get("same_as_nnlib")
if same_as_nnlib is None:
    raise NameError("same_as_nnlib is not defined: its answer cell is missing or stopped with an error "
                    "before defining it (see the error under that cell)")
twin = same_as_nnlib(nnlib_model)
if not isinstance(twin, keras.Model):
    raise TypeError(f"same_as_nnlib should return a keras.Sequential, got {type(twin).__name__}")
result = {"predictions": np.asarray(twin(np.asarray(x, dtype=np.float32)), dtype=np.float64),
          "weights": [np.asarray(w) for w in twin.get_weights()]}
'''


def stand_in(spec, weights):
    """What same_as_nnlib may read of an nnlib model, as plain data: input_dim, layers (units,
    activation.name) and get_weights()."""
    return types.SimpleNamespace(
        input_dim=int(weights[0].shape[0]),
        layers=[types.SimpleNamespace(units=units, activation=types.SimpleNamespace(name=activation))
                for units, activation in spec],
        get_weights=Constant([np.array(w) for w in weights]),
    )


def nnlib_model(spec, weights):
    model = nnlib.Sequential([nnlib.layers.Dense(units, activation=activation) for units, activation in spec])
    model.build(weights[0].shape[0])
    model.set_weights(weights)
    return model


def nnlib_predictions(spec, weights, x, activations=None):
    if activations is not None:
        spec = [(units, activation) for (units, _), activation in zip(spec, activations(spec), strict=True)]
    return nnlib_model(spec, weights).predict(x)


def check_twin(student, rng):
    def twin(spec, weights, x):
        result, _ = student.run(TWIN_DRIVER, nnlib_model=stand_in(spec, weights), x=x)
        return result

    def twin_predictions(spec, weights, x):
        return field(twin(spec, weights, x), "predictions")

    cases = []
    for inputs, spec in [(5, [(8, "relu"), (3, "softmax")]), (2, [(4, "tanh"), (4, "sigmoid"), (1, "linear")]),
                         (3, [(1, "sigmoid")]), (64, [(32, "relu"), (16, "relu"), (10, "softmax")])]:
        sizes = [inputs] + [units for units, _ in spec]
        weights = [w for a, b in itertools.pairwise(sizes)
                   for w in (rng.normal(0, 1 / np.sqrt(a), (a, b)), rng.normal(0, 0.5, b))]
        cases.append((spec, weights, rng.normal(size=(20, inputs))))
    spec, weights, x = cases[0]
    try:
        twin_weights = field(twin(spec, weights, x), "weights")
    except StudentError:
        twin_weights = None  # check_function below reports the error with its inputs
    if twin_weights is not None and difference(list(twin_weights), weights, rtol=1e-6, atol=1e-6):
        raise CheckFailed("the twin's weights are not the nnlib model's: after building the Keras layers, copy "
                          "the weights with model.set_weights(nnlib_model.get_weights()). " + WEIGHTS_HINT)
    check_function(
        twin_predictions, nnlib_predictions, cases=cases, rtol=1e-4, atol=1e-5,
        name="same_as_nnlib(nnlib model of these layers and weights), predictions for x: ",
        mistakes=[
            Mistake("the activations are missing: every Dense layer needs activation=layer.activation.name",
                    lambda spec, w, x: nnlib_predictions(spec, w, x, lambda s: ["linear"] * len(s)), WEIGHTS_HINT),
            Mistake("the output layer has no activation: copy the last layer's activation too",
                    lambda spec, w, x: nnlib_predictions(spec, w, x, lambda s: [a for _, a in s[:-1]] + ["linear"]),
                    WEIGHTS_HINT),
            Mistake("every layer has a ReLU: copy each layer's own activation",
                    lambda spec, w, x: nnlib_predictions(spec, w, x, lambda s: ["relu"] * len(s)), WEIGHTS_HINT),
        ],
    )
    return "Your Keras twins predict what the nnlib models predict."


PARTS = [
    Part("build_test", check_build, seconds=180),
    Part("train_test", check_train, seconds=180),
    Part("convert_test", check_convert),
    Part("twin_test", check_twin, seconds=180),
]
