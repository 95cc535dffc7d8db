"""ModelCheckpoint: save the model (or its weights) during training, every epoch or every few batches."""
import os
import warnings

import numpy as np

from kerasj.callbacks.monitor_callback import MonitorCallback
from kerasj.saving.weights_io import WEIGHTS_SUFFIX


class BatchSaveSchedule:
    """Counts training batches across epochs and says when `save_freq` of them have passed since the last
    save (shared by ModelCheckpoint and BackupAndRestore).

    `fit` may report batch indices in jumps (one call per compiled chunk of steps); the count includes the
    skipped ones.

        >>> schedule = BatchSaveSchedule(save_freq=2)
        >>> [schedule.step(batch) for batch in (0, 1, 2, 3)]
        [False, True, False, True]
    """

    def __init__(self, save_freq):
        self.save_freq = save_freq
        self.reset()

    def reset(self):
        self._seen_since_save = 0
        self._last_batch = -1  # so a first chunked call at batch index k counts k + 1 batches, as Keras

    def step(self, batch):
        # A batch index at or below the last one seen starts a new epoch.
        self._seen_since_save += batch + 1 if batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        if self._seen_since_save >= self.save_freq:
            self._seen_since_save = 0
            return True
        return False


def is_save_freq(save_freq):
    """Whether `save_freq` is valid: "epoch" or an integer."""
    return save_freq == "epoch" or (isinstance(save_freq, (int, np.integer)) and not isinstance(save_freq, bool))


class ModelCheckpoint(MonitorCallback):
    """Saves the model or its weights at the end of every epoch, or every `save_freq` batches.

    `filepath` may hold `str.format` fields filled at save time: `{epoch}` (counted from 1), `{batch}`
    (counted from 1, for batch-level saves) and any log key, e.g. `"ckpt/{epoch:02d}-{val_loss:.2f}.weights.h5"`.
    Missing directories are created.

    Args:
        filepath: where to save; must end in `.weights.h5` when `save_weights_only=True`.
        monitor: the log entry compared when `save_best_only=True`.
        verbose: 1 prints a line for every save (and every non-improvement with `save_best_only`).
        save_best_only: save only when `monitor` beats the best value seen so far (by this callback). If the
            monitored value is missing from the logs, or not a scalar, the callback warns and saves anyway.
        save_weights_only: save with `model.save_weights` instead of `model.save`.
        mode: "min", "max" or "auto" (inferred from `monitor`; see MonitorCallback).
        save_freq: "epoch", or an int: save after every that many training batches (counted across epochs).
        initial_value_threshold: the value the first checkpoint must beat with `save_best_only=True`.

    Example:

        >>> checkpoint = ModelCheckpoint("best.weights.h5", monitor="val_loss", save_best_only=True,
        ...                              save_weights_only=True)
        >>> model.fit(x, y, epochs=10, validation_split=0.2, callbacks=[checkpoint])
        >>> model.load_weights("best.weights.h5")  # the weights of the epoch with the lowest val_loss
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode)
        filepath = os.fspath(filepath)
        if save_weights_only and not filepath.endswith(WEIGHTS_SUFFIX):
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must "
                             f"end in `{WEIGHTS_SUFFIX}` (Keras weights format). Received: filepath={filepath}")
        if not is_save_freq(save_freq):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer "
                             "values")
        self.filepath = filepath
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = initial_value_threshold
        self._current_epoch = 0
        self._batch_schedule = None if save_freq == "epoch" else BatchSaveSchedule(save_freq)
        # With save_freq="epoch" the batch hook does nothing, so fit may keep running many steps per call.
        self._chunked_batch_hooks = save_freq == "epoch"

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._batch_schedule is not None and self._batch_schedule.step(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _get_file_path(self, epoch, batch, logs):
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in (logs or {}):
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}') from e

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_best_only and not self._is_new_best(epoch, filepath, logs.get(self.monitor)):
            return
        if not self.save_best_only and self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _is_new_best(self, epoch, filepath, current):
        """Whether to save under save_best_only: on improvement (recording the new best), or when the
        monitored value cannot be compared (with a warning)."""
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=4)
            return True
        if np.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                          "Falling back to `save_best_only=False`.", stacklevel=4)
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = float(current)
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                best = "None" if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, saving model "
                      f"to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
        return False
