"""Plausible wrong answers to exercise 11: each must cost its part its points, and only its part."""

WRONG_ANSWERS = {
    "grid": [
        ("layer counts in the outer loop", "def grid(layer_counts, node_counts):\n"
                                           "    return [[n] * L for L in layer_counts for n in node_counts]\n"),
        ("every combination of widths", "import itertools\n\n"
                                        "def grid(layer_counts, node_counts):\n"
                                        "    return [list(a) for L in layer_counts\n"
                                        "            for a in itertools.product(node_counts, repeat=L)]\n"),
        ("(nodes, layers) pairs", "def grid(layer_counts, node_counts):\n"
                                  "    return [[n, L] for n in node_counts for L in layer_counts]\n"),
    ],
    "count": [
        ("biases forgotten", "def count_params(input_dim, hidden, output_dim):\n"
                             "    sizes = [input_dim, *hidden, output_dim]\n"
                             "    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))\n"),
        ("output layer forgotten", "def count_params(input_dim, hidden, output_dim):\n"
                                   "    sizes = [input_dim, *hidden]\n"
                                   "    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))\n"),
        ("first layer forgotten", "def count_params(input_dim, hidden, output_dim):\n"
                                  "    sizes = [*hidden, output_dim]\n"
                                  "    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))\n"),
    ],
    "subset": [
        ("plain random sample", "def subset(x, y, fraction, rng):\n"
                                "    kept = np.sort(rng.choice(len(y), max(1, round(fraction * len(y))), replace=False))\n"
                                "    return x[kept], y[kept]\n"),
        ("not sorted", "def subset(x, y, fraction, rng):\n"
                       "    kept = []\n"
                       "    for c in np.unique(y):\n"
                       "        idx = np.flatnonzero(y == c)\n"
                       "        kept.append(rng.choice(idx, max(1, round(fraction * len(idx))), replace=False))\n"
                       "    kept = np.concatenate(kept)\n"
                       "    return x[kept], y[kept]\n"),
        ("int instead of round", "def subset(x, y, fraction, rng):\n"
                                 "    kept = []\n"
                                 "    for c in np.unique(y):\n"
                                 "        idx = np.flatnonzero(y == c)\n"
                                 "        kept.append(rng.choice(idx, max(1, int(fraction * len(idx))), replace=False))\n"
                                 "    kept = np.sort(np.concatenate(kept))\n"
                                 "    return x[kept], y[kept]\n"),
        ("rng.permutation instead of rng.choice",
         "def subset(x, y, fraction, rng):\n"
         "    kept = []\n"
         "    for c in np.unique(y):\n"
         "        idx = np.flatnonzero(y == c)\n"
         "        kept.append(rng.permutation(idx)[:max(1, round(fraction * len(idx)))])\n"
         "    kept = np.sort(np.concatenate(kept))\n"
         "    return x[kept], y[kept]\n"),
    ],
    "search": [
        ("worst first", "def search(architectures, train_and_score, input_dim, output_dim):\n"
                        "    results = [(a, train_and_score(a)) for a in architectures]\n"
                        "    return sorted(results, key=lambda r: (r[1], count_params(input_dim, r[0], output_dim)))\n"),
        ("ties to the larger model", "def search(architectures, train_and_score, input_dim, output_dim):\n"
                                     "    results = [(a, train_and_score(a)) for a in architectures]\n"
                                     "    return sorted(results, key=lambda r: (r[1], count_params(input_dim, r[0], "
                                     "output_dim)), reverse=True)\n"),
        ("trains each architecture twice", "def search(architectures, train_and_score, input_dim, output_dim):\n"
                                           "    ranked = sorted(architectures, key=lambda a: (-train_and_score(a),\n"
                                           "                    count_params(input_dim, a, output_dim)))\n"
                                           "    return [(a, train_and_score(a)) for a in ranked]\n"),
    ],
    "loguniform": [
        ("uniform, not log-uniform", "def log_uniform(low, high, n, rng):\n"
                                     "    return rng.uniform(low, high, size=n)\n"),
        ("np.exp of base-10 exponents", "def log_uniform(low, high, n, rng):\n"
                                        "    return np.exp(rng.uniform(np.log10(low), np.log10(high), size=n))\n"),
        ("a grid with np.logspace", "def log_uniform(low, high, n, rng):\n"
                                    "    return np.logspace(np.log10(low), np.log10(high), n)\n"),
    ],
}
