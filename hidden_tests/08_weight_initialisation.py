"""Hidden tests of exercise 8, Weight initialisation: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it. An initialiser is called in the
kernel with a generator sent as data (the kernel rebuilds the same generator from its state);
the kernel returns the kernel array and its statistics are computed here, beside the reference's
and each mistake's, drawn with a generator in the same state.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import nnlib
import nnlib.initializers as nn_init
import nnlib.layers as nn_layers
from nbcourse.checks import CheckFailed, Mistake, Part, StudentError, check_function

GLOROT_HINT = "See the chapter 'Weight initialisation', section 'Xavier/Glorot'."
HE_HINT = "See the chapter 'Weight initialisation', section 'He'."
CHAPTER_HINT = "See the chapter 'Weight initialisation'."
KERAS_TRUNCATED_STD = 0.87962566103423978


def generator(rng):
    return np.random.default_rng(int(rng.integers(2**31)))


def statistics(kernel, name):
    """[std, largest |w|, mean] of a kernel."""
    try:
        W = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} returned a {type(kernel).__name__}, not an array of numbers") from None
    if W.size == 0:
        raise CheckFailed(f"{name} returned an empty array")
    return np.array([W.std(), np.abs(W).max(), W.mean()])


def large_fans(rng):
    """A random (fan_in, fan_out) with 100,000 weights or more, in the range of the fixed ones."""
    fan_in = int(rng.integers(200, 1001))
    return fan_in, int(rng.integers(max(100, math.ceil(100_000 / fan_in)), 1001))


def check_initializer(student, rng, name, reference, fans, mistakes):
    """Shape first, then the statistics of large kernels, each to within 2% of the reference's std."""
    initializer = student.function(name)
    for fan_in, fan_out in [(3, 2), (1, 5)]:
        try:
            W = initializer(fan_in, fan_out, generator(rng))
        except StudentError as error:
            raise CheckFailed(error.describe(f"{name}({fan_in}, {fan_out}, rng)")) from None
        if np.shape(W) != (fan_in, fan_out):
            raise CheckFailed(f"{name}({fan_in}, {fan_out}, rng) returned shape {np.shape(W)}: the kernel "
                              f"must have shape (fan_in, fan_out) = ({fan_in}, {fan_out})")
    for fan_in, fan_out in fans:
        seed = int(rng.integers(2**31))  # the student, the reference and every mistake draw from the same state

        def drawn(function, seed=seed):
            return lambda a, b: statistics(function(a, b, np.random.default_rng(seed)), name)

        tolerance = 0.02 * drawn(reference)(fan_in, fan_out)[0]
        check_function(
            drawn(initializer), drawn(reference),
            name=f"{name}: [std, largest |w|, mean] of the kernel for (fan_in, fan_out) = ",
            cases=[(fan_in, fan_out)], rtol=0.0, atol=tolerance,
            mistakes=[Mistake(m.name, drawn(m.function), m.hint) for m in mistakes])


def keras(initializer_class):
    return lambda fan_in, fan_out, rng: initializer_class()((fan_in, fan_out), rng=rng)


def uniform(limit):
    return lambda fan_in, fan_out, rng: rng.uniform(-limit(fan_in, fan_out), limit(fan_in, fan_out), (fan_in, fan_out))


def normal(std):
    return lambda fan_in, fan_out, rng: rng.normal(0.0, std(fan_in, fan_out), (fan_in, fan_out))


def truncated(std, rescale=True):
    def draw(fan_in, fan_out, rng):
        s = std(fan_in, fan_out) / (KERAS_TRUNCATED_STD if rescale else 1.0)
        return nn_init.truncated_normal(rng, (fan_in, fan_out), s)
    return draw


def clipped(std):
    def draw(fan_in, fan_out, rng):
        s = std(fan_in, fan_out) / KERAS_TRUNCATED_STD
        return np.clip(rng.normal(0.0, s, (fan_in, fan_out)), -2 * s, 2 * s)
    return draw


def glorot_std(i, o):
    return np.sqrt(2 / (i + o))


def he_std(i, o):
    return np.sqrt(2 / i)


