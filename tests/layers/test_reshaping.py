"""Reshaping, cropping, padding and upsampling layers: values from numpy, compiled calls, argument forms and
clear errors for bad arguments and inputs."""
import numpy as np
import pytest

import kerasj
from kerasj import layers

X4 = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)


def test_values_agree_with_numpy():
    np.testing.assert_array_equal(layers.Permute((3, 1, 2))(X4), X4.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(layers.Cropping2D(((1, 0), (1, 2)))(X4), X4[:, 1:, 1:2])
    np.testing.assert_array_equal(layers.Cropping2D(((1, 1), (0, 1)), data_format="channels_first")(X4),
                                  X4[:, :, 1:3, :1])
    np.testing.assert_array_equal(layers.ZeroPadding2D(((1, 0), (0, 2)))(X4),
                                  np.pad(X4, ((0, 0), (1, 0), (0, 2), (0, 0))))
    np.testing.assert_array_equal(layers.UpSampling2D((2, 3))(X4), X4.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(layers.UpSampling1D(2)(X4[:, :, :, 0]), X4[:, :, :, 0].repeat(2, axis=1))
    v = X4[:, 0, :, 0]
    np.testing.assert_array_equal(layers.RepeatVector(3)(v), np.stack([v] * 3, axis=1))
    np.testing.assert_array_equal(layers.Flatten(data_format="channels_first")(X4),
                                  X4.transpose(0, 2, 3, 1).reshape(2, -1))


def test_bilinear_upsampling_keeps_constants_and_interpolates_ramps():
    ones = np.ones((1, 3, 3, 1), np.float32)
    np.testing.assert_allclose(layers.UpSampling2D(2, interpolation="bilinear")(ones), np.ones((1, 6, 6, 1)))
    ramp = np.array([0.0, 2.0], np.float32).reshape(1, 1, 2, 1)
    # half-pixel centres: outputs at x = 0.25, 0.75, 1.25, 1.75 in input units, clamped at the edges
    np.testing.assert_allclose(layers.UpSampling2D((1, 2), interpolation="bilinear")(ramp)[0, 0, :, 0],
                               [0.0, 0.5, 1.5, 2.0])


def test_layers_run_compiled():
    model = kerasj.Sequential([kerasj.Input((3, 4, 2)), layers.ZeroPadding2D(1), layers.UpSampling2D(),
                               layers.Cropping2D(((2, 1), (0, 3))), layers.Permute((3, 1, 2))])
    step = kerasj.function(lambda x: model(x))
    expected = np.pad(X4, ((0, 0), (1, 1), (1, 1), (0, 0))).repeat(2, 1).repeat(2, 2)[:, 2:-1, :-3]
    np.testing.assert_array_equal(step(X4), expected.transpose(0, 3, 1, 2))
    assert tuple(model.outputs[0].shape) == (None, 2, 7, 9)


@pytest.mark.parametrize("cls,value,match", [
    (layers.Cropping1D, -1, "cropping"),
    (layers.Cropping2D, ((1, 2), (3,)), "entry 1 of `cropping`"),
    (layers.Cropping2D, (1, 2, 3), "tuple of 2 ints"),
    (layers.Cropping3D, 1.5, "cropping"),
    (layers.ZeroPadding1D, (1, -1), "non-negative"),
    (layers.ZeroPadding2D, -1, "non-negative"),
    (layers.ZeroPadding3D, ((1, 1), (1, 1)), "tuple of 3"),
])
def test_bad_amounts_are_rejected(cls, value, match):
    with pytest.raises(ValueError, match=match):
        cls(value, name="bad")


def test_over_cropping_names_the_layer_eagerly_and_symbolically():
    with pytest.raises(ValueError, match=r"Cropping2D 'crop'.*removes all of axis 2"):
        layers.Cropping2D(((0, 0), (2, 2)), name="crop")(X4)
    with pytest.raises(ValueError, match=r"Cropping1D 'crop1'.*removes all of axis 1"):
        layers.Cropping1D((2, 1), name="crop1")(kerasj.Input((3, 2)))


@pytest.mark.parametrize("layer,shape", [
    (layers.Cropping2D(1, name="l"), (2, 5, 5)),
    (layers.ZeroPadding3D(1, name="l"), (2, 3, 3, 3)),
    (layers.UpSampling1D(name="l"), (2, 3, 4, 5)),
    (layers.Permute((2, 1), name="l"), (2, 3, 4, 5)),
    (layers.RepeatVector(2, name="l"), (2, 3, 4)),
])
def test_wrong_rank_names_the_layer(layer, shape):
    with pytest.raises(ValueError, match=r"layer 'l'.*expected ndim="):
        layer(np.zeros(shape, np.float32))


def test_bad_arguments_name_the_layer():
    with pytest.raises(ValueError, match=r"Permute 'p'.*permutation of 1..3"):
        layers.Permute((1, 2, 4), name="p")
    with pytest.raises(ValueError, match=r"Permute 'p'.*permutation of 1..2"):
        layers.Permute((0, 1), name="p")
    with pytest.raises(ValueError, match=r"RepeatVector 'r'.*positive integer"):
        layers.RepeatVector(0, name="r")
    with pytest.raises(ValueError, match=r"UpSampling1D 'u'.*positive integer"):
        layers.UpSampling1D((2,), name="u")
    with pytest.raises(ValueError, match=r"UpSampling2D 'u'.*interpolation"):
        layers.UpSampling2D(interpolation="cubic", name="u")
    with pytest.raises(ValueError, match=r"UpSampling3D 'u'.*size"):
        layers.UpSampling3D((2, 0, 2), name="u")
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'z'.*data_format"):
        layers.ZeroPadding2D(data_format="NHWC", name="z")
    with pytest.raises(ValueError, match=r"Reshape 'r'.*non-negative"):
        layers.Reshape((-2, 3), name="r")


def test_default_data_format_follows_the_global_setting():
    kerasj.config.set_image_data_format("channels_first")
    try:
        assert layers.ZeroPadding2D().data_format == "channels_first"
        assert layers.Flatten().data_format == "channels_first"
        # the 1D layers that Keras gives no data_format keep steps before features
        np.testing.assert_array_equal(layers.UpSampling1D(2)(X4[..., 0]), X4[..., 0].repeat(2, axis=1))
        np.testing.assert_array_equal(layers.Cropping1D(1)(X4[..., 0]), X4[:, 1:-1, :, 0])
    finally:
        kerasj.config.set_image_data_format("channels_last")
