"""Keras's ``keras.models``: the model class and loading a saved model.

    from nnlib import models
    model = models.load_model("model.npz")     # as keras.models.load_model("model.keras")

The file format is described in :mod:`nnlib.saving`.
"""

from nnlib.model import Sequential
from nnlib.saving import load_model, save_model

__all__ = ["Sequential", "load_model", "save_model"]
