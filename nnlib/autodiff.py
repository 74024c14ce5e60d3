"""Reverse-mode automatic differentiation on scalars: a computational graph you can read.

Every arithmetic operation on a :class:`Value` makes a new node that remembers its inputs
(its *parents*) and how to send a gradient back to them: each operation's forward value and
its local derivative are written side by side below. ``backward()`` on the final node
(the cost) visits the graph in reverse topological order and applies the chain rule once
per edge:

    parent.grad += node.grad * (d node / d parent)

The upstream gradient comes first in every product, so the worked example of the
backpropagation chapter, whose deltas multiply from the output backwards, is reproduced to
the last bit. ``+=`` and not ``=``: a value used twice (a shared bias, ``x * x``) receives one
contribution per use, the sum over paths of the multivariable chain rule.

    from nnlib.autodiff import Value
    w, x = Value(0.3), Value(2.0)
    cost = (w * x - 1.0) ** 2
    cost.backward()
    w.grad          # d cost / dw = 2 (w x - 1) x = -0.8

This is the idea of Karpathy's *micrograd* and, one tensor at a time instead of one scalar
at a time, of ``tf.GradientTape`` and PyTorch's ``autograd``. It is slow on purpose: one
Python object per number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

__all__ = ["Value"]

Number = int | float


def _as_value(other: Value | Number, operation: str) -> Value:
    """``other`` as a :class:`Value`; a plain number becomes a constant leaf."""
    if isinstance(other, Value):
        return other
    if isinstance(other, Real) and not isinstance(other, bool):
        return Value(float(other))
    raise TypeError(f"{operation}: expected a Value or a real number, got {type(other).__name__} {other!r}")


class Value:
    """One scalar in a computational graph: its value ``data`` and, after ``backward()``, ``grad``.

    ``grad`` is d(the node ``backward`` was called on) / d(this node); it starts at 0.
    ``label`` is an optional name, shown by ``repr`` and handy when drawing a graph.
    """

    def __init__(self, data: Number, parents: tuple[Value, ...] = (), op: str = "", label: str = ""):
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"Value: data must be a real number, got {type(data).__name__} {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.op = op
        self.label = label
        # Sends this node's grad to its parents; set by the operation that made the node.
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ---- operations: the forward value, and beside it the local derivative ----------------

    def __add__(self, other: Value | Number) -> Value:
        """a + b;  d/da = 1, d/db = 1."""
        other = _as_value(other, "+")
        out = Value(self.data + other.data, (self, other), "+")

        def backward() -> None:
            self.grad += out.grad * 1.0
            other.grad += out.grad * 1.0

        out._backward = backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        """a * b;  d/da = b, d/db = a."""
        other = _as_value(other, "*")
        out = Value(self.data * other.data, (self, other), "*")

        def backward() -> None:
            self.grad += out.grad * other.data
            other.grad += out.grad * self.data

        out._backward = backward
        return out

    def __pow__(self, exponent: Number) -> Value:
        """a ** n for a constant number n;  d/da = n a^(n-1)."""
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(f"**: the exponent must be a real number, got {type(exponent).__name__} {exponent!r}")
        n = float(exponent)
        if self.data < 0 and not n.is_integer():
            raise ValueError(f"**: a negative base {self.data!r} to a fractional power {n!r} is not real")
        out = Value(self.data**n, (self,), f"**{n:g}")

        def backward() -> None:
            self.grad += out.grad * n * self.data ** (n - 1)

        out._backward = backward
        return out

    def exp(self) -> Value:
        """e^a;  d/da = e^a (the output itself)."""
        out = Value(math.exp(self.data), (self,), "exp")

        def backward() -> None:
            self.grad += out.grad * out.data

        out._backward = backward
        return out

    def log(self) -> Value:
        """ln a for a > 0;  d/da = 1 / a."""
        if self.data <= 0:
            raise ValueError(f"log: the argument must be positive, got {self.data!r}")
        out = Value(math.log(self.data), (self,), "log")

        def backward() -> None:
            self.grad += out.grad / self.data

        out._backward = backward
        return out

    def tanh(self) -> Value:
        """tanh a;  d/da = 1 - tanh(a)^2."""
        out = Value(math.tanh(self.data), (self,), "tanh")

        def backward() -> None:
            self.grad += out.grad * (1.0 - out.data**2)

        out._backward = backward
        return out

    def sigmoid(self) -> Value:
        """σ(a) = 1 / (1 + e^-a);  d/da = σ(a) (1 - σ(a))."""
        a = self.data
        # two equal forms: each keeps e^(-|a|) from overflowing on its side
        if a >= 0:
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            s = math.exp(a) / (1.0 + math.exp(a))
        out = Value(s, (self,), "sigmoid")

        def backward() -> None:
            self.grad += out.grad * out.data * (1.0 - out.data)

        out._backward = backward
        return out

    def relu(self) -> Value:
        """max(0, a);  d/da = 1 if a > 0 else 0 (0 at a = 0, as nnlib and Keras take it)."""
        out = Value(max(0.0, self.data), (self,), "relu")

        def backward() -> None:
            self.grad += out.grad * (1.0 if self.data > 0 else 0.0)

        out._backward = backward
        return out

    # ---- the rest, made of the operations above ----------------------------------------------

    def __neg__(self) -> Value:
        """-a = a * (-1)."""
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        """a - b = a + (-b)."""
        return self + (-_as_value(other, "-"))

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b = a * b^-1;  d/db = -a / b^2."""
        return self * _as_value(other, "/") ** -1

    def __radd__(self, other: Number) -> Value:      # 2 + a
        return _as_value(other, "+") + self

    def __rsub__(self, other: Number) -> Value:      # 2 - a
        return _as_value(other, "-") - self

    def __rmul__(self, other: Number) -> Value:      # 2 * a
        return _as_value(other, "*") * self

    def __rtruediv__(self, other: Number) -> Value:  # 2 / a
        return _as_value(other, "/") / self

    # ---- the backward pass ----------------------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its parents, ending with this node."""
        order: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:   # a depth-first search without recursion, so deep graphs do not overflow
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents if id(parent) not in visited)
        return order

    def backward(self) -> None:
        """Fill ``grad`` of every node in the graph with d(this node)/d(that node).

        Gradients accumulate: call ``zero_grad()`` (or build a new graph) before
        a second pass.
        """
        order = self.topological_order()
        self.grad = 1.0                # d self / d self
        for node in reversed(order):   # a node's grad is complete before it is passed on
            node._backward()

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this node and every node it depends on."""
        for node in self.topological_order():
            node.grad = 0.0
