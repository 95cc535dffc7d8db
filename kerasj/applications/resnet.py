"""ResNet50, ResNet101 and ResNet152 (He et al., "Deep Residual Learning for Image Recognition", 2015), as
`keras.applications.resnet`; the builder and blocks are shared with `resnet_v2`.

    >>> model = kerasj.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10)
"""
from kerasj import config
from kerasj.applications import imagenet_utils
from kerasj.layers import Activation, Add, BatchNormalization, Conv2D, Dense, MaxPooling2D, ZeroPadding2D
from kerasj.models import Functional

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# (with the classifier, without it): the md5 digests Keras checks its files against.
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPS = 1.001e-5


def _bn(name):
    return BatchNormalization(axis=imagenet_utils.channel_axis(), epsilon=_EPS, name=name)


def weight_files(weights_name, include_top):
    """(file name, URL, md5) of Keras's ImageNet weights of `weights_name` ("resnet50", "resnet50v2", ...)."""
    fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return fname, BASE_WEIGHTS_PATH + fname, WEIGHTS_HASHES[weights_name][0 if include_top else 1]


def build_resnet(stack_fn, preact, use_bias, weights_name, include_top, weights, input_tensor, input_shape,
                 pooling, classes, classifier_activation, name):
    """The ResNet stem (7x7/2 convolution, 3x3/2 max pooling), `stack_fn`'s residual stages, and the head.
    `preact` (v2) moves the stem's BatchNormalization + ReLU after the stages."""
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _bn("post_bn")(x)
        x = Activation("relu", name="post_relu")(x)
    if include_top:
        x = imagenet_utils.global_pool(x, "avg", avg_name="avg_pool")
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    files = weight_files(weights_name, include_top) if weights == "imagenet" else None
    return imagenet_utils.load_model_weights(model, weights, files)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """The bottleneck block of ResNet v1: 1x1 (strided), kxk, 1x1 (4 x filters) convolutions, each followed by
    BatchNormalization, added to the shortcut (a 1x1 projection when `conv_shortcut`), then ReLU."""
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _bn(f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(f"{name}_3_bn")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """`blocks` v1 blocks; the first projects the shortcut and strides by `stride1`."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """The pre-activation bottleneck block of ResNet v2: BatchNormalization + ReLU first, then 1x1, kxk
    (strided), 1x1 convolutions added to the shortcut (a 1x1 projection, or a strided subsampling)."""
    preact = _bn(f"{name}_preact_bn")(x)
    preact = Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _bn(f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """`blocks` v2 blocks; the first projects the shortcut, the last strides by `stride1`."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v1(blocks_per_stage, weights_name, **kwargs):
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, blocks_per_stage[0], stride1=1, name="conv2")
        for stage, (filters, blocks) in enumerate(zip((128, 256, 512), blocks_per_stage[1:]), start=3):
            x = stack_residual_blocks_v1(x, filters, blocks, name=f"conv{stage}")
        return x
    return build_resnet(stack_fn, preact=False, use_bias=True, weights_name=weights_name, **kwargs)


_ARGS_DOC = """
    Args:
        include_top: whether to end with global average pooling and the `predictions` layer.
        weights: None (random initialization), "imagenet", or the path of a weights file to load.
        input_tensor: optional tensor (the output of `kerasj.Input()`) to use as the image input.
        input_shape: `(height, width, channels)` (channels first when so configured), at least 32x32; with
            `include_top=True` and ImageNet weights it must be `(224, 224, 3)`.
        pooling: with `include_top=False`: None (4D output), "avg" or "max" (global pooling, 2D output).
        classes: number of classes, with `include_top=True` and no pretrained weights.
        classifier_activation: activation of the `predictions` layer (None gives logits).
        name: the model's name.
"""


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="resnet50"):
    """ResNet50: bottleneck stages of 3, 4, 6 and 3 blocks.

    Example:
        >>> model = ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
        >>> model.output_shape
        (None, 2048)
    """
    return _v1((3, 4, 6, 3), "resnet50", include_top=include_top, weights=weights, input_tensor=input_tensor,
               input_shape=input_shape, pooling=pooling, classes=classes,
               classifier_activation=classifier_activation, name=name)


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
              classes=1000, classifier_activation="softmax", name="resnet101"):
    """ResNet101: bottleneck stages of 3, 4, 23 and 3 blocks.

    Example:
        >>> model = ResNet101(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return _v1((3, 4, 23, 3), "resnet101", include_top=include_top, weights=weights, input_tensor=input_tensor,
               input_shape=input_shape, pooling=pooling, classes=classes,
               classifier_activation=classifier_activation, name=name)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
              classes=1000, classifier_activation="softmax", name="resnet152"):
    """ResNet152: bottleneck stages of 3, 8, 36 and 3 blocks.

    Example:
        >>> model = ResNet152(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return _v1((3, 8, 36, 3), "resnet152", include_top=include_top, weights=weights, input_tensor=input_tensor,
               input_shape=input_shape, pooling=pooling, classes=classes,
               classifier_activation=classifier_activation, name=name)


for _fn in (ResNet50, ResNet101, ResNet152):
    _fn.__doc__ = _fn.__doc__.replace("\n    Example:", _ARGS_DOC + "\n    Example:", 1)


def preprocess_input(x, data_format=None):
    """Caffe-style preprocessing (RGB to BGR, minus the ImageNet channel means): see
    `kerasj.applications.imagenet_utils.preprocess_input`.

    >>> x = preprocess_input(np.zeros((1, 224, 224, 3), "float32"))
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The top ImageNet classes of each prediction: see `kerasj.applications.imagenet_utils.decode_predictions`.

    >>> decode_predictions(model.predict(images), top=1)
    """
    return imagenet_utils.decode_predictions(preds, top=top)
