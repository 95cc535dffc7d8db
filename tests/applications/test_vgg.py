"""VGG16 / VGG19: architecture and predictions against Keras 3."""
import numpy as np
import pytest

from kerasj.applications import vgg16


def test_vgg19_top_parity(parity):
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    parity("vgg19", "VGG19", x, input_shape=(32, 32, 3), classes=3)


def test_vgg16_no_top_pooling_parity(parity):
    # The classifier is the same code as VGG19's: without it the model is cheap to build twice.
    x = np.random.default_rng(2).uniform(0, 1, (1, 40, 36, 3)).astype("float32")
    _, ours = parity("vgg16", "VGG16", x, include_top=False, pooling="max", input_shape=(None, None, 3))
    assert ours.output_shape == (None, 512)


def test_minimum_size_and_imagenet_shape_checks():
    with pytest.raises(ValueError, match="at least 32x32"):
        vgg16.VGG16(weights=None, include_top=False, input_shape=(31, 40, 3))
    with pytest.raises(ValueError, match=r"should be \(224, 224, 3\)"):
        vgg16.VGG16(weights="imagenet", input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="classes` should be 1000"):
        vgg16.VGG16(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="The `weights` argument"):
        vgg16.VGG16(weights="no/such/file.h5")
