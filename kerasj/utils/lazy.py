"""Package attributes that load on first use (PEP 562 module `__getattr__`), so importing a package does not
import what sits on a higher floor (kerasj's layers and models, saving's file formats).

    >>> __getattr__, __dir__ = lazy_attributes("kerasj.saving", globals(),
    ...                                        {"load_model": "kerasj.saving.keras_archive"})
"""
import importlib


def lazy_attributes(package, namespace, names, submodules=()):
    """`(__getattr__, __dir__)` for the package `package` whose module globals are `namespace`: each of
    `names` (`{attribute: module defining it}`) and each of `submodules` (imported as `package.<name>`) is
    imported when first read, then kept in `namespace`."""
    names, submodules = dict(names), tuple(submodules)

    def __getattr__(name):
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(names) | set(submodules))

    return __getattr__, __dir__
