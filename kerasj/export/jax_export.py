"""model.export(format="jax"): the forward pass as serialized StableHLO (`jax.export`), runnable with JAX alone.

Beyond Keras: the file holds `jax.export.export(jax.jit(forward))(*specs).serialize()`, with the weights baked in
as constants and a symbolic batch size, so a program with no kerasj and no model code runs it:

    exported = jax.export.deserialize(bytearray(open("model.jaxexport", "rb").read()))
    predictions = exported.call(x)
"""
import os

import jax

from kerasj.export.signatures import input_signature_of, to_symbolic_structs
from kerasj.utils import io_utils
from kerasj.utils.file_io import atomic_write
from kerasj.variables import pure


def export_jax(model, filepath, verbose=None, input_signature=None, platforms=None):
    """Write `model`'s inference forward pass to the file `filepath` as serialized `jax.export` StableHLO.

    `input_signature` is inferred from the model when not given (one spec or nested structure of specs per
    positional argument); free sizes become symbolic dimensions (the first one of every input, "batch", is
    shared). `platforms` (e.g. `("cpu", "cuda")`) lists where the artifact may run; the default is the
    platform JAX runs on now.

    Example:

    ```python
    export_jax(model, "model.jaxexport")
    exported = jax.export.deserialize(bytearray(open("model.jaxexport", "rb").read()))
    y = exported.call(x)   # any batch size
    ```
    """
    if input_signature is None:
        input_signature = input_signature_of(model)
    if not isinstance(input_signature, (list, tuple)):
        raise ValueError("`input_signature` must be a list with one entry per positional argument of the model. "
                         f"Received: input_signature={input_signature!r}")
    variables = list(model.variables)
    # The current weights, closed over by the traced function: the export bakes them in as constants.
    values = [v.value for v in variables]
    run = pure(model, variables)

    def forward(*args):
        return run(values, *args)[1]

    exported = jax.export.export(jax.jit(forward), platforms=platforms)(*to_symbolic_structs(list(input_signature)))
    filepath = os.fspath(filepath)
    with atomic_write(filepath) as tmp_path:
        with open(tmp_path, "wb") as f:
            f.write(exported.serialize())
    if verbose is None or verbose:
        io_utils.print_msg(f"Saved artifact at '{filepath}'. Load it with jax.export.deserialize(bytearray("
                           f"open({filepath!r}, 'rb').read())) and run it with `.call(...)`.")
    return exported
