"""TensorBoard: log training curves as TensorBoard event files (no TensorFlow needed)."""
import os
import time
import warnings

import numpy as np

from kerasj.callbacks.callback import Callback
from kerasj.utils.tb_writer import EventFileWriter


def _check_update_freq(update_freq):
    if update_freq == "batch":
        return 1
    if update_freq == "epoch":
        return update_freq
    if isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool) and update_freq > 0:
        return int(update_freq)
    raise ValueError('TensorBoard: `update_freq` must be "batch", "epoch" or a positive integer (a number of '
                     f"batches); received update_freq={update_freq!r}.")


def _scalar(value):
    """`value` as a Python float if it is a real number (Python, numpy or a 0-d array), else None."""
    if isinstance(value, (str, bytes)) or np.ndim(value) != 0:
        return None
    try:
        value = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if value.dtype.kind not in "biuf":
        return None
    return float(value)


class TensorBoard(Callback):
    """Writes the logged losses and metrics as TensorBoard scalars, for `tensorboard --logdir <log_dir>`.

    Files and tags are those of Keras: training values go to `log_dir/train`, validation values to
    `log_dir/validation` under the same tag (the `val_` prefix dropped, so both curves share a chart).
    At the end of each epoch, at step `epoch`: `epoch_<name>` for each logged value, plus
    `epoch_learning_rate` (the optimizer's current rate) and, with `write_steps_per_second`,
    `epoch_steps_per_second`. At the end of each evaluation (in `fit` or `evaluate`), in the validation
    directory: `evaluation_<name>_vs_iterations` at step `optimizer.iterations`. With a batch-level
    `update_freq`, every N-th training batch of the run also writes `batch_<name>` (and
    `batch_steps_per_second`) at the run's batch count (counted from 1 in each `fit`).

    The event files are written by kerasj itself: neither TensorFlow nor tensorboard need be installed.
    Only scalars are written. Histograms, weight images, embeddings and profiling are not supported: asking
    for them (`histogram_freq`, `write_images`, `embeddings_freq`, `profile_batch`) gives one warning and
    has no other effect; `write_graph` is accepted and ignored (there is no TensorFlow graph to show).
    Unlike Keras, epoch-level values are written whatever the number of batches per epoch (Keras skips them
    when an integer `update_freq` does not divide the run's batch count).

    Args:
        log_dir: directory of the run's logs.
        histogram_freq: accepted for compatibility; not supported.
        write_graph: accepted for compatibility; ignored.
        write_images: accepted for compatibility; not supported.
        write_steps_per_second: also log the training speed, in steps per second.
        update_freq: "epoch" (write once per epoch), "batch" (also write every batch) or an integer N (also
            write every N batches). Per-batch writes make `fit` run one step per compiled call.
        profile_batch: accepted for compatibility; not supported.
        embeddings_freq: accepted for compatibility; not supported.
        embeddings_metadata: accepted for compatibility; ignored.

    Example:

        >>> tensorboard = TensorBoard(log_dir="logs/run1")
        >>> model.fit(x, y, epochs=10, validation_split=0.2, callbacks=[tensorboard])
        >>> # then, in a shell: tensorboard --logdir logs
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"TensorBoard: `log_dir` must be a path (a str or os.PathLike); received "
                            f"log_dir={log_dir!r} of type {type(log_dir).__name__}.")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = _check_update_freq(update_freq)
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        # Once per epoch, the hooks only need the last batch index, which fit also gives per compiled chunk.
        self._chunked_batch_hooks = self.update_freq == "epoch"
        unsupported = [f"{name}={value!r}" for name, value in (
            ("histogram_freq", histogram_freq), ("write_images", write_images),
            ("embeddings_freq", embeddings_freq), ("profile_batch", profile_batch)) if value]
        if unsupported:
            warnings.warn(f"TensorBoard: kerasj writes scalar summaries only; ignoring {', '.join(unsupported)}.",
                          stacklevel=2)
        self._writers = {}
        self._training = False
        self._global_train_batch = 0
        self._epoch_steps = 0
        self._epoch_start = None
        self._batch_start = None

    # -- writing ---------------------------------------------------------------------------------------
    def _write(self, run, scalars, step):
        """Appends each real-valued entry of `scalars` to the event file of `run` ("train" or "validation")."""
        scalars = [(tag, _scalar(value)) for tag, value in scalars]
        scalars = [(tag, value) for tag, value in scalars if value is not None]
        if not scalars:
            return
        writer = self._writers.get(run)
        if writer is None:
            writer = self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run))
        for tag, value in scalars:
            writer.add_scalar(tag, value, step)
        # Visible to a running TensorBoard (and safe if the process dies) as soon as it is logged.
        writer.flush()

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()

    def _optimizer_value(self, name):
        value = getattr(getattr(self.model, "optimizer", None), name, None)
        return None if value is None else _scalar(value)

    # -- hooks -----------------------------------------------------------------------------------------
    def set_model(self, model):
        super().set_model(model)
        # A new model (fit sets it at each call) starts new event files, as Keras does.
        self._close_writers()
        self._writers = {}

    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        if self.write_steps_per_second and self.update_freq != "epoch":
            self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the last batch index of the call: right both per step and per compiled chunk.
        self._epoch_steps = batch + 1
        if self.update_freq == "epoch":
            return
        self._global_train_batch += 1
        if self._global_train_batch % self.update_freq:
            return
        scalars = []
        if self.write_steps_per_second and self._batch_start is not None:
            elapsed = time.time() - self._batch_start
            if elapsed > 0:
                scalars.append(("batch_steps_per_second", 1.0 / elapsed))
        scalars += [(f"batch_{name}", value) for name, value in (logs or {}).items()]
        self._write("train", scalars, self._global_train_batch)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {name: value for name, value in logs.items() if not name.startswith("val_")}
        learning_rate = self._optimizer_value("learning_rate")
        if learning_rate is not None:
            train["learning_rate"] = learning_rate
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = time.time() - self._epoch_start
            if elapsed > 0:
                train["steps_per_second"] = self._epoch_steps / elapsed
        self._write("train", [(f"epoch_{name}", value) for name, value in train.items()], epoch)
        self._write("validation", [(f"epoch_{name[4:]}", value) for name, value in logs.items()
                                   if name.startswith("val_")], epoch)

    def on_test_end(self, logs=None):
        iterations = self._optimizer_value("iterations")
        if iterations is not None:
            self._write("validation", [(f"evaluation_{name}_vs_iterations", value)
                                       for name, value in (logs or {}).items()], int(iterations))
        if not self._training:
            # A standalone evaluate: nothing more will come until the next call.
            self._close_writers()
