"""EfficientNetV2 against Keras 3 and the published sizes."""
import numpy as np
import pytest

from kerasj.applications import efficientnet_v2


def test_b0_top_parity(parity):
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    parity("efficientnet_v2", "EfficientNetV2B0", x, input_shape=(32, 32, 3), classes=3)


def test_s_no_top_parity(parity):
    # S uses the other preprocessing branch and fused blocks without expansion.
    x = np.random.default_rng(2).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    parity("efficientnet_v2", "EfficientNetV2S", x, include_top=False, pooling="avg", input_shape=(32, 32, 3))


@pytest.mark.parametrize("fn,millions", [(efficientnet_v2.EfficientNetV2B3, 14.5),
                                         (efficientnet_v2.EfficientNetV2M, 54.4)])
def test_published_parameter_counts(shapes_only, fn, millions):
    # keras.io/api/applications: V2B3 14.5M, V2M 54.4M parameters (include_top=True).
    assert round(fn(weights=None, input_shape=(32, 32, 3)).count_params() / 1e6, 1) == millions