def check_glorot_uniform(student, rng):
    check_initializer(
        student, rng, "glorot_uniform", keras(nn_init.GlorotUniform),
        [(400, 300), (784, 128), (200, 1000), large_fans(rng)],
        mistakes=[
            Mistake("the notes' bound was read as a normal distribution with standard deviation "
                    "sqrt(6 / (fan_in + fan_out)): the weights are uniform on [-limit, limit]",
                    normal(lambda i, o: np.sqrt(6 / (i + o))), GLOROT_HINT),
            Mistake("a normal distribution with the right variance 2 / (fan_in + fan_out) was used: that is "
                    "glorot_normal's idea; glorot_uniform is uniform on [-limit, limit]",
                    normal(glorot_std), GLOROT_HINT),
            Mistake("the square root is missing: limit = sqrt(6 / (fan_in + fan_out))",
                    uniform(lambda i, o: 6 / (i + o)), GLOROT_HINT),
            Mistake("the weights were drawn from [0, limit]: they must be centred on 0, in [-limit, limit]",
                    lambda i, o, rng: rng.uniform(0, np.sqrt(6 / (i + o)), (i, o)), GLOROT_HINT),
            Mistake("the limit uses fan_in only (that is He's sqrt(6 / fan_in)): Glorot averages both fans",
                    uniform(lambda i, o: np.sqrt(6 / i)), GLOROT_HINT),
            Mistake("the limit is sqrt(2 / (fan_in + fan_out)), the standard deviation: a uniform on "
                    "[-limit, limit] has standard deviation limit / sqrt(3)", uniform(glorot_std), GLOROT_HINT),
        ],
    )


def check_he_uniform(student, rng):
    check_initializer(
        student, rng, "he_uniform", keras(nn_init.HeUniform), [(400, 300), (128, 784), (1000, 200), large_fans(rng)],
        mistakes=[
            Mistake("fan_in and fan_out were swapped: He's limit counts the layer's inputs, sqrt(6 / fan_in)",
                    uniform(lambda i, o: np.sqrt(6 / o)), HE_HINT),
            Mistake("the limit is sqrt(2 / fan_in), the standard deviation: a uniform on [-limit, limit] has "
                    "standard deviation limit / sqrt(3)", uniform(he_std), HE_HINT),
            Mistake("the square root is missing: limit = sqrt(6 / fan_in)", uniform(lambda i, o: 6 / i), HE_HINT),
            Mistake("the limit is sqrt(3 / fan_in), variance 1 / fan_in: He doubles that, to 2 / fan_in, for ReLU",
                    uniform(lambda i, o: np.sqrt(3 / i)), HE_HINT),
            Mistake("Glorot's limit sqrt(6 / (fan_in + fan_out)) was used", uniform(lambda i, o: np.sqrt(6 / (i + o))),
                    HE_HINT),
        ],
    )


def check_normal(student, rng):
    check_initializer(
        student, rng, "glorot_normal", keras(nn_init.GlorotNormal), [(400, 300), (784, 128), (200, 1000),
                                                                     large_fans(rng)],
        mistakes=[
            Mistake("a plain normal was used, not truncated at 2s: its tails reach far beyond 2s",
                    normal(glorot_std), GLOROT_HINT),
            Mistake("the values were truncated at 2s but s was not divided by 0.8796...: the standard "
                    "deviation comes out 12% too small", truncated(glorot_std, rescale=False), GLOROT_HINT),
            Mistake("values beyond 2s were clipped to +-2s instead of drawn again", clipped(glorot_std), GLOROT_HINT),
            Mistake("the notes' bound sqrt(6 / (fan_in + fan_out)) was used as the standard deviation: that "
                    "is the uniform's limit", truncated(lambda i, o: np.sqrt(6 / (i + o))), GLOROT_HINT),
            Mistake("the square root is missing: sigma = sqrt(2 / (fan_in + fan_out))",
                    truncated(lambda i, o: 2 / (i + o)), GLOROT_HINT),
            Mistake("a uniform distribution was used", keras(nn_init.GlorotUniform), GLOROT_HINT),
        ],
    )
    check_initializer(
        student, rng, "he_normal", keras(nn_init.HeNormal), [(400, 300), (784, 128), (200, 1000), large_fans(rng)],
        mistakes=[
            Mistake("fan_in and fan_out were swapped: He's sigma counts the layer's inputs, sqrt(2 / fan_in)",
                    truncated(lambda i, o: np.sqrt(2 / o)), HE_HINT),
            Mistake("the variance is 1 / fan_in: He doubles it, to 2 / fan_in, because ReLU zeroes half "
                    "the inputs", truncated(lambda i, o: np.sqrt(1 / i)), HE_HINT),
            Mistake("the square root is missing: sigma = sqrt(2 / fan_in)", truncated(lambda i, o: 2 / i), HE_HINT),
            Mistake("a plain normal was used, not truncated at 2s: its tails reach far beyond 2s",
                    normal(he_std), HE_HINT),
            Mistake("the values were truncated at 2s but s was not divided by 0.8796...: the standard "
                    "deviation comes out 12% too small", truncated(he_std, rescale=False), HE_HINT),
            Mistake("values beyond 2s were clipped to +-2s instead of drawn again", clipped(he_std), HE_HINT),
            Mistake("Glorot's sigma sqrt(2 / (fan_in + fan_out)) was used", truncated(glorot_std), HE_HINT),
        ],
    )


