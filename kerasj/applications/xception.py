"""Xception (Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", 2017), as
`keras.applications.xception`.

    >>> model = kerasj.applications.Xception(weights=None, input_shape=(71, 71, 3), classes=10)
"""
from kerasj import config
from kerasj.applications import imagenet_utils
from kerasj.applications.imagenet_utils import decode_predictions  # noqa: F401 (public here, as in Keras)
from kerasj.layers import Activation, BatchNormalization, Conv2D, Dense, MaxPooling2D, SeparableConv2D, add
from kerasj.models import Functional

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS_PATH = _BASE + "xception_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
_FILES = {True: ("xception_weights_tf_dim_ordering_tf_kernels.h5", WEIGHTS_PATH, "0a58e3b7378bc2990ea3b43d5981f1f6"),
          False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", WEIGHTS_PATH_NO_TOP,
                  "b0042744bf5b25fce3cb969f33bebb97")}


def _sepconv_bn(x, filters, name, axis, relu_first=True, relu_name=None):
    if relu_first:
        x = Activation("relu", name=relu_name)(x)
    x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return BatchNormalization(axis=axis, name=f"{name}_bn")(x)


def _entry_block(x, filters, block, axis, first_relu=True):
    """Two separable convolutions and a strided max pooling, added to a strided 1x1 projection of `x`."""
    residual = Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = BatchNormalization(axis=axis)(residual)
    x = _sepconv_bn(x, filters[0], f"block{block}_sepconv1", axis, first_relu, f"block{block}_sepconv1_act")
    x = _sepconv_bn(x, filters[1], f"block{block}_sepconv2", axis, relu_name=f"block{block}_sepconv2_act")
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="xception"):
    """Xception: entry, middle (8 blocks) and exit flows of depthwise separable convolutions; default input
    299x299, at least 71x71; inputs scaled to [-1, 1] by `preprocess_input`. The arguments are those of
    `kerasj.applications.ResNet50`.

    Example:
        >>> model = Xception(weights=None, include_top=False, pooling="avg", input_shape=(96, 96, 3))
        >>> model.output_shape
        (None, 2048)
    """
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=71,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 1 if config.image_data_format() == "channels_first" else -1
    x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    x = _entry_block(x, (128, 128), 2, axis, first_relu=False)
    x = _entry_block(x, (256, 256), 3, axis)
    x = _entry_block(x, (728, 728), 4, axis)
    for i in range(5, 13):
        residual = x
        for j in (1, 2, 3):
            x = _sepconv_bn(x, 728, f"block{i}_sepconv{j}", axis, relu_name=f"block{i}_sepconv{j}_act")
        x = add([x, residual])
    x = _entry_block(x, (728, 1024), 13, axis)
    x = SeparableConv2D(1536, (3, 3), padding="same", use_bias=False, name="block14_sepconv1")(x)
    x = BatchNormalization(axis=axis, name="block14_sepconv1_bn")(x)
    x = Activation("relu", name="block14_sepconv1_act")(x)
    x = SeparableConv2D(2048, (3, 3), padding="same", use_bias=False, name="block14_sepconv2")(x)
    x = BatchNormalization(axis=axis, name="block14_sepconv2_bn")(x)
    x = Activation("relu", name="block14_sepconv2_act")(x)
    if include_top:
        x = imagenet_utils.global_pool(x, "avg", avg_name="avg_pool")
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    return imagenet_utils.load_model_weights(model, weights, _FILES[include_top])


preprocess_input = imagenet_utils.preprocess_function("tf", "Scales pixels from [0, 255] to [-1, 1]")
