"""Checks of constructor arguments shared by layers: each returns the standardized value or raises a
ValueError that names the owner (a class or layer), the argument, what was expected and what was received.

    >>> standardize_tuple(3, 2, "kernel_size", "Conv2D")
    (3, 3)
    >>> check_positive_int(0, "units", "Dense")
    Traceback (most recent call last):
    ValueError: Dense: `units` must be a positive integer; received units=0
"""
import numpy as np

from kerasj import config

DATA_FORMATS = ("channels_last", "channels_first")


def is_int(value):
    """Whether `value` is a Python or numpy integer (booleans are not)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_positive_int(value, name, owner):
    """`value` as an int, or a ValueError naming `owner` and `name`."""
    if not is_int(value) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be a positive integer; received {name}={value!r}")
    return int(value)


def check_choice(owner, name, value, choices):
    """`value` if it is one of `choices`."""
    if value not in choices:
        raise ValueError(f"{owner}: `{name}` must be one of {list(choices)}; received {name}={value!r}")
    return value


def standardize_data_format(value, owner):
    """`value` checked against ("channels_last", "channels_first"); None means `config.image_data_format()`."""
    if value is None:
        return config.image_data_format()
    return check_choice(owner, "data_format", value, DATA_FORMATS)


def standardize_tuple(value, n, name, owner, allow_zero=False):
    """An int or a length-`n` sequence of ints as an n-tuple of positive (or, with allow_zero, >= 0) ints."""
    values = (value,) * n if is_int(value) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    lowest = 0 if allow_zero else 1
    if values is None or len(values) != n or not all(is_int(v) and v >= lowest for v in values):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{owner}: `{name}` must be an int or a tuple of {n} int(s), each {bound}; "
                         f"received {name}={value!r}")
    return tuple(int(v) for v in values)


def standardize_padding(value, owner, allow_causal=False):
    """Lower-cased "valid" / "same" (and "causal" when allowed)."""
    valid = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in valid:
        raise ValueError(f"{owner}: `padding` must be one of {list(valid)}; received padding={value!r}")
    return padding
