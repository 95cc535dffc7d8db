"""CSVLogger: the file written for scripted epoch logs, compared byte for byte with Keras 3's."""
import csv
import os

import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from kerasj.callbacks import CallbackList, CSVLogger  # noqa: E402


def _log(logger, model, epochs_logs):
    logger.set_model(model)
    logger.on_train_begin()
    for epoch, logs in enumerate(epochs_logs):
        logger.on_epoch_begin(epoch)
        logger.on_epoch_end(epoch, dict(logs))
    logger.on_train_end()


RUNS = {
    "basic": [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.25, "accuracy": 0.5}],
    "validation": [{"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25, "val_loss": 0.5}],
    # validation only every other epoch: val_ columns exist from the start, missing values are NA
    "validation_later": [{"loss": 1.0}, {"loss": 2.0, "val_loss": 3.0}, {"loss": 2.0}],
    "missing_and_extra": [{"loss": 1.0, "b": 2}, {"loss": 2.0, "x": 3.0}],
    "values": [{"loss": np.float32(0.1), "text": "a,b", "arr": np.array([1.0, 2.5]), "zero_d": np.array(3.0),
                "lst": [1, 2], "count": 7}],
    "empty": [{}, {"loss": 1.0}],
}


@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize("separator", [",", ";"])
def test_file_matches_keras(name, separator, tmp_path, make_model):
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    _log(CSVLogger(ours, separator=separator), make_model(), RUNS[name])
    _log(keras.callbacks.CSVLogger(str(theirs), separator=separator), make_model(), RUNS[name])
    assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize("existing", [None, "", "epoch,loss\r\n0,9.0\r\n"])
def test_append_matches_keras(existing, tmp_path, make_model):
    paths = []
    for cls, name in ((CSVLogger, "ours.csv"), (keras.callbacks.CSVLogger, "theirs.csv")):
        path = tmp_path / name
        if existing is not None:
            path.write_bytes(existing.encode())
        _log(cls(str(path), append=True), make_model(), [{"loss": 1.0}, {"loss": 0.5}])
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_rows_are_readable_and_flushed_each_epoch(tmp_path, fake_model):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    callbacks = CallbackList([logger], model=fake_model)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": jnp.float32(0.5), "val_loss": 0.25})
    # readable while training is still running (the file is still open)
    with open(path, newline="") as f:
        assert list(csv.reader(f)) == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.25"]]
    callbacks.on_epoch_end(1, {"loss": 0.125, "val_loss": 0.0625})
    callbacks.on_train_end()
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(row["epoch"], float(row["loss"]), float(row["val_loss"])) for row in rows] == [
        ("0", 0.5, 0.25), ("1", 0.125, 0.0625)]


def test_overwrites_unless_appending(tmp_path, fake_model):
    path = tmp_path / "log.csv"
    path.write_text("old content\n")
    _log(CSVLogger(path), fake_model, [{"loss": 1.0}])
    assert path.read_text().startswith("epoch,loss,val_loss")


def test_jax_values_are_written_like_numpy_ones(tmp_path, fake_model):
    path = tmp_path / "log.csv"
    _log(CSVLogger(path), fake_model, [{"loss": jnp.float32(0.1), "per_class": jnp.array([0.5, 0.25])}])
    assert path.read_bytes().split(b"\r\n")[1] == b'0,0.1,"""[0.5, 0.25]""",NA,NA'
