"""save_weights / load_weights: round trips, optimizer state, mismatches, atomic writes, safe loading."""
import os
import warnings

import h5py
import numpy as np
import pytest

import kerasj
from kerasj.layers import Dense, Input
from kerasj.saving import weights_io


def _mlp(units=2, use_bias=True, compile_with=None):
    model = kerasj.Sequential([Input((3,)), Dense(4, name="hidden"), Dense(units, use_bias=use_bias, name="out")])
    if compile_with is not None:
        model.compile(compile_with, "mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


def _perturb(model):
    for v in model.weights:
        v.assign(v.numpy() + 1.0)


def test_round_trip_restores_every_weight(tmp_path):
    model = _mlp()
    saved = model.get_weights()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    _perturb(model)
    model.load_weights(str(path))
    for a, b in zip(model.get_weights(), saved):
        np.testing.assert_array_equal(a, b)


def test_file_holds_the_keras_layout(tmp_path):
    model = _mlp()
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert f["layers/dense/vars"].attrs["name"] == "hidden"
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.layers[0].kernel.numpy())
        np.testing.assert_array_equal(f["layers/dense_1/vars/1"][()], model.layers[1].bias.numpy())
        assert f["vars"].attrs["name"] == model.name and len(f["vars"]) == 0
        assert "optimizer" not in f  # not compiled: no optimizer state


def test_optimizer_state_round_trips_so_training_continues_identically(tmp_path):
    x, y = _data()
    trained = _mlp(compile_with=kerasj.optimizers.Adam(0.01))
    trained.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    trained.save_weights(tmp_path / "m.weights.h5")

    restored = _mlp(compile_with=kerasj.optimizers.Adam(0.01))
    restored.optimizer.build(restored.trainable_variables)  # as fit does before callbacks run
    restored.load_weights(tmp_path / "m.weights.h5")
    assert int(restored.optimizer.iterations) == 4
    for a, b in zip(restored.optimizer.variables, trained.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    trained.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    restored.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(restored.get_weights(), trained.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_unbuilt_optimizer_keeps_its_state_with_a_warning(tmp_path):
    x, y = _data()
    trained = _mlp(compile_with="adam")
    trained.fit(x, y, epochs=1, verbose=0)
    trained.save_weights(tmp_path / "m.weights.h5")
    fresh = _mlp(compile_with="adam")
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer .* 2 variables whereas the "
                                         "saved optimizer has 10 variables"):
        fresh.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(fresh.get_weights(), trained.get_weights()):  # the layers still load
        np.testing.assert_array_equal(a, b)
    assert int(fresh.optimizer.iterations) == 0


def test_file_with_optimizer_loads_into_an_uncompiled_model(tmp_path):
    x, y = _data()
    trained = _mlp(compile_with="sgd")
    trained.fit(x, y, epochs=1, verbose=0)
    trained.save_weights(tmp_path / "m.weights.h5")
    fresh = _mlp()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(fresh.get_weights(), trained.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_shape_mismatch_names_the_layer_and_both_shapes_and_loads_nothing(tmp_path):
    _mlp(units=2).save_weights(tmp_path / "m.weights.h5")
    other = _mlp(units=5)
    before = other.get_weights()
    with pytest.raises(ValueError) as info:
        other.load_weights(tmp_path / "m.weights.h5")
    message = str(info.value)
    assert "Layer 'out'" in message and "(4, 5)" in message and "(4, 2)" in message
    assert "skip_mismatch=True" in message
    for a, b in zip(other.get_weights(), before):  # not even the matching layer was touched
        np.testing.assert_array_equal(a, b)


def test_skip_mismatch_loads_the_rest_and_warns(tmp_path):
    source = _mlp(units=2)
    source.save_weights(tmp_path / "m.weights.h5")
    other = _mlp(units=5)
    out_before = [w.copy() for w in other.layers[1].get_weights()]
    with pytest.warns(UserWarning, match="Layer 'out'"):
        other.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)
    for a, b in zip(other.layers[0].get_weights(), source.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(other.layers[1].get_weights(), out_before):
        np.testing.assert_array_equal(a, b)


def test_variable_count_mismatch(tmp_path):
    _mlp().save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"Layer 'out': expects 1 variables \['kernel'\], but the file holds 2"):
        _mlp(use_bias=False).load_weights(tmp_path / "m.weights.h5")


def test_layer_missing_from_the_file(tmp_path):
    kerasj.Sequential([Input((3,)), Dense(4)]).save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match="Layer 'out': expects 2 variables .* holds 0"):
        _mlp().load_weights(tmp_path / "m.weights.h5")


