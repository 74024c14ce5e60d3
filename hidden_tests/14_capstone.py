"""Hidden tests of exercise 14, Your own network, end to end: they run in the grader, never in the kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it. docs/authoring.md explains the format.

Parts 1 to 5 are the pieces, each compared with nnlib. Part 6 trains: the grader splits the digits
with a seed drawn from ``rng``, standardises them and turns the 64 pixels by a secret random rotation
(the same for the training and the test digits), sends the training digits and their labels into
the kernel, and gets back the trained weights only, as plain arrays, a list of (W, b). It then
computes the predictions itself, with nnlib, on test digits that never enter the kernel: no lookup
table and no other classifier can score, only a network of Dense layers with ReLU between them and
a softmax at the end. The kernel cannot import scikit-learn (KERNEL_PACKAGES), so it cannot load the
digits' labels, and weights trained in advance, or on digits copied into the notebook, do not fit
the rotated pixels. Where one of the student's pieces fails its own part, Part 6 trains with
nnlib's piece in its place (served by the grader), so a mistake costs only its own part.
"""

from __future__ import annotations

import numpy as np

import nnlib
import nnlib.data
import nnlib.gradcheck
from nbcourse.checks import CheckFailed, Mistake, Part, StudentError, check_function
from nbcourse.harness import PartTimeout

# What the kernel may import: NumPy (and matplotlib, to plot), never scikit-learn, which holds the digits.
KERNEL_PACKAGES = ("numpy", "matplotlib")

CHAPTER = "See the chapter 'Your own network, end to end', section"
FORWARD_HINT = f"{CHAPTER} 'The forward pass'."
BACKWARD_HINT = f"{CHAPTER} 'The backward pass'."
SOFTMAX_HINT = f"{CHAPTER} 'Softmax and cross-entropy, from the logits'."
ADAM_HINT = f"{CHAPTER} 'Adam for every parameter'."
GRADCHECK_HINT = f"{CHAPTER} 'Checking the gradients'."
TRAIN_HINT = f"{CHAPTER} 'How it is graded'."

ACCURACY = 0.95          # test accuracy required of the trained network
TRAIN_SECONDS = 60.0     # train's time budget, measured by the grader around the call
MAX_PARAMETERS = 1_000_000
PART_SECONDS = 300.0     # the part's hard limit (training with pieces served by the grader is slower)


# ---- Part 1: dense_forward and dense_backward -----------------------------------------------------

def dense_layer(W, b=None):
    layer = nnlib.layers.Dense(W.shape[1])
    layer.build(W.shape[0], np.random.default_rng(0))
    layer.set_weights([W, np.zeros(W.shape[1]) if b is None else b])
    return layer


def ref_dense_forward(X, W, b):
    return dense_layer(W, b).forward(X)


def ref_dense_backward(dZ, X, W):
    layer = dense_layer(W)
    layer.forward(X)
    dX = layer.backward_from_z(dZ)
    dW, db = layer.grads
    return dX, dW, db


def dense_cases(rng, forward: bool):
    def case(batch, n_in, n_out):
        X, W = rng.normal(size=(batch, n_in)), rng.normal(size=(n_in, n_out))
        return (X, W, rng.normal(size=n_out)) if forward else (rng.normal(size=(batch, n_out)), X, W)

    cases = [case(4, 3, 3)]  # square first: a transposed W or X then gives a wrong value, not an error
    if forward:
        cases += [(np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]]),
                   np.array([0.5, -0.5, 1.0])),                       # the visible check's example
                  (np.ones((1, 2)), np.zeros((2, 3)), np.array([1.0, 2.0, 3.0]))]  # zero weights: Z = b
    else:
        cases += [(np.array([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0], [1.0, 1.0, 1.0]]),
                   np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]]),
                   np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])),   # the visible check's example
                  (np.array([[2.0]]), np.array([[3.0]]), np.array([[-1.0]]))]  # one example, one unit
    cases += [case(int(rng.integers(2, 40)), int(rng.integers(2, 12)), int(rng.integers(2, 12))),
              case(5, 64, 10), case(1, 7, 2)]
    return cases


