"""Refuse allocations that cannot succeed, before XLA is asked for them.

When XLA cannot allocate a very large buffer it does not always raise: creating a weight of 2**44 elements on
the CPU aborts the whole interpreter (a failed check inside jaxlib, SIGABRT). A config read from a file may ask
for such a weight (`Dense(units=2**40)`), so every weight is checked against the memory the device has left
before it is created, and a weight that cannot fit raises a ValueError the caller can catch.

    >>> check_allocation((16, 2**40), "float32", "Layer 'dense': weight 'kernel'")
    Traceback (most recent call last):
    ValueError: Layer 'dense': weight 'kernel' of shape (16, 1099511627776) and dtype float32 needs 64.0 TiB ...
"""
import math
import os

import jax
import jax.numpy as jnp

# Below this size an array is not worth a look at the device's free memory (reading it costs a system call).
_UNCHECKED_BYTES = 64 * 2 ** 20


def _host_available_bytes():
    """Memory the operating system can still give this process (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def available_bytes(device=None):
    """Bytes still free on `device` (default: JAX's default device): the accelerator's allocator limit minus
    what is in use, or the host's available memory on CPU. None when it cannot be told."""
    device = device or jax.config.jax_default_device or jax.devices()[0]
    stats = None
    try:
        stats = device.memory_stats()
    except Exception:  # some backends do not implement it
        stats = None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    return _host_available_bytes()


def format_bytes(n):
    """`n` bytes in binary units, e.g. `format_bytes(3 * 2**30)` is '3.0 GiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n:.1f} EiB"


def check_allocation(shape, dtype, what):
    """Raise ValueError (starting with `what`) if an array of `shape` and `dtype` cannot fit in the memory
    the default device has left. Small arrays are not checked."""
    elements = math.prod(int(d) for d in shape)
    nbytes = elements * jnp.dtype(dtype).itemsize
    if nbytes < _UNCHECKED_BYTES:
        return
    limit = available_bytes()
    if limit is not None and nbytes > limit:
        raise ValueError(f"{what} of shape {tuple(int(d) for d in shape)} and dtype {jnp.dtype(dtype).name} needs "
                         f"{elements:,} elements ({format_bytes(nbytes)}), more than the {format_bytes(limit)} of "
                         "memory available on the device; it cannot be created. Check the layer's size arguments "
                         "(units, filters, input_dim, input shape).")
