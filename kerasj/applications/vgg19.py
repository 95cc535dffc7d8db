"""VGG19 (Simonyan & Zisserman, 2014), as `keras.applications.vgg19`: VGG16 with 16 convolutions.

    >>> model = kerasj.applications.VGG19(weights=None, input_shape=(32, 32, 3), classes=10)
"""
from kerasj.applications.vgg16 import build_vgg, decode_predictions, preprocess_input  # noqa: F401 (public here too)

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
WEIGHTS_PATH = _BASE + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
_FILES = {True: ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", WEIGHTS_PATH, "cbe5617147190e668d6c5d5026f83318"),
          False: ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", WEIGHTS_PATH_NO_TOP,
                  "253f8cb515780f3b799900260a226db6")}


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """The VGG19 model: 16 convolutions in 5 blocks, then (with `include_top`) 3 dense layers. The arguments
    are those of `kerasj.applications.VGG16`.

    Example:
        >>> model = VGG19(weights=None, include_top=False, pooling="max", input_shape=(32, 32, 3))
        >>> model.output_shape
        (None, 512)
    """
    return build_vgg((2, 2, 4, 4, 4), _FILES, include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)
