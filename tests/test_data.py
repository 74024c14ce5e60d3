"""Data helpers: updates per epoch, batching, splitting, scaling, one-hot, offline data sets."""

import numpy as np
import pytest

from nnlib import data


def test_updates_per_epoch_as_in_the_notes():
    assert data.updates_per_epoch(10_000, None) == 1       # batch gradient descent
    assert data.updates_per_epoch(10_000, 1) == 10_000     # stochastic
    assert data.updates_per_epoch(10_000, 100) == 100      # mini-batch
    assert data.updates_per_epoch(10_001, 100) == 101      # the last batch is smaller
    with pytest.raises(ValueError, match="batch_size must be a positive integer or None"):
        data.updates_per_epoch(10, 0)


def test_minibatches_cover_every_sample_once_in_a_seeded_order():
    x = np.arange(23)[:, None].astype(float)
    y = np.arange(23)
    batches = list(data.minibatches(x, y, batch_size=5, seed=0))
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([b[1] for b in batches])
    assert sorted(seen) == list(range(23))
    assert not np.array_equal(seen, np.arange(23))  # shuffled
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb)  # pairs stay together
    again = np.concatenate([b[1] for b in data.minibatches(x, y, batch_size=5, seed=0)])
    np.testing.assert_array_equal(seen, again)
    ordered = np.concatenate([b[1] for b in data.minibatches(x, y, 5, shuffle=False)])
    np.testing.assert_array_equal(ordered, np.arange(23))
    with pytest.raises(ValueError, match="same number of samples"):
        list(data.minibatches(x, y[:-1]))


def test_standardize_uses_training_statistics_only(rng):
    x_train = rng.normal(5.0, 3.0, (200, 3))
    x_hold = rng.normal(50.0, 1.0, (20, 3))
    train_scaled, hold_scaled = data.standardize(x_train, x_hold)
    np.testing.assert_allclose(train_scaled.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(train_scaled.std(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(hold_scaled, (x_hold - x_train.mean(0)) / x_train.std(0))
    assert hold_scaled.mean() > 5  # the holdout is not rescaled to its own statistics


def test_constant_feature_does_not_divide_by_zero():
    x = np.c_[np.zeros(10), np.arange(10.0)]
    scaled = data.Standardizer().fit_transform(x)
    assert np.all(np.isfinite(scaled)) and np.all(scaled[:, 0] == 0)
    scaler = data.Standardizer().fit(x)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(x)), x)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        scaler.transform(np.ones((3, 3)))


def test_train_holdout_split():
    x, y = np.arange(100)[:, None], np.arange(100)
    x_train, x_hold, y_train, y_hold = data.train_holdout_split(x, y, holdout=0.25, seed=0)
    assert len(x_train) == 75 and len(x_hold) == 25
    assert set(y_train).isdisjoint(y_hold) and len(set(y_train) | set(y_hold)) == 100
    np.testing.assert_array_equal(x_train[:, 0], y_train)
    with pytest.raises(ValueError, match="holdout must be a fraction"):
        data.train_holdout_split(x, y, holdout=1.5)


def test_one_hot():
    np.testing.assert_array_equal(data.one_hot([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert data.one_hot([0, 1], num_classes=4).shape == (2, 4)
    with pytest.raises(ValueError, match="labels must be in 0..2"):
        data.one_hot([0, 3], num_classes=3)


def test_offline_data_sets():
    x, y = data.load_digits()
    assert x.shape == (1797, 64) and y.shape == (1797,)
    assert set(np.unique(y)) == set(range(10)) and x.min() == 0 and x.max() == 16
    xr, yr = data.make_regression(300, 3, seed=0)
    assert xr.shape == (300, 3) and yr.shape == (300, 1)
    np.testing.assert_array_equal(yr, data.make_regression(300, 3, seed=0)[1])
    xc, yc = data.make_two_class(101, seed=0)
    assert xc.shape == (101, 2) and set(np.unique(yc)) == {0, 1}
    # A linear boundary cannot separate the moons perfectly.
    w, *_ = np.linalg.lstsq(np.c_[xc, np.ones(101)], 2.0 * yc - 1, rcond=None)
    assert np.mean((np.c_[xc, np.ones(101)] @ w > 0) == yc) < 0.95
