"""`keras.visualization`: draw boxes and segmentation masks onto images (NumPy arrays out) and plot galleries of
images with matplotlib. matplotlib and Pillow are imported only by the functions that need them.

    >>> annotated = kerasj.visualization.draw_bounding_boxes(
    ...     images, {"boxes": boxes, "labels": labels}, bounding_box_format="xyxy")
    >>> kerasj.visualization.plot_image_gallery(images, path="gallery.png")
"""
from kerasj.visualization.draw_bounding_boxes import draw_bounding_boxes
from kerasj.visualization.draw_segmentation_masks import draw_segmentation_masks
from kerasj.visualization.plot_bounding_box_gallery import plot_bounding_box_gallery
from kerasj.visualization.plot_image_gallery import plot_image_gallery
from kerasj.visualization.plot_segmentation_mask_gallery import plot_segmentation_mask_gallery

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery", "plot_image_gallery",
           "plot_segmentation_mask_gallery"]
