"""RNN: runs a cell over the time axis of a sequence with one `lax.scan`.

A *cell* is any object with `state_size` (an int, or a list with one entry per state) and
`call(inputs_t, states) -> (output_t, new_states)`, usually a Layer (`LSTMCell`, `GRUCell`, a user's own). The
RNN layer owns the loop:

    states_0 = initial_state or zeros
    output_t, states_t = cell(x_t, states_{t-1})           t = 1..T (T..1 with go_backwards)

and returns the last output, or every output (`return_sequences`), plus the final states (`return_state`).
Because the loop is a single `lax.scan`, the traced program (and compile time) does not grow with T.

Masked time steps (mask False) keep the previous states, and their output repeats the previous output (zeros
with `zero_output_for_mask=True`), as in Keras 3.
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kerasj import regularizers
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer, is_shape
from kerasj.layers.recurrent.cell_base import sequence_dropout_masks
from kerasj.layers.recurrent.stacked_rnn_cells import StackedRNNCells, build_sublayer
from kerasj.layers.serialization import deserialize_layer, serialize_layer
from kerasj.variables import Variable


def _is_variable(x):
    return isinstance(x, Variable)


def forward_to_cell(*names):
    """Class decorator: read-only properties returning the cell's attribute of the same name (LSTM.units
    is LSTM.cell.units, as in Keras)."""
    def decorate(cls):
        for name in names:
            setattr(cls, name, property(lambda self, _name=name: getattr(self.cell, _name),
                                        doc=f"The cell's `{name}`."))
        return cls
    return decorate


CELL_OPTIONS = ("activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
                "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")


def _expand_to(mask_t, x):
    """A (batch,) step mask shaped to broadcast against `x` (batch, ...)."""
    return mask_t.reshape(mask_t.shape + (1,) * (x.ndim - 1))


class RNN(Layer):
    """Base recurrent layer: iterates `cell` over the time axis of `(batch, timesteps, ...)` inputs.

    Args:
        cell: an RNN cell (a layer with `state_size` and `call(inputs, states) -> (output, new_states)`), or a
            list of cells, stacked into a `StackedRNNCells`.
        return_sequences: return the output of every step (batch, timesteps, ...) instead of the last one.
        return_state: also return the final states: `output, *states`.
        go_backwards: read the sequence from the end; outputs come in processing (reversed) order.
        stateful: carry the final states of each batch over as the initial states of the next one; needs a
            fixed batch size. `reset_state()` sets them back to zero.
        unroll: unroll the loop (passed to `lax.scan`); the traced program stays one scan either way.
        zero_output_for_mask: with `return_sequences`, masked steps output zeros instead of the previous output.

    Call arguments: `sequences`, `initial_state` (list of state arrays), `mask` (batch, timesteps) booleans,
    `training` (passed to the cell; turns on dropout).

        >>> class MinimalRNNCell(kerasj.layers.Layer):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = self.state_size = units
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        ...         self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")
        ...     def call(self, inputs, states):
        ...         h = inputs @ self.kernel.value + states[0] @ self.recurrent_kernel.value
        ...         return h, [h]
        >>> RNN(MinimalRNNCell(8), return_sequences=True)(jnp.ones((2, 10, 5))).shape
        (2, 10, 8)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        for attr, what in (("call", "a `call(inputs, states)` method"),
                           ("state_size", "a `state_size` attribute (an int, or a list of ints, one per state)")):
            if attr not in dir(cell):
                raise ValueError(f"{type(self).__name__}: the cell must have {what}; received cell={cell!r}")
        state_size = cell.state_size
        if not isinstance(state_size, (int, list, tuple)):
            raise ValueError(f"{type(self).__name__}: `cell.state_size` must be an int or a list/tuple of ints; "
                             f"received {state_size!r}")
        super().__init__(**kwargs)
        self.cell = cell
        self.state_size = [state_size] if isinstance(state_size, int) else list(state_size)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self.states = None  # stateful: the Variables holding the states between calls

    # -- build and state ----------------------------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        shapes = jax.tree_util.tree_leaves(sequences_shape, is_leaf=is_shape)
        step_shape = jax.tree_util.tree_map(lambda s: (s[0],) + tuple(s[2:]), sequences_shape, is_leaf=is_shape)
        build_sublayer(self.cell, step_shape)
        if self.stateful:
            batch = shapes[0][0]
            if batch is None:
                raise ValueError(f"{type(self).__name__} '{self.name}': a stateful RNN needs a fixed batch size "
                                 f"(pass batch_size to Input or batch_input_shape); received input shape "
                                 f"{tuple(shapes[0])}")
            if self.states is None:
                self.states = jax.tree_util.tree_map(
                    lambda s: Variable(np.zeros(s.shape, s.dtype), dtype=self.variable_dtype, trainable=False,
                                       name="rnn_state"),
                    self._initial_state_spec(batch))
            else:
                self.reset_state()
        self.built = True

    def get_initial_state(self, batch_size):
        """The states a sequence starts from when none are given: the cell's `get_initial_state`, else zeros."""
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
            return [jnp.zeros((batch_size, size), dtype) for size in self.state_size]
        state = fn(batch_size=batch_size)
        return list(state) if isinstance(state, (list, tuple)) else [state]

    def _initial_state_spec(self, batch_size):
        return jax.eval_shape(lambda: self.get_initial_state(batch_size))

    def _extra_state_variables(self):
        # A stateful RNN's states are carried between calls, by compiled steps too.
        if self.states is None:
            return []
        return jax.tree_util.tree_leaves(self.states, is_leaf=_is_variable)

    def reset_state(self, states=None):
        """Set a stateful layer's states to zero, or to `states` (a list of arrays shaped like them)."""
        if self.states is None:
            return
        variables = jax.tree_util.tree_leaves(self.states, is_leaf=_is_variable)
        if states is None:
            values = [np.zeros(v.shape, v.dtype) for v in variables]
        else:
            values = jax.tree_util.tree_leaves(states if isinstance(states, (list, tuple)) else [states])
            if len(values) != len(variables) or any(np.shape(a) != v.shape for a, v in zip(values, variables)):
                raise ValueError(f"{type(self).__name__} '{self.name}': reset_state expects states of shapes "
                                 f"{[v.shape for v in variables]}; received {[np.shape(a) for a in values]}")
        for v, value in zip(variables, values):
            v.assign(value)

    def reset_states(self, states=None):
        """Alias of `reset_state`."""
        self.reset_state(states)

    # -- call -------------------------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        leaves = jax.tree_util.tree_leaves(sequences)
        for x in leaves:
            if x.ndim < 3:
                raise ValueError(f"Layer '{self.name}' expects inputs of shape (batch, timesteps, ...): expected "
                                 f"ndim>=3, found ndim={x.ndim}. Full shape received: {tuple(x.shape)}")
        sequences = jax.tree_util.tree_map(
            lambda x: x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(self.compute_dtype), sequences)
        batch, steps = leaves[0].shape[:2]
        mask = self._standardize_mask(mask, batch, steps)
        if initial_state is not None:
            initial_state = self._standardize_initial_state(initial_state, batch)
        elif self.stateful:
            initial_state = jax.tree_util.tree_map(lambda v: v.value, self.states, is_leaf=_is_variable)
        else:
            initial_state = self.get_initial_state(batch)
        if self.stateful:
            expected = jax.tree_util.tree_leaves(self.states, is_leaf=_is_variable)[0].shape[0]
            if batch != expected:
                raise ValueError(f"{type(self).__name__} '{self.name}' is stateful and was built for batch size "
                                 f"{expected}; received a batch of {batch} sequences.")
        dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
        initial_state = jax.tree_util.tree_map(lambda s: jnp.asarray(s, dtype), initial_state)

        last_output, outputs, states = self._scan(sequences, initial_state, mask, training)
        if self.stateful:
            for var, value in zip(jax.tree_util.tree_leaves(self.states, is_leaf=_is_variable),
                                  jax.tree_util.tree_leaves(states)):
                var.assign(value)
        output = outputs if self.return_sequences else last_output
        output = output.astype(self.compute_dtype)
        if self.return_state:
            states = jax.tree_util.tree_map(lambda s: s.astype(self.compute_dtype), states)
            return (output, *states)
        return output

    def _standardize_mask(self, mask, batch, steps):
        if isinstance(mask, (list, tuple)):
            mask = next((m for m in jax.tree_util.tree_leaves(list(mask)) if m is not None), None)
        if mask is None:
            return None
        mask = jnp.asarray(mask)
        if mask.shape != (batch, steps):
            raise ValueError(f"Layer '{self.name}': the mask must have shape (batch, timesteps) = "
                             f"{(batch, steps)}; received a mask of shape {tuple(mask.shape)}")
        return mask.astype(bool)

    def _standardize_initial_state(self, initial_state, batch):
        spec = self._initial_state_spec(batch)
        expected, treedef = jax.tree_util.tree_flatten(spec)
        given = jax.tree_util.tree_leaves(
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state])
        if len(given) != len(expected):
            raise ValueError(f"Layer '{self.name}' expects {len(expected)} initial state array(s) of shapes "
                             f"{[tuple(e.shape) for e in expected]}; received {len(given)}.")
        for i, (g, e) in enumerate(zip(given, expected)):
            if tuple(np.shape(g)) != tuple(e.shape):
                raise ValueError(f"Layer '{self.name}': initial_state[{i}] must have shape {tuple(e.shape)} "
                                 f"(batch, state size); received shape {tuple(np.shape(g))}")
        return jax.tree_util.tree_unflatten(treedef, given)

    def _call_cell(self, inputs, states, training):
        cell = self.cell
        if isinstance(cell, Layer):
            kwargs = {"training": training} if cell._call_accepts("training") else {}
            return cell(inputs, states, **kwargs)
        return cell(inputs, states) if callable(cell) else cell.call(inputs, states)

    def _scan(self, sequences, initial_state, mask, training):
        """(last output, all outputs or None, final states) of the cell run over `sequences`."""
        treedef = jax.tree_util.tree_structure(initial_state)

        def step(x_t, states):
            output, new_states = self._call_cell(x_t, states, training)
            new_leaves = jax.tree_util.tree_leaves(new_states)
            old_leaves = jax.tree_util.tree_leaves(states)
            if len(new_leaves) != len(old_leaves):
                raise ValueError(f"Layer '{self.name}': the cell returned {len(new_leaves)} state array(s) but "
                                 f"was given {len(old_leaves)}; it must return one new value per state.")
            # Cells may return a bare array for a single state or a list; the carry keeps one structure.
            new_states = jax.tree_util.tree_unflatten(
                treedef, [n.astype(o.dtype) for n, o in zip(new_leaves, old_leaves)])
            return output, new_states

        time_major = jax.tree_util.tree_map(lambda x: jnp.swapaxes(x, 0, 1), sequences)
        if mask is not None:
            mask = jnp.swapaxes(mask, 0, 1)
        if self.go_backwards:
            time_major = jax.tree_util.tree_map(lambda x: jnp.flip(x, 0), time_major)
            mask = None if mask is None else jnp.flip(mask, 0)
        first_step = jax.tree_util.tree_map(lambda x: x[0], time_major)

        with sequence_dropout_masks(self.cell, first_step, initial_state, training):
            out_spec = jax.eval_shape(lambda x, s: step(x, s)[0], first_step, initial_state)
            previous = jnp.zeros(out_spec.shape, out_spec.dtype)
            if mask is not None and not self.zero_output_for_mask:
                # As Keras: a masked first step outputs the first state (the last cell's, when stacked).
                first_state = initial_state[0]
                if isinstance(first_state, (list, tuple)):
                    first_state = jax.tree_util.tree_leaves(initial_state[-1])[0]
                if first_state.shape == out_spec.shape:
                    previous = first_state.astype(out_spec.dtype)

            def body(carry, inputs):
                states, prev_output = carry
                x_t, mask_t = inputs if mask is not None else (inputs, None)
                output, new_states = step(x_t, states)
                if mask_t is not None:
                    # Cells like LSTM and GRU return their first new state as the output; then the masked
                    # output (the previous one) is just the masked first state, with no second select.
                    output_is_state = (not self.zero_output_for_mask
                                       and output is jax.tree_util.tree_leaves(new_states)[0])
                    new_states = jax.tree_util.tree_map(
                        lambda new, old: jnp.where(_expand_to(mask_t, new), new, old), new_states, states)
                    if output_is_state:
                        output = jax.tree_util.tree_leaves(new_states)[0]
                    else:
                        fallback = jnp.zeros_like(output) if self.zero_output_for_mask else prev_output
                        output = jnp.where(_expand_to(mask_t, output), output, fallback)
                output = output.astype(out_spec.dtype)
                return (new_states, output), (output if self.return_sequences else None)

            xs = time_major if mask is None else (time_major, mask)
            (states, last_output), outputs = lax.scan(body, (initial_state, previous), xs,
                                                      unroll=bool(self.unroll))
        if outputs is not None:
            outputs = jnp.swapaxes(outputs, 0, 1)
        return last_output, outputs, states

    # -- shapes, masks, config --------------------------------------------------------------------------
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = jax.tree_util.tree_leaves(sequences_shape, is_leaf=is_shape)[0][:2]
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None and isinstance(self.state_size[0], int):
            output_size = self.state_size[0]
        if not isinstance(output_size, int):
            return super().compute_output_shape(sequences_shape)
        output_shape = (batch, steps, output_size) if self.return_sequences else (batch, output_size)
        if not self.return_state:
            return output_shape
        states = [(batch, s) if isinstance(s, int) else [(batch, d) for d in s] for s in self.state_size]
        return (output_shape, *states)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            cell = deserialize_layer(cell, custom_objects)
        return cls(cell, **config)


class CellRNN(RNN):
    """Base of the layers that make their own cell from their arguments (SimpleRNN, LSTM, GRU, ConvLSTM):
    their config is flat, the RNN options next to the cell's, and they rebuild from it directly."""

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config = super().get_config()
        config.pop("cell")
        return {**config, **cell_config, "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
