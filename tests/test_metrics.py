"""Metrics: known values, R² against its definition, the confusion matrix against counting by hand, errors."""

import numpy as np
import pytest

from nnlib import Sequential, layers, metrics


def r2_by_hand(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """1 - SS_res / SS_tot for each column, then the mean over the columns."""
    scores = []
    for j in range(y_true.shape[1]):
        ss_res = sum((t - p) ** 2 for t, p in zip(y_true[:, j], y_pred[:, j], strict=True))
        ss_tot = len(y_true) * np.var(y_true[:, j])
        scores.append(1 - ss_res / ss_tot)
    return float(np.mean(scores))


# ---- R² ----------------------------------------------------------------------------------------

def test_r2_known_value():
    """The example of keras.metrics.R2Score's docstring: 1 - 3 / (14/3) = 4/7."""
    assert metrics.r2_score(np.array([[1.0], [4.0], [3.0]]), np.array([[2.0], [4.0], [4.0]])) == pytest.approx(4 / 7)


def test_r2_averages_the_columns(rng):
    y = rng.normal(size=(30, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
    p = y + rng.normal(size=(30, 3)) * [0.5, 2.0, 0.1]
    assert metrics.r2_score(y, p) == pytest.approx(r2_by_hand(y, p), rel=1e-12)
    # uniform_average: each column counts once, whatever its variance.
    per_column = [metrics.r2_score(y[:, j], p[:, j]) for j in range(3)]
    assert metrics.r2_score(y, p) == pytest.approx(np.mean(per_column), rel=1e-12)


def test_r2_scale():
    """1 for a perfect fit, 0 for predicting the mean, negative for worse than that."""
    y = np.array([[1.0], [2.0], [4.0], [7.0]])
    assert metrics.r2_score(y, y) == 1.0
    assert metrics.r2_score(y, np.full_like(y, y.mean())) == pytest.approx(0.0, abs=1e-15)
    assert metrics.r2_score(y, -y) < 0


def test_r2_of_a_constant_column_follows_keras():
    """SS_tot = 0: Keras turns 1 - SS_res / 0 = -inf into 0, and leaves 1 - 0 / 0 = nan (no warning here)."""
    y = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]])  # the mean of 0.1, 0.1, 0.1 is not exactly 0.1
    missed = y + np.array([[0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])
    assert metrics.r2_score(y, missed) == pytest.approx((0.0 + 1.0) / 2)
    assert np.isnan(metrics.r2_score(y[:, :1], y[:, :1]))



def test_r2_of_a_single_sample_is_that_of_a_constant_column():
    assert np.isnan(metrics.r2_score([3.0], [3.0]))
    assert metrics.r2_score([3.0], [2.0]) == 0.0


def test_r2_is_computed_in_float64_whatever_the_inputs(rng):
    y = rng.normal(size=(1000, 2)).astype(np.float32)
    p = (y + 0.3 * rng.normal(size=(1000, 2))).astype(np.float32)
    assert metrics.r2_score(y, p) == pytest.approx(r2_by_hand(y.astype(float), p.astype(float)), rel=1e-13)

def test_r2_shapes():
    y, p = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    expected = metrics.r2_score(y[:, None], p[:, None])
    assert metrics.r2_score(y, p) == metrics.r2_score(y, p[:, None]) == metrics.r2_score(y[:, None], p) == expected
    assert metrics.r2_score([1, 2, 4], [1.5, 2, 3]) == expected
    with pytest.raises(ValueError, match=r"one shape .*got \(3, 1\) and \(3, 2\)"):
        metrics.r2_score(y, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"y_pred must have shape \(n_samples, n_outputs\).*\(3, 1, 1\)"):
        metrics.r2_score(y, np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match="^r2_score needs at least one sample$"):
        metrics.r2_score(np.ones((0, 2)), np.ones((0, 2)))
    with pytest.raises(TypeError, match="y_true must hold numbers"):
        metrics.r2_score(["a", "b"], [1.0, 2.0])


def test_r2_score_by_name_in_compile(rng):
    """compile(metrics=["r2_score"]) as in Keras; evaluate's R² is the R² of the predictions."""
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.0, 0.0], [-2.0, 1.0], [0.5, 3.0]]) + 0.1 * rng.normal(size=(64, 2))
    model = Sequential([layers.Dense(2)], seed=0)
    model.compile(optimizer="adam", loss="mse", metrics=["r2_score"])
    history = model.fit(x[:48], y[:48], epochs=3, batch_size=16, validation_data=(x[48:], y[48:]), verbose=0)
    assert {"r2_score", "val_r2_score"} <= set(history.history)
    _, r2 = model.evaluate(x, y)
    assert r2 == pytest.approx(metrics.r2_score(y, model.predict(x)), rel=1e-12)
    assert "r2_score" in metrics.METRICS
    with pytest.raises(ValueError, match="unknown metric 'r2'.*r2_score"):
        metrics.get("r2", "mean_squared_error")


