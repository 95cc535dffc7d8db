"""Objects to JSON-friendly configs and back, in Keras 3's format, so configs move between the two libraries.

An object is stored as `{"module", "class_name", "config", "registered_name"}` (plus `build_config` for built
layers and `compile_config` for compiled models); tuples, numpy arrays, bytes, slices and functions have tagged
forms (`__tuple__`, `__numpy__`, ...). Module names are Keras's ("keras.layers", ...), so Keras 3 reads kerasj
configs and kerasj reads Keras 3's.

Loading is safe by construction: a class name resolves only to kerasj's own classes (the built-ins each
namespace registers under its Keras module name, `kerasj.utils.keras_names`) or to objects the program
registered or passed in `custom_objects`. No module named in a
config is ever imported, and nothing is unpickled. Bytecode (a saved lambda) is refused in safe mode.

    >>> config = kerasj.saving.serialize_keras_object(kerasj.layers.Dense(3))
    >>> layer = kerasj.saving.deserialize_keras_object(config)
"""
import contextlib
import inspect
import types

import jax.numpy as jnp
import numpy as np

from kerasj.saving.function_serialization import deserialize_function, serialize_function
from kerasj.saving.object_registration import CustomObjectScope, get_registered_name, get_registered_object
from kerasj.utils.keras_names import builtin, keras_module_of
from kerasj.saving.safe_mode import in_safe_mode, resolve_safe_mode, safe_mode_scope

# How deeply configs may nest before loading gives up (a hostile file could nest until recursion fails).
MAX_DEPTH = 200


# Keras module names under which a record names itself as its own registered name (Keras writes these so).
_SELF_REGISTERED = ("keras.src.ops.numpy", "keras.src.models.functional",
                    "keras.src.layers.preprocessing.feature_space")


def _keras_module_of(obj):
    """The Keras module name under which Keras 3 files name the class of kerasj object `obj`."""
    cls = type(obj)
    if not cls.__module__.startswith("kerasj."):
        return cls.__module__
    return keras_module_of(cls) or "keras"


def _is_kerasj_builtin(cls):
    return cls.__module__.startswith("kerasj.")


def serialize_keras_object(obj):
    """A JSON-friendly description of `obj` that `deserialize_keras_object` turns back into an equal object.

        >>> serialize_keras_object(kerasj.initializers.Zeros())
        {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {}, 'registered_name': None}
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, list):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, tuple):
        return tuple(serialize_keras_object(x) for x in obj)
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_keras_object(obj.start),
                                                      "stop": serialize_keras_object(obj.stop),
                                                      "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if hasattr(obj, "__array__") and hasattr(obj, "dtype") and not hasattr(obj, "get_config"):
        array = np.asarray(obj)
        tag = "__numpy__" if isinstance(obj, np.ndarray) else "__tensor__"  # Keras's tags for the two kinds
        return {"class_name": tag, "config": {"value": array.tolist(), "dtype": array.dtype.name}}
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        record = serialize_function(obj, "serialize_keras_object")
        if record.get("class_name") != "__lambda__":
            record["config"] = get_registered_name(obj) if not _is_kerasj_builtin_fn(obj) else obj.__name__
        return record
    if not hasattr(obj, "get_config"):
        raise TypeError(f"serialize_keras_object: cannot serialize {obj!r} of type {type(obj).__name__}: it "
                        "has no get_config().")
    config = obj.get_config()
    cls = type(obj)
    record = {"module": _keras_module_of(obj), "class_name": _public_class_name(obj), "config": config,
              "registered_name": None if _is_kerasj_builtin(cls) else get_registered_name(cls)}
    if record["module"] in _SELF_REGISTERED:
        record["registered_name"] = record["class_name"]
    if hasattr(obj, "get_build_config"):  # layers and models
        build_config = obj.get_build_config()
        if build_config is not None:
            record["build_config"] = build_config
        compile_config = getattr(obj, "get_compile_config", lambda: None)()
        if compile_config is not None:
            record["compile_config"] = compile_config
    return record


def _is_kerasj_builtin_fn(fn):
    return getattr(fn, "__module__", "").split(".")[0] in ("kerasj", "jax")


def _public_class_name(obj):
    return getattr(obj, "op_class_name", None) or type(obj).__name__  # graph ops carry their Keras op name


def _expect_dict(value, what):
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a dict; received {type(value).__name__}: {_short(value)}")
    return value


def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _depth_check(depth):
    if depth > MAX_DEPTH:
        raise ValueError(f"deserialize_keras_object: the config nests more than {MAX_DEPTH} levels deep.")


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object described by `config` (from `serialize_keras_object`, or a Keras 3 config).

    Args:
        config: the description: a dict, or a plain value.
        custom_objects: optional `{name: class or function}` for user-defined objects (registered objects and
            `custom_object_scope` work too).
        safe_mode: refuse to rebuild lambdas from bytecode (default True); only False allows it. None keeps
            the current setting (see `kerasj.saving.safe_mode.resolve_safe_mode`).

    Raises:
        ValueError: the config names an unknown class, or has the wrong structure or types.
    """
    with safe_mode_scope(resolve_safe_mode(safe_mode)):
        return _deserialize(config, custom_objects or {}, 0)


