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


# -- inside fit: the compiled loop stops at the bad step --------------------------------------------------

import kerasj  # noqa: E402

LR = 0.9  # plain SGD on MSE with inputs of norm ~3: the weights grow each step until the loss overflows


def _diverging_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32") * 3.0
    y = rng.normal(size=(96, 1)).astype("float32")
    return x, y


def _model(seed=3):
    model = kerasj.Sequential([kerasj.Input((4,)), kerasj.layers.Dense(1, kernel_initializer=kerasj.initializers
                                                                        .GlorotUniform(seed=seed))])
    model.compile(optimizer=kerasj.optimizers.SGD(LR), loss="mse")
    return model


def _stopped_by_hand(x, y, batch_size):
    """Train batch by batch in order until a batch's loss is non-finite; the weights before that batch, and
    the global index of the bad batch. An independent oracle: train_on_batch, no TerminateOnNaN."""
    model = _model()
    steps_per_epoch = len(x) // batch_size
    for step in range(100 * steps_per_epoch):
        i = step % steps_per_epoch
        before = model.get_weights()
        loss = model.train_on_batch(x[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size])
        if not np.isfinite(loss):
            return before, step
    raise AssertionError("the model did not diverge")


@pytest.mark.parametrize("mode", ["one_call_per_epoch", "progress_bar_chunks", "steps_per_execution",
                                  "per_batch_callback", "generator"])
def test_fit_stops_at_the_diverging_batch_with_finite_weights(mode, capsys):
    x, y = _diverging_data()
    batch_size = 8
    expected_weights, bad_step = _stopped_by_hand(x, y, batch_size)
    steps_per_epoch = len(x) // batch_size
    assert bad_step >= steps_per_epoch  # diverges after the first epoch, mid-epoch
    bad_epoch, bad_batch = divmod(bad_step, steps_per_epoch)
    model = _model()
    callbacks = [kerasj.callbacks.TerminateOnNaN()]
    kwargs = dict(batch_size=batch_size, epochs=50, shuffle=False, verbose=0)
    data = (x, y)
    if mode == "progress_bar_chunks":
        kwargs["verbose"] = 2
    elif mode == "steps_per_execution":
        model.compile(optimizer=kerasj.optimizers.SGD(LR), loss="mse", steps_per_execution=5)
        callbacks.append(kerasj.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None))
    elif mode == "per_batch_callback":
        callbacks.append(kerasj.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None))
    elif mode == "generator":
        def batches():
            while True:
                for i in range(steps_per_epoch):
                    yield x[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size]
        data = (batches(),)
        kwargs.pop("batch_size")
        kwargs["steps_per_epoch"] = steps_per_epoch
    history = model.fit(*data, callbacks=callbacks, **kwargs)
    assert f"Batch {bad_batch}: Invalid loss, terminating training" in capsys.readouterr().out
    weights = model.get_weights()
    assert all(np.all(np.isfinite(w)) for w in weights)
    for got, want in zip(weights, expected_weights):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    # As Keras: one History entry per epoch that started, the last one holding the non-finite loss.
    losses = history.history["loss"]
    assert len(losses) == bad_epoch + 1
    assert np.all(np.isfinite(losses[:-1])) and not np.isfinite(losses[-1])
    assert model.optimizer.iterations.numpy() == bad_step  # the bad step's update was not applied


def test_fit_without_terminate_on_nan_keeps_training_through_nan():
    x, y = _diverging_data()
    _, bad_step = _stopped_by_hand(x, y, 8)
    model = _model()
    model.fit(x, y, batch_size=8, epochs=bad_step // 12 + 2, shuffle=False, verbose=0)
    assert model.optimizer.iterations.numpy() == (bad_step // 12 + 2) * 12
    assert not np.all(np.isfinite(model.get_weights()[0]))


def test_keras_stops_at_the_same_batch():
    """Keras 3 (the oracle) prints the same batch and records the same number of epochs; its weights are NaN
    after the bad update, which kerasj does not apply."""
    x, y = _diverging_data()
    ours = _model()
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    theirs.set_weights(ours.get_weights())
    theirs.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    kwargs = dict(batch_size=8, epochs=50, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, callbacks=[kerasj.callbacks.TerminateOnNaN()], **kwargs)
    h_theirs = theirs.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()], **kwargs)
    assert len(h_ours.history["loss"]) == len(h_theirs.history["loss"])
    np.testing.assert_allclose(h_ours.history["loss"][:-1], h_theirs.history["loss"][:-1], rtol=1e-4)
    assert int(theirs.optimizer.iterations.numpy()) == int(ours.optimizer.iterations.numpy()) + 1
