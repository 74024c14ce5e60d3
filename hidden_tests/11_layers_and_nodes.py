"""Hidden tests of exercise 11, How many layers and nodes: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it. The data sets of ``subset``
(nnlib's digits and two-class data) are loaded here and sent to the kernel as arrays; the
stand-in for training that ``search`` calls is served from here, like the reference
``count_params`` it uses.
"""

from __future__ import annotations

import itertools

import numpy as np

import nnlib
import nnlib.data
from nbcourse.checks import CheckFailed, Mistake, Part, StudentError, check_function

KERNEL_PACKAGES = ("numpy",)

GRID_HINT = "See the chapter 'How many layers and nodes', section 'The grid'."
SPACE_HINT = "See the chapter 'How many layers and nodes', section 'The search space'."
SUBSET_HINT = "See the chapter 'How many layers and nodes', section 'The data, and a subset to search on'."
RANDOM_HINT = "See the chapter 'How many layers and nodes', section 'Random search, on a log scale'."

# Loaded when the module is imported, before any part's clock starts (the first load imports scikit-learn).
DIGITS = nnlib.data.load_digits()


def reference_grid(layer_counts, node_counts):
    return [[n] * L for n in node_counts for L in layer_counts]


def check_grid(student, rng):
    cases = [([1, 2], [16, 32]), ([1, 2, 3], [8, 16, 32, 64]), ([0, 1], [10]), ([3, 1], [64, 4]), ([2], [5, 6, 7])]
    cases += [([int(L) for L in rng.choice(4, size=int(rng.integers(1, 4)), replace=False)],
               [int(n) for n in rng.choice(np.arange(2, 65), size=int(rng.integers(1, 5)), replace=False)])
              for _ in range(3)]
    check_function(
        student.function("grid"), reference_grid, name="grid", cases=cases,
        mistakes=[
            Mistake("the loops are the other way round: node counts go in the outer loop, layer counts in the "
                    "inner one",
                    lambda layer_counts, node_counts: [[n] * L for L in layer_counts for n in node_counts], GRID_HINT),
            Mistake("every combination of widths was generated ([16, 32] too): the grid has n units in every "
                    "hidden layer",
                    lambda layer_counts, node_counts: [list(a) for L in layer_counts
                                                       for a in itertools.product(node_counts, repeat=L)], GRID_HINT),
            Mistake("each architecture is the pair (nodes, layers): it must be the list of hidden-layer sizes, "
                    "[n] * L",
                    lambda layer_counts, node_counts: [[n, L] for n in node_counts for L in layer_counts], GRID_HINT),
        ],
    )


def reference_count(input_dim, hidden, output_dim, use_bias=True):
    model = nnlib.Sequential([nnlib.layers.Dense(units, use_bias=use_bias) for units in [*hidden, output_dim]])
    model.build(input_dim)
    return model.count_params()


def check_count(student, rng):
    cases = [(64, [32], 10), (4, [16, 16], 3), (784, [128, 64, 32], 10), (5, [], 2), (1, [1], 1),
             (13, [7, 9, 11, 3], 1)]
    cases += [(int(rng.integers(1, 800)), [int(units) for units in rng.integers(1, 129, size=int(rng.integers(0, 5)))],
               int(rng.integers(1, 11))) for _ in range(3)]
    check_function(
        student.function("count_params"), reference_count, name="count_params", cases=cases,
        mistakes=[
            Mistake("the biases are forgotten: every unit of every layer has one",
                    lambda d, hidden, k: reference_count(d, hidden, k, use_bias=False), SPACE_HINT),
            Mistake("the output layer is missing: count the layer from the last hidden layer to the outputs too",
                    lambda d, hidden, k: reference_count(d, hidden[:-1], hidden[-1]) if hidden else 0, SPACE_HINT),
            Mistake("the first layer is missing: count the weights from the inputs to the first hidden layer too",
                    lambda d, hidden, k: reference_count(hidden[0], hidden[1:], k) if hidden else 0, SPACE_HINT),
            Mistake("the inputs are counted as a layer with biases: the input layer has no parameters",
                    lambda d, hidden, k: reference_count(d, hidden, k) + d, SPACE_HINT),
        ],
    )


def stratified(x, y, fraction, rng, size=lambda f, m: max(1, round(f * m)), order=np.sort, draw="choice"):
    kept = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = size(fraction, len(idx))
        kept.append(rng.choice(idx, k, replace=False) if draw == "choice" else rng.permutation(idx)[:k])
    kept = order(np.concatenate(kept))
    return x[kept], y[kept]


