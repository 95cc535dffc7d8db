"""Plot a batch of images as a grid with matplotlib, optionally titled with true and predicted labels.

    >>> plot_image_gallery(images, y_true=labels, label_map={0: "cat", 1: "dog"}, path="gallery.png")
"""
import math

import numpy as np

from kerasj.visualization._images import channels_last, data_format_of, to_0_255


def pyplot(function):
    """matplotlib.pyplot, or an ImportError saying that `function` needs matplotlib."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(f"The `{function}` function requires the `matplotlib` package. Please install it with "
                          "`pip install matplotlib`.") from err
    return plt


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None, value_range=(0, 255),
                       scale=2, path=None, show=None, transparent=True, dpi=60, legend_handles=None,
                       data_format=None):
    """Show `images` in a `rows x cols` grid, or save the grid to `path`.

    Args:
        images: `(batch, height, width, channels)` images (or channels first, see `data_format`), with
            1, 3 or 4 channels.
        y_true: optional class ids, one per image, written in the titles as "Label: name".
        y_pred: optional predicted class ids, written as "Pred: name".
        label_map: `{class id: name}`; required with `y_true` or `y_pred`.
        rows: rows of the grid; defaults to `ceil(sqrt(batch))`.
        cols: columns of the grid; defaults to enough columns for the whole batch.
        value_range: the range of the image values, e.g. `(0, 255)` or `(0, 1)`.
        scale: the size of each image in inches.
        path: where to save the figure (a PNG, for instance); None shows it instead.
        show: whether to call `plt.show()`; defaults to True when `path` is None. With neither, the figure is
            left open (`plt.gcf()`).
        transparent: save with a transparent background.
        dpi: the resolution of the saved figure.
        legend_handles: matplotlib handles (e.g. `Patch`es) for a legend below the grid.
        data_format: `"channels_last"` or `"channels_first"`; defaults to `image_data_format()`.

    Raises:
        ValueError: both `path` and `show=True` are given, `images` is not a batch, or labels are given
            without a `label_map`.
        ImportError: matplotlib is not installed.
    """
    plt = pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be provided.")
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError("`plot_images_gallery()` requires you to batch your `np.array` samples together. "
                         f"Received: images.shape={images.shape}")
    show = show if show is not None else path is None
    images = to_0_255(channels_last(images, data_format_of(data_format)), value_range)
    batch_size = images.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    # Keras divides with `//` here, which drops images (3 images give a 2 x 1 grid); the grid holds them all.
    cols = cols or int(math.ceil(batch_size / rows))
    y_true = None if y_true is None else np.asarray(y_true)
    y_pred = None if y_pred is None else np.asarray(y_pred)

    fig, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale), frameon=False,
                             layout="tight", squeeze=True, sharex="row", sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    axes = np.asarray(axes).reshape(rows, cols)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= batch_size:
            continue  # a grid larger than the batch keeps its remaining cells empty
        image = images[index].astype("uint8")
        if image.shape[-1] == 1:  # matplotlib draws single-channel images only without the channel axis
            axis.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
        else:
            axis.imshow(image)
        axis.margins(x=0, y=0)
        title = []
        if y_true is not None and index < len(y_true):
            title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
        if y_pred is not None and index < len(y_pred):
            title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
        if title:
            axis.set_title("  ".join(title), fontsize=8)

    if path is not None:
        fig.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close(fig)
    elif show:
        plt.show()
        plt.close(fig)
