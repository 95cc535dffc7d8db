"""ProgbarLogger: the progress bar and per-epoch summary that fit / evaluate / predict print."""
from kerasj.callbacks.callback import Callback
from kerasj.utils.progbar import Progbar, write


class ProgbarLogger(Callback):
    """Prints progress bars for `fit`, `evaluate` and `predict`, in the Keras 3 format.

    It reads `verbose` (1: a live bar, 2: one line per epoch), `epochs` and `steps` (steps per epoch, or None
    if unknown until the first epoch ends) from `params`. `fit` adds one automatically when `verbose != 0`.
    Logged values are displayed as given (they are already running averages), in the order of the logs
    (CallbackList hands them over sorted by name). Validation runs
    inside `fit` print nothing of their own: their results appear as `val_*` in the epoch line.

    Example:

        >>> model.fit(x, y, epochs=2, verbose=2)
        Epoch 1/2
        4/4 - 0s - 3ms/step - accuracy: 0.5500 - loss: 0.6931
        Epoch 2/2
        4/4 - 0s - 2ms/step - accuracy: 0.6100 - loss: 0.6825
    """

    # Drawing is rate-limited anyway, so it is enough to hear about the last step of each compiled chunk.
    _chunked_batch_hooks = True

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.seen = 0
        self.progbar = None
        self._called_in_fit = False

    def set_params(self, params):
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset_progbar(self):
        self.seen = 0
        # Every value is already a running average over the epoch: display it as is.
        self.progbar = Progbar(self.target, verbose=self.verbose, stateless_metrics=(), unit_name="step")

    def _update_progbar(self, batch, logs):
        if self.progbar is None:
            self._reset_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs):
        if self.progbar is None:
            self._reset_progbar()
        # An unknown epoch length is learned from the first epoch.
        self.target = self.target or self.seen
        self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_predict_batch_end(self, batch, logs=None):
        # Predictions are outputs, not metrics: only the progress is shown.
        self._update_progbar(batch, None)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(None)
