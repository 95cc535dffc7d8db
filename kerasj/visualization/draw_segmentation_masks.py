"""Overlay segmentation masks on a batch of images, one color per class.

With `blend=True` a pixel of class `c` becomes `image * (1 - alpha) + color[c] * alpha`; pixels equal to
`ignore_index` keep the image's value.

    >>> images = np.full((1, 4, 4, 3), 100, "uint8")
    >>> masks = np.zeros((1, 4, 4, 1), "int32"); masks[0, :2] = 1
    >>> draw_segmentation_masks(images, masks, num_classes=2, color_mapping={0: (0, 0, 0), 1: (255, 0, 0)})
"""
import jax.numpy as jnp
import numpy as np

from kerasj.visualization._images import batched_images, channels_last, data_format_of


def _color_palette(num_classes):
    # Keras's palette: class i gets (i * [2**25 - 1, 2**15 - 1, 2**21 - 1]) mod 255, so class 0 is black.
    palette = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]


def _class_colors(num_classes, color_mapping):
    if color_mapping is None:
        return _color_palette(num_classes)
    missing = [i for i in range(num_classes) if i not in color_mapping]
    if missing:
        raise ValueError(f"`color_mapping` needs a color for every class 0..{num_classes - 1}; it has none for "
                         f"{missing}. Received: color_mapping={color_mapping}")
    return [color_mapping[i] for i in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None, alpha=0.8, blend=True,
                            ignore_index=-1, data_format=None):
    """Color each pixel of `images` by its class in `segmentation_masks`.

    As in Keras, the classes drawn are `0 .. num_classes - 1` (class 0 too, black in the default palette);
    other values are left undrawn, and `num_classes=None` takes the largest value in the masks, so that class is
    not drawn either: pass `num_classes=max + 1` to draw every class.

    Args:
        images: `(batch, height, width, channels)` images (or channels first, see `data_format`).
        segmentation_masks: integer masks `(batch, height, width)` or `(batch, height, width, 1)`
            (`(batch, 1, height, width)` for channels first).
        num_classes: the number of classes drawn (see above).
        color_mapping: `{class: color}` for classes `0 .. num_classes - 1`; a default palette if None.
        alpha: the opacity of the colors when blending, in `[0, 1]`.
        blend: mix colors and image with `alpha` (uint8 result); False paints the class colors over the
            image (float32 result).
        ignore_index: a mask value whose pixels keep the image when blending (default -1).
        data_format: `"channels_last"` or `"channels_first"`; defaults to `image_data_format()`. The
            result has the layout of `images`.

    Returns:
        The images with the masks drawn, as a NumPy array.
    """
    data_format = data_format_of(data_format)
    images = channels_last(batched_images(images), data_format)
    masks = np.asarray(segmentation_masks)
    if masks.ndim == 3:
        masks = masks[..., None]  # (batch, height, width): the same in either layout
    elif masks.ndim == 4:
        masks = channels_last(masks, data_format)
    if masks.ndim != 4 or masks.shape[-1] != 1 or masks.shape[:3] != images.shape[:3]:
        raise ValueError("`segmentation_masks` must be shaped (batch, height, width) or (batch, height, width, 1) "
                         f"to match images of shape {images.shape}. Received: "
                         f"segmentation_masks.shape={np.shape(segmentation_masks)}")
    if not np.issubdtype(masks.dtype, np.integer):
        raise TypeError("`segmentation_masks` must be in integer dtype. Received: "
                        f"segmentation_masks.dtype={masks.dtype.name}")
    if num_classes is None:
        num_classes = int(masks.max())
    colors = _class_colors(num_classes, color_mapping)

    images = jnp.asarray(images, "float32")
    painted = np.array(images)
    classes = masks[..., 0]
    for c, color in enumerate(colors):
        painted[classes == c] = np.asarray(color, "float32")
    painted = jnp.asarray(painted)
    if blend:
        # The same float32 arithmetic as Keras, so that the truncation to uint8 gives the same pixels.
        mixed = images * (1 - alpha) + painted * alpha
        painted = jnp.where((classes != ignore_index)[..., None], mixed, images).astype("uint8")
    out = np.asarray(painted)
    return np.transpose(out, (0, 3, 1, 2)) if data_format == "channels_first" else out
