"""nnlib.plotting: optimizer paths against arithmetic done by hand, and what each helper draws."""

import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the headless backend

from nnlib import activations, optimizers
from nnlib.callbacks import History
from nnlib.plotting import (
    contour_with_trajectories,
    optimizer_trajectory,
    plot_function_and_derivative,
    plot_history,
)

# f(w) = 1/2 w^T A w has gradient A w.
A = np.array([[2.0, 1.0], [1.0, 3.0]])


def grad_quadratic(w):
    return A @ w


@pytest.fixture
def ax():
    fig, axes = plt.subplots()
    yield axes
    plt.close(fig)


def test_sgd_trajectory_matches_hand_computation():
    # lr = 0.1 from (1, 1):
    #   g0 = A (1, 1)     = (3, 4)      -> w1 = (1 - 0.3, 1 - 0.4)       = (0.7, 0.6)
    #   g1 = A (0.7, 0.6) = (2.0, 2.5)  -> w2 = (0.7 - 0.2, 0.6 - 0.25)  = (0.5, 0.35)
    #   g2 = A (0.5, 0.35) = (1.35, 1.55) -> w3 = (0.5 - 0.135, 0.35 - 0.155) = (0.365, 0.195)
    start = np.array([1.0, 1.0])
    path = optimizer_trajectory(optimizers.SGD(learning_rate=0.1), grad_quadratic, start, steps=3)
    expected = [[1.0, 1.0], [0.7, 0.6], [0.5, 0.35], [0.365, 0.195]]
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(start, [1.0, 1.0])  # the caller's start is not modified


def test_momentum_trajectory_follows_the_notes_formula():
    # update_t = gamma update_{t-1} + eta grad;  w_{t+1} = w_t - update_t
    eta, gamma, steps = 0.05, 0.9, 10
    w, update, expected = np.array([1.0, -2.0]), np.zeros(2), [np.array([1.0, -2.0])]
    for _ in range(steps):
        update = gamma * update + eta * grad_quadratic(w)
        w = w - update
        expected.append(w)
    optimizer = optimizers.SGD(learning_rate=eta, momentum=gamma)
    path = optimizer_trajectory(optimizer, grad_quadratic, [1.0, -2.0], steps)
    np.testing.assert_allclose(path, expected, rtol=1e-12)
    assert optimizer.iterations == steps


def test_zero_steps_gives_only_the_start():
    path = optimizer_trajectory(optimizers.Adam(0.1), grad_quadratic, [3.0, 4.0], steps=0)
    assert path.shape == (1, 2)
    np.testing.assert_array_equal(path, [[3.0, 4.0]])


@pytest.mark.parametrize("steps", [-1, 2.5, True])
def test_bad_steps_is_a_clear_error(steps):
    with pytest.raises(ValueError, match="steps"):
        optimizer_trajectory(optimizers.SGD(0.1), grad_quadratic, [1.0, 1.0], steps)


def test_start_must_be_a_vector():
    with pytest.raises(ValueError, match="start"):
        optimizer_trajectory(optimizers.SGD(0.1), grad_quadratic, [[1.0, 1.0]], 3)


def test_function_and_derivative_draws_two_lines(ax):
    lines = plot_function_and_derivative(ax, activations.sigmoid, activations.sigmoid_derivative,
                                         title="sigmoid", name="sigma")
    assert len(lines) == 2
    assert len(ax.get_lines()) == 2 + 2  # f, f', and the two axis guides at 0
    z, slope = lines[1].get_data()
    np.testing.assert_allclose(slope, activations.sigmoid_derivative(z))
    assert ax.get_title() == "sigmoid"


def test_contour_draws_one_line_per_trajectory(ax):
    def f(x, y):
        return 0.5 * (2 * x**2 + 2 * x * y + 3 * y**2)

    paths = {
        "SGD": optimizer_trajectory(optimizers.SGD(0.1), grad_quadratic, [1.0, 1.0], 20),
        "momentum": optimizer_trajectory(optimizers.SGD(0.1, momentum=0.9), grad_quadratic, [1.0, 1.0], 30),
        "Adam": optimizer_trajectory(optimizers.Adam(0.1), grad_quadratic, [1.0, 1.0], 40),
    }
    contour_with_trajectories(ax, f, paths, xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), minimum=(0.0, 0.0))
    lines = ax.get_lines()
    assert len(lines) == 3
    assert [line.get_label() for line in lines] == list(paths)
    np.testing.assert_array_equal(lines[1].get_xydata(), paths["momentum"])


