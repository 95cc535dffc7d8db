"""kerasj.visualization: drawing compared with Keras 3 where Keras can draw here (segmentation masks), and with
an independent computation of the pixels where Keras needs OpenCV (bounding boxes); the plots checked as
matplotlib figures, against Keras's figures on the same inputs."""
import inspect
import subprocess
import sys

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from kerasj import visualization  # noqa: E402

NAMES = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery", "plot_image_gallery",
         "plot_segmentation_mask_gallery"]
RED = (255, 0, 0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(0, 255, (4, 12, 10, 3)).astype("float32")


@pytest.fixture(scope="module")
def masks():
    return np.random.default_rng(1).integers(-1, 4, (4, 12, 10, 1)).astype("int32")


def _figure_images(fig=None):
    fig = fig or plt.gcf()
    return [np.asarray(ax.images[0].get_array()) if ax.images else None for ax in fig.axes]


def test_names_and_signatures_match_keras():
    assert sorted(visualization.__all__) == NAMES
    for name in NAMES:
        assert inspect.signature(getattr(visualization, name)) == inspect.signature(
            getattr(keras.visualization, name)), name


def test_importing_visualization_imports_neither_matplotlib_nor_pillow():
    code = ("import sys, kerasj.visualization; "
            "print(sorted(m for m in ('matplotlib', 'PIL', 'cv2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- draw_bounding_boxes: pixels computed independently --------------------------------------------------------

def _outline(height, width, x1, y1, x2, y2):
    """The 1-pixel outline of a rectangle, point by point."""
    mask = np.zeros((height, width), bool)
    for x in range(x1, x2 + 1):
        for y in (y1, y2):
            if 0 <= x < width and 0 <= y < height:
                mask[y, x] = True
    for y in range(y1, y2 + 1):
        for x in (x1, x2):
            if 0 <= x < width and 0 <= y < height:
                mask[y, x] = True
    return mask


def _dilate(mask, radius):
    """Every pixel within `radius` (Chebyshev distance) of a pixel of `mask`."""
    out = np.zeros_like(mask)
    for y, x in zip(*np.nonzero(mask)):
        out[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1] = True
    return out


def _boxes(boxes, labels):
    return {"boxes": np.asarray(boxes, "float32"), "labels": np.asarray(labels)}


def test_draw_bounding_boxes_thin_lines_are_the_box_outlines():
    images = np.zeros((2, 20, 24, 3), "uint8")
    boxes = _boxes([[[2, 3, 10, 15], [12, 1, 30, 8]], [[0, 0, 23, 19], [5, 5, 6, 6]]], [[0, 1], [2, -1]])
    out = visualization.draw_bounding_boxes(images, boxes, "xyxy", color=RED, line_thickness=1)
    assert out.dtype == np.uint8 and out.shape == images.shape
    expected = [_outline(20, 24, 2, 3, 10, 15) | _outline(20, 24, 12, 1, 30, 8),  # the second one is clipped
                _outline(20, 24, 0, 0, 23, 19)]  # label -1: not drawn
    for image, mask in zip(out, expected):
        np.testing.assert_array_equal(image[mask], np.tile(RED, (mask.sum(), 1)))
        assert not image[~mask].any()
    assert not images.any()  # the input is left alone


def test_draw_bounding_boxes_thick_lines_are_bands_centered_on_the_edges():
    images = np.zeros((1, 30, 30, 1), "uint8")
    out = visualization.draw_bounding_boxes(images, _boxes([[[5, 6, 20, 25]]], [[0]]), "xyxy", color=(200,),
                                            line_thickness=3)
    expected = _dilate(_outline(30, 30, 5, 6, 20, 25), 1)
    np.testing.assert_array_equal(out[0, ..., 0] == 200, expected)
    filled = visualization.draw_bounding_boxes(images, _boxes([[[5, 6, 20, 25]]], [[0]]), "xyxy", color=(9,),
                                               line_thickness=-1)
    assert filled[0, 6:26, 5:21].min() == 9 and filled.sum() == 9 * 16 * 20


@pytest.mark.parametrize("fmt", ["yxyx", "center_xywh", "rel_xyxy", "rel_center_xywh"])
def test_draw_bounding_boxes_reads_every_box_format(fmt):
    # A power-of-two image size keeps the relative coordinates exact, so no corner is truncated a pixel short.
    images = np.zeros((1, 16, 32, 3), "uint8")
    xyxy = np.array([[[2, 4, 10, 14]]], "float32")
    expected = visualization.draw_bounding_boxes(images, _boxes(xyxy, [[0]]), "xyxy")
    boxes = keras.utils.bounding_boxes.convert_format(xyxy, "xyxy", fmt, height=16, width=32)
    got = visualization.draw_bounding_boxes(images, _boxes(boxes, [[0]]), fmt)
    np.testing.assert_array_equal(got, expected)
    assert got[0, 4, 2:11].tolist() == [[128, 128, 128]] * 9  # the default color, gray


def test_draw_bounding_boxes_image_values_and_channels_first():
    rng = np.random.default_rng(2)
    unit = rng.uniform(0, 1, (1, 8, 9, 3)).astype("float32")
    no_boxes = _boxes(np.zeros((1, 1, 4)), [[-1]])
    np.testing.assert_array_equal(visualization.draw_bounding_boxes(unit, no_boxes, "xyxy"),
                                  (unit * 255).astype("uint8"))
    wide = np.array([[[[-5.0, 300.0, 7.5]]]], "float32")
    np.testing.assert_array_equal(visualization.draw_bounding_boxes(wide, no_boxes, "xyxy"), [[[[0, 255, 7]]]])
    images = rng.integers(0, 255, (2, 10, 12, 3)).astype("uint8")
    boxes = _boxes([[[1, 2, 8, 9]], [[3, 1, 11, 5]]], [[0], [1]])
    last = visualization.draw_bounding_boxes(images, boxes, "xyxy", color=RED)
    first = visualization.draw_bounding_boxes(images.transpose(0, 3, 1, 2), boxes, "xyxy", color=RED,
                                              data_format="channels_first")
    np.testing.assert_array_equal(first, last.transpose(0, 3, 1, 2))


def test_draw_bounding_boxes_writes_class_names_and_confidences_above_the_box():
    images = np.zeros((1, 64, 96, 3), "uint8")
    box = [[[10, 40, 60, 60]]]
    plain = visualization.draw_bounding_boxes(images, _boxes(box, [[3]]), "xyxy", color=RED)
    named = visualization.draw_bounding_boxes(images, _boxes(box, [[3]]), "xyxy", color=RED,
                                              class_mapping={3: "cat"}, font_scale=0.5)
    scored = visualization.draw_bounding_boxes(images, {**_boxes(box, [[3]]), "confidences": np.array([[0.87]])},
                                               "xyxy", color=RED, class_mapping={3: "cat"}, font_scale=0.5)
    text = named[0].any(-1) & ~plain[0].any(-1)
    rows, cols = np.nonzero(text)
    assert len(rows) > 10 and rows.max() <= 40 - 8 and cols.min() >= 10  # on the baseline 8 pixels above
    assert (scored[0].any(-1) & ~plain[0].any(-1)).sum() > len(rows)  # "cat | 0.87" is longer than "cat"
    assert np.all(named[0][text] == RED)


def test_draw_bounding_boxes_errors():
    boxes = _boxes(np.zeros((1, 1, 4)), [[0]])
    with pytest.raises(ValueError, match=r"`images` must be batched 4D tensor. Received: images.shape=\(8, 8, 3\)"):
        visualization.draw_bounding_boxes(np.zeros((8, 8, 3)), boxes, "xyxy")
    with pytest.raises(TypeError, match="`bounding_boxes` should be a dict"):
        visualization.draw_bounding_boxes(np.zeros((1, 8, 8, 3)), [np.zeros((1, 1, 4))], "xyxy")
    with pytest.raises(ValueError, match="containing 'boxes' and 'labels' keys"):
        visualization.draw_bounding_boxes(np.zeros((1, 8, 8, 3)), {"boxes": np.zeros((1, 1, 4))}, "xyxy")


# -- draw_segmentation_masks: parity with Keras ----------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{}, {"num_classes": 4}, {"num_classes": 4, "alpha": 0.3},
                                    {"num_classes": 3, "blend": False},
                                    {"num_classes": 2, "ignore_index": 0,
                                     "color_mapping": {0: (1, 2, 3), 1: (200, 100, 50)}}])
