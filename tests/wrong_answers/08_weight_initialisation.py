"""Plausible wrong answers to exercise 8: each must cost its part its points, and only its part."""

TRUNCATED = (
    "def truncated_normal(s, shape, rng):\n"
    "    values = rng.standard_normal(shape)\n"
    "    outside = np.abs(values) > 2\n"
    "    while outside.any():\n"
    "        values[outside] = rng.standard_normal(outside.sum())\n"
    "        outside = np.abs(values) > 2\n"
    "    return s * values\n\n\n"
)
HE_NORMAL = "def he_normal(fan_in, fan_out, rng):\n    return truncated_normal(np.sqrt(2 / fan_in) / TRUNCATED_STD, (fan_in, fan_out), rng)\n"
GLOROT_NORMAL = (
    "def glorot_normal(fan_in, fan_out, rng):\n"
    "    return truncated_normal(np.sqrt(2 / (fan_in + fan_out)) / TRUNCATED_STD, (fan_in, fan_out), rng)\n\n\n"
)
ACTIVATIONS = (
    "def activation_stds(x, weights, activation):\n"
    "    f = {'linear': lambda z: z, 'tanh': np.tanh, 'relu': lambda z: np.maximum(z, 0),\n"
    "         'sigmoid': lambda z: 1 / (1 + np.exp(-z))}[activation]\n"
    "    a, stds = x, []\n"
    "    for W in weights:\n"
)

WRONG_ANSWERS = {
    "glorot_uniform": [
        ("the notes' bound read as a normal's std",
         "def glorot_uniform(fan_in, fan_out, rng):\n"
         "    return rng.normal(0, np.sqrt(6 / (fan_in + fan_out)), (fan_in, fan_out))\n"),
        ("sqrt missing", "def glorot_uniform(fan_in, fan_out, rng):\n"
                         "    limit = 6 / (fan_in + fan_out)\n    return rng.uniform(-limit, limit, (fan_in, fan_out))\n"),
        ("transposed shape", "def glorot_uniform(fan_in, fan_out, rng):\n    limit = np.sqrt(6 / (fan_in + fan_out))\n"
                             "    return rng.uniform(-limit, limit, (fan_out, fan_in))\n"),
        ("calls nnlib", "import nnlib.initializers\n\n\ndef glorot_uniform(fan_in, fan_out, rng):\n"
                        "    return nnlib.initializers.GlorotUniform()((fan_in, fan_out), rng=rng)\n"),
    ],
    "he_uniform": [
        ("fans swapped", "def he_uniform(fan_in, fan_out, rng):\n"
                         "    limit = np.sqrt(6 / fan_out)\n    return rng.uniform(-limit, limit, (fan_in, fan_out))\n"),
        ("variance 1/n", "def he_uniform(fan_in, fan_out, rng):\n"
                         "    limit = np.sqrt(3 / fan_in)\n    return rng.uniform(-limit, limit, (fan_in, fan_out))\n"),
        ("std used as the limit", "def he_uniform(fan_in, fan_out, rng):\n"
                                  "    limit = np.sqrt(2 / fan_in)\n    return rng.uniform(-limit, limit, (fan_in, fan_out))\n"),
    ],
    "normal": [
        ("plain normal, not truncated",
         "def truncated_normal(s, shape, rng):\n    return rng.normal(0, s, shape)\n\n\n"
         "def glorot_normal(fan_in, fan_out, rng):\n"
         "    return truncated_normal(np.sqrt(2 / (fan_in + fan_out)), (fan_in, fan_out), rng)\n\n\n"
         "def he_normal(fan_in, fan_out, rng):\n    return truncated_normal(np.sqrt(2 / fan_in), (fan_in, fan_out), rng)\n"),
        ("not rescaled by 0.8796",
         TRUNCATED + "def glorot_normal(fan_in, fan_out, rng):\n"
                     "    return truncated_normal(np.sqrt(2 / (fan_in + fan_out)), (fan_in, fan_out), rng)\n\n\n"
                     "def he_normal(fan_in, fan_out, rng):\n"
                     "    return truncated_normal(np.sqrt(2 / fan_in), (fan_in, fan_out), rng)\n"),
        ("clipped instead of redrawn",
         "def truncated_normal(s, shape, rng):\n    return np.clip(rng.normal(0, s, shape), -2 * s, 2 * s)\n\n\n"
         + GLOROT_NORMAL + HE_NORMAL),
        ("He with fans swapped",
         TRUNCATED + GLOROT_NORMAL + "def he_normal(fan_in, fan_out, rng):\n"
                                     "    return truncated_normal(np.sqrt(2 / fan_out) / TRUNCATED_STD, (fan_in, fan_out), rng)\n"),
        ("He with variance 1/n",
         TRUNCATED + GLOROT_NORMAL + "def he_normal(fan_in, fan_out, rng):\n"
                                     "    return truncated_normal(np.sqrt(1 / fan_in) / TRUNCATED_STD, (fan_in, fan_out), rng)\n"),
        ("He without the sqrt",
         TRUNCATED + GLOROT_NORMAL + "def he_normal(fan_in, fan_out, rng):\n"
                                     "    return truncated_normal(2 / fan_in / TRUNCATED_STD, (fan_in, fan_out), rng)\n"),
    ],
    "activation_stds": [
        ("std of the pre-activations", ACTIVATIONS + "        z = a @ W\n        a = f(z)\n        stds.append(z.std())\n"
                                                     "    return np.array(stds)\n"),
        ("starts with the input", ACTIVATIONS + "        stds.append(a.std())\n        a = f(a @ W)\n"
                                                "    return np.array(stds)\n"),
        ("no activation", ACTIVATIONS + "        a = a @ W\n        stds.append(a.std())\n    return np.array(stds)\n"),
    ],
}
