"""model.export(format="tf_saved_model"): the model's forward pass as a TensorFlow SavedModel."""
from kerasj.export.export_archive import ExportArchive
from kerasj.export.signatures import input_signature_of

DEFAULT_ENDPOINT_NAME = "serve"


def export_saved_model(model, filepath, verbose=None, input_signature=None, **kwargs):
    """Write `model`'s forward pass (its `__call__`) to the directory `filepath` as a SavedModel whose
    endpoint `serve` (also the `serving_default` signature) takes any batch size. Reloading it needs only
    TensorFlow: no kerasj, no model code.

    `input_signature` is inferred from the model when not given (see `kerasj.export.ExportArchive.add_endpoint`
    for its form); `kwargs` are `add_endpoint`'s options (`jax2tf_kwargs`, `is_static`).

    Example:

    ```python
    export_saved_model(model, "path/to/location")
    reloaded = tf.saved_model.load("path/to/location")
    predictions = reloaded.serve(input_data)
    ```
    """
    archive = ExportArchive()
    if input_signature is None:
        input_signature = input_signature_of(model)
    archive.track_and_add_endpoint(DEFAULT_ENDPOINT_NAME, model, input_signature, **kwargs)
    archive.write_out(filepath, verbose=True if verbose is None else verbose)
