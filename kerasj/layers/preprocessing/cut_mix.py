"""The CutMix augmentation layer."""
import jax
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import (RandomImageLayer, factor_range, random_box_masks,
                                                         single_channel)


class CutMix(RandomImageLayer):
    """Pastes a random box of another image of the batch into each image while training, and mixes the
    labels by the pasted area (Yun et al., 2019, "CutMix").

    Per call, `a` is drawn uniformly in the `factor` range; per image, `w ~ Beta(a, a)` sets the box to
    `sqrt(1 - w)` of the width and of the height, placed uniformly. The box's pixels come from image
    `p[i]` of a random permutation `p`, and labels become `l[i] * r + l[p[i]] * (1 - r)`, with `r` the
    share of the image left uncovered. Single (unbatched) images are returned unchanged.

    Args:
        factor: a number `f` (drawing `a` in `[0, f]`) or a pair `(lower, upper)`, in [0, 1].
        seed: int or None.
        data_format: "channels_last" (default) or "channels_first".

    The transformation is Keras's `{"permutation_order", "batch_masks", "mix_weight"}` (here the masks have
    one channel, broadcasting over the image's). Dict inputs: labels mixed, segmentation masks cut like the
    images; bounding boxes raise NotImplementedError, as in Keras 3. Inactive (a cast to the compute dtype)
    with `training=False`.

        >>> out = CutMix(seed=0)({"images": images, "labels": one_hot_labels})
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)

    def get_random_transformation(self, data, training=True, seed=None):
        images = self._images_of(data)
        if not training or images.ndim == 3:
            return None
        batch_size, dtype = images.shape[0], self.compute_dtype
        height, width = self._size(images)
        alpha_key, weight_key, x_key, y_key, order_key = self._keys(seed, 5)
        alpha = jax.random.uniform(alpha_key, (), dtype, self.factor[0], self.factor[1]) + 1e-6
        ratio = jnp.sqrt(1.0 - jax.random.beta(weight_key, alpha, alpha, (batch_size,), dtype))
        masks, (x0, x1, y0, y1) = random_box_masks((x_key, y_key), height, width, ratio, ratio, self.data_format,
                                                   dtype)
        return {"permutation_order": jax.random.permutation(order_key, batch_size), "batch_masks": masks,
                "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / (width * height)}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        partners = jnp.take(images, jnp.asarray(transformation["permutation_order"]), axis=0)
        return jnp.where(single_channel(transformation["batch_masks"], self.data_format), partners, images)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        labels = jnp.asarray(labels)
        weight = jnp.asarray(transformation["mix_weight"]).reshape(-1, 1)
        partners = jnp.take(labels, jnp.asarray(transformation["permutation_order"]), axis=0)
        return weight * labels + (1.0 - weight) * partners

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise self._unsupported("bounding_boxes")  # in inference too, as Keras 3 does

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
