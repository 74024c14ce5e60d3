"""Plausible wrong answers to exercise 1: each must cost its part its points, and only its part."""

WRONG_ANSWERS = {
    "split": [
        ("x and y shuffled with different permutations",
         "def train_holdout_split(x, y, validation, rng):\n"
         "    n_val = round(validation * len(x))\n"
         "    x, y = x[rng.permutation(len(x))], y[rng.permutation(len(y))]\n"
         "    return x[:-n_val], x[-n_val:], y[:-n_val], y[-n_val:]\n"),
        ("training part overlaps the validation set",
         "def train_holdout_split(x, y, validation, rng):\n"
         "    n_val = round(validation * len(x))\n"
         "    order = rng.permutation(len(x))\n"
         "    x, y = x[order], y[order]\n"
         "    return x, x[-n_val:], y, y[-n_val:]\n"),
        ("not shuffled",
         "def train_holdout_split(x, y, validation, rng):\n"
         "    n_val = round(validation * len(x))\n"
         "    return x[:-n_val], x[-n_val:], y[:-n_val], y[-n_val:]\n"),
        ("ceil instead of round",
         "import math\n\ndef train_holdout_split(x, y, validation, rng):\n"
         "    n_val = math.ceil(validation * len(x))\n"
         "    order = rng.permutation(len(x))\n"
         "    train, hold = order[:-n_val], order[-n_val:]\n"
         "    return x[train], x[hold], y[train], y[hold]\n"),
        ("calls scikit-learn",
         "from sklearn.model_selection import train_test_split\n\n"
         "def train_holdout_split(x, y, validation, rng):\n"
         "    return train_test_split(x, y, test_size=validation, random_state=0)\n"),
    ],
    "standardize": [
        ("validation statistics for the validation set",
         "def standardize(x_train, x_val):\n"
         "    scale = lambda a: (a - a.mean(axis=0)) / np.where(a.std(axis=0) > 0, a.std(axis=0), 1)\n"
         "    return scale(x_train), scale(x_val)\n"),
        ("statistics of all the data",
         "def standardize(x_train, x_val):\n"
         "    both = np.concatenate([x_train, x_val])\n"
         "    mean, std = both.mean(axis=0), both.std(axis=0)\n"
         "    std[std == 0] = 1\n"
         "    return (x_train - mean) / std, (x_val - mean) / std\n"),
        ("ddof=1",
         "def standardize(x_train, x_val):\n"
         "    mean, std = x_train.mean(axis=0), x_train.std(axis=0, ddof=1)\n"
         "    std = np.where(std > 0, std, 1.0)\n"
         "    return (x_train - mean) / std, (x_val - mean) / std\n"),
        ("constant feature divided by 0",
         "def standardize(x_train, x_val):\n"
         "    mean, std = x_train.mean(axis=0), x_train.std(axis=0)\n"
         "    return (x_train - mean) / std, (x_val - mean) / std\n"),
    ],
    "accuracy": [
        ("argmax over the wrong axis",
         "def accuracy(labels, probabilities):\n"
         "    return float(np.mean(np.argmax(probabilities, axis=0) == labels))\n"),
        ("count instead of share",
         "def accuracy(labels, probabilities):\n"
         "    return int(np.sum(probabilities.argmax(axis=1) == labels))\n"),
        ("max instead of argmax",
         "def accuracy(labels, probabilities):\n"
         "    return float(np.mean(np.max(probabilities, axis=1) == labels))\n"),
    ],
    "stopping": [
        ("compared with the previous epoch",
         "def epochs_trained(losses, min_delta, patience):\n"
         "    wait = 0\n"
         "    for epoch in range(1, len(losses)):\n"
         "        if losses[epoch] < losses[epoch - 1] - min_delta:\n"
         "            wait = 0\n"
         "        else:\n"
         "            wait += 1\n"
         "            if wait >= patience:\n"
         "                return epoch + 1\n"
         "    return len(losses)\n"),
        ("ties count as improvements",
         "def epochs_trained(losses, min_delta, patience):\n"
         "    best, wait = np.inf, 0\n"
         "    for epoch, loss in enumerate(losses):\n"
         "        if loss <= best - min_delta:\n"
         "            best, wait = loss, 0\n"
         "        else:\n"
         "            wait += 1\n"
         "            if wait >= patience:\n"
         "                return epoch + 1\n"
         "    return len(losses)\n"),
        ("wait never reset",
         "def epochs_trained(losses, min_delta, patience):\n"
         "    best, wait = np.inf, 0\n"
         "    for epoch, loss in enumerate(losses):\n"
         "        if loss < best - min_delta:\n"
         "            best = loss\n"
         "        else:\n"
         "            wait += 1\n"
         "            if wait >= patience:\n"
         "                return epoch + 1\n"
         "    return len(losses)\n"),
        ("one epoch late",
         "def epochs_trained(losses, min_delta, patience):\n"
         "    best, wait = np.inf, 0\n"
         "    for epoch, loss in enumerate(losses):\n"
         "        if loss < best - min_delta:\n"
         "            best, wait = loss, 0\n"
         "        else:\n"
         "            wait += 1\n"
         "            if wait > patience:\n"
         "                return epoch + 1\n"
         "    return len(losses)\n"),
        ("returns the index",
         "def epochs_trained(losses, min_delta, patience):\n"
         "    best, wait = np.inf, 0\n"
         "    for epoch, loss in enumerate(losses):\n"
         "        if loss < best - min_delta:\n"
         "            best, wait = loss, 0\n"
         "        else:\n"
         "            wait += 1\n"
         "            if wait >= patience:\n"
         "                return epoch\n"
         "    return len(losses)\n"),
        ("min_delta ignored",
         "def epochs_trained(losses, min_delta, patience):\n"
         "    best, wait = np.inf, 0\n"
         "    for epoch, loss in enumerate(losses):\n"
         "        if loss < best:\n"
         "            best, wait = loss, 0\n"
         "        else:\n"
         "            wait += 1\n"
         "            if wait >= patience:\n"
         "                return epoch + 1\n"
         "    return len(losses)\n"),
    ],
}
