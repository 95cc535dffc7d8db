"""Dataset loaders checked against Keras 3's own loaders on the SAME small generated files.

Each test writes tiny files with the real names and formats into one cache directory that both kerasj
(`KERASJ_HOME`) and Keras (its cache root) read. Nothing is downloaded: urlopen and Keras's urlretrieve raise.
The generated files cannot have the real datasets' hashes, so kerasj is given each generated file's true hash
(`serve`), and Keras is told to accept any hash (`_keras_accepts_any_hash`).
"""
import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import tarfile
import urllib.error
import urllib.request

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from keras.src.backend import config as keras_config
from keras.src.utils import file_utils as keras_file_utils

import kerasj
from kerasj import datasets
from kerasj.datasets import (boston_housing, california_housing, cifar10, cifar100, digits, fashion_mnist, imdb,
                             mnist, reuters)
from kerasj.utils.file_utils import DownloadError


def _no_network(*args, **kwargs):
    raise urllib.error.URLError("network disabled in tests")


def _keras_accepts_any_hash(*args, **kwargs):
    return True


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The `datasets` folder of a cache root shared by kerasj and Keras."""
    monkeypatch.setenv("KERASJ_HOME", str(tmp_path))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setattr(keras_file_utils, "urlretrieve", _no_network)
    monkeypatch.setattr(keras_file_utils, "validate_file", _keras_accepts_any_hash)
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def serve(monkeypatch, module, path, attr="FILE_HASH"):
    """Let `module` accept the generated file at `path` by giving it that file's real hash."""
    digest = hashlib.md5 if len(getattr(module, attr)) == 32 else hashlib.sha256
    monkeypatch.setattr(module, attr, digest(path.read_bytes()).hexdigest())


def assert_same(ours, theirs):
    """Same nesting, types, dtypes, shapes and values (object arrays: the same lists)."""
    if isinstance(theirs, (tuple, list)) and not isinstance(theirs, np.ndarray):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if theirs.dtype == object:
        assert [list(s) for s in ours] == [list(s) for s in theirs]
        assert all(isinstance(w, int) for s in ours for w in s)
    else:
        np.testing.assert_array_equal(ours, theirs)


def _ragged(rng, n, low=1, high=20, min_len=2, max_len=10):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = rng.integers(low, high, size=rng.integers(min_len, max_len)).tolist()
    return out


# ---------------------------------------------------------------------------------------------------- images

def test_mnist_matches_keras(cache, monkeypatch, rng):
    arrays = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 5).astype(np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3).astype(np.uint8)}
    np.savez(cache / "mnist.npz", **arrays)
    serve(monkeypatch, mnist, cache / "mnist.npz")
    ours = mnist.load_data()
    assert_same(ours, keras.datasets.mnist.load_data())
    np.testing.assert_array_equal(ours[1][0], arrays["x_test"])


def test_fashion_mnist_matches_keras(cache, rng):
    folder = cache / "fashion-mnist"
    folder.mkdir()
    for prefix, n in (("train", 4), ("t10k", 3)):
        labels, images = rng.integers(0, 10, n, dtype=np.uint8), rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(struct.pack(">II", 2049, n) + labels.tobytes()))
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes()))
    ours = fashion_mnist.load_data()
    assert_same(ours, keras.datasets.fashion_mnist.load_data())
    assert ours[0][0].shape == (4, 28, 28) and ours[1][1].dtype == np.uint8


def test_fashion_mnist_rejects_a_file_of_the_wrong_kind(cache):
    folder = cache / "fashion-mnist"
    folder.mkdir()
    for name in fashion_mnist.FILES:  # every file claims to be an image file
        (folder / name).write_bytes(gzip.compress(struct.pack(">IIII", 2051, 1, 28, 28) + bytes(784)))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz is not an IDX file.*magic number 2051, "
                                         "expected 2049"):
        fashion_mnist.load_data()


