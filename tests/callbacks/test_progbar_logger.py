"""ProgbarLogger: what fit / evaluate / predict print, compared with Keras 3's ProgbarLogger."""
import io
import os
import re
import sys

import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.callbacks import CallbackList, ProgbarLogger  # noqa: E402


def _play(callback, clock, params, script, model):
    """Drive `callback` through (seconds elapsed, hook name, args) steps, starting at t=1000."""
    clock.now = 1000.0
    callback.set_params(params)
    callback.set_model(model)
    for seconds, hook, args in script:
        clock.now += seconds
        getattr(callback, hook)(*args)


def _fit_script(epochs, steps, scalar=float):
    script = [(0, "on_train_begin", ())]
    for epoch in range(epochs):
        script.append((1, "on_epoch_begin", (epoch,)))
        for batch in range(steps):
            script.append((0.03 * (batch + 1), "on_train_batch_begin", (batch,)))
            logs = {"loss": scalar(1.0 / (batch + 1)), "accuracy": scalar(0.1 * batch)}
            script.append((0.02, "on_train_batch_end", (batch, logs)))
        # validation inside fit prints nothing of its own
        script += [(0.5, "on_test_begin", ()), (0.1, "on_test_batch_end", (0, {"loss": 9.0})),
                   (0.1, "on_test_end", ({"loss": 9.0},))]
        script.append((0.01, "on_epoch_end", (epoch, {"loss": 0.5, "accuracy": 0.25, "val_loss": 1e-5,
                                                      "val_accuracy": 1.0, "learning_rate": 0.001})))
    return script + [(0, "on_train_end", ())]


_EVALUATE = [(0, "on_test_begin", ()), (0.2, "on_test_batch_end", (0, {"loss": 3.0})),
             (0.2, "on_test_batch_end", (1, {"loss": 5.0})), (0.1, "on_test_end", ({"loss": 4.0, "mae": 2.0},))]
_PREDICT = [(0, "on_predict_begin", ()), (0.2, "on_predict_batch_end", (0, {"outputs": np.zeros(3)})),
            (0.2, "on_predict_batch_end", (1, {"outputs": np.zeros(3)})), (0.1, "on_predict_end", ())]
# steps_per_execution-style: batch hooks only at the end of each chunk of steps
_CHUNKED = [(0, "on_train_begin", ()), (1, "on_epoch_begin", (0,)), (0.5, "on_train_batch_begin", (0,)),
            (2, "on_train_batch_end", (63, {"loss": 2.0})), (0.2, "on_train_batch_end", (99, {"loss": 1.0})),
            (0, "on_epoch_end", (0, {"loss": 1.0}))]

CASES = {
    "fit_verbose1": (dict(verbose=1, epochs=2, steps=5), _fit_script(2, 5)),
    "fit_jax_logs": (dict(verbose=1, epochs=2, steps=5), _fit_script(2, 5, scalar=jnp.float32)),
    "fit_one_epoch": (dict(verbose=1, epochs=1, steps=3), _fit_script(1, 3)),
    "fit_verbose2": (dict(verbose=2, epochs=3, steps=4), _fit_script(3, 4)),
    "fit_unknown_steps": (dict(verbose=1, epochs=2, steps=None), _fit_script(2, 4)),
    "fit_silent": (dict(verbose=0, epochs=2, steps=4), _fit_script(2, 4)),
    "evaluate_verbose1": (dict(verbose=1, epochs=1, steps=2), _EVALUATE),
    "evaluate_verbose2": (dict(verbose=2, epochs=1, steps=2), _EVALUATE),
    "evaluate_unknown_steps": (dict(verbose=1, epochs=1, steps=None), _EVALUATE),
    "predict_verbose1": (dict(verbose=1, epochs=1, steps=2), _PREDICT),
    "predict_verbose2": (dict(verbose=2, epochs=1, steps=2), _PREDICT),
    "chunked_steps": (dict(verbose=1, epochs=2, steps=100), _CHUNKED),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_keras(name, clock, tty, make_model):
    params, script = CASES[name]
    out = tty()
    _play(keras.callbacks.ProgbarLogger(), clock, params, script, make_model())
    expected = out.getvalue()
    out = tty()
    _play(ProgbarLogger(), clock, params, script, make_model())
    assert out.getvalue() == expected
    assert name == "fit_silent" or expected


def test_fit_output_structure_when_not_a_terminal(clock, monkeypatch, fake_model):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    callbacks = CallbackList(None, add_progbar=True, model=fake_model, verbose=1, epochs=2, steps=3)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for batch in range(3):
            clock.now += 0.01  # 10 ms steps: within the refresh interval, only the first is drawn
            callbacks.on_train_batch_end(batch, {"loss": jnp.float32(0.5), "accuracy": 0.75})
        callbacks.on_epoch_end(epoch, {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.00042})
    callbacks.on_train_end()
    lines = out.getvalue().split("\n")
    assert "\r" not in out.getvalue() and "\b" not in out.getvalue()
    bar = (r"\x1b\[1m{n}/3\x1b\[0m \x1b\[32m━{{{green}}}\x1b\[0m\x1b\[37m━*\x1b\[0m \x1b\[1m\d+(:\d\d)*s?\x1b\[0m "
           r"\d+(s|ms|us)/step - accuracy: 0\.7500 - loss: 0\.5000")
    final = (r"\x1b\[1m3/3\x1b\[0m \x1b\[32m━{20}\x1b\[0m\x1b\[37m\x1b\[0m \x1b\[1m\d+s\x1b\[0m "
             r"\d+(s|ms|us)/step - accuracy: 0\.7500 - loss: 0\.5000 - val_loss: 4\.2000e-04")
    for epoch, start in ((1, 0), (2, 4)):
        assert lines[start] == f"Epoch {epoch}/2"
        assert lines[start + 1] == ""  # without a terminal every draw starts on a new line
        assert re.fullmatch(bar.format(n=1, green=6), lines[start + 2])
        assert re.fullmatch(final, lines[start + 3])
    assert lines[8:] == [""]


def test_verbose2_prints_one_line_per_epoch_in_name_order(monkeypatch, fake_model):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    callbacks = CallbackList(None, add_progbar=True, model=fake_model, verbose=2, epochs=2, steps=4)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for batch in range(4):
            callbacks.on_train_batch_end(batch, {"loss": 1.0})
        callbacks.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.25, "accuracy": 0.125})
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    for line in (lines[1], lines[3]):
        assert re.fullmatch(r"4/4 - \d+s - \d+(s|ms|us)/step - accuracy: 0\.1250 - loss: 0\.5000 - "
                            r"val_loss: 0\.2500", line)


def test_batch_logs_are_not_read_between_refreshes(clock, monkeypatch, fake_model):
    """The bar only turns device values into numbers when it draws, so most steps cost no host sync."""
    reads = []

    class DeviceScalar:
        def __array__(self, dtype=None, copy=None):
            reads.append(1)
            return np.asarray(0.5, dtype=dtype)

    monkeypatch.setattr(sys, "stdout", io.StringIO())
    callbacks = CallbackList(None, add_progbar=True, model=fake_model, verbose=1, epochs=1, steps=500)
    assert not callbacks.needs_batch_hooks()
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for batch in range(500):
        clock.now += 0.001
        callbacks.on_train_batch_end(batch, {"loss": DeviceScalar()})
    assert 5 <= len(reads) <= 15
