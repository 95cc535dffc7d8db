"""LambdaCallback: a callback assembled from plain functions."""
from kerasj.callbacks.callback import HOOKS, Callback


class LambdaCallback(Callback):
    """A callback whose hooks are the functions you pass.

    Each function takes the same arguments as the hook it replaces: `on_epoch_begin(epoch, logs)`,
    `on_train_begin(logs)`, `on_train_batch_end(batch, logs)` (called with `logs=` as a keyword), and so on.
    Hooks not given do nothing. Any other hook of `Callback` can be given by name as a keyword argument.

    Example:

        >>> log = []
        >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: log.append(logs["loss"]))
        >>> model.fit(x, y, epochs=3, callbacks=[record])
        >>> len(log)
        3
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise ValueError(f"LambdaCallback: unknown hook name(s) {unknown}; valid names are "
                             f"{', '.join(sorted(HOOKS))}.")
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        for name, fn in hooks.items():
            if fn is None:
                continue  # keep the do-nothing default, so unused batch hooks don't slow fit down
            if not callable(fn):
                raise TypeError(f"LambdaCallback: `{name}` must be callable; received {fn!r}.")
            setattr(self, name, fn)
