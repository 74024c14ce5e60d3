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
    assert x.dtype == np.float64 and y.dtype == np.intp
    assert set(np.unique(y)) == set(range(10)) and x.min() == 0 and x.max() == 16
    xr, yr = data.make_regression(300, 3, seed=0)
    assert xr.shape == (300, 3) and yr.shape == (300, 1)
    np.testing.assert_array_equal(yr, data.make_regression(300, 3, seed=0)[1])
    xc, yc = data.make_two_class(101, seed=0)
    assert xc.shape == (101, 2) and set(np.unique(yc)) == {0, 1}
    # A linear boundary cannot separate the moons perfectly.
    w, *_ = np.linalg.lstsq(np.c_[xc, np.ones(101)], 2.0 * yc - 1, rcond=None)
    assert np.mean((np.c_[xc, np.ones(101)] @ w > 0) == yc) < 0.95


def test_make_regression_is_its_formula_drawn_from_the_seed():
    """x ~ U(-3, 3) first, then the noise, from one generator: y = sum_j sin(x_j) + 0.5 x_1 x_2 + noise."""
    x, y = data.make_regression(50, 3, noise=0.2, seed=11)
    rng = np.random.default_rng(11)
    expected_x = rng.uniform(-3.0, 3.0, (50, 3))
    noise = rng.standard_normal(50)
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_allclose(y[:, 0], np.sin(x).sum(axis=1) + 0.5 * x[:, 0] * x[:, 1] + 0.2 * noise,
                               rtol=1e-12, atol=1e-12)
    assert y.shape == (50, 1)
    # Defaults: 500 samples of 3 features, noise 0.1.
    x, y = data.make_regression(seed=np.random.default_rng(3))
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(x, rng.uniform(-3.0, 3.0, (500, 3)))
    np.testing.assert_allclose(y[:, 0] - np.sin(x).sum(axis=1) - 0.5 * x[:, 0] * x[:, 1],
                               0.1 * rng.standard_normal(500), atol=1e-12)
    # Two features: the cross term; one feature: none.
    x, y = data.make_regression(20, 2, noise=0.0, seed=0)
    np.testing.assert_allclose(y[:, 0], np.sin(x).sum(axis=1) + 0.5 * x[:, 0] * x[:, 1], rtol=1e-12)
    x, y = data.make_regression(20, 1, noise=0.0, seed=0)
    np.testing.assert_allclose(y[:, 0], np.sin(x[:, 0]), rtol=1e-12)


def test_minibatches_default_size_and_checked_batch_size():
    x, y = np.zeros((100, 2)), np.arange(100)
    assert [len(yb) for _, yb in data.minibatches(x, y)] == [32, 32, 32, 4]  # 32 by default, as Keras
    with pytest.raises(ValueError, match="batch_size must be a positive integer or None"):
        list(data.minibatches(x, y, batch_size=0))


def test_train_holdout_split_defaults_order_and_edges():
    x, y = np.arange(100)[:, None], np.arange(100)
    _, _, y_train, y_hold = data.train_holdout_split(x, y)
    assert len(y_train) == 80 and len(y_hold) == 20  # 20 % held out by default
    again = data.train_holdout_split(x, y, seed=3)
    for a, b in zip(data.train_holdout_split(x, y, seed=3), again, strict=True):
        np.testing.assert_array_equal(a, b)
    _, _, y_train, y_hold = data.train_holdout_split(x, y, holdout=0.25, shuffle=False)
    np.testing.assert_array_equal(y_train, np.arange(75))  # without shuffling, the last quarter is held out
    np.testing.assert_array_equal(y_hold, np.arange(75, 100))
    _, _, y_train, y_hold = data.train_holdout_split(x[:10], y[:10], holdout=0.1, seed=0)
    assert len(y_train) == 9 and len(y_hold) == 1
    for holdout in (0.0, 1.0):
        with pytest.raises(ValueError, match=rf"^holdout must be a fraction in \(0, 1\), got {holdout}$"):
            data.train_holdout_split(x, y, holdout=holdout)
    for holdout in (0.01, 0.99):
        with pytest.raises(ValueError, match=rf"^holdout={holdout} of 10 samples leaves an empty part$"):
            data.train_holdout_split(x[:10], y[:10], holdout=holdout)
    with pytest.raises(ValueError, match="^x and y must have the same number of samples, got 3 and 2$"):
        data.train_holdout_split(x[:3], y[:2])