def test_draw_segmentation_masks_matches_keras(images, masks, kwargs):
    got = visualization.draw_segmentation_masks(images, masks, **kwargs)
    expected = np.asarray(keras.visualization.draw_segmentation_masks(images, masks, **kwargs))
    assert isinstance(got, np.ndarray) and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_draw_segmentation_masks_layouts(images, masks):
    expected = np.asarray(keras.visualization.draw_segmentation_masks(images, masks, num_classes=4))
    np.testing.assert_array_equal(visualization.draw_segmentation_masks(images, masks[..., 0], num_classes=4),
                                  expected)
    np.testing.assert_array_equal(visualization.draw_segmentation_masks(images, masks.astype("int64"), num_classes=4),
                                  expected)
    first = visualization.draw_segmentation_masks(images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2),
                                                  num_classes=4, data_format="channels_first")
    np.testing.assert_array_equal(first, expected.transpose(0, 3, 1, 2))  # the layout of the input


def test_draw_segmentation_masks_errors(images, masks):
    for fn in (visualization.draw_segmentation_masks, keras.visualization.draw_segmentation_masks):
        with pytest.raises(TypeError, match="`segmentation_masks` must be in integer dtype. Received: "
                                            "segmentation_masks.dtype=float32"):
            fn(images, masks.astype("float32"))
        with pytest.raises(ValueError, match="`images` must be batched 4D tensor"):
            fn(images[0], masks[0])
    with pytest.raises(ValueError, match="it has none for \\[1\\]"):
        visualization.draw_segmentation_masks(images, masks, num_classes=2, color_mapping={0: (0, 0, 0)})


