"""BackupAndRestore: resume a `fit` that was interrupted (an exception, a killed process) where it stopped."""
import contextlib
import glob
import json
import os

from kerasj.callbacks.callback import Callback
from kerasj.callbacks.model_checkpoint import BatchSaveSchedule, is_save_freq
from kerasj.utils.file_io import temporary_prefix, write_text_atomic

_WEIGHTS_FILE = "latest.weights.h5"
_METADATA_FILE = "training_metadata.json"
_PREVIOUS = ".bkp"  # suffix of the previous backup kept with double_checkpoint=True


class BackupAndRestore(Callback):
    """Backs up the training state to `backup_dir`, and restores it when `fit` starts again after an
    interruption.

    Each backup writes `latest.weights.h5` (the model's weights and the optimizer's state, in Keras 3's
    weights format) and `training_metadata.json` (`{"epoch": ..., "batch": ...}`), both atomically. When
    `fit` starts with a backup present, the callback loads it in `on_train_begin` and `fit` skips the epochs
    already done, so the rerun continues with the same weights and optimizer state (step counter and
    moments included). A backup taken within an epoch (integer `save_freq`) resumes at the start of that
    epoch, from the backed-up state. When `fit` completes, the backup is deleted (unless
    `delete_checkpoint=False`), so the next `fit` starts afresh.

    Args:
        backup_dir: directory for the backup files; use a different one for each training run.
        save_freq: "epoch" (back up at the end of every epoch) or an int: back up every that many batches.
        double_checkpoint: keep the previous backup as `*.bkp` files, used if the latest one cannot be read.
        delete_checkpoint: delete the backup when training finishes.

    Example:

        >>> backup = BackupAndRestore(backup_dir="/tmp/backup")
        >>> try:
        ...     model.fit(x, y, epochs=10, callbacks=[backup])   # interrupted during epoch 4
        ... except KeyboardInterrupt:
        ...     pass
        >>> model.fit(x, y, epochs=10, callbacks=[backup])       # restores, then runs epochs 4 to 10
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if not is_save_freq(save_freq):
            raise ValueError("Invalid value for argument `save_freq`. Received: save_freq="
                             f"{save_freq}. Expected either 'epoch' or an integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, _WEIGHTS_FILE)
        self._training_metadata_path = os.path.join(self.backup_dir, _METADATA_FILE)
        self._current_epoch = 0
        self._batch_schedule = None if save_freq == "epoch" else BatchSaveSchedule(save_freq)
        # With save_freq="epoch" the batch hook does nothing, so fit may keep running many steps per call.
        self._chunked_batch_hooks = save_freq == "epoch"

    # -- restoring ----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        """Load the latest backup, if any, and tell `fit` which epoch to continue from."""
        if self._batch_schedule is not None:
            self._batch_schedule.reset()
        errors = []
        restored = self._restore("latest", errors)
        if restored is None and self.double_checkpoint and self._promote_previous_backup():
            restored = self._restore("previous", errors)
        if restored is None and errors:
            # A backup exists but cannot be used: fail rather than silently retrain from scratch.
            raise ValueError(f"BackupAndRestore: cannot restore the backup in {self.backup_dir!r}:\n" +
                             "\n".join(errors))
        self._current_epoch = restored or 0
        if restored is not None:
            self.model._initial_epoch_override = restored

    def _restore(self, label, errors):
        """Load the backup files; returns the epoch to resume from, or None if there is no complete backup
        or it cannot be read (then the reason is added to `errors`)."""
        if not (os.path.exists(self._weights_path) and os.path.exists(self._training_metadata_path)):
            return None
        try:
            with open(self._training_metadata_path, encoding="utf-8") as f:
                epoch = int(json.load(f)["epoch"])
            self.model.load_weights(self._weights_path)  # checks everything before assigning anything
        except Exception as e:
            errors.append(f"{label} backup: {type(e).__name__}: {e}")
            return None
        return epoch

    def _promote_previous_backup(self):
        """Make the previous backup (`.bkp` files of double_checkpoint) the latest one, replacing an unreadable
        or incomplete latest backup; False if there is no previous backup."""
        pairs = [(path + _PREVIOUS, path) for path in (self._weights_path, self._training_metadata_path)]
        if not all(os.path.exists(previous) for previous, _ in pairs):
            return False
        for previous, path in pairs:
            os.replace(previous, path)
        return True

    # -- backing up ---------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._batch_schedule is not None and self._batch_schedule.step(batch):
            self._save_backup(epoch=self._current_epoch, batch=batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_backup(epoch=epoch + 1, batch=0)

    def _save_backup(self, epoch, batch):
        """Write the weights, then the metadata naming the epoch to resume from. Each file is replaced
        atomically, and the weights go first: a crash in between leaves the older epoch number next to the
        newer weights, so at worst one epoch is repeated, never skipped."""
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._training_metadata_path):
                if os.path.exists(path):
                    os.replace(path, path + _PREVIOUS)
        self.model.save_weights(self._weights_path, overwrite=True)
        write_text_atomic(self._training_metadata_path, json.dumps({"epoch": epoch, "batch": batch}))

    # -- cleaning up --------------------------------------------------------------------------------
    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            self._delete_backup()

    def _delete_backup(self):
        """Remove the backup files (and leftovers of writes cut short), then the directory if it is empty.
        Other files in `backup_dir` are left alone."""
        names = [_WEIGHTS_FILE, _METADATA_FILE, _WEIGHTS_FILE + _PREVIOUS, _METADATA_FILE + _PREVIOUS]
        paths = [os.path.join(self.backup_dir, name) for name in names]
        for name in names:
            paths += glob.glob(os.path.join(glob.escape(self.backup_dir), glob.escape(temporary_prefix(name)) + "*"))
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(OSError):  # not empty (other files), or already gone
            os.rmdir(self.backup_dir)
