"""TensorBoard: log training curves as TensorBoard event files (no TensorFlow needed)."""
import os
import time
import warnings

import jax
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


def _check_profile_batch(profile_batch):
    """(first, last) batch of the run to profile, counted from 1; (0, 0) turns profiling off."""
    message = ("TensorBoard: `profile_batch` must be a non-negative integer (the one batch to profile, 0 for "
               "none) or a pair of positive integers (start, stop): the range of batches to profile, counted from "
               f"1 in each fit. Received: profile_batch={profile_batch!r}")
    value = profile_batch
    if isinstance(value, str):  # Keras also accepts "start,stop"
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
    if isinstance(value, (list, tuple)) and len(value) == 2:
        start, stop = value
    else:
        start = stop = value
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, stop)):
        raise ValueError(message)
    # Batches are counted from 1: a range starting at 0 would never start.
    if start < 0 or stop < start or (start == 0 and stop != 0):
        raise ValueError(message)
    return int(start), int(stop)


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

    With `profile_batch`, the JAX profiler (`jax.profiler.start_trace` / `stop_trace`) records those training
    batches, as Keras does on JAX: the trace goes to `log_dir/train/plugins/profile/<timestamp>/`
    (`<host>.xplane.pb` and `<host>.trace.json.gz`), the layout TensorBoard's profile plugin reads (install
    `tensorboard-plugin-profile` or `xprof` to view it), and each profiled batch is marked by a
    `Profiled batch <index>` annotation. While profiling is asked for, `fit` runs one step per compiled call,
    so that only the requested batches are in the trace.

    The event files are written by kerasj itself: neither TensorFlow nor tensorboard need be installed.
    Only scalars (and profiler traces) are written. Histograms, weight images and embeddings are not
    supported: asking for them (`histogram_freq`, `write_images`, `embeddings_freq`) gives one warning and
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
        profile_batch: the training batches to profile, counted from 1 in each `fit`: an int N (batch N only;
            0, the default, profiles nothing), or a pair `(start, stop)` (batches start to stop, inclusive),
            also as the string "start,stop".
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
        self._profile_start, self._profile_stop = _check_profile_batch(profile_batch)
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        # Once per epoch, the hooks only need the last batch index, which fit also gives per compiled chunk.
        # Profiling needs every batch: a chunk of steps would put unrequested batches in the trace.
        self._chunked_batch_hooks = self.update_freq == "epoch" and not self._profile_stop
        unsupported = [f"{name}={value!r}" for name, value in (
            ("histogram_freq", histogram_freq), ("write_images", write_images),
            ("embeddings_freq", embeddings_freq)) if value]
        if unsupported:
            warnings.warn("TensorBoard: kerasj writes scalars and profiler traces only; ignoring "
                          f"{', '.join(unsupported)}.", stacklevel=2)
        self._writers = {}
        self._training = False
        self._global_train_batch = 0
        self._epoch_steps = 0
        self._epoch_start = None
        self._batch_start = None
        self._tracing = False
        self._batch_annotation = None

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
        if self._tracing:  # fit ended (or stopped early) inside the profiled range
            self._stop_trace()
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        # The run's batch count (from 1), as Keras keeps it; exact whenever fit calls the hooks per step, which
        # it does whenever the count is used (batch-level writes, profiling).
        self._global_train_batch += 1
        if self.write_steps_per_second and self.update_freq != "epoch":
            self._batch_start = time.time()
        if self._global_train_batch == self._profile_start and self._profile_start:
            self._start_trace()
        if self._tracing:
            self._batch_annotation = jax.profiler.TraceAnnotation(f"Profiled batch {batch}")
            self._batch_annotation.__enter__()

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the last batch index of the call: right both per step and per compiled chunk.
        self._epoch_steps = batch + 1
        if self._tracing:
            # The batch's logs were fetched from the device before this hook: its computation is in the trace.
            self._end_batch_annotation()
            if self._global_train_batch >= self._profile_stop:
                self._stop_trace()
        if self.update_freq == "epoch":
            return
        if self._global_train_batch % self.update_freq:
            return
        scalars = []
        if self.write_steps_per_second and self._batch_start is not None:
            elapsed = time.time() - self._batch_start
            if elapsed > 0:
                scalars.append(("batch_steps_per_second", 1.0 / elapsed))
        scalars += [(f"batch_{name}", value) for name, value in (logs or {}).items()]
        self._write("train", scalars, self._global_train_batch)

    # -- profiling -------------------------------------------------------------------------------------
    def _start_trace(self):
        # As in Keras, a profiler that cannot start (one is already running) is reported, not fatal.
        try:
            jax.profiler.start_trace(os.path.join(self.log_dir, "train"))
        except RuntimeError as e:
            warnings.warn(f"TensorBoard: could not start the profiler for profile_batch={self.profile_batch!r}: "
                          f"{e}", stacklevel=3)
            return
        self._tracing = True

    def _end_batch_annotation(self):
        if self._batch_annotation is not None:
            self._batch_annotation.__exit__(None, None, None)
            self._batch_annotation = None

    def _stop_trace(self):
        self._end_batch_annotation()
        self._tracing = False
        try:
            jax.profiler.stop_trace()
        except RuntimeError as e:
            warnings.warn(f"TensorBoard: could not save the profile: {e}", stacklevel=3)

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
