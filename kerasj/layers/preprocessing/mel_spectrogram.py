"""The MelSpectrogram preprocessing layer: audio signals to mel-scale (optionally decibel) spectrograms."""
import jax.numpy as jnp
import numpy as np

from kerasj.layers.layer import Layer
from kerasj.ops.signal import stft
from kerasj.utils.argument_validation import is_int

# The HTK mel scale: mel(f) = 1127 * ln(1 + f / 700).
_MEL_Q, _MEL_BREAK_HZ = 1127.0, 700.0


def _hz_to_mel(hertz):
    return _MEL_Q * np.log1p(np.asarray(hertz, "float64") / _MEL_BREAK_HZ)


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
                                upper_edge_hertz):
    """`(num_spectrogram_bins, num_mel_bins)` triangular filters mapping a linear spectrogram over
    `[0, sampling_rate / 2]` to mel bands spaced evenly on the mel scale between the two edges (HTK convention,
    peak 1; the DC bin maps to nothing), as `tf.signal.linear_to_mel_weight_matrix` defines them.

        >>> linear_to_mel_weight_matrix(4, 9, 8000, 100.0, 3800.0).shape
        (9, 4)
    """
    bins_mel = _hz_to_mel(np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:])[:, None]
    edges = np.linspace(_hz_to_mel(lower_edge_hertz), _hz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    rising, falling = (bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [(1, 0), (0, 0)]).astype("float32")


class MelSpectrogram(Layer):
    """Mel spectrograms of audio signals `(batch, samples)` (or one signal `(samples,)`): a centred STFT
    (`fft_length` bins, frames of `sequence_length` samples every `sequence_stride`, `window` "hann" /
    "hamming" / None), its magnitude raised to `mag_exp` (2: power), `num_mel_bins` triangular mel filters between
    `min_freq` and `max_freq` (default `sampling_rate / 2`) and, with `power_to_db`, decibels
    `10 * log10(max(S, min_power) / ref_power)` floored at `top_db` below the largest value of the batch.
    The output is `(batch, num_mel_bins, frames)`.

        >>> layer = MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=32)
        >>> layer(np.zeros((2, 1024), "float32")).shape
        (2, 32, 9)
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True,
                 top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs):
        owner = f"MelSpectrogram '{kwargs.get('name') or 'mel_spectrogram'}'"
        for arg, value in (("fft_length", fft_length), ("sequence_stride", sequence_stride),
                           ("num_mel_bins", num_mel_bins)):
            if not is_int(value) or value < 1:
                raise ValueError(f"{owner}: `{arg}` must be a positive int; received {arg}={value!r}")
        sequence_length = sequence_length or fft_length
        if not is_int(sequence_length) or not 1 <= sequence_length <= fft_length:
            raise ValueError(f"{owner}: `sequence_length` must be an int in [1, fft_length={fft_length}]; "
                             f"received sequence_length={sequence_length!r}")
        if window not in ("hann", "hamming", None):
            raise ValueError(f"{owner}: `window` must be 'hann', 'hamming' or None; received window={window!r}")
        super().__init__(**kwargs)
        self.fft_length, self.sequence_stride, self.sequence_length = fft_length, sequence_stride, sequence_length
        self.window, self.sampling_rate, self.num_mel_bins = window, sampling_rate, num_mel_bins
        self.min_freq, self.max_freq = min_freq, max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        self._mel_matrix = linear_to_mel_weight_matrix(num_mel_bins, fft_length // 2 + 1, sampling_rate,
                                                       min_freq, self.max_freq)
        self.built = True

    def call(self, inputs):
        # The STFT runs in float32 or float64 only; other compute dtypes come back at the end.
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        real, imag = stft(jnp.asarray(inputs, dtype), self.sequence_length, self.sequence_stride, self.fft_length,
                          window=self.window, center=True)
        spec = jnp.power(jnp.sqrt(jnp.square(real) + jnp.square(imag)), self.mag_exp)
        mel = jnp.tensordot(spec, jnp.asarray(self._mel_matrix, dtype), axes=1)
        if self.power_to_db:
            mel = 10.0 * jnp.log10(jnp.maximum(mel, self.min_power))
            mel = mel - 10.0 * jnp.log10(jnp.maximum(abs(self.ref_power), self.min_power))
            if self.top_db is not None:
                mel = jnp.maximum(mel, jnp.max(mel) - self.top_db)  # one floor for the whole batch, as in Keras
        return jnp.swapaxes(mel, -1, -2).astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        # The centred STFT pads fft_length // 2 samples on each side.
        frames = None if samples is None else 1 + (samples + 2 * (self.fft_length // 2) - self.fft_length) \
            // self.sequence_stride
        return tuple(input_shape[:-1]) + (self.num_mel_bins, frames)

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq, "power_to_db": self.power_to_db,
                "top_db": self.top_db, "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}
