"""Initialisers: the stated distributions, seeding, and names."""

import numpy as np
import pytest

from nnlib import initializers

SHAPE = (400, 300)  # fan_in 400, fan_out 300: 120,000 draws make the statistics tight


def test_glorot_uniform_limit_and_variance():
    w = initializers.GlorotUniform(seed=0)(SHAPE)
    limit = np.sqrt(6 / (400 + 300))
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    assert w.var() == pytest.approx(2 / (400 + 300), rel=0.02)
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize(("cls", "variance"), [
    (initializers.GlorotNormal, 2 / 700), (initializers.HeNormal, 2 / 400),
    (initializers.HeUniform, 2 / 400),
])
def test_variance_scaling(cls, variance):
    w = cls(seed=1)(SHAPE)
    assert w.var() == pytest.approx(variance, rel=0.02)
    assert abs(w.mean()) < 0.02 * np.sqrt(variance)


@pytest.mark.parametrize("cls", [initializers.GlorotNormal, initializers.HeNormal])
def test_normal_variants_are_truncated_at_two_stddev(cls):
    w = cls(seed=2)(SHAPE)
    # The untruncated stddev is the target one divided by 0.8796...; nothing beyond 2 of those.
    raw_std = np.sqrt(w.var()) / 0.87962566103423978
    assert np.abs(w).max() <= 2 * raw_std * 1.01
    assert np.abs(w).max() > 1.9 * raw_std


def test_random_normal_and_zeros():
    w = initializers.RandomNormal(stddev=0.05, seed=3)(SHAPE)
    assert w.std() == pytest.approx(0.05, rel=0.02)
    assert np.all(initializers.Zeros()((3, 2)) == 0)


def test_seed_and_generator_reproduce():
    a = initializers.HeNormal(seed=7)((5, 4))
    b = initializers.HeNormal(seed=7)((5, 4))
    np.testing.assert_array_equal(a, b)
    init = initializers.GlorotUniform()
    c = init((5, 4), rng=np.random.default_rng(9))
    d = init((5, 4), rng=np.random.default_rng(9))
    np.testing.assert_array_equal(c, d)
    assert not np.array_equal(c, init((5, 4), rng=np.random.default_rng(10)))
    e = initializers.GlorotUniform(seed=np.random.default_rng(9))((5, 4))
    np.testing.assert_array_equal(c, e)


def test_dtype():
    assert initializers.HeNormal(seed=0)((3, 3), dtype="float32").dtype == np.float32


def test_names():
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(initializers.get("xavier_uniform"), initializers.GlorotUniform)
    with pytest.raises(ValueError, match="unknown initializer 'he'.*he_normal"):
        initializers.get("he")
    with pytest.raises(TypeError, match="seed must be"):
        initializers.HeNormal(seed="x")


def test_random_uniform_keras_default_range_and_seed():
    w = initializers.RandomUniform(seed=4)(SHAPE)
    assert -0.05 <= w.min() < -0.0499 and 0.0499 < w.max() < 0.05  # Keras's default range, filled
    np.testing.assert_array_equal(initializers.RandomUniform(seed=4)((3, 2)),
                                  np.random.default_rng(4).uniform(-0.05, 0.05, (3, 2)))
    v = initializers.RandomUniform(minval=1.0, maxval=3.0, seed=5)(SHAPE)
    assert 1.0 <= v.min() < 1.001 and 2.999 < v.max() < 3.0
    assert v.mean() == pytest.approx(2.0, abs=0.01)


def test_random_normal_keras_defaults_seed_and_repr():
    np.testing.assert_array_equal(initializers.RandomNormal(seed=4)((3, 2)),
                                  np.random.default_rng(4).normal(0.0, 0.05, (3, 2)))
    assert repr(initializers.HeNormal(seed=3)) == "HeNormal(seed=3)"


def test_even_a_small_draw_is_truncated():
    for seed in range(200):
        assert np.abs(initializers.truncated_normal(np.random.default_rng(seed), (4,), 1.0)).max() <= 2.0

