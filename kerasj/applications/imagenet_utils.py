"""What the ImageNet models share: `preprocess_input` (modes "caffe", "tf", "torch"), `decode_predictions`, and
the helpers every model function uses (input shape, classifier head, fetching and loading weight files).

    >>> x = np.random.uniform(0, 255, (1, 224, 224, 3)).astype("float32")
    >>> x = kerasj.applications.imagenet_utils.preprocess_input(x, mode="torch")
    >>> kerasj.applications.imagenet_utils.decode_predictions(np.eye(1000)[[7]], top=1)
    [[('n01514859', 'cock', 1.0)]]
"""
import json
import os
import warnings

import numpy as np

from kerasj import activations, config, ops
from kerasj.applications.legacy_h5 import load_legacy_weights
from kerasj.layers import GlobalAveragePooling2D, GlobalMaxPooling2D, Input
from kerasj.ops.keras_tensor_utils import get_source_inputs, is_keras_tensor
from kerasj.utils import file_utils

CLASS_INDEX = None
CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
_CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

# The statistics each mode normalizes with: (mean, std) per channel, in the channel order after conversion.
_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR
_TORCH_MEAN, _TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _check_data_format(data_format):
    data_format = config.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("preprocess_input: `data_format` must be 'channels_first' or 'channels_last'. "
                         f"Received: data_format={data_format}")
    return data_format


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of RGB images with values in [0, 255] the way an ImageNet model was trained to see them.

    Args:
        x: a 3D or 4D numpy array or tensor (symbolic tensors too) with 3 color channels.
        data_format: "channels_last" or "channels_first"; default `kerasj.config.image_data_format()`.
        mode: "caffe": RGB to BGR, then subtract the ImageNet mean of each channel (no scaling);
            "tf": scale to [-1, 1]; "torch": scale to [0, 1], then normalize each channel with the ImageNet
            mean and standard deviation.

    Returns:
        A float array (numpy in, numpy out) of the same shape. Unlike Keras, a numpy input is never
        overwritten.

    Example:
        >>> preprocess_input(np.full((1, 2, 2, 3), 255.0), mode="tf")[0, 0, 0]
        array([1., 1., 1.])
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError("preprocess_input: `mode` must be one of 'caffe', 'tf' or 'torch'. "
                         f"Received: mode={mode}")
    data_format = _check_data_format(data_format)
    xp = np if isinstance(x, np.ndarray) else ops
    if not _is_float(x):
        x = xp.asarray(x, dtype=config.floatx()) if xp is np else ops.cast(x, config.floatx())
    if mode == "tf":
        return x / 127.5 - 1.0
    channel_axis = -1 if data_format == "channels_last" else (0 if len(x.shape) == 3 else 1)
    if mode == "torch":
        x, mean, std = x / 255.0, _TORCH_MEAN, _TORCH_STD
    else:
        x, mean, std = xp.flip(x, axis=channel_axis), _CAFFE_MEAN, None
    shape = [1] * len(x.shape)
    shape[channel_axis] = 3
    x = x - np.reshape(np.asarray(mean, dtype=_dtype_of(x)), shape)
    if std is not None:
        x = x / np.reshape(np.asarray(std, dtype=_dtype_of(x)), shape)
    return x


def _dtype_of(x):
    return np.dtype(str(getattr(x.dtype, "name", x.dtype)))


def _is_float(x):
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.issubdtype(_dtype_of(x), np.floating)


def _class_index():
    global CLASS_INDEX
    if CLASS_INDEX is None:
        path = file_utils.get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                                   file_hash=_CLASS_INDEX_HASH)
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    return CLASS_INDEX


