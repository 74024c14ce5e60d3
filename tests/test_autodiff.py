"""nnlib.autodiff: the scalar reverse-mode autodiff of the backpropagation chapter.

Known values, every operation against a central difference, gradients that accumulate over the
paths of a shared node, the notes' worked example against nnlib's backward pass, and clear errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import Sequential, layers
from nnlib.autodiff import Value

# name -> (the operation on Values, the same on floats, points to check it at)
UNARY = {
    "exp": (lambda a: a.exp(), math.exp, [-2.0, 0.0, 1.5]),
    "log": (lambda a: a.log(), math.log, [0.2, 1.0, 3.0]),
    "tanh": (lambda a: a.tanh(), math.tanh, [-1.5, 0.0, 0.7]),
    "sigmoid": (lambda a: a.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), [-3.0, 0.0, 2.0]),
    "relu": (lambda a: a.relu(), lambda x: max(0.0, x), [-1.0, 0.5, 2.0]),
    "neg": (lambda a: -a, lambda x: -x, [-1.0, 2.0]),
    "square": (lambda a: a**2, lambda x: x**2, [-1.5, 0.5]),
    "cube": (lambda a: a**3, lambda x: x**3, [-1.5, 0.5]),
    "sqrt": (lambda a: a**0.5, math.sqrt, [0.3, 4.0]),
    "reciprocal": (lambda a: a**-1, lambda x: 1 / x, [-2.0, 0.5]),
    "constant plus a": (lambda a: 2.5 + a, lambda x: 2.5 + x, [1.0]),
    "constant minus a": (lambda a: 2.5 - a, lambda x: 2.5 - x, [1.0]),
    "constant times a": (lambda a: 2.5 * a, lambda x: 2.5 * x, [1.0]),
    "constant over a": (lambda a: 2.5 / a, lambda x: 2.5 / x, [1.0, -0.4]),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda x, y: x + y),
    "sub": (lambda a, b: a - b, lambda x, y: x - y),
    "mul": (lambda a, b: a * b, lambda x, y: x * y),
    "div": (lambda a, b: a / b, lambda x, y: x / y),
}


def central(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("name", list(UNARY))
def test_each_unary_operation_matches_its_float_and_a_central_difference(name):
    on_values, on_floats, points = UNARY[name]
    for x in points:
        a = Value(x)
        out = on_values(a)
        out.backward()
        assert out.data == pytest.approx(on_floats(x), rel=1e-15)
        assert a.grad == pytest.approx(central(on_floats, x), rel=1e-7, abs=1e-9), f"{name} at {x}"


@pytest.mark.parametrize("name", list(BINARY))
def test_each_binary_operation_against_central_differences(name):
    on_values, on_floats = BINARY[name]
    x, y = 1.7, -0.6
    a, b = Value(x), Value(y)
    out = on_values(a, b)
    out.backward()
    assert out.data == pytest.approx(on_floats(x, y), rel=1e-15)
    assert a.grad == pytest.approx(central(lambda t: on_floats(t, y), x), rel=1e-7)
    assert b.grad == pytest.approx(central(lambda t: on_floats(x, t), y), rel=1e-7)


def test_known_values():
    w, x = Value(0.3), Value(2.0)
    cost = (w * x - 1.0) ** 2
    cost.backward()
    assert cost.data == pytest.approx(0.16)
    assert w.grad == pytest.approx(2 * (0.6 - 1.0) * 2.0)    # 2 (w x - 1) x = -1.6
    assert x.grad == pytest.approx(2 * (0.6 - 1.0) * 0.3)    # 2 (w x - 1) w = -0.24
    assert cost.grad == 1.0
    s = Value(0.0).sigmoid()
    assert s.data == 0.5
    r = Value(0.0)
    r.relu().backward()
    assert r.grad == 0.0, "relu's derivative at 0 is taken as 0, as nnlib and Keras do"


def test_a_node_used_twice_gets_the_sum_of_both_paths():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0, "d(a a)/da = 2a: both factors' paths add"
    b = Value(-2.0)
    c = b + b + b
    c.backward()
    assert b.grad == 3.0
    # a node that feeds two branches which meet again (a diamond): d/dx (x^2 + e^x)
    x = Value(0.5)
    y = x * 2.0
    out = y**2 + y.exp()
    out.backward()
    assert x.grad == pytest.approx(2 * (2 * 1.0) + 2 * math.exp(1.0))


def test_gradients_accumulate_until_zero_grad():
    a = Value(2.0)
    out = a * 3.0
    out.backward()
    out.backward()
    assert a.grad == 6.0, "a second backward adds to grad, as PyTorch's does"
    out.zero_grad()
    assert a.grad == 0.0 and out.grad == 0.0
    out.backward()
    assert a.grad == 3.0


def test_topological_order_puts_parents_first_and_survives_a_deep_graph():
    x = Value(1.0)
    y = x
    for _ in range(5000):          # deeper than Python's recursion limit
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
    order = y.topological_order()
    position = {id(node): i for i, node in enumerate(order)}
    assert order[-1] is y and any(node is x for node in order)
    assert not x.parents and position[id(x)] < position[id(y.parents[0])]
    assert all(position[id(p)] < position[id(node)] for node in order for p in node.parents)
    assert len(order) == len({id(node) for node in order}), "each node once"


def test_sigmoid_does_not_overflow_for_large_negative_inputs():
    a = Value(-1000.0)
    s = a.sigmoid()
    s.backward()
    assert s.data == 0.0 and a.grad == 0.0


def worked_example():
    """The notes' 2-2-1 network (one shared b1) as a graph of Values; returns the parameters and the cost."""
    x1, x2, Ya = 1.0, 2.0, 3.0
    p = {name: Value(v, label=name) for name, v in
         {"w1": 0.1, "w2": 0.2, "w3": 0.1, "w4": 0.2, "b1": 1.0, "w5": 0.3, "w6": 0.4, "b2": 0.5}.items()}
    HN1o = (p["w1"] * x1 + p["w3"] * x2 + p["b1"]).sigmoid()
    HN2o = (p["w2"] * x1 + p["w4"] * x2 + p["b1"]).sigmoid()
    Yp = (p["w5"] * HN1o + p["w6"] * HN2o + p["b2"]).sigmoid()
    return p, 0.5 * (Ya - Yp) ** 2


