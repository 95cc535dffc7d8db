"""Plot a gallery of images with their true and predicted bounding boxes drawn on them.

    >>> plot_bounding_box_gallery(images, "xyxy", y_true={"boxes": boxes, "labels": labels},
    ...                           class_mapping={0: "cat"}, legend=True, path="boxes.png")
"""
import numpy as np

from kerasj.visualization._images import batched_images, channels_last, data_format_of, to_0_255
from kerasj.visualization.draw_bounding_boxes import draw_bounding_boxes
from kerasj.visualization.plot_image_gallery import plot_image_gallery, pyplot


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None, value_range=(0, 255),
                              true_color=(0, 188, 212), pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None, rows=None, cols=None,
                              data_format=None, **kwargs):
    """Draw `y_true` and `y_pred` boxes on `images` (see `draw_bounding_boxes`) and plot them with
    `plot_image_gallery`.

    Args:
        images: `(batch, height, width, channels)` images (or channels first, see `data_format`).
        bounding_box_format: the format of the boxes in `y_true` and `y_pred`.
        y_true: ground-truth boxes, a dict as `draw_bounding_boxes` takes.
        y_pred: predicted boxes, a dict of the same form.
        value_range: the range of the image values, e.g. `(0, 255)` or `(0, 1)`.
        true_color: RGB color of the ground-truth boxes.
        pred_color: RGB color of the predicted boxes.
        line_thickness: box line width in pixels.
        font_scale: label text size.
        text_thickness: label stroke width; defaults to `line_thickness`.
        class_mapping: `{class id: name}` for both kinds of boxes.
        ground_truth_mapping: names for the ground-truth boxes, instead of `class_mapping`.
        prediction_mapping: names for the predicted boxes, instead of `class_mapping`.
        legend: add a legend naming the two colors.
        legend_handles: matplotlib handles for a legend of your own (not together with `legend=True`).
        rows: rows of the grid.
        cols: columns of the grid.
        data_format: `"channels_last"` or `"channels_first"`; defaults to `image_data_format()`.
        **kwargs: passed on to `plot_image_gallery` (`path`, `show`, `scale`, `dpi`, ...).

    Returns:
        What `plot_image_gallery` returns (None).
    """
    pyplot("plot_bounding_box_gallery")
    from matplotlib import patches

    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    images = channels_last(batched_images(images), data_format_of(data_format))
    # Boxes are drawn on [0, 255] images and the gallery told so: Keras draws on the images as given and then
    # rescales the drawn images again, which garbles galleries of images in [0, 1].
    plotted = np.clip(to_0_255(images, value_range), 0, 255).astype("uint8")
    for boxes, color, mapping in ((y_true, true_color, ground_truth_mapping),
                                  (y_pred, pred_color, prediction_mapping)):
        if boxes is not None:
            plotted = draw_bounding_boxes(plotted, boxes, bounding_box_format, class_mapping=mapping, color=color,
                                          line_thickness=line_thickness, text_thickness=text_thickness,
                                          font_scale=font_scale, data_format="channels_last")
    if legend:
        if legend_handles:
            raise ValueError("Only pass `legend` OR `legend_handles` to "
                             "`keras.visualization.plot_bounding_box_gallery()`.")
        legend_handles = [patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
                          patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction")]
    return plot_image_gallery(plotted, value_range=(0, 255), legend_handles=legend_handles, rows=rows, cols=cols,
                              data_format="channels_last", **kwargs)