class _Py2Pickler(pickle._Pickler):
    """Writes pickles the way the CIFAR batches were written (Python 2, protocol 2): byte and text strings as
    Python 2 `str` opcodes, NumPy's array helper under its old module name."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj):
        data = obj.encode("latin-1") if isinstance(obj, str) else obj
        head = pickle.SHORT_BINSTRING + bytes([len(data)]) if len(data) < 256 else \
            pickle.BINSTRING + struct.pack("<i", len(data))
        self.write(head + data)

    dispatch[bytes] = _save_py2_str
    dispatch[str] = _save_py2_str


def _py2_pickle(obj):
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def _cifar_batch(rng, n, **labels):
    batch = {b"batch_label": b"testing batch", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"filenames": [f"img_{i}.png".encode() for i in range(n)]}
    batch.update({key.encode(): value for key, value in labels.items()})
    return _py2_pickle(batch)


def _write_tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.fixture
def image_data_format():
    """Set the image data format in both libraries; restored afterwards."""
    saved = (kerasj.config.image_data_format(), keras.config.image_data_format())

    def set_format(data_format):
        kerasj.config.set_image_data_format(data_format)
        keras.config.set_image_data_format(data_format)

    yield set_format
    kerasj.config.set_image_data_format(saved[0])
    keras.config.set_image_data_format(saved[1])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cifar100_matches_keras(cache, monkeypatch, rng, image_data_format, data_format):
    image_data_format(data_format)
    archive = cache / "cifar-100-python-target_archive"
    _write_tar(archive, {
        f"cifar-100-python/{name}": _cifar_batch(rng, n, fine_labels=rng.integers(0, 100, n).tolist(),
                                                 coarse_labels=rng.integers(0, 20, n).tolist())
        for name, n in (("train", 4), ("test", 3))})
    serve(monkeypatch, cifar100, archive)
    for label_mode in ("fine", "coarse"):
        ours = cifar100.load_data(label_mode)
        assert_same(ours, keras.datasets.cifar100.load_data(label_mode))
    assert ours[0][0].shape == ((4, 32, 32, 3) if data_format == "channels_last" else (4, 3, 32, 32))
    assert ours[0][1].shape == (4, 1)


def test_cifar10_matches_keras_batch_reader(cache, monkeypatch, rng):
    # Keras's cifar10.load_data assumes 10,000 images per batch (180 MB of test data), so here Keras's own
    # batch reader is the oracle, and the assembly follows Keras's documented rules: five training batches
    # concatenated, uint8 labels of shape (n, 1), images transposed to channels_last.
    from keras.src.datasets.cifar import load_batch

    archive = cache / "cifar-10-batches-py-target_archive"
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    _write_tar(archive, {f"cifar-10-batches-py/{name}": _cifar_batch(rng, 2 + i % 2,
                                                                     labels=rng.integers(0, 10, 2 + i % 2).tolist())
                         for i, name in enumerate(names)})
    serve(monkeypatch, cifar10, archive)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    folder = cache / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    batches = [load_batch(str(folder / name)) for name in names]
    expected_x = np.concatenate([x for x, _ in batches[:5]]).transpose(0, 2, 3, 1)
    expected_y = np.concatenate([y for _, y in batches[:5]]).astype(np.uint8).reshape(-1, 1)
    assert_same(((x_train, y_train), (x_test, y_test)),
                ((expected_x, expected_y), (batches[5][0].transpose(0, 2, 3, 1),
                                            np.asarray(batches[5][1], np.uint8).reshape(-1, 1))))
    assert x_train.shape == (12, 32, 32, 3)


class _RunsCode:
    """A pickled object whose loading would create `marker` (a stand-in for running arbitrary code)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_cifar_batch_that_would_run_code_is_refused(cache, monkeypatch, tmp_path):
    archive = cache / "cifar-100-python-target_archive"
    marker = tmp_path / "code-ran"
    _write_tar(archive, {"cifar-100-python/train": _py2_pickle({b"data": _RunsCode(str(marker))}),
                         "cifar-100-python/test": b""})
    serve(monkeypatch, cifar100, archive)
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load posix\.mkdir"):
        cifar100.load_data()
    assert not marker.exists()


def test_cifar100_rejects_unknown_label_mode(cache):
    with pytest.raises(ValueError, match="`label_mode` must be 'fine' or 'coarse'; received label_mode='medium'"):
        cifar100.load_data("medium")


# ------------------------------------------------------------------------------------------------- sequences

IMDB_OPTIONS = [
    {},
    {"num_words": 10, "skip_top": 4},
    {"maxlen": 8},
    {"start_char": None, "index_from": 0, "oov_char": None, "num_words": 12},
    {"seed": 5, "start_char": None, "index_from": 2, "skip_top": 3, "oov_char": None},
]


