"""Regularization layers: identity at inference, noise statistics from their definitions in training, fresh
randomness on every (also compiled) call, whole-channel spatial dropout, the activity loss, and errors."""
import math

import numpy as np
import pytest

import kerasj
from kerasj import layers

X = np.random.default_rng(0).normal(size=(200, 10, 10)).astype(np.float32)


def check_dropout(x, out):
    dropped = out == 0
    assert abs(dropped.mean() - 0.3) < 0.015
    np.testing.assert_allclose(out[~dropped], x[~dropped] / 0.7, rtol=1e-6)


def check_spatial_dropout(x, out):
    dropped = np.all(out == 0, axis=1)  # (batch, features): whole columns over the steps axis
    assert abs(dropped.mean() - 0.3) < 0.03
    np.testing.assert_allclose(np.where(dropped[:, None], 0, x / 0.7), out, rtol=1e-6)


def check_gaussian_noise(x, out):
    noise = out - x
    assert abs(noise.mean()) < 0.005 and abs(noise.std() - 0.2) < 0.005


def check_gaussian_dropout(x, out):
    factor = out / x
    assert abs(factor.mean() - 1) < 0.01 and abs(factor.std() - math.sqrt(0.3 / 0.7)) < 0.01


def check_alpha_dropout(x, out):
    # standard-normal inputs keep mean 0 and variance 1; the dropped units all share one value
    assert abs(out.mean()) < 0.02 and abs(out.var() - 1) < 0.03
    _, counts = np.unique(out, return_counts=True)
    assert abs(counts.max() / out.size - 0.3) < 0.015


RANDOM_LAYERS = [
    (lambda: layers.Dropout(0.3, seed=1), check_dropout),
    (lambda: layers.SpatialDropout1D(0.3, seed=1), check_spatial_dropout),
    (lambda: layers.GaussianNoise(0.2, seed=1), check_gaussian_noise),
    (lambda: layers.GaussianDropout(0.3, seed=1), check_gaussian_dropout),
    (lambda: layers.AlphaDropout(0.3, seed=1), check_alpha_dropout),
]


@pytest.mark.parametrize("make,check", RANDOM_LAYERS, ids=["dropout", "spatial", "noise", "gaussian", "alpha"])
def test_identity_at_inference_fresh_noise_in_training(make, check):
    layer = make()
    np.testing.assert_array_equal(layer(X), X)
    np.testing.assert_array_equal(layer(X, training=False), X)
    step = kerasj.function(lambda x: layer(x, training=True))
    first, second = np.asarray(step(X)), np.asarray(step(X))
    assert not np.allclose(first, second)  # the seed state advances inside compiled calls
    check(X, first)
    check(X, second)


def test_rate_zero_is_identity_even_in_training():
    for layer in (layers.Dropout(0.0), layers.GaussianNoise(0.0), layers.GaussianDropout(0.0),
                  layers.AlphaDropout(0.0), layers.SpatialDropout2D(0.0)):
        x = X[..., None] if isinstance(layer, layers.SpatialDropout2D) else X
        np.testing.assert_array_equal(layer(x, training=True), x)
        assert layer.variables == []


@pytest.mark.parametrize("cls,shape,channel_axis", [
    (lambda rate, seed: layers.SpatialDropout2D(rate, "channels_first", seed=seed), (30, 20, 4, 5), 1),
    (lambda rate, seed: layers.SpatialDropout3D(rate, seed=seed), (30, 2, 3, 4, 20), 4),
])
def test_spatial_dropout_drops_whole_channels(cls, shape, channel_axis):
    out = np.asarray(cls(0.4, seed=4)(np.ones(shape, np.float32), training=True))
    per_channel = np.moveaxis(out, channel_axis, 1).reshape(shape[0], shape[channel_axis], -1)
    dropped = np.all(per_channel == 0, axis=-1)
    assert np.all(dropped | np.all(np.isclose(per_channel, 1 / 0.6), axis=-1))
    assert abs(dropped.mean() - 0.4) < 0.06


def test_activity_regularization_adds_its_loss():
    x = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(layer(x), x)
    expected = (0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()) / 2  # divided by the batch size
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0], expected, rtol=1e-6)
    assert layer.supports_masking


@pytest.mark.parametrize("make,match", [
    (lambda: layers.Dropout(1.5, name="bad"), r"Dropout 'bad'.*`rate`.*\[0, 1\]"),
    (lambda: layers.SpatialDropout2D(-0.1, name="bad"), r"SpatialDropout2D 'bad'.*`rate`"),
    (lambda: layers.GaussianNoise(2.0, name="bad"), r"GaussianNoise 'bad'.*`stddev`"),
    (lambda: layers.GaussianDropout("0.1", name="bad"), r"GaussianDropout 'bad'.*`rate`"),
    (lambda: layers.AlphaDropout(None, name="bad"), r"AlphaDropout 'bad'.*`rate`"),
    (lambda: layers.SpatialDropout3D(0.1, data_format="NDHWC", name="bad"), r"SpatialDropout3D 'bad'.*data_format"),
])
def test_bad_arguments_name_the_layer(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_spatial_dropout_rejects_wrong_rank():
    with pytest.raises(ValueError, match=r"layer 'sd'.*expected ndim=4"):
        layers.SpatialDropout2D(0.1, name="sd")(X, training=True)