def test_the_worked_example_gives_nnlibs_gradients():
    p, cost = worked_example()
    cost.backward()
    model = Sequential([layers.Dense(2, activation="sigmoid"), layers.Dense(1, activation="sigmoid")])
    model.build(2)
    model.set_weights([[[0.1, 0.2], [0.1, 0.2]], [1.0, 1.0], [[0.3], [0.4]], [0.5]])
    model.compile(optimizer="sgd", loss="mse")
    mse, _ = model.compute_gradients(np.array([[1.0, 2.0]]), np.array([[3.0]]))
    dW1, db1, dW2, db2 = (g / 2 for g in model.gradients)   # nnlib's "mse" is 2 C
    expected = {"w1": dW1[0, 0], "w2": dW1[0, 1], "w3": dW1[1, 0], "w4": dW1[1, 1], "b1": db1.sum(),
                "w5": dW2[0, 0], "w6": dW2[1, 0], "b2": db2[0]}
    assert cost.data == pytest.approx(mse / 2, rel=1e-14)
    for name, value in expected.items():
        assert p[name].grad == pytest.approx(value, rel=1e-12, abs=1e-15), name
    assert p["w5"].grad == pytest.approx(-0.337335419546452, rel=1e-12)   # the chapter's dC/dw5
    assert p["b1"].grad == pytest.approx(-0.045672197527324265, rel=1e-12)


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], True, np.array([1.0, 2.0])])
def test_a_non_number_gives_a_clear_type_error(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)
    with pytest.raises(TypeError, match=r"\+: expected a Value or a real number"):
        Value(1.0) + bad
    with pytest.raises(TypeError, match="real number"):
        Value(1.0) * bad
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** bad


def test_out_of_domain_values_are_refused():
    with pytest.raises(ValueError, match="positive"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="not real"):
        Value(-4.0) ** 0.5


def test_numpy_scalars_are_numbers_and_repr_shows_the_label():
    a = Value(np.float32(1.5), label="a")
    b = a * np.float64(2.0) + np.int64(1)
    assert b.data == 4.0 and isinstance(b.data, float)
    assert repr(a) == "Value(a: data=1.5, grad=0)"


def test_the_worked_example_matches_the_chapters_hand_formulas_to_the_last_bit():
    """The upstream gradient comes first in each product, as the chapter's deltas multiply."""
    p, cost = worked_example()
    cost.backward()

    def s(z):
        return 1 / (1 + math.exp(-z))

    h1, h2 = s(0.1 * 1.0 + 0.1 * 2.0 + 1.0), s(0.2 * 1.0 + 0.2 * 2.0 + 1.0)
    yp = s(0.3 * h1 + 0.4 * h2 + 0.5)
    delta_o = (yp - 3.0) * yp * (1 - yp)
    delta_1 = delta_o * 0.3 * h1 * (1 - h1)
    delta_2 = delta_o * 0.4 * h2 * (1 - h2)
    hand = {"w1": delta_1 * 1.0, "w2": delta_2 * 1.0, "w3": delta_1 * 2.0, "w4": delta_2 * 2.0,
            "b1": delta_1 + delta_2, "w5": delta_o * h1, "w6": delta_o * h2, "b2": delta_o}
    assert {name: p[name].grad for name in hand} == hand
