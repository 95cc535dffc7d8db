"""TerminateOnNaN: stop training as soon as the loss becomes NaN or infinite."""
import numpy as np

from kerasj.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training when a batch reports a NaN or infinite `loss`.

    Args:
        raise_error: if False (default), set `model.stop_training = True`, so training ends normally and every
            callback's `on_train_end` runs. If True, raise a RuntimeError at once instead.

    Training stops at the batch whose loss became non-finite, also when `fit` runs many steps (or a whole
    epoch) per compiled call: the compiled loop stops at that step and undoes its update, so the model and
    optimizer keep the (finite) state of the last step with a finite loss, as if training had been stopped by
    hand just before it. The metrics include the bad batch, so `History` records the non-finite loss for the
    last epoch, as Keras does. (Keras applies that last update; its weights are then usually NaN.)

    Example:

        >>> model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])
    """

    _chunked_batch_hooks = True
    _stops_on_nonfinite_loss = True

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = np.asarray(loss)
        if np.all(np.isfinite(loss)):
            return
        shown = loss.item() if loss.ndim == 0 else loss
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {shown}. "
                               "Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
