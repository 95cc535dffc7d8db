"""Hostile HDF5 weights: a weights file may not make kerasj read anything outside it.

Each case starts from the weights of a real saved model and rewrites one group or dataset with h5py into
something HDF5 would follow elsewhere: external storage (the bytes of a dataset live in another file, a FIFO
included), external links, soft links aliasing another layer, virtual datasets (one maps itself and crashed
the interpreter), a filter HDF5 would load from a plugin library. Every case is loaded as a `.weights.h5`
file (`model.load_weights`) and as the weights of a `.keras` archive (`kerasj.models.load_model` and
`model.load_weights("x.keras")`), and must raise a ValueError naming the member, leaving the model's weights
as they were. Cases that could hang or crash the
process run in a subprocess with a timeout, so a regression fails the test instead of stopping the suite.
"""
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

import kerasj
from kerasj.layers import Dense, Input
from kerasj.saving import keras_archive

WEIGHTS = keras_archive.WEIGHTS_NAME
KERNEL = "layers/dense/vars/0"  # the first Dense layer's kernel, (4, 4) like the second's
HOWS = ["load_weights", "load_model", "load_weights_keras"]
FOREIGN = 7.0  # the value every foreign array holds: a loaded weight equal to it came from outside the file


def _model(compiled=False):
    model = kerasj.Sequential([Input((4,)), Dense(4), Dense(4)], name="victim")
    if compiled:
        model.compile(kerasj.optimizers.Adam(0.01), "mse")
        model.optimizer.build(model.trainable_variables)  # so its state is saved, as after fit
    return model


def _saved(folder, compiled):
    """{member: bytes} of the `.keras` archive of a fresh model (its `model.weights.h5` is also exactly
    what `save_weights` writes)."""
    path = folder / "saved.keras"
    _model(compiled).save(path)
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return _saved(tmp_path_factory.mktemp("saved"), compiled=False)


@pytest.fixture(scope="module")
def saved_compiled(tmp_path_factory):
    return _saved(tmp_path_factory.mktemp("saved_compiled"), compiled=True)


def _foreign_file(folder):
    """other.h5 beside the hostile file: arrays shaped like the model's, full of FOREIGN."""
    path = str(folder / "other.h5")
    with h5py.File(path, "w") as f:
        f["x"] = np.full((4, 4), FOREIGN, "float32")
        f["vars/0"] = np.full((4, 4), FOREIGN, "float32")
        f["vars/1"] = np.full((4,), FOREIGN, "float32")
    return path


def _replace(f, member, make):
    del f[member]
    make(f, member)


def external_storage(f, folder):
    raw = folder / "raw.bin"
    raw.write_bytes(np.full((4, 4), FOREIGN, "float32").tobytes())
    _replace(f, KERNEL, lambda f, m: f.create_dataset(m, shape=(4, 4), dtype="float32",
                                                      external=[(str(raw), 0, 64)]))
    return KERNEL, "external"


def external_link_dataset(f, folder):
    f_other = _foreign_file(folder)
    _replace(f, KERNEL, lambda f, m: f.__setitem__(m, h5py.ExternalLink(f_other, "/x")))
    return KERNEL, re.escape(f"external link to {f_other}:/x")


def external_link_group(f, folder):
    f_other = _foreign_file(folder)
    _replace(f, "layers/dense/vars", lambda f, m: f.__setitem__(m, h5py.ExternalLink(f_other, "/vars")))
    return "layers/dense/vars", "external link"


def external_link_on_the_way(f, folder):
    # "layers" itself leads elsewhere: every step of a path is checked, not only its last one.
    f_other = str(folder / "other_layers.h5")
    with h5py.File(f_other, "w") as other:
        f.copy("layers", other)
    _replace(f, "layers", lambda f, m: f.__setitem__(m, h5py.ExternalLink(f_other, "/layers")))
    return "layers", "external link"


def soft_link_group(f, folder):
    # The second layer's group aliases the first one's (same shapes), so it would load the first's weights.
    _replace(f, "layers/dense_1/vars", lambda f, m: f.__setitem__(m, h5py.SoftLink("/layers/dense/vars")))
    return "layers/dense_1/vars", "soft link to /layers/dense/vars"


def soft_link_dataset(f, folder):
    _replace(f, "layers/dense_1/vars/0", lambda f, m: f.__setitem__(m, h5py.SoftLink("/" + KERNEL)))
    return "layers/dense_1/vars/0", "soft link"


