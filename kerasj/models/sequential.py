"""Sequential: a plain stack of layers, each with one input and one output.

    >>> model = kerasj.Sequential([
    ...     kerasj.Input(shape=(784,)),
    ...     kerasj.layers.Dense(256, activation="relu"),
    ...     kerasj.layers.Dense(10),
    ... ])

Without an Input (or an `input_shape=` on the first layer) the model is built on its first call or fit.
"""
from kerasj.layers.input_layer import InputLayer
from kerasj.layers.layer import Layer
from kerasj.models.functional import init_graph, run_graph
from kerasj.models.model import Model
from kerasj.ops.symbolic import KerasTensor
from kerasj.saving.serialization_lib import _expect_dict, _short, deserialize_keras_object, serialize_keras_object
from kerasj.variables import bump_structure_version, name_scope


class Sequential(Model):
    """A linear stack of layers. `add()` appends, `pop()` removes the last layer."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._input_layer = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    def add(self, layer, rebuild=True):
        """Append a layer (or an `Input(...)` tensor as the first entry)."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer instance; received {layer!r} of type "
                            f"{type(layer).__name__}.")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("Sequential: an Input/InputLayer can only be the first entry of the model.")
            self._input_layer = layer
        else:
            if any(existing.name == layer.name for existing in self._stack):
                raise ValueError(f"Sequential: all layers must have unique names; '{layer.name}' is already "
                                 "in the model.")
            if (not self._stack and self._input_layer is None
                    and getattr(layer, "_batch_input_shape", None) is not None):
                self._input_layer = InputLayer(batch_shape=layer._batch_input_shape)
            self._stack.append(layer)
        bump_structure_version()
        if rebuild:
            self._maybe_build_graph()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("Sequential.pop(): there are no layers in the model.")
        layer = self._stack.pop()
        bump_structure_version()
        self._graph = None
        self._functional_layers = None
        self.built = False
        if rebuild:
            self._maybe_build_graph()
        return layer

    @property
    def layers(self):
        return list(self._stack)

    @property
    def _layers(self):
        return list(self._stack)

    def _maybe_build_graph(self):
        if self._input_layer is not None and self._stack:
            self._build_graph(self._input_layer)

    def _build_graph(self, input_layer):
        inputs = input_layer.output
        x = inputs
        with name_scope(self.name):
            for layer in self._stack:
                x = layer(x)
        init_graph(self, inputs, x)
        self._functional_layers = list(self._stack)

    def build(self, input_shape=None):
        """Build the stack for inputs of `input_shape` (batch dimension included, may be None)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(f"Sequential '{self.name}'.build() needs an input_shape.")
            input_shape = self._input_layer.batch_shape
        if self._graph is not None:
            return
        if not self._stack:
            raise ValueError(f"Sequential '{self.name}' has no layers to build.")
        input_shape = (None,) + tuple(input_shape)[1:]
        self._input_layer = InputLayer(batch_shape=input_shape)
        self._build_graph(self._input_layer)

    def _maybe_build(self, args, kwargs):
        if self._graph is None:
            x = args[0] if args else next(iter(kwargs.values()))
            if not hasattr(x, "shape"):
                raise ValueError(f"Sequential '{self.name}' expects a single array input; received "
                                 f"{type(x).__name__}.")
            self._input_dtype = getattr(x, "dtype", None)
            self.build(tuple(x.shape))

    def build_from_spec(self, specs):
        self.build(tuple(specs.shape))

    def call(self, inputs, training=None, mask=None):
        if self._graph is not None:
            return run_graph(self, inputs)
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    def get_config(self):
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        layers.extend(serialize_keras_object(layer) for layer in self._stack)
        config = {**Layer.get_config(self), "layers": layers}
        config.pop("batch_input_shape", None)
        if self._input_layer is not None:
            config["build_input_shape"] = list(self._input_layer.batch_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        _expect_dict(config, "A Sequential model's config")
        records = config.get("layers")
        if not isinstance(records, list):
            raise ValueError(f"A Sequential config needs a list 'layers'; received {_short(records)}")
        name = config.get("name")
        model = cls(name=name if isinstance(name, str) else None, trainable=config.get("trainable", True) is not False)
        for record in records:
            layer = deserialize_keras_object(record, custom_objects=custom_objects, safe_mode=None)
            if not isinstance(layer, Layer):
                raise ValueError(f"A Sequential config lists a {type(layer).__name__}, not a layer.")
            model.add(layer, rebuild=False)
        model._maybe_build_graph()
        shape = config.get("build_input_shape")
        if model._graph is None and shape is not None:
            model.build_from_config({"input_shape": shape})
        return model

    def get_build_config(self):
        if self._input_layer is None:
            return None
        return {"input_shape": list(self._input_layer.batch_shape)}

    def build_from_config(self, config):
        shape = (config or {}).get("input_shape")
        if shape is None or self._graph is not None:
            return
        if not isinstance(shape, (list, tuple)) or not all(d is None or isinstance(d, int) for d in shape):
            raise ValueError(f"Sequential '{self.name}': build_config input_shape must be a list of ints and "
                             f"nulls; received {shape!r}")
        self.build(tuple(shape))