def plain_random(x, y, fraction, rng):
    kept = np.sort(rng.choice(len(y), max(1, round(fraction * len(y))), replace=False))
    return x[kept], y[kept]


def check_subset(student, rng):
    def generator():
        return np.random.default_rng(int(rng.integers(2**31)))

    digits_x, digits_y = DIGITS
    moons_x, moons_y = nnlib.data.make_two_class(300, seed=11)
    rare_y = np.where(rng.random(80) < 0.9, 3, 7)  # labels 3 and 7, class 7 rare
    rare_y[5] = 9  # a class of one sample
    n = int(rng.integers(50, 301))
    cases = [(digits_x, digits_y, 0.1, generator()), (moons_x, moons_y, 0.237, generator()),
             (rng.normal(size=(80, 3)), rare_y, 0.3, generator()),
             (rng.normal(size=(80, 3)), rare_y, 0.05, generator()),
             (digits_x[:200], digits_y[:200], 1.0, generator()),
             (rng.normal(size=(n, 2)), rng.integers(0, int(rng.integers(2, 6)), n), float(rng.uniform(0.05, 0.5)),
              generator())]
    check_function(
        student.function("subset"), stratified, name="subset", cases=cases,
        mistakes=[
            Mistake("a plain random sample of all the data was taken: take the fraction of each class "
                    "separately (stratified)", plain_random, SUBSET_HINT),
            Mistake("the kept indices are not sorted: the subset should keep the data's order",
                    lambda x, y, f, rng: stratified(x, y, f, rng, order=lambda i: i), SUBSET_HINT),
            Mistake("int() was used instead of round(): int truncates, 8.7 samples become 8, not 9",
                    lambda x, y, f, rng: stratified(x, y, f, rng, size=lambda f, m: max(1, int(f * m))), SUBSET_HINT),
            Mistake("a class whose share rounds to 0 samples was dropped: every class keeps at least one",
                    lambda x, y, f, rng: stratified(x, y, f, rng, size=lambda f, m: round(f * m)), SUBSET_HINT),
            Mistake("the samples were picked with rng.permutation: it draws a different sample from the same "
                    "generator than rng.choice; draw each class's samples with rng.choice(idx, k, replace=False)",
                    lambda x, y, f, rng: stratified(x, y, f, rng, draw="permutation"), SUBSET_HINT),
        ],
    )


class FakeTraining:
    """A stand-in for training: a fixed score per architecture, and a count of the calls. It stays in
    the grader: the student's ``search`` gets a stub that asks it for each architecture's score."""

    def __init__(self, scores):
        self.scores, self.calls = scores, 0

    def __call__(self, architecture):
        self.calls += 1
        return self.scores[tuple(architecture)]

    def __repr__(self):
        return "train_and_score"


def ranked(architectures, train_and_score, input_dim, output_dim, best=-1, smaller=1):
    results = [(a, train_and_score(a)) for a in architectures]
    return sorted(results, key=lambda r: (best * r[1], smaller * reference_count(input_dim, r[0], output_dim)))


# Kernel side: the student's search, given the grader's stand-in for training (bound, with the
# reference count_params, in the notebook's namespace while this runs; see nbcourse/harness.py).
SEARCH_DRIVER = """
search = student.get("search")
if not callable(search):
    raise NameError("search is not defined: run its answer cell")
result = search(architectures, student["train_and_score"], input_dim, output_dim)
"""


def kernel_search(student):
    """The student's ``search`` as a function of data and a grader-side ``train_and_score``, with the
    reference ``count_params`` and the stand-in served from here."""

    def search(architectures, train_and_score, input_dim, output_dim):
        result, _ = student.run(SEARCH_DRIVER, substitutes={"count_params": reference_count,
                                                            "train_and_score": train_and_score},
                                architectures=architectures, input_dim=input_dim, output_dim=output_dim)
        return result

    return search


