"""Run by test_multi_process.py, in subprocesses with 2 virtual CPU devices each (XLA_FLAGS set by the test).

`python _multi_process_script.py worker OUT`: one of 2 processes joined through kerasj.distribution.initialize()
(Keras's KERAS_DISTRIBUTION_* variables, set by the test); trains data-parallel over the 4 devices of both,
each process passing only its own rows, as Keras's multi-process DataParallel expects; then ModelParallel with
a kernel split over the devices of both processes.
`python _multi_process_script.py single OUT`: one process on 4 devices, the same model on the global data.
Each writes its findings to OUT (a .npz file).
"""
import sys

import numpy as np

ROLE, OUT = sys.argv[1], sys.argv[2]
PROCESSES, LOCAL_BATCH = 2, 4
GLOBAL_BATCH = PROCESSES * LOCAL_BATCH


def global_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 1.5], "float32") > 0).astype("float32")[:, None]
    return x, y


def local_part(a, process):
    """Process `process`'s rows: its block of every global batch (global batch k = each process's batch k)."""
    blocks = a.reshape((-1, PROCESSES, LOCAL_BATCH) + a.shape[1:])
    return blocks[:, process].reshape((-1,) + a.shape[1:])


if ROLE == "worker":
    import kerasj as keras
    from kerasj import distribution

    distribution.initialize()  # the coordinator, process count and id come from KERAS_DISTRIBUTION_*
import jax  # noqa: E402

import kerasj as keras  # noqa: E402,F811
from kerasj import distribution  # noqa: E402,F811


def make_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def make_named_model():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                              keras.layers.Dense(1, name="out")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


x, y = global_data()
found = {"process_count": jax.process_count(), "device_count": jax.device_count()}
data_parallel = distribution.DataParallel()
distribution.set_distribution(data_parallel)
if ROLE == "worker":
    me = jax.process_index()
    found["process"] = me
    xl, yl = local_part(x, me), local_part(y, me)
    # As in Keras: with auto_shard_dataset (the default) only a tf.data.Dataset is accepted (each process then
    # reads its part of it: Distribution.distribute_dataset, tested in test_distribution_api.py).
    model = make_model()
    try:
        model.fit(xl, yl, batch_size=LOCAL_BATCH, verbose=0)
    except ValueError as e:
        found["auto_shard_error"] = np.array([str(e)])
    # Each process passes its own rows (arrays): auto_shard_dataset off, as Keras asks.
    data_parallel.auto_shard_dataset = False
    model = make_model()
    history = model.fit(xl, yl, batch_size=LOCAL_BATCH, epochs=2, shuffle=False, verbose=0)
    found["losses"] = np.array(history.history["loss"])
    found["eval"] = np.array(model.evaluate(xl, yl, batch_size=LOCAL_BATCH, verbose=0))
    found["predict"] = model.predict(xl, batch_size=LOCAL_BATCH, verbose=0)
    found["predict_small"] = model.predict(xl[:LOCAL_BATCH], verbose=0)  # one batch: the single-call path
    found["predict_rows"] = np.arange(len(x)).reshape(-1, PROCESSES, LOCAL_BATCH)[:, me].reshape(-1)
    for i, w in enumerate(model.get_weights()):
        found[f"w{i}"] = w
    # Host batches (an iterable of local batches) continue training: one more epoch.
    model.fit(((xl[i:i + LOCAL_BATCH], yl[i:i + LOCAL_BATCH]) for i in range(0, len(xl), LOCAL_BATCH)),
              epochs=1, verbose=0)
    for i, w in enumerate(model.get_weights()):
        found[f"iter_w{i}"] = w
    # Shuffling: each process's NumPy RNG differs, yet all must use one permutation (else replicas diverge).
    np.random.seed(100 + me)
    model.fit(xl, yl, batch_size=LOCAL_BATCH, epochs=2, shuffle=True, verbose=0)
    for i, w in enumerate(model.get_weights()):
        found[f"shuffled_w{i}"] = w
    found["kernel_spec"] = np.array([str(model.weights[0].value.sharding.spec)])
    model.save_weights(f"{OUT}.weights.h5")  # every process can save (as in Keras); this one's own path
    # ModelParallel with one model replica spanning both processes: the hidden kernel is split over all 4
    # devices (2 per process), so every process passes the same global batches (Keras's data rule).
    mesh = distribution.DeviceMesh((1, 4), ["batch", "model"], jax.devices())
    layout_map = distribution.LayoutMap(mesh)
    layout_map[".*hidden/kernel"] = (None, "model")
    layout_map[".*hidden/bias"] = ("model",)
    distribution.set_distribution(distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch",
                                                             auto_shard_dataset=False))
    model = make_named_model()
    found["mp_losses"] = np.array(model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=2, shuffle=False,
                                            verbose=0).history["loss"])
    kernel = model.get_layer("hidden").kernel.value
    found["mp_kernel_spec"] = np.array([str(kernel.sharding.spec)])
    found["mp_kernel_local_shards"] = np.array([s.data.shape for s in kernel.addressable_shards])
    for i, w in enumerate(model.get_weights()):  # gathered from both processes
        found[f"mp_w{i}"] = w
    model.save_weights(f"{OUT}.mp.weights.h5")
else:
    model = make_model()
    history = model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=2, shuffle=False, verbose=0)
    found["losses"] = np.array(history.history["loss"])
    found["eval"] = np.array(model.evaluate(x, y, batch_size=GLOBAL_BATCH, verbose=0))
    found["predict"] = model.predict(x, batch_size=GLOBAL_BATCH, verbose=0)
    for i, w in enumerate(model.get_weights()):
        found[f"w{i}"] = w
    model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        found[f"iter_w{i}"] = w
    distribution.set_distribution(None)
    model = make_named_model()
    found["mp_losses"] = np.array(model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=2, shuffle=False,
                                            verbose=0).history["loss"])
    for i, w in enumerate(model.get_weights()):
        found[f"mp_w{i}"] = w
np.savez(OUT, **found)
print("done", ROLE, flush=True)
