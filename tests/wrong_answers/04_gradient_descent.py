"""Plausible wrong answers to exercise 4: each must cost its part its points, and only its part."""

WRONG_ANSWERS = {
    "updates": [
        ("floor instead of ceil", "def updates_per_epoch(n, batch_size):\n"
                                  "    return 1 if batch_size is None else n // batch_size\n"),
        ("None read as stochastic", "import math\n\ndef updates_per_epoch(n, batch_size):\n"
                                    "    return n if batch_size is None else math.ceil(n / batch_size)\n"),
        ("always one more", "def updates_per_epoch(n, batch_size):\n"
                            "    return 1 if batch_size is None else n // batch_size + 1\n"),
        ("None not handled", "import math\n\ndef updates_per_epoch(n, batch_size):\n"
                             "    return math.ceil(n / batch_size)\n"),
    ],
    "minibatches": [
        ("last partial batch dropped",
         "def minibatches(x, y, batch_size, rng):\n"
         "    b = len(x) if batch_size is None else batch_size\n"
         "    order = rng.permutation(len(x))\n"
         "    return [(x[order[i * b:(i + 1) * b]], y[order[i * b:(i + 1) * b]]) for i in range(len(x) // b)]\n"),
        ("x and y shuffled differently",
         "def minibatches(x, y, batch_size, rng):\n"
         "    b = len(x) if batch_size is None else batch_size\n"
         "    x, y = x[rng.permutation(len(x))], y[rng.permutation(len(y))]\n"
         "    return [(x[s:s + b], y[s:s + b]) for s in range(0, len(x), b)]\n"),
        ("not shuffled",
         "def minibatches(x, y, batch_size, rng):\n"
         "    b = len(x) if batch_size is None else batch_size\n"
         "    return [(x[s:s + b], y[s:s + b]) for s in range(0, len(x), b)]\n"),
        ("a generator, not a list",
         "def minibatches(x, y, batch_size, rng):\n"
         "    b = len(x) if batch_size is None else batch_size\n"
         "    order = rng.permutation(len(x))\n"
         "    for s in range(0, len(x), b):\n"
         "        yield x[order[s:s + b]], y[order[s:s + b]]\n"),
    ],
    "momentum": [
        ("the notes' update sign with the velocity",
         "def sgd_momentum_step(w, g, velocity, lr, momentum):\n"
         "    velocity = momentum * velocity + lr * g\n"
         "    return w - velocity, velocity\n"),
        ("PyTorch's convention",
         "def sgd_momentum_step(w, g, velocity, lr, momentum):\n"
         "    velocity = momentum * velocity + g\n"
         "    return w - lr * velocity, velocity\n"),
        ("moved by the old velocity",
         "def sgd_momentum_step(w, g, velocity, lr, momentum):\n"
         "    return w + velocity, momentum * velocity - lr * g\n"),
        ("changes its inputs in place and returns the old velocity",
         "def sgd_momentum_step(w, g, velocity, lr, momentum):\n"
         "    step = momentum * velocity - lr * g\n"
         "    w += step\n"
         "    return w, velocity\n"),
    ],
    "nesterov": [
        ("plain momentum", "def nesterov_step(w, g, velocity, lr, momentum):\n"
                           "    velocity = momentum * velocity - lr * g\n"
                           "    return w + velocity, velocity\n"),
        ("the notes' update sign with the velocity",
         "def nesterov_step(w, g, velocity, lr, momentum):\n"
         "    velocity = momentum * velocity + lr * g\n"
         "    return w - momentum * velocity - lr * g, velocity\n"),
        ("gradient term missing", "def nesterov_step(w, g, velocity, lr, momentum):\n"
                                  "    velocity = momentum * velocity - lr * g\n"
                                  "    return w + momentum * velocity, velocity\n"),
    ],
}