def check_search(student, rng):
    # First, a case on which every mistake below gives its own answer: one best score, and ties
    # between models of different sizes that are neither in the input order nor in its reverse.
    cases = [([[16, 16], [4, 4], [64], [8]], FakeTraining({(16, 16): 0.5, (4, 4): 0.5, (64,): 0.5, (8,): 0.9}), 3, 2)]
    settings = [([1, 2, 3], [8, 16, 32], 64, 10), ([0, 1, 2], [4, 12], 2, 1), ([1, 2], [5, 10, 20], 13, 3),
                (sorted(int(L) for L in rng.choice(4, size=int(rng.integers(2, 4)), replace=False)),
                 [int(n) for n in rng.choice(np.arange(2, 65), size=int(rng.integers(2, 4)), replace=False)],
                 int(rng.integers(1, 100)), int(rng.integers(1, 11)))]
    for layers, nodes, d, k in settings:
        architectures = [[n] * L for n in nodes for L in layers]
        scores = dict(zip(map(tuple, architectures), rng.choice([0.91, 0.93, 0.95, 0.97], len(architectures)),
                          strict=True))
        cases.append((architectures, FakeTraining(scores), d, k))
    architectures = [[16, 16], [4, 4], [64], [4, 4]]  # equal scores and sizes: the input order
    cases.append((architectures, FakeTraining({(16, 16): 0.5, (4, 4): 0.5, (64,): 0.5}), 3, 2))
    search = kernel_search(student)
    check_function(
        search, ranked, name="search", cases=cases,
        mistakes=[
            Mistake("the list is sorted worst first: higher scores are better and come first",
                    lambda *args: ranked(*args, best=1), GRID_HINT),
            Mistake("among equal scores the larger model comes first: ties go to fewer parameters",
                    lambda *args: ranked(*args, smaller=-1), GRID_HINT),
            Mistake("the list is sorted worst first, and ties go to the larger model",
                    lambda *args: ranked(*args, best=1, smaller=-1), GRID_HINT),
            Mistake("equal scores are left in the input order: ties go to the model with fewer parameters",
                    lambda *args: ranked(*args, smaller=0), GRID_HINT),
            Mistake("each pair is (score, architecture): return (architecture, score)",
                    lambda *args: [(s, a) for a, s in ranked(*args)], GRID_HINT),
        ],
    )
    architectures, training, d, k = cases[1]  # nine architectures
    counter = FakeTraining(training.scores)
    try:
        search(architectures, counter, d, k)
    except StudentError as error:
        raise CheckFailed(error.describe(f"search(..., train_and_score, {d}, {k})")) from None
    if counter.calls != len(architectures):
        raise CheckFailed(f"search called train_and_score {counter.calls} times for {len(architectures)} "
                          "architectures: train each architecture once and keep its score. " + GRID_HINT)


def reference_log_uniform(low, high, n, rng):
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=n)


def check_log_uniform(student, rng):
    def generator():
        return np.random.default_rng(int(rng.integers(2**31)))

    cases = [(1e-5, 1.0, 10, generator()), (8.0, 128.0, 9, generator()), (1e-4, 1e-1, 1, generator()),
             (0.5, 2.0, 100, generator()), (2.0, 2.5, 5, generator()),
             (float(10 ** rng.uniform(-6, -3)), float(10 ** rng.uniform(-2, 1)), int(rng.integers(2, 50)),
              generator())]
    check_function(
        student.function("log_uniform"), reference_log_uniform, name="log_uniform", cases=cases,
        mistakes=[
            Mistake("the values are uniform between low and high: on a log scale the exponent is uniform, "
                    "so most draws are not crowded into the top decade",
                    lambda low, high, n, rng: rng.uniform(low, high, size=n), RANDOM_HINT),
            Mistake("the exponents u were returned: return 10 ** u",
                    lambda low, high, n, rng: rng.uniform(np.log10(low), np.log10(high), size=n), RANDOM_HINT),
            Mistake("the exponent of base-10 logarithms was taken with np.exp: undo log10 with 10 ** u",
                    lambda low, high, n, rng: np.exp(rng.uniform(np.log10(low), np.log10(high), size=n)),
                    RANDOM_HINT),
            Mistake("the bounds were not turned into logarithms: draw u between log10(low) and log10(high)",
                    lambda low, high, n, rng: 10.0 ** rng.uniform(low, high, size=n), RANDOM_HINT),
            Mistake("the natural logarithm was undone with 10 ** u: use one base for both",
                    lambda low, high, n, rng: 10.0 ** rng.uniform(np.log(low), np.log(high), size=n), RANDOM_HINT),
            Mistake("np.logspace gives evenly spaced values, a grid: a random search draws them at random",
                    lambda low, high, n, rng: np.logspace(np.log10(low), np.log10(high), n), RANDOM_HINT),
        ],
    )


PARTS = [
    Part("grid_test", check_grid),
    Part("count_test", check_count),
    Part("subset_test", check_subset),
    Part("search_test", check_search),
    Part("loguniform_test", check_log_uniform),
]
