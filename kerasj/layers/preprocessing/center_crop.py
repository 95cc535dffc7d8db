"""The CenterCrop preprocessing layer."""
from kerasj.layers.preprocessing.image_transform import ImageLayer, image_axes, resize_images
from kerasj.utils.argument_validation import check_positive_int


class CenterCrop(ImageLayer):
    """Crops the central `(height, width)` window of images.

    When an image is smaller than the target on either side, it is not padded: as in Keras, the largest
    centred window with the target aspect ratio is cut out and resized (bilinear) to `(height, width)`.
    When the leftover on a side is odd, the extra pixel is dropped at the end (bottom/right).
    Outputs are in the compute dtype (float32).

        >>> CenterCrop(2, 2)(jnp.arange(16.0).reshape(4, 4, 1))[..., 0]
        Array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = check_positive_int(height, "height", self._owner())
        self.width = check_positive_int(width, "width", self._owner())
        self.built = True

    def call(self, inputs):
        self._check_images(inputs)
        images = inputs.astype(self.compute_dtype)
        in_height, in_width = self._size(images)
        if in_height < self.height or in_width < self.width:
            return resize_images(images, self.height, self.width, self.data_format, crop_to_aspect_ratio=True)
        top, left = (in_height - self.height) // 2, (in_width - self.width) // 2
        h_axis, w_axis = image_axes(self.data_format)
        index = [slice(None)] * images.ndim
        index[h_axis], index[w_axis] = slice(top, top + self.height), slice(left, left + self.width)
        return images[tuple(index)]

    def compute_output_shape(self, input_shape):
        return self._shape_with_size(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
