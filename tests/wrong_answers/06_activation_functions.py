"""Plausible wrong answers to exercise 6: each must cost its part its points, and only its part."""

TANH = "def tanh(z):\n    return np.tanh(z)\n\n\n"
RELU = (
    "def relu(z):\n    return np.maximum(z, 0.0)\n\n\n"
    "def relu_derivative(z):\n    return (z > 0).astype(float)\n\n\n"
)
LEAKY = (
    "def leaky_relu(z, alpha=0.01):\n    return np.where(z >= 0, z, alpha * z)\n\n\n"
    "def leaky_relu_derivative(z, alpha=0.01):\n    return np.where(z > 0, 1.0, alpha)\n"
)
ELU = "def elu(z, alpha=1.0):\n    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))\n\n\n"
ELU_DERIVATIVE = "def elu_derivative(z, alpha=1.0):\n    return np.where(z > 0, 1.0, alpha * np.exp(z))\n"
SOFTPLUS = "def softplus(z):\n    return np.logaddexp(0.0, z)\n\n\n"
SOFTPLUS_DERIVATIVE = (
    "def softplus_derivative(z):\n    e = np.exp(-np.abs(z))\n"
    "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n"
)

SILU = "def silu(z):\n    return z / (1 + np.exp(-np.clip(z, -700, 700)))\n\n\n"
SILU_DERIVATIVE = (
    "def silu_derivative(z):\n    s = 1 / (1 + np.exp(-np.clip(z, -700, 700)))\n"
    "    return s + z * s * (1 - s)\n\n\n"
)
GELU = (
    "def gelu(z, approximate=False):\n"
    "    if approximate:\n"
    "        c = np.clip(z, -50.0, 50.0)\n"
    "        return 0.5 * z * (1 + np.tanh(np.sqrt(2.0 / np.pi) * (c + 0.044715 * c**3)))\n"
    "    return 0.5 * z * (1 + np.vectorize(math.erf)(z / np.sqrt(2.0)))\n"
)

WRONG_ANSWERS = {
    "tanh": [
        ("derivative 1 - tanh(z), the square missing", TANH + "def tanh_derivative(z):\n    return 1 - np.tanh(z)\n"),
        ("tanh from exponentials: nan at 1000",
         "def tanh(z):\n    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))\n\n\n"
         "def tanh_derivative(z):\n    return 1 - np.tanh(z) ** 2\n"),
        ("derivative 1 - z^2", TANH + "def tanh_derivative(z):\n    return 1 - z ** 2\n"),
    ],
    "relu_family": [
        # each answer: ReLU and leaky ReLU, then ELU (correct unless the label says otherwise)
        ("relu'(0) = 1, the notes' table",
         "def relu(z):\n    return np.maximum(z, 0.0)\n\n\n"
         "def relu_derivative(z):\n    return (z >= 0).astype(float)\n\n\n" + LEAKY + "\n\n" + ELU
         + ELU_DERIVATIVE),
        ("leaky slope on the positive side",
         RELU + "def leaky_relu(z, alpha=0.01):\n    return np.where(z >= 0, alpha * z, z)\n\n\n"
                "def leaky_relu_derivative(z, alpha=0.01):\n    return np.where(z > 0, 1.0, alpha)\n\n\n" + ELU + ELU_DERIVATIVE),
        ("alpha ignored, 0.01 hard-coded",
         RELU + "def leaky_relu(z, alpha=0.01):\n    return np.maximum(0.01 * z, z)\n\n\n"
                "def leaky_relu_derivative(z, alpha=0.01):\n    return np.where(z > 0, 1.0, 0.01)\n\n\n" + ELU + ELU_DERIVATIVE),
        ("leaky derivative 0 for negative z",
         RELU + "def leaky_relu(z, alpha=0.01):\n    return np.where(z >= 0, z, alpha * z)\n\n\n"
                "def leaky_relu_derivative(z, alpha=0.01):\n    return np.where(z > 0, 1.0, 0.0)\n\n\n" + ELU + ELU_DERIVATIVE),
        ("ELU: alpha missing", RELU + LEAKY + "\n\n" + "def elu(z, alpha=1.0):\n    return np.where(z > 0, z, np.exp(z) - 1)\n\n\n" + ELU_DERIVATIVE),
        ("ELU derivative without alpha", RELU + LEAKY + "\n\n" + ELU + "def elu_derivative(z, alpha=1.0):\n    return np.where(z > 0, 1.0, np.exp(z))\n"),
        ("ELU derivative 1 at z = 0",
         RELU + LEAKY + "\n\n" + ELU + "def elu_derivative(z, alpha=1.0):\n    return np.where(z >= 0, 1.0, alpha * np.exp(z))\n"),
    ],
    "softplus": [
        ("ln(1 + e^z) as written: inf at 1000",
         "def softplus(z):\n    return np.log(1 + np.exp(z))\n\n\n" + SOFTPLUS_DERIVATIVE),
        ("derivative e^z / (1 + e^z): nan at 1000",
         SOFTPLUS + "def softplus_derivative(z):\n    return np.exp(z) / (1 + np.exp(z))\n"),
        ("derivative sigma(-z)", SOFTPLUS + "def softplus_derivative(z):\n    return 1 / (1 + np.exp(z))\n"),
    ],
    "silu_gelu": [
        ("SiLU derivative without the product rule's second term",
         SILU + "def silu_derivative(z):\n    return 1 / (1 + np.exp(-z))\n\n\n" + GELU),
        ("SiLU derivative: the sigmoid's derivative",
         SILU + "def silu_derivative(z):\n    s = 1 / (1 + np.exp(-z))\n    return s * (1 - s)\n\n\n" + GELU),
        ("GELU: erf(z) without the sqrt 2", SILU + SILU_DERIVATIVE + GELU.replace("z / np.sqrt(2.0)", "z")),
        ("GELU: the tanh form for both", SILU + SILU_DERIVATIVE
         + "def gelu(z, approximate=False):\n"
           "    return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))\n"),
        ("GELU tanh form: sqrt(pi / 2)", SILU + SILU_DERIVATIVE + GELU.replace("np.sqrt(2.0 / np.pi)", "np.sqrt(np.pi / 2.0)")),
        ("GELU tanh form: z^2 for z^3", SILU + SILU_DERIVATIVE + GELU.replace("c**3", "c**2")),
    ],
    "maxout": [
        ("biases forgotten", "def maxout(x, W, b):\n    return np.einsum('nd,dup->nup', x, W).max(axis=2)\n"),
        ("max over the units", "def maxout(x, W, b):\n    return (np.einsum('nd,dup->nup', x, W) + b).max(axis=1)\n"),
        ("largest weights first", "def maxout(x, W, b):\n    return x @ W.max(axis=2) + b.max(axis=1)\n"),
    ],
}
