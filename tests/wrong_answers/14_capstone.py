"""Plausible wrong answers to exercise 14, Your own network, end to end.

Each must cost its part its points, and only its part: a wrong piece of Parts 1 to 4 must not cost
Part 6 (train), which then trains with nnlib's piece in its place.
"""

DENSE_FORWARD = "def dense_forward(X, W, b):\n    return X @ W + b\n\n\n"
DENSE_BACKWARD = "def dense_backward(dZ, X, W):\n    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)\n"
RELU_FORWARD = "def relu_forward(Z):\n    return np.maximum(Z, 0.0)\n\n\n"
RELU_BACKWARD = "def relu_backward(dA, Z):\n    return dA * (Z > 0)\n"

SOFTMAX = (
    "def softmax_cross_entropy(Z, y):\n"
    "    B = len(y)\n"
    "    {shift}\n"
    "    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)\n"
    "    picked = {picked}\n"
    "    dZ = P.copy()\n"
    "    dZ[np.arange(B), y] -= 1\n"
    "    return float(-np.mean(np.log(picked))), dZ{scale}\n"
)

ADAM = (
    "def adam_step(params, grads, m, s, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):\n"
    "    new_params, new_m, new_s = [], [], []\n"
    "    for w, g, m_w, s_w in zip(params, grads, m, s):\n"
    "        m_w = beta_1 * m_w + (1 - beta_1) * g\n"
    "        s_w = beta_2 * s_w + (1 - beta_2) * g**2\n"
    "{step}"
    "        new_params.append(w - step)\n"
    "        new_m.append(m_w)\n"
    "        new_s.append(s_w)\n"
    "    return new_params, new_m, new_s\n"
)

GRADIENT = (
    "def numerical_gradient(f, x, h=1e-5):\n"
    "    grad = np.zeros_like(x, dtype=float)\n"
    "    for j in {indices}:\n"
    "{body}"
    "    return grad\n"
)

# A complete, correct training loop: the wrong answers of Part 6 change what it returns or builds.
TRAIN = (
    "def train(x_train, y_train, seed):\n"
    "    rng = np.random.default_rng(seed)\n"
    "    sizes = {sizes}\n"
    "    params = []\n"
    "    for n_in, n_out in zip(sizes[:-1], sizes[1:]):\n"
    "        params += [rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out)), np.zeros(n_out)]\n"
    "    m = [np.zeros_like(p) for p in params]\n"
    "    s = [np.zeros_like(p) for p in params]\n"
    "    t = 0\n"
    "    for epoch in range({epochs}):\n"
    "        for start in range(0, len(x_train), 64):\n"
    "            X, y = x_train[start:start + 64], y_train[start:start + 64]\n"
    "            A, cache = X, []\n"
    "            for i in range(0, len(params), 2):\n"
    "                Z = dense_forward(A, params[i], params[i + 1])\n"
    "                cache.append((A, Z))\n"
    "                A = relu_forward(Z) if i < len(params) - 2 else Z\n"
    "            _, dZ = softmax_cross_entropy(A, y)\n"
    "            grads = [None] * len(params)\n"
    "            for i in reversed(range(0, len(params), 2)):\n"
    "                A_previous, Z = cache[i // 2]\n"
    "                if i < len(params) - 2:\n"
    "                    dZ = relu_backward(dA, Z)\n"
    "                dA, grads[i], grads[i + 1] = dense_backward(dZ, A_previous, params[i])\n"
    "            t += 1\n"
    "            params, m, s = adam_step(params, grads, m, s, t, 0.002)\n"
    "    return {returned}\n"
)
PAIRS = "list(zip(params[0::2], params[1::2]))"

WRONG_ANSWERS = {
    "dense": [
        ("dX = dZ W, not transposed", DENSE_FORWARD + "def dense_backward(dZ, X, W):\n"
                                                       "    return dZ @ W, X.T @ dZ, dZ.sum(axis=0)\n"),
        ("db averaged over the batch", DENSE_FORWARD + "def dense_backward(dZ, X, W):\n"
                                                        "    return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)\n"),
        ("the bias left out", "def dense_forward(X, W, b):\n    return X @ W\n\n\n" + DENSE_BACKWARD),
    ],
    "relu": [
        ("np.max instead of np.maximum", "def relu_forward(Z):\n    return np.max(Z, 0)\n\n\n" + RELU_BACKWARD),
        ("the derivative alone", RELU_FORWARD + "def relu_backward(dA, Z):\n    return (Z > 0).astype(float)\n"),
        ("derivative 1 at z = 0", RELU_FORWARD + "def relu_backward(dA, Z):\n    return dA * (Z >= 0)\n"),
    ],
    "softmax_ce": [
        ("the softmax overflows", SOFTMAX.format(shift="pass", picked="P[np.arange(B), y]", scale=" / B")),
        ("probabilities clipped", SOFTMAX.format(shift="Z = Z - Z.max(axis=1, keepdims=True)",
                                                 picked="np.clip(P[np.arange(B), y], 1e-7, 1 - 1e-7)",
                                                 scale=" / B")),
        ("gradient without 1/B", SOFTMAX.format(shift="Z = Z - Z.max(axis=1, keepdims=True)",
                                                picked="P[np.arange(B), y]", scale="")),
    ],
    "adam": [
        ("no bias correction", ADAM.format(step="        step = learning_rate * m_w / (np.sqrt(s_w) + epsilon)\n")),
        ("the textbook form", ADAM.format(step="        m_hat, s_hat = m_w / (1 - beta_1**t), s_w / (1 - beta_2**t)\n"
                                               "        step = learning_rate * m_hat / (np.sqrt(s_hat) + epsilon)\n")),
        ("t + 1 in the correction", ADAM.format(
            step="        rate = learning_rate * np.sqrt(1 - beta_2**(t + 1)) / (1 - beta_1**(t + 1))\n"
                 "        step = rate * m_w / (np.sqrt(s_w) + epsilon)\n")),
    ],
    "gradcheck": [
        ("the forward difference", GRADIENT.format(
            indices="np.ndindex(x.shape)",
            body="        x_plus = np.array(x, dtype=float)\n"
                 "        x_plus[j] += h\n"
                 "        grad[j] = (f(x_plus) - f(x)) / h\n")),
        ("a whole row at a time", GRADIENT.format(
            indices="range(len(x))",
            body="        x_plus, x_minus = np.array(x, dtype=float), np.array(x, dtype=float)\n"
                 "        x_plus[j] += h\n"
                 "        x_minus[j] -= h\n"
                 "        grad[j] = (f(x_plus) - f(x_minus)) / (2 * h)\n")),
        ("x left nudged", GRADIENT.format(
            indices="np.ndindex(x.shape)",
            body="        x[j] += h\n"
                 "        f_plus = f(x)\n"
                 "        x[j] -= 2 * h\n"
                 "        grad[j] = (f_plus - f(x)) / (2 * h)\n")),
    ],
    "train": [
        ("never trains", TRAIN.format(sizes="[64, 128, 10]", epochs=0, returned=PAIRS)),
        ("W returned transposed", TRAIN.format(sizes="[64, 128, 10]", epochs=10,
                                               returned="[(W.T, b) for W, b in " + PAIRS + "]")),
        ("no hidden layer", TRAIN.format(sizes="[64, 10]", epochs=10, returned=PAIRS)),
        ("a flat list", TRAIN.format(sizes="[64, 128, 10]", epochs=10, returned="params")),
    ],
}