def test_mae_and_mse_by_name_in_compile(rng):
    """compile(metrics=["mae", "mse"]): evaluate reports the mean |error| and the mean squared error."""
    x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    model = Sequential([layers.Dense(2)], seed=0)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse"])
    loss, mae, mse = model.evaluate(x, y)
    error = model.predict(x) - y
    assert mae == pytest.approx(np.mean(np.abs(error)), rel=1e-12)
    assert mse == pytest.approx(np.mean(error**2), rel=1e-12) and mse == pytest.approx(loss, rel=1e-12)
    assert metrics.mean_squared_error(np.array([1.0, 2.0]), np.array([2.0, 4.0])) == 2.5
    assert metrics.mean_absolute_error(np.array([1.0, 2.0]), np.array([2.0, 4.0])) == 1.5



def test_accuracies_count_the_samples_classified_right():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.3, 0.4, 0.3]])
    labels = np.array([0, 2, 2, 0])  # the first two are right
    assert metrics.categorical_accuracy(np.eye(3)[labels], probabilities) == 0.5
    assert metrics.sparse_categorical_accuracy(labels, probabilities) == 0.5
    assert metrics.categorical_accuracy(np.eye(3)[[0, 2, 1, 1]], probabilities) == 1.0
    # binary: an output counts as class 1 above the threshold only; a target likewise above 0.5
    assert metrics.binary_accuracy(np.array([[0.0], [1.0]]), np.array([[0.5], [0.5]])) == 0.5
    assert metrics.binary_accuracy(np.array([[0.5], [1.0]]), np.array([[0.2], [0.7]])) == 1.0
    assert metrics.binary_accuracy(np.array([[0.0], [1.0]]), np.array([[0.2], [0.7]]), threshold=0.8) == 0.5


def test_accuracy_by_name_follows_the_loss(rng):
    """compile(metrics=["accuracy"]) with one-hot targets is categorical_accuracy: the same as sparse labels."""
    x, labels = rng.normal(size=(30, 4)), rng.integers(0, 3, 30)
    scores = []
    for loss, targets in [("categorical_crossentropy", np.eye(3)[labels]),
                          ("sparse_categorical_crossentropy", labels)]:
        model = Sequential([layers.Dense(3, activation="softmax")], seed=0)
        model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
        scores.append(model.evaluate(x, targets)[1])
        assert scores[-1] == np.mean(model.predict(x).argmax(axis=1) == labels)
    assert scores[0] == scores[1] and 0 < scores[0] < 1

# ---- confusion matrix --------------------------------------------------------------------------

def test_confusion_matrix_known_value():
    got = metrics.confusion_matrix(np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 1, 1]))
    # Rows are true classes, columns predicted ones (tf.math.confusion_matrix's convention).
    np.testing.assert_array_equal(got, [[1, 0, 0], [0, 1, 1], [0, 1, 1]])
    assert np.issubdtype(got.dtype, np.integer)


def test_confusion_matrix_counts_as_by_hand(rng):
    """The chapters' np.add.at count; the diagonal's share is the accuracy."""
    labels, predicted = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    by_hand = np.zeros((5, 5), dtype=int)
    np.add.at(by_hand, (labels, predicted), 1)
    got = metrics.confusion_matrix(labels, predicted, num_classes=5)
    np.testing.assert_array_equal(got, by_hand)
    assert got.sum() == 200
    np.testing.assert_array_equal(got.sum(axis=1), np.bincount(labels, minlength=5))
    scores = np.eye(5)[predicted] + 0.1 * rng.random((200, 5))  # largest score = predicted class
    assert np.trace(got) / got.sum() == pytest.approx(metrics.sparse_categorical_accuracy(labels, scores))


def test_confusion_matrix_reads_scores_by_argmax(rng):
    labels = np.array([0, 1, 2, 1])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])
    expected = metrics.confusion_matrix(labels, np.array([0, 2, 2, 1]))
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, probabilities), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(3)[labels], probabilities), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(labels[:, None], probabilities), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(labels.astype(float), np.log(probabilities)), expected)


