"""History: per-epoch records, compared with Keras 3's History on the same scripted logs."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.callbacks import History  # noqa: E402

RUNS = [[{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5}],
        [{"loss": 0.25}, {"loss": 0.125, "accuracy": 0.75}]]


def _record(history, model):
    history.set_model(model)
    for logs_per_epoch in RUNS:  # two fit calls reusing the same History
        history.on_train_begin()
        for epoch, logs in enumerate(logs_per_epoch):
            history.on_epoch_end(epoch, dict(logs))
    return history


def test_matches_keras(make_model):
    ours = _record(History(), make_model())
    theirs = _record(keras.callbacks.History(), make_model())
    assert ours.history == theirs.history
    assert ours.epoch == theirs.epoch == [0, 1]
    assert ours.history == {"loss": [1.0, 0.5, 0.25, 0.125], "val_loss": [2.0, 1.5], "accuracy": [0.75]}


def test_sets_itself_as_model_history(fake_model):
    history = History()
    history.set_model(fake_model)
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    assert fake_model.history is history