def check_dense(student, rng):
    check_function(
        student.function("dense_forward"), ref_dense_forward, name="dense_forward", cases=dense_cases(rng, True),
        mistakes=[
            Mistake("the bias was left out: Z = X W + b", lambda X, W, b: X @ W, FORWARD_HINT),
            Mistake("W was transposed: rows are examples and W has shape (n_in, n_out), so Z = X W + b",
                    lambda X, W, b: X @ W.T + b, FORWARD_HINT),
        ],
    )
    check_function(
        student.function("dense_backward"), ref_dense_backward, name="dense_backward",
        cases=dense_cases(rng, False),
        mistakes=[
            Mistake("dX = dZ W: the error goes back through the transposed weights, dX = dZ W^T",
                    lambda dZ, X, W: (dZ @ W, X.T @ dZ, dZ.sum(axis=0)), BACKWARD_HINT),
            Mistake("dW = dZ^T X has the shape (n_out, n_in): the gradient of W has W's shape, dW = X^T dZ",
                    lambda dZ, X, W: (dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)), BACKWARD_HINT),
            Mistake("db is the mean of dZ over the batch: dZ already holds the 1/B of the cost, so db sums it",
                    lambda dZ, X, W: (dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)), BACKWARD_HINT),
            Mistake("dW and db were divided by the batch size again: dZ already holds the 1/B of the cost",
                    lambda dZ, X, W: (dZ @ W.T, X.T @ dZ / len(X), dZ.sum(axis=0) / len(X)), BACKWARD_HINT),
        ],
    )
    return "Passed: your dense layer's forward and backward passes agree with nnlib's on every hidden case."


# ---- Part 2: relu_forward and relu_backward --------------------------------------------------------

def ref_relu_backward(dA, Z):
    return dA * nnlib.activations.relu_derivative(Z)


def check_relu(student, rng):
    zs = [np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]]),                  # the visible check's example, with z = 0
          np.array([[1.0, -1.0], [-3.0, 4.0], [0.0, 2.5]]),          # a batch of three examples
          np.zeros((2, 3)),                                          # z = 0 exactly: the derivative is 0
          np.array([[1e6, -1e6]])]                                   # large values
    zs += [rng.normal(size=(int(rng.integers(2, 30)), int(rng.integers(2, 12)))) for _ in range(2)]
    check_function(
        student.function("relu_forward"), nnlib.activations.relu, name="relu_forward", cases=[(z,) for z in zs],
        mistakes=[
            Mistake("np.max(Z, 0) takes the largest entry of each column; ReLU compares each entry with 0: "
                    "np.maximum(Z, 0)", lambda z: np.max(z, 0), FORWARD_HINT),
            Mistake("the positive values were set to 0 instead of the negative ones: max(0, z), not min",
                    lambda z: np.minimum(z, 0), FORWARD_HINT),
        ],
    )
    cases = [(np.ones_like(z), z) for z in zs[:3]]
    cases += [(rng.normal(size=z.shape), z) for z in zs]
    check_function(
        student.function("relu_backward"), ref_relu_backward, name="relu_backward", cases=cases,
        mistakes=[
            Mistake("it returned ReLU's derivative f'(Z) alone: the backward pass multiplies it with the "
                    "incoming gradient, dZ = dA * f'(Z)", lambda dA, z: (z > 0).astype(float), BACKWARD_HINT),
            Mistake("the derivative at z = 0 was taken as 1: nnlib, like TensorFlow, takes it as 0 (z > 0)",
                    lambda dA, z: dA * (z >= 0), BACKWARD_HINT),
            Mistake("the incoming gradient was multiplied by ReLU(Z), not by its derivative",
                    lambda dA, z: dA * np.maximum(z, 0), BACKWARD_HINT),
        ],
    )
    return "Passed: your ReLU's forward and backward passes agree with nnlib's on every hidden case."


# ---- Part 3: softmax_cross_entropy ---------------------------------------------------------------

