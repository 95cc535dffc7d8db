"""tf.keras 2's config format, as Keras 3 keeps it in `keras.legacy.saving` (also `keras.utils.legacy`).

An object is `{"class_name": name, "config": get_config()}`, without Keras 3's `module` and
`registered_name`. Values in the config that are objects themselves are serialized the same way and marked
`"__passive_serialization__": True`; functions are stored by name. Loading resolves names only from
`custom_objects`, open `custom_object_scope`s, registered objects and the `module_objects` the caller gives
(e.g. `vars(kerasj.layers)`), as in Keras: no module named in a config is imported.

    >>> config = serialize_keras_object(kerasj.layers.Dense(3))
    >>> sorted(config)
    ['class_name', 'config']
    >>> layer = deserialize_keras_object(config, module_objects={"Dense": kerasj.layers.Dense})

This module needs only the registry of custom objects, so `kerasj.utils` (a low floor) can re-export it.
"""
import inspect

from kerasj.saving.object_registration import (CustomObjectScope, get_custom_objects, get_registered_name,
                                               get_registered_object)

_PASSIVE = "__passive_serialization__"


def _name_of(obj):
    """The name a function or class is stored under: its registered "package>name", else its own name."""
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return get_registered_name(obj)
    return obj.__name__


def serialize_keras_object(instance):
    """`instance` in tf.keras 2's format: `{"class_name", "config"}` for objects with `get_config()`, the name
    for functions and classes, None for None.

    Args:
        instance: the object to describe.

    Raises:
        ValueError: `instance` has neither `get_config()` nor a name.

        >>> serialize_keras_object(kerasj.activations.relu)
        'relu'
    """
    instance = inspect.unwrap(instance)
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str):
                config[key] = item
                continue
            try:
                serialized = serialize_keras_object(item)
            except ValueError:  # a plain value (number, list, dict of them): kept as it is
                config[key] = item
                continue
            if isinstance(serialized, dict) and not isinstance(item, dict):
                serialized[_PASSIVE] = True
            config[key] = serialized
        return {"class_name": get_registered_name(type(instance)), "config": config}
    if hasattr(instance, "__name__"):
        return _name_of(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _lookup(name, module_objects, custom_objects):
    return get_registered_object(name, custom_objects, module_objects)


def _unknown(kind, name):
    return ValueError(f"Unknown {kind}: '{name}'. Please ensure you are using a `keras.utils.custom_object_scope` "
                      "and that this object is included in the scope (or pass it in `custom_objects` or "
                      "`module_objects`).")


def _class_and_config(config, module_objects, custom_objects, printable_module_name):
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"Improper config format for {config}. Expecting python dict contains `class_name` and "
                         "`config` as keys")
    class_name = config["class_name"]
    cls = _lookup(class_name, module_objects, custom_objects) if isinstance(class_name, str) else None
    if cls is None:
        raise _unknown(printable_module_name, class_name)
    inner = config["config"]
    if isinstance(inner, list):  # a tf.keras 2.0 Sequential: `config` is the list of its layers
        return cls, inner
    if not isinstance(inner, dict):
        raise ValueError(f"The 'config' of {class_name} must be a dict or a list; received {type(inner).__name__}.")
    inner = dict(inner)  # Keras edits the caller's dict in place; a copy leaves it as it was
    for key, item in inner.items():
        if key == "name":  # a name is text, even when it equals a registered function's name
            continue
        if isinstance(item, dict) and _PASSIVE in item:
            inner[key] = deserialize_keras_object(item, module_objects=module_objects, custom_objects=custom_objects,
                                                  printable_module_name="config_item")
        elif isinstance(item, str) and inspect.isfunction(_lookup(item, module_objects, custom_objects)):
            inner[key] = _lookup(item, module_objects, custom_objects)  # a function stored by its name
    return cls, inner


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None, printable_module_name="object"):
    """The object a tf.keras 2-style `identifier` describes.

    Args:
        identifier: a `{"class_name", "config"}` dict, a name (a class named so is instantiated without
            arguments; a function is returned), a function (returned as is), or None.
        module_objects: `{name: class or function}` of the built-in objects the names may mean, e.g.
            `vars(kerasj.layers)`; nothing is found by default.
        custom_objects: `{name: class or function}` of user-defined objects.
        printable_module_name: what the object is, for error messages ("layer", "loss", ...).

    Raises:
        ValueError: the identifier has the wrong form or names an object not found.

        >>> deserialize_keras_object("relu", module_objects=vars(kerasj.activations))
        <function relu at ...>
    """
    if identifier is None:
        return None
    custom_objects = custom_objects or {}
    if isinstance(identifier, dict):
        cls, inner = _class_and_config(identifier, module_objects, custom_objects, printable_module_name)
        if hasattr(cls, "from_config"):
            if "custom_objects" in inspect.signature(cls.from_config).parameters:
                return cls.from_config(inner, custom_objects={**get_custom_objects(), **custom_objects})
            with CustomObjectScope(custom_objects):
                return cls.from_config(inner)
        # A factory function: the config holds its keyword arguments.
        with CustomObjectScope(custom_objects):
            return cls(**inner)
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects)
        if obj is None:
            raise _unknown(printable_module_name, identifier)
        return obj() if inspect.isclass(obj) else obj
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
