"""Hidden tests of exercise 3, Backpropagation: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases (the notes' worked example) sit beside cases drawn from it.
``gradient_step`` may call the student's ``output_gradients`` and ``hidden_gradients``: while
it runs, the grader serves nnlib's values for them, so each part is graded on its own.
"""

from __future__ import annotations

import numpy as np

import nnlib
import nnlib.activations
import nnlib.gradcheck
import nnlib.layers
import nnlib.optimizers
from nbcourse.checks import Mistake, Part, check_function

NAMES = ["w1", "w2", "w3", "w4", "b1", "w5", "w6", "b2"]
NOTES = {"w1": 0.1, "w2": 0.2, "w3": 0.1, "w4": 0.2, "b1": 1.0, "w5": 0.3, "w6": 0.4, "b2": 0.5}

SIGN_HINT = "See the chapter 'Backpropagation', the aside 'The notes say dCf/dYp = (Ya - Yp)'."
DERIVATIVE_HINT = "See the chapter 'Backpropagation', the aside 'The notes say dYp/dONi = 1/(1 + e^-ONi)^2'."
FACTOR_HINT = "See the chapter 'Backpropagation', section 'dC/dw5, one factor at a time'."
BIAS_HINT = "See the chapter 'Backpropagation', section 'Every other weight' (the shared bias)."
OTHER_HINT = "See the chapter 'Backpropagation', section 'Every other weight'."
STEP_HINT = "See the chapter 'Backpropagation', section 'One update step'."
DENSE_HINT = "See the chapter 'Backpropagation', section 'The backward pass for a batch'."
GENERAL_HINT = "See the chapter 'Backpropagation', section 'Backpropagation through any number of layers'."


def reference_model(p):
    """nnlib's 2-2-1 sigmoid network with the notes' weights (the shared b1 given to both hidden units)."""
    model = nnlib.Sequential([nnlib.layers.Dense(2, activation="sigmoid"),
                              nnlib.layers.Dense(1, activation="sigmoid")])
    model.build(2)
    model.set_weights([[[p["w1"], p["w2"]], [p["w3"], p["w4"]]], [p["b1"], p["b1"]],
                       [[p["w5"]], [p["w6"]]], [p["b2"]]])
    model.compile(optimizer="sgd", loss="mse")
    return model


def reference_gradients(x1, x2, Ya, p):
    """Every dC/d(parameter) from nnlib's backward pass, as a dict.

    nnlib's "mse" is Keras's, mean (Yp - Ya)^2 = 2 C, so its gradients are halved; the shared
    b1 reaches the cost through both hidden units, so its gradient is the sum of the two bias gradients.
    """
    model = reference_model(p)
    model.compute_gradients(np.array([[x1, x2]]), np.array([[Ya]]))
    dW1, db1, dW2, db2 = (g / 2 for g in model.gradients)
    return {"w1": dW1[0, 0], "w2": dW1[0, 1], "w3": dW1[1, 0], "w4": dW1[1, 1], "b1": db1.sum(),
            "w5": dW2[0, 0], "w6": dW2[1, 0], "b2": db2[0]}


def reference_output_gradients(x1, x2, Ya, p):
    g = reference_gradients(x1, x2, Ya, p)
    return g["w5"], g["w6"], g["b2"]


def reference_hidden_gradients(x1, x2, Ya, p):
    g = reference_gradients(x1, x2, Ya, p)
    return g["w1"], g["w2"], g["w3"], g["w4"], g["b1"]


def by_hand(x1, x2, Ya, p, sign=1.0, derivative=lambda s: s * (1 - s), chain=True, pre_activation=False,
            factor=1.0):
    """The backward pass with one thing changed (for the mistakes): a dict of gradients and deltas."""

    def s(z):
        return 1 / (1 + np.exp(-z))

    HN1i, HN2i = p["w1"] * x1 + p["w3"] * x2 + p["b1"], p["w2"] * x1 + p["w4"] * x2 + p["b1"]
    HN1o, HN2o = s(HN1i), s(HN2i)
    Yp = s(p["w5"] * HN1o + p["w6"] * HN2o + p["b2"])
    d_o = factor * sign * (Yp - Ya) * derivative(Yp)
    d_1 = d_o * (p["w5"] if chain else 1.0) * derivative(HN1o)
    d_2 = d_o * (p["w6"] if chain else 1.0) * derivative(HN2o)
    h1, h2 = (HN1i, HN2i) if pre_activation else (HN1o, HN2o)
    return {"w1": d_1 * x1, "w2": d_2 * x1, "w3": d_1 * x2, "w4": d_2 * x2, "b1": d_1 + d_2,
            "w5": d_o * h1, "w6": d_o * h2, "b2": d_o, "d_1": d_1, "d_2": d_2}


