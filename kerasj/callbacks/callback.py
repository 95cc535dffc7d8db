"""Callback: the base class of everything that hooks into fit / evaluate / predict."""


class Callback:
    """Base class for objects called at fixed points of `fit`, `evaluate` and `predict`.

    Subclass it and override the hooks you need; every hook does nothing by default. `logs` is a dict of the
    current results (`{"loss": ..., "accuracy": ..., "val_loss": ...}` at the end of an epoch).

    Attributes:
        model: the model being trained (set with `set_model`).
        params: the loop's parameters, e.g. `{"verbose": 1, "epochs": 10, "steps": 100}`.

    Example:

        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, logs["loss"])
        >>> model.fit(x, y, epochs=3, callbacks=[PrintLoss()])

    Batch-level hooks cost speed: while a callback overrides one, `fit` calls it after every step instead of
    running many steps per compiled call.
    """

    # True for callbacks whose batch hooks still do their job when `fit` calls them only once per compiled
    # chunk of steps (with the chunk's last batch index and logs): they never force step-by-step execution.
    _chunked_batch_hooks = False

    def __init__(self):
        self.params = None
        self.model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    # Old names of the training batch hooks; the new names call them, so overriding either works.
    def on_batch_begin(self, batch, logs=None):
        """Called at the start of a training batch (same as `on_train_batch_begin`)."""

    def on_batch_end(self, batch, logs=None):
        """Called at the end of a training batch (same as `on_train_batch_end`)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch `epoch` (counted from 0) during `fit`."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch; `logs` holds the epoch's training and validation results."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called at the start of training batch `batch` (counted from 0 in each epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called at the end of a training batch; `logs` holds the running results of the epoch."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called at the start of an evaluation batch (in `evaluate` and in `fit`'s validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called at the end of an evaluation batch."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called at the start of a `predict` batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called at the end of a `predict` batch; `logs["outputs"]` holds the batch's outputs."""

    def on_train_begin(self, logs=None):
        """Called once at the start of `fit`."""

    def on_train_end(self, logs=None):
        """Called once at the end of `fit`, with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of `evaluate` (and of each validation run in `fit`)."""

    def on_test_end(self, logs=None):
        """Called at the end of an evaluation, with its results."""

    def on_predict_begin(self, logs=None):
        """Called at the start of `predict`."""

    def on_predict_end(self, logs=None):
        """Called at the end of `predict`."""


BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end",
               "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")
OTHER_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
               "on_predict_begin", "on_predict_end")
HOOKS = BATCH_HOOKS + OTHER_HOOKS


def overrides_batch_hooks(callback):
    """Whether `callback` replaces any batch-level hook, in its class or (as LambdaCallback does) per instance."""
    cls = type(callback)
    return any(getattr(cls, name) is not getattr(Callback, name) or name in vars(callback)
               for name in BATCH_HOOKS)
