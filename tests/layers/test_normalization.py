"""Normalization layers against numpy formulas: BatchNormalization (batch statistics, moving averages,
frozen layers, masks, compiled code), LayerNormalization, GroupNormalization, UnitNormalization and the
Normalization preprocessing layer (adapt on arrays and on batches), plus their errors and configs."""
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj import layers


def data(shape, seed=0):
    return (np.random.default_rng(seed).normal(size=shape) * 3.0 + 1.0).astype(np.float32)


def np_normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


# -- BatchNormalization ---------------------------------------------------------------------------------

def test_batch_normalization_weights_in_keras_order():
    bn = layers.BatchNormalization()
    bn.build((None, 3))
    assert [v.path for v in bn.weights] == [f"{bn.name}/{n}" for n in
                                            ("gamma", "beta", "moving_mean", "moving_variance")]
    assert [v.trainable for v in bn.weights] == [True, True, False, False]
    np.testing.assert_array_equal(bn.get_weights()[0], np.ones(3))
    np.testing.assert_array_equal(bn.get_weights()[3], np.ones(3))
    bn = layers.BatchNormalization(center=False, scale=False)
    bn.build((None, 3))
    assert [v.name for v in bn.weights] == ["moving_mean", "moving_variance"]


def test_batch_normalization_training_uses_batch_statistics_and_updates_moving_ones():
    x = data((8, 3))
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    out = bn(x, training=True)
    np.testing.assert_allclose(out, np_normalize(x, 0, 1e-3), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * x.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * x.var(0), rtol=1e-5)
    # inference uses the moving statistics and changes nothing
    stats = [bn.moving_mean.numpy(), bn.moving_variance.numpy()]
    expected = (x - stats[0]) / np.sqrt(stats[1] + 1e-3)
    np.testing.assert_allclose(bn(x), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn(x, training=False), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), stats[0])


def test_batch_normalization_channels_first_and_gamma_beta():
    x = data((4, 3, 2, 2))
    bn = layers.BatchNormalization(axis=1, gamma_initializer="zeros", beta_initializer="ones")
    bn.build(x.shape)
    gamma, beta = np.array([1.0, 2.0, 0.5], np.float32), np.array([0.0, -1.0, 3.0], np.float32)
    bn.set_weights([gamma, beta, np.zeros(3), np.ones(3)])
    out = bn(x, training=True)
    expected = np_normalize(x, (0, 2, 3), 1e-3) * gamma[:, None, None] + beta[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=f"{bn.name}.*axis 1"):
        bn(data((4, 5, 2, 2)))
    with pytest.raises(ValueError, match=f"{bn.name}.*ndim=4"):
        bn(data((4, 3, 2)))


def test_frozen_batch_normalization_uses_moving_statistics_even_when_training():
    x = data((8, 3))
    bn = layers.BatchNormalization()
    bn.build(x.shape)
    bn.set_weights([np.ones(3), np.zeros(3), np.full(3, 2.0), np.full(3, 4.0)])
    bn.trainable = False
    out = bn(x, training=True)
    np.testing.assert_allclose(out, (x - 2.0) / np.sqrt(4.0 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.full(3, 2.0))
    assert bn.trainable_weights == []


def test_batch_normalization_mask_weights_the_statistics():
    x = data((4, 5, 2))
    mask = np.random.default_rng(1).random((4, 5)) > 0.3
    bn = layers.BatchNormalization(momentum=0.0)  # moving statistics become the batch statistics
    bn(x, training=True, mask=mask)
    kept = x[mask]  # (n, 2): the unmasked timesteps
    np.testing.assert_allclose(bn.moving_mean.numpy(), kept.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), kept.var(0), rtol=1e-5)


def test_batch_normalization_updates_inside_compiled_function():
    x = data((6, 2))
    bn = layers.BatchNormalization(momentum=0.5)
    bn.build(x.shape)
    step = kerasj.function(lambda batch: bn(batch, training=True))
    step(x)
    step(x)
    # two updates: m = 0.5 * (0.5 * 0 + 0.5 * mean) + 0.5 * mean = 0.75 * mean
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.75 * x.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.25 + 0.75 * x.var(0), rtol=1e-5)


