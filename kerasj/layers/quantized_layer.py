"""Quantized Dense, EinsumDense and Embedding: `layer.quantize(mode)` and layers built under a quantized policy.

`quantize("int8")` replaces the float weight by int8 values and a float scale (symmetric abs-max, one scale per
output channel; Embedding: per row). The call quantizes its inputs per row as well (unless the config is
weight-only), contracts in integers and divides the result by both scales:

    y = (q(x) @ q(w)) / (scale_x * scale_w)              # q(v) = round(v * scale_v), in [-127, 127]

The gradient reaching the inputs is the one of `x @ (q(w) / scale_w)`; the int8 weight is not trainable.

`quantize("float8")` keeps the float kernel and trains it through fake quantization with delayed scaling: inputs
and kernel go through float8_e4m3fn and the gradient of the outputs through float8_e5m2, each with a scale and a
window of recent abs-max values. Those six variables are "trainable" with `overwrite_with_gradient`: the
gradient the layer defines for them is their next value, which the optimizer writes instead of an update.

A layer whose policy is already quantized (`dtype="int8_from_float32"`, or a loaded file) creates the quantized
variables when it is built. Variable names, shapes, dtypes, the order of `weights` and of the saved entries, and
the policy names ("int8_from_float32") are Keras 3's, so files and `set_weights` move between the libraries.

    >>> layer = kerasj.layers.Dense(4)
    >>> layer.build((None, 8))
    >>> layer.quantize("int8")
    >>> [(w.name, w.dtype) for w in layer.weights]
    [('bias', 'float32'), ('kernel', 'int8'), ('kernel_scale', 'float32')]
    >>> layer.dtype_policy
    <QuantizedDTypePolicy "int8_from_float32">
"""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj import dtype_policies, quantizers
from kerasj.dtype_policies.dtype_policy import QUANTIZATION_MODES, QuantizedFloat8DTypePolicy
from kerasj.layers.layer import Layer
from kerasj.quantizers.quantization_config import QuantizationConfig, validate_and_resolve_config
from kerasj.variables import bump_structure_version

_E4M3_MAX = float(jnp.finfo("float8_e4m3fn").max)
_E5M2_MAX = float(jnp.finfo("float8_e5m2").max)
_FLOAT8_VARIABLES = ("inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
                     "outputs_grad_scale", "outputs_grad_amax_history")
_NOT_IMPLEMENTED = ("int4", "gptq", "awq")


def check_quantize_args(layer, mode):
    """The checks Keras runs before any layer's `quantize` (also for layers that cannot be quantized)."""
    if not layer.built:
        raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' (of type "
                         f"'{type(layer).__name__}') is not built yet.")
    if getattr(layer, "_is_quantized", False):
        raise ValueError(f"Layer '{layer.name}' is already quantized with dtype_policy='{layer.dtype_policy.name}'. "
                         f"Received: mode={mode}")
    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. Consider "
                         "loading model/layer with another dtype policy such as 'mixed_bfloat16' or "
                         "'mixed_float16' before calling `quantize()`.")


def not_implemented_mode(layer, mode):
    return NotImplementedError(f"{type(layer).__name__} '{layer.name}': quantization mode {mode!r} is not "
                               f"implemented in kerasj (int8 and float8 are); received mode={mode!r}")


def arrange_scale(scale, from_spec, to_spec):
    """A scale laid out along the einsum labels `from_spec` (size 1 on labels it was reduced over), laid out
    along `to_spec`: the labels both share keep their sizes, in `to_spec`'s order, every other axis has size 1.

        >>> arrange_scale(jnp.ones((1, 3, 5)), "cde", "abde").shape
        (1, 1, 3, 5)
    """
    kept = [c for c in from_spec if c in to_spec]
    scale = jnp.squeeze(scale, axis=tuple(i for i, c in enumerate(from_spec) if c not in to_spec))
    scale = jnp.transpose(scale, sorted(range(len(kept)), key=lambda i: to_spec.index(kept[i])))
    sizes = dict(zip(sorted(kept, key=to_spec.index), scale.shape))
    return jnp.reshape(scale, tuple(sizes.get(c, 1) for c in to_spec))


