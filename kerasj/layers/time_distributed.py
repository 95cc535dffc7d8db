"""TimeDistributed: apply one layer, with one set of weights, to every time step of a sequence.

The time axis is folded into the batch axis, (batch, time, ...) -> (batch * time, ...), so the wrapped layer
runs once on all steps together (no loop over steps), and the result is unfolded again. This gives the same
values as applying the layer step by step, for any layer that treats batch entries independently. A layer that
mixes batch entries differs: BatchNormalization in training takes its statistics over batch and time together,
where Keras takes them per time step.
"""
import jax

from kerasj.layers.layer import Layer
from kerasj.layers.serialization import deserialize_layer, serialize_layer


class TimeDistributed(Layer):
    """Applies `layer` to every temporal slice of inputs shaped (batch, time, ...).

    The wrapped layer sees (batch, ...) shaped inputs and its weights are shared across time steps. A mask of
    shape (batch, time, ...) is handed to the wrapped layer step by step when its `call` takes a `mask`, and
    the output keeps the input's mask.

        >>> frames = jnp.ones((8, 10, 32, 32, 3))          # 8 clips of 10 RGB frames
        >>> TimeDistributed(Conv2D(16, 3))(frames).shape
        (8, 10, 30, 30, 16)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: `layer` must be a kerasj Layer instance; received {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}' expects inputs of rank >= 3, shaped (batch, time, "
                             f"...); received input_shape={input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        child_shape = self._child_input_shape(tuple(input_shape))
        if not self.layer.built:
            # Built here, with concrete initial values, rather than lazily inside a traced call.
            self.layer._build_with(lambda: self.layer.build(child_shape))
            self.layer._build_shapes = child_shape
        self.built = True

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        child_out = tuple(self.layer.compute_output_shape(self._child_input_shape(input_shape)))
        return (child_out[0], input_shape[1], *child_out[1:])

    def _check_mask(self, inputs, mask):
        if mask.ndim < 2 or tuple(mask.shape[:2]) != tuple(inputs.shape[:2]):
            raise ValueError(f"TimeDistributed '{self.name}': `mask` must have shape (batch, time, ...) matching "
                             f"the first two axes of the inputs; received mask.shape={tuple(mask.shape)}, "
                             f"inputs.shape={tuple(inputs.shape)}")

    def call(self, inputs, training=None, mask=None):
        batch, steps = self._child_input_shape(inputs.shape)[0], inputs.shape[1]

        def fold(x):
            return x.reshape((batch * steps,) + tuple(x.shape[2:]))

        def unfold(y):
            return y.reshape((batch, steps) + tuple(y.shape[1:]))

        # As in Keras, the wrapped layer's `call` runs directly, so it receives the step mask only if it takes
        # one, and the output's mask is this wrapper's (the input's), whatever the wrapped layer would say.
        kwargs = {}
        if self.layer._call_accepts("training"):
            kwargs["training"] = training
        if mask is not None:
            self._check_mask(inputs, mask)
            if self.layer._call_accepts("mask"):
                kwargs["mask"] = fold(mask)
        folded = fold(inputs)
        self.layer._check_inputs(folded)
        outputs = self.layer.call(folded, **kwargs)
        return jax.tree_util.tree_map(unfold, outputs)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