@pytest.fixture
def imdb_file(cache, monkeypatch, rng):
    path = cache / "imdb.npz"
    np.savez(path, x_train=_ragged(rng, 12), y_train=rng.integers(0, 2, 12), x_test=_ragged(rng, 10),
             y_test=rng.integers(0, 2, 10))
    serve(monkeypatch, imdb, path)
    return path


def test_imdb_matches_keras(imdb_file):
    for options in IMDB_OPTIONS:
        assert_same(imdb.load_data(**options), keras.datasets.imdb.load_data(**options))


def test_imdb_maxlen_that_keeps_nothing_is_an_error(imdb_file):
    with pytest.raises(ValueError, match="no training review is shorter than maxlen=2"):
        imdb.load_data(maxlen=2)
    with pytest.raises(ValueError, match="no sequence was kept"):
        keras.datasets.imdb.load_data(maxlen=2)


def test_npz_object_array_that_would_run_code_is_refused(cache, monkeypatch, tmp_path):
    marker = tmp_path / "code-ran"
    evil = np.empty(1, dtype=object)
    evil[0] = _RunsCode(str(marker))
    np.savez(cache / "imdb.npz", x_train=evil, y_train=np.zeros(1), x_test=evil, y_test=np.zeros(1))
    serve(monkeypatch, imdb, cache / "imdb.npz")
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load"):
        imdb.load_data()
    assert not marker.exists()


REUTERS_OPTIONS = [
    {},
    {"num_words": 9, "skip_top": 2, "test_split": 0.35},
    {"maxlen": 7, "seed": 3},
    {"start_char": None, "index_from": 0, "oov_char": None},
]


def test_reuters_matches_keras(cache, monkeypatch, rng):
    path = cache / "reuters.npz"
    np.savez(path, x=_ragged(rng, 20), y=rng.integers(0, 46, 20))
    serve(monkeypatch, reuters, path)
    for options in REUTERS_OPTIONS:
        assert_same(reuters.load_data(**options), keras.datasets.reuters.load_data(**options))
    assert reuters.get_label_names() == keras.datasets.reuters.get_label_names()


@pytest.mark.parametrize("module, name", [(imdb, "imdb_word_index.json"), (reuters, "reuters_word_index.json")])
def test_word_index_matches_keras(cache, monkeypatch, module, name):
    (cache / name).write_text(json.dumps({"the": 1, "and": 2, "café": 3}), encoding="utf-8")
    serve(monkeypatch, module, cache / name, attr="WORD_INDEX_HASH")
    keras_module = getattr(keras.datasets, module.__name__.rsplit(".", 1)[1])
    assert module.get_word_index() == keras_module.get_word_index() == {"the": 1, "and": 2, "café": 3}


def test_sequences_emptied_by_filtering_keep_their_place():
    # With oov_char=None out-of-range words are removed, which can leave empty sequences (math, not Keras).
    sequences = [[5, 1, 5], [1, 1], [7]]
    out, labels, kept = datasets._common.encode_sequences(
        sequences, np.array([0, 1, 2]), num_words=6, skip_top=2, maxlen=None, start_char=None, oov_char=None,
        index_from=0)
    assert out == [[5, 5], [], []] and labels.tolist() == [0, 1, 2] and kept.all()


# ------------------------------------------------------------------------------------------------ regression

@pytest.mark.parametrize("options", [{}, {"test_split": 0.3, "seed": 1}, {"test_split": 0}])
def test_boston_housing_matches_keras(cache, monkeypatch, rng, options):
    np.savez(cache / "boston_housing.npz", x=rng.normal(size=(25, 13)), y=rng.normal(size=25))
    serve(monkeypatch, boston_housing, cache / "boston_housing.npz")
    assert_same(boston_housing.load_data(**options), keras.datasets.boston_housing.load_data(**options))


