"""kerasj's own classes and functions under the Keras module names that configs use ("keras.layers", ...).

Every public namespace registers what it defines when it is imported (`register_namespace`), so loading a
config resolves `{"module": "keras.layers", "class_name": "Dense"}` by looking it up here: saving imports no
namespace and no module named in a file. Since layers and models load on first use (see `kerasj/__init__.py`),
the top-level package installs a loader that imports them before the first lookup that needs them.

    >>> builtin("keras.layers", "Dense")
    <class 'kerasj.layers.core.Dense'>
    >>> keras_module_of(kerasj.layers.Dense)
    'keras.layers'
"""
import inspect

_by_module = {}  # Keras module name -> {public name: class or function}
_module_of = {}  # id(class or function) -> the Keras module it was first registered under
_loader = [None]  # imports every namespace that registers lazily (set by kerasj/__init__.py)


def register(keras_module, name, obj):
    """Make `obj` (a kerasj class or function) loadable as `name` in configs of `keras_module`."""
    _by_module.setdefault(keras_module, {})[name] = obj
    _module_of.setdefault(id(obj), keras_module)


def register_namespace(keras_module, namespace, origins=("kerasj.",)):
    """Register every public class and function among `namespace`'s values (a module's `globals()`) that is
    defined in a module starting with one of `origins` (kerasj's own, by default), under its name there."""
    for name, obj in list(namespace.items()):
        if name.startswith("_") or not (inspect.isclass(obj) or inspect.isroutine(obj) or callable(obj)):
            continue
        if inspect.ismodule(obj):
            continue
        if (getattr(obj, "__module__", None) or "").startswith(origins):
            register(keras_module, name, obj)


def set_loader(load_all):
    """`load_all()` imports the namespaces that are not imported with the package."""
    _loader[0] = load_all


def _load_all():
    load_all, _loader[0] = _loader[0], None
    if load_all is not None:
        load_all()


def builtin(keras_module, name):
    """The kerasj class or function registered as `name` under `keras_module`, or None."""
    found = _by_module.get(keras_module, {}).get(name)
    if found is None and _loader[0] is not None:
        _load_all()
        found = _by_module.get(keras_module, {}).get(name)
    return found


def builtins_of(keras_module):
    """`{name: object}` registered under `keras_module` (after loading every namespace)."""
    _load_all()
    return dict(_by_module.get(keras_module, {}))


def keras_module_of(obj):
    """The Keras module name `obj` (a class or function) was registered under, or None."""
    module = _module_of.get(id(obj))
    if module is None and _loader[0] is not None:
        _load_all()
        module = _module_of.get(id(obj))
    return module
