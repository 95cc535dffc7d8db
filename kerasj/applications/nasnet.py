"""NASNetMobile and NASNetLarge (Zoph et al., "Learning Transferable Architectures for Scalable Image
Recognition", 2017), as `keras.applications.nasnet`.

    >>> model = kerasj.applications.NASNetMobile(weights=None, input_shape=(32, 32, 3), classes=10)
"""
from kerasj import config
from kerasj.applications import imagenet_utils
from kerasj.applications.imagenet_utils import decode_predictions  # noqa: F401 (public here, as in Keras)
from kerasj.layers import (Activation, AveragePooling2D, BatchNormalization, Conv2D, Cropping2D, Dense,
                           GlobalAveragePooling2D, MaxPooling2D, SeparableConv2D, ZeroPadding2D, add, concatenate)
from kerasj.models import Functional
from kerasj.variables import name_scope

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
NASNET_MOBILE_WEIGHT_PATH = f"{BASE_WEIGHTS_PATH}NASNet-mobile.h5"
NASNET_MOBILE_WEIGHT_PATH_NO_TOP = f"{BASE_WEIGHTS_PATH}NASNet-mobile-no-top.h5"
NASNET_LARGE_WEIGHT_PATH = f"{BASE_WEIGHTS_PATH}NASNet-large.h5"
NASNET_LARGE_WEIGHT_PATH_NO_TOP = f"{BASE_WEIGHTS_PATH}NASNet-large-no-top.h5"
# default size -> {include_top: (file name, URL, md5)}
_FILES = {224: {True: ("nasnet_mobile.h5", NASNET_MOBILE_WEIGHT_PATH, "020fb642bf7360b370c678b08e0adf61"),
                False: ("nasnet_mobile_no_top.h5", NASNET_MOBILE_WEIGHT_PATH_NO_TOP,
                        "1ed92395b5b598bdda52abe5c0dbfd63")},
          331: {True: ("nasnet_large.h5", NASNET_LARGE_WEIGHT_PATH, "11577c9a518f0070763c2b964a382f17"),
                False: ("nasnet_large_no_top.h5", NASNET_LARGE_WEIGHT_PATH_NO_TOP,
                        "d81d89dc07e6e56530c4e77faddd61b5")}}
_BN = {"axis": -1, "momentum": 0.9997, "epsilon": 1e-3}


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96, skip_reduction=True,
           filter_multiplier=2, include_top=True, weights="imagenet", input_tensor=None, pooling=None, classes=1000,
           default_size=None, classifier_activation="softmax", name="NASNet"):
    """A NASNet-A network: a stem, then 3 x `num_blocks` normal cells with reduction cells between them."""
    if config.image_data_format() == "channels_first":
        raise ValueError("NASNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` with `kerasj.config.set_image_data_format('channels_last')`.")
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError("When specifying the input shape of a NASNet and loading `ImageNet` weights, the "
                         f"input_shape argument must be static (no None entries). Got: `input_shape={input_shape}`.")
    default_size = 331 if default_size is None else default_size
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    if penultimate_filters % (24 * (filter_multiplier**2)) != 0:
        raise ValueError("For NASNet-A models, the `penultimate_filters` must be a multiple of 24 * "
                         f"(`filter_multiplier` ** 2). Current value: {penultimate_filters}")
    if weights == "imagenet" and default_size not in _FILES:
        raise ValueError("ImageNet weights can only be loaded with NASNetLarge or NASNetMobile")
    filters = penultimate_filters // 24
    x = Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False, name="stem_conv1",
               kernel_initializer="he_normal")(img_input)
    x = BatchNormalization(name="stem_bn1", **_BN)(x)
    x, p = _reduction_a_cell(x, None, filters // (filter_multiplier**2), block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for stage in range(3):
        width = filters * filter_multiplier**stage
        if stage:
            x, p0 = _reduction_a_cell(x, p, width, block_id=f"reduce_{stage * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            block_id = f"{i}" if stage == 0 else f"{stage * num_blocks + i + 1}"
            x, p = _normal_a_cell(x, p, width, block_id=block_id)
    x = Activation("relu")(x)
    if include_top:
        x = GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    files = _FILES[default_size][include_top] if weights == "imagenet" else None
    return imagenet_utils.load_model_weights(model, weights, files)


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                 classes=1000, classifier_activation="softmax", name="nasnet_mobile"):
    """NASNet-A Mobile (4 @ 1056): default input 224x224 (also without the top), at least 32x32; inputs scaled
    to [-1, 1] by `preprocess_input`. The arguments are those of `kerasj.applications.ResNet50`.

    Example:
        >>> model = NASNetMobile(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
        >>> model.output_shape
        (None, 1056)
    """
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32, skip_reduction=False,
                  filter_multiplier=2, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=224, classifier_activation=classifier_activation,
                  name=name)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="nasnet_large"):
    """NASNet-A Large (6 @ 4032): default input 331x331, at least 32x32. The arguments are those of
    NASNetMobile.

    Example:
        >>> model = NASNetLarge(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96, skip_reduction=True,
                  filter_multiplier=2, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=331, classifier_activation=classifier_activation,
                  name=name)


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """ReLU, separable convolution (strided ones padded as TensorFlow's "same"), BN, ReLU, separable
    convolution, BN."""
    with name_scope(f"separable_conv_block_{block_id}"):
        x = Activation("relu")(ip)
        if strides == (2, 2):
            x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                              name=f"separable_conv_1_pad_{block_id}")(x)
        x = SeparableConv2D(filters, kernel_size, strides=strides, name=f"separable_conv_1_{block_id}",
                            padding="valid" if strides == (2, 2) else "same", use_bias=False)(x)
        x = BatchNormalization(name=f"separable_conv_1_bn_{block_id}", **_BN)(x)
        x = Activation("relu")(x)
        x = SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}", padding="same",
                            use_bias=False)(x)
        return BatchNormalization(name=f"separable_conv_2_bn_{block_id}", **_BN)(x)


def _adjust_block(p, ip, filters, block_id=None):
    """The previous cell's output `p` brought to the size (strided, two shifted halves) and width of `ip`."""
    with name_scope("adjust_block"):
        if p is None:
            return ip
        if p.shape[-2] != ip.shape[-2]:
            with name_scope(f"adjust_reduction_block_{block_id}"):
                p = Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
                p1 = AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}")(p)
                p1 = Conv2D(filters // 2, (1, 1), padding="same", use_bias=False, name=f"adjust_conv_1_{block_id}",
                            kernel_initializer="he_normal")(p1)
                p2 = ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
                p2 = Cropping2D(cropping=((1, 0), (1, 0)))(p2)
                p2 = AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_2_{block_id}")(p2)
                p2 = Conv2D(filters // 2, (1, 1), padding="same", use_bias=False, name=f"adjust_conv_2_{block_id}",
                            kernel_initializer="he_normal")(p2)
                p = concatenate([p1, p2], axis=-1)
                return BatchNormalization(name=f"adjust_bn_{block_id}", **_BN)(p)
        if p.shape[-1] != filters:
            with name_scope(f"adjust_projection_block_{block_id}"):
                p = Activation("relu")(p)
                p = Conv2D(filters, (1, 1), strides=(1, 1), padding="same", name=f"adjust_conv_projection_{block_id}",
                           use_bias=False, kernel_initializer="he_normal")(p)
                return BatchNormalization(name=f"adjust_bn_{block_id}", **_BN)(p)
        return p


