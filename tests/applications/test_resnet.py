"""ResNet v1 and v2: predictions against Keras 3, published sizes, and loading Keras-written weight files."""
import os

import numpy as np
import pytest

from kerasj.applications import imagenet_utils, resnet, resnet50, resnet_v2


@pytest.fixture(scope="module")
def keras_resnet50(tmp_path_factory):
    """A Keras 3 ResNet50 without its classifier (32x32, average pooling) with perturbed weights, saved in the
    Keras 3 format and in the tf.keras 2 format Keras publishes its ImageNet weights in."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    from tests.applications.conftest import _perturbed

    model = keras.applications.ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    model.set_weights(_perturbed(model, np.random.default_rng(3)))
    folder = tmp_path_factory.mktemp("resnet50")
    new_format = str(folder / "resnet50.weights.h5")
    model.save_weights(new_format)
    legacy = str(folder / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5")
    with h5py.File(legacy, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    x = np.random.default_rng(4).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    return new_format, legacy, x, np.asarray(model.predict(x, verbose=0))


def test_resnet50_top_parity(parity):
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    parity("resnet", "ResNet50", x, input_shape=(32, 32, 3), classes=4)


def test_resnet50v2_no_top_parity(parity):
    x = np.random.default_rng(2).uniform(-1, 1, (1, 48, 40, 3)).astype("float32")
    _, ours = parity("resnet_v2", "ResNet50V2", x, include_top=False, pooling="avg", input_shape=(None, None, 3))
    assert ours.output_shape == (None, 2048)


def test_resnet50_module_alias():
    assert resnet50.ResNet50 is resnet.ResNet50 and resnet50.preprocess_input is resnet.preprocess_input


# v1 and v2 share the stage depths of each size: one of each builder covers both depth configurations.
@pytest.mark.parametrize("fn,millions", [(resnet.ResNet101, 44.7), (resnet_v2.ResNet152V2, 60.4)])
def test_published_parameter_counts(shapes_only, fn, millions):
    # The sizes keras.io/api/applications publishes for include_top=True at 224x224.
    assert round(fn(weights=None).count_params() / 1e6, 1) == millions


def test_loads_keras3_weights_file_by_path(keras_resnet50):
    new_format, _, x, expected = keras_resnet50
    model = resnet.ResNet50(weights=new_format, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_imagenet_weights_are_fetched_into_the_cache_and_loaded(keras_resnet50, monkeypatch):
    _, legacy, x, expected = keras_resnet50
    calls = []

    def fake_get_file(fname, origin, cache_subdir, file_hash):
        calls.append((fname, origin, cache_subdir, file_hash))
        return legacy
    monkeypatch.setattr(imagenet_utils.file_utils, "get_file", fake_get_file)
    model = resnet.ResNet50(weights="imagenet", include_top=False, pooling="avg", input_shape=(32, 32, 3))
    fname = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert calls == [(fname, "https://storage.googleapis.com/tensorflow/keras-applications/resnet/" + fname,
                      "models", "4d473c1dd8becc155b73f8504c6f6626")]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_legacy_file_of_another_architecture_is_refused(keras_resnet50):
    from kerasj import Input
    from kerasj.layers import Dense
    from kerasj.models import Functional

    inputs = Input((2,))
    model = Functional(inputs, Dense(3)(inputs))
    before = [np.array(w) for w in model.get_weights()]
    with pytest.raises(ValueError, match="holds weights for 106 layers"):
        imagenet_utils.load_model_weights(model, keras_resnet50[1])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_offline_imagenet_error_names_url_and_path(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setenv("KERASJ_HOME", str(tmp_path))
    fname = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    with pytest.raises(OSError) as info:
        resnet.ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    message = str(info.value)
    assert "https://storage.googleapis.com/tensorflow/keras-applications/resnet/" + fname in message
    assert os.path.join(str(tmp_path), "models", fname) in message