def decode_predictions(preds, top=5):
    """The `top` most likely ImageNet classes of each prediction, as `(class_name, description, score)` tuples,
    highest score first. The class index (`imagenet_class_index.json`) is fetched once into the cache.

    Args:
        preds: an array of shape `(samples, 1000)`.
        top: how many classes to return per sample.

    Example:
        >>> decode_predictions(model.predict(images), top=3)[0]
        [('n02123045', 'tabby', 0.62), ('n02124075', 'Egyptian_cat', 0.21), ('n02123159', 'tiger_cat', 0.1)]
    """
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Received array with shape: {tuple(preds.shape)}")
    index = _class_index()
    results = []
    for pred in np.asarray(preds):
        best = pred.argsort()[-top:][::-1]
        result = [tuple(index[str(i)]) + (pred[i],) for i in best]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The model's input shape: `input_shape` checked (3 channels for ImageNet weights, at least `min_size`
    pixels a side), or the default one (`default_size` square when a classifier needs a fixed size, else
    `(None, None, 3)`). `require_flatten` (include_top) with ImageNet weights requires the default shape.

    >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
    (None, None, 3)
    """
    channels_last = data_format != "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[-1] if channels_last else input_shape[0]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {channels} input channels.", stacklevel=3)
        default_shape = (default_size, default_size, channels) if channels_last else \
            (channels, default_size, default_size)
    else:
        default_shape = (default_size, default_size, 3) if channels_last else (3, default_size, default_size)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                             f"should be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be a tuple of three integers. Received: input_shape={input_shape}")
        channels, size = (input_shape[-1], input_shape[:2]) if channels_last else (input_shape[0], input_shape[1:])
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(s is not None and s < min_size for s in size):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (None, None, 3) if channels_last else (3, None, None)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ZeroPadding2D padding that makes a strided "valid" convolution of `kernel_size` centre as "same"
    padding does in TensorFlow: ((top, bottom), (left, right))."""
    axis = 2 if config.image_data_format() == "channels_first" else 1
    size = inputs.shape[axis:axis + 2]
    kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return (half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1])


def validate_activation(classifier_activation, weights):
    """Pretrained classifiers were trained with softmax: only None or "softmax" may replace it."""
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in (activations.get("softmax"), activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         "argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


# -- what every model function does -------------------------------------------------------------------------
def channel_axis():
    """The axis BatchNormalization and Concatenate work on in 4D image tensors, for the configured format."""
    return 1 if config.image_data_format() == "channels_first" else 3


def check_weights_argument(weights, include_top, classes):
    """`weights` must be None, "imagenet" or an existing file; ImageNet classifiers have 1000 classes."""
    if not (weights in {"imagenet", None} or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.  Received: "
                         f"weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
                         f"Received: classes={classes}")


def image_input(input_tensor, input_shape):
    """The model's image tensor: a new Input of `input_shape`, or `input_tensor` (wrapped in an Input when it
    is an array rather than a symbolic tensor)."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        return Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def model_inputs(input_tensor, img_input):
    """What the Functional model takes: the Inputs `input_tensor` comes from, else the new Input."""
    return get_source_inputs(input_tensor) if input_tensor is not None else img_input


def global_pool(x, pooling, avg_name=None, max_name=None):
    """`x` pooled over space for `include_top=False`: "avg", "max", or left as it is for None."""
    if pooling == "avg":
        return GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=max_name)(x)
    return x


def load_model_weights(model, weights, files=None):
    """Load `weights` into `model`: "imagenet" fetches Keras's file `(fname, origin, file_hash)` from `files`
    into the cache (`cache_subdir="models"`); a path is loaded as it is; None leaves the initial weights.

    Files ending in `.weights.h5` are Keras 3 weight files; other `.h5` files are the tf.keras 2 files in which
    Keras publishes ImageNet weights (matched layer by layer in order, as Keras does).
    """
    if weights is None:
        return model
    if weights == "imagenet":
        fname, origin, file_hash = files
        try:
            weights = file_utils.get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
        except file_utils.DownloadError as err:
            # get_file's message names the URL and the exact path where the file can be put by hand.
            raise file_utils.DownloadError(f"{model.name}: the ImageNet weights are not available. {err} "
                                           "Alternatively pass `weights=<path to the file>`.") from err
    path = os.fspath(weights)
    if path.endswith(".h5") and not path.endswith(".weights.h5"):
        load_legacy_weights(model, path)
    else:
        model.load_weights(path)
    return model


def preprocess_function(mode, summary):
    """The `preprocess_input(x, data_format=None)` of a model family that preprocesses in `mode`."""
    def family_preprocess_input(x, data_format=None):
        return preprocess_input(x, data_format=data_format, mode=mode)
    family_preprocess_input.__name__ = family_preprocess_input.__qualname__ = "preprocess_input"
    family_preprocess_input.__doc__ = (
        f"{summary}: `kerasj.applications.imagenet_utils.preprocess_input` with mode={mode!r}.\n\n"
        "    >>> x = preprocess_input(np.zeros((1, 224, 224, 3), 'float32'))\n")
    return family_preprocess_input


def square_size(input_shape, sizes, default=224):
    """The side of `input_shape` when it is square and one of `sizes` (the sizes ImageNet weights exist for),
    else `default`."""
    if input_shape is None:
        return default
    rows, cols = (input_shape[1], input_shape[2]) if config.image_data_format() == "channels_first" else \
        (input_shape[0], input_shape[1])
    return rows if rows == cols and rows in sizes else default
