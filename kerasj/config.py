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


_IMAGE_DATA_FORMAT = "channels_last"


def image_data_format():
    """The default data_format of image layers: "channels_last" (as Keras) or "channels_first"."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"set_image_data_format: expected 'channels_last' or 'channels_first'; "
                         f"received {data_format!r}")
    _IMAGE_DATA_FORMAT = data_format


from kerasj.saving.safe_mode import enable_unsafe_deserialization  # noqa: E402, F401  (a keras.config name)
