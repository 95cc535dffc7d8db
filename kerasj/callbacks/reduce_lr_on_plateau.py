"""ReduceLROnPlateau: lower the learning rate when a monitored value stops improving."""
import warnings

import numpy as np

from kerasj.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the optimizer's learning rate by `factor` after `patience` epochs without improvement.

    After a reduction, `cooldown` epochs pass before epochs without improvement are counted again. The rate
    never goes below `min_lr`. Each epoch's logs get a `learning_rate` entry (the rate used in that epoch),
    which History and CSVLogger record when they come after this callback.

    Args:
        monitor: the log entry to watch. Defaults to "val_loss".
        factor: multiplier applied to the rate, below 1: `new_lr = lr * factor`.
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints a message at each reduction.
        mode: "min", "max" or "auto" (inferred from the monitored name; see MonitorCallback).
        min_delta: smallest absolute change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound on the learning rate.

    Example:

        >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=1e-4)
        >>> model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[reduce_lr])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        if kwargs:
            # Keras accepts and ignores extra arguments (such as the old `epsilon`); say so instead of failing.
            warnings.warn(f"ReduceLROnPlateau: ignoring unsupported arguments {sorted(kwargs)}.", stacklevel=2)
        super().__init__(monitor, mode, min_delta)
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            logs = {}
        if self.monitor_op is None:
            self._set_monitor_op()
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}.", stacklevel=2)
            return
        current = float(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch):
        old_lr = float(self.model.optimizer.learning_rate)
        # Rates live in float32 variables: a rate already clipped to min_lr reads back as float32(min_lr).
        if old_lr <= float(np.float32(self.min_lr)):
            return
        new_lr = max(old_lr * self.factor, self.min_lr)
        self.model.optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        self.cooldown_counter = self.cooldown
        self.wait = 0