def test_confusion_matrix_size():
    """num_classes defaults to the largest class seen + 1, and to k for scores of k columns."""
    assert metrics.confusion_matrix([1, 1], [0, 1]).shape == (2, 2)
    assert metrics.confusion_matrix([1, 1], [0, 1], num_classes=4).shape == (4, 4)
    assert metrics.confusion_matrix([0, 0], np.array([[0.9, 0.1, 0.0], [0.8, 0.1, 0.1]])).shape == (3, 3)
    assert metrics.confusion_matrix(np.array([], int), np.array([], int), num_classes=2).tolist() == [[0, 0], [0, 0]]
    assert metrics.confusion_matrix([0, 2], [0, 0]).shape == (3, 3)  # the larger of the two maxima
    assert metrics.confusion_matrix([0.0, 200.0], [0, 1]).shape == (201, 201)  # whole floats are labels
    assert metrics.confusion_matrix([0, 0], [0, 3]).shape == (4, 4)
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 0], [0, 0]), [[2]])  # one class seen: 1 x 1
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 0], [0, 0], num_classes=1), [[2]])
    two_scores = np.array([[0.9, 0.1], [0.8, 0.2]])  # two columns are scores, even if class 1 is never chosen
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 0], two_scores), [[2, 0], [0, 0]])
    # No samples: an empty matrix, whether the labels are (0,) or (0, 1); k score columns still give k x k.
    assert metrics.confusion_matrix(np.array([], int), np.array([], int)).shape == (0, 0)
    assert metrics.confusion_matrix(np.zeros((0, 1), int), np.zeros((0, 1), int)).shape == (0, 0)
    assert metrics.confusion_matrix(np.zeros(0, int), np.zeros((0, 3))).shape == (3, 3)


@pytest.mark.parametrize(("y_true", "y_pred", "kwargs", "error", "match"), [
    ([0, 1, 2], [0, 1], {}, ValueError, "same number of samples, got 3 and 2"),
    ([0, 3], [0, 1], {"num_classes": 3}, ValueError, r"y_true contains the class 3, but num_classes=3.*0\.\.2"),
    ([0, 1], [0, 5], {"num_classes": 3}, ValueError, "y_pred contains the class 5"),
    ([0, -1], [0, 1], {}, ValueError, "label -1: class labels start at 0"),
    ([0, 1], [0.2, 0.9], {}, TypeError, r"integer class labels, got values such as 0.2.*\(p > 0.5\)"),
    ([0, 1], [np.nan, 1], {}, TypeError, "integer class labels, got values such as nan"),
    ([0, 1], np.ones((2, 2, 2)), {}, ValueError, r"y_pred must be class labels .* got shape \(2, 2, 2\)"),
    (["a", "b"], [0, 1], {}, TypeError, "y_true must hold numbers"),
    ([0, 1], [0, 1], {"num_classes": 0}, ValueError, "num_classes must be a positive integer"),
    ([0, 1], [0, 1], {"num_classes": 2.0}, ValueError, "num_classes must be a positive integer"),
    ([0, 1, 0], [0.0, 1.0, 0.3], {}, TypeError, r"such as 0.3; for one sigmoid .*\(p > 0.5\).astype\(int\)$"),
    ([0, 1], [1.5, 1.0], {}, TypeError, r"integer class labels, got values such as 1.5$"),  # no sigmoid hint
    ([0, 1], [0.0, 2.0**53], {}, TypeError, "got values such as 9007199254740992.0"),  # beyond exact integers
    ([0, 2**60], [0, 1], {"num_classes": 3}, ValueError, "y_true contains the class 1152921504606846976"),
])
def test_confusion_matrix_errors(y_true, y_pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        metrics.confusion_matrix(np.asarray(y_true), np.asarray(y_pred), **kwargs)


def test_metric_names_and_their_errors():
    assert metrics.get("acc", "binary_crossentropy") == ("accuracy", metrics.binary_accuracy)
    assert metrics.get("mae", "mse") == ("mae", metrics.mean_absolute_error)
    with pytest.raises(TypeError, match=r"^metrics must be names such as 'accuracy', got \['mae'\]$"):
        metrics.get(["mae"], "mse")
    with pytest.raises(ValueError, match=r"^'accuracy' needs a classification loss \(binary_crossentropy, "
                                         r"categorical_crossentropy, sparse_categorical_crossentropy\), not 'mse'"):
        metrics.get("accuracy", "mse")
    with pytest.raises(ValueError, match=r"^unknown metric 'f1'; known metrics are: accuracy, binary_accuracy, "):
        metrics.get("f1", "mse")

