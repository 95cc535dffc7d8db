"""Loading untrusted `.keras` files: every malformed or hostile archive gives a clean ValueError that says what
is wrong, nothing is written outside the archive, no module named in the file is imported and no stored code
runs in safe mode. A seeded fuzz test mutates a valid archive (byte flips, truncations, JSON value changes)
and checks each load either returns a model or raises ValueError."""
import copy
import importlib
import io
import json
import os
import random
import signal
import struct
import sys
import threading
import zipfile
import zlib

import h5py
import numpy as np
import pytest

import kerasj
from kerasj.saving import keras_archive

L = kerasj.layers
CONFIG, METADATA, WEIGHTS = keras_archive.CONFIG_NAME, keras_archive.METADATA_NAME, keras_archive.WEIGHTS_NAME
INVALID = "is not a valid `.keras` archive"


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """The members of a valid archive of a small compiled functional model: {name: bytes}."""
    x = kerasj.Input((3,), name="x")
    h = L.Dense(4, activation="relu", name="hidden", kernel_initializer="zeros")(x)
    model = kerasj.Model(x, L.Dense(2, name="out", kernel_initializer="zeros")(h * 2.0), name="small")
    model.compile("adam", "mse")
    model.optimizer.build(model.trainable_variables)  # so its state is saved, as after fit
    path = tmp_path_factory.mktemp("valid") / "valid.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_zip(path, members, compression=zipfile.ZIP_DEFLATED):
    """Write `members` ([(name, bytes)] or {name: bytes}) as a zip, names taken literally."""
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            zf.writestr(info, data)
    return path


def with_config(valid, config):
    members = dict(valid)
    members[CONFIG] = json.dumps(config).encode() if not isinstance(config, bytes) else config
    return members


def assert_refused(path, match, **kwargs):
    """Loading `path` raises a ValueError matching `match` and leaves its directory (and parent) unchanged."""
    folder = os.path.dirname(path)
    before = (sorted(os.listdir(folder)), sorted(os.listdir(os.path.dirname(folder))))
    with pytest.raises(ValueError, match=match):
        kerasj.models.load_model(path, **kwargs)
    assert (sorted(os.listdir(folder)), sorted(os.listdir(os.path.dirname(folder)))) == before


def test_the_valid_archive_loads(valid, tmp_path):
    model = kerasj.models.load_model(write_zip(tmp_path / "ok.keras", valid))
    assert model.name == "small" and model.compiled


# -- the container ---------------------------------------------------------------------------------------------

