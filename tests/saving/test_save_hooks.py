"""Per-object save hooks: `save_own_variables` / `load_own_variables` (an object's `vars` group in the weights
file) and `save_assets` / `load_assets` (its `assets/<path>/` folder in a `.keras` archive).

- a custom layer with all four hooks round-trips through `.keras` and `.weights.h5`, and each object sees only
  its own asset files;
- Layer's default hooks behave as Keras's (same keys, same error for a wrong count);
- adapted StringLookup / TextVectorization(tf_idf) archives move between Keras 3 and kerasj both ways;
- hostile asset members (`..`, absolute paths, links, huge members) are refused and nothing is written outside
  the temporary folder.
"""
import os
import stat
import tempfile
import zipfile

import h5py
import numpy as np
import pytest

import kerasj
from kerasj.saving import keras_archive
from kerasj.saving.safe_mode import in_safe_mode, in_safe_mode_scope, safe_mode_scope

L = kerasj.layers
TEXTS = np.array(["the cat sat", "the dog", "a cat", "dog and cat"])
QUERIES = np.array(["the cat", "dog dog a", "zebra", ""])
WORDS = np.array(["a", "b", "b", "c", "c", "c"])
WORD_QUERIES = np.array([["a"], ["c"], ["zzz"], ["b"]])


@kerasj.saving.register_keras_serializable(package="kerasj_hook_tests")
class Tabled(L.Layer):
    """A layer whose state is a weight, a numpy table (no variable) and a text file."""

    seen_asset_dirs = []  # (layer name, dir, files there): what load_assets was given

    def __init__(self, note="", **kwargs):
        super().__init__(**kwargs)
        self.note = note
        self.table = np.zeros(3, "float32")

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w + self.table.sum()

    def save_own_variables(self, store):
        store["w"] = self.w
        store["table"] = self.table

    def load_own_variables(self, store):
        self.w.assign(store["w"])
        self.table = store["table"]

    def save_assets(self, dir_path):
        with open(os.path.join(dir_path, "note.txt"), "w") as f:
            f.write(self.note)
        os.makedirs(os.path.join(dir_path, "sub"))
        with open(os.path.join(dir_path, "sub", "more.txt"), "w") as f:
            f.write(self.note.upper())

    def load_assets(self, dir_path):
        files = sorted(os.path.relpath(os.path.join(d, f), dir_path) for d, _, fs in os.walk(dir_path) for f in fs)
        Tabled.seen_asset_dirs.append((self.name, dir_path, files))
        with open(os.path.join(dir_path, "note.txt")) as f:
            self.note = f.read()
        with open(os.path.join(dir_path, "sub", "more.txt")) as f:
            assert f.read() == self.note.upper()


def _tabled_model(notes, tables, scale):
    model = kerasj.Sequential([L.Input((2,)), Tabled(name="t0"), L.Dense(2, name="dense"), Tabled(name="t1")])
    for layer, note, table in zip((model.layers[0], model.layers[2]), notes, tables):
        layer.note, layer.table = note, np.asarray(table, "float32")
        layer.w.assign(np.full(2, scale, "float32"))
    model.layers[1].set_weights([np.eye(2, dtype="float32") * scale, np.ones(2, "float32")])
    return model


X = np.array([[1.0, 2.0], [3.0, -1.0]], "float32")


def test_custom_hooks_round_trip_through_keras_archive(tmp_path):
    model = _tabled_model(["first", "second"], [[1, 2, 3], [4, 5, 6]], 2.0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    names = zipfile.ZipFile(path).namelist()
    assert sorted(n for n in names if n.startswith("assets/")) == [
        "assets/layers/tabled/note.txt", "assets/layers/tabled/sub/more.txt",
        "assets/layers/tabled_1/note.txt", "assets/layers/tabled_1/sub/more.txt"]
    with h5py.File(zipfile.ZipFile(path).open("model.weights.h5")) as f:
        assert sorted(f["layers/tabled/vars"]) == ["table", "w"]
        assert sorted(f["layers/dense/vars"]) == ["0", "1"]  # ordinary layers keep Keras's layout
    Tabled.seen_asset_dirs.clear()
    restored = kerasj.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(restored(X)), np.asarray(model(X)))
    t0, t1 = restored.layers[0], restored.layers[2]
    assert (t0.note, t1.note) == ("first", "second")
    np.testing.assert_array_equal(t1.table, [4, 5, 6])
    # Each layer was given a folder holding its own files only, and the folder is gone after loading.
    assert [(name, files) for name, _, files in Tabled.seen_asset_dirs] == [
        ("t0", ["note.txt", os.path.join("sub", "more.txt")]), ("t1", ["note.txt", os.path.join("sub", "more.txt")])]
    assert not any(os.path.exists(d) for _, d, _ in Tabled.seen_asset_dirs)