def test_batch_normalization_in_a_model_trains_in_fit_and_not_in_predict():
    x, y = data((16, 3)), data((16, 1), seed=1)
    model = kerasj.Sequential([kerasj.Input((3,)), layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.layers[0].moving_mean.numpy(), np.zeros(3))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    np.testing.assert_allclose(model.layers[0].moving_mean.numpy(), 0.01 * x.mean(0), rtol=1e-5, atol=1e-7)


def test_batch_normalization_regularizer_config_and_errors():
    bn = layers.BatchNormalization(axis=1, momentum=0.8, gamma_regularizer="l2", beta_constraint="non_neg")
    bn.build((None, 2, 3))
    assert len(bn.losses) == 1
    np.testing.assert_allclose(bn.losses[0], 0.01 * 2.0, rtol=1e-6)  # l2(0.01) of gamma = ones(2)
    config = bn.get_config()
    assert config["axis"] == 1 and config["momentum"] == 0.8 and config["synchronized"] is False
    clone = layers.BatchNormalization.from_config(config)
    assert clone.get_config() == config
    with pytest.raises(ValueError, match="out of range"):
        layers.BatchNormalization(axis=3)(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match="axis"):
        layers.BatchNormalization(axis=[1])
    with pytest.raises(ValueError, match="must be known"):
        layers.BatchNormalization().build((None, None))
    with pytest.raises(NotImplementedError, match="renorm"):
        layers.BatchNormalization(renorm=True)


def test_batch_normalization_half_precision_policy():
    bn = layers.BatchNormalization(dtype="mixed_bfloat16")
    out = bn(data((4, 3)), training=True)
    assert out.dtype == jnp.bfloat16
    assert all(v.dtype == "float32" for v in bn.weights)


# -- LayerNormalization ---------------------------------------------------------------------------------

@pytest.mark.parametrize("axis,axes", [(-1, (2,)), ([1, 2], (1, 2)), (1, (1,))])
def test_layer_normalization_matches_formula(axis, axes):
    x = data((2, 3, 4))
    ln = layers.LayerNormalization(axis=axis, epsilon=1e-5)
    ln.build(x.shape)
    shape = tuple(x.shape[a] for a in axes)
    assert [v.shape for v in ln.weights] == [shape, shape]
    rng = np.random.default_rng(2)
    gamma, beta = rng.uniform(0.5, 2, shape).astype(np.float32), rng.normal(size=shape).astype(np.float32)
    ln.set_weights([gamma, beta])
    bshape = [x.shape[i] if i in axes else 1 for i in range(3)]
    expected = np_normalize(x, axes, 1e-5) * gamma.reshape(bshape) + beta.reshape(bshape)
    np.testing.assert_allclose(ln(x), expected, rtol=1e-5, atol=1e-5)


def test_layer_normalization_options():
    x = data((3, 5))
    ln = layers.LayerNormalization(center=False, scale=False)
    np.testing.assert_allclose(ln(x), np_normalize(x, 1, 1e-3), rtol=1e-5, atol=1e-5)
    assert ln.weights == []
    with pytest.warns(UserWarning, match="rms_scaling"):
        rms = layers.LayerNormalization(rms_scaling=True)
    np.testing.assert_allclose(rms(x), x / np.sqrt(x.var(1, keepdims=True) + 1e-3), rtol=1e-5)
    assert [v.name for v in rms.weights] == ["gamma"]
    assert ln.compute_output_shape((None, 5)) == (None, 5)
    with pytest.raises(TypeError, match="LayerNormalization.*axis"):
        layers.LayerNormalization(axis="last")
    built = layers.LayerNormalization(axis=-1)
    built.build((None, 5))
    with pytest.raises(ValueError, match=built.name):
        built(np.ones((2, 4), np.float32))


# -- GroupNormalization ---------------------------------------------------------------------------------

def np_group_norm(x, groups, axis, eps):
    x = np.moveaxis(x, axis, -1)
    shape = x.shape
    g = x.reshape(shape[0], -1, groups, shape[-1] // groups)
    out = (g - g.mean(axis=(1, 3), keepdims=True)) / np.sqrt(g.var(axis=(1, 3), keepdims=True) + eps)
    return np.moveaxis(out.reshape(shape), -1, axis)


@pytest.mark.parametrize("shape,groups,axis", [((2, 4, 3, 6), 3, -1), ((2, 6, 4, 3), 2, 1), ((3, 8), 4, -1),
                                               ((2, 5, 4), 1, -1), ((2, 5, 4), 4, -1)])
def test_group_normalization_matches_formula(shape, groups, axis):
    x = data(shape)
    gn = layers.GroupNormalization(groups=groups, axis=axis, gamma_initializer="ones")
    expected = np_group_norm(x, groups, axis, 1e-3)
    np.testing.assert_allclose(gn(x), expected, rtol=1e-4, atol=1e-4)
    assert [v.name for v in gn.weights] == ["gamma", "beta"]
    assert gn.weights[0].shape == (shape[axis],)


def test_group_normalization_errors_name_the_layer():
    with pytest.raises(ValueError, match="more than the number of channels"):
        layers.GroupNormalization(groups=8)(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match="multiple of the number of groups"):
        layers.GroupNormalization(groups=4)(np.ones((2, 6), np.float32))
    with pytest.raises(ValueError, match="must be known"):
        layers.GroupNormalization(groups=2, axis=1).build((None, None, 3))
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)
    gn = layers.GroupNormalization(groups=2)
    gn.build((None, 4))
    with pytest.raises(ValueError, match=gn.name):
        gn(np.ones((2, 6), np.float32))


# -- UnitNormalization ----------------------------------------------------------------------------------

@pytest.mark.parametrize("axis,axes", [(-1, (2,)), ([1, 2], (1, 2))])
def test_unit_normalization_gives_unit_norms(axis, axes):
    x = data((2, 3, 4))
    x[0, 0] = 0.0
    out = np.asarray(layers.UnitNormalization(axis=axis)(x))
    np.testing.assert_allclose(out, x / np.sqrt((x ** 2).sum(axis=axes, keepdims=True)).clip(1e-12), rtol=1e-5)
    if axis == -1:
        np.testing.assert_array_equal(out[0, 0], 0.0)
    assert layers.UnitNormalization(axis=[1, 2]).get_config()["axis"] == [1, 2]


# -- Normalization (preprocessing) ----------------------------------------------------------------------

def test_normalization_adapt_and_call():
    x = data((10, 3))
    layer = layers.Normalization()
    layer.adapt(x)
    assert [v.name for v in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == []
    np.testing.assert_allclose(layer.adapt_mean.numpy(), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), x.var(0), rtol=1e-5)
    np.testing.assert_allclose(layer(x), (x - x.mean(0)) / x.std(0), rtol=1e-4, atol=1e-5)
    assert layer.mean.shape == (1, 3)
    layer.adapt(x * 2.0)  # adapting again replaces the statistics
    np.testing.assert_allclose(layer.adapt_mean.numpy(), 2.0 * x.mean(0), rtol=1e-5)


@pytest.mark.parametrize("axis,keep", [((1, 2), (1, 2)), (None, ()), (1, (1,))])
def test_normalization_axes(axis, keep):
    x = data((6, 2, 3))
    layer = layers.Normalization(axis=axis)
    layer.adapt(x)
    reduce = tuple(d for d in range(3) if d not in keep)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), x.mean(axis=reduce), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), x.var(axis=reduce), rtol=1e-5)


