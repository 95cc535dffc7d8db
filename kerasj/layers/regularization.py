"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout,
ActivityRegularization.

The random layers act only when called with training=True and return their input unchanged otherwise. Their
random state is a SeedGenerator Variable, so every compiled training step draws fresh noise.
"""
import math
import numbers

from kerasj import random, regularizers
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.utils.argument_validation import standardize_data_format


def _check_fraction(layer, name, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': `{name}` must be a float in [0, 1]; "
                         f"received {name}={value!r}")
    return value


def _concrete_noise_shape(noise_shape, shape):
    """`noise_shape` with None entries taken from `shape`; the full `shape` when `noise_shape` is None."""
    if noise_shape is None:
        return tuple(shape)
    return tuple(shape[i] if d is None else d for i, d in enumerate(noise_shape))


class _RandomLayer(Layer):
    """Shape- and mask-preserving layer that draws noise from its own SeedGenerator when `amount` > 0."""

    def __init__(self, amount, amount_name, seed, **kwargs):
        super().__init__(**kwargs)
        _check_fraction(self, amount_name, amount)
        self.seed = seed
        if amount > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape


class Dropout(_RandomLayer):
    """Randomly zeroes a fraction `rate` of inputs during training, scaling the rest by 1/(1-rate).

    `noise_shape` (None entries follow the input) makes one keep/drop draw shared across the axes of size 1.

        >>> Dropout(0.5, seed=1)(jnp.ones((2, 4)), training=True)   # about half the entries are 2.0
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(rate, "rate", seed, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape

    def _noise_shape(self, inputs):
        return self.noise_shape

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return random.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs),
                                  seed=self.seed_generator)
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class _SpatialDropout(Dropout):
    """Dropout of whole channels: one draw per (sample, channel), shared over the spatial axes. Keras gives
    these layers only `rate`, `seed`, `name` and `dtype` (and `data_format` for 2D/3D), also in configs."""

    rank = None

    def __init__(self, rate, data_format="channels_last", seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format, f"{type(self).__name__} '{self.name}'")
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _noise_shape(self, inputs):
        spatial_ones = (1,) * self.rank
        if self.data_format == "channels_first":
            return (inputs.shape[0], inputs.shape[1]) + spatial_ones
        return (inputs.shape[0],) + spatial_ones + (inputs.shape[-1],)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(_SpatialDropout):
    """Drops entire feature channels of (batch, steps, features) inputs with probability `rate`.

        >>> SpatialDropout1D(0.5, seed=0)(jnp.ones((2, 6, 4)), training=True)  # columns of 0s or of 2s
    """

    rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)


class SpatialDropout2D(_SpatialDropout):
    """Drops entire feature maps of images with probability `rate`; useful when neighbouring pixels are
    strongly correlated, where element-wise dropout barely regularizes.

        >>> SpatialDropout2D(0.3, seed=0)(jnp.ones((2, 8, 8, 16)), training=True).shape
        (2, 8, 8, 16)
    """

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, data_format=data_format, seed=seed, name=name, dtype=dtype)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(_SpatialDropout):
    """Drops entire feature volumes of (batch, dim1, dim2, dim3, channels) inputs with probability `rate`.

        >>> SpatialDropout3D(0.3, seed=0)(jnp.ones((1, 2, 4, 4, 8)), training=True).shape
        (1, 2, 4, 4, 8)
    """

    rank = 3

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, data_format=data_format, seed=seed, name=name, dtype=dtype)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class GaussianNoise(_RandomLayer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` (in [0, 1]) during training.

        >>> GaussianNoise(0.1, seed=0)(jnp.zeros((2, 3)), training=True)   # small random values
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(stddev, "stddev", seed, **kwargs)
        self.stddev = stddev

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return inputs + random.normal(inputs.shape, stddev=self.stddev, dtype=self.compute_dtype,
                                          seed=self.seed_generator)
        return inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_RandomLayer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation `sqrt(rate / (1 - rate))` during
    training (the variance that dropout of the same `rate` introduces).

        >>> GaussianDropout(0.2, seed=0)(jnp.ones((2, 3)), training=True)   # values scattered around 1
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, "rate", seed, **kwargs)
        self.rate = rate

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            return inputs * random.normal(inputs.shape, mean=1.0, stddev=stddev, dtype=self.compute_dtype,
                                          seed=self.seed_generator)
        return inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# SELU's fixed point (Klambauer et al., 2017): dropped units are set to -scale * alpha, SELU's lower bound.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(_RandomLayer):
    """Dropout for self-normalizing (SELU) networks: during training, dropped units are set to SELU's
    negative saturation value and an affine correction `a * x + b` keeps the mean and variance of
    standard-normal inputs unchanged.

        >>> AlphaDropout(0.1, seed=0)(jnp.ones((2, 3)), training=True).shape
        (2, 3)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(rate, "rate", seed, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        dropped_value = -_SELU_ALPHA * _SELU_SCALE
        shape = _concrete_noise_shape(self.noise_shape, inputs.shape)
        kept = (random.uniform(shape, seed=self.seed_generator) >= self.rate).astype(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * dropped_value ** 2)) ** -0.5
        b = -a * dropped_value * self.rate
        return a * (inputs * kept + dropped_value * (1 - kept)) + b

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class ActivityRegularization(Layer):
    """Returns its input unchanged and adds `l1 * sum(|x|) + l2 * sum(x**2)`, divided by the batch size, to
    the model's losses (so `fit` minimises it along with the main loss).

        >>> layer = ActivityRegularization(l1=0.01)
        >>> _ = layer(jnp.ones((2, 3)))
        >>> layer.losses   # [0.03]: 0.01 * 6 / 2
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
