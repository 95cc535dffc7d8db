"""ModelCheckpoint: scripted logs compared with Keras 3's ModelCheckpoint, and real fits writing weights files."""
import contextlib
import io
import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402
from kerasj.callbacks import CallbackList, ModelCheckpoint  # noqa: E402
from kerasj.callbacks.model_checkpoint import BatchSaveSchedule  # noqa: E402


class SavingModel:
    """Records where the callback saved (and what the weights were then, via `tag`)."""

    def __init__(self):
        self.stop_training = False
        self.metrics = []
        self.saved = []
        self.tag = None

    def save_weights(self, filepath, overwrite=True):
        self.saved.append((filepath, self.tag))

    def save(self, filepath, overwrite=True):
        self.saved.append(("model:" + filepath, self.tag))


def _script(callback, epochs, batches=0, seed=0):
    """Drive `callback` like fit: `batches` per epoch, a loss per epoch; returns (saved, stdout, warnings)."""
    model = SavingModel()
    callback.set_model(model)
    losses = np.random.default_rng(seed).uniform(0.5, 1.5, size=epochs)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback.on_train_begin()
        for epoch in range(epochs):
            callback.on_epoch_begin(epoch)
            for batch in range(batches):
                model.tag = (epoch, batch)
                callback.on_train_batch_end(batch, {"loss": float(losses[epoch])})
            model.tag = (epoch, "end")
            callback.on_epoch_end(epoch, {"loss": float(losses[epoch]), "val_loss": float(losses[epoch]) + 0.1})
    return model.saved, out.getvalue(), [str(w.message) for w in caught if "ModelCheckpoint" in str(w.filename)
                                         or "Can save" in str(w.message)]


def _both(tmp_path, **kwargs):
    filepath = str(tmp_path / kwargs.pop("filepath"))
    mine = ModelCheckpoint(filepath, **kwargs)
    theirs = keras.callbacks.ModelCheckpoint(filepath, **kwargs)
    return mine, theirs


@pytest.mark.parametrize("kwargs, batches", [
    (dict(filepath="{epoch:02d}-{val_loss:.2f}.weights.h5", save_weights_only=True, verbose=1), 0),
    (dict(filepath="best.weights.h5", save_weights_only=True, save_best_only=True, verbose=1), 0),
    (dict(filepath="best.weights.h5", save_weights_only=True, save_best_only=True, monitor="loss", verbose=1,
          initial_value_threshold=0.9), 0),
    (dict(filepath="max.weights.h5", save_weights_only=True, save_best_only=True, monitor="val_loss", mode="max",
          verbose=1), 0),
    (dict(filepath="b{epoch}_{batch}.weights.h5", save_weights_only=True, save_freq=3, verbose=1), 4),
    (dict(filepath="missing.weights.h5", save_weights_only=True, save_best_only=True, monitor="val_accuracy",
          mode="max"), 0),
    (dict(filepath="whole.keras", verbose=1), 0),
])
def test_same_saves_messages_and_warnings_as_keras(tmp_path, kwargs, batches):
    mine, theirs = _both(tmp_path, **kwargs)
    got = _script(mine, epochs=6, batches=batches)
    expected = _script(theirs, epochs=6, batches=batches)
    assert got == expected
    assert mine.best == theirs.best


def test_batch_schedule_counts_across_epochs_and_jumps():
    schedule = BatchSaveSchedule(save_freq=2)
    # Indices 0, 2, 3, 7 (chunks reported by their last step), then a new epoch 0, 1.
    assert [schedule.step(b) for b in (0, 2, 3, 7, 0, 1)] == [False, True, False, True, False, True]
    # A first call reporting a chunk (steps_per_execution=2: index 1) counts both of its batches, as Keras.
    assert BatchSaveSchedule(save_freq=2).step(1) is True


def test_filepath_with_unknown_field(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "{foo}.weights.h5"), save_weights_only=True)
    with pytest.raises(KeyError, match="Failed to format this callback filepath.*foo"):
        _script(callback, epochs=1)


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match=r"save_weights_only=True.*must end in `\.weights\.h5`.*a\.h5"):
        ModelCheckpoint("a.h5", save_weights_only=True)
    with pytest.raises(ValueError, match="Unrecognized save_freq: batch"):
        ModelCheckpoint("a.keras", save_freq="batch")
    with pytest.warns(UserWarning, match="mode 'foo' is unknown"):
        ModelCheckpoint("a.keras", mode="foo")


def test_only_batch_level_saving_needs_every_batch():
    model = SavingModel()
    per_epoch = CallbackList([ModelCheckpoint("a.weights.h5", save_weights_only=True)], model=model)
    per_batch = CallbackList([ModelCheckpoint("a.weights.h5", save_weights_only=True, save_freq=5)], model=model)
    assert not per_epoch.needs_batch_hooks() and per_batch.needs_batch_hooks()


def _fit_model():
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    model.compile(kerasj.optimizers.SGD(0.05), "mse")
    return model


def test_fit_keeps_the_weights_of_the_best_epoch(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    vx, vy = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    model = _fit_model()
    path = tmp_path / "ckpt" / "best.weights.h5"  # the directory is created
    per_epoch = []
    record = kerasj.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: per_epoch.append((logs["val_loss"], model.get_weights())))
    model.fit(x, y, epochs=6, batch_size=4, validation_data=(vx, vy), verbose=0,
              callbacks=[ModelCheckpoint(str(path), save_best_only=True, save_weights_only=True), record])
    best_loss, best_weights = min(per_epoch, key=lambda entry: entry[0])
    restored = _fit_model()
    restored.load_weights(path)
    for a, b in zip(restored.get_weights(), best_weights):
        np.testing.assert_array_equal(a, b)
    assert best_loss == min(loss for loss, _ in per_epoch)


def test_fit_with_batch_frequency_writes_keras_file_names(tmp_path):
    x = np.zeros((8, 3), "float32")
    y = np.zeros((8, 1), "float32")
    model = _fit_model()
    model.fit(x, y, epochs=2, batch_size=2, verbose=0, callbacks=[ModelCheckpoint(
        str(tmp_path / "b_{epoch}_{batch}.weights.h5"), save_weights_only=True, save_freq=3)])
    # 4 batches per epoch; every 3rd batch overall: epoch 1 batch 3, epoch 2 batch 2 (as Keras names them).
    assert sorted(os.listdir(tmp_path)) == ["b_1_3.weights.h5", "b_2_2.weights.h5"]


def test_whole_model_checkpoint_loads_back_with_the_same_weights(tmp_path):
    """Seed 001's ModelCheckpoint(filepath='my_model.keras', save_best_only=True)."""
    model = _fit_model()
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[ModelCheckpoint(str(tmp_path / "my_model.keras"), save_best_only=True)])
    restored = kerasj.models.load_model(tmp_path / "my_model.keras")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
