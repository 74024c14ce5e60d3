"""Hidden tests of exercise 6, Activation functions: they run in the grader, never in the student's kernel.

Each check gets the student's kernel (``student``) and a generator seeded for this student and
part (``rng``); fixed edge cases (z = 0, z = +-1000, float32) sit beside cases drawn from it.
A derivative's check serves the reference's activation to the kernel while it runs
(``substitutes``), so that each part is graded on its own.
"""

from __future__ import annotations

import math

import numpy as np

import nnlib.activations as nn_act
import nnlib.layers as nn_layers
from nbcourse.checks import CheckFailed, Mistake, Part, StudentError, check_function

TABLE_HINT = "See the chapter 'Activation functions', section 'The notes' table, checked'."
AT_ZERO_HINT = "See the chapter 'Activation functions', aside 'The notes say: ReLU's derivative is 1 at x = 0'."
SLOPE_HINT = ("See the chapter 'Activation functions', aside 'The notes say: leaky ReLU is max(0.1x, x) ... "
              "and 0.01x'.")
SOFTPLUS_HINT = "See the chapter 'Activation functions', section 'Softplus versus ReLU'."
MAXOUT_HINT = "See the chapter 'Activation functions', section 'Maxout'."
SMOOTH_HINT = "See the chapter 'Activation functions', section 'GELU and SiLU'."


def must_stay_finite(function, name, z, mistake, hint):
    """Name the mistake of an answer that returns nan or inf where the true value is finite."""
    call = f"{name}({z.tolist()})"
    try:
        got = function(z.copy())
    except StudentError as error:
        raise CheckFailed(error.describe(call)) from None
    if got is None:
        return  # check_function says that it returned nothing
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return  # not numbers: check_function says what it expected
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{call} returned {got.tolist()}: it looks like {mistake}. {hint}")


def check_tanh(student, rng):
    cases = [(rng.normal(0, 2, 9),), (rng.normal(0, 2, (4, 3)),), (np.zeros(3),), (np.array([0.5]),)]
    cases32 = [(rng.normal(0, 2, 6).astype(np.float32),)]  # float32: compared to float32 precision
    extreme = np.array([-1000.0, -30.0, 30.0, 1000.0])
    tanh = student.function("tanh")
    tanh_derivative = student.function("tanh_derivative", substitutes={"tanh": nn_act.tanh})
    check_function(
        tanh, nn_act.tanh, name="tanh", cases=cases,
        mistakes=[Mistake("the sigmoid 1 / (1 + e^-z) was written where tanh belongs", nn_act.sigmoid, TABLE_HINT)],
    )
    must_stay_finite(tanh, "tanh", extreme,
                     "(e^z - e^-z) / (e^z + e^-z) overflows: e^1000 is inf and inf / inf is nan. "
                     "Use np.tanh, or rewrite the quotient with e^-2|z| only", TABLE_HINT)
    check_function(tanh, nn_act.tanh, name="tanh", cases=[(extreme,)])
    check_function(
        tanh_derivative, nn_act.tanh_derivative, name="tanh_derivative", cases=[*cases, (extreme,)],
        mistakes=[
            Mistake("1 - tanh(z): the square is missing, tanh'(z) = 1 - tanh(z)^2",
                    lambda z: 1.0 - nn_act.tanh(z), TABLE_HINT),
            Mistake("1 - z^2: it is tanh(z) that is squared, not z",
                    lambda z: 1.0 - np.asarray(z, dtype=float) ** 2, TABLE_HINT),
            Mistake("tanh(z)^2 - 1: the sign is flipped (tanh'(z) is never negative)",
                    lambda z: -nn_act.tanh_derivative(z), TABLE_HINT),
            Mistake("the sigmoid's derivative sigma(z)(1 - sigma(z)) was used for tanh",
                    nn_act.sigmoid_derivative, TABLE_HINT),
        ],
    )
    check_function(tanh, nn_act.tanh, name="tanh", cases=cases32, rtol=1e-5, atol=1e-6)
    check_function(tanh_derivative, nn_act.tanh_derivative, name="tanh_derivative", cases=cases32,
                   rtol=1e-5, atol=1e-6)


def with_zeros(values):
    values = np.array(values, dtype=float)
    values.flat[::3] = 0.0  # exact zeros: the kink
    return values