def _accumulator(a, b):
    """int32 for an int8 x int8 contraction (exact, as Keras asks of XLA); None lets jnp promote."""
    return jnp.int32 if a.dtype == jnp.int8 and b.dtype == jnp.int8 else None


def int8_matmul(x, kernel):
    """`x @ kernel`, accumulated in int32 when both are int8."""
    return jnp.matmul(x, kernel, preferred_element_type=_accumulator(x, kernel))


def int8_einsum(equation, x, kernel):
    """`einsum(equation, x, kernel)`, accumulated in int32 when both are int8."""
    return jnp.einsum(equation, x, kernel, preferred_element_type=_accumulator(x, kernel))


def int8_contraction(contract, inputs, kernel, kernel_scale, float_kernel, inputs_quantizer, inputs_axis,
                     arrange_inputs_scale, compute_dtype):
    """`contract(inputs, kernel)` dequantized, with the inputs quantized along `inputs_axis` when an
    `inputs_quantizer` is given; the gradient with respect to `inputs` is that of `contract(inputs,
    float_kernel)`, and none flows to the kernel or its scale."""
    @jax.custom_vjp
    def run(x, kernel, kernel_scale, float_kernel):
        if inputs_quantizer:
            q, inputs_scale = inputs_quantizer(x, axis=inputs_axis)
            y = contract(q, kernel).astype(compute_dtype)
            return y / (arrange_inputs_scale(inputs_scale) * kernel_scale)
        return contract(x, kernel).astype(compute_dtype) / kernel_scale

    def forward(x, kernel, kernel_scale, float_kernel):
        return run(x, kernel, kernel_scale, float_kernel), (x, float_kernel)

    def backward(saved, upstream):
        x, float_kernel = saved
        _, pullback = jax.vjp(lambda v: contract(v, float_kernel), x)
        return pullback(upstream)[0], None, None, None

    run.defvjp(forward, backward)
    return run(inputs, kernel, kernel_scale, float_kernel)


def _float8_fake_quantize(x, scale, amax_history, training, compute_dtype):
    """`x` through float8_e4m3fn with `scale`. The gradient passes to `x` unchanged; the "gradients" of the
    scale and the history are their delayed-scaling successors (while training; otherwise their own values)."""
    @jax.custom_vjp
    def run(x, scale, amax_history):
        return quantizers.quantize_and_dequantize(x, scale, "float8_e4m3fn", compute_dtype)

    def forward(x, scale, amax_history):
        if training:
            successors = (quantizers.compute_float8_scale(jnp.max(amax_history, axis=0), scale, _E4M3_MAX),
                          quantizers.compute_float8_amax_history(x, amax_history))
        else:
            successors = (scale, amax_history)
        return run(x, scale, amax_history), successors

    def backward(successors, upstream):
        return (upstream,) + successors

    run.defvjp(forward, backward)
    return run(x, scale, amax_history)


def _float8_quantize_gradient(y, scale, amax_history, compute_dtype):
    """`y` unchanged; its gradient goes through float8_e5m2 with `scale`, and the scale and history receive
    their successors computed from that gradient."""
    @jax.custom_vjp
    def run(y, scale, amax_history):
        return y

    def forward(y, scale, amax_history):
        return y, (scale, amax_history)

    def backward(saved, upstream):
        scale, amax_history = saved
        new_scale = quantizers.compute_float8_scale(jnp.max(amax_history, axis=0), scale, _E5M2_MAX)
        return (quantizers.quantize_and_dequantize(upstream, scale, "float8_e5m2", compute_dtype), new_scale,
                quantizers.compute_float8_amax_history(upstream, amax_history))

    run.defvjp(forward, backward)
    return run(y, scale, amax_history)


