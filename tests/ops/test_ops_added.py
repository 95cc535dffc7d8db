"""Behaviour of the added ops beyond Keras parity: symbolic (KerasTensor) calls and output shapes, jit,
independent references (numpy FFT for stft, einsum-free transposes for rearrange, the adjoint identity for
fold/unfold), and early, descriptive errors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj import ops

rng = np.random.default_rng(0)


def test_stft_equals_windowed_numpy_rfft():
    x = rng.normal(size=(3, 32)).astype("float32")
    real, imag = ops.stft(x, 8, 4, 16, window="hann", center=False)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(8) / 8)  # the periodic Hann window
    window = np.pad(hann, (4, 4))
    frames = np.stack([x[:, i:i + 16] for i in range(0, 32 - 16 + 1, 4)], axis=1)
    expected = np.fft.rfft(frames * window, axis=-1)
    np.testing.assert_allclose(np.asarray(real), expected.real, atol=1e-5)
    np.testing.assert_allclose(np.asarray(imag), expected.imag, atol=1e-5)


def test_stft_istft_round_trip_under_jit():
    x = rng.normal(size=(2, 64)).astype("float32")
    round_trip = jax.jit(lambda s: ops.istft(ops.stft(s, 16, 4, 16), 16, 4, 16, length=64))
    np.testing.assert_allclose(np.asarray(round_trip(x)), x, atol=1e-4)


def test_fold_is_the_adjoint_of_unfold():
    # <unfold(x), y> == <x, fold(y)> for every x, y: fold sums the blocks unfold copies out.
    x = rng.normal(size=(2, 3, 7, 6)).astype("float32")
    args = dict(kernel_size=(3, 2), dilation=(2, 1), padding=(1, 0), stride=(2, 2))
    cols = ops.unfold(x, **args)
    y = rng.normal(size=cols.shape).astype("float32")
    lhs = float(jnp.sum(cols * y))
    rhs = float(jnp.sum(x * ops.fold(y, output_size=(7, 6), **args)))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4)


def test_rearrange_equals_reshape_and_transpose():
    x = rng.normal(size=(2, 3, 4, 6)).astype("float32")
    out = ops.rearrange(x, "b c (h p) (w q) -> b (h w) (p q c)", p=2, q=3)
    expected = x.reshape(2, 3, 2, 2, 2, 3).transpose(0, 2, 4, 3, 5, 1).reshape(2, 4, 18)
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_polar_and_windows_against_math():
    z = ops.polar(np.array([2.0, 1.0], "float32"), np.array([np.pi / 2, np.pi], "float32"))
    np.testing.assert_allclose(np.asarray(z), [2j, -1.0], atol=1e-6)
    np.testing.assert_allclose(np.asarray(ops.hanning(5)), [0.0, 0.5, 1.0, 0.5, 0.0], atol=1e-7)
    assert ops.numpy.bartlett(4).dtype == np.float32


def test_symbolic_calls_give_graph_nodes_with_output_shapes():
    signal = kerasj.Input((40,))
    real, imag = ops.stft(signal, 8, 4, 8)
    assert real.shape == imag.shape == (None, 11, 5)
    restored = ops.istft((real, imag), 8, 4, 8)
    assert restored.shape == (None, 40)
    image = kerasj.Input((3, 6, 5))
    cols = ops.unfold(image, 2)
    assert cols.shape == (None, 12, 20) and ops.fold(cols, (6, 5), 2).shape == (None, 3, 6, 5)
    assert ops.rearrange(image, "b c h w -> b h (w c)").shape == (None, 6, 15)
    assert ops.nancumsum(image, axis=1).shape == (None, 3, 6, 5)
    model = kerasj.Model(signal, restored)
    x = rng.normal(size=(2, 40)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), x, atol=1e-4)


@pytest.mark.parametrize("call,match", [
    (lambda: ops.stft(np.ones(16, "int32"), 4, 2, 4), "float32"),
    (lambda: ops.stft(np.ones(16, "float32"), 8, 2, 4), "fft_length"),
    (lambda: ops.stft(np.ones(16, "float32"), 4, 0, 4), "sequence_stride"),
    (lambda: ops.stft(np.ones(16, "float32"), 4, 2, 4, window="bartlett"), "window"),
    (lambda: ops.stft(np.ones(16, "float32"), 4, 2, 4, window=np.ones(3)), "window"),
    (lambda: ops.istft((np.ones(5, "float32"), np.ones(5, "float32")), 4, 2, 8), "at least 2"),
    (lambda: ops.unfold(np.ones((2, 3, 4)), 2), "4-D"),
    (lambda: ops.unfold(np.ones((1, 1, 4, 4)), (2, 2, 2)), "kernel_size"),
    (lambda: ops.fold(np.ones((1, 5, 4)), 3, 2), "multiple"),
    (lambda: ops.fold(np.ones((1, 4, 5)), 3, 2), "blocks"),
    (lambda: ops.polar(np.ones(2, "int32"), np.ones(2, "float32")), "float"),
    (lambda: ops.rearrange(np.ones((2, 3)), "a b c -> a b c"), "input axes"),
    (lambda: ops.rearrange(np.ones((2, 3)), "a b -> a"), "same axes"),
    (lambda: ops.rearrange(np.ones((2, 6)), "a (b c) -> a b c"), "infer"),
    (lambda: ops.rearrange(np.ones((2, 6)), "a (b c) -> a b c", b=4), "size 6"),
    (lambda: ops.rearrange(np.ones((2, 6)), "a b -> (a b"), "unbalanced"),
    (lambda: ops.histogram(np.ones(4), bins=2.5), "bins"),
    (lambda: ops.histogram(np.ones(4), range=(2.0, 1.0)), "range"),
    (lambda: ops.histogram(np.ones((2, 2))), "1-D"),
])
def test_bad_input_fails_early_with_a_clear_message(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
