"""Layer (de)serialization in Keras's `{"module", "class_name", "config", "registered_name"}` form
(`kerasj.layers.serialize` / `kerasj.layers.deserialize`); see kerasj.saving.serialization_lib for the rules.

    >>> config = kerasj.layers.serialize(kerasj.layers.Dense(3))
    >>> layer = kerasj.layers.deserialize(config)
"""
from kerasj.ops.operation import Operation
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


def serialize_layer(layer):
    return serialize_keras_object(layer)


def deserialize_layer(config, custom_objects=None):
    """Rebuild a layer from `serialize_layer` output: built-in classes, registered classes and `custom_objects`
    resolve; anything else is a ValueError saying how to register it. The config of an op node of a functional
    graph (`x + y`; Keras module `keras.src.ops.numpy`) gives that op, so `clone_model` can copy graph nodes."""
    layer = deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=None)
    if not isinstance(layer, Operation):
        raise ValueError(f"Expected the config of a layer; it describes a {type(layer).__name__}.")
    return layer
