"""The Lambda layer, and the safe (de)serialization of the functions it wraps.

Configs follow Keras 3, so they move between the two libraries:

- a Python lambda is stored as `{"class_name": "__lambda__", "config": {"code", "defaults", "closure"}}`,
  with `code` the base64 of its marshalled bytecode;
- a named function is stored by name (`"package>name"` if registered with
  `kerasj.saving.register_keras_serializable`): `{"module": "builtins", "class_name": "function",
  "config": name, "registered_name": "function"}`.

Loading follows the safety rules of `kerasj.saving.safe_mode`. Rebuilding a lambda runs bytecode from the
config, so it is refused in safe mode (the default) and allowed only with `safe_mode=False`, inside
`safe_mode_scope(False)` or after `kerasj.config.enable_unsafe_deserialization()`; the bytecode must come
from the same Python version. A named function is never imported from an arbitrary module: it resolves
from `custom_objects`, an open `custom_object_scope` or the registry of `register_keras_serializable`, or
else from kerasj's own public functions (activations, losses, metrics, ops), as Keras resolves its built-ins.
"""
import base64
import builtins
import inspect
import marshal
import types

import jax
import jax.numpy as jnp
import numpy as np

from kerasj.layers.layer import Layer, is_shape
from kerasj.saving.serialization_lib import deserialize_value, serialize_value
from kerasj.saving.object_registration import get_registered_name, get_registered_object
from kerasj.saving.safe_mode import resolve_explicit_safe_mode
from kerasj.symbolic import KerasTensor


def _map_shapes(fn, structure):
    return jax.tree_util.tree_map(lambda s: fn(tuple(s)), structure, is_leaf=is_shape)


def _is_python_lambda(fn):
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def serialize_function(fn, owner):
    """Keras's config record of `fn`: bytecode for a lambda, the name for any other function."""
    if _is_python_lambda(fn):
        closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
        return {"class_name": "__lambda__",
                "config": {"code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
                           "defaults": fn.__defaults__, "closure": closure}}
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
        kind = type(fn).__name__
        return {"module": "builtins", "class_name": kind, "config": get_registered_name(fn),
                "registered_name": kind}
    raise ValueError(f"{owner}: only Python functions and lambdas can be saved in a config; received "
                     f"{fn!r} of type {type(fn).__name__}. Wrap it in a named function.")


def _builtin_function(name):
    """A public kerasj function called `name`, or None. Only kerasj's own math modules are searched and
    only kerasj/JAX functions are returned, so a config cannot reach arbitrary Python callables."""
    from kerasj import activations, losses, metrics, ops
    for module in (activations, losses, metrics, ops):
        fn = getattr(module, name, None) if not name.startswith("_") else None
        if (callable(fn) and not isinstance(fn, type)
                and getattr(fn, "__module__", "").split(".")[0] in ("kerasj", "jax")):
            return fn
    return None


def _load_lambda(record, owner, safe_mode):
    if safe_mode:
        raise ValueError(
            f"{owner}: the config holds a Python lambda, stored as bytecode. Rebuilding it executes that "
            "code, which can run anything, so it is refused in safe mode. If you trust where the config or "
            "model file came from, pass `safe_mode=False`, load inside "
            "`kerasj.saving.safe_mode.safe_mode_scope(False)`, or call "
            "`kerasj.config.enable_unsafe_deserialization()`; better, use a named function.")
    inner = record["config"]
    try:
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
    except (ValueError, EOFError, TypeError) as err:
        raise ValueError(f"{owner}: the stored lambda bytecode cannot be read ({err}); lambdas only load in the "
                         "Python version that saved them.") from None
    defaults = tuple(inner["defaults"]) if inner.get("defaults") is not None else None
    closure = tuple(types.CellType(v) for v in inner["closure"]) if inner.get("closure") is not None else None
    # Names a saved lambda may use: the builtins, and kerasj under its own and Keras's names.
    import kerasj
    scope = {"__builtins__": builtins, "kerasj": kerasj, "keras": kerasj, "ops": kerasj.ops, "jnp": jnp,
             "np": np}
    return types.FunctionType(code, scope, code.co_name, defaults, closure)


def deserialize_function(record, owner, custom_objects=None, safe_mode=True):
    """The function described by a `serialize_function` record (see the module docstring for the rules)."""
    if isinstance(record, dict) and record.get("class_name") == "__lambda__":
        return _load_lambda(record, owner, safe_mode)
    if isinstance(record, dict):
        name, registered = record.get("config"), record.get("registered_name")
    else:
        name, registered = record, None
    if not isinstance(name, str):
        raise ValueError(f"{owner}: cannot read the function record {record!r}")
    for key in (name, registered):
        found = get_registered_object(key, custom_objects) if isinstance(key, str) else None
        if found is not None:
            return found
    # Keras 3.6 and older saved registered functions by bare name: match "package>name" entries.
    for key, value in (custom_objects or {}).items():
        if key.endswith(f">{name}"):
            return value
    fn = _builtin_function(name)
    if fn is None:
        raise ValueError(f"{owner}: could not find the function {name!r}. Pass it to from_config as "
                         f"custom_objects={{'{name}': {name}}}.")
    return fn


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