# -- plot_image_gallery ------------------------------------------------------------------------------------------

def test_plot_image_gallery_matches_keras_figure(images):
    labels, predicted, names = np.array([0, 1, 2, 0]), np.array([0, 2, 2, 1]), {0: "cat", 1: "dog"}
    for plot in (keras.visualization.plot_image_gallery, visualization.plot_image_gallery):
        assert plot(images, y_true=labels, y_pred=predicted, label_map=names, show=False) is None
    theirs_fig, ours_fig = (plt.figure(n) for n in plt.get_fignums())
    assert len(ours_fig.axes) == len(theirs_fig.axes) == 4
    for ours, theirs in zip(_figure_images(ours_fig), _figure_images(theirs_fig)):
        np.testing.assert_array_equal(ours, theirs)
    assert [ax.get_title() for ax in ours_fig.axes] == [ax.get_title() for ax in theirs_fig.axes]
    assert ours_fig.axes[2].get_title() == "Label: Unknown  Pred: Unknown"
    assert tuple(ours_fig.get_size_inches()) == tuple(theirs_fig.get_size_inches()) == (4.0, 4.0)


def test_plot_image_gallery_value_range_rows_and_cols(images):
    visualization.plot_image_gallery(images / 255.0, value_range=(0, 1), rows=1, cols=4, show=False)
    keras.visualization.plot_image_gallery(images / 255.0, value_range=(0, 1), rows=1, cols=4, show=False)
    ours_fig, theirs_fig = (plt.figure(n) for n in plt.get_fignums())
    assert len(ours_fig.axes) == 4 and ours_fig.axes[0].get_subplotspec().get_geometry()[:2] == (1, 4)
    for ours, theirs in zip(_figure_images(ours_fig), _figure_images(theirs_fig)):
        np.testing.assert_array_equal(ours, theirs)


def test_plot_image_gallery_shows_every_image_of_a_batch_that_is_not_square(images):
    # Keras computes cols = ceil(3 // 2) = 1 and drops the third image; the grid is 2 x 2 with one empty cell.
    visualization.plot_image_gallery(images[:3], show=False)
    drawn = _figure_images()
    assert len(drawn) == 4 and drawn[3] is None
    for got, image in zip(drawn[:3], images[:3]):
        np.testing.assert_array_equal(got, image.astype("uint8"))


def test_plot_image_gallery_channels_first_and_grayscale(images):
    visualization.plot_image_gallery(images.transpose(0, 3, 1, 2), data_format="channels_first", show=False)
    np.testing.assert_array_equal(_figure_images()[1], images[1].astype("uint8"))
    plt.close("all")
    visualization.plot_image_gallery(images[..., :1], show=False)
    np.testing.assert_array_equal(_figure_images()[0], images[0, ..., 0].astype("uint8"))


