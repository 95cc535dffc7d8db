"""TerminateOnNaN: stops (or raises) on a NaN / infinite batch loss, like Keras 3's."""
import os

import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.callbacks import CallbackList, TerminateOnNaN  # noqa: E402


@pytest.mark.parametrize("loss", [float("nan"), np.float32(np.inf), jnp.float32(-np.inf), jnp.array(np.nan)])
def test_stops_on_invalid_loss_like_keras(loss, make_model, capsys):
    outcomes = []
    for callback in (TerminateOnNaN(), keras.callbacks.TerminateOnNaN()):
        model = make_model()
        callback.set_model(model)
        callback.on_train_batch_end(7, {"loss": loss})
        outcomes.append((model.stop_training, capsys.readouterr().out))
    assert outcomes[0] == outcomes[1] == (True, "Batch 7: Invalid loss, terminating training\n")


@pytest.mark.parametrize("logs", [{"loss": 0.5}, {"loss": jnp.float32(1e30)}, {"accuracy": float("nan")}, {}])
def test_finite_or_missing_loss_is_ignored(logs, fake_model):
    callback = TerminateOnNaN()
    callback.set_model(fake_model)
    callback.on_train_batch_end(0, logs)
    callback.on_epoch_end(0, {"loss": float("nan")})  # only batch losses are checked
    assert not fake_model.stop_training


def test_raise_error(fake_model):
    callback = TerminateOnNaN(raise_error=True)
    callback.set_model(fake_model)
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3. Loss value: inf"):
        callback.on_train_batch_end(3, {"loss": np.inf})
    assert not fake_model.stop_training


def test_works_once_per_chunk_through_callback_list(fake_model, capsys):
    callbacks = CallbackList([TerminateOnNaN()], model=fake_model)
    assert not callbacks.needs_batch_hooks()  # fit may run many steps per compiled call
    callbacks.on_train_batch_end(63, {"loss": jnp.float32(0.3)})
    assert not fake_model.stop_training
    callbacks.on_train_batch_end(127, {"loss": jnp.float32(np.nan)})
    assert fake_model.stop_training and "Batch 127" in capsys.readouterr().out