def plugin_filter(f, folder):
    # A filter not built into HDF5: to read the data HDF5 would look for a plugin library to load.
    _replace(f, KERNEL, lambda f, m: f.create_dataset(m, shape=(4, 4), dtype="float32", chunks=(4, 4),
                                                      compression=32001, allow_unknown_filter=True))
    return KERNEL, "filter 32001"


IN_PROCESS = [external_storage, external_link_dataset, external_link_group, external_link_on_the_way,
              soft_link_group, soft_link_dataset, plugin_filter]


def _hostile_weights(saved, folder, edit):
    """The weights member of `saved` rewritten by `edit(h5file, folder)`; returns (bytes, member, match)."""
    buffer = io.BytesIO(saved[WEIGHTS])
    with h5py.File(buffer, "r+") as f:
        member, match = edit(f, folder)
    return buffer.getvalue(), member, match


def _write(folder, saved, data):
    """The hostile weights as both a `.weights.h5` file and a `.keras` archive."""
    weights_path, keras_path = folder / "hostile.weights.h5", folder / "hostile.keras"
    weights_path.write_bytes(data)
    with zipfile.ZipFile(keras_path, "w") as zf:
        for name, member in {**saved, WEIGHTS: data}.items():
            zf.writestr(name, member)
    return weights_path, keras_path


def _load(how, weights_path, keras_path, model, **kwargs):
    if how == "load_weights":
        model.load_weights(weights_path, **kwargs)
    elif how == "load_model":
        kerasj.models.load_model(keras_path)
    else:
        model.load_weights(keras_path, **kwargs)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("edit", IN_PROCESS, ids=lambda e: e.__name__)
def test_links_and_external_storage_are_refused(saved, tmp_path, edit, how):
    data, member, match = _hostile_weights(saved, tmp_path, edit)
    weights_path, keras_path = _write(tmp_path, saved, data)
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError) as info:
        _load(how, weights_path, keras_path, model)
    message = str(info.value)
    assert f"'{member}'" in message and re.search(match, message), message
    assert "Nothing was loaded" in message, message
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)
        assert not np.any(now == FOREIGN)


@pytest.mark.parametrize("how", ["load_weights", "load_weights_keras"])
def test_skip_mismatch_does_not_skip_a_hostile_member(saved, tmp_path, how):
    # A hostile file is not a mismatch: nothing of it is loaded, even with skip_mismatch=True.
    data, member, _ = _hostile_weights(saved, tmp_path, external_storage)
    weights_path, keras_path = _write(tmp_path, saved, data)
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=re.escape(f"'{member}'")):
        _load(how, weights_path, keras_path, model, skip_mismatch=True)
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_the_optimizer_group_of_an_archive_is_checked_too(saved_compiled, tmp_path):
    # load_model looks at optimizer/vars before loading (to build the optimizer's slots): that look must not
    # follow a link either.
    f_other = str(tmp_path / "other_optimizer.h5")

    def edit(f, folder):
        with h5py.File(f_other, "w") as other:
            f.copy("optimizer/vars", other, name="vars")
        _replace(f, "optimizer/vars", lambda f, m: f.__setitem__(m, h5py.ExternalLink(f_other, "/vars")))
        return "optimizer/vars", "external link"

    data, member, match = _hostile_weights(saved_compiled, tmp_path, edit)
    _, keras_path = _write(tmp_path, saved_compiled, data)
    with pytest.raises(ValueError, match=re.escape(f"'{member}' is an HDF5 {match}")):
        kerasj.models.load_model(keras_path)


def test_plain_chunked_and_compressed_datasets_still_load(saved, tmp_path):
    # What the checks accept: ordinary data in the file, whatever its layout or built-in compression.
    data = saved[WEIGHTS]
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as f:
        kernel = f[KERNEL][()]
        _replace(f, KERNEL, lambda f, m: f.create_dataset(m, data=kernel, chunks=(2, 4), compression="gzip",
                                                          shuffle=True, fletcher32=True))
    weights_path, keras_path = _write(tmp_path, saved, buffer.getvalue())
    for how in HOWS:
        model = _model()
        _load(how, weights_path, keras_path, model)
        if how != "load_model":
            np.testing.assert_array_equal(model.layers[0].kernel.numpy(), kernel)


