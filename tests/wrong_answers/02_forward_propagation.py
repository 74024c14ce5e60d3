"""Plausible wrong answers to exercise 2: each must cost its part its points, and only its part."""

WRONG_ANSWERS = {
    "sigmoid": [
        ("e^z instead of e^-z", "def sigmoid(z):\n    return 1 / (1 + np.exp(z))\n"),
        ("1 - e^-z in the denominator", "def sigmoid(z):\n    return 1 / (1 - np.exp(-z))\n"),
        ("calls nnlib instead of computing", "import nnlib.activations\n\ndef sigmoid(z):\n"
                                             "    return nnlib.activations.sigmoid(z)\n"),
    ],
    "derivative": [
        ("the notes' week-1 formula", "def sigmoid_derivative(z):\n    return 1 / (1 + np.exp(-z)) ** 2\n"),
        ("the notes' week-2 formula", "def sigmoid_derivative(z):\n    return 1 / (1 + np.exp(-z))\n"),
        ("unstable: nan at large |z|", "def sigmoid_derivative(z):\n"
                                       "    return np.exp(-z) / (1 + np.exp(-z)) ** 2\n"),
    ],
    "forward": [
        ("W1 transposed", "def forward(X, W1, b1, W2, b2):\n    H = sigmoid(X @ W1.T + b1)\n"
                          "    return H, sigmoid(H @ W2 + b2)\n"),
        ("no sigmoid on the output", "def forward(X, W1, b1, W2, b2):\n    H = sigmoid(X @ W1 + b1)\n"
                                     "    return H, H @ W2 + b2\n"),
    ],
    "cost": [
        ("the 1/2 dropped", "def cost(Ya, Yp):\n    return float(np.mean((Ya - Yp) ** 2))\n"),
        ("sum instead of mean", "def cost(Ya, Yp):\n    return float(np.sum(0.5 * (Ya - Yp) ** 2))\n"),
    ],
}
