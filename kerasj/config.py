"""Global settings, as in `keras.config`: the default float dtype, the epsilon fuzz factor, the image data
format, debugging caps on `fit` and a few feature switches."""
import os

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


def backend():
    """The name of the backend: always "jax".

        >>> kerasj.config.backend()
        'jax'
    """
    return "jax"


def set_backend(backend):
    """Keras reloads itself on another backend here; kerasj runs on JAX only, so only "jax" is accepted."""
    if backend != "jax":
        raise ValueError(f"set_backend: kerasj runs on JAX only; received backend={backend!r}")


def _env_int(name):
    value = os.environ.get(name)
    return int(value) if value else None


# Debugging caps on fit (and steps of evaluate/predict), as Keras reads them from these environment variables.
_MAX_EPOCHS = _env_int("KERAS_MAX_EPOCHS")
_MAX_STEPS_PER_EPOCH = _env_int("KERAS_MAX_STEPS_PER_EPOCH")


def set_max_epochs(max_epochs):
    """Cap the epochs of every `fit` call (None: no cap); a debugging aid.

        >>> kerasj.config.set_max_epochs(1)   # model.fit(x, y, epochs=100) now runs one epoch
    """
    global _MAX_EPOCHS
    _MAX_EPOCHS = max_epochs


def max_epochs():
    """The cap set by `set_max_epochs` (or `KERAS_MAX_EPOCHS`), or None."""
    return _MAX_EPOCHS


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the steps per epoch of every `fit`, `evaluate` and `predict` call (None: no cap).

        >>> kerasj.config.set_max_steps_per_epoch(2)
    """
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = max_steps_per_epoch


def max_steps_per_epoch():
    """The cap set by `set_max_steps_per_epoch` (or `KERAS_MAX_STEPS_PER_EPOCH`), or None."""
    return _MAX_STEPS_PER_EPOCH


_TRACEBACK_FILTERING = True


def enable_traceback_filtering():
    """Set the traceback-filtering flag (kept for Keras compatibility; kerasj shows tracebacks unfiltered)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering():
    """Clear the traceback-filtering flag."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled():
    """The traceback-filtering flag (True by default, as in Keras)."""
    return _TRACEBACK_FILTERING


# As in Keras: None (the default) lets attention layers decide, False turns flash attention off.
_FLASH_ATTENTION = None


def enable_flash_attention():
    """Let attention layers use flash attention where the inputs allow it (the default)."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention():
    """Turn flash attention off globally."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """False after `disable_flash_attention()`; otherwise None ("enabled where possible"), as Keras returns."""
    return _FLASH_ATTENTION


def is_nnx_enabled():
    """Whether Flax NNX integration is on: always False in kerasj (its Variables are its own pytrees)."""
    return False


from kerasj.dtype_policy import dtype_policy, set_dtype_policy  # noqa: E402, F401  (keras.config names)
from kerasj.utils.io_utils import (disable_interactive_logging, enable_interactive_logging,  # noqa: E402, F401
                                   is_interactive_logging_enabled)
from kerasj.saving.safe_mode import enable_unsafe_deserialization  # noqa: E402, F401  (a keras.config name)
