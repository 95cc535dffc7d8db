"""Rematerialization (gradient checkpointing): `remat(f)` recomputes `f`'s intermediates on the backward pass
instead of keeping them, on `jax.checkpoint`; `RematScope` is Keras's context for it."""
import collections
import functools
import threading

import jax

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_local = threading.local()
RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])


def remat(f):
    """`f` wrapped in `jax.checkpoint`: same values and gradients, less memory kept for the backward pass.

        >>> g = jax.grad(lambda x: kerasj.remat(jnp.sin)(x) ** 2)
        >>> float(g(1.0))   # 2 sin(1) cos(1)
        0.9092974...
    """
    return functools.wraps(f)(jax.checkpoint(f))


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class RematScope:
    """Keras's rematerialization context. `mode=None` turns rematerialization off inside it; the modes that
    make layers rematerialize themselves ("full", "activations", "larger_than", "list_of_layers") are not
    supported yet: wrap the function with `kerasj.remat` instead.

        >>> with kerasj.RematScope(mode=None):
        ...     y = model(x)
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(f"RematScope: invalid mode {mode!r}; expected one of 'full', 'activations', "
                             "'larger_than', 'list_of_layers' or None.")
        if mode is not None:
            raise NotImplementedError(f"RematScope(mode={mode!r}): layers do not rematerialize themselves yet in "
                                      "kerasj; wrap the function to recompute with kerasj.remat(fn) instead.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().remove(self)
        return False


def get_current_remat_mode():
    """The innermost RematScope's settings as a `RematMode`, or None outside any scope."""
    stack = _stack()
    if not stack:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)
