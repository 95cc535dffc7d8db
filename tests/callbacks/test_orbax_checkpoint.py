"""OrbaxCheckpoint: which steps it saves and keeps (compared with Keras 3's callback on the same run), what a
checkpoint holds, resuming a training process killed mid-fit, and sharded variables over 8 virtual devices.

The training processes are subprocesses running `_SCRIPT` (below): one killed with SIGKILL while it hangs after
a checkpoint exists, then restarted; one with 8 virtual CPU devices (XLA_FLAGS is set only in its environment).
"""
import inspect
import json
import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import kerasj
from kerasj.callbacks.orbax_checkpoint import OrbaxCheckpoint

X = np.random.RandomState(0).rand(8, 4).astype("float32")
Y = np.random.RandomState(1).rand(8, 1).astype("float32")

# The model and training run shared by the test process and the subprocesses (fixed-seed initializers, so any
# process builds the same initial weights).
_MODEL = textwrap.dedent("""
    import numpy as np
    import kerasj as keras

    X = np.random.RandomState(0).rand(8, 4).astype("float32")
    Y = np.random.RandomState(1).rand(8, 1).astype("float32")

    def make_model():
        init = keras.initializers.GlorotUniform
        model = keras.Sequential([keras.Input((4,)),
                                  keras.layers.Dense(8, activation="relu", kernel_initializer=init(seed=1),
                                                     name="hidden"),
                                  keras.layers.Dense(1, kernel_initializer=init(seed=2), name="out")])
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
        return model
""")

_SCRIPT = _MODEL + textwrap.dedent("""
    import json, os, sys, time
    from kerasj.callbacks.orbax_checkpoint import OrbaxCheckpoint

    mode, directory = sys.argv[1], sys.argv[2]
    results = {}
    # Train 5 epochs; with "hang", stop answering once epoch 1's checkpoint exists (the test kills it there).
    epochs_run = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs_run.append(epoch)

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1 and mode == "hang":
                deadline = time.time() + 60
                while not os.path.isdir(os.path.join(directory, "1")) and time.time() < deadline:
                    time.sleep(0.05)
                print("HANG", flush=True)
                time.sleep(600)

    model = make_model()
    model.fit(X, Y, batch_size=4, epochs=5, shuffle=False, verbose=0,
              callbacks=[OrbaxCheckpoint(directory, max_to_keep=2), Watch()])
    results["resume"] = {"epochs_run": epochs_run, "weights": [w.tolist() for w in model.get_weights()]}

    # Sharded: save under ModelParallel on a (2, 4) mesh, restore under DataParallel on the 8 devices.
    import jax
    from kerasj import distribution as dist
    directory = directory + "_sharded"
    devices = dist.list_devices()
    mesh = dist.DeviceMesh((2, 4), ["batch", "model"], devices=devices)
    layout_map = dist.LayoutMap(mesh)
    layout_map[".*hidden/kernel"] = (None, "model")
    dist.set_distribution(dist.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
    model = make_model()
    checkpoint = OrbaxCheckpoint(directory)
    model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[checkpoint])
    saved_meta = checkpoint.checkpointer.checkpointables_metadata(0).metadata["pytree"]
    kernel_meta = saved_meta["trainable_variables"][model.name][model.layers[0].name]["kernel"]
    saved_spec = list(model.layers[0].kernel.value.sharding.spec)
    dist.set_distribution(dist.DataParallel(devices=devices))
    restored = make_model()
    restored.fit(X, Y, batch_size=8, epochs=1, verbose=0, callbacks=[OrbaxCheckpoint(directory)])
    kernel = restored.layers[0].kernel.value
    slots = [v.value for v in restored.optimizer.variables if v.shape == (4, 8)]
    results["sharded"] = {
        "n_devices": len(jax.devices()), "saved_spec": saved_spec,
        "saved_sharding_meta": type(kernel_meta.sharding_metadata).__name__,
        "restored_replicated": kernel.sharding.is_fully_replicated,
        "restored_devices": len(kernel.sharding.device_set),
        "slots_replicated": [s.sharding.is_fully_replicated for s in slots],
        "weight_diff": max(float(np.abs(a - b).max()) for a, b in zip(model.get_weights(), restored.get_weights())),
        "optimizer_diff": max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                              for a, b in zip(model.optimizer.variables, restored.optimizer.variables)),
        "iterations": int(restored.optimizer.iterations)}
    print(json.dumps(results))
""")

