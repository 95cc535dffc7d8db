"""`keras.legacy`: what Keras 3 keeps of tf.keras 2's APIs. Only the config format of `legacy.saving` applies
to kerasj (the other legacy pieces are TensorFlow's).

    >>> kerasj.legacy.saving.serialize_keras_object(kerasj.losses.MeanSquaredError())
    {'class_name': 'MeanSquaredError', 'config': {'name': 'mean_squared_error', 'reduction': 'sum_over_batch_size'}}
"""
from kerasj.legacy import saving

__all__ = ["saving"]
