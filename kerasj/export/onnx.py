"""model.export(format="onnx"): an ONNX model for ONNX Runtime, by way of the SavedModel and TFLite.

tf2onnx cannot read the SavedModel of a JAX model directly: jax2tf puts the computation in one `XlaCallModule`
op (StableHLO), which tf2onnx has no conversion for, and JAX no longer offers jax2tf's non-native mode that
emitted plain TF ops. The TFLite converter does lower that StableHLO into TFLite builtin ops, which
`tf2onnx.convert.from_tflite` converts. (Keras 3 on JAX uses jax2onnx instead.)
"""
import os
import re
import tempfile
import warnings

from kerasj.export.dependencies import require
from kerasj.export.export_archive import ExportArchive
from kerasj.export.litert import saved_model_to_tflite
from kerasj.export.saved_model import DEFAULT_ENDPOINT_NAME
from kerasj.export.signatures import flat_specs, input_signature_of, map_specs, shape_dtype_name, to_tf_spec
from kerasj.utils import io_utils
from kerasj.utils.file_io import atomic_write

_FEATURE = 'model.export(format="onnx")'


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None, **kwargs):
    """Write `model`'s forward pass to the file `filepath` as ONNX, with a free batch size.

    The ONNX inputs are named after the input specs (a named `kerasj.Input` gives its name), else `input_{i}`;
    outputs are named as the SavedModel's signature names them (`output_0`, ... or a dict output's keys).
    `opset_version` picks the ONNX opset (tf2onnx's default otherwise); `kwargs` are `add_endpoint`'s options.
    Needs tensorflow, tf2onnx and onnx.

    Example:

    ```python
    export_onnx(model, "model.onnx")
    session = onnxruntime.InferenceSession("model.onnx")
    predictions = session.run(None, {session.get_inputs()[0].name: x})
    ```
    """
    tf = require("tensorflow", _FEATURE)
    tf2onnx = require("tf2onnx", _FEATURE)
    onnx = require("onnx", _FEATURE)
    if input_signature is None:
        input_signature = input_signature_of(model)
    names = _input_names(input_signature)
    # Each input's spec carries its ONNX name, so the SavedModel and TFLite signatures use it as their key.
    leaves = iter(names)
    named_signature = map_specs(lambda s: to_tf_spec(tf, s, name=next(leaves)), list(input_signature))
    with tempfile.TemporaryDirectory() as tmp:
        archive = ExportArchive()
        # Weights baked in as constants (ONNX initializers): tf2onnx cannot convert TFLite's variable ops.
        archive.add_endpoint(DEFAULT_ENDPOINT_NAME, model.__call__, named_signature, **{"is_static": True, **kwargs})
        archive.write_out(os.path.join(tmp, "saved_model"), verbose=False)
        tflite_path = os.path.join(tmp, "model.tflite")
        with open(tflite_path, "wb") as f:
            f.write(saved_model_to_tflite(os.path.join(tmp, "saved_model")))
        with warnings.catch_warnings():
            # tf.lite.Interpreter's deprecation notice (here and inside tf2onnx), about a TFLite reader only.
            warnings.filterwarnings("ignore", message=r"\s*Warning: tf\.lite\.Interpreter is deprecated")
            inputs, outputs = _signature_tensors(tf, tflite_path)
            proto, _ = tf2onnx.convert.from_tflite(
                tflite_path, input_names=[inputs[name] for name in names],
                output_names=[outputs[key] for key in _natural_order(outputs)], opset=opset_version)
    renames = {inputs[name]: name for name in names}
    renames.update({tensor: key for key, tensor in outputs.items()})
    _rename(proto, renames)
    filepath = os.fspath(filepath)
    with atomic_write(filepath) as tmp_path:
        onnx.save(proto, tmp_path)
    if verbose is None or verbose:
        io_utils.print_msg(f"Saved artifact at '{filepath}'.")


def _input_names(signature):
    names = []
    for i, spec in enumerate(flat_specs(signature)):
        name = shape_dtype_name(spec)[2] or f"input_{i}"
        while name in names:
            name += "_"
        names.append(name)
    return names


def _signature_tensors(tf, tflite_path):
    """`({input key: tensor name}, {output key: tensor name})` of the flatbuffer's serving signature."""
    runner = tf.lite.Interpreter(model_path=tflite_path).get_signature_runner(DEFAULT_ENDPOINT_NAME)
    return ({key: d["name"] for key, d in runner.get_input_details().items()},
            {key: d["name"] for key, d in runner.get_output_details().items()})


def _natural_order(keys):
    """Signature output keys in the order of the flattened outputs: `output_2` before `output_10`; dict keys
    sorted, as the flattening sorts them."""
    return sorted(keys, key=lambda k: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", k)])


def _rename(proto, renames):
    graph = proto.graph
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        value.name = renames.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
