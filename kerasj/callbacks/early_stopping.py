"""EarlyStopping: stop training when a monitored value stops improving."""
import warnings

from kerasj.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stops `fit` once `monitor` has not improved for `patience` epochs.

    An epoch improves when its value beats the best so far by more than `min_delta`. After `patience`
    epochs in a row without improvement the callback sets `model.stop_training = True`.

    Args:
        monitor: the log entry to watch. Defaults to "val_loss".
        min_delta: smallest absolute change that counts as an improvement.
        patience: epochs without improvement to tolerate before stopping.
        verbose: 1 prints a message when training is stopped or weights are restored.
        mode: "min", "max" or "auto" (inferred from the monitored name; see MonitorCallback).
        baseline: if set, an epoch only resets the patience counter if it also beats `baseline`, so training
            stops after `patience` epochs unless the value gets past it.
        restore_best_weights: at the end of training, load the weights of the best epoch (even if training
            was not stopped early). If False, the model keeps the weights of the last step.
        start_from_epoch: number of warm-up epochs during which nothing is monitored.

    Example:

        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> history = model.fit(x, y, epochs=100, validation_split=0.2, callbacks=[stop])
        >>> stop.stopped_epoch  # 0 if training ran all its epochs
        12
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs)}", stacklevel=2)
            return None
        return float(value)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Decided at the first epoch end: by then the model's metrics exist and know their direction.
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Improving on the best resets patience only once the baseline (if any) is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
