"""The Pipeline layer: preprocessing layers applied in sequence."""
from kerasj.layers.layer import Layer
from kerasj.layers.serialization import deserialize_layer, serialize_layer
from kerasj.masks import masks_of


class Pipeline(Layer):
    """Applies `layers` one after the other, like a Sequential model but as a layer: it has no inputs of
    its own, takes any structure its first layer takes (images, or a dict of images and labels for the
    augmentation layers) and passes `training` on to each layer that has that argument.

    Args:
        layers: a list of layers.
        name: the layer's name.

        >>> augment = Pipeline([RandomFlip(), RandomShear(x_factor=0.2)])
        >>> augment({"images": images, "labels": labels}, training=True)
    """

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError(f"Pipeline '{self.name}': `layers` must be a list of layers; received {layers!r}")
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True, mask=None):
        for layer in self._pipeline_layers:
            kwargs = {}
            if layer._call_accepts("mask"):
                kwargs["mask"] = mask
            if layer._call_accepts("training") and training is not None:
                kwargs["training"] = training
            inputs = layer(inputs, **kwargs)
            mask = masks_of(inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError("Pipeline: the config needs a 'layers' key holding a list of serialized layers; "
                             f"received layers={layers!r}")
        return cls(**{**config, "layers": [deserialize_layer(layer, custom_objects=custom_objects)
                                           for layer in layers]})
