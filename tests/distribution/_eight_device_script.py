"""Run by test_distribution_8_devices.py in a subprocess with 8 virtual CPU devices
(XLA_FLAGS=--xla_force_host_platform_device_count=8). Each check stores its findings in RESULTS, printed as
JSON on the last line; the test asserts on them. Expected values come from the same model trained on one device
without a distribution (weights copied with set_weights), or from the layouts asked for."""
import json
import os
import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np

import kerasj as keras
from kerasj import distribution as D
from kerasj.variables import relayout_outputs

RESULTS = {}
P = jax.sharding.PartitionSpec


def spec(v):
    s = v.value.sharding if hasattr(v, "value") else v.sharding
    return list(s.spec) if isinstance(s, jax.sharding.NamedSharding) else type(s).__name__


def max_diff(a, b):
    return max(float(np.max(np.abs(np.asarray(p) - np.asarray(q)))) for p, q in zip(a, b))


_t = [time.time()]


def record(name, **values):
    RESULTS[name] = values
    print(f"{name}: {time.time() - _t[0]:.1f}s", file=sys.stderr)
    _t[0] = time.time()


def error_of(fn):
    try:
        fn()
    except Exception as e:  # the test checks the type and the message
        return [type(e).__name__, str(e)]
    return None


# -- mesh / layout / layout map -----------------------------------------------------------------------------
mesh = D.DeviceMesh((2, 4), ["batch", "model"], devices=D.list_devices())
layout = D.TensorLayout((None, "model"), mesh)
def _bad_rank():
    lm = D.LayoutMap(mesh)
    lm[".*kernel"] = ("model",)  # a kernel has 2 dimensions
    with D.ModelParallel(layout_map=lm).scope():
        keras.layers.Dense(4).build((None, 8))


record("mesh", n_devices=D.get_device_count(), devices_shape=list(mesh.devices.shape),
       backend_shape=dict(mesh.backend_mesh.shape), layout_spec=list(layout.backend_layout.spec),
       layout_mesh_devices=int(layout.backend_layout.mesh.devices.size),
       bad_axis=error_of(lambda: D.TensorLayout(("nope",), mesh)),
       bad_shape=error_of(lambda: D.DeviceMesh((3, 4), ["a", "b"])),
       bad_layout_rank=error_of(lambda: _bad_rank()))


# distribute_tensor, eagerly and inside jit
x = jnp.arange(32.0).reshape(8, 4)
eager = D.distribute_tensor(x, D.TensorLayout(("batch", None), mesh))
traced = jax.jit(lambda a: D.distribute_tensor(a, D.TensorLayout(("batch", "model"), mesh)) * 2)(x)
record("distribute_tensor", eager_spec=spec(eager), eager_equal=bool(np.array_equal(eager, x)),
       traced_equal=bool(np.array_equal(traced, 2 * x)), shard_shape=list(eager.addressable_shards[0].data.shape))

# a layer's outputs take get_tensor_layout("<layer path>/output") (kerasj.variables.relayout_outputs)
output_map = D.LayoutMap(mesh)
output_map["block/output"] = ("batch", "model")
with D.ModelParallel(layout_map=output_map).scope(), keras.name_scope("block"):
    eager = relayout_outputs(x)
    inner = []

    def traced(a):
        out = relayout_outputs(a)
        jax.debug.inspect_array_sharding(out, callback=lambda s: inner.append(list(s.spec)))
        return out
    jax.jit(traced)(x)
with keras.name_scope("other"), D.ModelParallel(layout_map=output_map).scope():
    untouched = relayout_outputs(x)
record("output_layout", spec=spec(eager), traced=inner, other=spec(untouched), equal=bool(np.array_equal(eager, x)))

# -- data parallel ------------------------------------------------------------------------------------------
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 6)).astype("float32")
y = rng.integers(0, 4, size=64)
SEEN = []


