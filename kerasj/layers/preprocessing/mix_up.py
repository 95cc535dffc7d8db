"""The MixUp augmentation layer."""
import jax
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import RandomImageLayer, is_number


class MixUp(RandomImageLayer):
    """Blends each image (and its labels) with another image of the batch while training (Zhang et al.,
    2018, "mixup: Beyond Empirical Risk Minimization").

    With a random permutation `p` of the batch and weights `w ~ Beta(alpha, alpha)` (one per image):

        images[i] <- w[i] images[i] + (1 - w[i]) images[p[i]]     (labels and masks alike)

    Pass a dict `{"images": ..., "labels": ...}` (one-hot or soft labels) to mix the labels too; bounding
    boxes (with `bounding_box_format`) are joined with those of the partner image, boxes and labels both
    along axis 1. A single image is mixed with itself (unchanged).

    Args:
        alpha: the Beta distribution's concentration (default 0.2: most weights near 0 or 1).
        data_format: "channels_last" (default) or "channels_first".
        seed: int or None.

    The transformation is Keras's `{"mix_weight": (batch,), "permutation_order": (batch,)}`. With
    `training=False` inputs pass through (images cast to the compute dtype).

        >>> out = MixUp(alpha=0.2, seed=0)({"images": images, "labels": one_hot_labels})
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not is_number(alpha) or alpha <= 0:
            raise ValueError(f"{self._owner()}: `alpha` must be a positive number; received alpha={alpha!r}")
        self.alpha = alpha

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None  # (Keras draws here anyway; skipping keeps the seed stream for training steps)
        batch_size = self._batch_size(data)
        order_key, weight_key = self._keys(seed, 2)
        return {"mix_weight": jax.random.beta(weight_key, self.alpha, self.alpha, (batch_size,), self.compute_dtype),
                "permutation_order": jax.random.permutation(order_key, batch_size)}

    def _mix(self, values, transformation):
        weight = jnp.asarray(transformation["mix_weight"], values.dtype)
        weight = weight.reshape((-1,) + (1,) * (values.ndim - 1))
        partners = jnp.take(values, jnp.asarray(transformation["permutation_order"]), axis=0)
        return weight * values + (1.0 - weight) * partners

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        return self._mix(images, transformation) if training else images

    def transform_labels(self, labels, transformation, training=True):
        if not training:
            return labels
        return self._mix(jnp.asarray(labels).astype(self.compute_dtype), transformation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training:
            return segmentation_masks
        return self._mix(jnp.asarray(segmentation_masks).astype(self.compute_dtype), transformation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        order = jnp.asarray(transformation["permutation_order"])
        return {key: jnp.concatenate([value, jnp.take(value, order, axis=0)], axis=1)
                for key, value in bounding_boxes.items() if key in ("boxes", "labels")}

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