def test_contour_rejects_a_path_of_the_wrong_shape(ax):
    with pytest.raises(ValueError, match="shape"):
        contour_with_trajectories(ax, lambda x, y: x + y, {"bad": np.zeros((5, 3))}, (-1, 1), (-1, 1))


def test_history_draws_one_line_per_key(ax):
    history = History()
    history.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.2})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.7})
    lines = plot_history(ax, history, keys=["loss", "val_loss"])
    assert len(lines) == len(ax.get_lines()) == 2
    np.testing.assert_array_equal(lines[1].get_xydata(), [[1, 1.2], [2, 0.7]])
    with pytest.raises(KeyError, match="accuracy"):
        plot_history(ax, history.history, keys=["accuracy"])


def test_importing_plotting_does_not_import_matplotlib():
    code = "import sys, nnlib.plotting; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_function_and_derivative_defaults_labels_and_guides(ax):
    """Default z is 401 points on [-5, 5]; f solid, f' dashed, labelled by name; guides at 0 behind."""
    value, slope = plot_function_and_derivative(ax, np.tanh, activations.tanh_derivative, name="tanh")
    z, f = value.get_data()
    np.testing.assert_array_equal(z, np.linspace(-5.0, 5.0, 401))
    np.testing.assert_allclose(f, np.tanh(z))
    assert (value.get_label(), slope.get_label()) == ("tanh(z)", "tanh'(z)")
    assert value.get_linestyle() == "-" and slope.get_linestyle() == "--"
    assert ax.get_title() == "tanh"  # the name, when no title is given
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z", "value")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["tanh(z)", "tanh'(z)"]
    horizontal, vertical = ax.get_lines()[2:]
    np.testing.assert_array_equal(horizontal.get_ydata(), [0.0, 0.0])
    np.testing.assert_array_equal(vertical.get_xdata(), [0.0, 0.0])
    for guide in (horizontal, vertical):
        assert guide.get_color() == "0.8" and guide.get_linewidth() == 0.8 and guide.get_zorder() == 0


def test_function_and_derivative_on_given_points(ax):
    z = [-1.0, 0.0, 2.0]
    value, slope = plot_function_and_derivative(ax, activations.relu, activations.relu_derivative, z=z)
    np.testing.assert_array_equal(value.get_xydata(), [[-1, 0], [0, 0], [2, 2]])
    np.testing.assert_array_equal(slope.get_xydata(), [[-1, 0], [0, 0], [2, 1]])
    assert ax.get_title() == "f" and value.get_label() == "f(z)"


def test_contour_limits_labels_minimum_and_legend(ax):
    path = optimizer_trajectory(optimizers.SGD(0.1), grad_quadratic, [1.0, 1.0], 5)
    contours = contour_with_trajectories(ax, lambda x, y: x**2 + y**2, {"SGD": path}, xlim=(-2, 2),
                                         ylim=(-1, 3), levels=[0.5, 1.0], minimum=(0.5, -0.5))
    np.testing.assert_array_equal(contours.levels, [0.5, 1.0])
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 3)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$w_1$", "$w_2$")
    (line,) = ax.get_lines()
    assert line.get_marker() == "o"
    (star,) = ax.collections[-1:]
    np.testing.assert_array_equal(star.get_offsets(), [[0.5, -0.5]])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGD"]


def test_contour_without_paths_draws_no_legend_or_star(ax):
    contour_with_trajectories(ax, lambda x, y: x * y, {}, (-1, 1), (-1, 1), resolution=11)
    assert ax.get_legend() is None and not ax.get_lines()
    assert len(ax.collections) == 1  # the contour set alone


def test_history_labels_axes_and_legend(ax):
    history = {"loss": [1.0, 0.5, 0.25], "accuracy": [0.5, 0.7, 0.9]}
    (line,) = plot_history(ax, history)  # keys default to the loss
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])  # epochs from 1
    assert line.get_label() == "loss" and (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "loss")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss"]


def test_history_label_prefixes_several_keys_and_names_one(ax):
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]}
    lines = plot_history(ax, history, keys=["loss", "val_loss"], label="wide")
    assert [line.get_label() for line in lines] == ["wide: loss", "wide: val_loss"]
    assert ax.get_ylabel() == "value"
    (alone,) = plot_history(ax, history, keys=["val_loss"], label="deep")
    assert alone.get_label() == "deep"


