"""The STFTSpectrogram layer: a short-time Fourier transform of 1-D signals computed as a strided convolution
with Fourier-basis kernels (the `STFT` initializer), so the kernels can be trained with the rest of a model."""
import math
import warnings

import jax.numpy as jnp

from kerasj import config, initializers, ops
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.stft_initializer import _scipy_window
from kerasj.utils.argument_validation import check_choice, is_int, standardize_data_format

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """Spectrogram of signals `(batch, time, channels)` (or `(batch, channels, time)` with
    `data_format="channels_first"`), frame by frame: each of the `channels` is convolved with a real (cosine)
    and an imaginary (sine) kernel of `frame_length` taps every `frame_step` samples, giving
    `fft_length // 2 + 1` frequency bins per frame.

    `mode` picks the output: "real", "imag", "angle" (phase), "stft" (real and imaginary bins side by side),
    "psd" (power, with the non-edge bins doubled), "magnitude" or "log" (natural log of the magnitude). The
    kernels `real_kernel` and `imag_kernel` (only those `mode` needs) are trainable unless `trainable=False`.
    The output is `(batch, frames, channels * bins)` (channels_last) or `(batch, channels * bins, frames)`;
    with `expand_dims=True`, `(batch, frames, bins, channels)` or `(batch, channels, frames, bins)`.

        >>> layer = STFTSpectrogram(mode="log", frame_length=64, frame_step=32, fft_length=64)
        >>> layer(np.zeros((2, 1024, 1), "float32")).shape
        (2, 31, 33)
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
                 periodic=False, scaling="density", padding="valid", expand_dims=False, data_format=None,
                 **kwargs):
        owner = f"STFTSpectrogram '{kwargs.get('name') or 'stft_spectrogram'}'"
        if not is_int(frame_length) or frame_length < 1:
            raise ValueError(f"{owner}: `frame_length` must be a positive int; received frame_length={frame_length!r}")
        if frame_step is not None and (not is_int(frame_step) or not 1 <= frame_step <= frame_length):
            raise ValueError(f"{owner}: `frame_step` must be an int in [1, frame_length={frame_length}]; received "
                             f"frame_step={frame_step!r}")
        if fft_length is not None and (not is_int(fft_length) or fft_length < frame_length):
            raise ValueError(f"{owner}: `fft_length` must be an int not less than frame_length={frame_length}; "
                             f"received fft_length={fft_length!r}")
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(f"{owner}: `fft_length` is best a power of two; received fft_length={fft_length}.",
                          stacklevel=2)
        check_choice(owner, "mode", mode, _MODES)
        if scaling is not None:
            check_choice(owner, "scaling", scaling, ("density", "spectrum"))
        check_choice(owner, "padding", padding, ("valid", "same"))
        if isinstance(window, str):
            _scipy_window(window, 1, periodic)  # an unknown window name fails here, not at build time
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step, self.fft_length = mode, frame_length, frame_step, fft_length
        self.window, self.periodic, self.scaling, self.padding = window, periodic, scaling, padding
        self.expand_dims = expand_dims
        self.data_format = standardize_data_format(data_format, owner)
        self._frame_step = frame_step or frame_length // 2
        self._fft_length = fft_length or 2 ** math.ceil(math.log2(frame_length))
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        # Keras's weight order: the real kernel first, each only when the mode uses it.
        for side in ("real", "imag"):
            if self.mode != {"real": "imag", "imag": "real"}[side]:
                kernel = self.add_weight(name=f"{side}_kernel", shape=shape, initializer=initializers.STFT(
                    side, self.window, self.scaling, self.periodic))
                setattr(self, f"{side}_kernel", kernel)
        self.built = True

    def _transform(self, signals, kernel):
        """Per-channel convolution: `(batch, channels, frames, bins)` whatever the data format."""
        if self.data_format == "channels_last":
            batch, time, channels = signals.shape
            flat = jnp.reshape(jnp.swapaxes(signals, 1, 2), (-1, time, 1))
        else:
            batch, channels, time = signals.shape
            flat = jnp.reshape(signals, (-1, 1, time))
        out = ops.conv(flat, ops.cast(kernel, signals.dtype), strides=self._frame_step, padding=self.padding,
                       data_format=self.data_format)
        if self.data_format == "channels_first":
            out = jnp.swapaxes(out, 1, 2)
        return jnp.reshape(out, (-1, channels) + out.shape[1:])

    def _layout(self, spec):
        """`(batch, channels, frames, bins)` -> the documented output layout."""
        batch, channels, frames, bins = spec.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return jnp.transpose(spec, (0, 2, 3, 1))
            return jnp.reshape(jnp.transpose(spec, (0, 2, 1, 3)), (-1, frames, channels * bins))
        if self.expand_dims:
            return spec
        return jnp.reshape(jnp.swapaxes(spec, 2, 3), (-1, channels * bins, frames))

    def call(self, inputs):
        if inputs.dtype not in (jnp.float16, jnp.float32, jnp.float64):
            raise TypeError(f"STFTSpectrogram '{self.name}': inputs must be float16, float32 or float64; "
                            f"received dtype {inputs.dtype}")
        real = self._transform(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._transform(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode in ("real", "imag"):
            return self._layout(real if self.mode == "real" else imag)
        if self.mode == "angle":
            return self._layout(jnp.arctan2(imag, real))
        if self.mode == "stft":
            return self._layout(jnp.concatenate([real, imag], axis=-1))
        power = jnp.square(real) + jnp.square(imag)
        if self.mode == "psd":
            # One-sided power: every bin but DC and Nyquist also stands for its negative frequency.
            return self._layout(power + jnp.pad(power[..., 1:-1], [(0, 0)] * 3 + [(1, 1)]))
        eps = config.epsilon()
        magnitude = self._layout(jnp.sqrt(jnp.maximum(power, eps)))
        return magnitude if self.mode == "magnitude" else jnp.log(jnp.maximum(magnitude, eps))

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        channels, time = (input_shape[2], input_shape[1]) if self.data_format == "channels_last" else input_shape[1:]
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = -(-time // self._frame_step)
        else:
            frames = (time - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            return (batch, frames, bins, channels) if self.data_format == "channels_last" else \
                (batch, channels, frames, bins)
        features = None if channels is None else channels * bins
        return (batch, frames, features) if self.data_format == "channels_last" else (batch, features, frames)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length, "window": self.window,
                "periodic": self.periodic, "scaling": self.scaling, "padding": self.padding,
                "data_format": self.data_format, "expand_dims": self.expand_dims}
