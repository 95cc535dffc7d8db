"""The Lambda layer: any function of the inputs as a layer.

Its function is saved in the config as Keras 3 does (`kerasj.saving.function_serialization`): a named function
by name, a Python lambda as bytecode, which loads only with safe mode off.
"""
import inspect

import jax

from kerasj.layers.layer import Layer, is_shape
from kerasj.ops.symbolic import KerasTensor
from kerasj.saving.function_serialization import deserialize_function, serialize_function
from kerasj.saving.safe_mode import resolve_explicit_safe_mode
from kerasj.saving.serialization_lib import deserialize_value, serialize_value


def _map_shapes(fn, structure):
    return jax.tree_util.tree_map(lambda s: fn(tuple(s)), structure, is_leaf=is_shape)


def _accepted_keywords(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return set()
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


class Lambda(Layer):
    """Wraps a function of the inputs as a layer: `function(inputs, **arguments)`.

    Args:
        function: any function of the input(s). If it has a `mask` or `training` parameter, the layer
            passes the input mask or the training flag.
        output_shape: optional. A shape without the batch axis (the batch size is taken from the input),
            a structure of such shapes, or a function of the full input shape. Inferred by abstract
            evaluation of `function` when omitted.
        mask: optional output mask: a function `mask(inputs, input_mask)` or a fixed mask.
        arguments: optional dict of keyword arguments for `function`.

    Prefer named functions to lambdas: a lambda is saved as bytecode and only loads with safe mode off
    (see the module docstring).

        >>> layer = Lambda(lambda x, k: x * k, arguments={"k": 2.0})
        >>> layer(jnp.ones((1, 2)))
        Array([[2., 2.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda '{self.name}': `function` must be callable; received {function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(f"Lambda '{self.name}': `arguments` must be a dict of keyword arguments; received "
                             f"{arguments!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        accepted = _accepted_keywords(function)
        self._fn_expects_mask_arg = "mask" in accepted
        self._fn_expects_training_arg = "training" in accepted
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            try:
                return super().compute_output_shape(input_shape)
            except Exception as err:
                reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                raise NotImplementedError(f"Lambda '{self.name}': could not infer the output shape of the function "
                                          f"({reason}); pass `output_shape`.") from err
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = jax.tree_util.tree_leaves(input_shape, is_leaf=is_shape)[0]
        batch = first[0] if len(first) else None
        return _map_shapes(lambda shape: (batch,) + shape, self._output_shape)

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is None:
            return super().compute_output_spec(*args, **kwargs)
        input_shape = jax.tree_util.tree_map(lambda t: tuple(t.shape), args[0],
                                             is_leaf=lambda x: isinstance(x, KerasTensor))
        return _map_shapes(lambda shape: KerasTensor(shape, self.compute_dtype),
                           self.compute_output_shape(input_shape))

    def get_config(self):
        owner = f"Lambda '{self.name}'"
        config = {**super().get_config(), "function": serialize_function(self.function, owner)}
        if self._output_shape is not None:
            config["output_shape"] = (serialize_function(self._output_shape, owner)
                                      if callable(self._output_shape) else self._output_shape)
        if self.mask is not None:
            config["mask"] = (serialize_function(self.mask, owner) if callable(self.mask)
                              else serialize_value(self.mask))
        config["arguments"] = {k: serialize_value(v) for k, v in self.arguments.items()}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild from `get_config()` (or Keras's Lambda config). `safe_mode=None` follows
        `kerasj.saving.safe_mode.in_safe_mode()`; lambdas load only when that is off."""
        config = dict(config)
        owner = f"Lambda '{config.get('name', 'lambda')}'"
        safe = resolve_explicit_safe_mode(safe_mode)
        config["function"] = deserialize_function(config["function"], owner, custom_objects, safe)
        if isinstance(config.get("output_shape"), dict):
            config["output_shape"] = deserialize_function(config["output_shape"], owner, custom_objects, safe)
        elif is_shape(config.get("output_shape")):
            config["output_shape"] = tuple(config["output_shape"])
        mask = config.get("mask")
        if isinstance(mask, dict) and mask.get("class_name") in ("__lambda__", "function",
                                                                 "builtin_function_or_method"):
            config["mask"] = deserialize_function(mask, owner, custom_objects, safe)
        elif mask is not None:
            config["mask"] = deserialize_value(mask)
        if config.get("arguments") is not None:
            config["arguments"] = {k: deserialize_value(v) for k, v in config["arguments"].items()}
        return cls(**config)