def one_hot(y, k):
    return np.eye(k)[np.asarray(y)]


def ref_softmax_ce(Z, y):
    cost = nnlib.losses.sparse_categorical_crossentropy_from_logits(y, Z)
    return float(cost), (nnlib.activations.softmax(Z) - one_hot(y, Z.shape[1])) / len(y)


def naive_softmax(Z):
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)


def mistaken_ce(Z, y, kind):
    B, k = Z.shape
    p = naive_softmax(Z) if kind == "overflow" else nnlib.activations.softmax(Z)
    picked = p[np.arange(B), y]
    if kind == "clip":
        picked = np.clip(picked, 1e-7, 1 - 1e-7)
    cost = -np.mean(np.log(picked))
    grad = (p - one_hot(y, k)) / B
    if kind == "sum":
        return float(cost * B), grad * B
    if kind == "no 1/B":
        return float(cost), grad * B
    if kind == "no -1":
        return float(cost), p / B
    return float(cost), grad


def check_softmax_ce(student, rng):
    cases = [(np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), np.array([0, 2])),  # the visible check's example
             (np.zeros((4, 10)), np.array([0, 3, 9, 3])),                       # uniform: C = ln 10
             (np.array([[1000.0, 0.0, -1000.0]]), np.array([2])),                 # large logits: no overflow
             (np.array([[-800.0, -801.0], [5.0, 700.0]]), np.array([0, 1]))]
    for _ in range(2):
        batch, k = int(rng.integers(2, 40)), int(rng.integers(2, 11))
        cases.append((rng.normal(0, 3, size=(batch, k)), rng.integers(0, k, size=batch)))
    check_function(
        student.function("softmax_cross_entropy"), ref_softmax_ce, name="softmax_cross_entropy", cases=cases,
        mistakes=[
            Mistake("the softmax overflowed for large logits: subtract each row's maximum before np.exp "
                    "(it changes nothing else)", lambda Z, y: mistaken_ce(Z, y, "overflow"), SOFTMAX_HINT),
            Mistake("the probabilities were clipped before the log, as Keras does for probabilities: from the "
                    "logits, log p = z - logsumexp(z) needs no clip", lambda Z, y: mistaken_ce(Z, y, "clip"),
                    SOFTMAX_HINT),
            Mistake("the losses were summed over the batch: the cost C is their mean, and its gradient has "
                    "the factor 1/B", lambda Z, y: mistaken_ce(Z, y, "sum"), SOFTMAX_HINT),
            Mistake("the gradient has no factor 1/B: C is the mean of the B losses, so dC/dZ = (P - Y) / B",
                    lambda Z, y: mistaken_ce(Z, y, "no 1/B"), SOFTMAX_HINT),
            Mistake("the gradient is P / B: subtract 1 at each example's true class, (P - Y) / B",
                    lambda Z, y: mistaken_ce(Z, y, "no -1"), SOFTMAX_HINT),
        ],
    )
    return "Passed: your softmax cross-entropy and its gradient agree with nnlib's on every hidden case."


# ---- Part 4: adam_step ----------------------------------------------------------------------------

