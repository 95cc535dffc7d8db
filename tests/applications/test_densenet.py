"""DenseNet against Keras 3 and the published sizes."""
import numpy as np
import pytest

from kerasj.applications import densenet


def test_densenet121_no_top_parity(parity):
    x = np.random.default_rng(1).uniform(-2, 2, (1, 32, 32, 3)).astype("float32")
    _, ours = parity("densenet", "DenseNet121", x, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    assert ours.output_shape == (None, 1024)


@pytest.mark.parametrize("fn,millions", [(densenet.DenseNet169, 14.3), (densenet.DenseNet201, 20.2)])
def test_published_parameter_counts(shapes_only, fn, millions):
    # keras.io/api/applications: 14.3M and 20.2M parameters (include_top=True, 224x224).
    assert round(fn(weights=None).count_params() / 1e6, 1) == millions
