"""Safe mode: whether deserialization may run code stored in a config (a Python lambda saved as bytecode).

Safe mode is on by default. It can be switched off for one block with `safe_mode_scope(False)`, or for the
whole process with `enable_unsafe_deserialization()` (also `kerasj.config.enable_unsafe_deserialization`).
A scope always wins over the process-wide setting while it is open, so `safe_mode_scope(True)` re-enables
the check even after `enable_unsafe_deserialization()`.

A `safe_mode` argument goes through `resolve_safe_mode` (`load_model`, `deserialize_keras_object`) or
`resolve_explicit_safe_mode` (`Lambda.from_config`): only an explicit False, the process-wide switch or an
open scope turns safe mode off.

    >>> config = kerasj.layers.Lambda(lambda x: x + 1).get_config()
    >>> kerasj.layers.Lambda.from_config(config)          # ValueError: refuses to rebuild the bytecode
    >>> with safe_mode_scope(False):                     # only for files you trust
    ...     layer = kerasj.layers.Lambda.from_config(config)
"""
import contextlib
import threading

_local = threading.local()
_unsafe_enabled = False


def _scopes():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def in_safe_mode():
    """True unless unsafe deserialization was enabled (by an open `safe_mode_scope(False)`, or globally)."""
    stack = _scopes()
    if stack:
        return stack[-1]
    return not _unsafe_enabled


def in_safe_mode_scope():
    """True only while the innermost open `safe_mode_scope` is a safe one (a model is being loaded in safe
    mode); False outside any scope, whatever the process-wide setting.

    Keras answers this question with `serialization_lib.in_safe_mode()` (None outside a scope); in kerasj that
    name already means "may deserialization run code now" (True by default), so this one is separate. Code that
    refuses something only during a safe load, such as a vocabulary file named in a config, asks this.

        >>> in_safe_mode_scope()
        False
        >>> with safe_mode_scope(True):
        ...     in_safe_mode_scope()
        True
    """
    stack = _scopes()
    return bool(stack) and stack[-1]


def _check_flag(safe_mode):
    if safe_mode is not None and not isinstance(safe_mode, bool):
        raise ValueError(f"`safe_mode` must be True, False or None (the current setting); received {safe_mode!r}")


def resolve_safe_mode(safe_mode):
    """Whether a load (`load_model`, `deserialize_keras_object`) given the argument `safe_mode` runs in safe
    mode. As in Keras, an open `safe_mode_scope` or `enable_unsafe_deserialization()` decides when there is
    one, so that loads nested in another load follow it; otherwise the argument does, and None means safe.
    Only an explicit False (or those two switches) can turn safe mode off: any other value is refused rather
    than read as true or false.

        >>> resolve_safe_mode(None), resolve_safe_mode(True), resolve_safe_mode(False)
        (True, True, False)
    """
    _check_flag(safe_mode)
    stack = _scopes()
    if stack:
        return stack[-1]
    if _unsafe_enabled:
        return False
    return safe_mode is not False


def resolve_explicit_safe_mode(safe_mode):
    """`Lambda.from_config`'s rule (Keras's too): an explicit True or False wins, None follows `in_safe_mode()`."""
    _check_flag(safe_mode)
    return in_safe_mode() if safe_mode is None else safe_mode


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """Within the block, deserialization runs in safe mode if `safe_mode` is true, else unsafely.

        >>> with safe_mode_scope(False):
        ...     in_safe_mode()
        False
    """
    if not isinstance(safe_mode, bool):
        raise ValueError(f"safe_mode_scope: `safe_mode` must be True or False; received {safe_mode!r}")
    stack = _scopes()
    stack.append(safe_mode)
    try:
        yield
    finally:
        stack.pop()


def enable_unsafe_deserialization():
    """Turn safe mode off for the whole process, allowing configs that hold lambdas to be loaded.

    Only do this when every model file or config you load comes from a source you trust: loading a
    lambda executes its stored bytecode.

        >>> kerasj.config.enable_unsafe_deserialization()
        >>> in_safe_mode()
        False
    """
    global _unsafe_enabled
    _unsafe_enabled = True
