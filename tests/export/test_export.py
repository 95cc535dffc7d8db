"""model.export and kerasj.export.ExportArchive: every artifact, reloaded by its own runtime (TensorFlow, TFLite,
ONNX Runtime, bare JAX), gives the model's predictions at more than one batch size."""
import subprocess
import sys
import textwrap
import warnings

import jax
import numpy as np
import pytest

import kerasj
from kerasj.export import ExportArchive

tf = pytest.importorskip("tensorflow")  # a dev dependency: CI installs it, so this never skips there

BATCHES = (5, 2)


class Subclassed(kerasj.Model):
    def __init__(self):
        super().__init__()
        self.dense = kerasj.layers.Dense(4, activation="tanh")
        self.norm = kerasj.layers.BatchNormalization()
        self.out = kerasj.layers.Dense(2)

    def call(self, x, training=None):
        return self.out(self.norm(self.dense(x), training=training))


def _build(kind):
    if kind == "sequential":
        return kerasj.Sequential([kerasj.Input((3,), name="x"), kerasj.layers.Dense(4, activation="relu"),
                                  kerasj.layers.Dense(2)])
    if kind == "functional":
        a, b = kerasj.Input((3,), name="a"), kerasj.Input((4,), name="b")
        hidden = kerasj.layers.Dense(3, activation="relu")(b)
        # Merge layers check their input shapes: they must take the symbolic batch dimension of an export.
        return kerasj.Model([a, b], [kerasj.layers.Dense(2)(kerasj.layers.Add()([a, hidden])),
                                     kerasj.layers.Dense(1)(kerasj.layers.Concatenate()([hidden, b]))])
    model = Subclassed()
    model(np.zeros((1, 3), "float32"))
    # Non-default moving statistics, so the export must carry the non-trainable weights too.
    model.norm.moving_mean.assign(np.full((4,), 0.3, "float32"))
    model.norm.moving_variance.assign(np.full((4,), 2.0, "float32"))
    return model


def _inputs(kind, batch):
    rng = np.random.default_rng(batch)
    x = rng.normal(size=(batch, 3)).astype("float32")
    return ([x, rng.normal(size=(batch, 4)).astype("float32")],) if kind == "functional" else (x,)


def _flat(outputs):
    return [np.asarray(o) for o in jax.tree_util.tree_leaves(outputs)]


def _assert_close(actual, expected):
    actual, expected = _flat(actual), _flat(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)


