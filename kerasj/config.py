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


# JAX's persistent compilation cache (Keras has no such switch). Off by default: the cache directory grows
# without bound unless JAX's own size cap is set, and a cache shared by different jax/jaxlib builds is only as
# safe as JAX's cache keys.
_COMPILATION_CACHE = {"path": None, "saved": None}
_CACHE_OPTIONS = ("jax_enable_compilation_cache", "jax_compilation_cache_dir",
                  "jax_persistent_cache_min_compile_time_secs", "jax_persistent_cache_min_entry_size_bytes")


def enable_compilation_cache(path=None):
    """Keep compiled XLA programs on disk, so a new process skips compiling what an earlier one compiled (the
    programs of `fit`, `predict`, `model(x)`, `kerasj.function` and any `jax.jit`).

    Args:
        path: the cache directory (created when missing); None: `$KERASJ_HOME/jax_cache` (`~/.kerasj/jax_cache`).

    Returns the directory. Every program is cached, also those that compile fast (JAX's default keeps only
    those taking over a second), since small models compile many quick programs. The cache is off unless this
    is called; `disable_compilation_cache()` turns it off again. Cached programs belong to the jax and jaxlib
    versions and the device that made them; JAX keys entries on these, so a stale entry is recompiled rather
    than reused.

        >>> kerasj.config.enable_compilation_cache("/tmp/kerasj_cache")
        '/tmp/kerasj_cache'
        >>> model.fit(x, y)   # the second run of this script loads the compiled steps from /tmp/kerasj_cache
    """
    import jax
    from jax.experimental.compilation_cache import compilation_cache
    from kerasj.utils.file_utils import kerasj_home

    if path is None:
        path = os.path.join(kerasj_home(), "jax_cache")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"enable_compilation_cache: `path` must be a directory path or None; received {path!r}")
    path = os.path.abspath(os.fspath(path))
    os.makedirs(path, exist_ok=True)
    if _COMPILATION_CACHE["saved"] is None:
        _COMPILATION_CACHE["saved"] = {name: getattr(jax.config, name) for name in _CACHE_OPTIONS}
    jax.config.update("jax_enable_compilation_cache", True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    compilation_cache.reset_cache()  # JAX opens its cache once per process: let it reopen at the new path
    _COMPILATION_CACHE["path"] = path
    return path


def disable_compilation_cache():
    """Stop reading and writing the persistent compilation cache (the files stay on disk); restores JAX's
    cache settings from before `enable_compilation_cache`.

        >>> kerasj.config.disable_compilation_cache()
    """
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    saved = _COMPILATION_CACHE["saved"]
    if saved is None:
        return
    for name, value in saved.items():
        jax.config.update(name, value)
    compilation_cache.reset_cache()
    _COMPILATION_CACHE.update(path=None, saved=None)


def compilation_cache_dir():
    """The directory `enable_compilation_cache` set, or None while kerasj's switch is off."""
    return _COMPILATION_CACHE["path"]


from kerasj.dtype_policy import dtype_policy, set_dtype_policy  # noqa: E402, F401  (keras.config names)
from kerasj.utils.io_utils import (disable_interactive_logging, enable_interactive_logging,  # noqa: E402, F401
                                   is_interactive_logging_enabled)
from kerasj.saving.safe_mode import enable_unsafe_deserialization  # noqa: E402, F401  (a keras.config name)


# Budget for in-memory arrays put on the device whole (kerasj.trainer.streaming reads it).
_DEVICE_ARRAY_BUDGET = None


def set_device_array_budget(budget):
    """Bytes of in-memory input arrays (numpy, np.memmap) that `fit` / `evaluate` / `predict` put on the
    device whole; larger data is streamed in chunks of batches, two at a time (a kerasj switch, not in Keras).
    None restores the default: 40% of the device's memory where it reports it, 2 GiB on CPU.

        >>> kerasj.config.set_device_array_budget(256 << 20)   # stream datasets above 256 MiB
    """
    global _DEVICE_ARRAY_BUDGET
    if budget is not None and (isinstance(budget, bool) or not hasattr(budget, "__index__") or budget < 1):
        raise ValueError(f"set_device_array_budget: expected a positive number of bytes or None; "
                         f"received {budget!r}")
    _DEVICE_ARRAY_BUDGET = None if budget is None else int(budget)


def device_array_budget():
    """The budget set by `set_device_array_budget`, or the default for the default device (in bytes)."""
    if _DEVICE_ARRAY_BUDGET is not None:
        return _DEVICE_ARRAY_BUDGET
    import jax  # here, not at the top: the other settings need no jax

    stats = jax.devices()[0].memory_stats() or {}
    limit = stats.get("bytes_limit")
    return int(0.4 * limit) if limit else 2 << 30
