"""TensorBoard: event files read back by an independent TFRecord + protobuf reader written here.

Keras 3 needs TensorFlow to write event files, so it cannot be run as the oracle here. The expected tags,
directories and steps are Keras 3's, observed by running its callback (JAX backend) against a recording
stand-in for `tf.summary`: `epoch_<name>` at step `epoch` in `train/`, validation values without `val_` in
`validation/`, `epoch_learning_rate` from the optimizer, `batch_<name>` at the run's 1-based batch count
every `update_freq` batches, and `evaluation_<name>_vs_iterations` at `optimizer.iterations` after each
evaluation. The checksums are checked against published CRC-32C test vectors and a bitwise CRC written
here; when the tensorboard package is installed, its own reader cross-checks the files.
"""
import glob
import os
import re
import socket
import struct
import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj.callbacks import CallbackList, TensorBoard
from kerasj.utils.tb_writer import EventFileWriter, crc32c, encode_event, masked_crc32c, tfrecord


# -- an independent reader --------------------------------------------------------------------------------
def _crc32c_bitwise(data):
    """CRC-32C one bit at a time, straight from the definition (reflected polynomial 0x82F63B78)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(data):
    crc = _crc32c_bitwise(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _records(raw):
    """The payloads of a TFRecord stream, after checking both checksums of every record."""
    out, pos = [], 0
    while pos < len(raw):
        header = raw[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", raw[pos + 8:pos + 12])
        assert length_crc == _masked(header), "bad length checksum"
        data = raw[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", raw[pos + 12 + length:pos + 16 + length])
        assert data_crc == _masked(data), "bad data checksum"
        out.append(data)
        pos += 16 + length
    assert pos == len(raw), "truncated record"
    return out


def _fields(buf):
    """A protobuf message as a list of (field number, wire type, raw value)."""
    out, pos = [], 0

    def varint():
        nonlocal pos
        result = shift = 0
        while True:
            byte = buf[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while pos < len(buf):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n = varint()
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((field, wire, value))
    assert pos == len(buf)
    return out


def _decode_event(data):
    event = {"wall_time": 0.0, "step": 0, "file_version": None, "scalars": []}
    for field, wire, value in _fields(data):
        if (field, wire) == (1, 1):
            event["wall_time"] = struct.unpack("<d", value)[0]
        elif (field, wire) == (2, 0):
            event["step"] = value - (1 << 64) if value >= 1 << 63 else value
        elif (field, wire) == (3, 2):
            event["file_version"] = value.decode()
        elif (field, wire) == (5, 2):
            for summary_field, _, summary_value in _fields(value):
                assert summary_field == 1
                entry = dict((f, v) for f, _, v in _fields(summary_value))
                event["scalars"].append((entry[1].decode(), struct.unpack("<f", entry[2])[0]))
        else:
            raise AssertionError(f"unexpected Event field {field}")
    return event


def _read_file(path):
    with open(path, "rb") as f:
        return [_decode_event(record) for record in _records(f.read())]


def _files(run_dir):
    return sorted(glob.glob(os.path.join(str(run_dir), "events.out.tfevents.*")))


def _scalars(run_dir):
    """{tag: [(step, value), ...]} over every event file of a run directory."""
    out = {}
    for path in _files(run_dir):
        events = _read_file(path)
        assert events[0]["file_version"] == "brain.Event:2" and not events[0]["scalars"]
        for event in events[1:]:
            assert event["file_version"] is None and len(event["scalars"]) == 1
            tag, value = event["scalars"][0]
            out.setdefault(tag, []).append((event["step"], value))
    return out


def _f32(values):
    return [(step, float(np.float32(value))) for step, value in values]


# -- checksums and framing --------------------------------------------------------------------------------
@pytest.mark.parametrize("data, expected", [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),                    # the standard check value of CRC-32C
    (bytes(32), 0x8A9136AA),                       # RFC 3720 (iSCSI), appendix B.4
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
])
def test_crc32c_known_vectors(data, expected):
    assert crc32c(data) == expected
    assert _crc32c_bitwise(data) == expected


def test_crc32c_matches_bitwise_definition_and_continues():
    data = np.random.default_rng(0).integers(0, 256, 1000, dtype=np.uint8).tobytes()
    assert crc32c(data) == _crc32c_bitwise(data)
    assert crc32c(data[400:], crc32c(data[:400])) == crc32c(data)
    assert masked_crc32c(data) == _masked(data)


def test_tfrecord_framing_is_read_back():
    payloads = [b"", b"abc", bytes(range(256)) * 3]
    stream = b"".join(tfrecord(p) for p in payloads)
    assert _records(stream) == payloads
    assert tfrecord(b"abc")[:8] == struct.pack("<Q", 3)
    corrupted = bytearray(tfrecord(b"abc"))
    corrupted[13] ^= 1
    with pytest.raises(AssertionError, match="data checksum"):
        _records(bytes(corrupted))


def test_encode_event_fields():
    event = _decode_event(encode_event(1234.5, step=7, scalar=("epoch_loss", 0.25)))
    assert event == {"wall_time": 1234.5, "step": 7, "file_version": None, "scalars": [("epoch_loss", 0.25)]}
    assert _decode_event(encode_event(1.0, step=-3))["step"] == -3
    assert _decode_event(encode_event(1.0, step=2 ** 40))["step"] == 2 ** 40
    assert _decode_event(encode_event(1.0, file_version="brain.Event:2"))["file_version"] == "brain.Event:2"
    # float32 storage: rounding, overflow to infinity, NaN
    [(_, value)] = _decode_event(encode_event(1.0, scalar=("x", 0.1)))["scalars"]
    assert value == float(np.float32(0.1))
    assert _decode_event(encode_event(1.0, scalar=("x", 1e40)))["scalars"] == [("x", np.inf)]
    assert np.isnan(_decode_event(encode_event(1.0, scalar=("x", float("nan"))))["scalars"][0][1])


@pytest.mark.parametrize("kwargs", [
    dict(wall_time=1700000000.25, file_version="brain.Event:2"),
    dict(wall_time=1.5, step=3, scalar=("epoch_loss", 0.5)),
    dict(wall_time=1.5, step=-2, scalar=("batch_ünïcode", -1e-3)),
    dict(wall_time=0.0, step=0, scalar=("zero", 0.0)),
    dict(wall_time=2.0, step=2 ** 50, scalar=("big", 1e40)),
])
def test_encode_event_bytes_equal_protobuf_serializer(kwargs):
    event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    expected = event_pb2.Event(wall_time=kwargs["wall_time"], step=kwargs.get("step", 0),
                               file_version=kwargs.get("file_version", ""))
    if "scalar" in kwargs:
        value = expected.summary.value.add()
        value.tag, value.simple_value = kwargs["scalar"]
    assert encode_event(**kwargs) == expected.SerializeToString()


def test_event_file_writer_name_and_reopen(tmp_path):
    writer = EventFileWriter(tmp_path / "run")
    pattern = (r"events\.out\.tfevents\.\d{10}\." + re.escape(socket.gethostname()) +
               rf"\.{os.getpid()}\.\d+\.v2")
    assert re.fullmatch(pattern, os.path.basename(writer.path))
    writer.add_scalar("a", 1.0, step=-1, wall_time=5.0)
    writer.close()
    writer.add_scalar("a", 2.0, step=4)  # after close: appended to the same file
    writer.close()
    assert _files(tmp_path / "run") == [writer.path]
    events = _read_file(writer.path)
    assert [(e["step"], e["scalars"]) for e in events[1:]] == [(-1, [("a", 1.0)]), (4, [("a", 2.0)])]
    assert events[1]["wall_time"] == 5.0
    with EventFileWriter(tmp_path / "run") as second:
        pass
    assert len(_files(tmp_path / "run")) == 2 and second._file is None


# -- the callback -----------------------------------------------------------------------------------------
def _fit(callback, model, epochs_logs, batches=0, batch_logs=None, initial_epoch=0):
    """Drives `callback` through CallbackList as fit does, with scripted epoch and batch logs."""
    callbacks = CallbackList([callback], model=model, verbose=0, epochs=initial_epoch + len(epochs_logs),
                             steps=batches or None)
    callbacks.on_train_begin()
    for epoch, logs in enumerate(epochs_logs, start=initial_epoch):
        callbacks.on_epoch_begin(epoch)
        for batch in range(batches):
            callbacks.on_train_batch_begin(batch)
            callbacks.on_train_batch_end(batch, batch_logs(epoch, batch))
        callbacks.on_epoch_end(epoch, dict(logs))
    callbacks.on_train_end()


EPOCHS = [{"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 0.125},
          {"loss": 0.3, "accuracy": 0.5, "val_loss": 0.6, "val_accuracy": 0.375}]


def test_epoch_scalars_in_train_and_validation_runs(tmp_path, fake_model):
    _fit(TensorBoard(tmp_path / "logs"), fake_model, EPOCHS)
    assert sorted(os.listdir(tmp_path / "logs")) == ["train", "validation"]
    assert len(_files(tmp_path / "logs" / "train")) == len(_files(tmp_path / "logs" / "validation")) == 1
    train, val = _scalars(tmp_path / "logs" / "train"), _scalars(tmp_path / "logs" / "validation")
    assert train == {"epoch_loss": _f32([(0, 0.5), (1, 0.3)]), "epoch_accuracy": _f32([(0, 0.25), (1, 0.5)]),
                     "epoch_learning_rate": _f32([(0, 0.1), (1, 0.1)])}
    assert val == {"epoch_loss": _f32([(0, 0.75), (1, 0.6)]), "epoch_accuracy": _f32([(0, 0.125), (1, 0.375)])}


def test_wall_time_and_logs_untouched(tmp_path, fake_model, clock):
    clock.now = 1700000000.5
    callback = TensorBoard(tmp_path)
    callback.set_model(fake_model)
    logs = {"loss": 1.0}
    callback.on_epoch_end(3, logs)
    assert logs == {"loss": 1.0}  # the learning rate is logged, not added to the dict other callbacks see
    [path] = _files(tmp_path / "train")
    assert os.path.basename(path).startswith("events.out.tfevents.1700000000.")
    events = _read_file(path)  # readable while training goes on: flushed at each epoch
    assert [e["wall_time"] for e in events] == [1700000000.5] * 3
    assert [(e["step"], e["scalars"]) for e in events[1:]] == [(3, [("epoch_loss", 1.0)]),
                                                               (3, [("epoch_learning_rate", np.float32(0.1))])]
    assert not os.path.exists(tmp_path / "validation")


def test_learning_rate_follows_the_optimizer(tmp_path, fake_model):
    class Lowering(kerasj.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.model.optimizer.learning_rate = 0.1 / 2 ** epoch

    callbacks = CallbackList([Lowering(), TensorBoard(tmp_path)], model=fake_model)
    callbacks.on_train_begin()
    for epoch in range(3):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    callbacks.on_train_end()
    assert _scalars(tmp_path / "train")["epoch_learning_rate"] == _f32([(0, 0.1), (1, 0.05), (2, 0.025)])
    del fake_model.optimizer
    _fit(TensorBoard(tmp_path / "no_optimizer"), fake_model, [{"loss": 1.0}])
    assert list(_scalars(tmp_path / "no_optimizer" / "train")) == ["epoch_loss"]


def _batch_logs(epoch, batch):
    return {"loss": 10.0 * epoch + batch, "accuracy": jnp.float32(batch / 4)}


@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6]), (1, [1, 2, 3, 4, 5, 6]),
                                                (2, [2, 4, 6]), (4, [4])])
def test_batch_scalars_every_update_freq_batches(update_freq, steps, tmp_path, fake_model):
    _fit(TensorBoard(tmp_path, update_freq=update_freq), fake_model, EPOCHS, batches=3, batch_logs=_batch_logs)
    train = _scalars(tmp_path / "train")
    # the batch count runs on across epochs: batch b of epoch e is step 3 * e + b + 1
    expected = [(step, _batch_logs((step - 1) // 3, (step - 1) % 3)) for step in steps]
    assert train["batch_loss"] == _f32([(step, logs["loss"]) for step, logs in expected])
    assert train["batch_accuracy"] == _f32([(step, logs["accuracy"]) for step, logs in expected])
    # epoch values are written even when update_freq does not divide the batch count
    assert train["epoch_loss"] == _f32([(0, 0.5), (1, 0.3)])
    assert set(_scalars(tmp_path / "validation")) == {"epoch_loss", "epoch_accuracy"}


def test_epoch_update_freq_writes_no_batch_scalars_and_allows_chunked_steps(tmp_path, fake_model):
    callback = TensorBoard(tmp_path)
    _fit(callback, fake_model, EPOCHS, batches=3, batch_logs=_batch_logs)
    assert not any(tag.startswith("batch_") for tag in _scalars(tmp_path / "train"))
    assert not CallbackList([callback]).needs_batch_hooks()
    assert CallbackList([TensorBoard(tmp_path, update_freq=5)]).needs_batch_hooks()


def test_each_fit_restarts_the_batch_count_in_new_files(tmp_path, fake_model):
    callback = TensorBoard(tmp_path, update_freq="batch")
    _fit(callback, fake_model, EPOCHS[:1], batches=2, batch_logs=_batch_logs)
    _fit(callback, fake_model, EPOCHS[1:], batches=2, batch_logs=_batch_logs, initial_epoch=1)
    assert len(_files(tmp_path / "train")) == 2
    train = _scalars(tmp_path / "train")
    assert [step for step, _ in train["batch_loss"]] == [1, 2, 1, 2]
    assert train["epoch_loss"] == _f32([(0, 0.5), (1, 0.3)])


def test_steps_per_second(tmp_path, fake_model, clock):
    callback = TensorBoard(tmp_path / "epoch", write_steps_per_second=True)
    callback.set_model(fake_model)
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    clock.now += 2.0
    callback.on_train_batch_end(3)  # a compiled chunk of 4 steps reports its last index
    callback.on_epoch_end(0, {"loss": 1.0})
    assert _scalars(tmp_path / "epoch" / "train")["epoch_steps_per_second"] == [(0, 2.0)]

    callback = TensorBoard(tmp_path / "batch", write_steps_per_second=True, update_freq="batch")
    callback.set_model(fake_model)
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    for batch, seconds in enumerate([0.25, 0.5]):
        callback.on_train_batch_begin(batch)
        clock.now += seconds
        callback.on_train_batch_end(batch, {"loss": 1.0})
    clock.now += 0.25
    callback.on_epoch_end(0, {"loss": 1.0})
    train = _scalars(tmp_path / "batch" / "train")
    assert train["batch_steps_per_second"] == [(1, 4.0), (2, 2.0)]
    assert train["epoch_steps_per_second"] == [(0, 2.0)]


def test_evaluation_scalars_at_optimizer_iterations(tmp_path, fake_model):
    fake_model.optimizer.iterations = np.int64(12)
    callback = TensorBoard(tmp_path)
    callbacks = CallbackList([callback], model=fake_model)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_test_begin()
    callbacks.on_test_end({"loss": 0.5, "accuracy": 0.75})
    callbacks.on_epoch_end(0, {"loss": 1.0, "val_loss": 0.5, "val_accuracy": 0.75})
    callbacks.on_train_end()
    fake_model.optimizer.iterations = jnp.asarray(20)
    callbacks = CallbackList([callback], model=fake_model)  # a standalone evaluate
    callbacks.on_test_begin()
    callbacks.on_test_end({"loss": 0.25})
    assert callback._writers["validation"]._file is None  # nothing left open after evaluate
    assert len(_files(tmp_path / "validation")) == 2
    val = _scalars(tmp_path / "validation")
    assert val["evaluation_loss_vs_iterations"] == [(12, 0.5), (20, 0.25)]
    assert val["evaluation_accuracy_vs_iterations"] == [(12, 0.75)]
    assert val["epoch_loss"] == [(0, 0.5)]
    assert "evaluation_loss_vs_iterations" not in _scalars(tmp_path / "train")


def test_only_real_scalars_are_written(tmp_path, fake_model):
    _fit(TensorBoard(tmp_path), fake_model, [{"loss": jnp.float32(0.5), "count": np.int64(3), "flag": True,
                                              "name": "abc", "per_class": np.array([0.5, 0.25]),
                                              "zero_d": jnp.array(2.0), "none": None, "z": 1 + 2j}])
    assert _scalars(tmp_path / "train") == {"epoch_loss": [(0, 0.5)], "epoch_count": [(0, 3.0)],
                                            "epoch_flag": [(0, 1.0)], "epoch_zero_d": [(0, 2.0)],
                                            "epoch_learning_rate": _f32([(0, 0.1)])}


def test_arguments(tmp_path):
    callback = TensorBoard()
    assert (callback.log_dir, callback.histogram_freq, callback.write_graph, callback.write_images,
            callback.write_steps_per_second, callback.update_freq, callback.profile_batch,
            callback.embeddings_freq, callback.embeddings_metadata) == (
        "logs", 0, True, False, False, "epoch", 0, 0, None)
    assert TensorBoard(tmp_path, update_freq="batch").update_freq == 1
    assert TensorBoard(tmp_path, update_freq=np.int32(5)).update_freq == 5
    for bad in ["step", "Epoch", 0, -1, 2.5, True, None]:
        with pytest.raises(ValueError, match=r'update_freq.*"batch", "epoch" or a positive integer'):
            TensorBoard(tmp_path, update_freq=bad)
    with pytest.raises(TypeError, match="log_dir"):
        TensorBoard(log_dir=None)


def test_unsupported_requests_warn_once_and_are_ignored(tmp_path, fake_model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TensorBoard(tmp_path, write_graph=True, embeddings_metadata={"embedding": "meta.tsv"})
    with pytest.warns(UserWarning) as record:
        callback = TensorBoard(tmp_path, histogram_freq=1, write_images=True, embeddings_freq=1)
    assert len(record) == 1
    message = str(record[0].message)
    for name in ("histogram_freq=1", "write_images=True", "embeddings_freq=1"):
        assert name in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fit(callback, fake_model, EPOCHS)
    assert set(_scalars(tmp_path / "train")) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"}


def test_files_read_by_tensorboard_event_accumulator(tmp_path, fake_model):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    stub = pytest.importorskip("tensorboard.compat.tensorflow_stub.pywrap_tensorflow")
    assert stub.masked_crc32c(b"123456789") == masked_crc32c(b"123456789")
    fake_model.optimizer.iterations = 6
    callbacks = CallbackList([TensorBoard(tmp_path, update_freq=2)], model=fake_model)
    callbacks.on_train_begin()
    for epoch, logs in enumerate(EPOCHS):
        callbacks.on_epoch_begin(epoch)
        for batch in range(3):
            callbacks.on_train_batch_end(batch, _batch_logs(epoch, batch))
        callbacks.on_test_begin()
        callbacks.on_test_end({"loss": logs["val_loss"]})
        callbacks.on_epoch_end(epoch, dict(logs))
    callbacks.on_train_end()
    for run in ("train", "validation"):
        [path] = _files(tmp_path / run)
        loaded = accumulator.EventAccumulator(path)
        loaded.Reload()
        ours = _scalars(tmp_path / run)
        assert sorted(loaded.Tags()["scalars"]) == sorted(ours)
        for tag, values in ours.items():
            assert [(e.step, e.value) for e in loaded.Scalars(tag)] == values
        assert loaded.file_version == 2.0


def test_fit_writes_what_history_records(tmp_path):
    x = np.linspace(-1, 1, 24, dtype="float32").reshape(12, 2)
    y = x.sum(axis=1, keepdims=True)
    model = kerasj.Sequential([kerasj.Input((2,)), kerasj.layers.Dense(1)])
    model.compile(optimizer=kerasj.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y), verbose=0,
                        callbacks=[TensorBoard(tmp_path, update_freq=2)])
    train, val = _scalars(tmp_path / "train"), _scalars(tmp_path / "validation")
    for name in ("loss", "mae"):
        assert train[f"epoch_{name}"] == _f32(enumerate(history.history[name]))
        assert val[f"epoch_{name}"] == _f32(enumerate(history.history[f"val_{name}"]))
        assert val[f"evaluation_{name}_vs_iterations"] == _f32(zip([3, 6], history.history[f"val_{name}"]))
        # 3 batches per epoch: every second one of the 6
        assert [step for step, _ in train[f"batch_{name}"]] == [2, 4, 6]
    assert train["batch_loss"][-1][1] == train["epoch_loss"][-1][1]
    assert train["epoch_learning_rate"] == _f32([(0, 0.05), (1, 0.05)])
