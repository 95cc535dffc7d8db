"""ReduceLROnPlateau: learning-rate reductions on scripted logs, by hand and against Keras 3's."""
import itertools
import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.callbacks import CallbackList, ReduceLROnPlateau  # noqa: E402


def _train(callback, model, values, monitor="val_loss"):
    """One monitored value per epoch; returns the learning rate after each epoch and the logged rates."""
    callback.set_model(model)
    callback.on_train_begin()
    rates, logged = [], []
    for epoch, value in enumerate(values):
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        rates.append(model.optimizer.learning_rate)
        logged.append(logs["learning_rate"])
    return rates, logged


def test_reduces_after_patience_then_cools_down(fake_model):
    reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, cooldown=2, min_lr=0.02)
    rates, logged = _train(reduce_lr, fake_model, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5])
    # epochs 1-2 without improvement -> reduce at the end of epoch 2; the cooldown counts down at epochs 3
    # and 4 (epoch 4 ends it and counts again); epochs 4-5 -> reduce at 5; cooldown 6-7; epoch 7 improves;
    # epoch 8 alone is not enough patience
    assert rates == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025])
    # the logs carry the rate the epoch trained with, before any reduction at its end
    assert logged == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025])


def test_never_goes_below_min_lr(fake_model):
    rates, _ = _train(ReduceLROnPlateau(monitor="loss", factor=0.1, patience=0, min_lr=0.003), fake_model,
                      [1.0] * 5, monitor="loss")
    assert rates == pytest.approx([0.1, 0.01, 0.003, 0.003, 0.003])


def test_history_records_the_learning_rate(fake_model):
    callbacks = CallbackList([ReduceLROnPlateau(monitor="loss", patience=1)], add_history=True, model=fake_model)
    callbacks.on_train_begin()
    for epoch in range(3):
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    assert fake_model.history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.01])


class Float32Optimizer:
    """Stores its rate as float32, as a real optimizer's variable does."""

    def __init__(self, learning_rate):
        self._lr = np.float32(learning_rate)

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = np.float32(value)


def _outcome(callback_cls, make_model, values, capsys, float32, **kwargs):
    model = make_model()
    if float32:
        model.optimizer = Float32Optimizer(0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        callback = callback_cls(monitor="val_acc" if kwargs["mode"] == "max" else "val_loss", **kwargs)
        rates, logged = _train(callback, model, values, callback.monitor)
    return [float(r) for r in rates], logged, callback.wait, callback.cooldown_counter, capsys.readouterr().out


@pytest.mark.parametrize("mode, float32", list(itertools.product(["auto", "min", "max"], [False, True])))
def test_matches_keras_on_scripted_sequences(mode, float32, make_model, capsys):
    rng = np.random.default_rng(1)
    sequences = [[1.0] * 12, list(np.linspace(1, 0, 12)), list(np.linspace(0, 1, 12))]
    sequences += [list(np.round(rng.uniform(0, 1, 16), 1)) for _ in range(4)]
    reductions = 0
    for values, factor, patience, min_delta, cooldown, min_lr in itertools.product(
            sequences, [0.5, 0.1], [0, 1, 3], [1e-4, 0.15], [0, 2], [0.0, 0.004]):
        kwargs = dict(factor=factor, patience=patience, min_delta=min_delta, cooldown=cooldown, min_lr=min_lr,
                      mode=mode, verbose=1)
        ours = _outcome(ReduceLROnPlateau, make_model, values, capsys, float32, **kwargs)
        theirs = _outcome(keras.callbacks.ReduceLROnPlateau, make_model, values, capsys, float32, **kwargs)
        assert ours == theirs, (values, kwargs)
        reductions += ours[4].count("reducing learning rate")
    assert reductions > 100


def test_bad_arguments():
    with pytest.raises(ValueError, match="factor >= 1.0. Received factor=1.5"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.warns(UserWarning, match="mode 'up' is unknown"):
        assert ReduceLROnPlateau(mode="up").mode == "auto"
    with pytest.warns(UserWarning, match="ignoring unsupported arguments"):
        ReduceLROnPlateau(epsilon=0.1)


def test_missing_monitor_warns(fake_model):
    reduce_lr = ReduceLROnPlateau(monitor="val_loss", patience=0)
    reduce_lr.set_model(fake_model)
    with pytest.warns(UserWarning, match="Available metrics are: loss,learning_rate."):
        reduce_lr.on_epoch_end(0, {"loss": 1.0})
    assert fake_model.optimizer.learning_rate == 0.1
