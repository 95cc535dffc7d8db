"""CallbackList: default callbacks, dispatch to every hook, logs handling and needs_batch_hooks."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.callbacks import (Callback, CallbackList, EarlyStopping, History, LambdaCallback,  # noqa: E402
                              ProgbarLogger, ReduceLROnPlateau, TerminateOnNaN)
from kerasj.callbacks.callback import HOOKS  # noqa: E402


class Recorder(Callback):
    """Records every hook call as (hook name, positional args, keyword args)."""

    def __init__(self, calls):
        super().__init__()
        self.calls = calls


def _recording(name):
    def hook(self, *args, **kwargs):
        self.calls.append((name, args, kwargs))
    return hook


for _name in HOOKS:
    setattr(Recorder, _name, _recording(_name))


def test_default_callbacks_are_added_once_in_keras_order(fake_model, make_model):
    mine = Callback()
    ours = CallbackList([mine], add_history=True, add_progbar=True, model=fake_model, verbose=0, epochs=1,
                        steps=1)
    theirs = keras.callbacks.CallbackList([keras.callbacks.Callback()], add_history=True, add_progbar=True,
                                          model=make_model(), verbose=0, epochs=1, steps=1)
    assert [type(c).__name__ for c in ours.callbacks] == [type(c).__name__ for c in theirs.callbacks]
    assert ours.callbacks[0] is mine
    history, progbar = History(), ProgbarLogger()
    ours = CallbackList([progbar, history], add_history=True, add_progbar=True, model=fake_model)
    assert ours.callbacks == [progbar, history]
    assert fake_model.history is history
    assert CallbackList().callbacks == []


def test_model_and_params_reach_every_callback(fake_model):
    members = [Callback(), Callback()]
    CallbackList(members, model=fake_model, verbose=2, epochs=5, steps=7)
    for member in members:
        assert member.model is fake_model
        assert member.params == {"verbose": 2, "epochs": 5, "steps": 7}


def test_every_hook_is_forwarded_in_order_with_keras_calling_conventions():
    calls = []
    callbacks = CallbackList([Recorder(calls), Recorder(calls)])
    for name in HOOKS:
        args = (3,) if "batch" in name or "epoch" in name else ()
        getattr(callbacks, name)(*args, {"loss": 1.0})
    assert calls[0::2] == calls[1::2]
    # the old on_batch_* names are aliases of the training batch hooks
    aliases = {"on_batch_begin": "on_train_batch_begin", "on_batch_end": "on_train_batch_end"}
    assert [name for name, _, _ in calls[0::2]] == [aliases.get(n, n) for n in HOOKS]
    for name, args, kwargs in calls:
        if "batch" in name:  # batch hooks get `logs=` as a keyword, as in Keras
            assert args == (3,) and kwargs == {"logs": {"loss": 1.0}}
        elif "epoch" in name:
            assert args == (3, {"loss": 1.0}) and kwargs == {}
        else:
            assert args == ({"loss": 1.0},) and kwargs == {}


def test_missing_logs_become_an_empty_dict():
    calls = []
    callbacks = CallbackList([Recorder(calls)])
    callbacks.on_train_begin()
    callbacks.on_predict_batch_end(0)
    assert calls == [("on_train_begin", ({},), {}), ("on_predict_batch_end", (0,), {"logs": {}})]


def test_logs_are_sorted_scalars_become_floats_and_mutations_are_shared(fake_model):
    calls = []
    seen_by_later = []
    reduce_lr = ReduceLROnPlateau(monitor="loss")
    callbacks = CallbackList([reduce_lr, LambdaCallback(on_epoch_end=lambda e, logs: seen_by_later.append(logs)),
                              Recorder(calls)], model=fake_model)
    logs = {"val_loss": jnp.float32(0.5), "loss": np.float32(0.25), "count": 3, "per_class": np.ones(2)}
    callbacks.on_epoch_end(0, logs)
    received = seen_by_later[0]
    assert list(received) == ["count", "loss", "per_class", "val_loss", "learning_rate"]
    assert received["loss"] == 0.25 and type(received["loss"]) is float
    assert type(received["val_loss"]) is float and type(received["count"]) is float
    assert isinstance(received["per_class"], np.ndarray)
    assert calls[0][1][1] is received  # one dict shared by all, so History sees "learning_rate"
    assert "learning_rate" not in logs  # the caller's dict is left alone
    # Keras 3 hands the same sorted, converted logs to its callbacks
    keras_seen = []
    keras.callbacks.CallbackList([keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: keras_seen.append(logs))]).on_epoch_end(0, dict(logs))
    assert list(keras_seen[0]) == list(received)[:-1]
    assert all(type(keras_seen[0][k]) is type(received[k]) for k in keras_seen[0])


def test_batch_logs_stay_on_device_unless_a_callback_reads_every_batch(fake_model):
    logs = {"loss": jnp.float32(0.5)}
    received = []

    class Tolerant(Callback):
        _chunked_batch_hooks = True  # like ProgbarLogger: fine with one call per compiled chunk

        def on_train_batch_end(self, batch, logs=None):
            received.append(logs)

    CallbackList([Tolerant(), History()], model=fake_model).on_train_batch_end(0, logs)
    assert isinstance(received[0]["loss"], jax.Array)  # no host sync forced
    reader = LambdaCallback(on_train_batch_end=lambda batch, logs: received.append(logs))
    CallbackList([Tolerant(), reader], model=fake_model).on_train_batch_end(0, logs)
    assert type(received[1]["loss"]) is float and received[1] is received[2]


@pytest.mark.parametrize("callbacks, expected", [
    ([], False),
    ([History(), ProgbarLogger()], False),
    ([EarlyStopping(), ReduceLROnPlateau()], False),
    ([TerminateOnNaN()], False),  # checks once per compiled chunk: a NaN loss stays NaN
    ([LambdaCallback(on_epoch_end=print, on_train_begin=print)], False),
    ([LambdaCallback(on_train_batch_end=print)], True),
    ([LambdaCallback(on_predict_batch_begin=print)], True),
    ([LambdaCallback(on_batch_end=print)], True),
])
def test_needs_batch_hooks(callbacks, expected):
    assert CallbackList(callbacks).needs_batch_hooks() is expected


@pytest.mark.parametrize("hook", ["on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end",
                                  "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                                  "on_predict_batch_end"])
def test_a_subclass_overriding_any_batch_hook_needs_batch_hooks(hook):
    subclass = type("PerBatch", (Callback,), {hook: lambda self, batch, logs=None: None})
    assert CallbackList([History(), subclass()]).needs_batch_hooks()
    assert not CallbackList([History(), type("PerEpoch", (Callback,), {
        "on_epoch_end": lambda self, epoch, logs=None: None})()]).needs_batch_hooks()


def test_rejects_non_callbacks():
    with pytest.raises(TypeError, match="CallbackList.*Callback.*int"):
        CallbackList([Callback(), 3])
