"""Plausible wrong answers to exercise 3: each must cost its part its points, and only its part."""

FORWARD = (
    "    s = lambda z: 1 / (1 + np.exp(-z))\n"
    "    HN1o = s(p['w1'] * x1 + p['w3'] * x2 + p['b1'])\n"
    "    HN2o = s(p['w2'] * x1 + p['w4'] * x2 + p['b1'])\n"
    "    Yp = s(p['w5'] * HN1o + p['w6'] * HN2o + p['b2'])\n"
)


def output(delta_o: str) -> str:
    return ("def output_gradients(x1, x2, Ya, p):\n" + FORWARD
            + f"    delta_o = {delta_o}\n    return delta_o * HN1o, delta_o * HN2o, delta_o\n")


def hidden(delta_o: str = "(Yp - Ya) * Yp * (1 - Yp)", derivative: str = "{0} * (1 - {0})",
           db1: str = "delta_1 + delta_2", weights: str = "delta_1 * x1, delta_2 * x1, delta_1 * x2, delta_2 * x2") -> str:
    return ("def hidden_gradients(x1, x2, Ya, p):\n" + FORWARD
            + f"    delta_o = {delta_o}\n"
            + f"    delta_1 = delta_o * p['w5'] * {derivative.format('HN1o')}\n"
            + f"    delta_2 = delta_o * p['w6'] * {derivative.format('HN2o')}\n"
            + f"    return {weights}, {db1}\n")


def layer(derivatives: str = "s * (1 - s)", product: str = "(delta_next @ W_next.T) * derivative") -> str:
    """layer_backward with the sigmoid's derivative written as ``derivatives`` and the result as ``product``."""
    return ("def layer_backward(delta_next, W_next, z, activation):\n"
            "    s = 1 / (1 + np.exp(-z))\n"
            "    if activation == 'sigmoid':\n"
            f"        derivative = {derivatives}\n"
            "    elif activation == 'tanh':\n"
            "        derivative = 1 - np.tanh(z) ** 2\n"
            "    else:\n"
            "        derivative = (z > 0) * 1.0\n"
            f"    return {product}\n")


STEP_START = (
    "def gradient_step(x1, x2, Ya, p, eta):\n"
    "    names = ['w1', 'w2', 'w3', 'w4', 'b1', 'w5', 'w6', 'b2']\n"
)

WRONG_ANSWERS = {
    "output": [
        ("the notes' sign of dCf/dYp", output("(Ya - Yp) * Yp * (1 - Yp)")),
        ("the notes' week-1 sigmoid derivative", output("(Yp - Ya) * Yp ** 2")),
        ("the notes' week-2 sigmoid derivative", output("(Yp - Ya) * Yp")),
    ],
    "hidden": [
        ("the notes' sign of dCf/dYp", hidden(delta_o="(Ya - Yp) * Yp * (1 - Yp)")),
        ("shared bias: one path only", hidden(db1="delta_1")),
        ("the notes' week-1 sigmoid derivative", hidden(delta_o="(Yp - Ya) * Yp ** 2", derivative="{0} ** 2")),
        ("w2 and w3 swapped", hidden(weights="delta_1 * x1, delta_1 * x2, delta_2 * x1, delta_2 * x2")),
    ],
    "step": [
        ("uphill", STEP_START
         + "    g = (*hidden_gradients(x1, x2, Ya, p), *output_gradients(x1, x2, Ya, p))\n"
         + "    return tuple(p[n] + eta * gi for n, gi in zip(names, g))\n"),
        ("output layer updated first", STEP_START
         + "    q = dict(p)\n"
         + "    for n, gi in zip(names[5:], output_gradients(x1, x2, Ya, q)):\n"
         + "        q[n] = q[n] - eta * gi\n"
         + "    for n, gi in zip(names[:5], hidden_gradients(x1, x2, Ya, q)):\n"
         + "        q[n] = q[n] - eta * gi\n"
         + "    return tuple(q[n] for n in names)\n"),
        ("twice too large (Keras's mse)", STEP_START
         + "    g = (*hidden_gradients(x1, x2, Ya, p), *output_gradients(x1, x2, Ya, p))\n"
         + "    return tuple(p[n] - 2 * eta * gi for n, gi in zip(names, g))\n"),
        ("biases not updated", STEP_START
         + "    g = dict(zip(names, (*hidden_gradients(x1, x2, Ya, p), *output_gradients(x1, x2, Ya, p))))\n"
         + "    return tuple(p[n] if n.startswith('b') else p[n] - eta * g[n] for n in names)\n"),
    ],
    "dense_forward": [
        ("W transposed", "def dense_forward(x, W, b):\n    return x @ W.T + b\n"),
        ("no bias", "def dense_forward(x, W, b):\n    return np.dot(x, W)\n"),
        ("output transposed", "def dense_forward(x, W, b):\n    return W.T @ x.T + b[:, None]\n"),
    ],
    "dense_backward": [
        ("dW transposed", "def dense_backward(x, W, grad_out):\n"
                          "    return grad_out @ W.T, grad_out.T @ x, grad_out.sum(axis=0)\n"),
        ("db not summed over the batch", "def dense_backward(x, W, grad_out):\n"
                                         "    return grad_out @ W.T, x.T @ grad_out, grad_out\n"),
        ("db mean instead of sum", "def dense_backward(x, W, grad_out):\n"
                                   "    return grad_out @ W.T, x.T @ grad_out, grad_out.mean(axis=0)\n"),
        ("dx without the transpose", "def dense_backward(x, W, grad_out):\n"
                                     "    return grad_out @ W, x.T @ grad_out, grad_out.sum(axis=0)\n"),
        ("dW divided by n", "def dense_backward(x, W, grad_out):\n"
                            "    return grad_out @ W.T, x.T @ grad_out / len(x), grad_out.sum(axis=0)\n"),
    ],    "layer_backward": [
        ("f' forgotten", layer(product="delta_next @ W_next.T")),
        ("W_next not transposed", layer(product="(delta_next @ W_next) * derivative")),
        ("sigmoid' as z (1 - z), written for the output", layer(derivatives="z * (1 - z)")),
        ("divided by the batch size", layer(product="(delta_next @ W_next.T) * derivative / len(z)")),
    ],
}
