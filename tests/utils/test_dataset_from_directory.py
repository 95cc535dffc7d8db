"""image/text/audio_dataset_from_directory against Keras 3 on tiny generated folders: the same files and seed
give the same file order, labels and batches (pixel values, texts, samples) for format="tf" (vs Keras's tf
path) and format="grain" (vs Keras's grain path); the native dataset matches Keras exactly without shuffling
and holds the same samples (and split) with it. All three formats feed kerasj's fit/evaluate/predict."""
import inspect
import os
import sys
import wave

import keras
import numpy as np
import pytest
from keras.src.utils import dataset_utils as keras_dataset_utils
from PIL import Image

import kerasj
from kerasj.trainer.sources import make_source
from kerasj.utils import directory_index
from kerasj.utils.image_dataset_utils import ALLOWLIST_FORMATS
from kerasj.utils.native_dataset import NativeDataset

CLASSES = {"cat": 4, "dog": 3, "emu": 2}
SIZE = (4, 6)


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    """9 same-sized images (one compiled resize per setting) in 3 classes, with the cases the listing must
    handle: an upper-case extension, a nested folder, greyscale and RGBA files, a non-image and a hidden
    folder (both ignored)."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for name, count in CLASSES.items():
        (root / name / "nested").mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)
            image = Image.fromarray(pixels)
            image = image.convert("L") if (name, i) == ("dog", 1) else image
            image = image.convert("RGBA") if (name, i) == ("cat", 2) else image
            where = root / name / "nested" if i == 3 else root / name
            image.save(where / (f"IMG{i}.PNG" if i == 0 else f"{i}.png"))
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()  # not a class
    Image.fromarray(np.zeros((6, 9, 3), np.uint8)).save(root / ".hidden" / "x.png")
    return str(root)


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("texts")
    for name, count in (("neg", 3), ("pos", 4)):
        (root / name).mkdir()
        for i in range(count):
            (root / name / f"{i}.txt").write_text(f"{name} review {i}. " * (i + 1), encoding="utf-8")
    return str(root)


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    """16-bit stereo WAVs of different lengths (so unpadded batches need padding)."""
    root = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(1)
    for name, count in (("no", 3), ("yes", 3)):
        (root / name).mkdir()
        for i in range(count):
            with wave.open(str(root / name / f"{i}.wav"), "wb") as f:
                f.setnchannels(2)
                f.setsampwidth(2)
                f.setframerate(8000)
                f.writeframes(rng.integers(-32768, 32768, (5 + 3 * i, 2), dtype=np.int16).tobytes())
    return str(root)


def _leaf(value):
    if isinstance(value, tuple):  # grain's text batches: a tuple of Python strings
        return np.array(value)
    value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    return np.char.decode(value.astype(bytes), "utf-8") if value.dtype.kind in "SO" else value


def _epochs(ds, count=1):
    """`count` passes over `ds`, every batch as a tuple of NumPy arrays."""
    return [[tuple(map(_leaf, b)) if isinstance(b, tuple) and not isinstance(b[0], str) else (_leaf(b),)
             for b in ds] for _ in range(count)]


def _assert_same(ours, theirs, atol=1e-4):
    assert len(ours) == len(theirs)
    for our_epoch, their_epoch in zip(ours, theirs):
        assert len(our_epoch) == len(their_epoch)
        for our_batch, their_batch in zip(our_epoch, their_epoch):
            assert len(our_batch) == len(their_batch)
            for a, b in zip(our_batch, their_batch):
                assert a.shape == b.shape and a.dtype == b.dtype
                if a.dtype.kind == "U":
                    np.testing.assert_array_equal(a, b)
                else:
                    np.testing.assert_allclose(a, b, rtol=1e-6, atol=atol)


def _both(builder, directory, **kwargs):
    """Keras's and kerasj's datasets for the same call, as `(ours, theirs)` pairs (two for subset="both").
    Each gets its own copy of a list of labels: Keras shuffles the list it is given in place."""
    def call(module):
        copied = {k: list(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        return getattr(module.utils, builder)(directory, verbose=False, **copied)
    theirs, ours = call(keras), call(kerasj)
    if kwargs.get("subset") == "both":
        assert type(ours) is type(theirs)
        return list(zip(ours, theirs))
    return [(ours, theirs)]


@pytest.mark.parametrize("name", ["image_dataset_from_directory", "text_dataset_from_directory"])
def test_signatures_match_keras(name):
    assert inspect.signature(getattr(kerasj.utils, name)) == inspect.signature(getattr(keras.utils, name))
    assert getattr(kerasj.preprocessing, name) is getattr(kerasj.utils, name)


def test_audio_signature_is_keras_plus_a_trailing_format():
    ours = list(inspect.signature(kerasj.utils.audio_dataset_from_directory).parameters.values())
    theirs = list(inspect.signature(keras.utils.audio_dataset_from_directory).parameters.values())
    assert ours[:-1] == theirs and ours[-1].name == "format" and ours[-1].default == "tf"


@pytest.mark.parametrize("kwargs", [
    dict(labels="inferred", shuffle=False), dict(labels="inferred", seed=7),
    dict(labels="inferred", class_names=["emu", "cat"], seed=3), dict(labels=None, seed=11),
    dict(labels=[2, 0, 1, 1, 0, 2, 0, 1, 2, 0], seed=5), dict(labels="inferred", seed=7, follow_links=True)])
def test_index_directory_matches_keras(image_dir, kwargs):
    def call(index_directory):
        labels = kwargs["labels"]
        return index_directory(image_dir, formats=ALLOWLIST_FORMATS, verbose=False,
                               **{**kwargs, "labels": list(labels) if isinstance(labels, list) else labels})
    ours, theirs = call(directory_index.index_directory), call(keras_dataset_utils.index_directory)
    assert ours[0] == theirs[0] and ours[2] == theirs[2]
    # The upper-case and nested files are in, the text file out; a hidden folder is no class, but without
    # inferred labels the whole tree is read (as Keras does).
    assert len(ours[0]) == (6 if "class_names" in kwargs else 9 if kwargs["labels"] == "inferred" else 10)
    assert (ours[1] is None) == (theirs[1] is None)
    if ours[1] is not None:
        np.testing.assert_array_equal(ours[1], np.asarray(theirs[1]))


TF_CASES = [dict(seed=3), dict(shuffle=False, batch_size=None), dict(seed=4, label_mode="categorical", batch_size=2),
            dict(seed=5, validation_split=0.34, subset="training"),
            dict(seed=5, validation_split=0.34, subset="validation", label_mode=None),
            dict(seed=6, validation_split=0.34, subset="both", interpolation="nearest"),
            dict(seed=1, class_names=["cat", "emu"], label_mode="binary", color_mode="grayscale",
                 crop_to_aspect_ratio=True),
            dict(seed=2, labels=[1, 0, 2, 2, 0, 1, 0, 1, 1, 2], color_mode="rgba", pad_to_aspect_ratio=True,
                 interpolation="area"),
            dict(shuffle=False, data_format="channels_first", crop_to_aspect_ratio=True, interpolation="bicubic")]


@pytest.mark.parametrize("kwargs", TF_CASES)
def test_image_tf_format_matches_keras(image_dir, kwargs):
    for ours, theirs in _both("image_dataset_from_directory", image_dir, **{"image_size": SIZE, "batch_size": 4,
                                                                            **kwargs}):
        assert ours.class_names == theirs.class_names and ours.file_paths == theirs.file_paths
        assert len(ours) == len(theirs)
        _assert_same(_epochs(ours, 2), _epochs(theirs, 2))  # two epochs: the same reshuffles


GRAIN_CASES = [dict(seed=3, validation_split=0.34, subset="both"),
               dict(seed=8, label_mode="categorical", color_mode="grayscale", crop_to_aspect_ratio=True,
                    data_format="channels_first", interpolation="nearest"),
               dict(shuffle=False, pad_to_aspect_ratio=True, color_mode="rgba", batch_size=None, label_mode=None)]


@pytest.mark.parametrize("kwargs", GRAIN_CASES)
def test_image_grain_format_matches_keras(image_dir, kwargs):
    for ours, theirs in _both("image_dataset_from_directory", image_dir, format="grain",
                              **{"image_size": SIZE, "batch_size": 4, **kwargs}):
        assert type(ours) is type(theirs)
        assert ours.class_names == theirs.class_names and ours.file_paths == theirs.file_paths
        _assert_same(_epochs(ours, 2), _epochs(theirs, 2))


@pytest.mark.parametrize("kwargs", GRAIN_CASES)
def test_image_native_matches_keras_grain_without_shuffle(image_dir, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if k != "seed"} | {"shuffle": False}
    kwargs = {"image_size": SIZE, "batch_size": 4, "verbose": False, **kwargs}
    theirs = keras.utils.image_dataset_from_directory(image_dir, format="grain", **kwargs)
    ours = kerasj.utils.image_dataset_from_directory(image_dir, format="native", **kwargs)
    pairs = zip(ours, theirs) if kwargs.get("subset") == "both" else [(ours, theirs)]
    for our_ds, their_ds in pairs:
        assert isinstance(our_ds, NativeDataset)
        assert our_ds.class_names == their_ds.class_names and our_ds.file_paths == their_ds.file_paths
        _assert_same(_epochs(our_ds), _epochs(their_ds))
        if kwargs.get("batch_size", 4) is not None:
            assert len(our_ds) == -(-len(our_ds.file_paths) // 4)


def _samples(ds):
    """The (image, label) samples of one pass, sorted, so that datasets in different orders can be compared."""
    return sorted((tuple(np.round(np.asarray(x), 3).ravel()), int(y)) for xs, ys in ds for x, y in zip(xs, ys))


def test_image_native_shuffle_keeps_keras_files_and_split_and_is_reproducible(image_dir):
    kwargs = dict(image_size=SIZE, batch_size=2, seed=9, validation_split=0.34, verbose=False)
    keras_train, keras_val = keras.utils.image_dataset_from_directory(image_dir, subset="both", format="grain",
                                                                      **kwargs)
    train, val = kerasj.utils.image_dataset_from_directory(image_dir, subset="both", format="native", **kwargs)
    again = kerasj.utils.image_dataset_from_directory(image_dir, subset="training", format="native", **kwargs)
    first, second = _epochs(train, 2), _epochs(again, 2)  # fresh datasets: each starts at its first epoch
    assert train.file_paths == keras_train.file_paths and val.file_paths == keras_val.file_paths
    assert _samples(train) == _samples(keras_train) and _samples(val) == _samples(keras_val)
    _assert_same(first, second, atol=0)  # the same seed: the same sequence of epochs
    orders = [[float(x.sum()) for images, _ in epoch for x in images] for epoch in first]
    assert sorted(orders[0]) == sorted(orders[1]) and orders[0] != orders[1]  # each epoch reshuffles, as tf.data


def test_text_tf_and_grain_match_keras_and_native_matches_grain(text_dir):
    for kwargs in (dict(seed=3), dict(seed=1, validation_split=0.3, subset="both", label_mode="binary"),
                   dict(shuffle=False, max_length=9, label_mode="categorical")):
        for format in ("tf", "grain"):
            for ours, theirs in _both("text_dataset_from_directory", text_dir, batch_size=3, format=format,
                                      **kwargs):
                assert ours.class_names == theirs.class_names
                _assert_same(_epochs(ours, 2), _epochs(theirs, 2))
    theirs = keras.utils.text_dataset_from_directory(text_dir, batch_size=3, shuffle=False, format="grain",
                                                     max_length=9, verbose=False)
    ours = kerasj.utils.text_dataset_from_directory(text_dir, batch_size=3, shuffle=False, format="native",
                                                    max_length=9, verbose=False)
    _assert_same(_epochs(ours), _epochs(theirs))
    assert next(iter(ours))[0].dtype.kind == "U"


def test_audio_tf_matches_keras(audio_dir):
    for kwargs in (dict(seed=3), dict(shuffle=False, output_sequence_length=9, label_mode="binary"),
                   dict(seed=1, validation_split=0.34, subset="both", label_mode="categorical")):
        for ours, theirs in _both("audio_dataset_from_directory", audio_dir, batch_size=2, **kwargs):
            assert ours.class_names == theirs.class_names
            _assert_same(_epochs(ours, 2), _epochs(theirs, 2), atol=0)


def test_audio_native_and_grain_decode_like_keras_without_shuffle(audio_dir):
    for kwargs in (dict(), dict(output_sequence_length=9, label_mode="binary"), dict(output_sequence_length=6)):
        theirs = keras.utils.audio_dataset_from_directory(audio_dir, batch_size=2, shuffle=False, verbose=False,
                                                          **kwargs)
        for format in ("native", "grain"):
            ours = kerasj.utils.audio_dataset_from_directory(audio_dir, batch_size=2, shuffle=False, verbose=False,
                                                             format=format, **kwargs)
            assert ours.class_names == theirs.class_names
            _assert_same(_epochs(ours), _epochs(theirs), atol=0)  # padded to each batch's longest clip


def test_format_default_falls_back_to_grain_then_native_and_explicit_formats_need_their_package(
        image_dir, monkeypatch):
    kwargs = dict(image_size=SIZE, shuffle=False, verbose=False)
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` now raises ImportError
    assert type(kerasj.utils.image_dataset_from_directory(image_dir, **kwargs)).__module__.startswith("grain")
    with pytest.raises(ImportError, match="pip install tensorflow"):
        kerasj.utils.image_dataset_from_directory(image_dir, format="tf", **kwargs)
    monkeypatch.setitem(sys.modules, "grain", None)
    assert isinstance(kerasj.utils.image_dataset_from_directory(image_dir, **kwargs), NativeDataset)
    assert isinstance(kerasj.utils.timeseries_dataset_from_array(np.arange(10.0), None, 3), NativeDataset)
    with pytest.raises(ImportError, match="pip install grain"):
        kerasj.utils.image_dataset_from_directory(image_dir, format="grain", **kwargs)


ERROR_CASES = [dict(validation_split=0.2, subset="foo", seed=1), dict(validation_split=0.2, subset="training"),
               dict(subset="training"), dict(validation_split=1.5, subset="training", seed=1),
               dict(label_mode="sparse"), dict(color_mode="cmyk"), dict(labels="folders"),
               dict(labels=[0] * 9, class_names=["cat"]), dict(class_names=["cat", "lion"]),
               dict(label_mode="binary"), dict(labels=[0, 1]), dict(labels=None, class_names=["cat"]),
               dict(interpolation="cubic"), dict(image_size=(3, 4, 5)), dict(format="torch")]


@pytest.mark.parametrize("kwargs", ERROR_CASES)
def test_image_errors_like_keras(image_dir, kwargs):
    with pytest.raises(ValueError) as theirs:
        keras.utils.image_dataset_from_directory(image_dir, verbose=False, **kwargs)
    with pytest.raises(ValueError) as ours:
        kerasj.utils.image_dataset_from_directory(image_dir, verbose=False, **kwargs)
    if kwargs.get("format") == "torch":  # kerasj offers a third format
        assert '"tf", "grain" or "native". Received: format=torch' in str(ours.value)
    else:
        assert str(ours.value) == str(theirs.value)


def test_no_files_found_like_keras_for_each_kind(tmp_path):
    for builder in ("image_dataset_from_directory", "text_dataset_from_directory", "audio_dataset_from_directory"):
        with pytest.raises(ValueError) as theirs:
            getattr(keras.utils, builder)(str(tmp_path), verbose=False)
        with pytest.raises(ValueError) as ours:
            getattr(kerasj.utils, builder)(str(tmp_path), verbose=False)
        assert str(ours.value) == str(theirs.value)


def test_kerasj_only_checks(image_dir, audio_dir, text_dir):
    with pytest.raises(ValueError, match="needs format=\"tf\""):
        kerasj.utils.image_dataset_from_directory(image_dir, interpolation="area", format="native")
    with pytest.raises(ValueError, match="leaves no file for validation"):  # Keras would overlap the splits
        kerasj.utils.image_dataset_from_directory(image_dir, validation_split=0.1, subset="validation", seed=1,
                                                  verbose=False)
    with pytest.raises(ValueError, match="needs format=\"tf\""):
        kerasj.utils.audio_dataset_from_directory(audio_dir, ragged=True, format="native")
    with pytest.raises(ValueError, match="not sampling_rate=16000"):
        next(iter(kerasj.utils.audio_dataset_from_directory(audio_dir, sampling_rate=16000, format="native",
                                                            verbose=False)))
    with pytest.raises(FileNotFoundError, match="directory"):
        kerasj.utils.text_dataset_from_directory(os.path.join(text_dir, "missing"))


@pytest.fixture(scope="module")
def model():
    model = kerasj.Sequential([kerasj.Input(SIZE + (3,)), kerasj.layers.Rescaling(1 / 255),
                               kerasj.layers.Flatten(), kerasj.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=kerasj.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


@pytest.mark.parametrize("format, has_len", [("tf", True), ("grain", False), ("native", True)])
def test_every_format_feeds_fit_evaluate_and_predict(image_dir, model, format, has_len):
    # Batches of 3 throughout: one compiled program per step kind, shared by the three formats.
    train, val = kerasj.utils.image_dataset_from_directory(image_dir, image_size=SIZE, batch_size=3, seed=2,
                                                           validation_split=0.34, subset="both", format=format,
                                                           verbose=False)
    # len() gives the progress bar its total (grain's IterDataset has none, in Keras too)
    assert make_source("fit", train).num_steps() == (2 if has_len else None)
    history = model.fit(train, validation_data=val, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert np.isfinite(history.history["loss"]).all()
    assert np.isfinite(model.evaluate(val, verbose=0)).all()
    assert model.predict(train, verbose=0).shape == (len(train.file_paths), 3)