def test_train_val_test_split_parts_are_disjoint_and_sized():
    x, y = np.arange(100)[:, None], np.arange(100)
    x_train, x_val, x_test, y_train, y_val, y_test = data.train_val_test_split(x, y, validation=0.15,
                                                                               test=0.25, seed=0)
    assert (len(y_train), len(y_val), len(y_test)) == (60, 15, 25)
    assert sorted(np.concatenate([y_train, y_val, y_test])) == list(range(100))
    for xs, ys in ((x_train, y_train), (x_val, y_val), (x_test, y_test)):
        np.testing.assert_array_equal(xs[:, 0], ys)
    again = data.train_val_test_split(x, y, validation=0.15, test=0.25, seed=0)
    np.testing.assert_array_equal(again[5], y_test)
    *_, y_train, y_val, y_test = data.train_val_test_split(x, y, shuffle=False)
    np.testing.assert_array_equal(y_val, np.arange(60, 80))  # without shuffling: train, validation, test in order
    np.testing.assert_array_equal(y_test, np.arange(80, 100))
    with pytest.raises(ValueError, match=r"^test must be a fraction in \(0, 1\), got 1.0$"):
        data.train_val_test_split(x, y, test=1.0)
    with pytest.raises(ValueError, match=r"^validation must be a fraction in \(0, 1\), got 0$"):
        data.train_val_test_split(x, y, validation=0)
    with pytest.raises(ValueError, match="^validation=0.5 and test=0.5 of 100 samples leave an empty part$"):
        data.train_val_test_split(x, y, validation=0.5, test=0.5)
    with pytest.raises(ValueError, match="^validation=0.01 and test=0.2 of 10 samples leave an empty part$"):
        data.train_val_test_split(x[:10], y[:10], validation=0.01)
    with pytest.raises(ValueError, match="^x and y must have the same number of samples, got 3 and 2$"):
        data.train_val_test_split(x[:3], y[:2])


def test_one_hot_of_no_labels_and_bad_labels():
    assert data.one_hot([]).shape == (0, 0)
    assert data.one_hot([], num_classes=3).shape == (0, 3)
    with pytest.raises(ValueError, match=r"^labels must be 1-D, got shape \(2, 1\)$"):
        data.one_hot([[0], [1]])
    with pytest.raises(TypeError, match="^labels must be integers$"):
        data.one_hot([0.5, 1.0])


def test_standardizer_scales_small_spreads_and_names_bad_input(rng):
    x = rng.normal(0.0, 0.5, (200, 2))  # a standard deviation below 1 is still divided by
    np.testing.assert_allclose(data.Standardizer().fit_transform(x).std(axis=0), 1.0, rtol=1e-12)
    constant = data.Standardizer().fit(np.c_[np.zeros(5), np.arange(5.0)])
    np.testing.assert_allclose(constant.transform(np.array([[3.0, 2.0]])), [[3.0, 0.0]])  # centred, unscaled
    with pytest.raises(RuntimeError, match=r"^call fit\(x_train\) before transform$"):
        data.Standardizer().transform(x)
    for method in ("fit", "transform"):
        with pytest.raises(TypeError, match="^x must hold numbers"):
            getattr(constant, method)([["a", "b"]])
        with pytest.raises(ValueError, match=r"^x must be 2-D with shape \(n_samples, n_features\)"):
            getattr(constant, method)(np.ones(3))
    with pytest.raises(ValueError, match=r"^x must have shape \(n_samples, 2\), got shape \(3, 3\)$"):
        constant.transform(np.ones((3, 3)))


def test_make_two_class_halves_and_seed():
    x, y = data.make_two_class(seed=3)
    assert x.shape == (400, 2) and y.dtype == np.intp and np.sum(y == 0) == np.sum(y == 1) == 200
    np.testing.assert_array_equal(x, data.make_two_class(seed=3)[0])
    x, y = data.make_two_class(7, noise=0.0, seed=0)
    assert np.sum(y == 0) == 3 and np.sum(y == 1) == 4  # the top moon gets n // 2
    top, bottom = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*top.T), 1.0)  # on the unit circle, above the axis
    assert np.all(top[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(bottom[:, 0] - 1.0, bottom[:, 1] - 0.5), 1.0)  # centred at (1, 0.5)
    assert np.all(bottom[:, 1] <= 0.5)
    noisy, _ = data.make_two_class(2000, noise=0.2, seed=1)
    clean, _ = data.make_two_class(2000, noise=0.0, seed=1)
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.05)

