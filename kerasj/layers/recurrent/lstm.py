"""LSTMCell and LSTM (Hochreiter & Schmidhuber, 1997), with Keras's gate order i, f, c, o.

With `z = x W + h_{t-1} U + b` split into four blocks of `units` (input, forget, cell, output gates):

    i = σ(z_i)    f = σ(z_f)    o = σ(z_o)          σ = recurrent_activation (sigmoid)
    c_t = f * c_{t-1} + i * tanh(z_c)               tanh = activation
    h_t = o * tanh(c_t)                             output h_t, states [h_t, c_t]
"""
import jax.numpy as jnp

from kerasj.layers.input_spec import InputSpec
from kerasj.layers.recurrent.cell_base import RecurrentCell, gate_views, project
from kerasj.layers.recurrent.rnn import CELL_OPTIONS, CellRNN, forward_to_cell
from kerasj.utils.argument_validation import check_positive_int


class LSTMCell(RecurrentCell):
    """One LSTM step (see the module docstring). Weights: kernel (input_dim, 4 * units), recurrent_kernel
    (units, 4 * units), bias (4 * units,), gates in the order i, f, c, o.

    Arguments as `keras.layers.LSTMCell`: units, activation ("tanh"), recurrent_activation ("sigmoid"),
    use_bias, kernel / recurrent / bias initializers, unit_forget_bias (True: the forget-gate bias starts at
    one), regularizers, constraints, dropout, recurrent_dropout, seed.

        >>> cell = LSTMCell(4)
        >>> h, [h, c] = cell(jnp.ones((2, 3)), [jnp.zeros((2, 4)), jnp.zeros((2, 4))])
        >>> RNN(cell)(jnp.ones((2, 10, 3))).shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
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
        self.unit_forget_bias = unit_forget_bias
        # Keras's implementation 1 (forced by recurrent dropout) computes each gate separately, with its own
        # dropout masks; implementation 2 shares one input mask across the fused gates.
        self.implementation = 1 if self.recurrent_dropout else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        input_dim = self._input_dim(input_shape)
        units = self.units
        self.kernel = self._make_weight("kernel", (input_dim, 4 * units), "kernel")
        self.recurrent_kernel = self._make_weight("recurrent", (units, 4 * units), "recurrent_kernel")
        self.bias = None
        if self.use_bias:
            init = self._forget_bias_initializer(units) if self.unit_forget_bias else None
            self.bias = self._make_weight("bias", (4 * units,), "bias", initializer=init)
        self.built = True

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        kernel, recurrent_kernel, bias = self._weights_for(inputs)
        mask = self.get_dropout_mask(inputs) if training else None
        recurrent_mask = self.get_recurrent_dropout_mask(h_prev) if training else None
        x_views = gate_views(inputs, mask, 4)
        h_views = gate_views(h_prev, recurrent_mask, 4)
        if all(v is x_views[0] for v in x_views) and all(v is h_views[0] for v in h_views):
            # One view per input (no per-gate dropout): all four gates in one sum, split once.
            z = jnp.matmul(x_views[0], kernel) + jnp.matmul(h_views[0], recurrent_kernel)
            z = jnp.split(z if bias is None else z + bias, 4, axis=-1)
        else:
            z = [a + b for a, b in zip(project(x_views, kernel), project(h_views, recurrent_kernel))]
            if bias is not None:
                z = [g + b for g, b in zip(z, jnp.split(bias, 4))]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_prev + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def _extra_config(self):
        return {"units": self.units, "unit_forget_bias": self.unit_forget_bias}


@forward_to_cell("units", "recurrent_activation", "unit_forget_bias", *CELL_OPTIONS)
class LSTM(CellRNN):
    """Long Short-Term Memory layer: an `LSTMCell` run over the time axis by `RNN`.

    Arguments as `keras.layers.LSTM`: the `LSTMCell` options plus activity_regularizer, return_sequences,
    return_state (returns `output, h, c`), go_backwards, stateful, unroll; `use_cudnn` is accepted (the
    computation is the same XLA program on every device).

        >>> x = jnp.ones((2, 10, 3))
        >>> LSTM(4)(x).shape
        (2, 4)
        >>> sequence, h, c = LSTM(4, return_sequences=True, return_state=True)(x)
        >>> sequence.shape, h.shape
        ((2, 10, 4), (2, 4))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        check_positive_int(units, "units", type(self).__name__)
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                        dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                        dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True), name="lstm_cell",
                        implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"LSTM '{self.name}': `use_cudnn` must be one of 'auto', True, False; received "
                             f"use_cudnn={use_cudnn!r}")
        self.use_cudnn = use_cudnn
