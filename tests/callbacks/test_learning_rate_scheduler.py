"""LearningRateScheduler: the rate set each epoch, compared with Keras 3's scheduler."""
import math
import os

import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.callbacks import CallbackList, LearningRateScheduler  # noqa: E402


def _train(callback, model, epochs):
    """Returns, per epoch, the rate in effect during the epoch and the logged `learning_rate`."""
    callback.set_model(model)
    callback.on_train_begin()
    used, logged = [], []
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        used.append(model.optimizer.learning_rate)
        logs = {"loss": 1.0}
        callback.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
    return used, logged


def _decay(epoch, lr):
    return lr if epoch < 2 else lr * math.exp(-0.1)


@pytest.mark.parametrize("schedule", [_decay, lambda epoch: 0.1 / (epoch + 1),
                                      lambda epoch, lr: np.float32(lr / 2)])
def test_matches_keras(schedule, make_model, capsys):
    ours = _train(LearningRateScheduler(schedule, verbose=1), make_model(), 5)
    ours_out = capsys.readouterr().out
    theirs = _train(keras.callbacks.LearningRateScheduler(schedule, verbose=1), make_model(), 5)
    assert ours == theirs
    assert ours_out == capsys.readouterr().out
    assert "Epoch 5: LearningRateScheduler setting learning rate to" in ours_out


def test_rates_follow_the_schedule(fake_model):
    used, logged = _train(LearningRateScheduler(_decay), fake_model, 4)
    assert used == pytest.approx([0.1, 0.1, 0.1 * math.exp(-0.1), 0.1 * math.exp(-0.2)])
    assert logged == used


def test_jax_scalar_output_is_accepted(fake_model):
    _train(LearningRateScheduler(lambda epoch, lr: jnp.float32(0.5) * lr), fake_model, 2)
    assert type(fake_model.optimizer.learning_rate) is float
    assert fake_model.optimizer.learning_rate == pytest.approx(0.025)


def test_history_records_the_rate(fake_model):
    callbacks = CallbackList([LearningRateScheduler(lambda epoch, lr: 0.01 * (epoch + 1))], add_history=True,
                             model=fake_model)
    callbacks.on_train_begin()
    for epoch in range(3):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    assert fake_model.history.history["learning_rate"] == pytest.approx([0.01, 0.02, 0.03])


@pytest.mark.parametrize("bad", [1, "0.1", None, np.ones(2, np.float32)])
def test_non_float_output_is_rejected(bad, fake_model):
    with pytest.raises(ValueError, match="should be a float"):
        _train(LearningRateScheduler(lambda epoch, lr: bad), fake_model, 1)


def test_optimizer_without_learning_rate(fake_model):
    fake_model.optimizer = object()
    with pytest.raises(ValueError, match='must have a "learning_rate" attribute'):
        _train(LearningRateScheduler(_decay), fake_model, 1)
    with pytest.raises(TypeError, match="schedule"):
        LearningRateScheduler(0.1)
