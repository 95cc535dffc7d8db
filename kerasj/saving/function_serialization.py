"""Functions in configs (a Lambda layer's function, a custom activation or loss), safely.

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
else from kerasj's own public functions (activations, losses, metrics, ops; `kerasj.utils.keras_names`), as
Keras resolves its built-ins.

    >>> record = serialize_function(lambda x: x + 1, "Lambda 'add_one'")
    >>> deserialize_function(record, "Lambda 'add_one'", safe_mode=False)(1)
    2
"""
import base64
import builtins
import inspect
import marshal
import sys
import types

import jax.numpy as jnp
import numpy as np

from kerasj.saving.object_registration import get_registered_name, get_registered_object
from kerasj.utils.keras_names import builtin

# Where a function named in a config may come from among kerasj's own, searched in this order.
_FUNCTION_NAMESPACES = ("keras.activations", "keras.losses", "keras.metrics", "keras.ops")


def _is_python_lambda(fn):
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def serialize_function(fn, owner):
    """Keras's config record of `fn`: bytecode for a lambda, the name for any other function. `owner` (e.g.
    "Lambda 'l'") names the object in error messages."""
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


def builtin_function(name):
    """A public kerasj function called `name`, or None. Only the functions kerasj's math namespaces
    registered are found, so a config cannot reach arbitrary Python callables."""
    if not isinstance(name, str) or name.startswith("_"):
        return None
    for namespace in _FUNCTION_NAMESPACES:
        fn = builtin(namespace, name)
        if callable(fn) and not inspect.isclass(fn):
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
    # Names a saved lambda may use: the builtins, and kerasj (the package this module belongs to, so already
    # imported) under its own and Keras's names.
    kerasj = sys.modules["kerasj"]
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
    fn = builtin_function(name)
    if fn is None:
        raise ValueError(f"{owner}: could not find the function {name!r}. Pass it to from_config as "
                         f"custom_objects={{'{name}': {name}}}.")
    return fn