class QuantizedLayerMixin:
    """What the quantizable layers share: `quantize`, `quantized_build`, the int8 / float8 calls and the saved
    variable order. The layer provides `_quantized_weight` ("kernel" / "embeddings", the same name as its
    LoRA weight), `_quantization_modes` and the layout hooks: `_int8_weight_axis` (the axes one weight scale
    spans), `_int8_scale_from_quantizer` / `_int8_scale_in_weight_layout` (the stored scale from and to the
    quantizer's keepdims layout), `_int8_scale_shape`, and for kernel layers `_contract(x, kernel)`,
    `_int8_inputs_axis` and `_inputs_scale_in_output_layout` (Embedding has its own `_int8_call`)."""

    _quantization_modes = ("int8", "float8")

    @property
    def _quantized_weight(self):
        return self._lora_weight  # the one big weight, which LoRA adapts too

    # -- public API --------------------------------------------------------------------------------------------
    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the built layer's weights in place ("int8", or "float8" where the layer supports it) and
        switch its policy to "<mode>_from_<policy>". `config` (an `Int8QuantizationConfig`, ...) may choose
        the weight and input quantizers. `type_check=False` lets a subclass use the parent's quantization."""
        config = validate_and_resolve_config(mode, config)
        mode = config.mode
        check_quantize_args(self, mode)
        base = next(c for c in type(self).__mro__ if QuantizedLayerMixin in c.__bases__)
        if type_check and type(self) is not base:
            raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` method implemented.")
        if mode in _NOT_IMPLEMENTED or mode not in self._quantization_modes:
            raise self._quantization_mode_error(mode)
        self.quantization_config = config
        if mode == "int8":
            weight = getattr(self, f"_{self._quantized_weight}")
            quantizer = QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=self._int8_weight_axis()))
            values, scale = quantizer(weight, to_numpy=True)
            self._drop_weight(weight)
            self.quantized_build(tuple(weight.shape), mode, config)
            getattr(self, f"_{self._quantized_weight}").assign(values)
            getattr(self, f"{self._quantized_weight}_scale").assign(self._int8_scale_from_quantizer(scale))
        else:
            self.quantized_build(None, mode, config)
        bump_structure_version()
        if self.dtype_policy.quantization_mode is None:
            self.dtype_policy = dtype_policies.get(f"{mode}_from_{self.dtype_policy.name}")

    def quantized_build(self, kernel_shape, mode, config=None):
        """Create the variables of `mode` for a float weight of `kernel_shape` (Keras's hook, also used by
        `build`)."""
        if mode == "int8":
            self._int8_build(kernel_shape, config)
        elif mode == "float8" and "float8" in self._quantization_modes:
            self._float8_build()
        else:
            raise self._quantization_mode_error(mode)
        self._is_quantized = True

    def quantized_call(self, *args, **kwargs):
        mode = self.quantization_mode
        if mode == "int8":
            return self._int8_call(*args, **kwargs)
        if mode == "float8" and "float8" in self._quantization_modes:
            return self._float8_call(*args, **kwargs)
        raise self._quantization_mode_error(mode)

    @property
    def quantization_config(self):
        """The `QuantizationConfig` the layer was (or will be, under a quantized policy) quantized with."""
        return self.__dict__.get("_quantization_config")

    @quantization_config.setter
    def quantization_config(self, config):
        if config is not None and not isinstance(config, QuantizationConfig):
            raise ValueError(f"{type(self).__name__} '{self.name}': `quantization_config` must be a "
                             f"kerasj.quantizers.QuantizationConfig or None; received {config!r} (of type "
                             f"{type(config).__name__})")
        self.__dict__["_quantization_config"] = config

    @property
    def dtype_policy(self):
        return Layer.dtype_policy.fget(self)

    @dtype_policy.setter
    def dtype_policy(self, value):
        Layer.dtype_policy.fset(self, value)
        # As in Keras, giving a built layer a quantized policy quantizes it.
        mode = self.quantization_mode
        if mode is not None and self.built and not getattr(self, "_is_quantized", False):
            if mode == "gptq":
                raise ValueError(f"Implicitly enabling GPTQ quantization by setting `dtype_policy` to '{value}' is "
                                 "not supported. GPTQ requires a calibration dataset and a `GPTQConfig` object.")
            self.quantize(mode)

    # -- building --------------------------------------------------------------------------------------------
    def _quantization_mode_error(self, mode):
        if mode in _NOT_IMPLEMENTED:
            return not_implemented_mode(self, mode)
        return NotImplementedError(f"Invalid quantization mode. Expected one of {self._quantization_modes}. "
                                   f"Received: quantization_mode={mode}")

    def _drop_weight(self, variable):
        """Forget a float weight about to be replaced: its attribute, its regularizer."""
        delattr(self, f"_{self._quantized_weight}")
        self._regularized[:] = [(v, r) for v, r in self._regularized if v is not variable]

    def _int8_build(self, shape, config):
        if self._quantized_weight == "kernel":
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer())
        name = self._quantized_weight
        setattr(self, f"_{name}", self.add_weight(name=name, shape=shape, initializer="zeros", dtype="int8",
                                                  trainable=False))
        setattr(self, f"{name}_scale", self.add_weight(name=f"{name}_scale", shape=self._int8_scale_shape(shape),
                                                       initializer="ones", trainable=False))

    def _float8_build(self):
        length = getattr(self.dtype_policy, "amax_history_length",
                         QuantizedFloat8DTypePolicy.default_amax_history_length)
        for name in _FLOAT8_VARIABLES:
            shape = (length,) if name.endswith("history") else ()
            variable = self.add_weight(name=name, shape=shape, initializer="zeros" if shape else "ones",
                                       dtype="float32", trainable=True, autocast=False)
            variable.overwrite_with_gradient = True  # the optimizer writes the gradient as the new value
            setattr(self, name, variable)

    # -- calls -----------------------------------------------------------------------------------------------
    def _lora_output(self, inputs):
        """The LoRA branch of a quantized call: `(alpha / rank) * contract(inputs, a) @ b`."""
        name = self._quantized_weight
        a, b = getattr(self, f"lora_{name}_a").value, getattr(self, f"lora_{name}_b").value
        return (self.lora_alpha / self.lora_rank) * jnp.matmul(self._contract(inputs, a), b)

    def _finish(self, x):
        if self.bias is not None:
            x = x + self.bias.value.astype(x.dtype)
        return self.activation(x)

    def _int8_call(self, inputs, training=None):
        """The int8 call of a kernel layer (Dense, EinsumDense)."""
        compute = self.compute_dtype
        kernel, kernel_scale = self._kernel.value, self.kernel_scale.value
        float_kernel = kernel.astype(compute) / self._int8_scale_in_weight_layout(kernel_scale)
        x = int8_contraction(self._contract, inputs, kernel, kernel_scale, float_kernel, self.inputs_quantizer,
                             self._int8_inputs_axis(), self._inputs_scale_in_output_layout, compute)
        if self.lora_enabled:
            x = (x + self._lora_output(inputs)).astype(compute)
        return self._finish(x)

    def _float8_call(self, inputs, training=None):
        if self.lora_enabled:
            raise NotImplementedError(f"{type(self).__name__} '{self.name}': the float8 call does not support "
                                      "LoRA (as in Keras).")
        compute = self.compute_dtype
        x = self._contract(
            _float8_fake_quantize(inputs, self.inputs_scale.value, self.inputs_amax_history.value, training,
                                  compute),
            _float8_fake_quantize(self._kernel.value, self.kernel_scale.value, self.kernel_amax_history.value,
                                  training, compute))
        x = _float8_quantize_gradient(x, self.outputs_grad_scale.value, self.outputs_grad_amax_history.value,
                                      compute)
        if self.bias is not None:
            bias = self.bias.value
            if compute == "float32":
                bias = bias.astype("bfloat16").astype(bias.dtype)  # Keras rounds the bias as bf16 here
            x = x + bias.astype(x.dtype)
        return self.activation(x)

    # -- saving ----------------------------------------------------------------------------------------------
    @property
    def variable_serialization_spec(self):
        """The attribute names of the saved entries "0", "1", ... per quantization mode (Keras's order)."""
        name = self._quantized_weight
        spec = {None: [name], "int8": [name, f"{name}_scale"]}
        if name == "kernel":
            spec = {None: ["kernel", "bias"], "int8": ["kernel", "bias", "kernel_scale"],
                    "float8": ["kernel", "bias", *_FLOAT8_VARIABLES]}
        return spec

    def _saved_variables(self):
        """The (attribute, Variable) pairs of the saved entries, in order (the bias only where there is one)."""
        mode = self.quantization_mode
        names = self.variable_serialization_spec.get(mode)
        if names is None:
            raise self._quantization_mode_error(mode)
        variables = [(n, getattr(self, f"_{n}" if n == self._quantized_weight else n, None)) for n in names]
        return [(n, v) for n, v in variables if v is not None]

    @property
    def _saves_own_variables(self):
        """Whether saving must go through `save_own_variables` / `load_own_variables`: only once quantized,
        since Keras writes a quantized layer's entries in its own order, not in the order of `weights`."""
        return bool(self.quantization_mode)

    def save_own_variables(self, store):
        if not self.quantization_mode:
            return Layer.save_own_variables(self, store)
        values = [np.asarray(v.numpy()) for _, v in self._saved_variables()]
        if self.lora_enabled and self.quantization_mode == "int8":
            values[0], scale = self._int8_merged_with_lora()
            values[-1] = scale
        for i, value in enumerate(values):
            store[str(i)] = value

    def load_own_variables(self, store):
        if not self.quantization_mode:
            return Layer.load_own_variables(self, store)
        targets = self._saved_variables()
        if len(store.keys()) != len(targets):
            raise ValueError(f"Layer '{self.name}' expected {len(targets)} variables, but received "
                             f"{len(store.keys())} variables during loading. Expected: {[n for n, _ in targets]}")
        values = [np.asarray(store[str(i)]) for i in range(len(targets))]
        for (name, variable), value in zip(targets, values):
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(f"Layer '{self.name}': the saved '{name}' has shape {tuple(value.shape)}, but "
                                 f"the variable has shape {tuple(variable.shape)}.")
        for (_, variable), value in zip(targets, values):
            variable.assign(value)
        if self.lora_enabled:  # the file holds the merged weight: the update starts again from zero
            name = self._quantized_weight
            for factor in (getattr(self, f"lora_{name}_a"), getattr(self, f"lora_{name}_b")):
                factor.assign(jnp.zeros(factor.shape, factor.dtype))

    def _int8_merged_with_lora(self):
        """The int8 weight and scale of `dequantized weight + LoRA update`, re-quantized (what Keras saves)."""
        name = self._quantized_weight
        weight, scale = getattr(self, f"_{name}").value, getattr(self, f"{name}_scale").value
        merged = weight.astype(self.compute_dtype) / self._int8_scale_in_weight_layout(scale)
        merged = merged + (self.lora_alpha / self.lora_rank) * jnp.matmul(
            getattr(self, f"lora_{name}_a").value, getattr(self, f"lora_{name}_b").value)
        values, new_scale = quantizers.abs_max_quantize(merged, axis=self._int8_weight_axis(), to_numpy=True)
        return np.asarray(values), np.asarray(self._int8_scale_from_quantizer(new_scale))