@pytest.mark.parametrize("name", ["m.h5", "m.weights", "weights.h5.tmp"])
def test_filename_must_end_in_weights_h5(tmp_path, name):
    model = _mlp()
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`.*Received: filepath=.*" + name):
        model.save_weights(tmp_path / name)
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.load_weights(tmp_path / name)
    assert not (tmp_path / name).read_bytes()


def test_load_weights_reads_the_weights_of_a_keras_archive(tmp_path):
    source, target = _mlp(), _mlp()
    source.save(tmp_path / "m.keras")
    assert not all(np.array_equal(a, b) for a, b in zip(source.get_weights(), target.get_weights()))
    target.load_weights(tmp_path / "m.keras")
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        source.save_weights(tmp_path / "w.keras")


def test_unbuilt_model_is_refused(tmp_path):
    _mlp().save_weights(tmp_path / "m.weights.h5")
    unbuilt = kerasj.Sequential([Dense(4), Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "u.weights.h5")
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.load_weights(tmp_path / "m.weights.h5")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.weights.h5"):
        _mlp().load_weights(tmp_path / "nope.weights.h5")


def test_overwrite_false_asks_first(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    first = _mlp()
    first.save_weights(path)
    second = _mlp()
    answers = iter(["maybe", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    second.save_weights(path, overwrite=False)
    with h5py.File(path, "r") as f:  # kept
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], first.layers[0].kernel.numpy())
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    second.save_weights(path, overwrite=False)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], second.layers[0].kernel.numpy())


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    model = _mlp()
    model.save_weights(path)
    saved = model.get_weights()
    _perturb(model)
    calls = []

    def failing_write(group, key, array):
        calls.append(key)
        if len(calls) == 3:
            raise OSError("disk full")
        group.create_dataset(key, data=np.asarray(array))

    monkeypatch.setattr(weights_io, "_write_array", failing_write)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["m.weights.h5"]  # no temporary file left behind
    model.load_weights(path)
    for a, b in zip(model.get_weights(), saved):
        np.testing.assert_array_equal(a, b)


def test_non_numeric_datasets_are_refused(tmp_path):
    path = tmp_path / "m.weights.h5"
    model = _mlp()
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/1"]
        f["layers/dense/vars"].create_dataset("1", data=np.array(["a", "b", "c", "d"], dtype=object),
                                              dtype=h5py.string_dtype())
    with pytest.raises(ValueError, match="Layer 'hidden'.*not an array of numbers"):
        model.load_weights(path)


def test_bfloat16_weights_are_stored_as_keras_does(tmp_path):
    model = kerasj.Sequential([Input((3,)), Dense(2, dtype="bfloat16", name="bf")])
    path = tmp_path / "bf.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        dataset = f["layers/dense/vars/0"]
        assert dataset.dtype == np.dtype("V2") and dataset.attrs["dtype"] == "bfloat16"
    saved = model.get_weights()
    _perturb(model)
    model.load_weights(path)
    for a, b in zip(model.get_weights(), saved):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.astype("float32"), b.astype("float32"))


def test_functions_in_kerasj_saving(tmp_path):
    model = _mlp()
    kerasj.saving.save_weights(model, tmp_path / "f.weights.h5")
    saved = model.get_weights()
    _perturb(model)
    kerasj.saving.load_weights(model, tmp_path / "f.weights.h5")
    np.testing.assert_array_equal(model.get_weights()[0], saved[0])
