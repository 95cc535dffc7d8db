"""The RandomShear augmentation layer."""
import jax
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import AffineImageLayer, image_axes, is_number
from kerasj.utils.bounding_boxes import clip_to_image_size, convert_format


def shear_range(owner, arg, factor):
    """`(lower, upper)` of a shear factor as Keras reads it: a number `f` in [0, 1] gives `(-f, f)`, a pair
    is sorted. Pairs may hold numbers in [-1, 1]: Keras allows only [0, 1], which makes the `(-f, f)` that
    its own config saves for a number impossible to reload."""
    message = (f"{owner}: `{arg}` must be a number in [0, 1] or a pair of numbers in [-1, 1]; "
               f"received {arg}={factor!r}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(is_number(v) and -1 <= v <= 1 for v in factor):
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if not is_number(factor) or not 0 <= factor <= 1:
        raise ValueError(message)
    return -abs(factor), abs(factor)


class RandomShear(AffineImageLayer):
    """Shears each image along x and/or y by a random amount while training.

    Output pixel `(x, y)` (column, row) samples the input at `(x + s_x y, s_y x + y)`: the shear is taken
    about the top-left corner, as in Keras 3. For each image `s_x` is drawn uniformly in the `x_factor`
    range and `s_y` in the `y_factor` range, then both are negated together with probability 1/2.

    Args:
        x_factor: a number `f` in [0, 1], drawing `s_x` in `[-f, f]`, or a pair `(lower, upper)`. The
            shear is a fraction of the image: 0.3 moves the bottom row 30% of the height sideways.
        y_factor: the same for the vertical shear.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant" (with `fill_value`) or "nearest".
        fill_value: the value of "constant" filling.
        data_format: "channels_last" (default) or "channels_first".
        seed: int or None.

    The transformation of `get_random_transformation` is Keras's: `{"shear_factor": (batch, 2) array of
    (s_x, s_y), "input_shape": shape}`. Inactive (a cast to the compute dtype) with `training=False`.
    Dict inputs: labels pass through, segmentation masks are sheared with "nearest", bounding boxes (with
    `bounding_box_format`) move with the shear in relative coordinates and are clipped to the image, as in
    Keras.

        >>> layer = RandomShear(x_factor=0.2, fill_mode="constant", seed=0)
        >>> layer(images, training=True).shape == images.shape
        True
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.x_factor = shear_range(self._owner(), "x_factor", x_factor)
        self.y_factor = shear_range(self._owner(), "y_factor", y_factor)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        batch_size = self._batch_size(data)
        sign_key, y_key, x_key = self._keys(seed, 3)
        dtype = self.compute_dtype
        sign = jnp.where(jax.random.uniform(sign_key, (batch_size, 1), dtype) > 0.5, -1.0, 1.0).astype(dtype)
        shear_y = jax.random.uniform(y_key, (batch_size, 1), dtype, self.y_factor[0], self.y_factor[1])
        shear_x = jax.random.uniform(x_key, (batch_size, 1), dtype, self.x_factor[0], self.x_factor[1])
        return {"shear_factor": jnp.concatenate([shear_x, shear_y], axis=1) * sign,
                "input_shape": tuple(images.shape)}

    def _matrices(self, transformation, height, width):
        shear = jnp.asarray(transformation["shear_factor"], self.compute_dtype)
        ones, zeros = jnp.ones_like(shear[:, 0]), jnp.zeros_like(shear[:, 0])
        return jnp.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], axis=1)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        h_axis, w_axis = image_axes(self.data_format)
        height, width = transformation["input_shape"][h_axis], transformation["input_shape"][w_axis]
        boxes = convert_format(bounding_boxes, self.bounding_box_format, "rel_xyxy", height, width,
                               self.compute_dtype)
        shear = jnp.asarray(transformation["shear_factor"], self.compute_dtype)
        sx, sy = shear[:, :1], shear[:, 1:]
        x1, y1, x2, y2 = (boxes["boxes"][..., i] for i in range(4))
        # Each edge moves by the shear at the box corner that keeps the sheared box enclosing the content.
        x1, x2 = jnp.where(sx < 0, x1 - sx * y1, x1 - sx * y2), jnp.where(sx < 0, x2 - sx * y2, x2 - sx * y1)
        y1, y2 = jnp.where(sy > 0, y1 - sy * x2, y1 - sy * x1), jnp.where(sy > 0, y2 - sy * x1, y2 - sy * x2)
        boxes = clip_to_image_size({**boxes, "boxes": jnp.stack([x1, y1, x2, y2], axis=-1)},
                                   bounding_box_format="rel_xyxy")
        return convert_format(boxes, "rel_xyxy", self.bounding_box_format, height, width, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}
