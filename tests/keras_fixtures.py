"""The Keras parity suites' fixtures (tests/test_keras_parity*.py), loaded by tests/conftest.py.

``tfk`` imports TensorFlow the first time a test asks for it (never at collection); ``dtype``
runs a test once in float32 and once in float64 with Keras's float type set to match.
"""

import keras_helpers as kh
import pytest


@pytest.fixture(scope="module")
def tfk():
    """TensorFlow and Keras, imported quietly the first time a test here runs."""
    return kh.load()


@pytest.fixture(params=list(kh.TOLERANCE))
def dtype(request, tfk):
    """Each test once in float32 and once in float64, with Keras's float type set to match."""
    with kh.floatx(request.param):
        yield request.param