def network(weights, activation):
    model = nnlib.Sequential([nn_layers.Dense(W.shape[1], activation=activation, use_bias=False) for W in weights])
    model.build(weights[0].shape[0])
    model.set_weights(weights)
    return model


def layer_stds(x, weights, activation, statistic):
    """statistic(layer) for each layer of the network, after its forward pass."""
    a, stds = x, []
    for layer in network(weights, activation).layers:
        a = layer.forward(a)
        stds.append(statistic(layer, a))
    return np.array(stds)


def reference_activation_stds(x, weights, activation):
    return layer_stds(x, weights, activation, lambda layer, a: np.std(a))


def check_activation_stds(student, rng):
    def kernels(sizes, std):
        return [rng.normal(0, std(d_in), (d_in, d_out)) for d_in, d_out in itertools.pairwise(sizes)]

    cases = [
        (rng.standard_normal((64, 50)), kernels([50] * 7, lambda d: 1 / np.sqrt(d)), "tanh"),
        (rng.standard_normal((32, 20)), kernels([20, 30, 10, 5], lambda d: np.sqrt(2 / d)), "relu"),
        (rng.standard_normal((1, 8)), kernels([8, 8, 6, 4], lambda d: 1.0), "sigmoid"),
        (rng.standard_normal((100, 100)), kernels([100] * 11, lambda d: 0.01), "tanh"),   # vanishing
        (rng.standard_normal((50, 100)), kernels([100] * 11, lambda d: 1.0), "relu"),     # exploding
        (rng.standard_normal((40, 30)), kernels([30] * 6, lambda d: 0.5), "linear"),
    ]
    check_function(
        student.function("activation_stds"), reference_activation_stds, name="activation_stds", cases=cases,
        rtol=1e-6, atol=0.0,
        mistakes=[
            Mistake("the standard deviations of the pre-activations z = a W were returned, not of the outputs "
                    "f(z)", lambda x, weights, activation: layer_stds(x, weights, activation,
                                                                      lambda layer, a: np.std(layer.z)), CHAPTER_HINT),
            Mistake("the activation was never applied: every layer is linear",
                    lambda x, weights, activation: reference_activation_stds(x, weights, "linear"), CHAPTER_HINT),
            Mistake("the list starts with the standard deviation of the input x and misses the last layer's",
                    lambda x, weights, activation: np.r_[np.std(x),
                                                         reference_activation_stds(x, weights, activation)[:-1]],
                    CHAPTER_HINT),
            Mistake("each kernel was used transposed: with one sample per row a layer computes a @ W",
                    lambda x, weights, activation: reference_activation_stds(x, [W.T for W in weights], activation),
                    CHAPTER_HINT),
            Mistake("the standard deviation of each unit was averaged over the units: take np.std of the whole "
                    "(n, units) output", lambda x, weights, activation: layer_stds(
                        x, weights, activation, lambda layer, a: np.mean(np.std(a, axis=0))), CHAPTER_HINT),
            Mistake("np.std(..., ddof=1) was used: the exercise asks for np.std's default, ddof=0",
                    lambda x, weights, activation: layer_stds(x, weights, activation,
                                                              lambda layer, a: np.std(a, ddof=1)), CHAPTER_HINT),
        ],
    )


PARTS = [
    Part("glorot_uniform_test", check_glorot_uniform),
    Part("he_uniform_test", check_he_uniform),
    Part("normal_test", check_normal),
    Part("activation_stds_test", check_activation_stds),
]
