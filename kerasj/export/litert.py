"""model.export(format="litert"): a TensorFlow Lite (LiteRT) flatbuffer, converted from the SavedModel."""
import os
import tempfile

from kerasj.export.dependencies import require
from kerasj.export.saved_model import DEFAULT_ENDPOINT_NAME, export_saved_model
from kerasj.utils import io_utils
from kerasj.utils.file_io import atomic_write


def saved_model_to_tflite(saved_model_dir, signature_key=DEFAULT_ENDPOINT_NAME, **converter_options):
    """The `.tflite` bytes of one signature of a SavedModel. `converter_options` are set as attributes of the
    `tf.lite.TFLiteConverter` (`optimizations`, `representative_dataset`, `target_spec`, ...)."""
    tf = require("tensorflow", 'model.export(format="litert")')
    converter = tf.lite.TFLiteConverter.from_saved_model(os.fspath(saved_model_dir), signature_keys=[signature_key])
    for option, value in converter_options.items():
        if not hasattr(converter, option):
            raise ValueError(f"Unknown option {option}={value!r} for the TFLite converter "
                             "(tf.lite.TFLiteConverter has no such attribute).")
        setattr(converter, option, value)
    return converter.convert()


def export_litert(model, filepath, input_signature=None, verbose=None, **kwargs):
    """Write `model`'s forward pass to `filepath` (a `.tflite` file) for TensorFlow Lite / LiteRT: the
    SavedModel of `model.export` converted by `tf.lite.TFLiteConverter`; `kwargs` are converter options
    (e.g. `optimizations=[tf.lite.Optimize.DEFAULT]`). The batch size stays free (resize the interpreter's
    input to serve another size than 1).

    Example:

    ```python
    export_litert(model, "model.tflite")
    interpreter = tf.lite.Interpreter(model_path="model.tflite")
    runner = interpreter.get_signature_runner("serve")
    ```
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".tflite"):
        raise ValueError(f"The LiteRT export requires the filepath to end with '.tflite'. Got: {filepath}")
    with tempfile.TemporaryDirectory() as tmp:
        # Weights baked in as constants, as TFLite models usually hold them (and the endpoint writes no state).
        export_saved_model(model, tmp, verbose=False, input_signature=input_signature, is_static=True)
        flatbuffer = saved_model_to_tflite(tmp, **kwargs)
    with atomic_write(filepath) as tmp_path:
        with open(tmp_path, "wb") as f:
            f.write(flatbuffer)
    if verbose is None or verbose:
        io_utils.print_msg(f"Saved artifact at '{filepath}'.")
