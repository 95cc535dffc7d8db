"""Model: a Layer that trains. Three ways to make one, as in Keras:

    # Functional
    inputs = kerasj.Input(shape=(784,))
    model = kerasj.Model(inputs, kerasj.layers.Dense(10)(inputs))

    # Subclassing
    class MLP(kerasj.Model):
        def __init__(self):
            super().__init__()
            self.dense = kerasj.layers.Dense(10)
        def call(self, x):
            return self.dense(x)

    # Sequential: see kerasj.models.sequential
"""
import jax

from kerasj.layers.layer import Layer, _lists_to_shapes, is_shape
from kerasj.masks import masks_of
from kerasj.models.functional_config import functional_from_config, get_functional_config
from kerasj.ops.symbolic import KerasTensor
from kerasj.saving.serialization_lib import serialize_keras_object
from kerasj.trainer.trainer import Trainer
from kerasj.utils.summary_utils import print_summary
from kerasj.variables import abstract_eval, pure


def _is_functional_call(args, kwargs):
    if "inputs" in kwargs and "outputs" in kwargs:
        return True
    return len(args) >= 2 or (len(args) == 1 and "outputs" in kwargs)


def _init_takes_arguments(cls):
    import inspect
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return any(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.VAR_KEYWORD, p.VAR_POSITIONAL)
               for p in params)


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features (compile, fit, evaluate, predict).

    `Model(inputs, outputs, name=None)` builds a functional model; subclass Model and implement `call`
    for a subclassed one.
    """

    _FORWARD_NEUTRAL = frozenset({"compiled", "optimizer", "loss", "loss_weights", "stop_training", "history",
                                  "steps_per_execution", "jit_compile", "run_eagerly"})

    def __new__(cls, *args, **kwargs):
        if cls is Model and _is_functional_call(args, kwargs):
            from kerasj.models.functional import Functional  # functional.py subclasses Model
            return object.__new__(Functional)
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", None)
        if args:
            inputs, args = args[0], args[1:]
        if args:
            outputs, args = args[0], args[1:]
        if args:
            raise TypeError(f"Model() takes at most 2 positional arguments (inputs, outputs); received "
                            f"{len(args) + 2}.")
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)
        self._graph = None
        self._functional_layers = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs): both `inputs` and `outputs` are required for a "
                                 "functional model.")
            from kerasj.models.functional import init_graph  # functional.py subclasses Model
            init_graph(self, inputs, outputs)

    @property
    def _layers(self):
        children = Layer._layers.fget(self)
        if self._functional_layers is None:
            return children
        ids = {id(layer) for layer in self._functional_layers}
        return list(self._functional_layers) + [c for c in children if id(c) not in ids]

    @property
    def layers(self):
        """The model's direct layers, in order."""
        return self._layers

    def get_layer(self, name=None, index=None):
        """Find a direct layer by name or index."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"get_layer: index {index} is out of range; the model has {len(self.layers)} "
                                 "layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[l.name for l in self.layers]}.")

    def _compiled_forward(self):
        """The model's CompiledInference (made on first use), or None for a model that is not a graph."""
        if self.__dict__.get("_graph") is None or not type(self).call.__module__.startswith("kerasj.models."):
            return None
        compiled = self.__dict__.get("_compiled_inference")
        if compiled is None:
            from kerasj.models.functional import CompiledInference  # functional.py subclasses Model
            compiled = self._compiled_inference = CompiledInference(self)
        return compiled

    def __call__(self, *args, **kwargs):
        # A graph model called for inference on arrays runs one compiled forward per input signature (see
        # kerasj.models.functional.CompiledInference); everything else takes the eager path.
        compiled = self._compiled_forward()
        if compiled is not None:
            outputs = compiled(args, kwargs)
            if outputs is not compiled.EAGER:
                return outputs
        return Layer.__call__(self, *args, **kwargs)

    def _inference_call(self, x):
        compiled = self._compiled_forward()
        if compiled is None or masks_of(x) is not None:  # predict's batches never carry masks
            return None
        if isinstance(x, dict) and set(x) != set(self._graph.inputs if isinstance(self._graph.inputs, dict)
                                                 else self.input_names):
            return None  # predict warns about unknown keys and checks missing ones
        outputs = compiled((x,), {"training": False})
        return None if outputs is compiled.EAGER else outputs

    def call(self, inputs, training=None, mask=None):
        if self._graph is not None:
            from kerasj.models.functional import run_graph  # functional.py subclasses Model
            return run_graph(self, inputs, training=training, mask=mask)
        raise NotImplementedError(f"Model '{self.name}' has no call(): subclass Model and implement "
                                  "call(self, inputs, training=None), or use Model(inputs, outputs).")

    @property
    def inputs(self):
        return None if self._graph is None else self._graph.input_tensors

    @property
    def outputs(self):
        return None if self._graph is None else self._graph.output_tensors

    @property
    def input(self):
        """The symbolic input(s) of a functional or Sequential model, in the structure given to Model()."""
        if self._graph is None:
            return Layer.input.fget(self)
        return self._graph.inputs

    @property
    def output(self):
        """The symbolic output(s) of a functional or Sequential model."""
        if self._graph is None:
            return Layer.output.fget(self)
        return self._graph.outputs

    @property
    def input_shape(self):
        """The shape of the model's symbolic input, or a list of shapes for several inputs (as in Keras).

            >>> kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(2)]).input_shape
            (None, 3)
        """
        return _shapes_of(self.input)

    @property
    def output_shape(self):
        """The shape of the model's symbolic output, or a list of shapes for several outputs (as in Keras)."""
        return _shapes_of(self.output)

    @property
    def input_names(self):
        return [] if self._graph is None else self._graph.input_names()

    def build(self, input_shape=None):
        """Create all weights by evaluating the model abstractly on inputs of `input_shape`.

        A None batch dimension is fine. Subclassed models build this way without running any computation.
        """
        if self.built and self._graph is not None:
            return
        if input_shape is None:
            raise ValueError(f"Model '{self.name}'.build() needs an input_shape.")
        specs = jax.tree_util.tree_map(lambda s: KerasTensor(s), input_shape, is_leaf=is_shape)
        self.build_from_spec(specs)

    def _maybe_build(self, args, kwargs):
        if self.built:
            return
        if type(self).build is not Model.build:
            return Layer._maybe_build(self, args, kwargs)  # a user-defined build(input_shape)
        # A subclassed model builds its sub-layers while its call runs; the input shape is kept for saving.
        x = args[0] if args else next(iter(kwargs.values()), None)
        if x is not None and all(hasattr(leaf, "shape") for leaf in jax.tree_util.tree_leaves(x)):
            self._build_shapes = jax.tree_util.tree_map(lambda t: (None,) + tuple(t.shape)[1:], x)
        self.built = True

    @property
    def input_dtype(self):
        """None for a graph model: its inputs reach the graph uncast and each layer casts what it receives to
        its own compute dtype (so a float32 first layer of a mixed-precision model sees unrounded inputs, as in
        Keras, which converts a functional model's inputs to its Inputs' dtypes)."""
        return None if getattr(self, "_graph", None) is not None else super().input_dtype

    def build_from_spec(self, specs):
        """Build by calling the model abstractly on `specs` (KerasTensors or ShapeDtypeStructs)."""
        def to_struct(x):
            if isinstance(x, KerasTensor):
                return jax.ShapeDtypeStruct(tuple(1 if d is None else d for d in x.shape), x.dtype)
            return jax.ShapeDtypeStruct(tuple(x.shape), x.dtype)
        structs = jax.tree_util.tree_map(to_struct, specs, is_leaf=lambda x: isinstance(x, KerasTensor))

        abstract_eval(self, structs)
        self._clear_losses()
        self.built = True
        if self._graph is None:
            self._build_shapes = jax.tree_util.tree_map(lambda t: (None,) + tuple(t.shape)[1:], specs,
                                                        is_leaf=lambda x: isinstance(x, KerasTensor))

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False,
                       **kwargs):
        """Call the model with the given variable values instead of its own (Keras 3's pure form).

        Returns `(outputs, non_trainable_values)` — the non-trainable values after the call, e.g. updated
        batch-norm statistics — plus the list of losses with `return_losses=True`. No Variable changes.

            >>> outputs, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        """
        trainable = list(self.trainable_variables)
        non_trainable = list(self.non_trainable_variables)
        for given, own, kind in ((trainable_variables, trainable, "trainable"),
                                 (non_trainable_variables, non_trainable, "non_trainable")):
            if len(given) != len(own):
                raise ValueError(f"stateless_call on '{self.name}': expected {len(own)} {kind} variable values "
                                 f"(model.{kind}_variables), received {len(given)}.")
        def call():
            return self(*args, **kwargs), (list(self.losses) if return_losses else None)

        new_values, (outputs, losses) = pure(call, trainable + non_trainable)(
            list(trainable_variables) + list(non_trainable_variables))
        new_non_trainable = new_values[len(trainable):]
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Write the weights (and the optimizer's state, once compiled) to a Keras 3 `.weights.h5` file,
        atomically. Files are interchangeable with Keras 3 for the same architecture.

        >>> model.save_weights("model.weights.h5")
        """
        from kerasj.saving import weights_io  # saving sits above models (it builds them)
        weights_io.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights (and optimizer state) from a `.weights.h5` file written by kerasj or Keras 3.
        Mismatched layers raise a ValueError, or with `skip_mismatch=True` are skipped with a warning.

        >>> model.load_weights("model.weights.h5")
        """
        from kerasj.saving import weights_io  # saving sits above models (it builds them)
        weights_io.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model — architecture, weights, and the compile configuration with the optimizer's
        state — to a Keras 3 `.keras` archive, atomically. Load it with `kerasj.models.load_model`.

            >>> model.save("model.keras")
        """
        from kerasj.saving.keras_archive import save_model  # saving sits above models (it builds them)
        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    # -- config --------------------------------------------------------------------------------------
    def to_json(self, **kwargs):
        """The model's architecture (no weights) as a JSON string; `kerasj.models.model_from_json` reads it.
        Extra keyword arguments go to `json.dumps`."""
        import json

        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_config(self):
        """Functional models: the graph of layer calls (Keras 3's format). Subclassed models: the base
        layer arguments; override get_config (and from_config) to save models whose __init__ takes others."""
        if self._graph is not None:
            return get_functional_config(self)
        return Layer.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if isinstance(config, dict) and "layers" in config and "input_layers" in config:
            from kerasj.models.functional import Functional  # functional.py subclasses Model
            return functional_from_config(Functional if cls is Model else cls, config, custom_objects)
        base_keys = {"name", "trainable", "dtype"}
        if set(config) <= base_keys and not _init_takes_arguments(cls):
            # A subclassed model whose __init__ takes no arguments (the common tutorial form) needs no
            # get_config: build it plainly and restore the base attributes.
            model = cls()
            if isinstance(config.get("name"), str):
                model.name = config["name"]
            if config.get("trainable") is False:
                model.trainable = False
            return model
        try:
            return cls(**config)
        except TypeError as err:
            raise TypeError(f"Could not rebuild {cls.__name__} from its config ({err}). A subclassed model whose "
                            "__init__ takes arguments must define get_config() returning them (and from_config "
                            "if they need converting).") from err

    def get_build_config(self):
        if self._graph is not None:
            return {"input_shape": None}
        return Layer.get_build_config(self)

    def build_from_config(self, config):
        shape = (config or {}).get("input_shape")
        if shape is None or self._graph is not None:
            return
        self.build(_lists_to_shapes(shape))
        self._build_shapes = _lists_to_shapes(shape)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Print a table of the model's layers, output shapes and parameter counts (arguments as in Keras:
        see `kerasj.utils.summary_utils.print_summary`)."""
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of every built layer that supports it ("int8": Dense, EinsumDense, Embedding;
        "float8": Dense, EinsumDense), as Keras does: see `kerasj.layers.quantized_layer`.

        Args:
            mode: "int8" or "float8" (Keras's "int4", "gptq" and "awq" are not implemented in kerasj and raise
                NotImplementedError); optional when `config` is given.
            config: a `kerasj.quantizers.QuantizationConfig` choosing the weight and input quantizers.
            filters: a regex (or list of regexes) searched in layer names, or a callable taking a layer and
                returning a bool: only the layers it selects are quantized.

        Layers that cannot be quantized are skipped with a warning, as in Keras; the compiled steps are
        rebuilt on the next call.

            >>> model = kerasj.Sequential([kerasj.Input((10,)), kerasj.layers.Dense(10)])
            >>> model.quantize("int8")
            >>> model.layers[0].dtype_policy.name
            'int8_from_float32'
        """
        import re
        import warnings

        from kerasj.layers.quantized_layer import check_quantize_args, not_implemented_mode
        from kerasj.quantizers.quantization_config import validate_and_resolve_config

        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if filters is not None and not isinstance(filters, (str, list, tuple)) and not callable(filters):
            raise ValueError("The `filters` argument must be a regex string, a list of regex strings, or a "
                             f"callable. Received: {type(filters)}")
        if mode in ("int4", "gptq", "awq") or getattr(config, "mode", None) in ("int4", "gptq", "awq"):
            raise not_implemented_mode(self, mode or config.mode)

        def selected(layer):
            if filters is None:
                return True
            if isinstance(filters, str):
                return re.search(filters, layer.name) is not None
            if isinstance(filters, (list, tuple)):
                return any(re.search(pattern, layer.name) for pattern in filters)
            return bool(filters(layer))

        modified = False
        for layer in self._flatten_layers():
            if not selected(layer) or len(layer._flatten_layers()) != 1:
                continue
            try:
                if hasattr(layer, "quantize"):
                    layer.quantize(mode, type_check=type_check, config=config)
                    modified = True
                else:  # Keras's base Layer checks the arguments, then cannot quantize
                    check_quantize_args(layer, validate_and_resolve_config(mode, config).mode)
                    raise NotImplementedError(f"Layer {type(layer).__name__} does not have a `quantize` method "
                                              "implemented.")
            except NotImplementedError as err:
                warnings.warn(str(err), stacklevel=2)
        if modified:
            self._programs = {}  # the steps were compiled for the float variables

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Export the model's forward pass for inference without kerasj.

        `format`: `"tf_saved_model"` (a TensorFlow SavedModel directory, endpoint `serve`; needs tensorflow),
        `"onnx"` (needs tensorflow, tf2onnx, onnx), `"litert"` (a `.tflite` file; needs tensorflow) or, beyond
        Keras, `"jax"` (one file of serialized StableHLO that `jax.export.deserialize` runs with JAX alone).
        The batch size stays free. `input_signature` (specs per positional argument) is inferred from the
        model when not given. Keyword options: `jax2tf_kwargs`, `is_static` (SavedModel and ONNX),
        `opset_version` (ONNX), TFLite converter attributes (LiteRT), `platforms` (jax).

            >>> model.export("path/to/location")
            >>> reloaded = tf.saved_model.load("path/to/location")
            >>> predictions = reloaded.serve(input_data)
        """
        from kerasj.export.model_export import export_model  # export sits above models (it exports them)
        export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)


def _shapes_of(tensors):
    shapes = [tuple(t.shape) for t in jax.tree_util.tree_leaves(tensors, is_leaf=lambda t: isinstance(t, KerasTensor))]
    return shapes[0] if len(shapes) == 1 else shapes
