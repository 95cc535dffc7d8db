"""EinsumDense: a dense projection written as an einsum equation (the building block of MultiHeadAttention)."""
import re

import jax.numpy as jnp

from kerasj import activations, constraints, initializers, regularizers
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.layers.lora import LoRAMixin
from kerasj.layers.quantized_layer import QuantizedLayerMixin, arrange_scale, int8_einsum
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


def _letters(spec):
    return re.fullmatch(r"[a-zA-Z]+", spec) is not None


def _split_equation(equation, owner):
    """`(input_spec, weight_spec, output_spec, ellipsis)` with ellipsis None, "left" or "right", accepting
    `X,Y->Z`, `...X,Y->...Z` and `X...,Y->Z...` (Keras's three supported forms)."""
    parts = re.fullmatch(r"([a-zA-Z.]+),([a-zA-Z]+)->([a-zA-Z.]+)", equation) if isinstance(equation, str) else None
    if parts is not None:
        x, w, z = parts.groups()
        if _letters(x) and _letters(z):
            return x, w, z, None
        if x.startswith("...") and z.startswith("...") and _letters(x[3:]) and _letters(z[3:]):
            return x[3:], w, z[3:], "left"
        if x.endswith("...") and z.endswith("...") and _letters(x[:-3]) and len(x) >= 5 and _letters(z[:-3]):
            return x[:-3], w, z[:-3], "right"
    raise ValueError(f"{owner}: invalid einsum equation {equation!r}. Equations must be of the form "
                     "'X,Y->Z', '...X,Y->...Z' or 'X...,Y->Z...' (X, Y, Z made of letters).")