def ref_adam_step(params, grads, m, s, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    params = [np.array(p, dtype=float) for p in params]
    optimizer = nnlib.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    optimizer.build(params)
    optimizer.set_state_arrays({"m": m, "v": s})
    optimizer.iterations = int(t) - 1
    optimizer.apply([np.asarray(g, dtype=float) for g in grads], params)
    return params, [a.copy() for a in optimizer.m], [a.copy() for a in optimizer.v]


def mistaken_adam(kind):
    def step(params, grads, m, s, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        new_p, new_m, new_s = [], [], []
        for index, (p, g, m_, s_) in enumerate(zip(params, grads, m, s, strict=True)):
            m_ = beta_1 * m_ + (1 - beta_1) * g
            s_ = beta_2 * s_ + (1 - beta_2) * g**2
            tt = t + 1 if kind == "t+1" else t
            if kind == "textbook":
                m_hat, s_hat = m_ / (1 - beta_1**t), s_ / (1 - beta_2**t)
                step_ = learning_rate * m_hat / (np.sqrt(s_hat) + epsilon)
            elif kind == "no correction":
                step_ = learning_rate * m_ / (np.sqrt(s_) + epsilon)
            else:
                rate = learning_rate * np.sqrt(1 - beta_2**tt) / (1 - beta_1**tt)
                step_ = rate * m_ / (np.sqrt(s_) + epsilon)
            if kind == "first only" and index > 0:
                step_ = 0 * step_
            new_p.append(p - step_)
            new_m.append(m_)
            new_s.append(s_)
        return new_p, new_m, new_s

    return step


def check_adam(student, rng):
    def state(shapes, scale=1.0):
        return ([rng.normal(size=k) for k in shapes], [scale * rng.normal(size=k) for k in shapes],
                [0.1 * scale * rng.normal(size=k) for k in shapes], [(0.1 * scale * rng.normal(size=k)) ** 2
                                                                     for k in shapes])

    zeros = [np.zeros(2), np.zeros(2)]
    cases = [([np.array([1.0, -2.0])], [np.array([0.5, -0.5])], [np.zeros(2)], [np.zeros(2)], 1),  # first step
             ([np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.0, 1.0])],
              [np.array([[0.1, -0.2], [0.3, 0.0]]), np.array([1.0, -1.0])],
              [np.zeros((2, 2)), np.zeros(2)], [np.zeros((2, 2)), np.zeros(2)], 1),   # a layer's W and b
             ([np.ones(2), np.ones(2)], [np.full(2, 1e-9), np.full(2, -1e-9)], zeros, zeros, 1)]  # tiny gradients
    p, g, m, s = state([(3, 4), (4,), (4, 2), (2,)])
    cases.append((p, g, m, s, int(rng.integers(2, 50))))
    p, g, m, s = state([(5, 3), (3,)], scale=1e-6)
    cases.append((p, g, m, s, int(rng.integers(1, 2000)), 0.01, 0.8, 0.99, 1e-6))  # other hyper-parameters
    check_function(
        student.function("adam_step"), ref_adam_step, name="adam_step", cases=cases,
        mistakes=[
            Mistake("the moments were not corrected for starting at 0: the rate is "
                    "eta sqrt(1 - beta_2^t) / (1 - beta_1^t)", mistaken_adam("no correction"), ADAM_HINT),
            Mistake("the textbook form, eta m_hat / (sqrt(s_hat) + epsilon), was used: this part asks for Keras's "
                    "form, whose epsilon is added to sqrt(s) itself", mistaken_adam("textbook"), ADAM_HINT),
            Mistake("the step number t was increased before use: the step given as t is the t of the correction",
                    mistaken_adam("t+1"), ADAM_HINT),
            Mistake("only the first parameter array was updated: every array of the list takes a step",
                    mistaken_adam("first only"), ADAM_HINT),
        ],
    )
    return "Passed: your Adam step agrees with nnlib's on every hidden case."


# ---- Part 5: numerical_gradient -------------------------------------------------------------------

# Kernel-side: a function of the array x made from the given A and G, the student's numerical gradient of
# it, and whether x came back unchanged (the largest change is sent back).
GRADIENT_DRIVER = '''
numerical_gradient = student.get("numerical_gradient")
if numerical_gradient is None:
    raise NameError("numerical_gradient is not defined: its answer cell is missing or stopped with an "
                    "error before defining it (see the error under that cell)")

def f(w):
    return float(np.sum(np.tanh(np.asarray(w, dtype=float) @ A) * G))

before = np.array(x, copy=True)
grad = numerical_gradient(f, x, h)
try:
    change = float(np.max(np.abs(np.asarray(x, dtype=float) - before))) if np.shape(x) == before.shape else -1.0
except Exception:
    change = -1.0
result = (grad, change)
'''


def tanh_function(A, G):
    return lambda w: float(np.sum(np.tanh(np.asarray(w, dtype=float) @ A) * G))


