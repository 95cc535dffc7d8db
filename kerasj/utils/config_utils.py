"""`Config`: a dict of settings that also reads and writes as attributes, can be frozen against changes, and
serializes to JSON (Keras 3's `keras.utils.Config`).

    >>> config = kerasj.utils.Config(learning_rate=0.1)
    >>> config.seed = 123
    >>> config["learning_rate"], config.seed
    (0.1, 123)
"""
import copy
import difflib
import json


class Config:
    """Settings with attribute and item access. `freeze()` makes every change raise until `unfreeze()`.

    >>> config = kerasj.utils.Config(optimizer="adam")
    >>> config.freeze()
    >>> config.optimizer = "sgd"
    Traceback (most recent call last):
    ValueError: Cannot mutate attribute(s) because the config is frozen.
    """

    # The names of the class's own attributes (methods, `_config`, ...), set once `__init__` has run: every
    # other attribute name is a config key.
    __attrs__ = None

    def __init__(self, **kwargs):
        self._config = kwargs
        self._frozen = False
        self.__attrs__ = set(dir(self))

    @property
    def frozen(self):
        return self._frozen

    def freeze(self):
        self._frozen = True

    def unfreeze(self):
        self._frozen = False

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        """A shallow copy of the settings as a plain dict."""
        return copy.copy(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            object.__setattr__(self, name, value)
            return
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        # Only called when normal lookup fails, i.e. for config keys.
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, config.keys(), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        yield from sorted(self._config)

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
