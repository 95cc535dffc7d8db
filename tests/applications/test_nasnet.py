"""NASNet against Keras 3 and the published sizes."""
import numpy as np

from kerasj.applications import nasnet


def test_mobile_top_parity(parity):
    x = np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    parity("nasnet", "NASNetMobile", x, input_shape=(32, 32, 3), classes=3)


def test_large_published_parameter_count(shapes_only):
    # keras.io/api/applications: NASNetLarge has 88.9M parameters (include_top=True).
    assert round(nasnet.NASNetLarge(weights=None, input_shape=(32, 32, 3)).count_params() / 1e6, 1) == 88.9