def test_truncated_and_non_zip_files(valid, tmp_path):
    good = write_zip(tmp_path / "good.keras", valid).read_bytes()
    for i, size in enumerate([0, 10, len(good) // 2, len(good) - 10]):
        path = tmp_path / f"truncated{i}.keras"
        path.write_bytes(good[:size])
        assert_refused(path, INVALID)
    (tmp_path / "text.keras").write_text("print('hello')\n" * 50)
    assert_refused(tmp_path / "text.keras", "not a readable zip file")
    (tmp_path / "random.keras").write_bytes(np.random.default_rng(0).bytes(4096))
    assert_refused(tmp_path / "random.keras", INVALID)
    os.mkdir(tmp_path / "folder.keras")
    with pytest.raises(FileNotFoundError):
        kerasj.models.load_model(tmp_path / "folder.keras")


@pytest.mark.parametrize("missing,match", [(CONFIG, "has no 'config.json' member"),
                                           (WEIGHTS, "has no model.weights.h5 member")])
def test_missing_members(valid, tmp_path, missing, match):
    members = {k: v for k, v in valid.items() if k != missing}
    assert_refused(write_zip(tmp_path / "m.keras", members), match)


def test_weights_stored_as_npz_are_explained(valid, tmp_path):
    members = {k: v for k, v in valid.items() if k != WEIGHTS}
    members["model.weights.npz"] = b"PK"
    path = write_zip(tmp_path / "m.keras", members)
    with pytest.raises(ValueError, match="unexpected member 'model.weights.npz'"):
        kerasj.models.load_model(path)


@pytest.mark.parametrize("name,match", [
    ("evil.py", "unexpected member 'evil.py'"),
    ("config.json.bak", "unexpected member"),
    ("../evil.keras", "points outside the archive"),
    ("assets/../../evil", "points outside the archive"),
    ("/etc/evil", "points outside the archive"),
    ("\\evil", "points outside the archive"),
    ("C:evil", "points outside the archive"),
    ("assets\\..\\..\\evil", "points outside the archive"),
])
def test_unexpected_and_escaping_member_names(valid, tmp_path, name, match):
    folder = tmp_path / "inside"
    folder.mkdir()
    path = write_zip(folder / "m.keras", list(valid.items()) + [(name, b"payload")])
    assert_refused(path, match)
    assert not any("evil" in f for _, _, files in os.walk(tmp_path) for f in files)


def test_duplicate_members(valid, tmp_path):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        path = write_zip(tmp_path / "m.keras", list(valid.items()) + [(CONFIG, b'{"class_name": "Evil"}')])
    assert_refused(path, "the member 'config.json' appears twice")


def test_a_highly_compressed_member_is_refused_as_a_zip_bomb(valid, tmp_path):
    members = dict(valid)
    members[CONFIG] = valid[CONFIG] + b" " * (4 * 2 ** 20)  # valid JSON, 4 MiB, compresses ~1000x
    assert_refused(write_zip(tmp_path / "m.keras", members), "likely zip bomb")


def _patch_sizes(data, name, new_size, crc=None):
    """Rewrite the uncompressed size (and optionally the CRC) of member `name` in both its local header and
    the central directory."""
    data = bytearray(data)
    encoded = name.encode()
    for signature, crc_offset, size_offset, name_len_offset, header_len in ((b"PK\x03\x04", 14, 22, 26, 30),
                                                                            (b"PK\x01\x02", 16, 24, 28, 46)):
        start = 0
        while (pos := data.find(signature, start)) >= 0:
            name_len = struct.unpack_from("<H", data, pos + name_len_offset)[0]
            if data[pos + header_len:pos + header_len + name_len] == encoded:
                struct.pack_into("<I", data, pos + size_offset, new_size)
                if crc is not None:
                    struct.pack_into("<I", data, pos + crc_offset, crc)
            start = pos + 4
    return bytes(data)


def test_a_member_decompressing_beyond_its_stated_size(valid, tmp_path):
    path = write_zip(tmp_path / "m.keras", valid)
    path.write_bytes(_patch_sizes(path.read_bytes(), CONFIG, 20))  # the real JSON is much longer
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(CONFIG).file_size == 20
    assert_refused(path, "decompresses to more than its stated 20 bytes|'config.json' cannot be read")
    # With a CRC matching the first 20 bytes, the reader still stops at the stated size: the JSON is cut off.
    path = write_zip(tmp_path / "m.keras", valid)
    path.write_bytes(_patch_sizes(path.read_bytes(), CONFIG, 20, crc=zlib.crc32(valid[CONFIG][:20])))
    assert_refused(path, "config.json is not valid JSON")


def test_a_member_claiming_a_huge_size(valid, tmp_path):
    path = write_zip(tmp_path / "m.keras", valid)
    path.write_bytes(_patch_sizes(path.read_bytes(), CONFIG, 2 ** 31))
    assert_refused(path, "likely zip bomb|more than the .* allowed")


# -- config.json -----------------------------------------------------------------------------------------------

def _config(valid):
    return json.loads(valid[CONFIG])


def _layer(config, name):
    return next(r for r in config["config"]["layers"] if r["name"] == name)


def _mutate(valid, edit):
    config = copy.deepcopy(_config(valid))
    edit(config)
    return config


CONFIG_CASES = {
    "not_json": (lambda c: b"{'single': quotes}", "config.json is not valid JSON"),
    "not_utf8": (lambda c: b"\xff\xfe{}", "config.json is not valid JSON"),
    "list": (lambda c: [c], "must hold a JSON object; it holds a list"),
    "number": (lambda c: 3, "must hold a JSON object"),
    "class_name_number": (lambda c: {**c, "class_name": 7}, "'class_name' must be a string"),
    "unknown_class": (lambda c: {**c, "class_name": "Transformer9000"}, "Could not locate class 'Transformer9000'"),
    # A layer may be saved on its own (Keras loads a saved FeatureSpace); anything else is refused.
    "not_a_layer": (lambda c: {"module": "keras.optimizers", "class_name": "Adam", "config": {}},
                    "describes a Adam, not a model or layer"),
    "unbuilt_layer": (lambda c: {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}},
                      "could not be built"),
    "layers_not_list": (lambda c: {**c, "config": {**c["config"], "layers": {"a": 1}}}, "needs a list 'layers'"),
    "config_is_list": (lambda c: {**c, "config": [1, 2]}, "must be a dict"),
    "compile_config_list": (lambda c: {**c, "compile_config": [1]}, "compile_config must be a dict"),
    "bad_optimizer": (lambda c: {**c, "compile_config": {**c["compile_config"], "optimizer": {
        "module": "keras.optimizers", "class_name": "NoSuchOptimizer", "config": {}}}},
        "Could not locate class 'NoSuchOptimizer'"),
}


def _edit_layer(name, fn):
    def edit(config):
        fn(_layer(config, name))
    return edit


def _set_history(layer_name, history):
    def fn(record):
        record["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = history
    return _edit_layer(layer_name, fn)


def _cycle(config):
    # hidden takes out's output and out (through the multiply) takes hidden's: no order can build either.
    _set_history("hidden", ["out", 0, 0])(config)


GRAPH_CASES = {
    "unknown_inbound_layer": (_set_history("hidden", ["ghost", 0, 0]), "never produces"),
    "bad_node_index": (_set_history("hidden", ["x", 5, 0]), "never produces"),
    "bad_tensor_index": (_set_history("hidden", ["x", 0, 9]), "does not produce"),
    "malformed_history": (_set_history("hidden", ["x", "zero", 0]), "invalid keras_history"),
    "cycle": (_cycle, "never produces|cannot be rebuilt"),
    "unknown_output": (lambda c: c["config"].__setitem__("output_layers", [["ghost", 0, 0]]), "never produces"),
    "empty_outputs": (lambda c: c["config"].__setitem__("output_layers", []), "must name layer outputs"),
    "duplicate_layer_names": (lambda c: c["config"]["layers"].append(_layer(c, "hidden")), "two layers named"),
    "inbound_nodes_not_list": (_edit_layer("hidden", lambda r: r.__setitem__("inbound_nodes", 3)),
                               "'inbound_nodes' of layer 'hidden' must be a list"),
    "layer_config_wrong_type": (_edit_layer("hidden", lambda r: r["config"].__setitem__("units", [4])), "units"),
    "negative_units": (_edit_layer("hidden", lambda r: r["config"].__setitem__("units", -4)), "units"),
    "unknown_activation": (_edit_layer("hidden", lambda r: r["config"].__setitem__("activation", "os.system")),
                           "activation"),
    "bad_build_config": (_edit_layer("hidden", lambda r: r.__setitem__("build_config", {"input_shape": "x"})),
                         "shape"),
    "input_shape_mismatch": (_edit_layer("hidden", lambda r: r.__setitem__("build_config",
                                                                           {"input_shape": [None, 7]})),
                             "hidden|shape|7"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES) + list(GRAPH_CASES))
def test_malformed_configs(valid, tmp_path, case):
    if case in CONFIG_CASES:
        make, match = CONFIG_CASES[case]
        config = make(_config(valid))
    else:
        edit, match = GRAPH_CASES[case]
        config = _mutate(valid, edit)
    assert_refused(write_zip(tmp_path / "m.keras", with_config(valid, config)), match)


def test_deeply_nested_json(valid, tmp_path):
    deep = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000  # beyond what json can recurse into
    assert_refused(write_zip(tmp_path / "deep.keras", with_config(valid, deep)), "config.json is not valid JSON")
    nested = 1
    for _ in range(900):  # parses, but nests beyond what loading accepts
        nested = [nested]
    config = _config(valid)
    config["compile_config"]["loss"] = nested
    assert_refused(write_zip(tmp_path / "loss.keras", with_config(valid, config)), "nests more than")
    config = _config(valid)
    _layer(config, "hidden")["inbound_nodes"][0]["args"].append(nested)
    assert_refused(write_zip(tmp_path / "args.keras", with_config(valid, config)), "nests more than")


# -- code and modules named in the file ---------------------------------------------------------------------

@pytest.fixture
def no_imports(monkeypatch):
    """Fails the test if anything calls importlib.import_module while it runs."""
    def refuse(name, *args, **kwargs):
        raise AssertionError(f"import_module({name!r}) was called while loading")
    monkeypatch.setattr(importlib, "import_module", refuse)


@pytest.mark.parametrize("module,class_name", [("os", "system"), ("subprocess", "Popen"), ("builtins", "eval"),
                                               ("kerasj_tests_never_imported", "Payload")])
def test_modules_named_in_the_config_are_never_imported(valid, tmp_path, no_imports, module, class_name):
    function_record = {"module": module, "class_name": "function", "config": class_name,
                       "registered_name": "function"}
    cases = {
        "model": lambda c: {**c, "module": module, "class_name": class_name, "registered_name": None},
        "layer": _edit_layer("hidden", lambda r: r.update(module=module, class_name=class_name,
                                                          registered_name=f"{module}.{class_name}")),
        "activation": _edit_layer("hidden", lambda r: r["config"].__setitem__("activation", function_record)),
        "lambda_function": _edit_layer("hidden", lambda r: r.update(
            class_name="Lambda", module="keras.layers", config={"name": "hidden", "function": function_record})),
        "loss": lambda c: {**c, "compile_config": {**c["compile_config"], "loss": function_record}},
    }
    for name, edit in cases.items():
        config = _config(valid)
        config = edit(config) or config
        path = write_zip(tmp_path / f"{name}.keras", with_config(valid, config))
        assert_refused(path, class_name)
    assert "kerasj_tests_never_imported" not in sys.modules


def test_a_lambda_needs_safe_mode_off(tmp_path, no_imports):
    x = kerasj.Input((2,))
    model = kerasj.Model(x, L.Lambda(lambda t: t * 3.0 + 1.0)(x))
    model.save(tmp_path / "lambda.keras")
    assert_refused(tmp_path / "lambda.keras", r"lambda.*safe mode.*safe_mode=False")
    restored = kerasj.models.load_model(tmp_path / "lambda.keras", safe_mode=False)
    np.testing.assert_array_equal(np.asarray(restored(np.ones((1, 2), "float32"))), [[4.0, 4.0]])


# -- weights -------------------------------------------------------------------------------------------------

def _edit_weights(valid, edit):
    buffer = io.BytesIO(valid[WEIGHTS])
    with h5py.File(buffer, "r+") as f:
        edit(f)
    return {**valid, WEIGHTS: buffer.getvalue()}


def _replace(path, data):
    def edit(f):
        del f[path]
        f[path] = data
    return edit


@pytest.mark.parametrize("edit,match", [
    (_replace("layers/dense/vars/0", np.zeros((3, 5), "float32")), r"shape \(3, 4\).*shape \(3, 5\)"),
    (_replace("layers/dense/vars/0", np.zeros((2 ** 16, 2 ** 16), "float32")[:1]), r"shape \(1, 65536\)"),
    (_replace("layers/dense/vars/0", np.array([b"abc"] * 12).reshape(3, 4)), "not an array of numbers"),
    (lambda f: (_replace("layers/dense_1/vars/1", np.zeros(2, "V4"))(f),
                f["layers/dense_1/vars/1"].attrs.__setitem__("dtype", "no_such_dtype")), "cannot be read"),
    (lambda f: f["layers/dense_1/vars/1"].attrs.__setitem__("dtype", "bfloat16"), "not an array of numbers"),
    (lambda f: f.__delitem__("layers/dense/vars/1"), "expects 2 variables"),
    (lambda f: f.move("layers/dense/vars/1", "layers/dense/vars/7"), "no dataset '1'"),
    (lambda f: f.__delitem__("layers"), "expects 2 variables"),
    (_replace("layers/dense_1/vars", np.zeros(2, "float32")), "not a group"),
], ids=["wrong_shape", "huge_wrong_shape", "strings", "unknown_raw_dtype", "raw_dtype_on_floats", "missing_dataset",
        "renamed_dataset", "no_layers", "vars_not_a_group"])
def test_bad_weights(valid, tmp_path, edit, match):
    assert_refused(write_zip(tmp_path / "m.keras", _edit_weights(valid, edit)), match)


def test_weights_member_that_is_not_hdf5(valid, tmp_path):
    members = {**valid, WEIGHTS: b"\x89HDF\r\n\x1a\n" + b"\x00" * 100}
    assert_refused(write_zip(tmp_path / "m.keras", members), "model.weights.h5 is not a readable HDF5 file")


# -- fuzzing -------------------------------------------------------------------------------------------------

_REPLACEMENTS = [None, -1, 0, 3, 2 ** 63, 1e308, float("nan"), "", "relu", "float64", [], {}, [None], [None, 3],
                 True, {"class_name": "Dense", "config": {}}, {"class_name": "__keras_tensor__"},
                 {"class_name": "__keras_tensor__", "config": {"keras_history": ["a", 0, 0]}}, ["a", 0, 0],
                 {"class_name": "__tuple__", "config": {"value": [1]}}, {"class_name": "__slice__", "config": {}}]


def _json_mutation(rng, config):
    """`config` with 1-4 values deep inside replaced by values of other types, deleted or duplicated."""
    config = copy.deepcopy(config)
    for _ in range(rng.randint(1, 4)):
        node = config
        for _ in range(rng.randint(1, 10)):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = rng.choice(keys)
            child = node[key]
            if isinstance(child, (dict, list)) and child and rng.random() > 0.2:
                node = child
                continue
            roll = rng.random()
            if roll < 0.15 and isinstance(node, dict):
                del node[key]
            elif roll < 0.25 and isinstance(node, list):
                node.append(copy.deepcopy(child))
            else:
                node[key] = copy.deepcopy(rng.choice(_REPLACEMENTS))
            break
    return config


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """A valid archive with more structure to damage: dict inputs and outputs, a shared layer, operators,
    batch normalization and a compiled optimizer with a schedule."""
    a, b = kerasj.Input((3,), name="a"), kerasj.Input((3,), name="b")
    shared = L.Dense(3, name="shared", kernel_initializer="zeros")
    h = L.Concatenate()([shared(a), shared(b) * 2.0, (a + b)[:, 0:2]])
    h = L.BatchNormalization()(L.Dense(4, activation="relu", kernel_initializer="zeros")(h))
    model = kerasj.Model({"a": a, "b": b}, {"o": L.Dense(2, name="o", kernel_initializer="zeros")(h)})
    schedule = kerasj.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(kerasj.optimizers.Adam(schedule), {"o": "mse"}, metrics={"o": ["mae"]})
    model.optimizer.build(model.trainable_variables)
    path = tmp_path_factory.mktemp("rich") / "rich.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


class _Hang(Exception):
    pass


def _raise_hang(*args):
    raise _Hang()


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # damaged optimizer groups
def test_fuzzed_archives_load_or_raise_value_error(rich, tmp_path):
    rng = random.Random(1234)
    good = write_zip(tmp_path / "good.keras", rich).read_bytes()
    config = json.loads(rich[CONFIG])
    outcomes = {"loaded": 0, "ValueError": 0}
    # A hang fails the test (only where signals can be used: the main thread of a POSIX process).
    use_alarm = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGALRM, _raise_hang) if use_alarm else None
    try:
        for i in range(90):
            kind = i % 3
            path = tmp_path / f"fuzz{i}.keras"
            if kind == 0:  # flip a few bits anywhere in the zip, or truncate it
                data = bytearray(good)
                for _ in range(rng.randint(1, 4)):
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
                path.write_bytes(bytes(data[:rng.randrange(len(data))] if rng.random() < 0.2 else data))
            elif kind == 1:  # JSON values of other types, re-zipped
                write_zip(path, with_config(rich, json.dumps(_json_mutation(rng, config)).encode()))
            else:  # random bytes inside the HDF5 weights member
                weights = bytearray(rich[WEIGHTS])
                for _ in range(rng.randint(1, 8)):
                    weights[rng.randrange(len(weights))] = rng.randrange(256)
                write_zip(path, {**rich, WEIGHTS: bytes(weights)})
            if use_alarm:
                signal.alarm(20)
            try:
                kerasj.models.load_model(path)
                outcomes["loaded"] += 1
            except ValueError:
                outcomes["ValueError"] += 1
            except _Hang:
                pytest.fail(f"loading mutation {i} did not finish in 20 s")
            finally:
                if use_alarm:
                    signal.alarm(0)
    finally:
        if use_alarm:
            signal.signal(signal.SIGALRM, previous)
    assert outcomes["ValueError"] >= 30 and outcomes["loaded"] >= 10, outcomes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["good.keras"] + [f"fuzz{i}.keras" for i in range(90)])
