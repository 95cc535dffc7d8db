"""Unique default names ("dense", "dense_1", ...) as Keras gives them."""
import collections
import re

_counts = collections.defaultdict(int)
# Names given explicitly: default names skip them, so an auto-named layer never collides with a named one.
_reserved = set()


def to_snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(prefix):
    """`prefix` the first time, then `prefix_1`, `prefix_2`, ... until `clear_session()`."""
    while True:
        count = _counts[prefix]
        _counts[prefix] += 1
        name = prefix if count == 0 else f"{prefix}_{count}"
        if name not in _reserved:
            return name


def reserve(name):
    """Note an explicitly chosen name so that default names avoid it."""
    _reserved.add(name)


def clear_session():
    """Reset default-name counters (as `keras.backend.clear_session()` does)."""
    _counts.clear()
    _reserved.clear()
