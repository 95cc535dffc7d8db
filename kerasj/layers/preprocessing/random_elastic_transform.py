"""The RandomElasticTransform augmentation layer."""
import jax
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import WARP_INTERPOLATIONS, WarpImageLayer, factor_range, is_number
from kerasj.ops import image_geometry
from kerasj.utils.argument_validation import check_choice

ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


class RandomElasticTransform(WarpImageLayer):
    """Distorts images with a random smooth displacement field while training (Simard et al., 2003).

    Per call a distortion `s` is drawn in the `scale` range; for `h x w` images the field is Gaussian noise
    blurred with `sigma = 0.05 s min(h, w)` and scaled by `alpha = 0.1 s max(h, w)`
    (`kerasj.ops.image.elastic_transform`). Each image is distorted with probability `q`, drawn uniformly
    in the `factor` range; results are clipped to `value_range`.

    Args:
        factor: a number `f` (q in `[0, f]`) or a pair, in [0, 1]. Default 1.0.
        scale: a number `s` (distortion in `[0, s]`) or a pair, in [0, 1]. Default 1.0.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "constant", "nearest", "wrap" or "mirror"; fill_value for "constant".
        value_range: `(low, high)` of the pixel values (default `(0, 255)`).
        seed: int or None. data_format: "channels_last" (default) or "channels_first".

    The transformation is Keras's `{"apply_transform", "distortion_factor", "seed"}`, "seed" being the key
    (or int seed) of the noise. The blur kernel is sized for the largest distortion, `int(6 sigma_max) | 1`,
    so the layer compiles once; Keras sizes it for the drawn one (equal for a fixed `scale`). Dict inputs:
    labels pass through, segmentation masks are warped with "nearest"; bounding boxes raise
    NotImplementedError, as in Keras 3 (the warp is free-form). Inactive (a cast to the compute dtype) with
    `training=False`.

        >>> RandomElasticTransform(scale=0.5, value_range=(0, 1), seed=0)(images, training=True)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        self.scale = factor_range(self._owner(), "scale", scale, 0, 1, clip_scalar=True, loose_pair=True)
        self.interpolation = check_choice(self._owner(), "interpolation", interpolation, WARP_INTERPOLATIONS)
        self.fill_mode = check_choice(self._owner(), "fill_mode", fill_mode, ELASTIC_FILL_MODES)
        if not is_number(fill_value):
            raise ValueError(f"{self._owner()}: `fill_value` must be a number; received fill_value={fill_value!r}")
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(is_number(v) for v in value_range)):
            raise ValueError(f"{self._owner()}: `value_range` must be a pair of numbers (low, high); received "
                             f"value_range={value_range!r}")
        self.fill_value = fill_value
        self.value_range = value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        batch_size = self._batch_size(data)
        prob_key, threshold_key, scale_key, noise_key = self._keys(seed, 4)
        probability = jax.random.uniform(prob_key, (batch_size,), "float32", self.factor[0], self.factor[1])
        return {"apply_transform": jax.random.uniform(threshold_key, (batch_size,), "float32") < probability,
                "distortion_factor": jax.random.uniform(scale_key, (), self.compute_dtype, self.scale[0],
                                                        self.scale[1]),
                "seed": noise_key}

    def _warp(self, images, transformation, interpolation):
        height, width = self._size(images)
        distortion = jnp.asarray(transformation["distortion_factor"], self.compute_dtype)
        kernel_size = int(6 * min(height, width) * 0.05 * self.scale[1]) | 1
        warped = image_geometry.elastic_displace(
            images.astype(self.compute_dtype), max(height, width) * 0.1 * distortion,
            min(height, width) * 0.05 * distortion, kernel_size, interpolation, self.fill_mode, self.fill_value,
            image_geometry.keras_seed_key(transformation["seed"]), self.data_format)
        warped = jnp.where(jnp.asarray(transformation["apply_transform"])[:, None, None, None], warped, images)
        return jnp.clip(warped, self.value_range[0], self.value_range[1]).astype(self.compute_dtype)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise self._unsupported("bounding_boxes")  # in inference too, as Keras 3 does

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "value_range": self.value_range}
