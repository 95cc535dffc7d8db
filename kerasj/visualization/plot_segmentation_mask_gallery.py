"""Plot each image next to its true and predicted segmentation masks, one row per image.

    >>> plot_segmentation_mask_gallery(images, num_classes=3, y_true=masks, y_pred=predicted, path="masks.png")
"""
import numpy as np

from kerasj.visualization._images import batched_images, channels_last, data_format_of, to_0_255
from kerasj.visualization.draw_segmentation_masks import draw_segmentation_masks
from kerasj.visualization.plot_image_gallery import plot_image_gallery, pyplot


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None, y_pred=None,
                                   color_mapping=None, blend=True, alpha=0.8, ignore_index=-1, data_format=None,
                                   **kwargs):
    """A gallery with a row per image: the image, then `y_true` and `y_pred` drawn on it (when given) with
    `draw_segmentation_masks`.

    Args:
        images: `(batch, height, width, channels)` images (or channels first, see `data_format`).
        num_classes: the number of classes drawn (classes `0 .. num_classes - 1`, see
            `draw_segmentation_masks`).
        value_range: the range of the image values, e.g. `(0, 255)` or `(0, 1)`.
        y_true: ground-truth masks, `(batch, height, width)` or `(batch, height, width, 1)`.
        y_pred: predicted masks of the same shape.
        color_mapping: `{class: RGB color}`; a default palette if None.
        blend: blend the colors with the image using `alpha`.
        alpha: the opacity of the colors.
        ignore_index: a mask value left undrawn.
        data_format: `"channels_last"` or `"channels_first"` (for images and 4D masks); defaults to
            `image_data_format()`.
        **kwargs: passed on to `plot_image_gallery` (`path`, `show`, `scale`, `dpi`, ...).

    Returns:
        What `plot_image_gallery` returns (None).
    """
    pyplot("plot_segmentation_mask_gallery")
    data_format = data_format_of(data_format)
    # Masks are drawn on [0, 255] images, which the gallery then shows as they are (see
    # plot_bounding_box_gallery for why not the images as given).
    images = to_0_255(channels_last(batched_images(images), data_format), value_range)
    columns = [images]
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = np.asarray(masks)
            if masks.ndim == 4:
                masks = channels_last(masks, data_format)
            columns.append(draw_segmentation_masks(images, masks.astype("int32"), num_classes=num_classes,
                                                   color_mapping=color_mapping, alpha=alpha, blend=blend,
                                                   ignore_index=ignore_index, data_format="channels_last"))
    # Row by row: each image followed by its drawn masks.
    gallery = np.stack([column[i] for i in range(images.shape[0]) for column in columns], axis=0)
    return plot_image_gallery(gallery, value_range=(0, 255), rows=images.shape[0], cols=len(columns),
                              data_format="channels_last", **kwargs)
