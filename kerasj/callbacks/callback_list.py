"""CallbackList: calls every hook on a list of callbacks, as fit / evaluate / predict do."""
import numpy as np

from kerasj.callbacks.callback import Callback, overrides_batch_hooks
from kerasj.callbacks.history import History
from kerasj.callbacks.progbar_logger import ProgbarLogger


def _to_python(value):
    """A scalar number (Python, numpy, or a 0-d numpy / JAX array) as a Python float; anything else unchanged."""
    scalar = isinstance(value, (int, float, np.generic)) or getattr(value, "shape", None) == ()
    if not scalar or isinstance(value, (str, bytes, complex, np.complexfloating)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _sorted_logs(logs):
    return dict(sorted((logs or {}).items()))


def _python_logs(logs):
    return {key: _to_python(value) for key, value in sorted((logs or {}).items())}


class CallbackList(Callback):
    """A list of callbacks that is itself a callback: each hook calls the same hook on every member, in order.

    Args:
        callbacks: a list of `Callback` instances (or None).
        add_history: append a `History` unless the list already has one; it becomes `model.history`.
        add_progbar: append a `ProgbarLogger` unless the list already has one.
        model: the model the callbacks act on.
        **params: the loop's parameters (`verbose`, `epochs`, `steps`), passed on with `set_params`.

    Every member receives the same `logs` dict, a copy sorted by name, so a callback that adds an entry
    (ReduceLROnPlateau adds `learning_rate`) is seen by the callbacks after it, such as History. Scalars in
    epoch-level logs are handed over as Python floats; in batch-level logs too, but only when some callback
    reads every batch (see `needs_batch_hooks`), so that the default progress bar never makes the host wait
    for the device.

    Example:

        >>> callbacks = CallbackList([EarlyStopping(monitor="loss")], add_history=True, model=model,
        ...                          verbose=0, epochs=10, steps=100)
        >>> callbacks.on_train_begin()
        >>> for epoch in range(10):
        ...     callbacks.on_epoch_begin(epoch)
        ...     ...  # train, calling on_train_batch_begin / on_train_batch_end
        ...     callbacks.on_epoch_end(epoch, {"loss": epoch_loss})
        ...     if model.stop_training:
        ...         break
        >>> callbacks.on_train_end()
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = []
        for callback in callbacks or ():
            self.append(callback)
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback):
        if not isinstance(callback, Callback):
            raise TypeError("CallbackList: every callback must be an instance of kerasj.callbacks.Callback; "
                            f"received {callback!r} of type {type(callback).__name__}.")
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)
            if isinstance(callback, History):
                model.history = callback

    def needs_batch_hooks(self):
        """Whether a callback must see every batch (it overrides a train/test/predict batch hook).

        When False, a training loop may run many steps per compiled call and call the batch hooks once per
        call, with the index of its last step, as Keras does with `steps_per_execution`.
        """
        cached = self.__dict__.get("_needs_batch_hooks")
        if cached is None or cached[0] != len(self.callbacks):
            value = any(overrides_batch_hooks(c) and not c._chunked_batch_hooks for c in self.callbacks)
            cached = self.__dict__["_needs_batch_hooks"] = (len(self.callbacks), value)
        return cached[1]

    def stops_on_nonfinite_loss(self):
        """Whether a callback (TerminateOnNaN) stops training at the first non-finite `loss`, so that compiled
        chunks of steps must stop there too instead of running the rest of the chunk."""
        return any(getattr(c, "_stops_on_nonfinite_loss", False) for c in self.callbacks)

    def _call(self, hook, *args, **kwargs):
        for callback in self.callbacks:
            getattr(callback, hook)(*args, **kwargs)

    def _batch_logs(self, logs):
        return _python_logs(logs) if self.needs_batch_hooks() else _sorted_logs(logs)

    def on_batch_begin(self, batch, logs=None):
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.on_train_batch_end(batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=self._batch_logs(logs))

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=self._batch_logs(logs))

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=self._batch_logs(logs))

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=self._batch_logs(logs))

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=self._batch_logs(logs))

    def on_predict_batch_end(self, batch, logs=None):
        # Predictions are arrays, not scalars: they are passed through unchanged either way.
        self._call("on_predict_batch_end", batch, logs=self._batch_logs(logs))

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, _python_logs(logs))

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, _python_logs(logs))

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", _python_logs(logs))

    def on_train_end(self, logs=None):
        self._call("on_train_end", _python_logs(logs))

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", _python_logs(logs))

    def on_test_end(self, logs=None):
        self._call("on_test_end", _python_logs(logs))

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", _python_logs(logs))

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", _python_logs(logs))
