"""Safe mode: whether deserialization may run code stored in a config (a Python lambda saved as bytecode).

Safe mode is on by default. It can be switched off for one block with `safe_mode_scope(False)`, or for the
whole process with `enable_unsafe_deserialization()` (also `kerasj.config.enable_unsafe_deserialization`).
A scope always wins over the process-wide setting while it is open, so `safe_mode_scope(True)` re-enables
the check even after `enable_unsafe_deserialization()`.

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