@pytest.mark.parametrize("options", [{}, {"version": "small"}, {"version": "small", "test_split": 0.5, "seed": 4}])
def test_california_housing_matches_keras(cache, monkeypatch, rng, options):
    np.savez(cache / "california_housing.npz", x=rng.normal(size=(650, 8)).astype(np.float32),
             y=rng.uniform(2e4, 5e5, 650).astype(np.float32))
    serve(monkeypatch, california_housing, cache / "california_housing.npz")
    ours = california_housing.load_data(**options)
    assert_same(ours, keras.datasets.california_housing.load_data(**options))
    assert len(ours[0][0]) + len(ours[1][0]) == (600 if options.get("version") == "small" else 650)


@pytest.mark.parametrize("call, match", [
    (lambda: boston_housing.load_data(test_split=1.0),
     r"boston_housing.load_data: `test_split` must be in \[0, 1\).*received test_split=1.0"),
    (lambda: california_housing.load_data(version="medium"),
     "`version` must be 'large' or 'small'; received version='medium'"),
    (lambda: reuters.load_data(test_split=-0.1), "reuters.load_data: `test_split` must be in"),
    (lambda: digits.load_data(test_split=1.5), "digits.load_data: `test_split` must be in"),
], ids=["boston-split", "california-version", "reuters-split", "digits-split"])
def test_invalid_arguments_fail_before_any_download(cache, call, match):
    with pytest.raises(ValueError, match=match):
        call()
    assert os.listdir(cache) == []


# ------------------------------------------------------------------------------------------ cache behaviour

def test_offline_and_not_cached_names_file_url_and_where_to_put_it(cache):
    with pytest.raises(DownloadError) as info:
        mnist.load_data()
    message = str(info.value)
    for expected in ("'mnist.npz'", mnist.ORIGIN, str(cache / "mnist.npz"), mnist.FILE_HASH,
                     "network disabled in tests"):
        assert expected in message


def test_cached_file_with_wrong_hash_is_not_used(cache, rng):
    np.savez(cache / "boston_housing.npz", x=rng.normal(size=(5, 13)), y=rng.normal(size=5))  # not the real file
    with pytest.raises(DownloadError, match="cached copy at .*boston_housing.npz does not match the expected hash"):
        boston_housing.load_data()


# ----------------------------------------------------------------------------------------------------- digits

def _raw_digits():
    """The packaged CSV parsed independently of kerasj: (1797, 65) ints."""
    import csv

    with gzip.open(os.path.join(os.path.dirname(digits.__file__), "data", "digits.csv.gz"), "rt") as f:
        return np.array([[int(float(v)) for v in row] for row in csv.reader(f)])


def test_digits_shapes_counts_and_values():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    x, y = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    assert len(x) == 1797 and x.min() == 0 and x.max() == 16
    raw = _raw_digits()
    assert raw.shape == (1797, 65)
    np.testing.assert_array_equal(np.bincount(y, minlength=10), np.bincount(raw[:, 64], minlength=10))
    assert sorted(set(y.tolist())) == list(range(10)) and np.bincount(y).min() >= 170
    # Same samples, pixels and labels as the file, only reordered.
    ours = np.concatenate([x.reshape(-1, 64), y[:, None]], axis=1).astype(np.int64)
    np.testing.assert_array_equal(ours[np.lexsort(ours.T[::-1])], raw[np.lexsort(raw.T[::-1])])


def test_digits_split_follows_keras_shuffle_rule(cache, monkeypatch):
    # Keras's boston_housing loader on the digits arrays is the oracle for the shuffle-and-split rule.
    raw = _raw_digits()
    np.savez(cache / "boston_housing.npz", x=raw[:, :64].reshape(-1, 8, 8).astype(np.uint8),
             y=raw[:, 64].astype(np.uint8))
    for options in ({}, {"test_split": 0.5, "seed": 7}):
        assert_same(digits.load_data(**options), keras.datasets.boston_housing.load_data(**options))


def test_digits_is_deterministic_per_seed():
    first, again, other = digits.load_data(seed=3), digits.load_data(seed=3), digits.load_data(seed=4)
    assert_same(first, again)
    assert not np.array_equal(first[0][1], other[0][1])
    (x_train, y_train), (x_test, _) = digits.load_data(test_split=0.0)
    assert len(x_train) == 1797 and len(x_test) == 0


def test_datasets_package_exposes_every_loader():
    for name in ("boston_housing", "california_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb",
                 "mnist", "reuters"):
        assert callable(getattr(datasets, name).load_data)
    assert set(datasets.__all__) >= {"mnist", "digits", "cifar100"}
