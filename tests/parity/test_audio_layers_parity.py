"""STFTSpectrogram and MelSpectrogram against Keras 3.15 (JAX backend): outputs for every mode / layout /
window option, weight names and order (set_weights both ways), gradients of the trainable STFT kernels,
compute_output_shape, signatures and get_config (Keras configs read back)."""
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj

rng = np.random.default_rng(0)
SIGNAL = rng.normal(size=(2, 50, 2)).astype("float32")

STFT_CASES = [
    dict(mode="log", window="hamming", periodic=True), dict(mode="psd", padding="same", scaling="spectrum"),
    dict(mode="stft", expand_dims=True), dict(mode="angle", window=None, scaling=None),
    dict(mode="real", data_format="channels_first"),
    dict(mode="imag", fft_length=32, data_format="channels_first", expand_dims=True),
]



def _unnamed(config):
    # Default layer names are numbered from per-process counters, which depend on the tests run before.
    return {k: v for k, v in config.items() if k != "name"}

def _signal(kwargs):
    return SIGNAL.transpose(0, 2, 1) if kwargs.get("data_format") == "channels_first" else SIGNAL


@pytest.mark.parametrize("kwargs", STFT_CASES, ids=[c["mode"] for c in STFT_CASES])
def test_stft_spectrogram_matches_keras(kwargs):
    kwargs = dict(frame_length=16, frame_step=8, **kwargs)
    x = _signal(kwargs)
    theirs, ours = keras.layers.STFTSpectrogram(**kwargs), kerasj.layers.STFTSpectrogram(**kwargs)
    expected = np.asarray(theirs(x))
    ours.build(x.shape)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    # Our kernels start from the same STFT initializer values (Keras computes them in float32) ...
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # ... and with Keras's weights copied in, the outputs agree.
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x)), expected, rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape(x.shape) == tuple(theirs.compute_output_shape(x.shape)) == expected.shape
    assert _unnamed(ours.get_config()) == _unnamed(theirs.get_config())
    again = kerasj.layers.STFTSpectrogram.from_config(theirs.get_config())
    assert again.get_config() == theirs.get_config()


def test_stft_spectrogram_kernel_gradients_match_keras():
    kwargs = dict(mode="log", frame_length=16, frame_step=4, padding="same")
    theirs, ours = keras.layers.STFTSpectrogram(**kwargs), kerasj.layers.STFTSpectrogram(**kwargs)
    theirs.build(SIGNAL.shape)
    ours.build(SIGNAL.shape)
    # Perturbed kernels, copied from ours into Keras's layer (set_weights the other way round).
    ours.set_weights([w + 0.01 * rng.normal(size=w.shape).astype("float32") for w in ours.get_weights()])
    theirs.set_weights(ours.get_weights())

    def keras_loss(kernels):
        out, _ = theirs.stateless_call(kernels, [], SIGNAL)
        return jnp.mean(jnp.square(out))

    expected = jax.grad(keras_loss)([jnp.asarray(w) for w in theirs.get_weights()])
    _, grads = kerasj.value_and_grad(lambda: jnp.mean(jnp.square(ours(SIGNAL))), ours.trainable_weights)()
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-4, atol=1e-6)


def test_stft_spectrogram_non_trainable_and_signature():
    assert inspect.signature(kerasj.layers.STFTSpectrogram.__init__) == \
        inspect.signature(keras.layers.STFTSpectrogram.__init__)
    layer = kerasj.layers.STFTSpectrogram(mode="real", frame_length=8, trainable=False)
    layer.build((1, 32, 1))
    assert layer.trainable_weights == [] and [w.name for w in layer.non_trainable_weights] == ["real_kernel"]


MEL_CASES = [
    dict(top_db=20.0, ref_power=0.5, min_freq=100.0, max_freq=3000),
    dict(power_to_db=False, mag_exp=1.0, window="hamming", sequence_length=48),
]


@pytest.mark.parametrize("kwargs", MEL_CASES, ids=range(len(MEL_CASES)))
def test_mel_spectrogram_matches_keras(kwargs):
    kwargs = dict(fft_length=64, sequence_stride=16, num_mel_bins=10, sampling_rate=8000, **kwargs)
    x = SIGNAL[:, :, 0].reshape(1, -1)
    x = np.concatenate([x, 0.5 * x], axis=0)  # two signals of different loudness: top_db floors per batch
    theirs, ours = keras.layers.MelSpectrogram(**kwargs), kerasj.layers.MelSpectrogram(**kwargs)
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(np.asarray(ours(x)), expected, rtol=1e-5, atol=5e-5)
    assert ours.compute_output_shape(x.shape) == expected.shape
    assert _unnamed(ours.get_config()) == _unnamed(theirs.get_config())
    assert kerasj.layers.MelSpectrogram.from_config(theirs.get_config()).get_config() == theirs.get_config()


def test_mel_spectrogram_signature_and_weight_matrix():
    assert inspect.signature(kerasj.layers.MelSpectrogram.__init__) == \
        inspect.signature(keras.layers.MelSpectrogram.__init__)
    from kerasj.layers.preprocessing.mel_spectrogram import linear_to_mel_weight_matrix
    layer = keras.layers.MelSpectrogram()
    expected = layer.linear_to_mel_weight_matrix(num_mel_bins=12, num_spectrogram_bins=33, sampling_rate=16000,
                                                 lower_edge_hertz=20.0, upper_edge_hertz=8000.0)
    np.testing.assert_allclose(linear_to_mel_weight_matrix(12, 33, 16000, 20.0, 8000.0), np.asarray(expected),
                               atol=1e-5)