def _deserialize(config, custom_objects, depth):
    _depth_check(depth)
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, list):
        return [_deserialize(x, custom_objects, depth + 1) for x in config]
    if isinstance(config, tuple):
        return tuple(_deserialize(x, custom_objects, depth + 1) for x in config)
    if not isinstance(config, dict):
        raise ValueError(f"deserialize_keras_object: cannot read {type(config).__name__} {_short(config)}")
    class_name = config.get("class_name")
    if class_name is None:
        return {k: _deserialize(v, custom_objects, depth + 1) for k, v in config.items()}
    if not isinstance(class_name, str):
        raise ValueError(f"deserialize_keras_object: 'class_name' must be a string; received {_short(class_name)}")
    inner = config.get("config")
    special = _SPECIAL.get(class_name)
    if special is not None:
        return special(config, inner, custom_objects, depth)
    if class_name in ("function", "builtin_function_or_method") or config.get("registered_name") == "function":
        return _function(config, custom_objects)
    cls = resolve_class(config, custom_objects)
    if inner is None:
        inner = {}
    _expect_dict(inner, f"The 'config' of {class_name}")
    try:
        with _custom_scope(custom_objects):
            obj = _from_config(cls, inner, custom_objects)
    except ValueError:
        raise
    except _REBUILD_ERRORS as err:
        raise ValueError(f"Could not rebuild {class_name} from its config: {type(err).__name__}: {err}") from err
    build_config = config.get("build_config")
    if build_config is not None and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        _expect_dict(build_config, f"The 'build_config' of {class_name}")
        try:
            obj.build_from_config(build_config)
        except ValueError:
            raise
        except _REBUILD_ERRORS as err:
            raise ValueError(f"Could not build {class_name} from its build_config {_short(build_config)}: "
                             f"{type(err).__name__}: {err}") from err
    return obj


# What a constructor or build given a config of the wrong types or shapes raises besides ValueError (a model
# config without its graph, for instance, builds a Model with no call: NotImplementedError).
_REBUILD_ERRORS = (TypeError, KeyError, AttributeError, IndexError, OverflowError, NotImplementedError)


@contextlib.contextmanager
def _custom_scope(custom_objects):
    if not custom_objects:
        yield
        return
    with CustomObjectScope(custom_objects):
        yield


def _from_config(cls, inner, custom_objects):
    params = inspect.signature(cls.from_config).parameters
    if "custom_objects" in params:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def resolve_class(config, custom_objects=None):
    """The class a config's `class_name` / `registered_name` / `module` names, from custom objects, the registry
    or kerasj's built-ins — never by importing the named module."""
    class_name = config.get("class_name")
    registered = config.get("registered_name")
    module = config.get("module")
    for key in (registered, class_name):
        if isinstance(key, str):
            found = get_registered_object(key, custom_objects)
            if found is not None:
                return found
    if isinstance(class_name, str) and not class_name.startswith("_"):
        for namespace in _candidate_modules(module):
            found = builtin(namespace, class_name)
            if inspect.isclass(found):
                return found
    where = f" (module {module!r})" if module else ""
    raise ValueError(
        f"Could not locate class '{class_name}'{where}. kerasj loads only its own classes and objects you "
        f"register: decorate the class with @kerasj.saving.register_keras_serializable(), or pass "
        f"custom_objects={{'{class_name}': {class_name}}} (to load_model, or via "
        "kerasj.saving.custom_object_scope).")