def test_contour_lines_are_level_sets_of_f_on_the_given_grid(ax):
    """f is evaluated on a resolution x resolution grid spanning xlim and ylim (200 by default), and
    each drawn line lies on f(x, y) = level."""
    grids = []

    def f(x, y):
        grids.append((x, y))
        return x**2 + y**2

    contours = contour_with_trajectories(ax, f, {}, xlim=(-2, 2), ylim=(-1, 3), levels=[0.5, 1.0])
    ((x, y),) = grids
    assert x.shape == y.shape == (200, 200)
    assert (x.min(), x.max(), y.min(), y.max()) == (-2, 2, -1, 3)
    for level, segments in zip([0.5, 1.0], contours.allsegs, strict=True):
        points = np.concatenate(segments)
        assert len(points) > 50
        np.testing.assert_allclose(points[:, 0] ** 2 + points[:, 1] ** 2, level, rtol=1e-3)
    grids.clear()
    contour_with_trajectories(ax, f, {}, xlim=(0, 1), ylim=(0, 2), resolution=7)
    ((x, y),) = grids
    assert x.shape == y.shape == (7, 7)
    np.testing.assert_allclose(y[:, 0], np.linspace(0, 2, 7))


def test_contour_defaults_to_twenty_levels(ax, monkeypatch):
    drawn = []
    contour = ax.contour
    monkeypatch.setattr(ax, "contour", lambda *args, **kwargs: drawn.append(kwargs) or contour(*args, **kwargs))
    contour_with_trajectories(ax, lambda x, y: x * y, {}, (-1, 1), (-1, 1), resolution=11)
    assert drawn[0]["levels"] == 20


def test_contour_styles_the_map_the_paths_and_the_minimum(ax):
    """Thin grey contours under the paths, small round markers on the paths, a large black star on top."""
    path = np.array([[1.0, 1.0], [0.5, 0.2], [0.0, 0.0]])
    contours = contour_with_trajectories(ax, lambda x, y: x**2 + y**2, {"SGD": path}, (-2, 2), (-2, 2),
                                         levels=[1.0, 2.0], minimum=(0.0, 0.0))
    np.testing.assert_array_equal(contours.get_edgecolor(), [[0.75, 0.75, 0.75, 1.0]] * 2)
    np.testing.assert_array_equal(contours.get_linewidth(), [0.8, 0.8])
    (line,) = ax.get_lines()
    assert (line.get_marker(), line.get_markersize(), line.get_linewidth()) == ("o", 2.5, 1.2)
    star = ax.collections[-1]
    assert len(star.get_paths()[0].vertices) == 11  # a five-pointed star: 10 corners and the closing point
    np.testing.assert_array_equal(star.get_sizes(), [120])
    np.testing.assert_array_equal(star.get_facecolor(), [[0.0, 0.0, 0.0, 1.0]])
    assert star.get_zorder() == 3


def test_contour_keeps_the_limits_when_a_path_leaves_them(ax):
    path = np.array([[0.0, 0.0], [5.0, -4.0]])  # far outside the map
    contour_with_trajectories(ax, lambda x, y: x + y, {"diverging": path}, xlim=(-1, 1), ylim=(-2, 2))
    assert ax.get_xlim() == (-1, 1) and ax.get_ylim() == (-2, 2)


def test_paths_and_curves_are_computed_in_float64(ax):
    path = optimizer_trajectory(optimizers.SGD(0.1), lambda w: 2.0 * w, np.array([1, 1], np.int64), 2)
    assert path.dtype == np.float64  # integer starting points are fine
    np.testing.assert_allclose(path[-1], [0.64, 0.64], rtol=1e-12)  # (1 - 0.2)^2
    value, _ = plot_function_and_derivative(ax, np.tanh, activations.tanh_derivative, z=np.array([0, 1], np.int64))
    np.testing.assert_allclose(value.get_ydata(), np.tanh([0.0, 1.0]))  # tanh of floats, not of integers


def test_the_guides_cross_at_the_origin(ax):
    plot_function_and_derivative(ax, np.tanh, activations.tanh_derivative, z=np.linspace(2.0, 3.0, 5))
    horizontal, vertical = ax.get_lines()[2:]
    np.testing.assert_array_equal(horizontal.get_ydata(), [0.0, 0.0])
    np.testing.assert_array_equal(vertical.get_xdata(), [0.0, 0.0])


def test_a_missing_history_key_lists_the_recorded_ones(ax):
    with pytest.raises(KeyError, match="history has no 'accuracy'; it has: loss, val_loss"):
        plot_history(ax, {"loss": [1.0], "val_loss": [1.2]}, keys=["accuracy"])

