"""SimpleRNNCell and SimpleRNN: the fully connected recurrence `h_t = activation(x_t W + h_{t-1} U + b)`."""
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.recurrent.cell_base import RecurrentCell
from kerasj.layers.recurrent.rnn import CELL_OPTIONS, CellRNN, forward_to_cell
from kerasj.utils.argument_validation import check_positive_int


class SimpleRNNCell(RecurrentCell):
    """One step of a fully connected RNN: `output = new_state = activation(x @ kernel + h @ recurrent_kernel
    + bias)`. Weights: kernel (input_dim, units), recurrent_kernel (units, units), bias (units,).

    Arguments as `keras.layers.SimpleRNNCell`: units, activation ("tanh"), use_bias, kernel / recurrent /
    bias initializers ("glorot_uniform", "orthogonal", "zeros"), regularizers, constraints, dropout,
    recurrent_dropout, seed.

        >>> cell = SimpleRNNCell(4)
        >>> output, [state] = cell(jnp.ones((2, 3)), [jnp.zeros((2, 4))])
        >>> output.shape
        (2, 4)
    """

    _uses_recurrent_activation = False

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        units = check_positive_int(units, "units", type(self).__name__)
        super().__init__(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.units = units
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        input_dim = self._input_dim(input_shape)
        self.kernel = self._make_weight("kernel", (input_dim, self.units), "kernel")
        self.recurrent_kernel = self._make_weight("recurrent", (self.units, self.units), "recurrent_kernel")
        self.bias = self._make_weight("bias", (self.units,), "bias") if self.use_bias else None
        self.built = True

    def call(self, sequence, states, training=False):
        is_list = isinstance(states, (list, tuple))
        h_prev = states[0] if is_list else states
        kernel, recurrent_kernel, bias = self._weights_for(sequence)
        if training:
            mask = self.get_dropout_mask(sequence)
            sequence = sequence if mask is None else sequence * mask
            recurrent_mask = self.get_recurrent_dropout_mask(h_prev)
            h_prev = h_prev if recurrent_mask is None else h_prev * recurrent_mask
        h = sequence @ kernel
        if bias is not None:
            h = h + bias
        output = self.activation(h + h_prev @ recurrent_kernel)
        return output, ([output] if is_list else output)

    def _extra_config(self):
        return {"units": self.units}


@forward_to_cell("units", *CELL_OPTIONS)
class SimpleRNN(CellRNN):
    """Fully connected RNN whose output is fed back as the next step's state (see `SimpleRNNCell`).

    Arguments as `keras.layers.SimpleRNN`: the `SimpleRNNCell` options plus activity_regularizer,
    return_sequences, return_state, go_backwards, stateful, unroll (see `RNN`).

        >>> SimpleRNN(4, return_sequences=True)(jnp.ones((2, 10, 3))).shape
        (2, 10, 4)
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        check_positive_int(units, "units", type(self).__name__)
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                             recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                             kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                             bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                             seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                             name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = super().get_config()
        del config["seed"]  # Keras leaves the seed out of SimpleRNN's config
        return config