def test_custom_hooks_round_trip_through_weights_file(tmp_path):
    model = _tabled_model(["a", "b"], [[1, 2, 3], [4, 5, 6]], 3.0)
    other = _tabled_model(["a", "b"], [[0, 0, 0], [0, 0, 0]], 1.0)
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    other.load_weights(path)
    np.testing.assert_array_equal(other.layers[2].table, [4, 5, 6])
    np.testing.assert_array_equal(np.asarray(other(X)), np.asarray(model(X)))


def test_failing_load_hook_is_reported_and_skippable(tmp_path):
    model = _tabled_model(["a", "b"], [[1, 2, 3], [4, 5, 6]], 3.0)
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/tabled_1/vars/table"]
    other = _tabled_model(["a", "b"], [[0, 0, 0], [9, 9, 9]], 1.0)
    with pytest.raises(ValueError, match=r"Layer 't1': load_own_variables raised KeyError.*'table'"):
        other.load_weights(path)
    np.testing.assert_array_equal(other.layers[1].get_weights()[1], [1, 1])  # no plain variable was assigned
    with pytest.warns(UserWarning, match="skipped 1 object"):
        other.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[1].get_weights()[0], np.eye(2) * 3)


def test_layer_default_hooks_match_keras():
    import keras
    ours, theirs = L.Dense(2, name="d"), keras.layers.Dense(2, name="d")
    ours.build((None, 3))
    theirs.build((None, 3))
    store = {}
    ours.save_own_variables(store)
    assert sorted(store) == ["0", "1"]
    for got, want in zip((store["0"], store["1"]), ours.get_weights()):
        np.testing.assert_array_equal(got, want)
    theirs.load_own_variables(store)  # Keras reads what ours wrote ...
    back = {}
    theirs.save_own_variables(back)
    fresh = L.Dense(2, name="d")
    fresh.build((None, 3))
    fresh.load_own_variables({k: np.asarray(v) for k, v in back.items()})  # ... and the other way round
    for got, want in zip(fresh.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError) as keras_err:
        theirs.load_own_variables({"0": store["0"]})
    with pytest.raises(ValueError) as our_err:
        ours.load_own_variables({"0": store["0"]})
    assert str(our_err.value) == str(keras_err.value)
    with pytest.raises(ValueError, match="'u' was never built"):
        L.Dense(2, name="u").load_own_variables(store)


# -- interop with Keras 3 for the lookup layers ----------------------------------------------------------------

def _keras_models():
    import keras
    lookup = keras.layers.StringLookup()
    lookup.adapt(WORDS)
    vectorizer = keras.layers.TextVectorization(output_mode="tf_idf", max_tokens=7)
    vectorizer.adapt(TEXTS)
    text_in = keras.Input(shape=(), dtype="string")
    return (keras.Sequential([keras.Input(shape=(1,), dtype="string"), lookup]),
            keras.Model(text_in, vectorizer(text_in)))


def _kerasj_models():
    lookup = L.StringLookup()
    lookup.adapt(WORDS)
    vectorizer = L.TextVectorization(output_mode="tf_idf", max_tokens=7)
    vectorizer.adapt(TEXTS)
    text_in = kerasj.Input(shape=(), dtype="string")
    return (kerasj.Sequential([kerasj.Input(shape=(1,), dtype="string"), lookup]),
            kerasj.Model(text_in, vectorizer(text_in)))


QUERY = {"lookup": WORD_QUERIES, "tfidf": QUERIES}


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """The adapted models saved by Keras 3 and by kerasj, and Keras's outputs (the oracle) under "expected"."""
    folder = tmp_path_factory.mktemp("adapted")
    paths = {}
    for writer, models in (("keras", _keras_models()), ("kerasj", _kerasj_models())):
        for kind, model in zip(("lookup", "tfidf"), models):
            paths[writer, kind] = str(folder / f"{writer}_{kind}.keras")
            model.save(paths[writer, kind])
            if writer == "keras":
                # Keras on JAX cannot run a string model end to end; its (TensorFlow-backed) last layer can.
                paths["expected", kind] = np.asarray(model.layers[-1](QUERY[kind]))
    return paths


