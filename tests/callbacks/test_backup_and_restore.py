"""BackupAndRestore: an interrupted fit (exception or killed process) resumes and ends exactly where an
uninterrupted fit ends."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from kerasj.callbacks import BackupAndRestore, Callback, CallbackList

# Model and data shared by this process and the subprocess of the kill test.
_COMMON = '''
import numpy as np
import kerasj


def make_data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(12, 3)).astype("float32"), rng.normal(size=(12, 2)).astype("float32")


def make_model():
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(4, activation="tanh"),
                               kerasj.layers.Dense(2)])
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()])
    model.compile(kerasj.optimizers.Adam(0.05), "mse")  # Adam: restoring needs its moments and step count
    return model


def fit(model, epochs, callbacks):
    x, y = make_data()
    return model.fit(x, y, epochs=epochs, batch_size=4, shuffle=False, verbose=0, callbacks=callbacks)
'''
_ns = {}
exec(_COMMON, _ns)
make_model, fit = _ns["make_model"], _ns["fit"]


class FailAt(Callback):
    """Raises in the middle of epoch `epoch` (after some of its batches changed the weights)."""

    def __init__(self, epoch, batch=1):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise RuntimeError(f"interrupted in epoch {self.epoch}")


def _assert_same_state(model, reference):
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(model.optimizer.iterations) == int(reference.optimizer.iterations)


@pytest.fixture(scope="module")
def uninterrupted():
    model = make_model()
    fit(model, 5, [])
    return model


def test_resumes_after_an_exception_with_the_same_result(tmp_path, uninterrupted):
    backup_dir = str(tmp_path / "backup")
    backup = BackupAndRestore(backup_dir)
    model = make_model()
    with pytest.raises(RuntimeError, match="interrupted in epoch 2"):
        fit(model, 5, [backup, FailAt(epoch=2)])
    with open(os.path.join(backup_dir, "training_metadata.json")) as f:
        assert json.load(f) == {"epoch": 2, "batch": 0}  # epochs 0 and 1 are done
    # The same model object: the half-done epoch 2 changed its weights, and the backup must undo that.
    history = fit(model, 5, [backup])
    assert history.epoch == [2, 3, 4]
    _assert_same_state(model, uninterrupted)
    assert not os.path.exists(backup_dir)  # deleted once training completed


def test_resumes_in_a_fresh_model_with_a_new_callback(tmp_path, uninterrupted):
    backup_dir = str(tmp_path / "backup")
    with pytest.raises(RuntimeError):
        fit(make_model(), 5, [BackupAndRestore(backup_dir), FailAt(epoch=3, batch=0)])
    model = make_model()
    assert fit(model, 5, [BackupAndRestore(backup_dir)]).epoch == [3, 4]
    _assert_same_state(model, uninterrupted)


def test_kept_backup_resumes_only_the_fit_it_is_given_to(tmp_path):
    backup_dir = str(tmp_path / "backup")
    first = make_model()
    fit(first, 2, [BackupAndRestore(backup_dir, delete_checkpoint=False)])
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.h5", "training_metadata.json"]
    model = make_model()
    assert fit(model, 2, [BackupAndRestore(backup_dir, delete_checkpoint=False)]).epoch == []
    _assert_same_state(model, first)  # restored, nothing more trained
    assert fit(model, 3, [BackupAndRestore(backup_dir)]).epoch == [2]  # a longer run continues
    assert fit(model, 1, []).epoch == [0]  # a later fit without the callback starts at 0 again


def test_batch_frequency_records_epoch_and_batch_as_keras(tmp_path):
    backup_dir = str(tmp_path / "backup")
    seen = []

    class Spy(Callback):
        def on_train_batch_end(self, batch, logs=None):
            path = os.path.join(backup_dir, "training_metadata.json")
            if os.path.exists(path):
                with open(path) as f:
                    seen.append(json.load(f))

    model = make_model()
    with pytest.raises(RuntimeError):
        fit(model, 3, [BackupAndRestore(backup_dir, save_freq=4), Spy(), FailAt(epoch=1, batch=2)])
    # 3 batches per epoch; backups after the 4th batch (epoch 1, batch 0) only. Keras 3 writes the same.
    assert seen[-1] == {"epoch": 1, "batch": 0}
    resumed = make_model()
    history = fit(resumed, 3, [BackupAndRestore(backup_dir, save_freq=4)])
    assert history.epoch == [1, 2]  # the epoch of the backup is run again, from the backed-up state
    assert int(resumed.optimizer.iterations) == 4 + 6


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path, uninterrupted):
    backup_dir = str(tmp_path / "backup")
    with pytest.raises(RuntimeError):
        fit(make_model(), 5, [BackupAndRestore(backup_dir, double_checkpoint=True), FailAt(epoch=3)])
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.h5", "latest.weights.h5.bkp",
                                              "training_metadata.json", "training_metadata.json.bkp"]
    with open(os.path.join(backup_dir, "training_metadata.json.bkp")) as f:
        assert json.load(f) == {"epoch": 2, "batch": 0}
    with open(os.path.join(backup_dir, "latest.weights.h5"), "wb") as f:
        f.write(b"not an h5 file")
    model = make_model()
    assert fit(model, 5, [BackupAndRestore(backup_dir, double_checkpoint=True)]).epoch == [2, 3, 4]
    _assert_same_state(model, uninterrupted)
    assert not os.path.exists(backup_dir)


def test_unreadable_backup_is_an_error_not_a_silent_restart(tmp_path):
    backup_dir = str(tmp_path / "backup")
    with pytest.raises(RuntimeError):
        fit(make_model(), 3, [BackupAndRestore(backup_dir), FailAt(epoch=1)])
    with open(os.path.join(backup_dir, "latest.weights.h5"), "wb") as f:
        f.write(b"garbage")
    with pytest.raises(ValueError, match="BackupAndRestore: cannot restore the backup"):
        fit(make_model(), 3, [BackupAndRestore(backup_dir)])


def test_deleting_leaves_other_files_alone(tmp_path):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    (backup_dir / "notes.txt").write_text("mine")
    fit(make_model(), 1, [BackupAndRestore(str(backup_dir))])
    assert os.listdir(backup_dir) == ["notes.txt"]


def test_argument_errors_and_batch_hooks():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq=batch"):
        BackupAndRestore("d", save_freq="batch")
    assert not CallbackList([BackupAndRestore("d")]).needs_batch_hooks()
    assert CallbackList([BackupAndRestore("d", save_freq=2)]).needs_batch_hooks()


_SCRIPT = '''
import sys
import time
sys.path.insert(0, sys.argv[2])
import kerasj
from resume_common import make_model, fit


class SlowEpochs(kerasj.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        time.sleep(0.3)


fit(make_model(), int(sys.argv[3]), [kerasj.callbacks.BackupAndRestore(sys.argv[1]), SlowEpochs()])
'''


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_resumes_after_the_process_is_killed(tmp_path):
    epochs = 12
    backup_dir = tmp_path / "backup"
    (tmp_path / "resume_common.py").write_text(_COMMON)
    (tmp_path / "train.py").write_text(_SCRIPT)
    process = subprocess.Popen([sys.executable, str(tmp_path / "train.py"), str(backup_dir), str(tmp_path),
                                str(epochs)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not (backup_dir / "training_metadata.json").exists():
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "no backup appeared"
            time.sleep(0.01)
        assert process.poll() is None  # still training: the kill interrupts the fit
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    with open(backup_dir / "training_metadata.json") as f:
        done = json.load(f)["epoch"]
    assert 1 <= done < epochs
    model = make_model()
    history = fit(model, epochs, [BackupAndRestore(str(backup_dir))])
    assert history.epoch[0] >= done and history.epoch[-1] == epochs - 1
    reference = make_model()
    fit(reference, epochs, [])
    _assert_same_state(model, reference)
    assert not backup_dir.exists()
