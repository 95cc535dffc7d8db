"""`keras.utils.legacy`: tf.keras 2's config format, the same functions as `kerasj.legacy.saving`.

    >>> kerasj.utils.legacy.serialize_keras_object(kerasj.activations.relu)
    'relu'
"""
from kerasj.legacy.saving import deserialize_keras_object, serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
