"""EarlyStopping: scripted epoch logs, checked by hand and against Keras 3's EarlyStopping."""
import itertools
import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.callbacks import CallbackList, EarlyStopping  # noqa: E402


def _train(callback, model, values, monitor="val_loss"):
    """Feed one monitored value per epoch, as fit would; weights of epoch e are all e. Returns epochs run."""
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin()
    epochs_run = 0
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        model.mark_epoch(epoch)
        callback.on_epoch_end(epoch, {"loss": 1.0, monitor: value})
        epochs_run += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs_run


def test_stops_after_patience_and_restores_best_weights(fake_model):
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    epochs_run = _train(stop, fake_model, [3.0, 2.0, 2.5, 2.1, 1.0, 0.5])
    # epoch 1 is the best (2.0); epochs 2 and 3 do not improve -> stop at the end of epoch 3
    assert epochs_run == 4 and stop.stopped_epoch == 3 and stop.best_epoch == 1 and stop.best == 2.0
    assert all(np.all(w == 1) for w in fake_model.weights)


def test_without_restore_keeps_last_weights(fake_model):
    _train(EarlyStopping(patience=0), fake_model, [3.0, 2.0, 2.5, 1.0])
    assert all(np.all(w == 2) for w in fake_model.weights) and fake_model.set_weights_calls == 0


def test_restores_best_weights_even_when_not_stopped(fake_model):
    stop = EarlyStopping(patience=10, restore_best_weights=True)
    assert _train(stop, fake_model, [3.0, 1.0, 2.0]) == 3 and stop.stopped_epoch == 0
    assert all(np.all(w == 1) for w in fake_model.weights)


def test_max_mode_with_min_delta(fake_model):
    stop = EarlyStopping(monitor="val_accuracy", mode="max", min_delta=0.05, patience=2)
    # 0.62 is not 0.05 better than 0.6, nor is 0.64: stop at epoch 2
    assert _train(stop, fake_model, [0.6, 0.62, 0.64, 0.9], monitor="val_accuracy") == 3
    assert stop.best == 0.6


def test_stops_through_callback_list_in_a_training_loop(fake_model):
    stop = EarlyStopping(monitor="loss", patience=1)
    callbacks = CallbackList([stop], add_history=True, model=fake_model, verbose=0, epochs=10, steps=1)
    callbacks.on_train_begin()
    losses = [1.0, 0.5, 0.6, 0.7, 0.1]
    for epoch, loss in enumerate(losses):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, {"loss": np.float32(loss)})
        if fake_model.stop_training:
            break
    callbacks.on_train_end()
    assert fake_model.history.epoch == [0, 1, 2] and stop.stopped_epoch == 2


def _outcome(callback_cls, make_model, values, capsys, monitor, **kwargs):
    model = make_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        callback = callback_cls(monitor=monitor, **kwargs)
        epochs_run = _train(callback, model, values, monitor)
    return (epochs_run, callback.stopped_epoch, callback.best_epoch, callback.wait,
            None if callback.best is None else float(callback.best),
            [float(w.flat[0]) for w in model.weights], model.set_weights_calls, capsys.readouterr().out)


SEQUENCES = [
    [5, 4, 4, 4.05, 3, 3, 3.5, 2, 2.05, 2.1, 2.2, 2.3],
    [0.1, 0.2, 0.2, 0.15, 0.3, 0.3, 0.31, 0.2, 0.1, 0.35, 0.35, 0.34],
    [1, 1, 1, 1, 0.9, 0.9, 0.95, 1, 1, 1, 1, 1],
    [2, float("nan"), 1, 0.5, 0.6, 0.7, 0.8, 0.9, 0.1, 0.1, 0.1, 0.1],
    [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3],
    [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
]


@pytest.mark.parametrize("mode, restore", list(itertools.product(["auto", "min", "max"], [False, True])))
def test_matches_keras_on_scripted_sequences(mode, restore, make_model, capsys):
    monitor = "val_accuracy" if mode == "max" else "val_loss"
    rng = np.random.default_rng(0)
    sequences = SEQUENCES + [list(np.round(rng.uniform(0, 1, 15), 1)) for _ in range(4)]
    compared = stopped = 0
    for values, patience, min_delta, baseline, start in itertools.product(
            sequences, [0, 1, 3, 8], [0, 0.05, -0.05], [None, 0.5], [0, 2]):
        kwargs = dict(patience=patience, min_delta=min_delta, baseline=baseline, start_from_epoch=start,
                      mode=mode, restore_best_weights=restore, verbose=1)
        ours = _outcome(EarlyStopping, make_model, values, capsys, monitor, **kwargs)
        theirs = _outcome(keras.callbacks.EarlyStopping, make_model, values, capsys, monitor, **kwargs)
        assert ours == theirs, (values, kwargs)
        compared += 1
        stopped += ours[1] > 0
    assert compared == len(sequences) * 48
    assert 0.2 * compared < stopped < 0.95 * compared  # the sequences exercise both outcomes


def test_auto_mode_direction():
    def op(monitor, model=None):
        stop = EarlyStopping(monitor=monitor)
        stop.set_model(model)
        stop.on_epoch_end(0, {monitor: 1.0})
        return stop.monitor_op

    assert op("val_loss") is np.less and op("loss") is np.less
    assert op("val_accuracy") is np.greater and op("auc") is np.greater
    assert op("val_mean_squared_error") is np.less

    class Metric:
        def __init__(self, name, direction):
            self.name, self._direction = name, direction

    class Container:
        name = "compile_metrics"
        metrics = [Metric("my_score", "up"), Metric("my_error", "down")]

    class Model:
        metrics = [Metric("loss", None), Container()]

    assert op("val_my_score", Model()) is np.greater and op("my_error", Model()) is np.less
    with pytest.raises(ValueError, match="val_my_thing.*mode='max'"):
        op("val_my_thing")


def test_missing_monitor_warns_and_does_nothing(fake_model):
    stop = EarlyStopping(monitor="val_loss", patience=0)
    stop.set_model(fake_model)
    stop.on_train_begin()
    with pytest.warns(UserWarning, match="`val_loss` which is not available. Available metrics are: loss,acc"):
        stop.on_epoch_end(0, {"loss": 1.0, "acc": 0.5})
    assert stop.wait == 0 and not fake_model.stop_training


def test_unknown_mode_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'maximum' is unknown"):
        stop = EarlyStopping(mode="maximum")
    assert stop.mode == "auto"
