"""STFTSpectrogram and MelSpectrogram in models: .keras save/load, training the STFT kernels with fit, the
symbolic output shape, and early errors for bad arguments and inputs."""
import numpy as np
import pytest

import kerasj
from kerasj import layers

rng = np.random.default_rng(0)


def test_save_load_and_fit(tmp_path):
    signal = kerasj.Input((64, 1))
    spec = layers.STFTSpectrogram(mode="log", frame_length=16, frame_step=8, name="stft")(signal)
    assert spec.shape == (None, 7, 9)
    model = kerasj.Model(signal, layers.Dense(1)(layers.Flatten()(spec)))
    model.compile(optimizer="sgd", loss="mse")
    x, y = rng.normal(size=(8, 64, 1)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    before = model.get_layer("stft").get_weights()
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    after = model.get_layer("stft").get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))  # the STFT kernels trained
    model.save(tmp_path / "stft.keras")
    loaded = kerasj.saving.load_model(tmp_path / "stft.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)

    audio = kerasj.Input((256,))
    mel = kerasj.Model(audio, layers.MelSpectrogram(fft_length=64, sequence_stride=32, num_mel_bins=8)(audio))
    mel.save(tmp_path / "mel.keras")
    again = kerasj.saving.load_model(tmp_path / "mel.keras")
    sound = rng.normal(size=(2, 256)).astype("float32")
    out = again.predict(sound, verbose=0)
    assert out.shape == (2, 8, 9)
    np.testing.assert_allclose(out, mel.predict(sound, verbose=0), rtol=1e-6)
    single = mel.layers[-1](sound[0])  # one unbatched signal
    assert single.shape == (8, 9)


@pytest.mark.parametrize("kwargs,match", [
    (dict(mode="power"), "mode"), (dict(frame_length=8, frame_step=9), "frame_step"),
    (dict(frame_length=8, fft_length=4), "fft_length"), (dict(scaling="l2"), "scaling"),
    (dict(padding="causal"), "padding"), (dict(data_format="nhwc"), "data_format"),
])
def test_stft_spectrogram_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.STFTSpectrogram(**kwargs)


def test_stft_spectrogram_input_errors_and_warning():
    with pytest.warns(UserWarning, match="power of two"):
        layers.STFTSpectrogram(frame_length=8, fft_length=12)
    layer = layers.STFTSpectrogram(frame_length=8)
    with pytest.raises(ValueError):
        layer(np.ones((2, 32), "float32"))  # rank 2: expected (batch, time, channels)
    with pytest.raises(TypeError, match="float"):
        layers.STFTSpectrogram(frame_length=8, dtype="int32")(np.ones((1, 32, 1), "int32"))


@pytest.mark.parametrize("kwargs,match", [
    (dict(fft_length=64, sequence_length=128), "sequence_length"), (dict(window="blackman"), "window"),
    (dict(sequence_stride=0), "sequence_stride"),
])
def test_mel_spectrogram_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.MelSpectrogram(**kwargs)
