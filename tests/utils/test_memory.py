"""A weight that cannot fit in memory raises a ValueError before XLA is asked for it (XLA aborts the
interpreter for some failed allocations, e.g. 2**44 float32 elements on the CPU)."""
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import kerasj as keras
from kerasj.utils import memory

HUGE = 2 ** 40


def test_check_allocation_compares_bytes_with_available_memory(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda device=None: 100 * 2 ** 20)
    memory.check_allocation((5 * 2 ** 20,), "float32", "w")  # 20 MiB: fits
    memory.check_allocation((20 * 2 ** 20,), "int8", "w")  # 20 MiB of int8: fits
    with pytest.raises(ValueError, match=r"my weight of shape \(64, 1048576\) and dtype float32 needs "
                                         r"67,108,864 elements \(256\.0 MiB\), more than the 100\.0 MiB"):
        memory.check_allocation((64, 2 ** 20), "float32", "my weight")
    with pytest.raises(ValueError, match="bfloat16"):
        memory.check_allocation((128, 2 ** 20), "bfloat16", "w")  # 256 MiB at 2 bytes each


def test_available_bytes_is_positive_and_below_total_memory():
    available = memory.available_bytes()
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < available <= total


@pytest.mark.parametrize("make, weight, shape", [
    (lambda: keras.layers.Dense(HUGE).build((None, 16)), "kernel", (16, HUGE)),
    (lambda: keras.layers.Dense(4).build((None, HUGE)), "kernel", (HUGE, 4)),
    (lambda: keras.layers.Dense(4, kernel_initializer="zeros").build((None, HUGE)), "kernel", (HUGE, 4)),
    (lambda: keras.layers.Conv2D(HUGE, 3).build((None, 8, 8, 3)), "kernel", (3, 3, 3, HUGE)),
    (lambda: keras.layers.Embedding(HUGE, 4).build((None, 3)), "embeddings", (HUGE, 4)),
])
def test_oversized_layer_weight_raises_naming_layer_weight_and_shape(make, weight, shape):
    with pytest.raises(ValueError, match=rf"Layer '\w+': weight '{weight}' of shape {shape}".replace("(", r"\(")
                       .replace(")", r"\)")):
        make()


def test_oversized_variable_raises():
    with pytest.raises(ValueError, match=r"Variable 'big' of shape \(1099511627776, 16\)"):
        keras.Variable(keras.initializers.GlorotUniform(), shape=(HUGE, 16), name="big")


def test_failed_build_leaves_layer_unbuilt_and_usable():
    layer = keras.layers.Dense(HUGE)
    with pytest.raises(ValueError):
        layer.build((None, 16))
    assert not layer.built and layer.weights == []


def _archive_with(tmp_path, model, edit):
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(members["config.json"])
    edit(config["config"]["layers"])
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _set(index, key, value, drop_build_config=False):
    def edit(layers):
        layers[index]["config"][key] = value
        if drop_build_config:
            for layer in layers:
                layer.pop("build_config", None)
    return edit


def _dense():
    return keras.Sequential([keras.Input((16,)), keras.layers.Dense(4)])


CONFIGS = {
    "units": (_dense, _set(-1, "units", HUGE)),
    "filters": (lambda: keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)]),
                _set(-1, "filters", HUGE)),
    "input_dim": (lambda: keras.Sequential([keras.Input((3,), dtype="int32"), keras.layers.Embedding(10, 4)]),
                  _set(-1, "input_dim", HUGE)),
    "input_shape": (_dense, _set(0, "batch_shape", [None, HUGE], drop_build_config=True)),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_load_model_with_oversized_config_raises_value_error(tmp_path, name):
    make, edit = CONFIGS[name]
    path = _archive_with(tmp_path, make(), edit)
    with pytest.raises(ValueError, match=r"weight '\w+' of shape .*1099511627776"):
        keras.models.load_model(path)


def test_oversized_weight_never_aborts_the_interpreter(tmp_path):
    # In a child process, so that a regression (SIGABRT inside XLA) fails this test instead of the test run.
    code = ("import kerasj\ntry:\n    kerasj.layers.Dense(2**40).build((None, 16))\nexcept ValueError as e:\n"
            "    print('refused:', e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused: Layer 'dense': weight 'kernel'" in done.stdout


def test_normal_sized_weights_are_unaffected():
    layer = keras.layers.Dense(3, kernel_initializer=keras.initializers.GlorotUniform(seed=1))
    layer.build((None, 5))
    expected = keras.initializers.GlorotUniform(seed=1)((5, 3))
    np.testing.assert_array_equal(layer.kernel.numpy(), np.asarray(expected))
