"""Plausible wrong answers to exercise 10: each must cost its part its points, and only its part."""

WRONG_ANSWERS = {
    "metrics": [
        ("R^2 over the spread of the predictions",
         "def regression_metrics(y_true, y_pred):\n"
         "    mse = np.mean((y_true - y_pred) ** 2)\n"
         "    mae = np.mean(np.abs(y_true - y_pred))\n"
         "    r2 = 1 - np.sum((y_true - y_pred) ** 2) / np.sum((y_pred - np.mean(y_pred)) ** 2)\n"
         "    return mse, mae, r2\n"),
        ("MAE without abs",
         "def regression_metrics(y_true, y_pred):\n"
         "    mse = np.mean((y_true - y_pred) ** 2)\n"
         "    mae = np.mean(y_true - y_pred)\n"
         "    r2 = 1 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - np.mean(y_true)) ** 2)\n"
         "    return mse, mae, r2\n"),
        ("R^2 over the uncentred targets",
         "def regression_metrics(y_true, y_pred):\n"
         "    mse = np.mean((y_true - y_pred) ** 2)\n"
         "    mae = np.mean(np.abs(y_true - y_pred))\n"
         "    r2 = 1 - np.sum((y_true - y_pred) ** 2) / np.sum(y_true ** 2)\n"
         "    return mse, mae, r2\n"),
        ("RMSE for MSE",
         "def regression_metrics(y_true, y_pred):\n"
         "    mse = np.sqrt(np.mean((y_true - y_pred) ** 2))\n"
         "    mae = np.mean(np.abs(y_true - y_pred))\n"
         "    r2 = 1 - np.mean((y_true - y_pred) ** 2) / np.var(y_true)\n"
         "    return mse, mae, r2\n"),
    ],
    "onehot": [
        ("k from the largest label", "def one_hot(labels, k):\n    return np.eye(labels.max() + 1)[labels]\n"),
        ("transposed", "def one_hot(labels, k):\n    return np.eye(k)[labels].T\n"),
        ("calls nnlib", "import nnlib.data\n\ndef one_hot(labels, k):\n    return nnlib.data.one_hot(labels, k)\n"),
    ],
    "confusion": [
        ("transposed", "def confusion_matrix(labels, predicted, k):\n"
                       "    matrix = np.zeros((k, k), dtype=int)\n"
                       "    for t, p in zip(labels, predicted):\n"
                       "        matrix[p, t] += 1\n"
                       "    return matrix\n"),
        ("size from the labels seen", "def confusion_matrix(labels, predicted, k):\n"
                                      "    k = max(labels.max(), predicted.max()) + 1\n"
                                      "    return one_hot(labels, k).T @ one_hot(predicted, k)\n"),
        ("row-normalised", "def confusion_matrix(labels, predicted, k):\n"
                           "    counts = one_hot(labels, k).T @ one_hot(predicted, k)\n"
                           "    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)\n"),
    ],
    "forward": [
        ("ReLU on the output layer", "def regression_forward(x, layers):\n"
                                     "    a = x\n"
                                     "    for W, b in layers:\n"
                                     "        a = np.maximum(0, a @ W + b)\n"
                                     "    return a\n"),
        ("softmax on the output layer", "def regression_forward(x, layers):\n"
                                        "    a = x\n"
                                        "    for W, b in layers[:-1]:\n"
                                        "        a = np.maximum(0, a @ W + b)\n"
                                        "    z = a @ layers[-1][0] + layers[-1][1]\n"
                                        "    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
                                        "    return e / e.sum(axis=1, keepdims=True)\n"),
        ("no ReLU in the hidden layers", "def regression_forward(x, layers):\n"
                                         "    a = x\n"
                                         "    for W, b in layers:\n"
                                         "        a = a @ W + b\n"
                                         "    return a\n"),
    ],
    "ratio": [
        ("ratio of the norms", "def update_ratio(w_before, w_after):\n"
                               "    return float(np.linalg.norm(w_after) / np.linalg.norm(w_before))\n"),
        ("difference of the norms", "def update_ratio(w_before, w_after):\n"
                                    "    before, after = np.linalg.norm(w_before), np.linalg.norm(w_after)\n"
                                    "    return float((after - before) / before)\n"),
        ("divided by the new weights' norm", "def update_ratio(w_before, w_after):\n"
                                             "    change = np.linalg.norm(w_after - w_before)\n"
                                             "    return float(change / np.linalg.norm(w_after))\n"),
        ("entry by entry", "def update_ratio(w_before, w_after):\n"
                           "    return float(np.mean(np.abs(w_after - w_before) / np.abs(w_before)))\n"),
    ],
}
