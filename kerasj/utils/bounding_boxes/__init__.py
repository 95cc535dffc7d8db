"""`keras.utils.bounding_boxes`: box formats, their conversion, IoU, anchor deltas and the geometry that moves
boxes with their images, on JAX arrays.

    >>> from kerasj.utils import bounding_boxes
    >>> bounding_boxes.convert_format(np.array([[10, 20, 30, 40]]), source="xyxy", target="xywh")
    Array([[10., 20., 20., 20.]], dtype=float32)
"""
from kerasj.utils.bounding_boxes.deltas import decode_deltas_to_boxes, encode_box_to_deltas
from kerasj.utils.bounding_boxes.formats import SUPPORTED_FORMATS, convert_format
from kerasj.utils.bounding_boxes.geometry import affine_transform, clip_to_image_size, crop, pad
from kerasj.utils.bounding_boxes.iou import compute_ciou, compute_iou

__all__ = ["affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou", "convert_format", "crop",
           "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]
