"""Unique default names ("dense", "dense_1", ...) as Keras gives them."""
import collections
import re

_counts = collections.defaultdict(int)
_uids = collections.defaultdict(int)  # keras.backend.get_uid's counters
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


def get_uid(prefix=""):
    """1 on the first call for `prefix`, then 2, 3, ... until `clear_session()` (`keras.backend.get_uid`).

        >>> get_uid("dense"), get_uid("dense")
        (1, 2)
    """
    _uids[prefix] += 1
    return _uids[prefix]


def clear_session():
    """Reset default-name counters and `get_uid`'s (as `keras.backend.clear_session()` does)."""
    _counts.clear()
    _reserved.clear()
    _uids.clear()