def check_relu_family(student, rng):
    cases = [(with_zeros(rng.normal(0, 2, 9)),), (with_zeros(rng.normal(0, 2, (4, 3))),),
             (np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0]),), (with_zeros(rng.normal(0, 2, 7)).astype(np.float32),)]
    check_function(
        student.function("relu"), nn_act.relu, name="relu", cases=cases,
        mistakes=[Mistake("min(0, z) was computed instead of max(0, z)",
                          lambda z: np.minimum(np.asarray(z, dtype=float), 0.0), TABLE_HINT)],
    )
    check_function(
        student.function("relu_derivative", substitutes={"relu": nn_act.relu}), nn_act.relu_derivative,
        name="relu_derivative", cases=cases,
        mistakes=[
            Mistake("relu'(0) = 1, the notes' table; this exercise asks for TensorFlow's 0 at z = 0",
                    lambda z: (np.asarray(z) >= 0).astype(float), AT_ZERO_HINT),
            Mistake("relu(z) was returned instead of its derivative", nn_act.relu, TABLE_HINT),
        ],
    )
    alpha_cases = [(z, alpha) for (z,), alpha in zip(cases, (0.1, 0.3, 0.2, 0.05), strict=True)]
    alpha_cases.append((cases[0][0], 0.01))
    check_function(
        student.function("leaky_relu"), nn_act.leaky_relu, name="leaky_relu", cases=alpha_cases,
        mistakes=[
            Mistake("the slope alpha was applied to the positive side (z >= 0) instead of the negative side",
                    lambda z, a: np.where(np.asarray(z) >= 0, a * np.asarray(z, dtype=float), z), TABLE_HINT),
            Mistake("the argument alpha is ignored: 0.01 is hard-coded", lambda z, a: nn_act.leaky_relu(z, 0.01),
                    SLOPE_HINT),
            Mistake("the argument alpha is ignored: 0.1 is hard-coded", lambda z, a: nn_act.leaky_relu(z, 0.1),
                    SLOPE_HINT),
        ],
    )
    substitutes = {"leaky_relu": nn_act.leaky_relu, "relu": nn_act.relu, "relu_derivative": nn_act.relu_derivative}
    check_function(
        student.function("leaky_relu_derivative", substitutes=substitutes), nn_act.leaky_relu_derivative,
        name="leaky_relu_derivative", cases=alpha_cases,
        mistakes=[
            Mistake("the derivative at z = 0 is 1; this exercise asks for TensorFlow's alpha at z = 0",
                    lambda z, a: np.where(np.asarray(z) >= 0, 1.0, a), AT_ZERO_HINT),
            Mistake("alpha was put on the positive side: the slope is 1 for z > 0 and alpha for z < 0",
                    lambda z, a: np.where(np.asarray(z) > 0, a, 1.0), TABLE_HINT),
            Mistake("the slope for z < 0 is 0, as for ReLU: leaky ReLU keeps the slope alpha there",
                    lambda z, a: nn_act.relu_derivative(z), TABLE_HINT),
            Mistake("the argument alpha is ignored: 0.01 is hard-coded",
                    lambda z, a: nn_act.leaky_relu_derivative(z, 0.01), SLOPE_HINT),
        ],
    )


def check_relu_elu(student, rng):
    check_relu_family(student, rng)
    check_elu(student, rng)


def check_elu(student, rng):
    cases = [(rng.normal(0, 2, 9), 0.5), (rng.normal(0, 2, (4, 3)), 2.0),
             (np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0]), 1.5), (rng.normal(0, 2, 6), 1.0)]
    cases32 = [(rng.normal(0, 2, 6).astype(np.float32), 0.3)]  # float32: compared to float32 precision
    elu = student.function("elu")
    elu_derivative = student.function("elu_derivative", substitutes={"elu": nn_act.elu})
    check_function(
        elu, nn_act.elu, name="elu", cases=cases,
        mistakes=[
            Mistake("the factor alpha is missing: elu(z) = alpha (e^z - 1) for z <= 0",
                    lambda z, a: nn_act.elu(z, 1.0), TABLE_HINT),
            Mistake("alpha e^z without the - 1 was used for z <= 0",
                    lambda z, a: np.where(np.asarray(z) > 0, z, a * np.exp(np.minimum(z, 0.0))), TABLE_HINT),
            Mistake("alpha multiplies the positive side too", lambda z, a: a * nn_act.elu(z, 1.0), TABLE_HINT),
        ],
    )
    check_function(
        elu_derivative, nn_act.elu_derivative, name="elu_derivative", cases=cases,
        mistakes=[
            Mistake("the factor alpha is missing: elu'(z) = alpha e^z for z <= 0",
                    lambda z, a: nn_act.elu_derivative(z, 1.0), TABLE_HINT),
            Mistake("alpha (e^z - 1), the function itself, was used for z <= 0: its derivative is alpha e^z",
                    lambda z, a: np.where(np.asarray(z) > 0, 1.0, nn_act.elu(z, a)), TABLE_HINT),
            Mistake("the derivative at z = 0 is 1; this exercise asks for alpha (the z <= 0 branch) at 0",
                    lambda z, a: np.where(np.asarray(z) >= 0, 1.0, nn_act.elu_derivative(z, a)), TABLE_HINT),
        ],
    )
    check_function(elu, nn_act.elu, name="elu", cases=cases32, rtol=1e-5, atol=1e-6)
    check_function(elu_derivative, nn_act.elu_derivative, name="elu_derivative", cases=cases32,
                   rtol=1e-5, atol=1e-6)


