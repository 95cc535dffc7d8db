"""Convolutional LSTM (Shi et al., 2015): an LSTM whose input and recurrent transforms are convolutions, run over
sequences of 1-D, 2-D or 3-D images (ConvLSTM1D / ConvLSTM2D / ConvLSTM3D).

Per step, with `*` a convolution and gates i, f, c, o as in `LSTMCell`:

    z_g = (x_t * W_g + b_g) + h_{t-1} * U_g       W: strides, padding, dilation_rate of the layer
                                                  U: stride 1, "same" padding, so h keeps its shape
    c_t = f * c_{t-1} + i * tanh(z_c),   h_t = o * tanh(c_t)

States h and c have the convolution's output shape, `(batch, *spatial_out, filters)` for channels_last.
Convolutions go through `conv_math.conv` (and so `conv_primitive`, which keeps them fast inside the scan on CPU).
"""
import jax.numpy as jnp

from kerasj.layers.conv_base import channel_axis, spatial_dims, with_channels
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.recurrent.cell_base import RecurrentCell, gate_views, project
from kerasj.layers.recurrent.rnn import CELL_OPTIONS, CellRNN, forward_to_cell
from kerasj.ops.conv_math import conv, conv_output_length
from kerasj.utils.argument_validation import (check_positive_int, standardize_data_format, standardize_padding,
                                              standardize_tuple)


