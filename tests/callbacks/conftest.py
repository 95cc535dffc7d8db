"""Shared fixtures for callback tests: a minimal stand-in for a model, and a controllable clock and terminal.

The fake model has exactly what kerasj's Model offers callbacks: `stop_training`, `get_weights()` /
`set_weights(list)` and `optimizer.learning_rate` (a settable float). The same object also works with
Keras 3's callbacks, which is how the tests compare the two.
"""
import io
import sys
import time

import numpy as np
import pytest


class FakeOptimizer:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate


class FakeModel:
    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros((2, 2), np.float32), np.zeros((2,), np.float32)]
        self.set_weights_calls = 0

    def get_weights(self):
        return [np.array(w) for w in self.weights]

    def set_weights(self, weights):
        self.set_weights_calls += 1
        self.weights = [np.array(w) for w in weights]

    def mark_epoch(self, epoch):
        """Give the weights a recognisable value: every entry equals `epoch`."""
        self.weights = [np.full_like(w, epoch) for w in self.weights]


class TTY(io.StringIO):
    """A captured stdout that claims to be a terminal, so progress bars redraw in place."""

    def isatty(self):
        return True


class Clock:
    """A stand-in for time.time whose value the test sets."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def fake_model():
    return FakeModel()


@pytest.fixture
def make_model():
    """The FakeModel class, for tests that need several (one for kerasj, one for Keras)."""
    return FakeModel


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(time, "time", clock)
    return clock


@pytest.fixture
def tty(monkeypatch):
    """Call it inside the test (pytest re-installs its own stdout capture after fixtures run): it replaces
    stdout with a fresh terminal-like buffer and returns the buffer."""

    def install():
        out = TTY()
        monkeypatch.setattr(sys, "stdout", out)
        return out

    return install
