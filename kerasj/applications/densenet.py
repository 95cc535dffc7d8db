"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., "Densely Connected Convolutional Networks", 2017), as
`keras.applications.densenet`.

    >>> model = kerasj.applications.DenseNet121(weights=None, input_shape=(32, 32, 3), classes=10)
"""
from kerasj import config
from kerasj.applications import imagenet_utils
from kerasj.applications.imagenet_utils import decode_predictions  # noqa: F401 (public here, as in Keras)
from kerasj.layers import (Activation, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Dense,
                           MaxPooling2D, ZeroPadding2D)
from kerasj.models import Functional

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# Blocks per dense stage -> (weights name, md5 with the classifier, md5 without it).
_WEIGHTS = {(6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
            (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
            (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1")}
_EPS = 1.001e-5


def _bn(name):
    return BatchNormalization(axis=imagenet_utils.channel_axis(), epsilon=_EPS, name=name)


def conv_block(x, growth_rate, name):
    """BN-ReLU-1x1 conv (4 x growth_rate), BN-ReLU-3x3 conv (growth_rate), concatenated to `x`."""
    y = _bn(f"{name}_0_bn")(x)
    y = Activation("relu", name=f"{name}_0_relu")(y)
    y = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _bn(f"{name}_1_bn")(y)
    y = Activation("relu", name=f"{name}_1_relu")(y)
    y = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return Concatenate(axis=imagenet_utils.channel_axis(), name=f"{name}_concat")([x, y])


def dense_block(x, blocks, name):
    """`blocks` conv blocks of growth rate 32."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU, a 1x1 convolution keeping `reduction` of the channels, and 2x2 average pooling."""
    x = _bn(f"{name}_bn")(x)
    x = Activation("relu", name=f"{name}_relu")(x)
    x = Conv2D(int(x.shape[imagenet_utils.channel_axis()] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="densenet"):
    """A DenseNet with `blocks[i]` conv blocks in dense stage i (see DenseNet121)."""
    if config.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` with `kerasj.config.set_image_data_format('channels_last')`.")
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn("conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = _bn("bn")(x)
    x = Activation("relu", name="relu")(x)
    if include_top:
        x = imagenet_utils.global_pool(x, "avg", avg_name="avg_pool")
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    files = None
    if weights == "imagenet":
        if tuple(blocks) not in _WEIGHTS:
            raise ValueError(f"{name}: Keras publishes ImageNet weights only for the blocks of DenseNet121, 169 "
                             f"and 201; received blocks={blocks}")
        weights_name, top_hash, notop_hash = _WEIGHTS[tuple(blocks)]
        fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        files = (fname, BASE_WEIGHTS_PATH + fname, top_hash if include_top else notop_hash)
    return imagenet_utils.load_model_weights(model, weights, files)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet121"):
    """DenseNet121: dense stages of 6, 12, 24 and 16 blocks (growth rate 32), inputs preprocessed "torch"-style.
    The arguments are those of `kerasj.applications.ResNet50`.

    Example:
        >>> model = DenseNet121(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
        >>> model.output_shape
        (None, 1024)
    """
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet169"):
    """DenseNet169: dense stages of 6, 12, 32 and 32 blocks. The arguments are those of DenseNet121.

    Example:
        >>> model = DenseNet169(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet201"):
    """DenseNet201: dense stages of 6, 12, 48 and 32 blocks. The arguments are those of DenseNet121.

    Example:
        >>> model = DenseNet201(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


preprocess_input = imagenet_utils.preprocess_function(
    "torch", "Scales pixels to [0, 1], then normalizes each channel with the ImageNet mean and deviation")
