"""VGG16 (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", 2014), as
`keras.applications.vgg16`; VGG19 shares the builder.

    >>> model = kerasj.applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=10)
"""
from kerasj import config
from kerasj.applications import imagenet_utils
from kerasj.layers import Conv2D, Dense, Flatten, MaxPooling2D
from kerasj.models import Functional

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
WEIGHTS_PATH = _BASE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
_FILES = {True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", WEIGHTS_PATH, "64373286793e3c8b2b4e3219cbf3544b"),
          False: ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", WEIGHTS_PATH_NO_TOP,
                  "6d6bbae143d832006294945121d1f1fc")}


def build_vgg(convs_per_block, files, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name):
    """A VGG network with `convs_per_block[i]` 3x3 convolutions in block i+1 (filters 64, 128, 256, 512, 512),
    each block ending in a 2x2 max pooling; the classifier is two 4096-unit layers and `predictions`."""
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = img_input
    for block, (count, filters) in enumerate(zip(convs_per_block, (64, 128, 256, 512, 512)), start=1):
        for i in range(1, count + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    return imagenet_utils.load_model_weights(model, weights, files[include_top])


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """The VGG16 model: 13 convolutions in 5 blocks, then (with `include_top`) 3 dense layers.

    Args:
        include_top: whether to end with the 3 fully connected layers (then the input must be of fixed size).
        weights: None (random initialization), "imagenet", or the path of a weights file to load.
        input_tensor: optional tensor (the output of `kerasj.Input()`) to use as the image input.
        input_shape: `(height, width, channels)` (channels first when so configured), at least 32x32; with
            `include_top=True` and ImageNet weights it must be `(224, 224, 3)`.
        pooling: with `include_top=False`: None (4D output), "avg" or "max" (global pooling, 2D output).
        classes: number of classes, with `include_top=True` and no pretrained weights.
        classifier_activation: activation of the `predictions` layer (None gives logits).
        name: the model's name.

    Example:
        >>> model = VGG16(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
        >>> model.output_shape
        (None, 512)
    """
    return build_vgg((2, 2, 3, 3, 3), _FILES, include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


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
