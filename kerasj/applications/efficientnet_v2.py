"""EfficientNetV2 B0-B3, S, M and L (Tan & Le, "EfficientNetV2: Smaller Models and Faster Training", 2021), as
`keras.applications.efficientnet_v2`. The models take pixels in [0, 255] (`include_preprocessing`).

    >>> model = kerasj.applications.EfficientNetV2B0(weights=None, input_shape=(32, 32, 3), classes=10)
"""
import copy
import math

from kerasj import config
from kerasj.applications import imagenet_utils
from kerasj.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER
from kerasj.applications.imagenet_utils import decode_predictions  # noqa: F401 (public here, as in Keras)
from kerasj.initializers import Constant
from kerasj.layers import (Activation, BatchNormalization, Conv2D, Dense, DepthwiseConv2D, Dropout,
                           GlobalAveragePooling2D, Normalization, Rescaling, Reshape, add, multiply)
from kerasj.models import Functional

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
_KEYS = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio", "strides",
         "conv_type")
_B_BLOCKS = ((3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
             (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0))
# conv_type 1 is the fused block (a single full convolution instead of 1x1 expansion + depthwise).
DEFAULT_BLOCKS_ARGS = {name: [dict(zip(_KEYS, values)) for values in table] for name, table in {
    "efficientnetv2-s": ((3, 2, 24, 24, 1, 0.0, 1, 1), (3, 4, 24, 48, 4, 0.0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
                         (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0),
                         (3, 15, 160, 256, 6, 0.25, 2, 0)),
    "efficientnetv2-m": ((3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
                         (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0),
                         (3, 18, 176, 304, 6, 0.25, 2, 0), (3, 5, 304, 512, 6, 0.25, 1, 0)),
    "efficientnetv2-l": ((3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
                         (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0),
                         (3, 25, 224, 384, 6, 0.25, 2, 0), (3, 7, 384, 640, 6, 0.25, 1, 0)),
    **{f"efficientnetv2-b{i}": _B_BLOCKS for i in range(4)}}.items()}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """`filters` scaled by `width_coefficient`, rounded to a multiple of `depth_divisor` (at least min_depth)."""
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


def _se(x, input_filters, filters, se_ratio, activation, name, bn_axis):
    se = GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = Reshape((filters, 1, 1) if bn_axis == 1 else (1, 1, filters), name=f"{name}se_reshape")(se)
    se = Conv2D(max(1, int(input_filters * se_ratio)), 1, padding="same", activation=activation,
                kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce")(se)
    se = Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=CONV_KERNEL_INITIALIZER,
                name=f"{name}se_expand")(se)
    return multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name):
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            # As in Keras (and its ImageNet training), this value is the drop rate of the residual branch.
            x = Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = add([x, inputs], name=f"{name}add")
    return x


def _block(inputs, conv_type, input_filters, output_filters, expand_ratio, kernel_size, strides, se_ratio,
           bn_momentum, activation, survival_probability, name):
    """The MBConv block (conv_type 0: 1x1 expansion, depthwise convolution) or the fused one (1: one full
    convolution), then squeeze-and-excitation, a 1x1 projection and the residual connection."""
    bn_axis = imagenet_utils.channel_axis()
    fused = conv_type == 1
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = Conv2D(filters, kernel_size=kernel_size if fused else 1, strides=strides if fused else 1,
                   kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False,
                   name=f"{name}expand_conv")(x)
        x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
        x = Activation(activation, name=f"{name}expand_activation")(x)
    if not fused:
        x = DepthwiseConv2D(kernel_size=kernel_size, strides=strides, depthwise_initializer=CONV_KERNEL_INITIALIZER,
                            padding="same", use_bias=False, name=f"{name}dwconv2")(x)
        x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}bn")(x)
        x = Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _se(x, input_filters, filters, se_ratio, activation, name, bn_axis)
    project_full = fused and expand_ratio == 1  # the fused block without expansion convolves here
    x = Conv2D(output_filters, kernel_size=kernel_size if project_full else 1, strides=strides if project_full else 1,
               kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False,
               name=f"{name}project_conv")(x)
    x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
    if project_full:
        x = Activation(activation=activation, name=f"{name}project_activation")(x)
    return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                   depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None, variant=None):
    """An EfficientNetV2 scaled by `width_coefficient` and `depth_coefficient`. `variant` ("efficientnetv2-b0",
    ...) picks the default blocks and the preprocessing; Keras reads both from `name` instead (so that a
    custom name fails there), kerasj falls back to `name` when no variant is given."""
    variant = name if variant is None else variant
    blocks_args = DEFAULT_BLOCKS_ARGS[variant] if blocks_args == "default" else blocks_args
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    bn_axis = imagenet_utils.channel_axis()
    x = img_input
    if include_preprocessing:
        if variant.split("-")[-1].startswith("b") and input_shape[bn_axis - 1] == 3:
            x = Rescaling(scale=1.0 / 255)(x)
            x = Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2], axis=bn_axis)(x)
        else:
            x = Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def filters_for(n):
        return round_filters(n, width_coefficient, min_depth, depth_divisor)

    x = Conv2D(filters_for(blocks_args[0]["input_filters"]), kernel_size=3, strides=2,
               kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False, name="stem_conv")(x)
    x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="stem_bn")(x)
    x = Activation(activation, name="stem_activation")(x)
    blocks_args = copy.deepcopy(blocks_args)
    total = float(sum(args["num_repeat"] for args in blocks_args))
    b = 0
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError("The number of repeats in `EfficientNetV2` must be > 0. "
                             f"Received: num_repeat={args['num_repeat']}")
        args["input_filters"] = filters_for(args["input_filters"])
        args["output_filters"] = filters_for(args["output_filters"])
        conv_type = args.pop("conv_type")
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:
                args["strides"], args["input_filters"] = 1, args["output_filters"]
            x = _block(x, conv_type, activation=activation, bn_momentum=bn_momentum,
                       survival_probability=drop_connect_rate * b / total, name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1
    x = Conv2D(filters_for(1280), kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
               padding="same", use_bias=False, name="top_conv")(x)
    x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="top_bn")(x)
    x = Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                  bias_initializer=Constant(0.0), name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    files = None
    if weights == "imagenet":
        fname = variant + (".h5" if include_top else "_notop.h5")
        files = (fname, BASE_WEIGHTS_PATH + fname, WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return imagenet_utils.load_model_weights(model, weights, files)


# function name -> (variant, weights key, width, depth, default size)
_VARIANTS = {"EfficientNetV2B0": ("efficientnetv2-b0", "b0", 1.0, 1.0, 224),
             "EfficientNetV2B1": ("efficientnetv2-b1", "b1", 1.0, 1.1, 240),
             "EfficientNetV2B2": ("efficientnetv2-b2", "b2", 1.1, 1.2, 260),
             "EfficientNetV2B3": ("efficientnetv2-b3", "b3", 1.2, 1.4, 300),
             "EfficientNetV2S": ("efficientnetv2-s", "-s", 1.0, 1.0, 384),
             "EfficientNetV2M": ("efficientnetv2-m", "-m", 1.0, 1.0, 480),
             "EfficientNetV2L": ("efficientnetv2-l", "-l", 1.0, 1.0, 480)}


def _variant(fn_name):
    variant, key, width, depth, size = _VARIANTS[fn_name]

    def model_fn(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                 classes=1000, classifier_activation="softmax", include_preprocessing=True, name=variant):
        return EfficientNetV2(width_coefficient=width, depth_coefficient=depth, default_size=size, name=name,
                              include_top=include_top, weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=key, variant=variant)
    model_fn.__name__ = model_fn.__qualname__ = fn_name
    model_fn.__doc__ = f"""{fn_name}: default input {size}x{size}.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation: as in
            `kerasj.applications.EfficientNetB0` (inputs are pixels in [0, 255]).
        include_preprocessing: whether the model rescales and normalizes its inputs itself.
        name: the model's name.

    Example:
        >>> model = {fn_name}(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return model_fn


EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2, EfficientNetV2B3, EfficientNetV2S, EfficientNetV2M, \
    EfficientNetV2L = (_variant(fn_name) for fn_name in _VARIANTS)


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: EfficientNetV2 models preprocess their inputs themselves. Kept for compatibility.

    >>> preprocess_input(images) is images
    True
    """
    return x
