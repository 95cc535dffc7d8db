"""TerminateOnNaN: stop training as soon as the loss becomes NaN or infinite."""
import numpy as np

from kerasj.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training when a batch reports a NaN or infinite `loss`.

    Args:
        raise_error: if False (default), set `model.stop_training = True`, so training ends normally and every
            callback's `on_train_end` runs. If True, raise a RuntimeError at once instead.

    When no other callback needs every batch, `fit` runs many steps per compiled call and this callback
    checks the loss after each call; the running loss stays NaN once a step produced NaN, so nothing is missed.

    Example:

        >>> model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])
    """

    _chunked_batch_hooks = True

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
