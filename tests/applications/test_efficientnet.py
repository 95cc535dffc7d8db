"""EfficientNet against Keras 3 and the published sizes."""
import inspect

import keras
import numpy as np
import pytest

from kerasj.applications import efficientnet


def test_b0_top_parity(parity):
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    parity("efficientnet", "EfficientNetB0", x, input_shape=(32, 32, 3), classes=3)


def test_signatures_match_keras():
    for i in range(8):
        name = f"EfficientNetB{i}"
        assert inspect.signature(getattr(efficientnet, name)) == \
            inspect.signature(getattr(keras.applications.efficientnet, name))


@pytest.mark.parametrize("fn,millions", [(efficientnet.EfficientNetB3, 12.3), (efficientnet.EfficientNetB7, 66.7)])
def test_published_parameter_counts(shapes_only, fn, millions):
    # keras.io/api/applications: B3 12.3M, B7 66.7M parameters (include_top=True, default size).
    assert round(fn(weights=None, input_shape=(32, 32, 3)).count_params() / 1e6, 1) == millions


def test_preprocess_input_is_identity():
    x = np.arange(12.0).reshape(1, 2, 2, 3)
    assert efficientnet.preprocess_input(x) is x