def test_plot_image_gallery_saves_a_png_and_closes_the_figure(images, tmp_path):
    from PIL import Image

    path = tmp_path / "gallery.png"
    visualization.plot_image_gallery(images, path=str(path), dpi=40)
    assert plt.get_fignums() == []
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size[0] > 20 and png.size[1] > 20
        assert np.asarray(png.convert("RGB")).std() > 0


def test_plot_image_gallery_errors_match_keras(images):
    for plot in (visualization.plot_image_gallery, keras.visualization.plot_image_gallery):
        with pytest.raises(ValueError, match="expects either `path` to be set, or `show` to be true"):
            plot(images, path="x.png", show=True)
        with pytest.raises(ValueError, match="a `label_map` must also be provided"):
            plot(images, y_true=np.zeros(4))
        with pytest.raises(ValueError, match="requires you to batch your `np.array` samples together"):
            plot(images[0], show=False)


# -- plot_bounding_box_gallery --------------------------------------------------------------------------------

def test_plot_bounding_box_gallery_without_boxes_matches_keras(images):
    visualization.plot_bounding_box_gallery(images, "xyxy", show=False)
    keras.visualization.plot_bounding_box_gallery(images, "xyxy", show=False)
    ours_fig, theirs_fig = (plt.figure(n) for n in plt.get_fignums())
    assert len(ours_fig.axes) == len(theirs_fig.axes) == 4
    for ours, theirs in zip(_figure_images(ours_fig), _figure_images(theirs_fig)):
        np.testing.assert_array_equal(ours, theirs)


def test_plot_bounding_box_gallery_draws_true_and_predicted_boxes_with_a_legend(images):
    y_true = _boxes([[[1, 1, 8, 9]]] * 4, [[0]] * 4)
    y_pred = _boxes([[[2, 3, 6, 11]]] * 4, [[1]] * 4)
    visualization.plot_bounding_box_gallery(images / 255.0, "xyxy", y_true=y_true, y_pred=y_pred,
                                            value_range=(0, 1), legend=True, show=False)
    fig = plt.gcf()
    expected = visualization.draw_bounding_boxes(images.astype("uint8"), y_true, "xyxy", color=(0, 188, 212))
    expected = visualization.draw_bounding_boxes(expected, y_pred, "xyxy", color=(255, 235, 59))
    drawn = _figure_images(fig)
    assert len(drawn) == 4
    for got, image in zip(drawn, expected):
        np.testing.assert_allclose(got.astype(int), image.astype(int), atol=1)  # rescaling (0, 1) rounds
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Ground Truth", "Prediction"]
    with pytest.raises(ValueError, match="Only pass `legend` OR `legend_handles`"):
        visualization.plot_bounding_box_gallery(images, "xyxy", legend=True, legend_handles=[object()])


# -- plot_segmentation_mask_gallery ---------------------------------------------------------------------------

def test_plot_segmentation_mask_gallery_matches_keras(images, masks):
    predicted = np.roll(masks, 1, axis=1)
    for plot in (visualization.plot_segmentation_mask_gallery, keras.visualization.plot_segmentation_mask_gallery):
        plot(images[:2], num_classes=4, y_true=masks[:2], y_pred=predicted[:2], show=False)
    ours_fig, theirs_fig = (plt.figure(n) for n in plt.get_fignums())
    assert len(ours_fig.axes) == len(theirs_fig.axes) == 6  # a row per image: image, truth, prediction
    assert ours_fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 3)
    for ours, theirs in zip(_figure_images(ours_fig), _figure_images(theirs_fig)):
        np.testing.assert_array_equal(ours, theirs)


def test_plot_segmentation_mask_gallery_value_range_and_png(images, masks, tmp_path):
    from PIL import Image

    visualization.plot_segmentation_mask_gallery(images[:2] / 255.0, 4, value_range=(0, 1), y_true=masks[:2, ..., 0],
                                                 show=False)
    unit = _figure_images()
    plt.close("all")
    visualization.plot_segmentation_mask_gallery(images[:2], 4, y_true=masks[:2], show=False)
    for a, b in zip(unit, _figure_images()):
        assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max() <= 1
    path = tmp_path / "masks.png"
    visualization.plot_segmentation_mask_gallery(images[:2], 4, y_pred=masks[:2], path=str(path))
    with Image.open(path) as png:
        assert png.format == "PNG"
