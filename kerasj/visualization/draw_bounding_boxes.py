"""Draw bounding boxes, and optionally their class names and confidences, onto a batch of images.

Keras draws with OpenCV (`cv2.rectangle`, `cv2.putText`); kerasj draws the rectangles with NumPy (the same
pixels as OpenCV's 8-connected lines for thickness 1, a band of `thickness` pixels centered on each edge
otherwise) and renders label text with Pillow, so text pixels differ from OpenCV's Hershey font. Pillow is
needed only when a label is drawn.

    >>> images = np.zeros((1, 32, 32, 3), "uint8")
    >>> boxes = {"boxes": np.array([[[4, 4, 20, 28]]]), "labels": np.array([[0]])}
    >>> drawn = draw_bounding_boxes(images, boxes, bounding_box_format="xyxy", color=(255, 0, 0))
"""
import numpy as np

from kerasj.utils.bounding_boxes import convert_format
from kerasj.visualization._images import batched_images, channels_last, data_format_of

# Pixel size of Pillow's default font at font_scale=1, about the cap height of OpenCV's FONT_HERSHEY_SIMPLEX.
_FONT_PIXELS_PER_SCALE = 20


def _span(low, high, size):
    """The slice of `[low, high]` (inclusive) inside `[0, size)`; empty when it lies outside."""
    return slice(min(max(low, 0), size), min(max(high + 1, 0), size))


def _rectangle_mask(height, width, x1, y1, x2, y2, thickness):
    """The pixels of a rectangle outline with corners (x1, y1), (x2, y2): each edge a band of `thickness`
    pixels centered on it (negative thickness fills the rectangle, as OpenCV's does)."""
    left, right, top, bottom = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    mask = np.zeros((height, width), bool)
    if thickness < 0:
        mask[_span(top, bottom, height), _span(left, right, width)] = True
        return mask
    before = thickness // 2
    after = thickness - 1 - before
    mask[_span(top - before, bottom + after, height), _span(left - before, right + after, width)] = True
    inner_rows, inner_cols = _span(top + after + 1, bottom - before - 1, height), _span(left + after + 1,
                                                                                        right - before - 1, width)
    if inner_rows.start < inner_rows.stop and inner_cols.start < inner_cols.stop:
        mask[inner_rows, inner_cols] = False
    return mask


def _text_location(x, y, font_scale, thickness):
    """Where a label's baseline starts: above the box's top-left corner, or just inside it when there is no
    room above (the placement Keras uses)."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _text_mask(height, width, text, origin, font_scale, thickness):
    """The pixels of `text` rendered with its baseline starting at `origin`."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as err:
        raise ImportError("The `draw_bounding_boxes` function draws class labels with Pillow. Please install it "
                          "with `pip install pillow`.") from err
    canvas = Image.new("L", (width, height), 0)
    font = ImageFont.load_default(size=max(1, round(font_scale * _FONT_PIXELS_PER_SCALE)))
    draw = ImageDraw.Draw(canvas)
    stroke = max(0, (int(thickness) - 1) // 2)
    if isinstance(font, ImageFont.FreeTypeFont):
        draw.text(origin, text, fill=255, font=font, anchor="ls", stroke_width=stroke, stroke_fill=255)
    else:  # Pillow without FreeType: a small bitmap font, placed by its top-left corner
        draw.text((origin[0], origin[1] - font.getbbox(text)[3]), text, fill=255, font=font)
    return np.asarray(canvas) > 127


def _uint8_images(images):
    # As Keras: floats in [0, 1] are scaled to [0, 255], other floats clipped to it; integers cast.
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    return images.astype("uint8")


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None, color=(128, 128, 128),
                        line_thickness=2, text_thickness=1, font_scale=1.0, data_format=None):
    """Draw boxes onto a batch of images, with class names (and confidences) for labels in `class_mapping`.

    Args:
        images: `(batch, height, width, channels)` images (or channels first, see `data_format`). Floats in
            `[0, 1]` are scaled to `[0, 255]`; the result is uint8.
        bounding_boxes: a dict with `"boxes"` `(batch, num_boxes, 4)`, `"labels"` `(batch, num_boxes)`
            (boxes labelled -1 are not drawn) and optionally `"confidences"` `(batch, num_boxes)`.
        bounding_box_format: the format of the boxes (see `keras.utils.bounding_boxes.convert_format`).
        class_mapping: `{class id: name}`; boxes whose label is in it get their name written above them.
        color: the color of boxes and text, one value per channel (`(255, 0, 0)` is red for RGB).
        line_thickness: the width of the box lines in pixels; negative fills the boxes.
        text_thickness: the stroke width of the text (falls back to `line_thickness` when 0 or None).
        font_scale: the size of the text, 1.0 being about 20 pixels.
        data_format: `"channels_last"` or `"channels_first"`; defaults to `image_data_format()`.

    Returns:
        A uint8 NumPy array shaped like `images` with the boxes drawn.

    >>> draw_bounding_boxes(images, {"boxes": boxes, "labels": labels}, "xywh", class_mapping={0: "cat"})
    """
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    images = batched_images(images)
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"`bounding_boxes` should be a dict. Received: bounding_boxes={bounding_boxes} of type "
                        f"{type(bounding_boxes)}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError("`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. Received: "
                         f"bounding_boxes={bounding_boxes}")
    data_format = data_format_of(data_format)
    images = channels_last(images, data_format)
    height, width, channels = images.shape[1:]
    boxes = np.asarray(convert_format(bounding_boxes["boxes"], bounding_box_format, "xyxy", height, width))
    labels = np.asarray(bounding_boxes["labels"])
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else np.asarray(confidences)
    # OpenCV colors as many channels as the image has, the missing ones with 0.
    color = np.asarray((list(color) + [0] * channels)[:channels], "uint8")

    images = _uint8_images(images)  # a copy: the caller's array is left alone
    for i, image in enumerate(images):
        for j, box in enumerate(boxes[i]):
            label = int(labels[i][j])
            if label == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in box.astype("int32"))
            image[_rectangle_mask(height, width, x1, y1, x2, y2, line_thickness)] = color
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {confidences[i][j]:.2f}"
                origin = _text_location(x1, y1, font_scale, text_thickness)
                image[_text_mask(height, width, text, origin, font_scale, text_thickness)] = color
    return np.transpose(images, (0, 3, 1, 2)) if data_format == "channels_first" else images
