"""nnlib: a small, readable NumPy neural-network library with Keras's names.

    from nnlib import Sequential, layers, optimizers
    model = Sequential([layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")], seed=0)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, validation_split=0.2)
"""

from nnlib import (
    activations,
    callbacks,
    data,
    gradcheck,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    schedules,
)
from nnlib.callbacks import History
from nnlib.layers import Input
from nnlib.model import NotCompiledError, Sequential

__version__ = "0.1.0"
__all__ = [
    "History", "Input", "NotCompiledError", "Sequential", "activations", "callbacks", "data", "gradcheck",
    "initializers", "layers", "losses", "metrics", "models", "optimizers", "regularizers", "saving", "schedules",
]
