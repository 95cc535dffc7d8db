"""Saving and loading, in Keras 3's formats: whole models in `.keras` archives (`save_model` / `load_model`,
also `model.save` and `kerasj.models.load_model`), weights in `.weights.h5` files (`save_weights` /
`load_weights`; `KerasFileEditor` inspects and edits both kinds of file), and configs (`serialize_keras_object`
/ `deserialize_keras_object`) with the registry of custom objects (`register_keras_serializable`,
`custom_object_scope`).

    >>> model.save("model.keras")
    >>> same = kerasj.saving.load_model("model.keras")
"""
from kerasj.utils.lazy import lazy_attributes as _lazy_attributes

from kerasj.saving.object_registration import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                               get_registered_name, get_registered_object,
                                               register_keras_serializable)
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

# The file formats build and read models, so they load on first use: configs (the modules above) are needed by
# the floors below models, which must not import models by importing this package.
_FILE_FORMATS = {"load_model": "kerasj.saving.keras_archive", "save_model": "kerasj.saving.keras_archive",
                 "load_weights": "kerasj.saving.weights_io", "save_weights": "kerasj.saving.weights_io",
                 "KerasFileEditor": "kerasj.saving.file_editor"}

__all__ = ["CustomObjectScope", "KerasFileEditor", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object", "load_model", "load_weights",
           "register_keras_serializable", "save_model", "save_weights", "serialize_keras_object"]


__getattr__, __dir__ = _lazy_attributes("kerasj.saving", globals(), _FILE_FORMATS)