def check_softplus(student, rng):
    extreme = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
    cases = [(rng.normal(0, 3, 9),), (rng.normal(0, 3, (4, 3)),), (np.zeros(2),), (extreme,)]
    cases32 = [(rng.normal(0, 3, 5).astype(np.float32),)]  # float32: compared to float32 precision
    softplus = student.function("softplus")
    softplus_derivative = student.function("softplus_derivative", substitutes={"softplus": nn_act.softplus})
    check_function(
        softplus, nn_act.softplus, name="softplus", cases=cases,
        mistakes=[
            Mistake("ln(1 + e^z) was computed as written: e^1000 overflows to inf",
                    lambda z: np.log(1.0 + np.exp(z)), SOFTPLUS_HINT),
            Mistake("max(z, 0) + ln(1 + e^-z), which is right only for z >= 0: the identity is "
                    "softplus(z) = max(z, 0) + ln(1 + e^-|z|)",
                    lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.asarray(z, dtype=float))), SOFTPLUS_HINT),
            Mistake("max(0, z), ReLU, was returned: softplus is its smooth version", nn_act.relu, SOFTPLUS_HINT),
        ],
    )
    must_stay_finite(softplus_derivative, "softplus_derivative", extreme,
                     "e^z / (1 + e^z) was computed as written: at z = 1000 it is inf / inf = nan. "
                     "Use 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) for z < 0", SOFTPLUS_HINT)
    check_function(
        softplus_derivative, nn_act.softplus_derivative, name="softplus_derivative", cases=cases,
        mistakes=[
            Mistake("1 / (1 + e^z), which is sigma(-z): the derivative of ln(1 + e^z) is e^z / (1 + e^z)",
                    lambda z: nn_act.sigmoid(-np.asarray(z, dtype=float)), SOFTPLUS_HINT),
            Mistake("ReLU's derivative was returned: softplus's slope is the sigmoid", nn_act.relu_derivative,
                    SOFTPLUS_HINT),
            Mistake("softplus itself was returned instead of its derivative", nn_act.softplus, SOFTPLUS_HINT),
        ],
    )
    check_function(softplus, nn_act.softplus, name="softplus", cases=cases32, rtol=1e-5, atol=1e-6)
    check_function(softplus_derivative, nn_act.softplus_derivative, name="softplus_derivative", cases=cases32,
                   rtol=1e-5, atol=1e-6)


def silu_times(step):
    """z step(z): SiLU with another soft step in place of the sigmoid."""
    return lambda z: np.asarray(z, dtype=float) * step(np.asarray(z, dtype=float))


ROOT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu_tanh(z, root=ROOT_2_OVER_PI, cubic=0.044715, power=3, half=0.5):
    """The tanh form of GELU, with its constants as arguments so that the mistakes can change them."""
    z = np.asarray(z, dtype=float)
    c = np.clip(z, -50.0, 50.0)  # tanh is +-1 beyond: no overflow in c^3
    return half * z * (1.0 + np.tanh(root * (c + cubic * c**power)))


