"""Callback base class: default hooks, attributes, and the on_batch_* aliases."""
from kerasj.callbacks import Callback
from kerasj.callbacks.callback import HOOKS


def test_defaults_and_setters(fake_model):
    callback = Callback()
    assert callback.model is None and callback.params is None
    callback.set_model(fake_model)
    callback.set_params({"epochs": 3})
    assert callback.model is fake_model and callback.params == {"epochs": 3}


def test_every_hook_exists_and_does_nothing():
    callback = Callback()
    for name in HOOKS:
        args = (0, {"loss": 1.0}) if "batch" in name or "epoch" in name else ({"loss": 1.0},)
        assert getattr(callback, name)(*args) is None
    assert len(HOOKS) == 16


def test_old_batch_hook_names_receive_training_batches():
    calls = []

    class Old(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch, logs))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs))

    callback = Old()
    callback.on_train_batch_begin(3, logs={"a": 1})
    callback.on_train_batch_end(3, logs={"b": 2})
    callback.on_test_batch_end(4, logs={"c": 3})  # evaluation batches are not training batches
    assert calls == [("begin", 3, {"a": 1}), ("end", 3, {"b": 2})]
