"""History: the record of per-epoch logs that `fit` returns."""
from kerasj.callbacks.callback import Callback


class History(Callback):
    """Records every epoch's logs. `fit` adds one automatically, sets it as `model.history` and returns it.

    Attributes:
        history: dict mapping each logged name to the list of its per-epoch values.
        epoch: the epoch indices recorded during the latest `fit`.

    Example:

        >>> history = model.fit(x, y, epochs=3, validation_split=0.2)
        >>> history.history["val_loss"]
        [0.52, 0.41, 0.37]
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        # Values keep accumulating across fit calls that reuse this object; the epoch list restarts.
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        if self.model is not None:
            self.model.history = self
