"""The `STFT` initializer (`keras.initializers.STFT`): Fourier-basis kernels that turn a 1-D convolution into a
short-time Fourier transform, as `kerasj.layers.STFTSpectrogram` uses them. Exported through
`kerasj.initializers` (also as `STFTInitializer` and `stft`).

    >>> kernel = kerasj.initializers.STFT("real", "hann")((16, 1, 9))
    >>> kernel.shape
    (16, 1, 9)
"""
import jax.numpy as jnp
import numpy as np

from kerasj.initializers import Initializer, _standardize_shape
from kerasj.utils.argument_validation import check_choice
from kerasj.variables import standardize_dtype


def _scipy_window(window, length, periodic):
    try:
        from scipy.signal import get_window
    except ImportError as err:  # scipy comes with jax; this only guards a broken install
        raise ImportError("STFT: named windows need scipy (`pip install scipy`).") from err
    return get_window(window, length, fftbins=periodic)


class STFT(Initializer):
    """Kernels of shape `(frame_length, input_channels, fft_length // 2 + 1)` whose 1-D convolution with a
    signal gives the real (`side="real"`, cosines) or imaginary (`side="imag"`, negated sines) part of its
    STFT: `kernel[t, :, f] = window[t] * cos(-2 pi t f / fft_length) / scale`, with `fft_length = 2 * (bins - 1)`.

    Args:
        side: "real" or "imag".
        window: the name of a `scipy.signal.windows` window ("hann", "hamming", ...), an array of
            `frame_length` values, or None (no window).
        scaling: how the window is normalised: "density" (by its L2 norm), "spectrum" (by its L1 norm) or None.
        periodic: whether a named window is periodic (as for spectral analysis) rather than symmetric.

        >>> STFT("imag", "hamming", "spectrum", periodic=True)((8, 1, 5)).shape
        (8, 1, 5)
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        check_choice("STFT", "side", side, ("real", "imag"))
        if scaling is not None:
            check_choice("STFT", "scaling", scaling, ("density", "spectrum"))
        if isinstance(window, str):
            _scipy_window(window, 1, periodic)  # an unknown window name fails here, not at build time
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(shape, "STFT")
        if len(shape) != 3:
            raise ValueError(f"STFT: `shape` must be (frame_length, input_channels, fft_bins); received "
                             f"shape={shape}.")
        frame_length, _, bins = shape
        # Computed in float64 on the host (the phase t * f grows with the frame) and cast once.
        time = np.arange(frame_length, dtype="float64")[:, None, None]
        freq = np.arange(bins, dtype="float64")[None, None, :] / (2 * (bins - 1))
        phase = -2.0 * np.pi * time * freq
        kernel = np.cos(phase) if self.side == "real" else np.sin(phase)
        if self.window is not None:
            window = self.window
            if isinstance(window, str):
                window = _scipy_window(window, frame_length, self.periodic)
            window = np.asarray(window, dtype="float64")
            if window.shape != (frame_length,):
                raise ValueError(f"STFT: `window` must have shape ({frame_length},) (the frame length); "
                                 f"received shape {window.shape}.")
            scale = {"density": np.sqrt(np.sum(window ** 2)), "spectrum": np.sum(np.abs(window)),
                     None: 1.0}[self.scaling]
            kernel = kernel * window[:, None, None] / scale
        return jnp.asarray(np.broadcast_to(kernel, shape), dtype=standardize_dtype(dtype))

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}