KINDS = ("sequential", "functional", "subclassed")
# The TFLite and ONNX conversions take seconds each: a Sequential model is a graph model like the functional one
# (and goes through TFLite in the litert test), so TFLite runs on the functional and subclassed models, and ONNX
# (SavedModel, then TFLite, then tf2onnx) on the functional one, whose two named inputs test the naming.
CONVERTED = ("functional", "subclassed")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Each model with its predictions and its artifacts in every format, written once for the module."""
    root = tmp_path_factory.mktemp("export")
    result = {}
    for kind in KINDS:
        model = _build(kind)
        paths = {"saved_model": str(root / f"{kind}_sm"), "onnx": str(root / f"{kind}.onnx"),
                 "jax": str(root / f"{kind}.jaxexport")}
        model.export(paths["saved_model"], verbose=False)
        if kind == "functional":
            model.export(paths["onnx"], format="onnx", verbose=False)
        model.export(paths["jax"], format="jax", verbose=False)
        expected = {batch: model.predict(*_inputs(kind, batch), verbose=0) for batch in BATCHES}
        result[kind] = (model, paths, expected)
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_saved_model_serves_the_predictions_at_any_batch_size(exported, kind):
    model, paths, expected = exported[kind]
    reloaded = tf.saved_model.load(paths["saved_model"])
    for batch in BATCHES:
        _assert_close(reloaded.serve(*_inputs(kind, batch)), expected[batch])
    # The signature serves the same (TF Serving calls it with keyword inputs).
    signature = reloaded.signatures["serving_default"]
    keys = sorted(signature.structured_input_signature[1])
    outputs = signature(**dict(zip(keys, _flat(_inputs(kind, 2)))))
    _assert_close([outputs[k] for k in sorted(outputs, key=lambda k: int(k.split("_")[1]))], expected[2])


@pytest.mark.parametrize("kind", KINDS)
def test_saved_model_holds_the_weights_as_variables(exported, kind):
    model, paths, _ = exported[kind]
    reloaded = tf.saved_model.load(paths["saved_model"])
    own = list(model.trainable_variables) + list(model.non_trainable_variables)
    assert len(reloaded.variables) == len(own) > 0
    for saved, variable in zip(reloaded.variables, own):
        np.testing.assert_array_equal(saved.numpy(), variable.numpy())
    assert [v.trainable for v in reloaded.variables] == [v.trainable for v in own]


def _tflite_run(runner, inputs):
    details = runner.get_input_details()
    feeds = dict(zip(sorted(details), _flat(inputs))) if len(details) > 1 else {next(iter(details)): _flat(inputs)[0]}
    outputs = runner(**feeds)
    return [outputs[k] for k in sorted(outputs, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.parametrize("kind", CONVERTED)
def test_tflite_converts_the_saved_model_and_predicts_the_same(exported, kind):
    _, paths, expected = exported[kind]
    flatbuffer = tf.lite.TFLiteConverter.from_saved_model(paths["saved_model"]).convert()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    runner = interpreter.get_signature_runner()
    for batch in BATCHES:
        _assert_close(_tflite_run(runner, _inputs(kind, batch)), expected[batch])


def test_onnx_runs_in_onnxruntime_with_named_inputs(exported):
    ort = pytest.importorskip("onnxruntime")
    _, paths, expected = exported["functional"]
    session = ort.InferenceSession(paths["onnx"])
    names = [i.name for i in session.get_inputs()]
    assert names == ["a", "b"]  # the Inputs' names, in the model's input order
    assert [o.name for o in session.get_outputs()] == ["output_0", "output_1"]
    for batch in BATCHES:
        _assert_close(session.run(None, dict(zip(names, _flat(_inputs("functional", batch))))), expected[batch])


@pytest.mark.parametrize("kind", KINDS)
def test_jax_format_runs_with_a_symbolic_batch_and_baked_weights(exported, kind):
    model, paths, expected = exported[kind]
    with open(paths["jax"], "rb") as f:
        artifact = jax.export.deserialize(bytearray(f.read()))
    assert all(jax.export.is_symbolic_dim(aval.shape[0]) for aval in artifact.in_avals)
    assert artifact.nr_devices == 1
    for batch in BATCHES:
        _assert_close(artifact.call(*_inputs(kind, batch)), expected[batch])


def test_jax_artifact_runs_with_only_jax_installed(exported):
    """A fresh interpreter that imports JAX alone (no kerasj, no TensorFlow) runs the file."""
    _, paths, expected = exported["sequential"]
    x = _inputs("sequential", 2)[0]
    code = textwrap.dedent(f"""
        import sys, jax, numpy as np
        artifact = jax.export.deserialize(bytearray(open({paths['jax']!r}, "rb").read()))
        y = np.asarray(artifact.call(np.array({x.tolist()!r}, np.float32)))
        assert not any(m.split(".")[0] in ("kerasj", "tensorflow", "keras") for m in sys.modules)
        print(np.abs(y - np.array({np.asarray(expected[2]).tolist()!r})).max())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert float(out) < 1e-5


def test_the_export_modules_import_tensorflow_only_inside_functions():
    import ast
    import pathlib

    optional = ("tensorflow", "tf2onnx", "onnx", "onnxruntime", "jax.experimental.jax2tf")
    for path in sorted((pathlib.Path(kerasj.__file__).parent / "export").glob("*.py")):
        for node in ast.parse(path.read_text()).body:  # module level only
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.split(".")[0] in optional or n in optional], path.name