def ref_numerical_gradient(x, h, A, G):
    x = np.array(x, dtype=float)
    f = tanh_function(A, G)
    return nnlib.gradcheck.numerical_gradient(lambda: f(x), x, h)


def mistaken_gradient(kind):
    def gradient(x, h, A, G):
        x = np.array(x, dtype=float)
        f = tanh_function(A, G)
        grad = np.zeros_like(x)
        indices = range(len(x)) if kind == "rows" else np.ndindex(x.shape)
        for i in indices:
            plus, minus = x.copy(), x.copy()
            plus[i] += h
            minus[i] -= h
            if kind == "forward":
                grad[i] = (f(plus) - f(x)) / h
            elif kind == "h":
                grad[i] = (f(plus) - f(minus)) / h
            else:
                grad[i] = (f(plus) - f(minus)) / (2 * h)
        return grad

    return gradient


def check_gradcheck(student, rng):
    def student_gradient(x, h, A, G):
        result, _ = student.run(GRADIENT_DRIVER, x=x, h=h, A=A, G=G)
        if not isinstance(result, tuple) or len(result) != 2:
            raise CheckFailed("the graded code's result was altered by your code: run the notebook from a fresh "
                              "kernel, without changing the grader's names")
        grad, change = result
        if not isinstance(change, float) or change < 0 or change > 1e-12 * (1 + float(np.max(np.abs(x)))):
            raise CheckFailed(f"numerical_gradient(f, x of shape {np.shape(x)}, h={h}) left x changed: put each "
                              "entry back to its own value after nudging it (assign the saved value; adding and "
                              "subtracting h leaves rounding errors), or work on a copy. " + GRADCHECK_HINT)
        return grad

    cases = [(np.array([0.5, -1.0, 2.0]), 1e-3, np.array([[1.0, 0.5], [-0.5, 1.0], [0.2, 0.3]]),
              np.array([1.0, -2.0])),                                           # a vector, as in the visible check
             (np.array([[0.1, -0.2, 0.3], [0.4, 0.0, -0.6]]), 1e-3, rng.normal(size=(3, 4)),
              rng.normal(size=(2, 4))),                                        # a matrix, like a layer's W
             (np.array([[2.0]]), 1e-4, np.array([[0.7]]), np.array([[1.5]]))]   # one entry
    for shape in [(int(rng.integers(2, 6)), int(rng.integers(2, 8))), (int(rng.integers(2, 10)),)]:
        cases.append((rng.normal(size=shape), 1e-3, rng.normal(size=(shape[-1], 3)),
                      rng.normal(size=(*shape[:-1], 3))))
    check_function(
        student_gradient, ref_numerical_gradient, name="numerical_gradient(f, x, h) with (x, h, A, G) = ",
        cases=cases, rtol=1e-6, atol=1e-8,
        mistakes=[
            Mistake("the forward difference (f(x + h) - f(x)) / h was used: its error is of order h, the "
                    "central difference (f(x + h) - f(x - h)) / 2h has an error of order h^2",
                    mistaken_gradient("forward"), GRADCHECK_HINT),
            Mistake("the central difference was divided by h instead of 2h", mistaken_gradient("h"),
                    GRADCHECK_HINT),
            Mistake("a whole row of x was nudged at a time (x[i] is a row of a matrix): nudge one entry at a time, "
                    "e.g. for i in np.ndindex(x.shape)", mistaken_gradient("rows"), GRADCHECK_HINT),
        ],
    )
    return "Passed: your numerical gradient agrees with nnlib's on every hidden case, and leaves x as it was."


# ---- Part 6: train --------------------------------------------------------------------------------

def digits_task(rng):
    """The grader's split of the digits: 80 % to train, 20 % to test, standardised with the training
    statistics, then turned by a random rotation of the 64 pixels (the same for both)."""
    x, y = nnlib.data.load_digits()
    x_train, x_test, y_train, y_test = nnlib.data.train_holdout_split(x, y, holdout=0.2,
                                                                      seed=int(rng.integers(2**31)))
    x_train, x_test = nnlib.data.standardize(x_train, x_test)
    q, r = np.linalg.qr(rng.normal(size=(64, 64)))
    rotation = q * np.sign(np.diag(r))
    return x_train @ rotation, x_test @ rotation, y_train, y_test


