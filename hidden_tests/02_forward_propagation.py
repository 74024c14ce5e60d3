"""Hidden tests of exercise 2, Forward propagation: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases sit beside cases drawn from it. Where a part uses an earlier
one (``forward`` calls ``sigmoid``), the grader serves nnlib's version of the earlier part while
it runs, so each part is graded on its own.
"""

from __future__ import annotations

import numpy as np

import nnlib
import nnlib.activations
import nnlib.layers
import nnlib.losses
from nbcourse.checks import Mistake, Part, check_function

SIGMOID_HINT = "See the chapter 'Forward propagation', the sigmoid unit."
DERIVATIVE_HINT = "See the chapter 'Backpropagation', aside 'The notes say: dYp/dONi'."
MATRICES_HINT = "See the chapter 'Forward propagation', the network as matrices."
COST_HINT = "See the chapter 'Forward propagation', per-sample and mean cost."

REFERENCE_SIGMOID = {"sigmoid": nnlib.activations.sigmoid}


def check_sigmoid(student, rng):
    check_function(
        student.function("sigmoid"), nnlib.activations.sigmoid, name="sigmoid",
        cases=[(rng.normal(0, 3, 7),), (rng.normal(0, 3, (4, 3)),),
               (np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]),), (np.zeros(3),)],
        mistakes=[
            Mistake("e^z was used where e^-z belongs: that is sigmoid(-z) = 1 - sigmoid(z)",
                    lambda z: nnlib.activations.sigmoid(-z), SIGMOID_HINT),
        ],
    )


def check_derivative(student, rng):
    check_function(
        student.function("sigmoid_derivative", substitutes=REFERENCE_SIGMOID),
        nnlib.activations.sigmoid_derivative, name="sigmoid_derivative",
        cases=[(rng.normal(0, 3, 8),), (rng.normal(0, 2, (3, 5)),), (np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]),)],
        mistakes=[
            Mistake("the notes' week-1 formula 1 / (1 + e^-z)^2, which is sigma(z)^2, not sigma'(z)",
                    lambda z: nnlib.activations.sigmoid(z) ** 2, DERIVATIVE_HINT),
            Mistake("the notes' week-2 formula 1 / (1 + e^-z), which is sigma(z) itself",
                    lambda z: nnlib.activations.sigmoid(z), DERIVATIVE_HINT),
            Mistake("the sign is flipped: sigma'(z) = sigma(z)(1 - sigma(z)) is never negative",
                    lambda z: -nnlib.activations.sigmoid_derivative(z)),
        ],
    )


def reference_forward(X, W1, b1, W2, b2):
    model = nnlib.Sequential([nnlib.layers.Dense(2, activation="sigmoid"),
                              nnlib.layers.Dense(1, activation="sigmoid")])
    model.build(X.shape[1])
    model.set_weights([W1, b1, W2, b2])
    return model.layers[0].forward(X), model.predict(X)


def check_forward(student, rng):
    sigmoid = nnlib.activations.sigmoid
    cases = [(rng.normal(size=(n, 2)), rng.normal(size=(2, 2)), rng.normal(size=2), rng.normal(size=(2, 1)),
              rng.normal(size=1)) for n in (1, 5, 12, int(rng.integers(2, 40)))]
    check_function(
        student.function("forward", substitutes=REFERENCE_SIGMOID), reference_forward, name="forward", cases=cases,
        mistakes=[
            Mistake("W1 is used transposed: with one sample per row the hidden layer is X @ W1",
                    lambda X, W1, b1, W2, b2: reference_forward(X, W1.T, b1, W2, b2), MATRICES_HINT),
            Mistake("the biases are missing",
                    lambda X, W1, b1, W2, b2: reference_forward(X, W1, 0 * b1, W2, 0 * b2)),
            Mistake("the output unit has no sigmoid",
                    lambda X, W1, b1, W2, b2: (sigmoid(X @ W1 + b1), sigmoid(X @ W1 + b1) @ W2 + b2)),
        ],
    )


def check_cost(student, rng):
    cases = [(rng.normal(size=(n, 1)), rng.normal(size=(n, 1))) for n in (1, 4, 100, int(rng.integers(2, 50)))]
    check_function(
        student.function("cost"), lambda Ya, Yp: 0.5 * nnlib.losses.mean_squared_error(Ya, Yp), name="cost",
        cases=cases,
        mistakes=[
            Mistake("the factor 1/2 was dropped: that is Keras's mean squared error, not the notes' Cf",
                    lambda Ya, Yp: nnlib.losses.mean_squared_error(Ya, Yp), COST_HINT),
            Mistake("the sum over samples was taken instead of the mean",
                    lambda Ya, Yp: 0.5 * float(np.sum((Ya - Yp) ** 2))),
            Mistake("the difference is not squared",
                    lambda Ya, Yp: 0.5 * float(np.mean(Ya - Yp))),
        ],
    )


PARTS = [
    Part("sigmoid_test", check_sigmoid),
    Part("derivative_test", check_derivative),
    Part("forward_test", check_forward),
    Part("cost_test", check_cost),
]