@pytest.mark.parametrize("kind", ["lookup", "tfidf"])
def test_keras_written_lookup_archives_load_in_kerasj(archives, kind):
    model = kerasj.models.load_model(archives["keras", kind])
    np.testing.assert_allclose(np.asarray(model(QUERY[kind])), archives["expected", kind], rtol=1e-6)


@pytest.mark.parametrize("kind", ["lookup", "tfidf"])
def test_kerasj_written_lookup_archives_load_in_keras(archives, kind):
    import keras
    with zipfile.ZipFile(archives["keras", kind]) as theirs, zipfile.ZipFile(archives["kerasj", kind]) as ours:
        assert sorted(n for n in ours.namelist() if n.startswith("assets/")) == \
            sorted(n for n in theirs.namelist() if n.startswith("assets/"))
    model = keras.models.load_model(archives["kerasj", kind])
    np.testing.assert_allclose(np.asarray(model.layers[-1](QUERY[kind])), archives["expected", kind], rtol=1e-6)


# -- hostile asset members ----------------------------------------------------------------------------------

def _rewrite(source, target, extra=(), drop=()):
    """Copy the archive `source` to `target`, leaving out `drop` and adding `extra` (ZipInfo or name, data)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in drop:
                dst.writestr(info, src.read(info))
        for info, data in extra:
            dst.writestr(info, data)


def _link(name, target):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target


VOCAB = "assets/layers/string_lookup/vocabulary.txt"


@pytest.mark.parametrize("extra, message", [
    ([("assets/../x", b"evil")], "points outside the archive"),
    ([("/tmp/kerasj_hostile_x", b"evil")], "points outside the archive"),
    ([_link(VOCAB, "/etc/passwd")], "symbolic link or another special entry"),
    ([_link("assets/layers/string_lookup/sub", "/")], "symbolic link or another special entry"),
    ([(VOCAB, b"a\n" * 2 ** 21)], "likely zip bomb"),
], ids=["dotdot", "absolute", "link", "dir-link", "bomb"])
def test_hostile_asset_members_are_refused(archives, tmp_path, monkeypatch, extra, message):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = str(tmp_path / "evil.keras")
    drop = [VOCAB] if any(getattr(e[0], "filename", e[0]) == VOCAB for e in extra) else []
    _rewrite(archives["kerasj", "lookup"], path, extra, drop)
    with pytest.raises(ValueError, match=message):
        kerasj.models.load_model(path)
    assert sorted(os.listdir(tmp_path)) == ["evil.keras", "scratch"] and os.listdir(scratch) == []
    assert not os.path.exists("/tmp/kerasj_hostile_x") and not os.path.exists(tmp_path.parent / "x")


def test_assets_over_the_size_bound_are_refused(archives, monkeypatch):
    monkeypatch.setattr(keras_archive, "MAX_ASSET_BYTES", 8)  # the vocabulary file holds more
    with pytest.raises(ValueError, match="larger than the 8 bytes allowed"):
        kerasj.models.load_model(archives["kerasj", "lookup"])


def test_other_objects_asset_members_are_not_extracted(archives, tmp_path):
    path = str(tmp_path / "more.keras")
    _rewrite(archives["kerasj", "lookup"], path, [("assets/layers/string_lookup_1/vocabulary.txt", b"x\ny")])
    model = kerasj.models.load_model(path)  # the stray folder belongs to no layer: ignored, never written
    assert model.layers[0].get_vocabulary() == ["[UNK]", "c", "b", "a"]


def test_missing_asset_is_a_clear_error(archives, tmp_path):
    path = str(tmp_path / "missing.keras")
    _rewrite(archives["kerasj", "lookup"], path, [("assets/other.txt", b"")], drop=[VOCAB])
    with pytest.raises(ValueError, match=r"StringLookup '\w+' could not load its assets .*FileNotFoundError"):
        kerasj.models.load_model(path)


def test_in_safe_mode_scope_is_true_only_inside_a_safe_scope():
    assert in_safe_mode() and not in_safe_mode_scope()
    with safe_mode_scope(True):
        assert in_safe_mode_scope()
        with safe_mode_scope(False):
            assert not in_safe_mode_scope()
    assert not in_safe_mode_scope()
