"""Xception and InceptionV3 against Keras 3, and their minimum input sizes."""
import numpy as np
import pytest

from kerasj.applications import inception_v3, xception


def test_xception_top_parity(parity):
    x = np.random.default_rng(1).uniform(-1, 1, (1, 71, 71, 3)).astype("float32")
    parity("xception", "Xception", x, input_shape=(71, 71, 3), classes=3)


def test_inception_v3_no_top_parity(parity):
    x = np.random.default_rng(2).uniform(-1, 1, (1, 75, 75, 3)).astype("float32")
    _, ours = parity("inception_v3", "InceptionV3", x, include_top=False, pooling="avg", input_shape=(75, 75, 3))
    assert ours.output_shape == (None, 2048)


@pytest.mark.parametrize("fn,size", [(xception.Xception, 71), (inception_v3.InceptionV3, 75)])
def test_minimum_size(fn, size):
    with pytest.raises(ValueError, match=f"at least {size}x{size}"):
        fn(weights=None, include_top=False, input_shape=(size - 1, size, 3))


def test_inception_resnet_v2_top_parity(parity):
    x = np.random.default_rng(3).uniform(-1, 1, (1, 75, 75, 3)).astype("float32")
    parity("inception_resnet_v2", "InceptionResNetV2", x, input_shape=(75, 75, 3), classes=2)
