"""Progbar: output compared byte for byte with Keras 3's under a controlled clock, plus format checks."""
import io
import os
import re
import sys
import time

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.utils.progbar import Progbar, format_eta, format_step_time, is_interactive  # noqa: E402


class TTY(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


def U(seconds, *args, **kwargs):
    """A script step: let `seconds` pass, then call `update(*args, **kwargs)`."""
    return seconds, "update", args, kwargs


def A(seconds, *args):
    """A script step calling `add(*args)`."""
    return seconds, "add", args, {}


def _run(cls, clock, monkeypatch, kwargs, script, stdout_cls=TTY, dynamic=None):
    """Build a bar at t=1000, play the script on it and return what it printed."""
    out = stdout_cls()
    monkeypatch.setattr(sys, "stdout", out)
    clock[0] = 1000.0
    bar = cls(**kwargs)
    if dynamic is not None:
        bar._dynamic_display = dynamic  # Keras decides this from the platform; pin it for the comparison
    for seconds, method, args, call_kwargs in script:
        clock[0] += seconds
        getattr(bar, method)(*args, **call_kwargs)
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    return out.getvalue()


SCRIPTS = {
    # values averaged over steps; an update inside the refresh interval is skipped but still averaged
    "averaged": (dict(target=4), [
        U(0.5, 1, [("zeta", 1.0), ("loss", 2.0), ("acc", 0.5)]),
        U(0.01, 2, [("zeta", 3.0), ("loss", 4.0), ("acc", 0.0001)]),
        U(0.1, 3, [("zeta", 3.0), ("loss", 4.0), ("acc", 0.0001)]),
        U(0.2, 4, [("zeta", 5.0), ("loss", 6.0), ("acc", -0.5)])]),
    # stateful values shown as given; an ETA over an hour; explicit finalize past a shorter line
    "stateful": (dict(target=10, stateful_metrics=["loss"]), [
        U(0.5, 1, [("zeta", 1.0), ("loss", 2.0)]),
        U(0.1, 3, [("zeta", 3.0), ("loss", 4.0)]),
        U(3700, 4, [("zeta", 3.0), ("loss", 4.0)]),
        U(1, 5, [("zeta", 3.0), ("loss", 4.0)], finalize=True)]),
    "stateless": (dict(target=10, stateless_metrics=["a"]), [
        U(0.1, 2, [("a", 1.0), ("b", 1.0)]),
        U(0.1, 4, [("a", 3.0), ("b", 3.0)]),
        U(0.1, 10, [("b", 1.0)])]),
    "unknown_target": (dict(target=None), [
        U(0.5, 1, [("zeta", 1.0)]),
        U(0.1, 7, [("zeta", 1e-5)], finalize=True)]),
    # numpy scalars, ints, NaN, arrays (shown by their mean), m:ss ETA, us timing, narrow bar, other unit
    "mixed_values": (dict(target=1234, width=10, unit_name="sample"), [
        U(0.0, 5, [("a", np.float32(1.5)), ("n", float("nan")), ("z", 0), ("arr", np.array([1.0, 2.0]))]),
        U(80, 600, [("a", 1)]),
        U(0.0004, 1234, None)]),
    "verbose_2": (dict(target=12, verbose=2), [
        U(0.5, 1, [("zeta", 1.0)]),
        U(0.1, 12, [("zeta", 2.0), ("b", 0.0)])]),
    "past_target": (dict(target=10), [
        U(0.0, 0),
        U(0.3, 11, finalize=False),
        U(0.3, 11, finalize=True)]),
    "silent": (dict(target=3, verbose=0), [U(0.1, 1, [("a", 1.0)]), U(0.1, 3, [("a", 1.0)])]),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_output_matches_keras_on_a_terminal(name, clock, monkeypatch):
    kwargs, script = SCRIPTS[name]
    expected = _run(keras.utils.Progbar, clock, monkeypatch, kwargs, script, dynamic=True)
    assert _run(Progbar, clock, monkeypatch, kwargs, script) == expected
    assert name == "silent" or expected  # the comparison is not vacuous


@pytest.mark.parametrize("name", ["averaged", "unknown_target", "verbose_2"])
def test_output_matches_keras_when_not_a_terminal(name, clock, monkeypatch):
    kwargs, script = SCRIPTS[name]
    expected = _run(keras.utils.Progbar, clock, monkeypatch, kwargs, script, dynamic=False)
    got = _run(Progbar, clock, monkeypatch, kwargs, script, stdout_cls=io.StringIO)
    assert got == expected
    assert "\r" not in got and "\b" not in got


def test_line_format_on_a_terminal(clock, monkeypatch):
    got = _run(Progbar, clock, monkeypatch, dict(target=20), [
        U(0.25, 1, [("loss", 0.5)]), U(0.25, 10, [("loss", 0.25)]), U(0.25, 20, [("loss", 0.125)])])
    frames = got.split("\r")
    assert frames[0] == ""
    bar = ("\x1b\\[1m{count}\x1b\\[0m \x1b\\[32m━{{{green}}}\x1b\\[0m\x1b\\[37m━{{{white}}}\x1b\\[0m "
           "\x1b\\[1m{clock}\x1b\\[0m ")
    assert re.fullmatch(bar.format(count=" 1/20", green=1, white=19, clock="4s")
                        + r"250ms/step - loss: 0\.5000\x08+", frames[1])
    # (0.5 s - 0.25 s) / 9 steps after the first = 28ms/step; 10 left -> 0s ETA (truncated);
    # the loss is averaged over the 10 steps: (0.5 * 1 + 0.25 * 9) / 10
    assert re.fullmatch(bar.format(count="10/20", green=10, white=10, clock="0s")
                        + r"28ms/step - loss: 0\.2750 *\x08+", frames[2])
    # the final line shows the elapsed time instead of an ETA and ends the line
    assert re.fullmatch(r"\x1b\[1m20/20\x1b\[0m \x1b\[32m━{20}\x1b\[0m\x1b\[37m\x1b\[0m \x1b\[1m1s\x1b\[0m "
                        r"26ms/step - loss: 0\.1250 *\n", frames[3])
    # each redraw first backs over exactly the visible width of the previous line
    visible = re.sub(r"\x1b\[[0-9;]*m", "", frames[1].rstrip("\b"))
    assert frames[1].count("\b") == len(visible)


def test_refreshes_are_rate_limited_and_values_read_only_when_drawn(clock, monkeypatch):
    reads = []

    class DeviceScalar:
        """Stands in for a lazy device array: converting it to a host number is what costs a sync."""

        def __init__(self, value):
            self.value = value

        def __array__(self, dtype=None, copy=None):
            reads.append(self.value)
            return np.asarray(self.value, dtype=dtype)

    monkeypatch.setattr(sys, "stdout", io.StringIO())
    bar = Progbar(1000, stateless_metrics=())
    for step in range(1, 1001):
        clock[0] += 0.001  # 1 ms per step, 50 ms refresh interval
        bar.update(step, [("loss", DeviceScalar(step))], finalize=step == 1000)
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    assert 10 <= len(reads) <= 22  # ~one draw per 50 steps, not 1000
    assert reads[0] == 1 and reads[-1] == 1000


def test_add_advances_relative_to_the_current_step(clock, monkeypatch):
    script = [A(0.1, 3, [("a", 1.0)]), A(0.1, 3, [("a", 3.0)]), A(0.1, 4)]
    expected = _run(keras.utils.Progbar, clock, monkeypatch, dict(target=10), script, dynamic=True)
    got = _run(Progbar, clock, monkeypatch, dict(target=10), script)
    assert got == expected
    assert " 6/10" in got and "a: 2.0000" in got  # (1 * 3 + 3 * 3) / 6
    assert got.endswith("\n")  # reaching the target finalizes


def test_helpers():
    assert format_step_time(0, "step") == " 0s/step"
    assert format_step_time(2.4, "step") == " 2s/step"
    assert format_step_time(0.0123, "step") == " 12ms/step"
    assert format_step_time(0.0000123, "sample") == " 12us/sample"
    assert format_eta(59.9) == "59s"
    assert format_eta(61) == "1:01"
    assert format_eta(3 * 3600 + 4 * 60 + 5) == "3:04:05"


def test_interactive_detection(monkeypatch):
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setattr(sys, "stdout", TTY())
    assert is_interactive()
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert not is_interactive()


def test_bad_arguments():
    with pytest.raises(ValueError, match="stateful_metrics"):
        Progbar(10, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="verbose"):
        Progbar(10, verbose=3)