# -- cases that hang or crash an unprotected loader: in a subprocess -------------------------------------------

def fifo_external_storage(f, folder):
    fifo = folder / "fifo"
    _replace(f, KERNEL, lambda f, m: f.create_dataset(m, shape=(4, 4), dtype="float32",
                                                      external=[(str(fifo), 0, 64)]))
    return KERNEL, "external", fifo


def virtual_self(f, folder):
    # A virtual dataset whose source is itself: reading it recursed until the interpreter crashed (SIGSEGV).
    layout = h5py.VirtualLayout(shape=(4, 4), dtype="float32")
    layout[:] = h5py.VirtualSource(".", "/" + KERNEL, shape=(4, 4))
    _replace(f, KERNEL, lambda f, m: f.create_virtual_dataset(m, layout))
    return KERNEL, "virtual dataset", None


def virtual_other_file(f, folder):
    f_other = _foreign_file(folder)
    layout = h5py.VirtualLayout(shape=(4, 4), dtype="float32")
    layout[:] = h5py.VirtualSource(f_other, "/x", shape=(4, 4))
    _replace(f, KERNEL, lambda f, m: f.create_virtual_dataset(m, layout))
    return KERNEL, "virtual dataset", None


def virtual_unlimited_from_fifo(f, folder):
    # Unlimited: HDF5 opens the source file to learn the dataset's shape, so even `dataset.shape` blocks.
    fifo = folder / "fifo.h5"
    source = h5py.VirtualSource(str(fifo), "data", shape=(4, 4), maxshape=(None, 4))
    layout = h5py.VirtualLayout(shape=(4, 4), dtype="float32", maxshape=(None, 4))
    layout[:h5py.h5s.UNLIMITED] = source[:h5py.h5s.UNLIMITED]
    _replace(f, KERNEL, lambda f, m: f.create_virtual_dataset(m, layout))
    return KERNEL, "virtual dataset", fifo


def virtual_in_file(f, folder):
    # A virtual dataset mapping another dataset of the same file: no crash, but an alias all the same.
    layout = h5py.VirtualLayout(shape=(4, 4), dtype="float32")
    layout[:] = h5py.VirtualSource(".", "/layers/dense_1/vars/0", shape=(4, 4))
    _replace(f, KERNEL, lambda f, m: f.create_virtual_dataset(m, layout))
    return KERNEL, "virtual dataset", None


_LOADER = """
import json, sys
import numpy as np
import kerasj
weights_path, keras_path = sys.argv[1:3]
for how in ("load_weights", "load_model", "load_weights_keras"):
    model = kerasj.Sequential([kerasj.Input((4,)), kerasj.layers.Dense(4), kerasj.layers.Dense(4)])
    before = model.get_weights()
    outcome, message = "loaded", ""
    try:
        if how == "load_weights":
            model.load_weights(weights_path)
        elif how == "load_model":
            kerasj.models.load_model(keras_path)
        else:
            model.load_weights(keras_path)
    except Exception as err:
        outcome, message = type(err).__name__, str(err)
    unchanged = all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    print(json.dumps({"how": how, "outcome": outcome, "message": message, "unchanged": unchanged}), flush=True)
"""


@pytest.mark.parametrize("edit", [fifo_external_storage, virtual_self, virtual_other_file,
                                  virtual_unlimited_from_fifo, virtual_in_file], ids=lambda e: e.__name__)
def test_hanging_and_crashing_files_are_refused_quickly(saved, tmp_path, edit):
    buffer = io.BytesIO(saved[WEIGHTS])
    with h5py.File(buffer, "r+") as f:
        member, match, fifo = edit(f, tmp_path)
    if fifo is not None:
        os.mkfifo(fifo)  # nothing ever writes to it: opening it for reading blocks forever
    weights_path, keras_path = _write(tmp_path, saved, buffer.getvalue())
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    try:
        done = subprocess.run([sys.executable, "-c", _LOADER, str(weights_path), str(keras_path)], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"loading did not finish in 120 s; it printed: {err.stdout!r}")
    assert done.returncode == 0, f"the loader died (return code {done.returncode}):\n{done.stdout}{done.stderr[-3000:]}"
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["how"] for r in results] == HOWS, done.stdout
    for r in results:
        assert r["outcome"] == "ValueError", r
        assert f"'{member}'" in r["message"] and re.search(match, r["message"]), r
        assert r["unchanged"], r