def random_case(rng):
    p = {name: round(float(rng.normal(0, 1)), 3) for name in NAMES}
    return round(float(rng.normal(0, 2)), 3), round(float(rng.normal(0, 2)), 3), round(float(rng.normal(0, 2)), 3), p


def sample_cases(rng):
    """The notes' worked example, 8 random samples and parameters, and the notes' weights on another sample."""
    return [(1.0, 2.0, 3.0, dict(NOTES)), *(random_case(rng) for _ in range(8)), (0.5, -1.0, 0.0, dict(NOTES))]


def output_of(g):
    return g["w5"], g["w6"], g["b2"]


def hidden_of(g):
    return g["w1"], g["w2"], g["w3"], g["w4"], g["b1"]


def check_output(student, rng):
    check_function(
        student.function("output_gradients"), reference_output_gradients, name="output_gradients",
        cases=sample_cases(rng),
        mistakes=[
            Mistake("the sign of dC/dYp is flipped: the derivative of 1/2 (Ya - Yp)^2 is Yp - Ya, not Ya - Yp",
                    lambda *a: output_of(by_hand(*a, sign=-1.0)), SIGN_HINT),
            Mistake("the notes' week-1 formula 1/(1 + e^-ONi)^2 = Yp^2 was used for dYp/dONi; it is Yp (1 - Yp)",
                    lambda *a: output_of(by_hand(*a, derivative=lambda s: s**2)), DERIVATIVE_HINT),
            Mistake("the notes' week-2 formula 1/(1 + e^-ONi) = Yp was used for dYp/dONi; it is Yp (1 - Yp)",
                    lambda *a: output_of(by_hand(*a, derivative=lambda s: s)), DERIVATIVE_HINT),
            Mistake("the sigmoid's derivative dYp/dONi is missing from the chain",
                    lambda *a: output_of(by_hand(*a, derivative=lambda s: 1.0)), FACTOR_HINT),
            Mistake("the hidden units' inputs HN1i, HN2i were used where their outputs HN1o, HN2o belong "
                    "(ONi = w5 HN1o + w6 HN2o + b2)",
                    lambda *a: output_of(by_hand(*a, pre_activation=True))),
            Mistake("the factor 1/2 of C was dropped: that is the gradient of (Ya - Yp)^2, twice too large",
                    lambda *a: output_of(by_hand(*a, factor=2.0))),
        ],
    )


def check_hidden(student, rng):
    check_function(
        student.function("hidden_gradients"), reference_hidden_gradients, name="hidden_gradients",
        cases=sample_cases(rng),
        mistakes=[
            Mistake("the sign of dC/dYp is flipped: the derivative of 1/2 (Ya - Yp)^2 is Yp - Ya, not Ya - Yp",
                    lambda *a: hidden_of(by_hand(*a, sign=-1.0)), SIGN_HINT),
            Mistake("the notes' week-1 formula 1/(1 + e^-z)^2 = sigma(z)^2 was used for the sigmoid's "
                    "derivative; it is sigma(z) (1 - sigma(z))",
                    lambda *a: hidden_of(by_hand(*a, derivative=lambda s: s**2)), DERIVATIVE_HINT),
            Mistake("the notes' week-2 formula 1/(1 + e^-z) = sigma(z) was used for the sigmoid's derivative; "
                    "it is sigma(z) (1 - sigma(z))",
                    lambda *a: hidden_of(by_hand(*a, derivative=lambda s: s)), DERIVATIVE_HINT),
            Mistake("dC/db1 counts only the path through the first hidden unit: the shared bias reaches "
                    "the cost through both, so its gradient is delta_1 + delta_2",
                    lambda *a: (lambda g: (*hidden_of(g)[:4], g["d_1"]))(by_hand(*a)), BIAS_HINT),
            Mistake("dC/db1 counts only the path through the second hidden unit: the shared bias reaches "
                    "the cost through both, so its gradient is delta_1 + delta_2",
                    lambda *a: (lambda g: (*hidden_of(g)[:4], g["d_2"]))(by_hand(*a)), BIAS_HINT),
            Mistake("dC/db1 is the mean of the two paths; the chain rule adds them: delta_1 + delta_2",
                    lambda *a: (lambda g: (*hidden_of(g)[:4], g["b1"] / 2))(by_hand(*a)), BIAS_HINT),
            Mistake("w2 and w3 are swapped: w3 multiplies x2 into the first hidden unit (HN1i = w1 x1 + w3 x2 + b1)",
                    lambda *a: (lambda g: (g["w1"], g["w3"], g["w2"], g["w4"], g["b1"]))(by_hand(*a)), OTHER_HINT),
            Mistake("the output weights w5 and w6 are missing from the hidden deltas "
                    "(dONi/dHN1o = w5, dONi/dHN2o = w6)",
                    lambda *a: hidden_of(by_hand(*a, chain=False)), OTHER_HINT),
        ],
    )