def test_normalization_adapt_on_batches_equals_adapt_on_all_data():
    x = data((17, 4))
    layer = layers.Normalization()
    layer.adapt(x[i:i + 4] for i in range(0, 17, 4))
    np.testing.assert_allclose(layer.adapt_mean.numpy(), x.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), x.var(0), rtol=1e-5)


def test_normalization_given_statistics_and_invert():
    x = data((5, 2))
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    np.testing.assert_allclose(layer(x), (x - [1.0, 2.0]) / [2.0, 3.0], rtol=1e-6)
    assert layer.weights == []
    inverse = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(inverse(layer(x)), x, rtol=1e-5, atol=1e-6)
    # a zero variance divides by epsilon instead of zero
    flat = layers.Normalization(mean=0.0, variance=0.0)
    np.testing.assert_allclose(flat(np.array([[0.0, 1e-7]], np.float32)), [[0.0, 1.0]], rtol=1e-5)
    config = layer.get_config()
    assert config["mean"] == [1.0, 2.0] and config["axis"] == (-1,)
    np.testing.assert_allclose(layers.Normalization.from_config(config)(x), layer(x))


def test_normalization_in_a_model():
    x = data((8, 3))
    norm = layers.Normalization()
    norm.adapt(x)
    model = kerasj.Sequential([kerasj.Input((3,)), norm, layers.Dense(2)])
    assert len(model.get_weights()) == 5  # kernel, bias (trainable first), then mean, variance, count
    out = model.predict(x, verbose=0)
    dense = model.layers[1]
    expected = ((x - x.mean(0)) / x.std(0)) @ dense.kernel.numpy() + dense.bias.numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_normalization_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(TypeError, match="axis"):
        layers.Normalization(axis="a")
    with pytest.raises(ValueError, match="adapt\\(\\) cannot be used"):
        layers.Normalization(mean=1.0, variance=1.0).adapt(np.ones((2, 2)))
    layer = layers.Normalization()
    layer.adapt(np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match=layer.name):
        layer(np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match="no data"):
        layers.Normalization().adapt(iter([]))
    with pytest.raises(ValueError, match="out of range"):
        layers.Normalization(axis=3).adapt(np.ones((2, 3)))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(np.ones((2, 3), np.float32))