class Probe(keras.layers.Layer):
    """Records, while the step is compiled, how the batch reaching the model is split."""

    def call(self, inputs):
        jax.debug.inspect_array_sharding(inputs, callback=lambda s: SEEN.append(
            list(s.spec) if isinstance(s, jax.sharding.NamedSharding) else str(s)))
        return inputs


def mlp(probe=False):
    keras.utils.set_random_seed(1)
    layers = [keras.Input((6,))] + ([Probe()] if probe else []) + [
        keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4)]
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


ref = mlp()
w0 = ref.get_weights()
ref_hist = ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
with D.DataParallel(devices=D.list_devices()).scope():
    model = mlp(probe=True)
    model.set_weights(w0)
    hist = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    record("data_parallel", loss_diff=max(abs(a - b) for a, b in zip(ref_hist["loss"], hist["loss"])),
           acc=[ref_hist["accuracy"], hist["accuracy"]],
           weight_diff=max_diff(ref.get_weights(), model.get_weights()),
           weight_specs=[spec(v) for v in model.weights],
           weight_devices=[len(v.value.sharding.device_set) for v in model.weights],
           slot_specs=[spec(v) for v in model.optimizer.variables],
           batch_specs=SEEN[:])

    # iterable data (a generator of host batches): the same weights as the array fit
    model = mlp()
    model.set_weights(w0)
    model.fit(((x[i:i + 16], y[i:i + 16]) for _ in range(2) for i in range(0, 64, 16)), epochs=2,
              steps_per_epoch=4, verbose=0)
    record("iterable", weight_diff=max_diff(ref.get_weights(), model.get_weights()))

# -- model parallel: Dense / EinsumDense / Embedding kernels split 2x4 --------------------------------------
tokens = rng.integers(0, 16, size=(32, 4))
targets = rng.integers(0, 4, size=32)
layout_map = D.LayoutMap(mesh)
layout_map[".*embeddings"] = (None, "model")
layout_map[".*einsum.*kernel"] = (None, "model")
layout_map[r"(.*/)?dense(_\d+)?/kernel"] = (None, "model")  # not einsum_dense
layout_map[r"(.*/)?dense(_\d+)?/bias"] = ("model",)
model_parallel = D.ModelParallel(layout_map=layout_map, batch_dim_name="batch")
TRACED_INIT = []


@keras.saving.register_keras_serializable(package="test")
class TracedZeros(keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        TRACED_INIT.append(isinstance(jnp.zeros(()), jax.core.Tracer))  # inside jax.jit(out_shardings=...)?
        return jnp.zeros(shape, dtype)


def transformer_ish():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((4,), dtype="int32"),
        keras.layers.Embedding(16, 8),
        keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 8), bias_axes="d", activation="relu"),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