def reference_gradient_step(x1, x2, Ya, p, eta):
    """nnlib's SGD step with rate eta / 2 on "mse" (= 2 C) is the notes' step with rate eta on C."""
    model = reference_model(p)
    model.compile(optimizer=nnlib.optimizers.SGD(learning_rate=eta / 2), loss="mse")
    model.train_on_batch(np.array([[x1, x2]]), np.array([[Ya]]))
    W1, b1, W2, b2 = model.get_weights()
    shared_b1 = p["b1"] + (b1[0] - p["b1"]) + (b1[1] - p["b1"])   # the tied bias moves by both units' steps
    return W1[0, 0], W1[0, 1], W1[1, 0], W1[1, 1], shared_b1, W2[0, 0], W2[1, 0], b2[0]


def stepped(p, g, eta):
    return tuple(p[name] - eta * g[name] for name in NAMES)


def output_layer_first(x1, x2, Ya, p, eta):
    """Update w5, w6, b2, then compute the hidden gradients with the new output weights."""
    g_out = by_hand(x1, x2, Ya, p)
    q = dict(p, **{name: p[name] - eta * g_out[name] for name in ["w5", "w6", "b2"]})
    g_hid = by_hand(x1, x2, Ya, q)
    return tuple(q[name] - eta * g_hid[name] if name in ["w1", "w2", "w3", "w4", "b1"] else q[name]
                 for name in NAMES)


def check_step(student, rng):
    etas = [0.1, 0.5, 1.0, 0.05, 2.0, 0.3, 0.1, 0.7, 1.5, 0.2]
    cases = [(*case, eta) for case, eta in zip(sample_cases(rng), etas, strict=True)]
    step = student.function("gradient_step", substitutes={"output_gradients": reference_output_gradients,
                                                          "hidden_gradients": reference_hidden_gradients})
    check_function(
        step, reference_gradient_step, name="gradient_step", cases=cases,
        mistakes=[
            Mistake("the step went uphill: w + eta dC/dw instead of w - eta dC/dw",
                    lambda x1, x2, Ya, p, a: stepped(p, by_hand(x1, x2, Ya, p), -a), STEP_HINT),
            Mistake("the step is twice too large: that is a step on Keras's mse, (Ya - Yp)^2 = 2 C",
                    lambda x1, x2, Ya, p, a: stepped(p, by_hand(x1, x2, Ya, p), 2 * a), STEP_HINT),
            Mistake("the output layer was updated first and the hidden gradients were then computed with the "
                    "new w5, w6, b2: all gradients must come from the old parameters",
                    output_layer_first, STEP_HINT),
            Mistake("the shared bias b1 moved by one hidden unit's gradient only (delta_1); it moves by "
                    "delta_1 + delta_2", lambda x1, x2, Ya, p, a: stepped(
                        p, (lambda g: dict(g, b1=g["d_1"]))(by_hand(x1, x2, Ya, p)), a), BIAS_HINT),
        ],
    )


def reference_dense(W, b):
    """An nnlib Dense layer with no activation, holding the weights W and b."""
    layer = nnlib.layers.Dense(W.shape[1], activation=None)
    layer.build(W.shape[0], np.random.default_rng(0))
    layer.set_weights([W, b])
    return layer


