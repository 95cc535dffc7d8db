"""Shared test setup. Keras 3 is the oracle for parity tests and must use the JAX backend."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
# XLA:CPU's compile time dominates the suite (tiny arrays, thousands of programs): at LLVM optimisation level 0
# an application model's predict compiles in about half the CPU time (DenseNet121: 13 s -> 7 s) and
# tests/applications takes 19% less CPU. The generated code is slower, which tiny test arrays never notice, and the
# float results are the same (no fast-math at any level). Set before JAX starts its backend; subprocesses inherit
# it (those that set XLA_FLAGS themselves replace it); an optimisation level already in XLA_FLAGS is kept.
for _flag in ("--xla_backend_optimization_level=0", "--xla_cpu_use_fusion_emitters=false"):
    if _flag.split("=")[0] not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + _flag).strip()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