def _candidate_modules(module):
    """The Keras module names a record's `module` lets its class come from."""
    if module is None:  # an old-style record naming only the class: layers and models are what it can mean
        return ["keras.layers", "keras.models"]
    if not isinstance(module, str):
        return []
    candidates = [module]
    if module.startswith("keras.src.") and module.count(".") >= 2:
        # Keras writes some classes under their defining module (keras.src.layers.core.dense); the package
        # after "keras.src." names the namespace.
        candidates.append(f"keras.{module.split('.')[2]}")
    return candidates


def _function(config, custom_objects):
    name = config.get("config")
    if isinstance(name, str):
        found = get_registered_object(name, custom_objects)
        if found is not None:
            return found
    return deserialize_function(config, "deserialize_keras_object", custom_objects=custom_objects,
                                safe_mode=in_safe_mode())


def _tuple(config, inner, custom_objects, depth):
    value = _expect_dict(inner, "The config of a __tuple__").get("value")
    if not isinstance(value, list):
        raise ValueError(f"A __tuple__ needs a list 'value'; received {_short(value)}")
    return tuple(_deserialize(x, custom_objects, depth + 1) for x in value)


def _numpy(config, inner, custom_objects, depth):
    inner = _expect_dict(inner, "The config of a __numpy__ array")
    dtype = inner.get("dtype")
    if not isinstance(dtype, str):
        raise ValueError(f"A __numpy__ array needs a string 'dtype'; received {_short(dtype)}")
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise ValueError(f"A __numpy__ array has an unknown dtype {_short(inner.get('dtype'))}") from err
    if dtype.kind not in "biufc":
        raise ValueError(f"A __numpy__ array must hold numbers; received dtype {dtype}")
    try:
        return np.asarray(inner.get("value"), dtype=dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise ValueError(f"A __numpy__ array's 'value' is not an array of {dtype}: {err}") from err


def _tensor(config, inner, custom_objects, depth):
    return jnp.asarray(_numpy(config, inner, custom_objects, depth))


def serialize_value(value):
    """A number or array argument of a layer in its config form: scalars as plain numbers, arrays tagged."""
    if isinstance(value, (np.ndarray, np.generic)) or (hasattr(value, "__array__") and hasattr(value, "dtype")):
        if np.ndim(value) == 0:
            return np.asarray(value).item()
        return serialize_keras_object(value)
    return value


def deserialize_value(value):
    """The inverse of `serialize_value` (also reads Keras's `__numpy__` / `__tensor__` records)."""
    if isinstance(value, dict) and value.get("class_name") in ("__numpy__", "__tensor__"):
        return _deserialize(value, {}, 0)
    return value


def _bytes(config, inner, custom_objects, depth):
    value = _expect_dict(inner, "The config of __bytes__").get("value")
    if not isinstance(value, str):
        raise ValueError(f"__bytes__ needs a string 'value'; received {_short(value)}")
    return value.encode("utf-8")


def _slice(config, inner, custom_objects, depth):
    inner = _expect_dict(inner, "The config of a __slice__")
    parts = [inner.get(k) for k in ("start", "stop", "step")]
    if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
        raise ValueError(f"A __slice__ needs integer or null bounds; received {_short(inner)}")
    return slice(*parts)


def _ellipsis(config, inner, custom_objects, depth):
    return Ellipsis


def _lambda(config, inner, custom_objects, depth):
    return deserialize_function(config, "deserialize_keras_object", custom_objects=custom_objects,
                                safe_mode=in_safe_mode())


def _keras_tensor(config, inner, custom_objects, depth):
    raise ValueError("A __keras_tensor__ can only appear in the inbound nodes of a functional model's config.")


_SPECIAL = {"__tuple__": _tuple, "__numpy__": _numpy, "__tensor__": _tensor, "__bytes__": _bytes, "__slice__": _slice,
            "__ellipsis__": _ellipsis, "__lambda__": _lambda, "__keras_tensor__": _keras_tensor}
