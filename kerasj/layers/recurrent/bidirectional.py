"""Bidirectional: runs a recurrent layer forwards and a copy of it backwards over the same sequence and merges
the two outputs."""
import jax.numpy as jnp

from kerasj.layers.layer import Layer
from kerasj.layers.recurrent.stacked_rnn_cells import build_sublayer, copy_layer
from kerasj.layers.serialization import deserialize_layer, serialize_layer

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _without_prefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Bidirectional wrapper for recurrent layers.

    Args:
        layer: a recurrent layer (LSTM, GRU, RNN, ...). Bidirectional uses two copies made from its config:
            `forward_layer` (named "forward_<name>") and, unless `backward_layer` is given, `backward_layer`
            ("backward_<name>", go_backwards=True). The layer passed in is not used itself.
        merge_mode: how the two outputs combine: "concat" (default, on the last axis), "sum", "mul", "ave",
            or None for the list `[forward_output, backward_output]`.
        weights: optional initial weights, forward layer's then backward layer's, set when built.
        backward_layer: optional layer used as is for the backward direction; it must have go_backwards
            opposite to `layer` and the same return_sequences, return_state and stateful.

    With return_sequences the backward outputs are flipped back into input order before merging. With
    return_state the result is `output, *forward_states, *backward_states`. Weights are the forward layer's
    followed by the backward layer's.

        >>> layer = Bidirectional(LSTM(4, return_sequences=True))
        >>> layer(jnp.ones((2, 10, 3))).shape
        (2, 10, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional: `layer` must be a kerasj Layer instance; received {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: `backward_layer` must be a kerasj Layer instance; received "
                             f"{backward_layer!r}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: invalid `merge_mode` {merge_mode!r}; expected one of "
                             f"{list(MERGE_MODES)}")
        super().__init__(**kwargs)
        self.forward_layer = copy_layer(layer, name="forward_" + _without_prefix(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = copy_layer(layer, name="backward_" + _without_prefix(layer.name, "backward_"),
                                        go_backwards=True)
        self.backward_layer = backward_layer
        self._check_directions()
        # Masked steps must output zeros in both directions, so the flipped backward sequence lines up.
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights else None
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _check_directions(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(f"Bidirectional '{self.name}': the forward and backward layers must have different "
                             f"`go_backwards`; received forward go_backwards={forward.go_backwards} and backward "
                             f"go_backwards={backward.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attr) != getattr(backward, attr):
                raise ValueError(f"Bidirectional '{self.name}': the forward and backward layers must have the same "
                                 f"`{attr}`; received {getattr(forward, attr)} (forward) and "
                                 f"{getattr(backward, attr)} (backward)")

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            build_sublayer(sub, sequences_shape)
        if self._initial_weights:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])
            self._initial_weights = None
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            if len(initial_state) % 2:
                raise ValueError(f"Bidirectional '{self.name}': `initial_state` must list the forward layer's "
                                 f"states then the backward layer's (an even number); received "
                                 f"{len(initial_state)} array(s).")
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        kwargs = {"mask": mask, "training": training}
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        y, y_rev = y.astype(self.compute_dtype), y_rev.astype(self.compute_dtype)
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output = (jnp.concatenate([y, y_rev], axis=-1),)
        elif self.merge_mode == "sum":
            output = (y + y_rev,)
        elif self.merge_mode == "ave":
            output = ((y + y_rev) / 2,)
        elif self.merge_mode == "mul":
            output = (y * y_rev,)
        else:
            output = (y, y_rev)
        if not self.return_state and len(output) == 1:
            return output[0]
        return output + states

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        outputs = (tuple(shape), tuple(shape)) if self.merge_mode is None else (tuple(shape),)
        if not self.return_state and len(outputs) == 1:
            return outputs[0]
        return outputs + states + states

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            count = len(self.forward_layer.state_size) + len(self.backward_layer.state_size)
            return masks + [None] * count
        return masks if self.merge_mode is None else output_mask

    @property
    def states(self):
        if self.forward_layer.states is not None and self.backward_layer.states is not None:
            return tuple(self.forward_layer.states) + tuple(self.backward_layer.states)
        return None

    def reset_state(self):
        """Zero the states of both directions (stateful layers only)."""
        if not self.stateful:
            raise AttributeError(f"Bidirectional '{self.name}': reset_state needs a stateful layer.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self):
        """Alias of `reset_state`."""
        self.reset_state()

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_layer(self.forward_layer), "backward_layer": serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_layer(backward, custom_objects)
        return cls(**config)
