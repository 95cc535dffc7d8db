"""Wrapper: the base class of layers that hold and extend one other layer (SpectralNormalization, ...)."""
from kerasj.layers.layer import Layer
from kerasj.layers.serialization import deserialize_layer, serialize_layer


class Wrapper(Layer):
    """Holds `layer` as `self.layer`, builds it with this layer's input shape, and saves it in the config.

    Subclasses define `call` (typically calling `self.layer`). The wrapped layer's weights are this layer's
    weights too.

        >>> class Doubled(Wrapper):
        ...     def call(self, inputs):
        ...         return 2 * self.layer(inputs)
        >>> Doubled(Dense(3))(jnp.ones((1, 4))).shape
        (1, 3)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__}: `layer` must be a kerasj Layer instance; received {layer!r} "
                             f"of type {type(layer).__name__}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            # Built here, inside this layer's name scope, with concrete initial values (not lazily in a trace).
            self.layer._build_with(lambda: self.layer.build(input_shape))
            if input_shape is not None:
                self.layer._build_shapes = tuple(input_shape)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
