"""ConvNeXt against Keras 3 and the published sizes, and its two layers."""
import numpy as np
import pytest

from kerasj.applications import convnext


def test_tiny_top_parity(parity):
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    parity("convnext", "ConvNeXtTiny", x, input_shape=(32, 32, 3), classes=3)


@pytest.mark.parametrize("fn,millions", [(convnext.ConvNeXtSmall, 50.2), (convnext.ConvNeXtBase, 88.5)])
def test_published_parameter_counts(shapes_only, fn, millions):
    # keras.io/api/applications: ConvNeXtSmall 50.2M, ConvNeXtBase 88.5M parameters (include_top=True). The
    # table truncates some figures and rounds others (Keras 3.15 itself builds 88,591,464 for Base), so the
    # check allows the last digit to differ by one.
    assert abs(fn(weights=None, input_shape=(32, 32, 3)).count_params() / 1e6 - millions) <= 0.1


def test_stochastic_depth_drops_whole_samples():
    layer = convnext.StochasticDepth(0.5)
    x = np.ones((64, 2, 2, 3), "float32")
    np.testing.assert_array_equal(layer(x), x)
    y = np.asarray(layer(x, training=True))
    per_sample = y.reshape(64, -1)
    assert set(np.unique(per_sample)) <= {0.0, 2.0}
    assert all(len(set(row)) == 1 for row in per_sample)
    assert 0 < (per_sample[:, 0] == 0).sum() < 64
    assert layer.get_config()["drop_path_rate"] == 0.5


def test_imagenet_name_must_contain_variant():
    with pytest.raises(ValueError, match="must contain"):
        convnext.ConvNeXtTiny(weights="imagenet", include_top=False, name="mine")