namespace = {}
exec(compile(_MODEL, "<orbax test model>", "exec"), namespace)
make_model = namespace["make_model"]


def _steps(directory):
    return sorted(int(name) for name in os.listdir(directory) if name.isdigit())


@pytest.fixture(scope="module")
def model():
    """One model for the in-process tests, so its train step compiles once: each test trains it further with
    its own callback and checks what that callback saved (step numbers relative to where the model was)."""
    return make_model()


def _fit(model, directory, epochs=1, validation=False, **kwargs):
    """Train `model` (2 batches per epoch) with an OrbaxCheckpoint; returns the callback and the History."""
    checkpoint = OrbaxCheckpoint(str(directory), **kwargs)
    history = model.fit(X, Y, batch_size=4, epochs=epochs, shuffle=False, verbose=0,
                        validation_data=(X[:4], Y[:4]) if validation else None, callbacks=[checkpoint])
    return checkpoint, history


def test_signature_matches_keras():
    import keras
    assert inspect.signature(OrbaxCheckpoint) == inspect.signature(keras.callbacks.OrbaxCheckpoint)


class _Stub:
    """What both callbacks read from a model before saving: the optimizer's step count."""

    class optimizer:  # noqa: N801 - stands in for an attribute
        iterations = 0


def _drive(callback, epochs, batches, logs_of):
    """Call the hooks fit calls, one call per entry of `batches`; returns the warnings given."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback.set_model(_Stub())
        callback.on_train_begin()
        for epoch in range(epochs):
            callback.on_epoch_begin(epoch)
            for batch in batches:
                callback.on_train_batch_end(batch, logs_of(epoch, batch))
            callback.on_epoch_end(epoch, logs_of(epoch, None))
    return [str(w.message) for w in caught if "Can save best model only" in str(w.message)]


@pytest.mark.parametrize("kwargs, batches", [
    ({"save_freq": "epoch"}, range(3)),
    ({"save_freq": 2}, range(3)),                    # steps count batches across epochs
    ({"save_freq": 3}, (1, 3, 5)),                   # fit reporting one call per chunk of 2 steps
    ({"save_best_only": True, "mode": "min"}, range(2)),
    ({"save_best_only": True, "monitor": "loss", "save_freq": 2}, range(3)),
    ({"save_best_only": True, "monitor": "val_loss", "save_freq": 2}, range(3)),   # not in batch logs: skipped
    ({"save_best_only": True, "mode": "max", "monitor": "acc", "initial_value_threshold": 0.5}, range(2)),
])
def test_save_steps_match_keras(tmp_path, monkeypatch, kwargs, batches):
    """The steps (names of the checkpoints) saved on the same sequence of hook calls, by Keras 3's
    OrbaxCheckpoint and by ours, their save functions replaced by recorders."""
    import keras
    losses = [0.5, 0.7, 0.4, 0.45, 0.3, 0.6, 0.2, 0.25, 0.9]

    def logs_of(epoch, batch):
        value = losses[(epoch * 3 + (batch if batch is not None else 2)) % len(losses)]
        logs = {"loss": value, "acc": 1 - value}
        return logs if batch is not None else {**logs, "val_loss": value + 0.1}

    theirs = keras.callbacks.OrbaxCheckpoint(str(tmp_path / "keras"), **kwargs)
    ours = OrbaxCheckpoint(str(tmp_path / "kerasj"), **kwargs)
    keras_steps, our_steps = [], []
    monkeypatch.setattr(theirs, "_save_checkpoint", lambda step, logs=None: keras_steps.append(step))
    monkeypatch.setattr(ours, "_save", lambda step, resume_epoch, logs: our_steps.append(step))
    keras_warnings = _drive(theirs, 3, batches, logs_of)
    our_warnings = _drive(ours, 3, batches, logs_of)
    assert our_steps == keras_steps
    # Either something was saved, or (val_loss missing from batch logs) every due save warned and was skipped.
    assert keras_steps or (len(our_warnings) == len(keras_warnings) == 4 and "val_loss" in our_warnings[0])


def test_epoch_steps_keep_n_and_contents(model, tmp_path):
    start = int(model.optimizer.iterations)
    checkpoint, _ = _fit(model, tmp_path, epochs=3, max_to_keep=2)
    assert _steps(tmp_path) == [1, 2]  # epochs counted from 0, the newest two kept
    meta = checkpoint.checkpointer.checkpointables_metadata(2)
    assert set(meta.metadata) == {"pytree", "model_config"}
    pytree = meta.metadata["pytree"]
    assert set(pytree) == {"trainable_variables", "non_trainable_variables", "optimizer_variables",
                           "metrics_variables"}
    assert tuple(pytree["trainable_variables"][model.name]["hidden"]["kernel"].shape) == (4, 8)
    # The saved arrays are the final state (the last save came after the last epoch).
    loaded = checkpoint.checkpointer.load_checkpointables(2, {"pytree": None})["pytree"]
    np.testing.assert_array_equal(loaded["trainable_variables"][model.name]["hidden"]["kernel"],
                                  model.layers[0].kernel.numpy())
    assert int(loaded["optimizer_variables"][model.optimizer.name]["iteration"]) == start + 6
    config = checkpoint.checkpointer.load_checkpointables(2, {"model_config": None})["model_config"]["config"]
    assert json.loads(config)["class_name"] == "Sequential"


def test_save_weights_only_holds_only_the_weights(model, tmp_path):
    checkpoint, _ = _fit(model, tmp_path, save_weights_only=True, save_on_background=False)
    meta = checkpoint.checkpointer.checkpointables_metadata(0).metadata
    assert set(meta) == {"pytree"}
    assert set(meta["pytree"]) == {"trainable_variables", "non_trainable_variables"}


def test_save_best_only_keeps_the_improving_epochs(model, tmp_path):
    """Expected steps from the logged val_loss: the epochs that set a new minimum (the newest 2 kept)."""
    _, history = _fit(model, tmp_path, epochs=4, validation=True, save_best_only=True, max_to_keep=2,
                      monitor="val_loss")
    best, improving = np.inf, []
    for epoch, value in enumerate(history.history["val_loss"]):
        if value < best:
            best, improving = value, improving + [epoch]
    assert _steps(tmp_path) == improving[-2:]


def test_batch_steps_and_a_later_fit_is_not_rolled_back(model, tmp_path):
    start = int(model.optimizer.iterations)
    kernels = []
    checkpoint = OrbaxCheckpoint(str(tmp_path), save_freq=1, max_to_keep=None)
    record = kerasj.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: kernels.append(
        model.layers[0].kernel.numpy().copy()))
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[checkpoint, record])
    assert _steps(tmp_path) == [start + 1, start + 2]  # named by the optimizer's step count
    # Each background save holds the state of its own step, although the next step ran while it was written.
    for step, kernel in zip((start + 1, start + 2), kernels):
        saved = checkpoint.checkpointer.load_checkpointables(step, {"pytree": None})["pytree"]
        np.testing.assert_array_equal(saved["trainable_variables"][model.name]["hidden"]["kernel"], kernel)
    _fit(model, tmp_path / "elsewhere", save_freq=1)  # ahead of the checkpoints now
    before = model.get_weights()
    _fit(model, tmp_path, save_freq=1, max_to_keep=None)
    # Two more steps ran from `before` (not from the checkpoint), and were saved under their step numbers.
    assert int(model.optimizer.iterations) == start + 6
    assert _steps(tmp_path) == [start + 1, start + 2, start + 5, start + 6]
    assert not np.allclose(before[0], model.get_weights()[0])


def test_restore_into_a_different_model_fails_and_changes_nothing(model, tmp_path):
    _fit(model, tmp_path, save_on_background=False)
    other = kerasj.Sequential([kerasj.Input((4,)), kerasj.layers.Dense(3), kerasj.layers.Dense(1)])
    other.compile(optimizer="adam", loss="mse")
    other.build((None, 4))
    before = other.get_weights()
    with pytest.raises(ValueError, match="does not fit the model"):
        other.fit(X, Y, epochs=1, verbose=0, callbacks=[OrbaxCheckpoint(str(tmp_path))])
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, match", [({"save_freq": "batch"}, "save_freq"),
                                           ({"max_to_keep": 0}, "max_to_keep"),
                                           ({"directory": ""}, "directory")])
def test_bad_arguments_name_the_argument(tmp_path, kwargs, match):
    kwargs = {"directory": str(tmp_path), **kwargs}
    with pytest.raises(ValueError, match=match):
        OrbaxCheckpoint(**kwargs)


@pytest.fixture(scope="module")
def restarted(tmp_path_factory):
    """Run the training script, SIGKILL it while it hangs after its epoch-1 checkpoint exists, run it again;
    the results of the second run (8 virtual devices, used only by its sharded part)."""
    tmp_path = tmp_path_factory.mktemp("orbax_processes")
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    directory = str(tmp_path / "ckpt")
    env = dict(os.environ, JAX_PLATFORMS="cpu", KERAS_BACKEND="jax",
               XLA_FLAGS="--xla_force_host_platform_device_count=8")
    process = subprocess.Popen([sys.executable, str(script), "hang", directory], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        deadline = time.time() + 120
        line = ""
        with selectors.DefaultSelector() as selector:  # never block past the deadline on a silent process
            selector.register(process.stdout, selectors.EVENT_READ)
            while time.time() < deadline and process.poll() is None:
                if selector.select(timeout=max(0.0, deadline - time.time())):
                    line = process.stdout.readline()
                    if line.strip() == "HANG":
                        break
        assert line.strip() == "HANG", "the training process did not reach its checkpoint"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    steps_after_kill = _steps(directory)
    out = subprocess.run([sys.executable, str(script), "run", directory], capture_output=True, text=True, env=env,
                         timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return steps_after_kill, json.loads(out.stdout.strip().splitlines()[-1])


def test_killed_training_process_resumes_with_the_same_final_weights(restarted):
    steps_after_kill, results = restarted
    assert 1 in steps_after_kill
    resumed = results["resume"]
    assert resumed["epochs_run"] == [2, 3, 4]  # epochs 0 and 1 came from the checkpoint
    # The reference: the same 5 epochs, uninterrupted (Adam: right only if the optimizer state came back too).
    reference = make_model()
    reference.fit(X, Y, batch_size=4, epochs=5, shuffle=False, verbose=0)
    for expected, got in zip(reference.get_weights(), resumed["weights"]):
        np.testing.assert_allclose(np.asarray(got, np.float32), expected, rtol=1e-5, atol=1e-6)


def test_sharded_variables_save_with_shardings_and_restore_onto_current_layouts(restarted):
    r = restarted[1]["sharded"]
    assert r["n_devices"] == 8
    assert r["saved_spec"] == [None, "model"] and r["saved_sharding_meta"] == "NamedShardingMetadata"
    assert r["restored_replicated"] and r["restored_devices"] == 8  # on the DataParallel layout now
    assert r["slots_replicated"] and all(r["slots_replicated"])
    assert r["weight_diff"] == 0 and r["optimizer_diff"] == 0 and r["iterations"] == 1
