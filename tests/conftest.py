"""Shared test setup. Keras 3 is the oracle for parity tests and must use the JAX backend."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)
