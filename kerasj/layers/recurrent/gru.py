"""GRUCell and GRU (Cho et al., 2014), with Keras's gate order z, r, h.

    z = σ(x W_z + h U_z + b_z)        update gate        σ = recurrent_activation (sigmoid)
    r = σ(x W_r + h U_r + b_r)        reset gate
    reset_after=True  (default, the cuDNN variant):  ĥ = tanh(x W_h + b_h + r * (h U_h + b'_h))
    reset_after=False (the original paper):          ĥ = tanh(x W_h + b_h + (r * h) U_h)
    h_t = z * h + (1 - z) * ĥ

With `reset_after=True` the bias has shape (2, 3 * units): row 0 is added to the input projection, row 1 to the
recurrent one; otherwise it is one (3 * units,) input bias.
"""
import jax.numpy as jnp

from kerasj.layers.input_spec import InputSpec
from kerasj.layers.recurrent.cell_base import RecurrentCell, gate_views, project
from kerasj.layers.recurrent.rnn import CELL_OPTIONS, CellRNN, forward_to_cell
from kerasj.utils.argument_validation import check_positive_int


class GRUCell(RecurrentCell):
    """One GRU step (see the module docstring). Weights: kernel (input_dim, 3 * units), recurrent_kernel
    (units, 3 * units), bias (2, 3 * units) with reset_after=True else (3 * units,).

    Arguments as `keras.layers.GRUCell`: units, activation ("tanh"), recurrent_activation ("sigmoid"),
    use_bias, kernel / recurrent / bias initializers, regularizers, constraints, dropout, recurrent_dropout,
    reset_after (True), seed.

        >>> cell = GRUCell(4)
        >>> h, [h] = cell(jnp.ones((2, 3)), [jnp.zeros((2, 4))])
        >>> RNN(cell)(jnp.ones((2, 10, 3))).shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        units = check_positive_int(units, "units", type(self).__name__)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, **kwargs)
        self.units = units
        self.reset_after = reset_after
        # As in LSTMCell: recurrent dropout means per-gate computation with one mask per gate.
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        input_dim = self._input_dim(input_shape)
        units = self.units
        self.kernel = self._make_weight("kernel", (input_dim, 3 * units), "kernel")
        self.recurrent_kernel = self._make_weight("recurrent", (units, 3 * units), "recurrent_kernel")
        bias_shape = (2, 3 * units) if self.reset_after else (3 * units,)
        self.bias = self._make_weight("bias", bias_shape, "bias") if self.use_bias else None
        self.built = True

    def call(self, inputs, states, training=False):
        is_list = isinstance(states, (list, tuple))
        h_prev = states[0] if is_list else states
        kernel, recurrent_kernel, bias = self._weights_for(inputs)
        input_bias, recurrent_bias = (None, None) if bias is None else (
            (bias[0], bias[1]) if self.reset_after else (bias, None))
        mask = self.get_dropout_mask(inputs) if training else None
        recurrent_mask = self.get_recurrent_dropout_mask(h_prev) if training else None

        x_z, x_r, x_h = project(gate_views(inputs, mask, 3), kernel)
        if input_bias is not None:
            x_z, x_r, x_h = (g + b for g, b in zip((x_z, x_r, x_h), jnp.split(input_bias, 3)))
        h_views = gate_views(h_prev, recurrent_mask, 3)
        if self.reset_after:
            r_z, r_r, r_h = project(h_views, recurrent_kernel)
            if recurrent_bias is not None:
                r_z, r_r, r_h = (g + b for g, b in zip((r_z, r_r, r_h), jnp.split(recurrent_bias, 3)))
        else:
            r_z, r_r = project(h_views[:2], recurrent_kernel[:, :2 * self.units])
        z = self.recurrent_activation(x_z + r_z)
        r = self.recurrent_activation(x_r + r_r)
        if self.reset_after:
            candidate = self.activation(x_h + r * r_h)
        else:
            candidate = self.activation(x_h + (r * h_views[2]) @ recurrent_kernel[:, 2 * self.units:])
        h = z * h_prev + (1 - z) * candidate
        return h, ([h] if is_list else h)

    def _extra_config(self):
        return {"units": self.units, "reset_after": self.reset_after}


@forward_to_cell("units", "recurrent_activation", "reset_after", *CELL_OPTIONS)
class GRU(CellRNN):
    """Gated Recurrent Unit layer: a `GRUCell` run over the time axis by `RNN`.

    Arguments as `keras.layers.GRU`: the `GRUCell` options (reset_after=True by default, bias shape
    (2, 3 * units)) plus activity_regularizer, return_sequences, return_state, go_backwards, stateful, unroll;
    `use_cudnn` is accepted.

        >>> GRU(4, return_sequences=True)(jnp.ones((2, 10, 3))).shape
        (2, 10, 4)
        >>> output, h = GRU(4, return_state=True, reset_after=False)(jnp.ones((2, 10, 3)))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        check_positive_int(units, "units", type(self).__name__)
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, seed=seed, dtype=kwargs.get("dtype"),
                       trainable=kwargs.get("trainable", True), name="gru_cell",
                       implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"GRU '{self.name}': `use_cudnn` must be one of 'auto', True, False; received "
                             f"use_cudnn={use_cudnn!r}")
        self.use_cudnn = use_cudnn