def _cell_input(ip, kind, filters, block_id):
    h = Activation("relu")(ip)
    h = Conv2D(filters, (1, 1), strides=(1, 1), padding="same", name=f"{kind}_conv_1_{block_id}", use_bias=False,
               kernel_initializer="he_normal")(h)
    return BatchNormalization(name=f"{kind}_bn_1_{block_id}", **_BN)(h)


def _avg3(x, name, strides=(1, 1), padding="same"):
    return AveragePooling2D((3, 3), strides=strides, padding=padding, name=name)(x)


def _normal_a_cell(ip, p, filters, block_id=None):
    """The NASNet-A normal cell; returns (output, ip) so the next cell gets this cell's input as `p`."""
    with name_scope(f"normal_A_block_{block_id}"):
        p = _adjust_block(p, ip, filters, block_id)
        h = _cell_input(ip, "normal", filters, block_id)
        with name_scope("block_1"):
            x1 = add([_separable_conv_block(h, filters, kernel_size=(5, 5), block_id=f"normal_left1_{block_id}"),
                      _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")],
                     name=f"normal_add_1_{block_id}")
        with name_scope("block_2"):
            x2 = add([_separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
                      _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
                     name=f"normal_add_2_{block_id}")
        with name_scope("block_3"):
            x3 = add([_avg3(h, f"normal_left3_{block_id}"), p], name=f"normal_add_3_{block_id}")
        with name_scope("block_4"):
            x4 = add([_avg3(p, f"normal_left4_{block_id}"), _avg3(p, f"normal_right4_{block_id}")],
                     name=f"normal_add_4_{block_id}")
        with name_scope("block_5"):
            x5 = add([_separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}"), h],
                     name=f"normal_add_5_{block_id}")
        x = concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    """The NASNet-A reduction cell (halves the spatial size); returns (output, ip)."""
    with name_scope(f"reduction_A_block_{block_id}"):
        p = _adjust_block(p, ip, filters, block_id)
        h = _cell_input(ip, "reduction", filters, block_id)
        h3 = ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
        with name_scope("block_1"):
            x1 = add([_separable_conv_block(h, filters, (5, 5), strides=(2, 2),
                                            block_id=f"reduction_left1_{block_id}"),
                      _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                            block_id=f"reduction_right1_{block_id}")],
                     name=f"reduction_add_1_{block_id}")
        with name_scope("block_2"):
            x2_1 = MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_left2_{block_id}")(h3)
            x2 = add([x2_1, _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                                  block_id=f"reduction_right2_{block_id}")],
                     name=f"reduction_add_2_{block_id}")
        with name_scope("block_3"):
            x3_1 = _avg3(h3, f"reduction_left3_{block_id}", strides=(2, 2), padding="valid")
            x3 = add([x3_1, _separable_conv_block(p, filters, (5, 5), strides=(2, 2),
                                                  block_id=f"reduction_right3_{block_id}")],
                     name=f"reduction_add3_{block_id}")
        with name_scope("block_4"):
            x4 = add([x2, _avg3(x1, f"reduction_left4_{block_id}")])
        with name_scope("block_5"):
            x5_1 = _separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}")
            x5_2 = MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_right5_{block_id}")(h3)
            x5 = add([x5_1, x5_2], name=f"reduction_add4_{block_id}")
        x = concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


preprocess_input = imagenet_utils.preprocess_function("tf", "Scales pixels from [0, 255] to [-1, 1]")