# The pieces train may call, with their parameters, for the grader's stand-ins: a stand-in takes its
# arguments by position, so the driver below turns keyword arguments into positional ones first.
PIECES = {
    "dense": {"dense_forward": (["X", "W", "b"], {}), "dense_backward": (["dZ", "X", "W"], {})},
    "relu": {"relu_forward": (["Z"], {}), "relu_backward": (["dA", "Z"], {})},
    "softmax_ce": {"softmax_cross_entropy": (["Z", "y"], {})},
    "adam": {"adam_step": (["params", "grads", "m", "s", "t", "learning_rate", "beta_1", "beta_2", "epsilon"],
                           {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7})},
}
REFERENCES = {"dense_forward": ref_dense_forward, "dense_backward": ref_dense_backward,
              "relu_forward": nnlib.activations.relu, "relu_backward": ref_relu_backward,
              "softmax_cross_entropy": ref_softmax_ce, "adam_step": ref_adam_step}
PIECE_CHECKS = {"dense": check_dense, "relu": check_relu, "softmax_ce": check_softmax_ce, "adam": check_adam}

# Kernel-side: the stand-ins (if any) take keyword arguments too, then the student's train is called.
TRAIN_DRIVER = '''
def positional(stand_in, names, defaults):
    def call(*args, **kwargs):
        values = list(args)
        for name in names[len(args):]:
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif name in defaults:
                values.append(defaults[name])
            else:
                raise TypeError(f"{stand_in.__name__}() is missing the argument {name!r}")
        if kwargs:
            raise TypeError(f"{stand_in.__name__}() got unexpected arguments {sorted(kwargs)}")
        return stand_in(*values)
    return call

for name, (names, defaults) in signatures.items():
    student[name] = positional(student[name], names, defaults)
train = student.get("train")
if train is None:
    raise NameError("train is not defined: its answer cell is missing or stopped with an error "
                    "before defining it (see the error under that cell)")
result = train(x_train, y_train, seed)
'''


def broken_pieces(student, rng) -> list[str]:
    """The parts among the pieces that fail their own check (on cases of their own)."""
    broken = []
    for part, check in PIECE_CHECKS.items():
        try:
            check(student, np.random.default_rng(rng.integers(2**63)))
        except (CheckFailed, StudentError, PartTimeout):
            broken.append(part)
    return broken


def network_layers(result) -> list[tuple[np.ndarray, np.ndarray]]:
    """train's result as a list of (W, b) with shapes that chain from 64 inputs to 10 classes."""
    if not isinstance(result, (list, tuple)) or not result:
        raise CheckFailed(f"train should return a list of (W, b) pairs, one per Dense layer, got "
                          f"{type(result).__name__}. {TRAIN_HINT}")
    if not all(isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in result):
        raise CheckFailed("train should return a list of (W, b) pairs, one per Dense layer: "
                          "[(W1, b1), (W2, b2), ...], not a flat list of arrays. " + TRAIN_HINT)
    layers, inputs, count = [], 64, 0
    for index, (W, b) in enumerate(result, start=1):
        try:
            W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
        except (TypeError, ValueError):
            raise CheckFailed(f"layer {index}'s W and b should be arrays of numbers. {TRAIN_HINT}") from None
        if W.ndim != 2 or W.shape[0] != inputs:
            turned = " (it looks transposed: rows are examples, so W is (n_in, n_out))" if (
                W.ndim == 2 and W.shape[1] == inputs) else ""
            raise CheckFailed(f"layer {index}'s W should have shape ({inputs}, units), got {W.shape}{turned}. "
                              + TRAIN_HINT)
        if b.shape != (W.shape[1],):
            raise CheckFailed(f"layer {index}'s b should have shape ({W.shape[1]},), one bias per unit, "
                              f"got {b.shape}. {TRAIN_HINT}")
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise CheckFailed(f"layer {index}'s weights are not all finite (nan or inf): the training diverged; "
                              f"try a smaller learning rate. {TRAIN_HINT}")
        count += W.size + b.size
        layers.append((W, b))
        inputs = W.shape[1]
    if inputs != 10:
        raise CheckFailed(f"the last layer should have 10 units, one per digit, got {inputs}. {TRAIN_HINT}")
    if len(layers) < 2:
        raise CheckFailed("the network has a single Dense layer: put at least one hidden ReLU layer before "
                          "the softmax layer. " + TRAIN_HINT)
    if count > MAX_PARAMETERS:
        raise CheckFailed(f"the network has {count:,} parameters; at most {MAX_PARAMETERS:,} are allowed. "
                          + TRAIN_HINT)
    return layers


