"""Model.export: one entry point for every export format."""
from kerasj.export.jax_export import export_jax
from kerasj.export.litert import export_litert
from kerasj.export.onnx import export_onnx
from kerasj.export.saved_model import export_saved_model

FORMATS = ("tf_saved_model", "onnx", "litert", "jax")
# Keras 3 formats that need another Keras backend.
_OTHER_BACKENDS = {"openvino": "the OpenVINO backend", "torch": "the PyTorch backend"}


def export_model(model, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
    """Write `model` for inference in `format` (see `kerasj.Model.export`)."""
    if format in _OTHER_BACKENDS:
        raise ValueError(f"format={format!r} needs Keras 3 with {_OTHER_BACKENDS[format]}; kerasj runs on JAX. "
                         f"Supported formats are: {list(FORMATS)}.")
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format!r} for `format`. Supported formats are: {list(FORMATS)}.")
    if format == "tf_saved_model":
        export_saved_model(model, filepath, verbose, input_signature=input_signature, **kwargs)
    elif format == "onnx":
        export_onnx(model, filepath, verbose, input_signature=input_signature, **kwargs)
    elif format == "litert":
        export_litert(model, filepath, input_signature=input_signature, verbose=verbose, **kwargs)
    else:
        export_jax(model, filepath, verbose, input_signature=input_signature, **kwargs)
