"""The MaxNumBoundingBoxes preprocessing layer."""
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import ImageDataLayer
from kerasj.utils.argument_validation import check_positive_int


class MaxNumBoundingBoxes(ImageDataLayer):
    """Gives every image exactly `max_number` bounding boxes: extra boxes are dropped, missing ones padded
    with `fill_value` (in both "boxes" and "labels"), so batches of detection data have one shape.

    Takes Keras 3's dict `{"images": ..., "bounding_boxes": {"boxes": (batch, n, 4), "labels": (batch,
    n)}}` (a `bounding_box_format` is required, as for every layer given boxes); images, labels and
    segmentation masks pass through unchanged, in training and inference alike.

        >>> layer = MaxNumBoundingBoxes(max_number=3, bounding_box_format="xyxy")
        >>> layer({"images": images, "bounding_boxes": boxes})["bounding_boxes"]["boxes"].shape
        (batch, 3, 4)
    """

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        self.max_number = check_positive_int(int(max_number), "max_number", self._owner())
        self.fill_value = int(fill_value)

    def transform_images(self, images, transformation=None, training=True):
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        def fit(values):
            values = values[:, :self.max_number]
            pads = [(0, 0)] * values.ndim
            pads[1] = (0, self.max_number - values.shape[1])
            return jnp.pad(values, pads, constant_values=jnp.asarray(self.fill_value, values.dtype))
        return {**bounding_boxes, "boxes": fit(bounding_boxes["boxes"]), "labels": fit(bounding_boxes["labels"])}

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            boxes = dict(input_shape["bounding_boxes"])
            extra = set(boxes) - {"boxes", "labels"}
            if extra:
                raise KeyError(f"{self._owner()}: unsupported keys {sorted(extra)} in `bounding_boxes`; only "
                               "'boxes' and 'labels' are supported")
            for key in ("boxes", "labels"):
                shape = list(boxes[key])
                shape[1] = self.max_number
                boxes[key] = tuple(shape)
            return {**input_shape, "bounding_boxes": boxes}
        return input_shape

    def get_config(self):
        # Keras 3.15 leaves `fill_value` out of the config, so it is lost on reload; kerasj keeps it.
        return {**super().get_config(), "max_number": self.max_number, "fill_value": self.fill_value}
