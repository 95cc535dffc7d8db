"""StackedRNNCells: several cells acting as one (each step feeds one cell's output to the next), plus the two
helpers the recurrent layers share for sub-layers: building a cell under its own name, and copying a layer
from its config."""
import jax
import jax.numpy as jnp

from kerasj.layers.layer import Layer
from kerasj.layers.serialization import deserialize_layer, serialize_layer


def build_sublayer(layer, input_shape):
    """Build `layer` (a cell or a wrapped layer, if it is an unbuilt Layer) for inputs of `input_shape`, its
    weights named under it and the shape kept for its build config, as if it had been called."""
    if isinstance(layer, Layer) and not layer.built:
        layer._build_with(lambda: layer.build(input_shape))
        layer._build_shapes = input_shape


def copy_layer(layer, **overrides):
    """A new, unbuilt layer with `layer`'s config updated by `overrides`. Cells inside (`cell`, `cells`) are
    copied from their own configs, so user-defined cells need no registration."""
    config = {**layer.get_config(), **overrides}
    if "cell" in config and isinstance(getattr(layer, "cell", None), Layer):
        config["cell"] = copy_layer(layer.cell)
    if "cells" in config and isinstance(layer, StackedRNNCells):
        config["cells"] = [copy_layer(c) if isinstance(c, Layer) else c for c in layer.cells]
    try:
        return type(layer).from_config(config)
    except TypeError as err:
        raise ValueError(f"Could not copy layer '{layer.name}' ({type(layer).__name__}) from its config: {err}. "
                         "Give the class a `get_config` that returns its constructor arguments.") from err


def _state_sizes(cell):
    size = cell.state_size
    return list(size) if isinstance(size, (list, tuple)) else [size]


def cell_output_size(cell):
    """A cell's `output_size`, else the size of its first state."""
    size = getattr(cell, "output_size", None)
    return size if size is not None else _state_sizes(cell)[0]


class StackedRNNCells(Layer):
    """Wraps a list of cells so they run as one cell: at each step the input goes through the cells in order,
    each cell's output being the next one's input. `RNN([cell_a, cell_b])` makes one for you.

    Its state is a list with one entry per cell (that cell's state, or list of states).

        >>> cells = [LSTMCell(8), GRUCell(4)]
        >>> RNN(StackedRNNCells(cells))(jnp.ones((2, 10, 3))).shape
        (2, 4)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError(f"StackedRNNCells '{self.name}': `cells` must be a non-empty list of RNN cells.")
        for cell in cells:
            for attr in ("call", "state_size"):
                if attr not in dir(cell):
                    raise ValueError(f"StackedRNNCells '{self.name}': every cell needs a `{attr}` "
                                     f"{'method' if attr == 'call' else 'attribute'}; received cell={cell!r}")
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(jnp.zeros((batch_size, cell.state_size), self.compute_dtype))
            else:
                states.append([jnp.zeros((batch_size, d), self.compute_dtype) for d in cell.state_size])
        return states

    def build(self, input_shape):
        for cell in self.cells:
            build_sublayer(cell, input_shape)
            batch = jax.tree_util.tree_leaves(input_shape, is_leaf=lambda s: isinstance(s, tuple))[0][0]
            input_shape = (batch, cell_output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, state in zip(self.cells, states):
            is_list = isinstance(state, (list, tuple))
            kwargs = {}
            if isinstance(cell, Layer) and cell._call_accepts("training"):
                kwargs["training"] = training
            call = cell if callable(cell) else cell.call
            inputs, state = call(inputs, list(state) if is_list else [state], **kwargs)
            if not is_list and isinstance(state, (list, tuple)) and len(state) == 1:
                state = state[0]
            new_states.append(state)
        return inputs, new_states

    def fix_dropout_masks(self, step_input, states):
        """Fix each dropout cell's masks for one sequence; cell k sees inputs shaped like cell k-1's output."""
        batch, dtype = step_input.shape[0], step_input.dtype
        for cell, state in zip(self.cells, states):
            if hasattr(cell, "fix_dropout_masks"):
                cell.fix_dropout_masks(step_input, state)
            step_input = jnp.zeros((batch, cell_output_size(cell)), dtype)

    def clear_dropout_masks(self):
        for cell in self.cells:
            if hasattr(cell, "clear_dropout_masks"):
                cell.clear_dropout_masks()

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) if isinstance(c, dict) else c for c in config.pop("cells")]
        return cls(cells, **config)
