"""The RandomGaussianBlur augmentation layer."""
import jax.numpy as jnp

from kerasj.layers.preprocessing.color_augmentation import CAST, ColorAugmentation, check_value_range
from kerasj.layers.preprocessing.image_transform import factor_range
from kerasj.ops import image_color
from kerasj.utils.argument_validation import is_int


def _odd_sizes(owner, kernel_size):
    pair = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    if len(pair) != 2 or not all(is_int(k) and k > 0 and k % 2 == 1 for k in pair):
        raise ValueError(f"{owner}: `kernel_size` must be an odd positive int or a pair of them; "
                         f"received kernel_size={kernel_size!r}")
    return pair


class RandomGaussianBlur(ColorAugmentation):
    """Blurs each image with probability drawn from `factor`, with a Gaussian of random width, while
    training.

    Per call, a probability `p` is drawn per image uniformly in `factor` and the image is blurred if a
    uniform draw falls below it; one pair of standard deviations (x, y) is drawn for the batch uniformly
    in `sigma`. The result is clipped to `value_range`.

    Args:
        factor: a number `f` in `[0, 1]` (drawn in `[0, f]`) or a pair; default 1.0.
        kernel_size: odd int, or a pair `(x, y)` of odd ints (width first, as in Keras 3); default 3.
        sigma: a number `s` in `[0, 1]` (drawn in `[0, s]`) or a pair; default 1.0.
        value_range: the range of the input values, `(0, 255)` by default.
        data_format, seed: as usual.

    The output is float, also with `training=False` (then the input cast, as in Keras). The
    transformation is `{"should_apply_blur": bool array (batch,), "blur_factor": array (2,)}`.

        >>> RandomGaussianBlur(factor=1.0, kernel_size=5, sigma=(0.5, 1.0))(images)
    """

    _INFERENCE = CAST

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        self.kernel_size = _odd_sizes(self._owner(), kernel_size)
        self.sigma = factor_range(self._owner(), "sigma", sigma, 0, 1, clip_scalar=True, loose_pair=True)
        self.value_range = check_value_range(self._owner(), value_range, keep_order=True)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(data)
        probability = self._draw((batch,), self.factor[0], self.factor[1], seed)
        should_apply = self._draw((batch,), 0.0, 1.0, seed) < probability
        # A small floor keeps the kernel finite when sigma draws zero.
        sigma = self._draw((2,), self.sigma[0], self.sigma[1], seed) + 1e-6
        return {"should_apply_blur": should_apply, "blur_factor": sigma}

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        blurred = image_color.gaussian_blur(images, kernel_size=self.kernel_size,
                                            sigma=jnp.asarray(transformation["blur_factor"], images.dtype),
                                            data_format=self.data_format)
        apply = jnp.asarray(transformation["should_apply_blur"]).reshape(-1, 1, 1, 1)
        return jnp.clip(jnp.where(apply, blurred, images), self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "sigma": self.sigma, "value_range": self.value_range}