def check_silu_gelu(student, rng):
    extreme = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
    cases = [(rng.normal(0, 2, 9),), (rng.normal(0, 2, (4, 3)),), (np.zeros(2),), (extreme,)]
    cases32 = [(rng.normal(0, 2, 6).astype(np.float32),)]  # float32: compared to float32 precision
    silu = student.function("silu")
    silu_derivative = student.function("silu_derivative", substitutes={"silu": nn_act.silu})
    gelu = student.function("gelu")
    sigmoid = nn_act.sigmoid
    check_function(
        silu, nn_act.silu, name="silu", cases=cases,
        mistakes=[
            Mistake("sigma(z) alone was returned: SiLU is z times sigma(z)", sigmoid, SMOOTH_HINT),
            Mistake("z / (1 + e^z) = z sigma(-z): the sign of the exponent is flipped, sigma(z) = 1 / (1 + e^-z)",
                    silu_times(lambda z: sigmoid(-z)), SMOOTH_HINT),
            Mistake("z Phi(z), which is GELU, was returned for SiLU", nn_act.gelu, SMOOTH_HINT),
        ],
    )
    check_function(
        silu_derivative, nn_act.silu_derivative, name="silu_derivative", cases=cases,
        mistakes=[
            Mistake("sigma(z) alone: the product rule's second term z sigma(z) (1 - sigma(z)) is missing",
                    sigmoid, SMOOTH_HINT),
            Mistake("z sigma(z) (1 - sigma(z)) alone: the product rule's first term sigma(z) is missing",
                    lambda z: np.asarray(z, dtype=float) * nn_act.sigmoid_derivative(z), SMOOTH_HINT),
            Mistake("sigma(z) (1 - sigma(z)), the sigmoid's derivative: SiLU is z sigma(z), a product",
                    nn_act.sigmoid_derivative, SMOOTH_HINT),
            Mistake("silu(z) itself was returned instead of its derivative", nn_act.silu, SMOOTH_HINT),
        ],
    )
    exact_cases = [(z, False) for (z,) in cases]
    check_function(
        gelu, nn_act.gelu, name="gelu", cases=exact_cases,
        mistakes=[
            Mistake("the tanh approximation was returned for approximate=False: the exact GELU is "
                    "(z / 2)(1 + erf(z / sqrt 2))", lambda z, a: gelu_tanh(z), SMOOTH_HINT),
            Mistake("(z / 2)(1 + erf(z)): Phi(z) = (1 + erf(z / sqrt 2)) / 2, the sqrt 2 is missing",
                    lambda z, a: 0.5 * z * (1.0 + np.vectorize(math.erf)(z)),
                    SMOOTH_HINT),
            Mistake("z sigma(1.702 z), the sigmoid approximation of GELU, was returned instead of the exact form",
                    lambda z, a: silu_times(lambda x: sigmoid(1.702 * x))(z), SMOOTH_HINT),
            Mistake("Phi(z) alone was returned: GELU is z times Phi(z)", lambda z, a: nn_act.normal_cdf(z),
                    SMOOTH_HINT),
        ],
    )
    approximate_cases = [(z, True) for (z,) in cases]
    check_function(
        gelu, lambda z, a: nn_act.gelu(z, approximate=True), name="gelu", cases=approximate_cases,
        mistakes=[
            Mistake("the exact GELU was returned for approximate=True: the tanh form is asked for there",
                    lambda z, a: nn_act.gelu(z), SMOOTH_HINT),
            Mistake("sqrt(pi / 2) was written for sqrt(2 / pi) in the tanh form",
                    lambda z, a: gelu_tanh(z, root=np.sqrt(np.pi / 2.0)), SMOOTH_HINT),
            Mistake("0.044715 z^2 was written for 0.044715 z^3 in the tanh form",
                    lambda z, a: gelu_tanh(z, power=2), SMOOTH_HINT),
            Mistake("the factor 1/2 is missing: the tanh form is (z / 2)(1 + tanh(...))",
                    lambda z, a: gelu_tanh(z, half=1.0), SMOOTH_HINT),
            Mistake("the cubic term is missing: tanh(sqrt(2 / pi) z) alone, without 0.044715 z^3",
                    lambda z, a: gelu_tanh(z, cubic=0.0), SMOOTH_HINT),
        ],
    )
    check_function(silu, nn_act.silu, name="silu", cases=cases32, rtol=1e-5, atol=1e-6)
    check_function(silu_derivative, nn_act.silu_derivative, name="silu_derivative", cases=cases32,
                   rtol=1e-5, atol=1e-6)


def reference_maxout(x, W, b):
    d, units, pieces = W.shape
    layer = nn_layers.Maxout(units, pieces=pieces)
    layer.build(d, np.random.default_rng(0))  # its initial weights are replaced just below
    layer.set_weights([W, b])
    return layer.forward(x)


def all_pieces(x, W, b):
    return np.einsum("nd,dup->nup", x, W) + b


def check_maxout(student, rng):
    cases = [(rng.normal(size=(n, d)), rng.normal(size=(d, units, pieces)), rng.normal(size=(units, pieces)))
             for n, d, units, pieces in [(5, 4, 3, 3), (1, 2, 1, 2), (7, 3, 4, 5), (6, 5, 2, 1)]]
    check_function(
        student.function("maxout"), reference_maxout, name="maxout", cases=cases,
        mistakes=[
            Mistake("the biases b are missing", lambda x, W, b: reference_maxout(x, W, 0 * b), MAXOUT_HINT),
            Mistake("the maximum was taken over the units (axis 1) instead of over the pieces",
                    lambda x, W, b: all_pieces(x, W, b).max(axis=1), MAXOUT_HINT),
            Mistake("the minimum of the pieces was taken instead of the maximum",
                    lambda x, W, b: all_pieces(x, W, b).min(axis=2), MAXOUT_HINT),
            Mistake("the largest weight and bias were picked before multiplying by x: maxout takes the "
                    "largest of the linear functions w_k^T x + b_k, which depends on x",
                    lambda x, W, b: x @ W.max(axis=2) + b.max(axis=1), MAXOUT_HINT),
        ],
    )


PARTS = [
    Part("tanh_test", check_tanh),
    Part("relu_family_test", check_relu_elu),
    Part("softplus_test", check_softplus),
    Part("silu_gelu_test", check_silu_gelu),
    Part("maxout_test", check_maxout),
]
