"""Pooling layers: values against a naive numpy pooling (padding "same" averages over in-bounds elements only),
shape rules, global pooling with keepdims and masks, gradients, errors naming the layer, config round trips."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import layers


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def numpy_pool(x, pool, strides, padding, mode):
    """Naive channels-last pooling; with "same", out-of-bounds positions are skipped (not zero-filled)."""
    spatial = x.shape[1:-1]
    if padding == "valid":
        out_shape = [(n - p) // s + 1 for n, p, s in zip(spatial, pool, strides)]
        starts = [[i * s for i in range(o)] for o, s in zip(out_shape, strides)]
    else:
        out_shape = [-(-n // s) for n, s in zip(spatial, strides)]
        lows = [max((o - 1) * s + p - n, 0) // 2 for o, s, p, n in zip(out_shape, strides, pool, spatial)]
        starts = [[i * s - low for i in range(o)] for o, s, low in zip(out_shape, strides, lows)]
    out = np.zeros((x.shape[0],) + tuple(out_shape) + (x.shape[-1],), np.float64)
    for pos in np.ndindex(*out_shape):
        window = tuple(slice(max(st[i], 0), min(st[i] + p, n)) for st, i, p, n in zip(starts, pos, pool, spatial))
        patch = x[(slice(None),) + window + (slice(None),)].reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None),) + pos] = patch.max(axis=1) if mode == "max" else patch.mean(axis=1)
    return out


CLASSES = {("max", 1): layers.MaxPooling1D, ("max", 2): layers.MaxPooling2D, ("max", 3): layers.MaxPooling3D,
           ("average", 1): layers.AveragePooling1D, ("average", 2): layers.AveragePooling2D,
           ("average", 3): layers.AveragePooling3D}


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("rank,pool,strides,padding", [
    (1, 2, None, "valid"), (1, 3, 2, "same"), (1, 4, 1, "same"),
    (2, (2, 3), None, "valid"), (2, 3, 2, "same"), (2, (3, 2), (1, 2), "same"),
    (3, 2, None, "same"), (3, (1, 2, 3), 1, "valid"),
])
def test_pooling_matches_numpy(mode, rank, pool, strides, padding):
    x = rand(2, *([5, 7, 6][:rank]), 3)
    layer = CLASSES[(mode, rank)](pool, strides=strides, padding=padding)
    out = np.asarray(layer(x))
    pool_t = (pool,) * rank if isinstance(pool, int) else pool
    strides_t = pool_t if strides is None else ((strides,) * rank if isinstance(strides, int) else strides)
    expected = numpy_pool(x, pool_t, strides_t, padding, mode)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(x.shape) == out.shape


def test_same_average_pooling_does_not_count_padding():
    out = layers.AveragePooling1D(3, strides=1, padding="same")(np.ones((1, 4, 1), np.float32))
    np.testing.assert_allclose(out[0, :, 0], [1.0, 1.0, 1.0, 1.0])  # zero-padding would give 2/3 at the edges
    out = layers.AveragePooling1D(3, strides=1, padding="same")(np.arange(4, dtype=np.float32).reshape(1, 4, 1))
    np.testing.assert_allclose(out[0, :, 0], [0.5, 1.0, 2.0, 2.5])


def test_channels_first_is_channels_last_transposed():
    x = rand(2, 5, 6, 3)
    for cls in (layers.MaxPooling2D, layers.AveragePooling2D):
        last = np.asarray(cls(3, strides=2, padding="same")(x))
        first = cls(3, strides=2, padding="same", data_format="channels_first")
        out = np.asarray(first(np.transpose(x, (0, 3, 1, 2))))
        np.testing.assert_allclose(np.transpose(out, (0, 2, 3, 1)), last, rtol=1e-6)
        assert first.compute_output_shape((None, 3, 5, 6)) == (None, 3, 3, 3)


def test_defaults_and_unknown_sizes():
    layer = layers.MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert layer.compute_output_shape((None, None, 9, 4)) == (None, None, 4, 4)
    assert layers.AveragePooling1D().compute_output_shape((3, 8, 2)) == (3, 4, 2)  # tf.keras-style default
    assert layer.weights == [] and layer.built


def test_dtypes():
    ints = np.arange(16, dtype=np.int32).reshape(1, 4, 4, 1)
    assert layers.MaxPooling2D()(ints).dtype == jnp.int32
    np.testing.assert_array_equal(layers.MaxPooling2D()(ints)[0, :, :, 0], [[5, 7], [13, 15]])
    averaged = layers.AveragePooling2D(2)(ints)
    assert averaged.dtype == jnp.float32
    np.testing.assert_allclose(averaged[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    assert layers.GlobalAveragePooling2D()(ints).dtype == jnp.float32


def test_max_pooling_gradient_goes_to_the_maximum():
    x = np.array([[[1.0], [3.0], [2.0], [0.0]]], np.float32)
    grad = jax.jit(jax.grad(lambda v: jnp.sum(layers.MaxPooling1D(2)(v))))(x)
    np.testing.assert_array_equal(grad[0, :, 0], [0.0, 1.0, 1.0, 0.0])
    grad = jax.grad(lambda v: jnp.sum(layers.AveragePooling1D(3, strides=1, padding="same")(v)))(x)
    # position 0 is in windows 0 (2 elements) and 1 (3 elements): 1/2 + 1/3
    np.testing.assert_allclose(grad[0, :, 0], [1 / 2 + 1 / 3, 1 / 2 + 2 / 3, 2 / 3 + 1 / 2, 1 / 3 + 1 / 2],
                               rtol=1e-6)


# -- global pooling ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(rank, data_format, keepdims):
    x = rand(2, *([4, 3, 5][:rank]), 6)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    axes = tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))
    for cls, reduce in ((getattr(layers, f"GlobalMaxPooling{rank}D"), np.max),
                        (getattr(layers, f"GlobalAveragePooling{rank}D"), np.mean)):
        layer = cls(data_format=data_format, keepdims=keepdims)
        out = np.asarray(layer(x))
        np.testing.assert_allclose(out, reduce(x, axis=axes, keepdims=keepdims), rtol=1e-5, atol=1e-6)
        assert layer.compute_output_shape(x.shape) == out.shape


def test_global_average_pooling_1d_mask():
    x = np.arange(2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3)
    mask = np.array([[1, 1, 0, 0, 1], [1, 0, 0, 0, 0]], bool)
    out = np.asarray(layers.GlobalAveragePooling1D()(x, mask=mask))
    np.testing.assert_allclose(out, [x[0, [0, 1, 4]].mean(0), x[1, 0]])
    first = layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    out = np.asarray(first(np.transpose(x, (0, 2, 1)), mask=mask))
    np.testing.assert_allclose(out[..., 0], [x[0, [0, 1, 4]].mean(0), x[1, 0]])


# -- errors and config ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: layers.MaxPooling2D(0), "MaxPooling2D.*pool_size"),
    (lambda: layers.MaxPooling2D((2, 2, 2)), "MaxPooling2D.*pool_size.*2"),
    (lambda: layers.MaxPooling2D(2.0), "MaxPooling2D.*pool_size"),
    (lambda: layers.AveragePooling1D(2, strides=0), "AveragePooling1D.*strides"),
    (lambda: layers.MaxPooling1D(padding="causal"), r"MaxPooling1D.*padding.*\['valid', 'same'\]"),
    (lambda: layers.AveragePooling3D(data_format="NDHWC"), "AveragePooling3D.*data_format"),
    (lambda: layers.GlobalMaxPooling2D(data_format="x"), "GlobalMaxPooling2D.*data_format"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match="pool2.*ndim=4"):
        layers.MaxPooling2D(name="pool2")(rand(2, 3, 3))
    with pytest.raises(ValueError, match="pool3.*zero or negative"):
        layers.MaxPooling2D(3, name="pool3")(rand(1, 2, 2, 1))
    with pytest.raises(ValueError, match="gap.*ndim=3"):
        layers.GlobalAveragePooling1D(name="gap")(rand(2, 3, 3, 3))


@pytest.mark.parametrize("layer", [
    layers.MaxPooling1D(3, strides=1, padding="same", name="p1"),
    layers.AveragePooling2D((2, 3), padding="SAME", data_format="channels_first"),
    layers.MaxPooling3D(),
    layers.GlobalAveragePooling1D(keepdims=True),
    layers.GlobalMaxPooling3D(data_format="channels_first"),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config


def test_config_values():
    config = layers.AveragePooling2D((2, 3), padding="SAME").get_config()
    assert (config["pool_size"], config["strides"], config["padding"], config["data_format"]) == (
        (2, 3), (2, 3), "same", "channels_last")
    assert layers.GlobalMaxPooling1D().get_config()["keepdims"] is False


def test_aliases():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D
    assert layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D
