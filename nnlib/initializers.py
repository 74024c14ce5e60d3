"""Weight initialisers: where gradient descent starts.

A kernel of shape (fan_in, fan_out) connects fan_in inputs to fan_out units. Scaling
its random values by the fan keeps the variance of activations (Glorot/Xavier) or of
ReLU activations (He) about the same from layer to layer, so signals neither vanish
nor explode in a deep network. Biases start at zero.

Each initialiser takes a ``seed`` (an int or a ``numpy.random.Generator``); without
one it draws from the generator its layer passes in, so a model seeded once is
reproducible. As in Keras, the "normal" variants draw from a normal truncated at two
standard deviations, rescaled so that the variance is still the stated one.
"""

from __future__ import annotations

import numpy as np

from nnlib._checks import rng_from, unknown_name

Array = np.ndarray
# Standard deviation of a standard normal truncated to [-2, 2] (Keras uses the same constant).
_TRUNCATED_STD = 0.87962566103423978


def truncated_normal(rng: np.random.Generator, shape: tuple[int, ...], stddev: float) -> Array:
    """Normal(0, stddev^2) samples, redrawn until every one lies within two stddev."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while np.any(outside):
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return values * stddev


class Initializer:
    """Base class: ``init(shape, dtype, rng)`` returns a new array of that shape."""

    def __init__(self, seed: int | np.random.Generator | None = None):
        self.seed = seed
        self._rng = None if seed is None else rng_from(seed)

    def __call__(self, shape: tuple[int, ...], dtype="float64", rng: np.random.Generator | None = None) -> Array:
        rng = self._rng or rng or np.random.default_rng()
        return np.asarray(self.sample(tuple(shape), rng), dtype=dtype)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed!r})"


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel; a bias vector of length k counts as (k, k)."""
    if len(shape) == 1:
        return shape[0], shape[0]
    return int(np.prod(shape[:-1])), shape[-1]


class Zeros(Initializer):
    """All zeros: the default for biases."""

    def sample(self, shape, rng):
        return np.zeros(shape)


class RandomNormal(Initializer):
    """Normal(mean, stddev^2), Keras's default stddev 0.05: the naive choice that ignores the fan."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    """Uniform(minval, maxval), Keras's default range [-0.05, 0.05]."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)


class GlorotUniform(Initializer):
    """Xavier/Glorot uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).

    Its variance is limit^2 / 3 = 2 / (fan_in + fan_out).
    """

    def sample(self, shape, rng):
        fan_in, fan_out = fans(shape)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape)


class GlorotNormal(Initializer):
    """Xavier/Glorot normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""

    def sample(self, shape, rng):
        fan_in, fan_out = fans(shape)
        return truncated_normal(rng, shape, np.sqrt(2.0 / (fan_in + fan_out)) / _TRUNCATED_STD)


class HeNormal(Initializer):
    """He (Kaiming) normal: truncated normal with stddev sqrt(2 / fan_in), made for ReLU."""

    def sample(self, shape, rng):
        fan_in, _ = fans(shape)
        return truncated_normal(rng, shape, np.sqrt(2.0 / fan_in) / _TRUNCATED_STD)


class HeUniform(Initializer):
    """He (Kaiming) uniform: U(-limit, limit), limit = sqrt(6 / fan_in), variance 2 / fan_in."""

    def sample(self, shape, rng):
        fan_in, _ = fans(shape)
        limit = np.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, shape)


INITIALIZERS: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
}
ALIASES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal"}


def get(identifier: str | Initializer) -> Initializer:
    """An :class:`Initializer` for a Keras name such as ``"he_normal"``."""
    if isinstance(identifier, Initializer):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"initializer must be a name such as 'he_normal' or an Initializer, got {identifier!r}")
    name = ALIASES.get(identifier, identifier)
    if name not in INITIALIZERS:
        raise unknown_name("initializer", identifier, [*INITIALIZERS, *ALIASES])
    return INITIALIZERS[name]()