class ConvLSTMCell(RecurrentCell):
    """One ConvLSTM step on `(batch, *spatial, channels)` inputs (see the module docstring).

    Weights: kernel `kernel_size + (input_channels, 4 * filters)`, recurrent_kernel
    `kernel_size + (filters, 4 * filters)`, bias `(4 * filters,)`, gates in the order i, f, c, o. Each gate has
    its own dropout masks, as in Keras.

        >>> cell = ConvLSTMCell(2, filters=4, kernel_size=3, padding="same")
        >>> RNN(cell)(jnp.ones((1, 5, 8, 8, 3))).shape
        (1, 8, 8, 4)
    """

    dropout_mask_count = 4

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        owner = type(self).__name__
        if rank not in (1, 2, 3):
            raise ValueError(f"{owner}: `rank` must be 1, 2 or 3; received rank={rank!r}")
        filters = check_positive_int(filters, "filters", owner)
        super().__init__(activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, **kwargs)
        self.rank = rank
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = standardize_tuple(strides, rank, "strides", owner)
        self.padding = standardize_padding(padding, owner)
        self.data_format = standardize_data_format(data_format, owner)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate", owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: `strides` > 1 cannot be combined with `dilation_rate` > 1; received "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [filters, filters]
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axis = channel_axis(self.data_format)
        self.spatial_dims = spatial_dims(input_shape, self.data_format)
        if None in self.spatial_dims:
            raise ValueError(f"{type(self).__name__} '{self.name}': the spatial dimensions of the input must be "
                             f"known; received input_shape={input_shape}")
        self.input_dim = self._input_dim(input_shape, axis)
        out = self._output_spatial()
        if any(n <= 0 for n in out):
            raise ValueError(f"{type(self).__name__} '{self.name}': the convolution output would be empty for "
                             f"input_shape={input_shape} with kernel_size={self.kernel_size}, "
                             f"padding={self.padding!r}, dilation_rate={self.dilation_rate}")
        filters = self.filters
        self.kernel = self._make_weight("kernel", self.kernel_size + (self.input_dim, 4 * filters), "kernel")
        self.recurrent_kernel = self._make_weight("recurrent", self.kernel_size + (filters, 4 * filters),
                                                  "recurrent_kernel")
        self.bias = None
        if self.use_bias:
            init = self._forget_bias_initializer(filters) if self.unit_forget_bias else None
            self.bias = self._make_weight("bias", (4 * filters,), "bias", initializer=init)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: self.input_dim})
        self.built = True

    def _output_spatial(self, spatial=None):
        spatial = self.spatial_dims if spatial is None else spatial
        return tuple(conv_output_length(n, k, s, d, self.padding)
                     for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def state_shape(self, batch_size, spatial=None):
        """Shape of h and c for inputs with spatial dimensions `spatial` (default: the built ones)."""
        return with_channels(batch_size, self._output_spatial(spatial), self.filters, self.data_format)

    def get_initial_state(self, batch_size=None):
        shape = self.state_shape(batch_size)
        return [jnp.zeros(shape, self.compute_dtype), jnp.zeros(shape, self.compute_dtype)]

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        kernel, recurrent_kernel, bias = self._weights_for(inputs)
        axis = channel_axis(self.data_format)
        mask = self.get_dropout_mask(inputs) if training else None
        recurrent_mask = self.get_recurrent_dropout_mask(h_prev) if training else None

        def input_conv(x, k):
            return conv(x, k, data_format=self.data_format, strides=self.strides, padding=self.padding,
                        dilation_rate=self.dilation_rate)

        def recurrent_conv(h, k):
            return conv(h, k, data_format=self.data_format, padding="same")

        x_gates = project(gate_views(inputs, mask, 4), kernel, op=input_conv, axis=axis)
        if bias is not None:
            shape = (-1,) if self.data_format == "channels_last" else (-1,) + (1,) * self.rank
            x_gates = [g + b.reshape(shape) for g, b in zip(x_gates, jnp.split(bias, 4))]
        h_gates = project(gate_views(h_prev, recurrent_mask, 4), recurrent_kernel, op=recurrent_conv, axis=axis)
        z = [a + b for a, b in zip(x_gates, h_gates)]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_prev + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def _extra_config(self):
        return {"filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                "unit_forget_bias": self.unit_forget_bias}

    def get_config(self):
        return {**super().get_config(), "rank": self.rank}


@forward_to_cell("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                 "recurrent_activation", "unit_forget_bias", *CELL_OPTIONS)
class ConvLSTM(CellRNN):
    """Base of ConvLSTM1D/2D/3D (subclasses set `rank`). Inputs are `(batch, timesteps, *spatial, channels)`
    (channels_last) or `(batch, timesteps, channels, *spatial)` (channels_first)."""

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(self.rank, filters, kernel_size, strides=strides, padding=padding,
                            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                            recurrent_activation=recurrent_activation, use_bias=use_bias,
                            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell",
                            dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def get_config(self):
        config = super().get_config()
        del config["rank"]
        return config

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        batch, steps = sequences_shape[:2]
        spatial = spatial_dims((batch,) + sequences_shape[2:], self.data_format)
        state = self.cell.state_shape(batch, spatial)
        output = (batch, steps) + state[1:] if self.return_sequences else state
        return (output, state, state) if self.return_state else output


class ConvLSTM1D(ConvLSTM):
    """ConvLSTM over sequences of 1-D signals: inputs (batch, timesteps, steps, channels) for channels_last.

        >>> ConvLSTM1D(4, 3, padding="same", return_sequences=True)(jnp.ones((2, 5, 10, 3))).shape
        (2, 5, 10, 4)
    """

    rank = 1


class ConvLSTM2D(ConvLSTM):
    """ConvLSTM over sequences of images: inputs (batch, timesteps, rows, cols, channels) for channels_last.

        >>> ConvLSTM2D(4, (3, 3))(jnp.ones((2, 5, 8, 8, 3))).shape
        (2, 6, 6, 4)
    """

    rank = 2


class ConvLSTM3D(ConvLSTM):
    """ConvLSTM over sequences of volumes: inputs (batch, timesteps, depth, rows, cols, channels).

        >>> ConvLSTM3D(2, 3, padding="same")(jnp.ones((1, 4, 5, 5, 5, 1))).shape
        (1, 5, 5, 5, 2)
    """

    rank = 3
