"""OrbaxCheckpoint: save the training state with orbax-checkpoint during `fit` (asynchronously, keeping the newest
few), and resume from the newest checkpoint when a restarted `fit` finds one."""
import json
import os
import warnings

import jax

from kerasj.callbacks.model_checkpoint import is_save_freq
from kerasj.callbacks.monitor_callback import MonitorCallback
from kerasj.saving.orbax_io import PROGRESS_KEY, nest, orbax_v1, restore_state, state_collections
from kerasj.saving.serialization_lib import serialize_keras_object

class OrbaxCheckpoint(MonitorCallback):
    """Saves the model's state with orbax-checkpoint, like ModelCheckpoint, and resumes an interrupted `fit`.

    Each checkpoint is an orbax step directory `directory/<step>`: `step` is the epoch index (counted from 0)
    for `save_freq="epoch"`, else the number of training batches run so far. It holds, as Keras 3 writes it,
    a `pytree` with the model's `trainable_variables` and `non_trainable_variables` and, unless
    `save_weights_only`, the `optimizer_variables` and `metrics_variables` (each a dict nested by variable
    path) plus a `model_config` (the model's config as JSON). Arrays are saved with their shardings, so a
    model distributed with `kerasj.distribution` is written shard by shard.

    Resuming (an addition to Keras, whose callback only saves): when `fit` starts and the newest checkpoint in
    `directory` is ahead of the model (it was taken after more optimizer steps than the model has run, as
    when a killed training script is started again on a fresh model), the callback loads it, onto the
    current shardings of the model's variables, and `fit` continues with the epoch after it, as with
    BackupAndRestore. A checkpoint taken within an epoch resumes at the start of that epoch. A model that is
    already as far as the checkpoint (a second `fit` in the same process) is left alone, as in Keras. Keras
    itself would stop with orbax's "step already exists" error in the restarted case.

    Args:
        directory: the directory of the checkpoints (created if missing).
        monitor: the log entry compared when `save_best_only=True`.
        verbose: 1 prints a line for every save and every restore.
        save_best_only: save only when `monitor` beats the best value seen so far; when the value is not
            in the logs, warn and skip that save (as Keras's OrbaxCheckpoint does).
        mode: "min", "max" or "auto" (inferred from `monitor`).
        save_freq: "epoch", or an int: save after every that many training batches (counted across epochs).
        initial_value_threshold: the value the first checkpoint must beat with `save_best_only=True`.
        max_to_keep: how many of the newest checkpoints to keep (None keeps all).
        save_on_background: write checkpoints in a background thread while training continues (the arrays
            are copied first, so later steps do not change them); `on_train_end` waits for them.
        save_weights_only: save only the model's variables (no optimizer or metric state, no config); a run
            resumed from such a checkpoint starts the optimizer afresh.

    Example:

        >>> checkpoint = OrbaxCheckpoint("/tmp/ckpt", max_to_keep=3)
        >>> model.fit(x, y, epochs=10, callbacks=[checkpoint])   # killed during epoch 6
        >>> # the script started again, with a fresh model: restores epoch 5's state, runs epochs 6 to 10
        >>> model.fit(x, y, epochs=10, callbacks=[OrbaxCheckpoint("/tmp/ckpt", max_to_keep=3)])
    """

    def __init__(self, directory, monitor="val_loss", verbose=0, save_best_only=False, mode="auto",
                 save_freq="epoch", initial_value_threshold=None, max_to_keep=1, save_on_background=True,
                 save_weights_only=False):
        super().__init__(monitor, mode)
        if not isinstance(directory, (str, os.PathLike)) or not os.fspath(directory):
            raise ValueError(f"OrbaxCheckpoint: `directory` must be a non-empty path; received directory={directory!r}")
        if not is_save_freq(save_freq):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer "
                             "values")
        if max_to_keep is not None and (isinstance(max_to_keep, bool) or not isinstance(max_to_keep, int)
                                        or max_to_keep < 1):
            raise ValueError("OrbaxCheckpoint: `max_to_keep` must be a positive int or None; received "
                             f"max_to_keep={max_to_keep!r}")
        ocp = orbax_v1()
        self.directory = directory
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = initial_value_threshold
        self.max_to_keep = max_to_keep
        self.save_on_background = save_on_background
        self.save_weights_only = save_weights_only
        self._current_epoch = 0
        self._total_batches_seen = 0
        self._last_batch, self._since_save = -1, 0
        # With save_freq="epoch" the batch hook does nothing, so fit may keep running many steps per call.
        self._chunked_batch_hooks = save_freq == "epoch"
        policies = ocp.training
        self._path = os.path.abspath(os.fspath(directory))
        self.checkpointer = policies.Checkpointer(
            self._path,
            # Every save the callback asks for is taken (the callback decides when), the newest N kept.
            save_decision_policy=policies.save_decision_policies.FixedIntervalPolicy(1),
            preservation_policy=None if max_to_keep is None else policies.preservation_policies.LatestN(max_to_keep))

    # -- saving -------------------------------------------------------------------------------------
    def set_model(self, model):
        super().set_model(model)
        optimizer = getattr(model, "optimizer", None)
        # Batch-numbered steps continue from the model's step count (a model trained before, or restored).
        self._total_batches_seen = int(optimizer.iterations) if optimizer is not None else 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        # An index at or below the last one starts a new epoch; a jump (one call per compiled chunk of steps)
        # counts every step in it. (Not BatchSaveSchedule: the step names need the running total as well.)
        added = batch + 1 if batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        self._total_batches_seen += added
        self._since_save += added
        if self._since_save < self.save_freq:
            return
        self._since_save = 0
        if self._passes_best_only(logs, f"batch {batch}"):
            steps = (self.params or {}).get("steps")
            finished_epoch = steps is not None and batch + 1 >= steps
            self._save(self._total_batches_seen, self._current_epoch + finished_epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and self._passes_best_only(logs, f"epoch {epoch}"):
            self._save(epoch, epoch + 1, logs)

    def _passes_best_only(self, logs, where):
        """Whether a due save is taken: always without save_best_only, else only on improvement (recorded)."""
        if not self.save_best_only:
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping save at {where}.",
                          stacklevel=3)
            return False
        if self.monitor_op is None:
            self._set_monitor_op()
        current = float(current)
        if not self._is_improvement(current, self.best):
            return False
        self.best = current
        return True

    def _save(self, step, resume_epoch, logs):
        collections = state_collections(self.model, self.save_weights_only)
        pytree = {name: nest((v.path, v.value) for v in variables) for name, variables in collections.items()}
        payload = {"pytree": pytree}
        if not self.save_weights_only:
            payload["model_config"] = {"config": json.dumps(serialize_keras_object(self.model))}
        optimizer = getattr(self.model, "optimizer", None)
        progress = {"epoch": int(resume_epoch), "iterations": int(optimizer.iterations) if optimizer else 0,
                    "best": None if self.best is None else float(self.best),
                    "paths": {name: [v.path for v in variables] for name, variables in collections.items()}}
        if self.verbose > 0:
            print(f"\nEpoch {self._current_epoch + 1}: saving checkpoint to {os.path.join(self._path, str(step))}")
        save = self.checkpointer.save_checkpointables_async if self.save_on_background else \
            self.checkpointer.save_checkpointables
        save(step, payload, custom_metadata={PROGRESS_KEY: progress})

    # -- restoring ----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._last_batch, self._since_save = -1, 0
        latest = self.checkpointer.latest
        if latest is None:
            return
        metadata = self.checkpointer.checkpointables_metadata(latest.step)
        progress = (metadata.custom_metadata or {}).get(PROGRESS_KEY)
        optimizer = getattr(self.model, "optimizer", None)
        if not progress or optimizer is None or int(optimizer.iterations) >= progress["iterations"]:
            return
        restore_state(self.model, self.checkpointer, latest.step, "OrbaxCheckpoint")
        self._current_epoch = progress["epoch"]
        # The run's step count (the optimizer's own stays 0 when only the weights were saved).
        self._total_batches_seen = progress["iterations"]
        if self.save_best_only and progress.get("best") is not None:
            self.best = progress["best"]  # a resumed run saves only what beats the run's best so far
        self.model._initial_epoch_override = progress["epoch"]
        if self.verbose > 0:
            print(f"OrbaxCheckpoint: restored step {latest.step} from {self._path}; resuming at epoch "
                  f"{progress['epoch'] + 1}")

    # -- finishing ----------------------------------------------------------------------------------
    def is_multihost_enabled(self):
        """Whether training runs in several processes (`kerasj.distribution.initialize`); orbax then writes
        each process's shards and coordinates the processes at every save."""
        return jax.process_count() > 1

    def is_primary_host(self):
        """Whether this is process 0 (always True in a single process)."""
        return jax.process_index() == 0

    def wait_until_finished(self):
        """Block until every checkpoint being written in the background is complete."""
        self.checkpointer.wait()

    def on_train_end(self, logs=None):
        # Waits for the background saves; the checkpointer stays open for a later fit with this callback.
        self.checkpointer.wait()
