"""Exporting models for inference without kerasj (kerasj.export = keras.export, plus a JAX-only format).

    model.export("path/to/saved_model")                      # TensorFlow SavedModel (TF Serving, TF.js, TFLite)
    model.export("model.onnx", format="onnx")                # ONNX Runtime
    model.export("model.tflite", format="litert")            # TensorFlow Lite / LiteRT
    model.export("model.jaxexport", format="jax")            # StableHLO, run by jax.export.deserialize

`ExportArchive` writes SavedModels with several endpoints and variable collections.
"""
from kerasj.export.export_archive import ExportArchive
from kerasj.export.jax_export import export_jax
from kerasj.export.litert import export_litert
from kerasj.export.onnx import export_onnx
from kerasj.export.saved_model import export_saved_model

__all__ = ["ExportArchive", "export_jax", "export_litert", "export_onnx", "export_saved_model"]
