"""Global settings, as in `keras.config`: the default float dtype and the epsilon fuzz factor."""

_FLOATX = "float32"
_EPSILON = 1e-7


def floatx():
    """The default float dtype name for new weights ("float32")."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"set_floatx: expected one of float16, bfloat16, float32, float64; received {value!r}")
    _FLOATX = value


def epsilon():
    """The fuzz factor used to avoid division by zero (1e-7, as in Keras)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)
