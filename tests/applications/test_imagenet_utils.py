"""imagenet_utils: preprocessing modes and decode_predictions against Keras 3, input-shape rules, namespace."""
import inspect
import json

import keras
import numpy as np
import pytest

import kerasj
import kerasj.applications as apps
from kerasj.applications import imagenet_utils


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format,shape", [("channels_last", (2, 4, 5, 3)), ("channels_first", (2, 3, 4, 5)),
                                               ("channels_last", (4, 5, 3)), ("channels_first", (3, 4, 5))])
def test_preprocess_input_matches_keras(mode, data_format, shape):
    x = np.random.default_rng(0).uniform(0, 255, shape).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    got = imagenet_utils.preprocess_input(x, data_format=data_format, mode=mode)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-5)
    tensor = imagenet_utils.preprocess_input(kerasj.ops.convert_to_tensor(x), data_format=data_format, mode=mode)
    np.testing.assert_allclose(np.asarray(tensor), expected, rtol=1e-6, atol=1e-5)


def test_preprocess_input_integers_and_symbolic():
    x = np.random.default_rng(1).integers(0, 256, (1, 2, 2, 3)).astype("uint8")
    expected = keras.applications.imagenet_utils.preprocess_input(x, mode="caffe")
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x, mode="caffe"), expected, rtol=1e-6, atol=1e-4)
    inputs = kerasj.Input((2, 2, 3))
    assert tuple(apps.resnet.preprocess_input(inputs).shape) == (None, 2, 2, 3)


@pytest.mark.parametrize("family", ["vgg16", "vgg19", "resnet", "resnet50", "resnet_v2", "mobilenet",
                                    "mobilenet_v2", "densenet", "xception", "inception_v3"])
def test_family_preprocess_matches_keras(family):
    x = np.random.default_rng(2).uniform(0, 255, (1, 3, 3, 3)).astype("float32")
    expected = getattr(keras.applications, family).preprocess_input(x.copy())
    np.testing.assert_allclose(getattr(apps, family).preprocess_input(x), expected, rtol=1e-6, atol=1e-5)


def test_preprocess_input_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="bgr")
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), data_format="nhwc")


@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A generated imagenet_class_index.json in a temporary cache, for Keras and kerasj, with no network."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    for home, variable in ((tmp_path / "keras", "KERAS_HOME"), (tmp_path / "kerasj", "KERASJ_HOME")):
        (home / "models").mkdir(parents=True)
        (home / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
        monkeypatch.setenv(variable, str(home))
    import keras.src.applications.imagenet_utils as keras_utils
    from keras.src.utils import file_utils as keras_file_utils
    monkeypatch.setattr(keras_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    # The hash of the generated file is not Keras's: the file is served as it is, without checking it.
    real = keras_file_utils.get_file
    monkeypatch.setattr(keras_file_utils, "get_file",
                        lambda *a, **k: real(*a, **{**k, "file_hash": None, "cache_dir": str(tmp_path / "keras")}))
    real_ours = imagenet_utils.file_utils.get_file
    monkeypatch.setattr(imagenet_utils.file_utils, "get_file",
                        lambda *a, **k: real_ours(*a, **{**k, "file_hash": None}))
    return index


def test_decode_predictions_matches_keras(class_index):
    preds = np.random.default_rng(3).random((2, 1000)).astype("float32")
    expected = keras.applications.imagenet_utils.decode_predictions(preds, top=3)
    got = apps.vgg19.decode_predictions(preds, top=3)
    assert [[tuple(r[:2]) for r in row] for row in got] == [[tuple(r[:2]) for r in row] for row in expected]
    np.testing.assert_allclose([[r[2] for r in row] for row in got], [[r[2] for r in row] for row in expected])
    assert got[0][0][1] == class_index[str(int(np.argmax(preds[0])))][1]


def test_decode_predictions_shape_error():
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_error(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setenv("KERASJ_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    with pytest.raises(OSError, match="imagenet_class_index.json"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))


@pytest.mark.parametrize("args", [
    ((None, 224, 32, "channels_last", True), {}),
    ((None, 224, 32, "channels_last", False), {}),
    ((None, 224, 32, "channels_first", False), {}),
    (((64, 48, 1), 224, 32, "channels_last", True), {}),
    (((3, 64, 48), 224, 32, "channels_first", False), {}),
    ((None, 299, 71, "channels_last", True), {"weights": "imagenet"}),
])
def test_obtain_input_shape_matches_keras(args):
    from keras.src.applications.imagenet_utils import obtain_input_shape
    positional, kwargs = args
    assert imagenet_utils.obtain_input_shape(*positional, **kwargs) == obtain_input_shape(*positional, **kwargs)


@pytest.mark.parametrize("args", [((20, 40, 3), 224, 32, "channels_last", False, None),
                                  ((64, 64, 1), 224, 32, "channels_last", False, "imagenet"),
                                  ((None, None, 3), 224, 32, "channels_last", True, None),
                                  ((64, 64), 224, 32, "channels_last", False, None)])
def test_obtain_input_shape_errors_like_keras(args):
    from keras.src.applications.imagenet_utils import obtain_input_shape
    with pytest.raises(ValueError) as theirs:
        obtain_input_shape(*args)
    with pytest.raises(ValueError) as ours:
        imagenet_utils.obtain_input_shape(*args)
    assert str(ours.value).split(";")[0].split(".")[0] == str(theirs.value).split(";")[0].split(".")[0]


def test_validate_activation():
    imagenet_utils.validate_activation("relu", None)
    imagenet_utils.validate_activation(None, "imagenet")
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        imagenet_utils.validate_activation("relu", "imagenet")


def test_namespace_matches_keras():
    keras_names = {n for n in dir(keras.applications) if not n.startswith("_")}
    assert keras_names <= set(dir(apps))
    for sub in [n for n in keras_names if n[0].islower()]:
        wanted = {n for n in dir(getattr(keras.applications, sub)) if not n.startswith("_")}
        assert wanted <= set(dir(getattr(apps, sub))), sub
    for name in [n for n in keras_names if n[0].isupper()]:
        assert inspect.signature(getattr(apps, name)) == inspect.signature(getattr(keras.applications, name)), name