def reference_dense_forward(x, W, b):
    return reference_dense(W, b).forward(x)


def dense_shapes(rng):
    """(n, d_in, units): W square first (so that a transposed W still multiplies), then one drawn at random."""
    return [(4, 3, 3), (5, 2, 4), (1, 3, 2), (10, 6, 1), (7, 1, 5),
            (int(rng.integers(1, 12)), int(rng.integers(1, 8)), int(rng.integers(1, 8)))]


def check_dense_forward(student, rng):
    cases = [(rng.normal(size=(n, d)), rng.normal(size=(d, u)), rng.normal(size=u)) for n, d, u in dense_shapes(rng)]
    check_function(
        student.function("dense_forward"), reference_dense_forward, name="dense_forward", cases=cases,
        mistakes=[
            Mistake("W is used transposed: with one sample per row, Z = x @ W (W has shape (d_in, units))",
                    lambda x, W, b: x @ W.T + b, DENSE_HINT),
            Mistake("the bias is missing", lambda x, W, b: x @ W),
            Mistake("the output is transposed: Z has one row per sample, shape (n, units)",
                    lambda x, W, b: (x @ W + b).T, DENSE_HINT),
        ],
    )


def reference_dense_backward(x, W, grad_out):
    layer = reference_dense(W, np.zeros(W.shape[1]))
    layer.forward(x)
    dx = layer.backward_from_z(grad_out)
    return dx, layer.grads[0].copy(), layer.grads[1].copy()


def numerical_dense_backward(x, W, grad_out):
    """Central differences of L = sum(Z * grad_out), whose dL/dZ is grad_out, through nnlib's Dense forward."""
    layer = reference_dense(W, np.zeros(W.shape[1]))
    x = np.array(x, dtype=float)

    def loss():
        return float(np.sum(layer.forward(x) * grad_out))

    return tuple(nnlib.gradcheck.numerical_gradient(loss, array) for array in (x, layer.W, layer.b))


def check_dense_backward(student, rng):
    mistakes = [
        Mistake("dW is transposed: dW = x^T grad_out has the shape of W, (d_in, units)",
                lambda x, W, g: (g @ W.T, g.T @ x, g.sum(0)), DENSE_HINT),
        Mistake("dx uses W instead of W^T: dx = grad_out @ W.T has the shape of x, (n, d_in)",
                lambda x, W, g: (g @ W, x.T @ g, g.sum(0)), DENSE_HINT),
        Mistake("db is the mean of grad_out's rows; it is their sum (a mean cost's 1/n is already in grad_out)",
                lambda x, W, g: (g @ W.T, x.T @ g, g.mean(0)), DENSE_HINT),
        Mistake("db is not summed over the batch: it has one entry per unit, shape (units,)",
                lambda x, W, g: (g @ W.T, x.T @ g, g), DENSE_HINT),
        Mistake("dW was divided by the batch size: a mean cost's 1/n is already in grad_out",
                lambda x, W, g: (g @ W.T, x.T @ g / len(x), g.sum(0)), DENSE_HINT),
    ]
    backward = student.function("dense_backward")
    cases = [(rng.normal(size=(n, d)), rng.normal(size=(d, u)), rng.normal(size=(n, u)))
             for n, d, u in dense_shapes(rng)]
    check_function(backward, reference_dense_backward, name="dense_backward", cases=cases, mistakes=mistakes)
    numeric_cases = [(rng.normal(size=(n, d)), rng.normal(size=(d, u)), rng.normal(size=(n, u)))
                     for n, d, u in [(3, 3, 3), (6, 4, 2), (1, 2, 5)]]
    check_function(backward, numerical_dense_backward, name="dense_backward (against numerical gradients)",
                   cases=numeric_cases, mistakes=mistakes, rtol=1e-5, atol=1e-7)


def derivative_of(activation):
    return getattr(nnlib.activations, f"{activation}_derivative")


def reference_layer_backward(delta_next, W_next, z, activation):
    """delta^l = (delta^(l+1) W^(l+1)^T) * f'(z^l), with nnlib's derivatives (relu'(0) = 0)."""
    return (delta_next @ W_next.T) * derivative_of(activation)(z)


