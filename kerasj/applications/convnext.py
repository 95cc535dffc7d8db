"""ConvNeXt Tiny, Small, Base, Large and XLarge (Liu et al., "A ConvNet for the 2020s", 2022), as
`keras.applications.convnext`. The models take pixels in [0, 255] (`include_preprocessing`).

    >>> model = kerasj.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), classes=10)
"""
import numpy as np

from kerasj import config, ops, random
from kerasj.applications import imagenet_utils
from kerasj.applications.imagenet_utils import decode_predictions  # noqa: F401 (public here, as in Keras)
from kerasj.initializers import Constant
from kerasj.layers import (Activation, Conv2D, Dense, GlobalAveragePooling2D, Layer, LayerNormalization,
                           Normalization)
from kerasj.models import Functional, Sequential

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# (sha256 with the classifier, sha256 without it)
WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}


class StochasticDepth(Layer):
    """Drops the whole residual branch of a sample with probability `drop_path_rate` in training (scaling the
    kept ones by 1 / (1 - rate)); the identity at inference.

    >>> StochasticDepth(0.1)(x, training=True)
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate
        # Its own seed state, so each compiled training step draws new masks.
        self.seed_generator = random.SeedGenerator()

    def call(self, x, training=None):
        if not training:
            return x
        keep_prob = 1 - self.drop_path_rate
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        mask = ops.floor(keep_prob + random.uniform(shape, 0, 1, seed=self.seed_generator))
        return (x / keep_prob) * mask

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(Layer):
    """Multiplies its input by a learned per-channel `gamma` (of size `projection_dim`, starting at
    `init_values`).

    >>> LayerScale(1e-6, 96)(x)
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, _):
        self.gamma = self.add_weight(shape=(self.projection_dim,), initializer=Constant(self.init_values),
                                     trainable=True)

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """A function applying one ConvNeXt block: 7x7 depthwise convolution, LayerNormalization, an MLP (4x, GELU),
    LayerScale, and the residual connection (through StochasticDepth when `drop_path_rate`)."""
    def apply(inputs):
        x = Conv2D(filters=projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                   name=f"{name}_depthwise_conv")(inputs)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = Activation("gelu", name=f"{name}_gelu")(x)
        x = Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth") if drop_path_rate else \
            Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)
    return apply


def _downsampling(name, i, filters):
    return Sequential([LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
                       Conv2D(filters, kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}")],
                      name=f"{name}_downsampling_block_{i}")


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=224,
             name="convnext", include_preprocessing=True, include_top=True, weights=None, input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax", weights_name=None):
    """A ConvNeXt with `depths[i]` blocks of width `projection_dims[i]` in stage i (see ConvNeXtTiny)."""
    if config.image_data_format() == "channels_first":
        raise ValueError("ConvNeXt does not support the `channels_first` image data format. Switch to "
                         "`channels_last` with `kerasj.config.set_image_data_format('channels_last')`.")
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    if weights == "imagenet":
        expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
            raise ValueError(f"Architecture configuration does not match {weights_name} variant: the ImageNet "
                             f"weights need depths {expected['depths']} and projection_dims "
                             f"{expected['projection_dims']}; received {depths} and {projection_dims}.")
        if weights_name not in name:
            raise ValueError(f'Model name "{name}" does not match weights variant "{weights_name}": with imagenet '
                             f'weights the model name must contain "{weights_name}".')
    if input_tensor is not None:
        inputs, x = imagenet_utils.model_inputs(input_tensor, img_input)[0], input_tensor
    else:
        inputs = x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                          variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
                          name=f"{name}_prestem_normalization")(x)
    stem = Sequential([Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                       LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")], name=f"{name}_stem")
    downsample = [stem] + [_downsampling(name, i, projection_dims[i + 1]) for i in range(3)]
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = downsample[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(projection_dims[i], rates[cur + j], layer_scale_init_value,
                              name=f"{name}_stage_{i}_block_{j}")(x)
        cur += depths[i]
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
        x = LayerNormalization(epsilon=1e-6)(x)
    model = Functional(inputs=inputs, outputs=x, name=name)
    files = None
    if weights == "imagenet":
        fname = name + (".h5" if include_top else "_notop.h5")
        files = (fname, BASE_WEIGHTS_PATH + fname, WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return imagenet_utils.load_model_weights(model, weights, files)


def _variant(size):
    cfg = MODEL_CONFIGS[size]
    fn_name = f"ConvNeXt{'XLarge' if size == 'xlarge' else size.capitalize()}"

    def model_fn(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
                 input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
                 name=f"convnext_{size}"):
        return ConvNeXt(weights_name=f"convnext_{size}", depths=cfg["depths"], projection_dims=cfg["projection_dims"],
                        drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=cfg["default_size"], name=name,
                        include_top=include_top, include_preprocessing=include_preprocessing, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation)
    model_fn.__name__ = model_fn.__qualname__ = fn_name
    model_fn.__doc__ = f"""{fn_name}: stages of {cfg['depths']} blocks, widths {cfg['projection_dims']}.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation: as in
            `kerasj.applications.ResNet50` (inputs are pixels in [0, 255]; `include_top=False` ends with
            LayerNormalization, after the pooling if any).
        include_preprocessing: whether the model normalizes its inputs with the ImageNet statistics itself.
        name: the model's name (with ImageNet weights it must contain "convnext_{size}").

    Example:
        >>> model = {fn_name}(weights=None, input_shape=(64, 64, 3), classes=10)
    """
    return model_fn


ConvNeXtTiny, ConvNeXtSmall, ConvNeXtBase, ConvNeXtLarge, ConvNeXtXLarge = (
    _variant(size) for size in ("tiny", "small", "base", "large", "xlarge"))


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: ConvNeXt models normalize their inputs themselves. Kept for compatibility.

    >>> preprocess_input(images) is images
    True
    """
    return x