def test_litert_format_writes_a_tflite_file(exported, tmp_path):
    model, _, expected = exported["sequential"]
    path = str(tmp_path / "model.tflite")
    model.export(path, format="litert", verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runner = tf.lite.Interpreter(model_path=path).get_signature_runner("serve")
    _assert_close(_tflite_run(runner, _inputs("sequential", 5)), expected[5])
    with pytest.raises(ValueError, match=r"\.tflite"):
        model.export(str(tmp_path / "model.bin"), format="litert")


def test_export_archive_with_two_endpoints_and_a_variable_collection(exported, tmp_path):
    model, _, expected = exported["subclassed"]
    spec = [kerasj.InputSpec(shape=(None, 3), dtype="float32")]
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("infer", lambda x: model(x, training=False), input_signature=spec)
    archive.add_endpoint("train_forward", lambda x: model(x, training=True), input_signature=spec)
    archive.add_variable_collection("kernels", [model.dense.kernel, model.out.kernel])
    with pytest.raises(ValueError, match="already taken"):
        archive.add_endpoint("infer", model.call, input_signature=spec)
    archive.write_out(str(tmp_path / "archive"), verbose=False)

    reloaded = tf.saved_model.load(str(tmp_path / "archive"))
    assert set(reloaded.signatures) == {"infer", "train_forward", "serving_default"}
    x = _inputs("subclassed", 5)[0]
    _assert_close(reloaded.infer(x), expected[5])
    # The collection holds the very variables the endpoints read (one object each in the SavedModel).
    np.testing.assert_array_equal(reloaded.kernels[1].numpy(), model.out.kernel.numpy())
    assert reloaded.kernels[0] is reloaded.trainable_variables[0]

    # A training-mode forward uses the batch statistics and writes the updated moving statistics back into
    # the reloaded variables, as the model's own stateless call computes them.
    outputs, non_trainable = model.stateless_call([v.value for v in model.trainable_variables],
                                                  [v.value for v in model.non_trainable_variables], x, training=True)
    _assert_close(reloaded.train_forward(x), outputs)
    for saved, value in zip(reloaded.non_trainable_variables, non_trainable):
        np.testing.assert_allclose(saved.numpy(), np.asarray(value), rtol=1e-5, atol=1e-6)


def test_export_archive_reuses_a_traced_tf_function_endpoint(exported, tmp_path, capsys):
    model, _, expected = exported["sequential"]
    archive = ExportArchive()
    model_fn = archive.track_and_add_endpoint("model_fn", model, [tf.TensorSpec((None, 3), tf.float32)])

    @tf.function
    def doubled(x):
        return 2.0 * model_fn(x)

    doubled.get_concrete_function(tf.TensorSpec((None, 3), tf.float32))  # traced once, for any batch size
    archive.add_endpoint("doubled", doubled)
    archive.write_out(str(tmp_path / "composed"))
    printed = capsys.readouterr().out
    assert "Saved artifact at" in printed and "* Endpoint 'model_fn'" in printed
    assert "* Endpoint 'doubled'" in printed and "shape=(None, 3)" in printed
    reloaded = tf.saved_model.load(str(tmp_path / "composed"))
    _assert_close(reloaded.doubled(_inputs("sequential", 5)[0]), 2.0 * np.asarray(expected[5]))


def test_explicit_input_signature_fixes_the_batch_size(exported, tmp_path):
    model, _, expected = exported["sequential"]
    path = str(tmp_path / "fixed.jaxexport")
    model.export(path, format="jax", verbose=False,
                 input_signature=[kerasj.InputSpec(shape=(5, 3), dtype="float32")])
    with open(path, "rb") as f:
        artifact = jax.export.deserialize(bytearray(f.read()))
    assert artifact.in_avals[0].shape == (5, 3)
    # The weights are baked in: changing the model afterwards leaves the artifact's predictions as they were.
    weights = model.get_weights()
    try:
        model.set_weights([np.zeros_like(w) for w in weights])
        _assert_close(artifact.call(*_inputs("sequential", 5)), expected[5])
    finally:
        model.set_weights(weights)


# -- errors ---------------------------------------------------------------------------------------------------
def test_unknown_format_names_the_argument_and_the_accepted_values(exported):
    model = exported["sequential"][0]
    with pytest.raises(ValueError, match=r"format='keras'.*'tf_saved_model', 'onnx', 'litert', 'jax'"):
        model.export("x", format="keras")
    with pytest.raises(ValueError, match="PyTorch backend"):
        model.export("x", format="torch")


def test_models_that_cannot_say_their_inputs_fail_early():
    with pytest.raises(ValueError, match="not yet been built"):
        kerasj.Sequential([kerasj.layers.Dense(2)]).export("x", format="jax")
    model = Subclassed()
    model.built = True
    with pytest.raises(ValueError, match="never been called"):
        model.export("x", format="jax")


def test_archive_argument_errors(exported, tmp_path):
    model = exported["sequential"][0]
    archive = ExportArchive()
    with pytest.raises(ValueError, match="input_signature"):
        archive.add_endpoint("serve", model.call)
    with pytest.raises(ValueError, match="No endpoints"):
        archive.write_out(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="list/tuple/set"):
        archive.add_variable_collection("vars", model.variables[0])
    with pytest.raises(ValueError, match="Invalid resource type"):
        archive.track("model")
    with pytest.raises(ValueError, match="unexpected keyword arguments"):
        archive.add_endpoint("serve", model.call, input_signature=[model.inputs[0]], jax2tf=True)
    with pytest.raises(ValueError, match="shape` and `dtype"):
        archive.add_endpoint("serve", model.call, input_signature=[kerasj.InputSpec(ndim=2)])


def test_missing_tensorflow_is_named(monkeypatch, exported):
    model = exported["sequential"][0]
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # what `import tensorflow` sees when it is absent
    with pytest.raises(ImportError, match="`tensorflow` package"):
        model.export("x")
    with pytest.raises(ImportError, match="`tensorflow` package"):
        ExportArchive()


def test_namespace():
    assert kerasj.export.ExportArchive is ExportArchive
