"""Custom objects: which user classes and functions a saved config may refer to.

A config names classes by string. Loading resolves a name only from what the program registered or passed in —
never by importing a module named in the file — so loading a file runs no code the program did not already have.

    >>> @kerasj.saving.register_keras_serializable(package="my_package")
    ... class Linear(kerasj.layers.Layer):
    ...     ...
    >>> kerasj.saving.get_registered_name(Linear)
    'my_package>Linear'
    >>> with kerasj.saving.custom_object_scope({"Linear": Linear}):
    ...     model = kerasj.models.load_model("model.keras")
"""
import inspect
import threading

# "package>name" -> class or function, filled by register_keras_serializable.
_GLOBAL_CUSTOM_OBJECTS = {}
# class or function -> "package>name".
_GLOBAL_CUSTOM_NAMES = {}
_local = threading.local()


def _scope_stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def register_keras_serializable(package="Custom", name=None):
    """Class or function decorator registering the object as `"package>name"` for saving and loading.

    Args:
        package: a namespace for the registered name (default "Custom").
        name: the name to register under (default the class or function name).

    Example:
        >>> @register_keras_serializable(package="demo")
        ... def scaled_relu(x):
        ...     return 2 * jax.nn.relu(x)
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: `package` must be a string without '>'; received "
                         f"{package!r}")

    def decorator(obj):
        key_name = name if name is not None else getattr(obj, "__name__", None)
        if not isinstance(key_name, str) or not key_name:
            raise ValueError(f"register_keras_serializable: cannot find a name for {obj!r}; pass name=...")
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"register_keras_serializable: class {obj.__name__} must define get_config() so it "
                             "can be saved.")
        registered = f"{package}>{key_name}"
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


def get_registered_name(obj):
    """The name `obj` is saved under: `"package>name"` if registered, else its class or function name."""
    key = obj if (inspect.isclass(obj) or inspect.isfunction(obj)) else type(obj)
    if key in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[key]
    return getattr(key, "__name__", str(key))


def get_custom_objects():
    """The global dict of registered objects (`"package>name"` -> object); may be edited directly."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Within the `with` block, the given `{name: object}` dicts resolve names while loading.

        >>> with CustomObjectScope({"Linear": Linear}):
        ...     layer = kerasj.layers.deserialize(config)
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for mapping in custom_objects:
            if mapping is None:
                continue
            if not isinstance(mapping, dict):
                raise TypeError(f"custom_object_scope: expected dicts of {{name: object}}; received "
                                f"{type(mapping).__name__}")
            self.custom_objects.update(mapping)

    def __enter__(self):
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scope_stack().pop()
        return False


custom_object_scope = CustomObjectScope


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Look `name` up in `custom_objects`, the open custom object scopes, the registry, then `module_objects`."""
    for mapping in [custom_objects or {}] + list(reversed(_scope_stack())) + [_GLOBAL_CUSTOM_OBJECTS,
                                                                             module_objects or {}]:
        if name in mapping:
            return mapping[name]
    return None
