"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., "Identity Mappings in Deep Residual Networks", 2016), as
`keras.applications.resnet_v2`: pre-activation blocks, inputs scaled to [-1, 1].

    >>> model = kerasj.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3), classes=10)
"""
from kerasj.applications import imagenet_utils
from kerasj.applications.resnet import _ARGS_DOC, build_resnet, decode_predictions, stack_residual_blocks_v2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "decode_predictions", "preprocess_input"]


def _v2(blocks_per_stage, weights_name, **kwargs):
    def stack_fn(x):
        for stage, (filters, blocks) in enumerate(zip((64, 128, 256), blocks_per_stage[:3]), start=2):
            x = stack_residual_blocks_v2(x, filters, blocks, name=f"conv{stage}")
        return stack_residual_blocks_v2(x, 512, blocks_per_stage[3], stride1=1, name="conv5")
    return build_resnet(stack_fn, preact=True, use_bias=True, weights_name=weights_name, **kwargs)


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
               classes=1000, classifier_activation="softmax", name="resnet50v2"):
    """ResNet50V2: pre-activation stages of 3, 4, 6 and 3 blocks.

    Example:
        >>> model = ResNet50V2(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
        >>> model.output_shape
        (None, 2048)
    """
    return _v2((3, 4, 6, 3), "resnet50v2", include_top=include_top, weights=weights, input_tensor=input_tensor,
               input_shape=input_shape, pooling=pooling, classes=classes,
               classifier_activation=classifier_activation, name=name)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet101v2"):
    """ResNet101V2: pre-activation stages of 3, 4, 23 and 3 blocks.

    Example:
        >>> model = ResNet101V2(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return _v2((3, 4, 23, 3), "resnet101v2", include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
               classifier_activation=classifier_activation, name=name)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet152v2"):
    """ResNet152V2: pre-activation stages of 3, 8, 36 and 3 blocks.

    Example:
        >>> model = ResNet152V2(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return _v2((3, 8, 36, 3), "resnet152v2", include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
               classifier_activation=classifier_activation, name=name)


for _fn in (ResNet50V2, ResNet101V2, ResNet152V2):
    _fn.__doc__ = _fn.__doc__.replace("\n    Example:", _ARGS_DOC + "\n    Example:", 1)


def preprocess_input(x, data_format=None):
    """Scales pixels from [0, 255] to [-1, 1] ("tf" mode of `kerasj.applications.imagenet_utils.preprocess_input`).

    >>> float(preprocess_input(np.full((1, 1, 1, 3), 255.0))[0, 0, 0, 0])
    1.0
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