def numerical_layer_backward(delta_next, W_next, z, activation):
    """Central differences of C = sum(delta_next * Z^(l+1)), Z^(l+1) = f(z) W_next: its dC/dZ^(l+1) is delta_next."""
    f = getattr(nnlib.activations, activation)
    z = np.array(z, dtype=float)
    return nnlib.gradcheck.numerical_gradient(lambda: float(np.sum((f(z) @ W_next) * delta_next)), z)


def f_of(activation):
    return getattr(nnlib.activations, activation)


def f_prime_of_the_output(activation, z):
    """The derivative written in terms of the activation, f'(z) = s(1 - s), but fed z itself."""
    return {"sigmoid": z * (1 - z), "tanh": 1 - z**2, "relu": (z > 0).astype(float)}[activation]


def layer_cases(rng):
    """(delta_next, W_next, z, activation): the worked example, square W_next (a transpose still multiplies),
    exact zeros for relu, large |z|, then shapes and values drawn for this student."""
    cases = [
        (np.array([[-0.4292700462893275]]), np.array([[0.3], [0.4]]), np.array([[1.3, 1.6]]), "sigmoid"),
        (rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), "sigmoid"),
        (rng.normal(size=(2, 4)), rng.normal(size=(4, 4)), rng.normal(size=(2, 4)), "tanh"),
        (rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), np.array([[0.0, 1.0, -1.0]] * 4), "relu"),
        (rng.normal(size=(1, 2)), rng.normal(size=(2, 2)), np.array([[40.0, -40.0]]), "sigmoid"),
    ]
    for activation in ("sigmoid", "tanh", "relu"):
        n, units, units_next = (int(rng.integers(1, 9)) for _ in range(3))
        cases.append((rng.normal(size=(n, units_next)), rng.normal(size=(units, units_next)),
                      rng.normal(0, 2, size=(n, units)), activation))
    return cases


def check_layer_backward(student, rng):
    mistakes = [
        Mistake("f'(z^l) is missing: delta^l = (delta^(l+1) W^(l+1)^T) * f'(z^l)",
                lambda d, W, z, a: d @ W.T, GENERAL_HINT),
        Mistake("W_next is not transposed: delta_next @ W_next.T has the shape of z, (n, units)",
                lambda d, W, z, a: (d @ W) * derivative_of(a)(z), GENERAL_HINT),
        Mistake("f' was written for the layer's output (s (1 - s), 1 - t^2) but given the pre-activation z; "
                "compute f(z) first, then its derivative",
                lambda d, W, z, a: (d @ W.T) * f_prime_of_the_output(a, z), GENERAL_HINT),
        Mistake("the activation f(z) was used where its derivative f'(z) belongs",
                lambda d, W, z, a: (d @ W.T) * f_of(a)(z), GENERAL_HINT),
        Mistake("delta was divided by the batch size: a mean cost's 1/n is already inside delta_next",
                lambda d, W, z, a: (d @ W.T) * derivative_of(a)(z) / len(z), GENERAL_HINT),
        Mistake("f'(z) was applied with a matrix product; it multiplies elementwise",
                lambda d, W, z, a: (d @ W.T) @ derivative_of(a)(z), GENERAL_HINT),
        Mistake("relu'(0) was taken as 1; at z = 0 exactly it is 0, as nnlib and TensorFlow take it",
                lambda d, W, z, a: (d @ W.T) * (derivative_of(a)(z) if a != "relu" else (z >= 0)), GENERAL_HINT),
    ]
    backward = student.function("layer_backward")
    check_function(backward, reference_layer_backward, name="layer_backward", cases=layer_cases(rng),
                   mistakes=mistakes)
    numeric_cases = [(rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), rng.normal(size=(3, 4)), activation)
                     for activation in ("sigmoid", "tanh")]
    check_function(backward, numerical_layer_backward, name="layer_backward (against numerical gradients)",
                   cases=numeric_cases, mistakes=mistakes, rtol=1e-5, atol=1e-7)


PARTS = [
    Part("output_test", check_output),
    Part("hidden_test", check_hidden),
    Part("step_test", check_step),
    Part("dense_forward_test", check_dense_forward),
    Part("dense_backward_test", check_dense_backward),
    Part("layer_backward_test", check_layer_backward),
]
