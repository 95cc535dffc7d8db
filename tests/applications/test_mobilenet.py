"""MobileNet and MobileNetV2 against Keras 3."""
import numpy as np
import pytest

from kerasj.applications import mobilenet, mobilenet_v2


def test_mobilenet_top_parity(parity):
    x = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    parity("mobilenet", "MobileNet", x, input_shape=(32, 32, 3), alpha=0.25, depth_multiplier=2, classes=3)


def test_mobilenet_v2_no_top_parity(parity):
    x = np.random.default_rng(2).uniform(-1, 1, (1, 35, 33, 3)).astype("float32")
    _, ours = parity("mobilenet_v2", "MobileNetV2", x, include_top=False, pooling="max", alpha=0.35,
                     input_shape=(None, None, 3))
    assert ours.output_shape == (None, 1280)


def test_mobilenet_v2_top_parity_wide(parity):
    x = np.random.default_rng(3).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    _, ours = parity("mobilenet_v2", "MobileNetV2", x, input_shape=(32, 32, 3), alpha=1.3, classes=2)
    assert ours.name == "mobilenetv2_1.30_32"


def test_imagenet_argument_checks():
    with pytest.raises(ValueError, match="alpha can be one of"):
        mobilenet.MobileNet(alpha=0.3, include_top=False)
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        mobilenet.MobileNet(depth_multiplier=2, include_top=False)
    with pytest.raises(ValueError, match="alpha must be one of"):
        mobilenet_v2.MobileNetV2(alpha=0.3, include_top=False)
