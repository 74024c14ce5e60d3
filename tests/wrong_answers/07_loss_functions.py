"""Plausible wrong answers to exercise 7: each must cost its part its points, and only its part."""

MSE = "def mse(y_true, y_pred):\n    return float(np.mean((y_pred - y_true) ** 2))\n\n\n"
MSE_GRADIENT = "def mse_gradient(y_true, y_pred):\n    return 2 * (y_pred - y_true) / y_pred.size\n"

WRONG_ANSWERS = {
    "softmax": [
        ("unstable: nan at 1000", "def softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=-1, keepdims=True)\n"),
        ("normalised over axis 0",
         "def softmax(z):\n    e = np.exp(z - z.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)\n"),
        ("sigmoid instead of softmax", "def softmax(z):\n    return 1 / (1 + np.exp(-z))\n"),
        ("one maximum for the whole array", "def softmax(z):\n    e = np.exp(z - np.max(z))\n"
                                            "    return e / e.sum(axis=-1, keepdims=True)\n"),
    ],
    "mse": [
        ("the notes' 1/2", "def mse(y_true, y_pred):\n    return float(np.mean(0.5 * (y_pred - y_true) ** 2))\n\n\n"
                           + MSE_GRADIENT),
        ("gradient sign flipped", MSE + "def mse_gradient(y_true, y_pred):\n    return 2 * (y_true - y_pred) / y_pred.size\n"),
        ("gradient without the mean", MSE + "def mse_gradient(y_true, y_pred):\n    return 2 * (y_pred - y_true)\n"),
        ("divided by n only", "def mse(y_true, y_pred):\n    return float(np.sum((y_pred - y_true) ** 2) / len(y_pred))\n\n\n"
                              + MSE_GRADIENT),
    ],
    "bce": [
        ("no clipping: inf", "def binary_crossentropy(y_true, p):\n"
                             "    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))\n"),
        ("one loss per sample", "def binary_crossentropy(y_true, p):\n    p = np.clip(p, EPSILON, 1 - EPSILON)\n"
                                "    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p), axis=1)\n"),
        ("summed over the outputs", "def binary_crossentropy(y_true, p):\n    p = np.clip(p, EPSILON, 1 - EPSILON)\n"
                                    "    terms = y_true * np.log(p) + (1 - y_true) * np.log(1 - p)\n"
                                    "    return float(-np.mean(np.sum(terms, axis=1)))\n"),
        ("(1 - y) term missing", "def binary_crossentropy(y_true, p):\n    p = np.clip(p, EPSILON, 1 - EPSILON)\n"
                                 "    return float(-np.mean(y_true * np.log(p)))\n"),
    ],
    "categorical": [
        ("sum over samples", "def categorical_crossentropy(y_onehot, p):\n"
                             "    return float(-np.sum(y_onehot * np.log(np.clip(p, EPSILON, 1 - EPSILON))))\n"),
        ("np.mean over n k entries", "def categorical_crossentropy(y_onehot, p):\n"
                                     "    return float(-np.mean(y_onehot * np.log(np.clip(p, EPSILON, 1 - EPSILON))))\n"),
        ("no clipping", "def categorical_crossentropy(y_onehot, p):\n"
                        "    return float(-np.sum(y_onehot * np.log(p)) / len(p))\n"),
    ],
    "sparse": [
        ("p[:, labels]", "def sparse_categorical_crossentropy(labels, p):\n"
                         "    return float(-np.mean(np.log(np.clip(p[:, labels], EPSILON, 1 - EPSILON))))\n"),
        ("sum over samples", "def sparse_categorical_crossentropy(labels, p):\n"
                             "    picked = p[np.arange(len(p)), labels]\n"
                             "    return float(-np.sum(np.log(np.clip(picked, EPSILON, 1 - EPSILON))))\n"),
        ("no clipping", "def sparse_categorical_crossentropy(labels, p):\n"
                        "    return float(-np.mean(np.log(p[np.arange(len(p)), labels])))\n"),
    ],
}