plain = transformer_ish()
init_plain = plain.get_weights()
plain_hist = plain.fit(tokens, targets, batch_size=8, epochs=2, shuffle=False, verbose=0).history
with model_parallel.scope():
    model = transformer_ish()
    init_split = model.get_weights()
    specs = {v.path: spec(v) for v in model.weights}
    model.set_weights(init_plain)
    hist = model.fit(tokens, targets, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    record("model_parallel", loss_diff=max(abs(a - b) for a, b in zip(plain_hist["loss"], hist["loss"])),
           weight_diff=max_diff(plain.get_weights(), model.get_weights()),
           init_diff=max_diff(init_plain, init_split),
           specs=specs, specs_after_fit={v.path: spec(v) for v in model.weights},
           slot_specs={v.path: spec(v) for v in model.optimizer.variables})
    with keras.name_scope("outer"), keras.name_scope("dense_99"):
        v = keras.Variable(TracedZeros(), shape=(8, 8), name="kernel")
        w = keras.Variable(TracedZeros(), shape=(8, 3), name="other")  # replicated: computed as usual
    record("split_init", traced=TRACED_INIT[:], specs=[spec(v), spec(w)])
    kernel = model.layers[3].kernel
    kernel.assign(np.ones(kernel.shape, "float32"))
    record("assign", spec=spec(kernel), value_ok=bool(np.all(kernel.numpy() == 1)))
    kernel.assign(plain.layers[3].kernel.numpy())

    # -- saving under the distribution, loading without it and under it -------------------------------------
    folder = tempfile.mkdtemp()
    weights_path = os.path.join(folder, "m.weights.h5")
    keras_path = os.path.join(folder, "m.keras")
    model.save_weights(weights_path)
    model.save(keras_path)
    predicted = model.predict(tokens, verbose=0)

loaded = transformer_ish()
loaded.load_weights(weights_path)
from_file = keras.saving.load_model(keras_path)
record("load_without", weights_h5_diff=max_diff([predicted], [loaded.predict(tokens, verbose=0)]),
       keras_diff=max_diff([predicted], [from_file.predict(tokens, verbose=0)]),
       specs=sorted({str(spec(v)) for v in from_file.weights}))
with model_parallel.scope():
    again = transformer_ish()
    again.load_weights(weights_path)
    from_file = keras.saving.load_model(keras_path)
    record("load_under", weights_h5_diff=max_diff(model.get_weights(), again.get_weights()),
           keras_diff=max_diff(model.get_weights(), from_file.get_weights()),
           weights_h5_specs={v.path: spec(v) for v in again.weights},
           keras_specs={v.path: spec(v) for v in from_file.weights})


# -- Keras's own keras.distribution docstring examples, unchanged (the test extracts them from Keras) ---------
class DocModel(keras.Sequential):
    """The model behind the examples' `model_creation()` placeholder. The examples call `compile()` bare and
    `fit(data)`: this model's compile supplies a loss and an optimizer (the examples leave them out)."""

    def compile(self, **kwargs):
        kwargs.setdefault("optimizer", "sgd")
        kwargs.setdefault("loss", "mse")
        super().compile(**kwargs)


def model_creation():
    return DocModel([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                     keras.layers.Dense(8), keras.layers.Dense(4)])


def doc_data():  # the examples' `data` placeholder: 2 batches of (x, y)
    rng = np.random.default_rng(0)
    for _ in range(2):
        yield rng.normal(size=(16, 8, 8, 1)).astype("float32"), rng.normal(size=(16, 4)).astype("float32")


if os.environ.get("KERASJ_KERAS_DOC_EXAMPLES"):
    import contextlib
    import io

    with open(os.environ["KERASJ_KERAS_DOC_EXAMPLES"]) as f:
        examples = json.load(f)
    found = {}
    ns = {name: getattr(D, name) for name in D.__all__}
    ns["device_mesh"] = D.DeviceMesh((2, 4), ["batch", "model"], devices=D.list_devices())  # LayoutMap's placeholder
    exec(examples["LayoutMap"][0], ns)
    found["layout_map"] = {f"layout_{i}": (None if ns[f"layout_{i}"] is None else list(ns[f"layout_{i}"].axes))
                           for i in range(1, 9)}
    ns.update(model_creation=model_creation, create_model=model_creation, data=doc_data())
    printed = io.StringIO()
    exec(examples["ModelParallel"][0], ns)
    model = ns["model"]  # the third example makes a new `model`
    with contextlib.redirect_stdout(printed):
        for code in examples["ModelParallel"][1:]:
            exec(code, ns)
    D.set_distribution(None)
    found["model_parallel"] = {
        "specs": {v.path: spec(v) for v in model.weights}, "iterations": int(model.optimizer.iterations.numpy()),
        "mesh_shape": list(ns["device_mesh"].shape), "printed": printed.getvalue().split(),
        "paths": [v.path for v in ns["model"].variables]}
    RESULTS["keras_doc_examples"] = found

print(json.dumps(RESULTS), file=sys.stdout)