def predict(layers, x) -> np.ndarray:
    """nnlib's predictions: Dense layers with ReLU between them and a softmax at the end."""
    model = nnlib.Sequential([nnlib.layers.Dense(W.shape[1], activation="relu") for W, _ in layers[:-1]]
                             + [nnlib.layers.Dense(10, activation="softmax")])
    model.build(64)
    model.set_weights([w for pair in layers for w in pair])
    return model.predict(x)


def check_train(student, rng):
    x_train, x_test, y_train, y_test = digits_task(rng)
    broken = broken_pieces(student, rng)
    substitutes = {name: REFERENCES[name] for part in broken for name in PIECES[part]}
    signatures = {name: list(signature) for part in broken for name, signature in PIECES[part].items()}
    try:
        result, seconds = student.run(TRAIN_DRIVER, substitutes=substitutes, signatures=signatures,
                                      x_train=x_train, y_train=y_train, seed=int(rng.integers(2**31)))
    except StudentError as error:
        if error.outcome.raised == "NotImplementedError":
            raise CheckFailed("train is not implemented yet") from None
        raise CheckFailed(f"{error.describe('train(x_train, y_train, seed)')[:600]} {TRAIN_HINT}") from None
    except PartTimeout:
        raise CheckFailed(f"train ran past this part's time limit and was stopped; its budget is "
                          f"{TRAIN_SECONDS:.0f} s: use fewer epochs or a smaller network. {TRAIN_HINT}") from None
    layers = network_layers(result)
    accuracy = float(np.mean(np.argmax(predict(layers, x_test), axis=1) == y_test))
    sizes = " -> ".join(str(n) for n in [64] + [W.shape[1] for W, _ in layers])
    if accuracy < ACCURACY:
        raise CheckFailed(f"your network ({sizes}) reaches a test accuracy of {accuracy:.3f}; it should reach at "
                          f"least {ACCURACY}: train for more epochs, or check the learning rate. {TRAIN_HINT}")
    if broken:
        pieces = ", ".join(sorted(substitutes))
        return (f"Passed: your network ({sizes}) reached a test accuracy of {accuracy:.3f} (at least "
                f"{ACCURACY} needed), trained with nnlib's {pieces} in place of yours, which fail their own "
                f"part (so the time, {seconds:.1f} s, was not held to the budget).")
    if seconds > TRAIN_SECONDS:
        raise CheckFailed(f"train took {seconds:.1f} s; the budget is {TRAIN_SECONDS:.0f} s: use fewer epochs or "
                          f"a smaller network. {TRAIN_HINT}")
    return (f"Passed: your network ({sizes}) reached a test accuracy of {accuracy:.3f} in {seconds:.1f} s "
            f"({ACCURACY} and {TRAIN_SECONDS:.0f} s allowed).")


PARTS = [
    Part("dense_test", check_dense),
    Part("relu_test", check_relu),
    Part("softmax_ce_test", check_softmax_ce),
    Part("adam_test", check_adam),
    Part("gradcheck_test", check_gradcheck),
    Part("train_test", check_train, seconds=PART_SECONDS),
]
