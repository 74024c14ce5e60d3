"""How fast is nnlib? Three ratios, each measured side by side in one run.

(a) nnlib ``fit`` against a hand-written NumPy loop doing the same maths on digits
    (64-128-10, ReLU, softmax, Adam, batch 32, 20 epochs), with float64 data and with
    float32 data, given to a default model (its float type follows the data's).
                                                                  target: <= 1.25x the loop, both
(b) nnlib ``fit`` against Keras ``fit`` on the same model.        target: >= 10x faster
(c) GFLOP/s of nnlib training a GEMM-bound float32 MLP (784-1024-1024-10, batch 512)
    against NumPy's own matrix product on the same shapes.        target: >= 60 % of NumPy

Each contender runs in turn, ``--repeats`` times, and the best time of each is kept:
the machine is shared and noisy, and the minimum is the least disturbed measurement.

    .venv/bin/python benchmarks/train_speed.py [--repeats 5] [--skip-keras]
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import numpy as np

from nnlib import Sequential, data, layers, optimizers

EPOCHS, BATCH, HIDDEN = 20, 32, 128


def digits(dtype):
    x, y = data.load_digits()
    x_train, _, y_train, _ = data.train_holdout_split(x, y, holdout=0.2, seed=0)
    (x_train,) = data.standardize(x_train)
    return x_train.astype(dtype), y_train


def initial_weights(dtype, seed=0):
    model = nnlib_model(dtype, seed)
    model.build((None, 64))
    return model.get_weights()


def nnlib_model(dtype=None, seed=0):
    model = Sequential([layers.Dense(HIDDEN, activation="relu", kernel_initializer="he_normal"),
                        layers.Dense(10, activation="softmax")], seed=seed, dtype=dtype)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def run_nnlib(x, y, weights, dtype):
    """A default model (no dtype given), as a user writes it: its float type follows the data's."""
    model = nnlib_model()
    model.fit(x[:1], y[:1], epochs=0, verbose=0)  # builds it, in the data's float type
    assert model.dtype == dtype, f"a default model given {dtype} data computes in {model.dtype}"
    model.set_weights(weights)
    start = time.perf_counter()
    model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, verbose=0)
    return time.perf_counter() - start, model.evaluate(x, y)[1]


