"""Fourier-transform and complex-number ops of `keras.ops`. As in Keras, complex tensors are passed in and
out of the FFTs as `(real, imag)` pairs of float tensors.

    >>> from kerasj import ops
    >>> real, imag = ops.rfft(jnp.array([1.0, 0.0, 0.0, 0.0]))
    >>> real
    Array([1., 1., 1.], dtype=float32)
"""
import jax.numpy as jnp

from kerasj.ops.core import _t


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


def polar(abs_, angle):
    """Complex tensor with magnitude `abs_` and phase `angle`."""
    abs_, angle = _t(abs_), _t(angle)
    return abs_ * jnp.cos(angle) + 1j * abs_ * jnp.sin(angle)
