"""LearningRateScheduler: set the learning rate at the start of each epoch from a schedule function."""
import inspect

import numpy as np

from kerasj.callbacks.callback import Callback


def _takes_two_arguments(fn):
    try:
        inspect.signature(fn).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:  # no signature available (some builtins): assume the current form
        return True
    return True


def _as_float(value):
    """`value` as a Python float if it is a floating-point scalar (Python, numpy or 0-d array), else None."""
    if isinstance(value, float):
        return value
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.ndim(value) == 0 and np.issubdtype(np.dtype(dtype), np.floating):
        return float(value)
    return None


class LearningRateScheduler(Callback):
    """At the start of every epoch, sets `model.optimizer.learning_rate = schedule(epoch, lr)`.

    Args:
        schedule: a function of the epoch index (from 0) and the current learning rate (a float) that returns
            the new rate as a float. A function of the epoch alone is accepted too.
        verbose: 1 prints the rate set at each epoch.

    The rate in effect is added to each epoch's logs as `learning_rate`.

    Example:

        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> model.fit(x, y, epochs=15, callbacks=[LearningRateScheduler(schedule)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: `schedule` must be callable; received {schedule!r}.")
        self.schedule = schedule
        self.verbose = verbose
        self._pass_lr = _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = float(optimizer.learning_rate)
        result = self.schedule(epoch, lr) if self._pass_lr else self.schedule(epoch)
        new_lr = _as_float(result)
        if new_lr is None:
            raise ValueError("LearningRateScheduler: the output of the `schedule` function should be a float. "
                             f"Got: {result!r} of type {type(result).__name__}.")
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
