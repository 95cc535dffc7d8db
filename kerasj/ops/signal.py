"""Fourier-transform and complex-number ops of `keras.ops`, with the short-time transforms `stft` / `istft`.
As in Keras, complex tensors are passed in and out of the FFTs as `(real, imag)` pairs of float tensors.

    >>> from kerasj import ops
    >>> real, imag = ops.rfft(jnp.array([1.0, 0.0, 0.0, 0.0]))
    >>> real
    Array([1., 1., 1.], dtype=float32)
"""
import jax.numpy as jnp
import numpy as np

from kerasj.ops.core import _t
from kerasj.ops.math import extract_sequences
from kerasj.utils.argument_validation import is_int


def _complex(x, op):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{op}: `x` must be a (real, imag) pair of tensors; received {type(x).__name__}.")
    real, imag = _t(x[0]), _t(x[1])
    if real.shape != imag.shape:
        raise ValueError(f"{op}: real and imaginary parts must have the same shape; received {real.shape} "
                         f"and {imag.shape}.")
    return real + 1j * imag


def _pair(z):
    return jnp.real(z), jnp.imag(z)


def fft(x):
    """FFT over the last axis of the complex `(real, imag)` pair `x`; returns `(real, imag)`."""
    return _pair(jnp.fft.fft(_complex(x, "fft"), axis=-1))


def fft2(x):
    """2-D FFT over the last two axes of the complex `(real, imag)` pair `x`; returns `(real, imag)`."""
    return _pair(jnp.fft.fft2(_complex(x, "fft2"), axes=(-2, -1)))


def ifft2(x):
    """Inverse 2-D FFT over the last two axes; returns `(real, imag)`."""
    return _pair(jnp.fft.ifft2(_complex(x, "ifft2"), axes=(-2, -1)))


def rfft(x, fft_length=None):
    """FFT of the real `x` over its last axis (non-negative frequencies only); returns `(real, imag)`."""
    return _pair(jnp.fft.rfft(_t(x), n=fft_length, axis=-1))


def irfft(x, fft_length=None):
    """Inverse of `rfft`: the real signal from the `(real, imag)` pair `x`."""
    return jnp.fft.irfft(_complex(x, "irfft"), n=fft_length, axis=-1)


def view_as_complex(x):
    """Complex tensor from `x` whose last axis (size 2) holds the real and imaginary parts."""
    x = _t(x)
    if x.shape[-1] != 2:
        raise ValueError(f"view_as_complex: the last axis of `x` must have size 2; received shape {x.shape}.")
    return x[..., 0] + 1j * x[..., 1]


def view_as_real(x):
    """Real tensor with a trailing axis of size 2 holding the real and imaginary parts of `x`."""
    x = _t(x)
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


def _stft_window(window, sequence_length, fft_length, dtype, op):
    """The analysis window centred in `fft_length` samples; `None` means a flat window over all of them."""
    if window is None:
        return jnp.ones((fft_length,), dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"{op}: a string `window` must be 'hann' or 'hamming'; received window={window!r}.")
        from scipy.signal import get_window  # scipy comes with jax; the periodic windows Keras uses
        window = get_window(window, sequence_length)
    window = jnp.asarray(_t(window), dtype)
    if window.shape != (sequence_length,):
        raise ValueError(f"{op}: `window` must have shape ({sequence_length},) (the sequence_length); received "
                         f"shape {window.shape}.")
    left = (fft_length - sequence_length) // 2
    return jnp.pad(window, (left, fft_length - sequence_length - left))


def _check_stft_args(op, sequence_length, sequence_stride, fft_length):
    for name, value in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride),
                        ("fft_length", fft_length)):
        if not is_int(value) or value <= 0:
            raise ValueError(f"{op}: `{name}` must be a positive int; received {name}={value!r}.")
    if fft_length < sequence_length:
        raise ValueError(f"{op}: `fft_length` must be at least `sequence_length`; received "
                         f"fft_length={fft_length}, sequence_length={sequence_length}.")


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform over the last axis of the float `x`: frames of `sequence_length` samples
    every `sequence_stride`, windowed (`"hann"`, `"hamming"`, a tensor, or None) and zero-padded to
    `fft_length`. With `center`, `x` is reflect-padded by `fft_length // 2` on both sides so frame `t` is centred
    on sample `t * sequence_stride`. Returns `(real, imag)` of shape `(..., frames, fft_length // 2 + 1)`.

        >>> real, imag = stft(jnp.ones(8), sequence_length=4, sequence_stride=2, fft_length=4)
        >>> real.shape
        (5, 3)
    """
    _check_stft_args("stft", sequence_length, sequence_stride, fft_length)
    x = _t(x)
    if x.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"stft: `x` must be float32 or float64; received dtype {x.dtype}.")
    if center:
        half = fft_length // 2
        x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="reflect")
    if x.shape[-1] < fft_length:
        raise ValueError(f"stft: the signal ({x.shape[-1]} samples after padding) is shorter than one frame "
                         f"(fft_length={fft_length}).")
    win = _stft_window(window, sequence_length, fft_length, x.dtype, "stft")
    frames = extract_sequences(x, fft_length, sequence_stride) * win
    return _pair(jnp.fft.rfft(frames, n=fft_length, axis=-1))


def _overlap_add(frames, stride):
    """Sum of `frames` `(..., T, F)` laid `stride` samples apart: `(..., F + stride * (T - 1))`."""
    count, width = frames.shape[-2:]
    index = (np.arange(count) * stride)[:, None] + np.arange(width)[None, :]
    out = jnp.zeros(frames.shape[:-2] + (width + stride * (count - 1),), frames.dtype)
    return out.at[..., index].add(frames)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse of `stft`: the signal from the `(real, imag)` pair `x` `(..., frames, fft_length // 2 + 1)`, by
    windowed overlap-add normalised by the summed squared window. `length` trims the result; otherwise `center`
    removes the `fft_length // 2` samples `stft` padded on each side. (With `window=None`, Keras scales the
    result by `fft_length / sequence_stride`; kerasj does the same.)

        >>> signal = jnp.sin(jnp.arange(16.0))
        >>> spec = stft(signal, 8, 2, 8)
        >>> bool(jnp.allclose(istft(spec, 8, 2, 8, length=16), signal, atol=1e-5))
        True
    """
    _check_stft_args("istft", sequence_length, sequence_stride, fft_length)
    z = _complex(x, "istft")
    if z.ndim < 2:
        raise ValueError(f"istft: `x` must have at least 2 axes (..., frames, bins); received shape {z.shape}.")
    dtype = jnp.real(z).dtype
    win = _stft_window(window, sequence_length, fft_length, dtype, "istft")
    frames = jnp.fft.irfft(z, n=fft_length, axis=-1) * win
    signal = _overlap_add(frames, sequence_stride)
    norm = _overlap_add(jnp.broadcast_to(win * win, (z.shape[-2], fft_length)), sequence_stride)
    signal = signal / jnp.where(norm > 1e-10, norm, 1.0)
    if window is None:
        signal = signal * (fft_length / sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        return signal[..., start:start + length]
    return signal[..., start:signal.shape[-1] - start]
