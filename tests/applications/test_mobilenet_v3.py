"""MobileNetV3 against Keras 3."""
import numpy as np
import pytest


@pytest.mark.parametrize("kwargs", [dict(classes=3), dict(include_top=False, pooling="avg", minimalistic=True)])
def test_small_parity(parity, kwargs):
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    parity("mobilenet_v3", "MobileNetV3Small", x, input_shape=(32, 32, 3), **kwargs)


def test_large_parity(parity):
    x = np.random.default_rng(2).uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    parity("mobilenet_v3", "MobileNetV3Large", x, input_shape=(32, 32, 3), alpha=0.75, include_top=False)
