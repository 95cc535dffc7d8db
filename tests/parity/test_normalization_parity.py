"""Normalization layers in kerasj and Keras 3 (JAX backend): same weights in, same outputs, moving statistics,
weight names and shapes, output shapes and configs; Normalization.adapt gives the same statistics; a model
with BatchNormalization trained with fit ends with the same weights and statistics."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

RTOL, ATOL = 1e-5, 1e-5

pytestmark = pytest.mark.filterwarnings("ignore:.*rms_scaling.*:UserWarning")


def random_weights(layer, rng):
    """Random values for every weight; variances (and scales) positive, so nothing is degenerate."""
    out = []
    for w in layer.weights:
        name = w.path.split("/")[-1]
        value = rng.uniform(0.5, 2.0, w.shape) if name in ("gamma", "moving_variance") else rng.normal(size=w.shape)
        out.append(value.astype(np.float32))
    return out


def pair(name, x, **kwargs):
    """The same layer in both libraries, built on `x`, with the same random weights."""
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = getattr(kerasj.layers, name)(**kwargs)
    theirs.build(x.shape)
    ours.build(x.shape)
    weights = random_weights(theirs, np.random.default_rng(7))
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


def assert_same_weights(ours, theirs):
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def assert_config_matches(ours, theirs):
    mine, ref = ours.get_config(), theirs.get_config()
    assert sorted(mine) == sorted(ref)
    for key in ref:
        if key != "name":
            assert mine[key] == ref[key], key
    rebuilt = type(ours).from_config(mine)
    assert rebuilt.get_config() == mine
    # A config written by Keras rebuilds the kerasj layer too.
    assert type(ours).from_config(ref).get_config() == {**mine, "name": ref["name"]}


def data(shape, seed=0):
    return (np.random.default_rng(seed).normal(size=shape) * 2.0 + 0.5).astype(np.float32)


BN_CASES = [
    ((6, 5), {}),
    ((6, 5), {"momentum": 0.9, "epsilon": 1e-2}),
    ((6, 5), {"center": False}),
    ((6, 5), {"scale": False}),
    ((6, 5), {"center": False, "scale": False}),
    ((4, 3, 5), {"axis": 1, "momentum": 0.5}),
    ((3, 4, 2, 5), {"axis": -1}),
    ((3, 4, 2, 5), {"axis": 1}),  # channels_first
    ((3, 4, 2, 5), {"axis": 2, "gamma_initializer": "zeros", "beta_initializer": "ones"}),
]


@pytest.mark.parametrize("shape,kwargs", BN_CASES)
def test_batch_normalization_matches_keras(shape, kwargs):
    x = data(shape)
    ours, theirs = pair("BatchNormalization", x, **kwargs)
    assert_same_weights(ours, theirs)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=RTOL, atol=ATOL)  # inference: moving statistics
    np.testing.assert_allclose(ours(x, training=True), theirs(x, training=True), rtol=RTOL, atol=ATOL)
    assert_same_weights(ours, theirs)  # moving statistics updated the same way
    y = data(shape, seed=1)
    np.testing.assert_allclose(ours(y, training=True), theirs(y, training=True), rtol=RTOL, atol=ATOL)
    assert_same_weights(ours, theirs)
    assert ours.compute_output_shape((None,) + shape[1:]) == theirs.compute_output_shape((None,) + shape[1:])
    assert_config_matches(ours, theirs)


def test_batch_normalization_with_mask_matches_keras():
    x = data((5, 4, 3))
    mask = np.random.default_rng(2).random((5, 4)) > 0.4
    ours, theirs = pair("BatchNormalization", x, momentum=0.8)
    np.testing.assert_allclose(ours(x, training=True, mask=mask), theirs(x, training=True, mask=mask),
                               rtol=RTOL, atol=ATOL)
    assert_same_weights(ours, theirs)


def test_frozen_batch_normalization_runs_in_inference_mode_like_keras():
    x = data((6, 5))
    ours, theirs = pair("BatchNormalization", x)
    before = theirs.get_weights()
    ours.trainable = theirs.trainable = False
    np.testing.assert_allclose(ours(x, training=True), theirs(x, training=True), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours(x, training=True), theirs(x, training=False), rtol=RTOL, atol=ATOL)
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert_same_weights(ours, theirs)
    assert ours.trainable_weights == [] and len(ours.non_trainable_weights) == 4


LN_CASES = [
    ((4, 6), {}),
    ((4, 6), {"epsilon": 1e-5, "center": False}),
    ((4, 6), {"scale": False}),
    ((3, 4, 6), {"axis": [1, 2]}),
    ((3, 4, 6), {"axis": 1}),
    ((3, 4, 6), {"axis": (-2,)}),
    ((3, 4, 6), {"rms_scaling": True}),
    ((3, 4, 6), {"rms_scaling": True, "scale": False, "center": False}),
]


@pytest.mark.parametrize("shape,kwargs", LN_CASES)
def test_layer_normalization_matches_keras(shape, kwargs):
    x = data(shape)
    ours, theirs = pair("LayerNormalization", x, **kwargs)
    assert_same_weights(ours, theirs)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    np.testing.assert_allclose(ours(x), theirs(x), rtol=RTOL, atol=ATOL)
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)
    assert_config_matches(ours, theirs)


GN_CASES = [
    ((2, 5, 3, 6), {"groups": 3}),
    ((2, 5, 3, 6), {"groups": 1}),
    ((2, 5, 3, 6), {"groups": 6, "center": False}),
    ((2, 6, 5, 3), {"groups": 2, "axis": 1}),  # channels_first
    ((3, 8), {"groups": 4, "scale": False, "epsilon": 1e-5}),
    ((3, 7, 4), {"groups": 2}),
]


@pytest.mark.parametrize("shape,kwargs", GN_CASES)
def test_group_normalization_matches_keras(shape, kwargs):
    x = data(shape)
    ours, theirs = pair("GroupNormalization", x, **kwargs)
    assert_same_weights(ours, theirs)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=RTOL, atol=ATOL)
    assert ours.compute_output_shape(shape) == theirs.compute_output_shape(shape)
    assert_config_matches(ours, theirs)


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_unit_normalization_matches_keras(axis):
    x = data((3, 4, 5))
    x[0, 1] = 0.0
    x[1, 2] = 1e-14  # below the norm floor
    ours, theirs = kerasj.layers.UnitNormalization(axis=axis), keras.layers.UnitNormalization(axis=axis)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=RTOL, atol=ATOL)
    assert ours.weights == []
    assert_config_matches(ours, theirs)


@pytest.mark.parametrize("name,kwargs", [("BatchNormalization", {}), ("LayerNormalization", {}),
                                         ("GroupNormalization", {"groups": 2}), ("UnitNormalization", {})])
def test_mixed_precision_matches_keras(name, kwargs):
    x = data((4, 6))
    ours, theirs = pair(name, x, dtype="mixed_bfloat16", **kwargs)
    out = ours(x, training=True) if name == "BatchNormalization" else ours(x)
    ref = theirs(x, training=True) if name == "BatchNormalization" else theirs(x)
    assert str(out.dtype) == str(ref.dtype) == "bfloat16"
    assert [w.dtype for w in ours.weights] == [w.dtype for w in theirs.weights]
    np.testing.assert_allclose(np.asarray(out, np.float32), np.asarray(ref, np.float32), rtol=1e-2, atol=1e-2)
    assert_same_weights(ours, theirs)


# -- Normalization (preprocessing) ----------------------------------------------------------------------

@pytest.mark.parametrize("axis,shape", [(-1, (20, 4)), (-1, (10, 3, 4)), ((1, 2), (10, 3, 4)), (None, (10, 3, 4)),
                                        (1, (10, 3, 4)), (0, (5, 3))])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_adapt_matches_keras(axis, shape, invert):
    x = data(shape)
    ours = kerasj.layers.Normalization(axis=axis, invert=invert)
    theirs = keras.layers.Normalization(axis=axis, invert=invert)
    ours.adapt(x)
    theirs.adapt(x)
    assert [w.path for w in ours.weights] == [w.path.replace(theirs.name, ours.name) for w in theirs.weights]
    assert [w.dtype for w in ours.weights] == [w.dtype for w in theirs.weights]
    assert not any(w.trainable for w in ours.weights)
    assert_same_weights(ours, theirs)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.variance, theirs.variance, rtol=RTOL, atol=ATOL)
    y = data(shape, seed=3)
    np.testing.assert_allclose(ours(y), theirs(y), rtol=RTOL, atol=ATOL)
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))
    assert_config_matches(ours, theirs)


def test_normalization_adapt_on_batches_equals_keras_on_all_data():
    x = data((23, 2, 3))
    ours = kerasj.layers.Normalization(axis=-1)
    ours.adapt(x[i:i + 5] for i in range(0, 23, 5))  # a generator of uneven batches
    theirs = keras.layers.Normalization(axis=-1)
    theirs.adapt(x)
    assert_same_weights(ours, theirs)


@pytest.mark.parametrize("mean,variance,axis", [(2.0, 4.0, -1), ([1.0, 2.0, 3.0], [4.0, 9.0, 0.25], -1),
                                                (np.array([1.0, -1.0]), np.array([2.0, 3.0]), 1)])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_with_given_statistics_matches_keras(mean, variance, axis, invert):
    x = data((4, 2, 3))
    ours = kerasj.layers.Normalization(axis=axis, mean=mean, variance=variance, invert=invert)
    theirs = keras.layers.Normalization(axis=axis, mean=mean, variance=variance, invert=invert)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=RTOL, atol=ATOL)
    assert ours.weights == [] and theirs.weights == []
    np.testing.assert_allclose(ours.mean, theirs.mean)
    assert_config_matches(ours, theirs)


def test_normalization_zero_variance_and_integer_inputs_match_keras():
    x = np.array([[1, 2], [1, 4]], dtype=np.int32)
    ours, theirs = kerasj.layers.Normalization(), keras.layers.Normalization()
    ours.adapt(x.astype(np.float32))
    theirs.adapt(x.astype(np.float32))
    np.testing.assert_allclose(ours(x), theirs(x), rtol=RTOL, atol=ATOL)
    assert str(ours(x).dtype) == "float32"


# -- training with fit ---------------------------------------------------------------------------------

def bn_model(lib):
    """A trainable BatchNormalization early, a frozen one (trainable=False) late. Kernels start at zero (every
    weight is then replaced by random_weights): a random initializer compiles a program per kernel shape."""
    model = lib.Sequential([
        lib.Input((3, 4)),
        lib.layers.Dense(6, kernel_initializer="zeros"),
        lib.layers.BatchNormalization(momentum=0.8),
        lib.layers.LayerNormalization(),
        lib.layers.GroupNormalization(groups=2),
        lib.layers.Flatten(),
        lib.layers.Dense(5, activation="relu", kernel_initializer="zeros"),
        lib.layers.BatchNormalization(momentum=0.9),
        lib.layers.Dense(3, activation="softmax", kernel_initializer="zeros"),
    ])
    model.layers[-2].trainable = False
    return model


def test_fit_updates_batch_statistics_like_keras_and_keeps_frozen_ones():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 3, 4)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    ours, theirs = bn_model(kerasj), bn_model(keras)
    weights = random_weights(theirs, np.random.default_rng(6))
    theirs.set_weights(weights)
    ours.set_weights(weights)
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1, momentum=0.5), loss="sparse_categorical_crossentropy")
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-4)
    assert len(ours.weights) == len(theirs.weights) == 18
    for a, b, w in zip(ours.get_weights(), theirs.get_weights(), theirs.weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=w.path)
    trained_bn, frozen_bn = ours.layers[1], ours.layers[-2]
    # weights[2:6]: gamma, beta, moving_mean, moving_variance of the trainable layer; [12:16] the frozen one
    for before, after in zip(weights[2:6], trained_bn.get_weights()):
        assert not np.allclose(before, after)
    for before, after in zip(weights[12:16], frozen_bn.get_weights()):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