def run_numpy(x, y, weights, dtype, seed=0):
    """The same training written as one plain loop: what nnlib's abstractions must not slow down."""
    W1, b1, W2, b2 = (w.copy() for w in weights)
    params = [W1, b1, W2, b2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, beta1, beta2, eps = 1e-3, 0.9, 0.999, 1e-7
    rng = np.random.default_rng(seed)
    n, t = len(x), 0
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = rng.permutation(n)
        correct = 0
        for i in range(0, n, BATCH):
            idx = order[i:i + BATCH]
            xb, yb = x[idx], y[idx]
            h = np.maximum(xb @ W1 + b1, 0)
            z = h @ W2 + b2
            e = np.exp(z - z.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            rows = np.arange(len(idx))
            _loss = -np.mean(np.log(np.clip(p[rows, yb], 1e-7, 1)))  # reported, as fit reports it
            correct += int(np.sum(p.argmax(axis=1) == yb))
            dz = p.copy()
            dz[rows, yb] -= 1
            dz /= len(idx)
            dh = (dz @ W2.T) * (h > 0)
            grads = [xb.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)]
            t += 1
            lr_t = lr * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
            for p_, g, m_, v_ in zip(params, grads, m, v, strict=True):
                m_ += (1 - beta1) * (g - m_)
                v_ += (1 - beta2) * (g * g - v_)
                p_ -= lr_t * m_ / (np.sqrt(v_) + eps)
    elapsed = time.perf_counter() - start
    h = np.maximum(x @ W1 + b1, 0)
    return elapsed, float(np.mean((h @ W2 + b2).argmax(axis=1) == y))


def run_keras(x, y, weights):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    model = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(HIDDEN, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.set_weights([w.astype("float32") for w in weights])
    start = time.perf_counter()
    model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, verbose=0)
    elapsed = time.perf_counter() - start
    return elapsed, float(model.evaluate(x, y, verbose=0)[1])


def gemm_throughput(repeats):
    """GFLOP/s of nnlib training steps vs NumPy matmuls of the same shapes (float32)."""
    rng = np.random.default_rng(0)
    sizes, batch = [784, 1024, 1024, 10], 512
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    model = Sequential([layers.Dense(1024, activation="relu"), layers.Dense(1024, activation="relu"),
                        layers.Dense(10, activation="softmax")], seed=0, dtype="float32")
    model.compile(optimizer=optimizers.SGD(1e-3), loss="sparse_categorical_crossentropy")
    # A training step multiplies three matrices per layer (forward x W, backward x^T dZ and dZ W^T),
    # except dZ W^T in the first layer: that is the gradient for the data, which training never needs.
    shapes = list(itertools.pairwise(sizes))
    flops = sum(2 * batch * a * b * (2 if layer == 0 else 3) for layer, (a, b) in enumerate(shapes))
    mats = [(rng.standard_normal((batch, a), dtype=np.float32), rng.standard_normal((a, b), dtype=np.float32),
             rng.standard_normal((batch, b), dtype=np.float32)) for a, b in shapes]
    steps = 10
    model.train_on_batch(x, y)  # build and warm up
    best_model = best_numpy = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            model.train_on_batch(x, y)
        best_model = min(best_model, (time.perf_counter() - start) / steps)
        start = time.perf_counter()
        for _ in range(steps):
            for layer, (a, w, dz) in enumerate(mats):
                a @ w
                a.T @ dz
                if layer:
                    dz @ w.T
        best_numpy = min(best_numpy, (time.perf_counter() - start) / steps)
    return flops / best_model / 1e9, flops / best_numpy / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-keras", action="store_true")
    args = parser.parse_args()

    results = {}
    for dtype in ("float64", "float32"):
        x, y = digits(dtype)
        weights = initial_weights(dtype)
        runs = {"nnlib": [], "numpy loop": []}
        for _ in range(args.repeats):  # interleaved, so a noisy moment hits both
            runs["nnlib"].append(run_nnlib(x, y, weights, dtype))
            runs["numpy loop"].append(run_numpy(x, y, weights, dtype))
        results[dtype] = {k: min(r[0] for r in v) for k, v in runs.items()}
        acc = {k: v[-1][1] for k, v in runs.items()}
        print(f"(a) digits 64-{HIDDEN}-10, Adam, batch {BATCH}, {EPOCHS} epochs, {dtype}: "
              f"nnlib {results[dtype]['nnlib']:.3f} s (train acc {acc['nnlib']:.3f}), "
              f"hand-written loop {results[dtype]['numpy loop']:.3f} s (train acc {acc['numpy loop']:.3f})")
    ratios = {dtype: results[dtype]["nnlib"] / results[dtype]["numpy loop"] for dtype in results}
    print(f"(a) nnlib / hand-written loop = {ratios['float64']:.2f}x in float64, {ratios['float32']:.2f}x in "
          "float32  (target <= 1.25x each)")

    if not args.skip_keras:
        x, y = digits("float32")
        weights = initial_weights("float32")
        keras_time = min(run_keras(x, y, weights)[0] for _ in range(max(1, args.repeats // 2)))
        ratio_b = keras_time / results["float32"]["nnlib"]
        print(f"(b) Keras fit {keras_time:.3f} s vs nnlib fit {results['float32']['nnlib']:.3f} s (float32): "
              f"nnlib is {ratio_b:.1f}x faster  (target >= 10x)")

    nnlib_gflops, numpy_gflops = gemm_throughput(args.repeats)
    print(f"(c) 784-1024-1024-10 float32, batch 512: nnlib {nnlib_gflops:.1f} GFLOP/s, NumPy matmul "
          f"{numpy_gflops:.1f} GFLOP/s: {nnlib_gflops / numpy_gflops:.0%} of NumPy  (target >= 60 %)")


if __name__ == "__main__":
    main()