def explicit_specs(equation, rank):
    """`(input_spec, weight_spec, output_spec)` of `equation` for inputs of `rank`, an ellipsis spelled out with
    letters the equation does not use (what the quantized layer needs to name every axis)."""
    x_spec, w_spec, z_spec, ellipsis = _split_equation(equation, "EinsumDense")
    unused = sorted(set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") - set(x_spec + w_spec + z_spec))
    elided = "".join(unused[:rank - len(x_spec)]) if ellipsis else ""
    if ellipsis == "left":
        return elided + x_spec, w_spec, elided + z_spec
    return x_spec + elided, w_spec, z_spec + elided


def analyze_einsum(equation, bias_axes, input_shape, partial_output_shape, owner="EinsumDense"):
    """Shapes implied by an EinsumDense equation for `input_shape`.

    Returns `(kernel_shape, bias_shape or None, full_output_shape, input_axes, output_axes)`, where the axes
    are the kernel axes contracted with the input and those that appear in the output (for fan computation).
    """
    x_spec, w_spec, z_spec, ellipsis = _split_equation(equation, owner)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(x_spec)
    if elided < 0 or (ellipsis is None and elided != 0):
        raise ValueError(f"{owner}: equation {equation!r} expects inputs of rank "
                         f"{len(x_spec) if ellipsis is None else f'>= {len(x_spec)}'}; received input shape "
                         f"{input_shape}.")
    left_elided = ellipsis == "left"
    output_shape = [input_shape[0]] + list(partial_output_shape)
    if elided > 0 and left_elided:
        output_shape[1:1] = input_shape[1:elided]
    elif elided > 0:
        output_shape += input_shape[len(input_shape) - elided:]
    if len(output_shape) != len(z_spec) + elided:
        needed = len(z_spec) + elided - (len(output_shape) - len(partial_output_shape))
        raise ValueError(f"{owner}: output_shape={tuple(partial_output_shape)} has the wrong length for "
                         f"equation {equation!r} and input shape {input_shape}: expected {needed} entries.")
    if left_elided:
        in_index = {c: i + elided - len(input_shape) for i, c in enumerate(x_spec)}
        out_index = {c: i + elided for i, c in enumerate(z_spec)}
    else:
        in_index = {c: i for i, c in enumerate(x_spec)}
        out_index = {c: i for i, c in enumerate(z_spec)}
    try:
        for c in x_spec:
            if c in out_index and output_shape[out_index[c]] not in (None, input_shape[in_index[c]]):
                raise ValueError(f"{owner}: input and output shapes disagree on the shared dimension '{c}' of "
                                 f"{equation!r}: the input has {input_shape[in_index[c]]}, output_shape asks "
                                 f"for {output_shape[out_index[c]]} (input shape {input_shape}).")
        for c in z_spec:
            if c not in x_spec and c not in w_spec:
                raise ValueError(f"{owner}: output dimension '{c}' of {equation!r} appears in neither the input "
                                 f"nor the weight spec.")
        kernel_shape, input_axes, output_axes = [], [], []
        for i, c in enumerate(w_spec):
            if c in out_index:
                kernel_shape.append(output_shape[out_index[c]])
                output_axes.append(i)
            elif c in in_index:
                kernel_shape.append(input_shape[in_index[c]])
                input_axes.append(i)
            else:
                raise ValueError(f"{owner}: weight dimension '{c}' of {equation!r} appears in neither the input "
                                 "nor the output spec, so its size is unknown.")
    except IndexError:
        raise ValueError(f"{owner}: output_shape={tuple(partial_output_shape)} has the wrong length for "
                         f"equation {equation!r} and input shape {input_shape}.") from None
    bias_shape = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in z_spec:
                raise ValueError(f"{owner}: bias axis '{c}' is not an output dimension of {equation!r}.")
        offset = elided if left_elided else 0
        first = min(z_spec.index(c) for c in bias_axes)
        bias_shape = [output_shape[i + offset] if c in bias_axes else 1
                      for i, c in enumerate(z_spec) if i >= first]
        if not left_elided:
            bias_shape += [1] * max(elided, 0)
    return kernel_shape, bias_shape, output_shape, input_axes, output_axes


class EinsumDense(QuantizedLayerMixin, LoRAMixin, Layer):
    """A dense layer whose contraction is an einsum equation between the input and a kernel.

    Args follow `keras.layers.EinsumDense`: equation ("ab,bc->ac", "...ab,bc->...ac" or "ab...,bc->ac..."),
    output_shape (the output sizes after the batch axis and any elided axes; None where the input decides),
    activation, bias_axes (output letters that get a bias), kernel/bias initializers, regularizers and
    constraints, lora_rank and lora_alpha, quantization_config (see `kerasj.layers.quantized_layer`).

        >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
        >>> layer(jnp.ones((2, 5, 16))).shape      # kernel (16, 4, 8), bias (4, 8)
        (2, 5, 4, 8)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if gptq_unpacked_column_size is not None:
            raise NotImplementedError(f"EinsumDense '{self.name}': GPTQ quantization is not implemented in kerasj; "
                                      f"received gptq_unpacked_column_size={gptq_unpacked_column_size!r}")
        self.quantization_config = quantization_config
        _split_equation(equation, f"EinsumDense '{self.name}'")
        self.equation = equation
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        try:
            self.partial_output_shape = tuple(output_shape)
        except TypeError:
            raise ValueError(f"EinsumDense '{self.name}': output_shape must be an int or a sequence of ints "
                             f"(None allowed); received {output_shape!r}") from None
        if any(d is not None and (not isinstance(d, int) or d <= 0) for d in self.partial_output_shape):
            raise ValueError(f"EinsumDense '{self.name}': output_shape entries must be positive ints or None; "
                             f"received {output_shape!r}")
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)

    def _kernel_initializer_for(self, input_axes, output_axes):
        """Fans of a multi-axis kernel come from the einsum's contracted and output axes, as in Keras; the
        clone keeps the original's draw seed so an unseeded initializer still gives one fixed value."""
        init = self.kernel_initializer
        if not isinstance(init, initializers.VarianceScaling) or (
                init.input_axes is not None and init.output_axes is not None):
            return init
        clone = type(init).from_config({**init.get_config(), "input_axes": input_axes,
                                        "output_axes": output_axes})
        clone._draw_seed = init._draw_seed
        return clone

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape, f"EinsumDense '{self.name}'")
        if any(d is None for d in kernel_shape):
            raise ValueError(f"EinsumDense '{self.name}': the kernel shape {tuple(kernel_shape)} of "
                             f"{self.equation!r} has unknown sizes for input shape {tuple(input_shape)}; give "
                             "them in output_shape or the input shape.")
        self.input_spec = InputSpec(ndim=len(input_shape))
        if self.quantization_mode:
            self.quantized_build(tuple(kernel_shape), self.quantization_mode, self.quantization_config)
        if self.quantization_mode != "int8":  # int8 creates its own kernel
            self._kernel = self.add_weight(name="kernel", shape=tuple(kernel_shape),
                                           initializer=self._kernel_initializer_for(input_axes, output_axes),
                                           regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self):
        """The kernel Variable, or with LoRA enabled the effective kernel array."""
        return self._effective_weight()

    def call(self, inputs, training=None):
        if self.quantization_mode:
            return self.quantized_call(inputs, training=training)
        x = jnp.einsum(self.equation, inputs, self._weight_for_call().astype(inputs.dtype))
        if self.bias is not None:
            x = x + self.bias.value.astype(x.dtype)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(self.equation, self.bias_axes, input_shape, self.partial_output_shape,
                                    f"EinsumDense '{self.name}'")[2])

    def get_config(self):
        config = {**super().get_config(), "output_shape": self.partial_output_shape, "equation": self.equation,
                  "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
                  "kernel_initializer": initializers.serialize(self.kernel_initializer),
                  "bias_initializer": initializers.serialize(self.bias_initializer),
                  "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                  "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                  "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                  "kernel_constraint": constraints.serialize(self.kernel_constraint),
                  "bias_constraint": constraints.serialize(self.bias_constraint),
                  "quantization_config": serialize_keras_object(self.quantization_config)}
        if self.lora_rank:
            config.update(lora_rank=self.lora_rank, lora_alpha=self.lora_alpha)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("kernel_initializer", "bias_initializer"):
            config[key] = initializers.get(config.get(key))
        for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
            config[key] = regularizers.get(config.get(key))
        for key in ("kernel_constraint", "bias_constraint"):
            config[key] = constraints.get(config.get(key))
        config["quantization_config"] = deserialize_keras_object(config.get("quantization_config"))
        return cls(**config)

    # Quantization layout (see kerasj.layers.quantized_layer): one scale per kernel entry that reaches the
    # output, stored broadcastable against the output (Keras's layout); inputs are scaled per contracted slice.
    def _specs(self):
        return explicit_specs(self.equation, self.input_spec.ndim)

    def _contract(self, x, kernel):
        return int8_einsum(self.equation, x, kernel)

    def _int8_weight_axis(self):
        _, w_spec, z_spec = self._specs()
        return tuple(i for i, c in enumerate(w_spec) if c not in z_spec)

    def _int8_inputs_axis(self):
        x_spec, _, z_spec = self._specs()
        return tuple(i for i, c in enumerate(x_spec) if c not in z_spec)

    def _int8_scale_shape(self, kernel_shape):
        _, w_spec, z_spec = self._specs()
        return tuple(kernel_shape[w_spec.index(c)] if c in w_spec else 1 for c in z_spec)

    def _int8_scale_from_quantizer(self, scale):
        _, w_spec, z_spec = self._specs()
        return arrange_scale(jnp.asarray(scale), w_spec, z_spec)

    def _int8_scale_in_weight_layout(self, scale):
        _, w_spec, z_spec = self._specs()
        return arrange_scale(scale, z_spec, w_spec)

    def _inputs_scale_in_output_layout(self, scale):
        x_spec, _, z_spec = self._specs()
        return arrange_scale(scale, x_spec, z_spec)
