"""`keras.applications.resnet50`: ResNet50 and its preprocessing, the same objects as in `resnet`.

    >>> model = kerasj.applications.resnet50.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10)
"""
from kerasj.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
