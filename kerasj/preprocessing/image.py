"""`keras.preprocessing.image`: image file helpers (the same objects as `kerasj.utils.load_img` and friends).

    >>> x = keras.preprocessing.image.img_to_array(keras.preprocessing.image.load_img("cat.png"))
"""
from kerasj.utils.lazy import lazy_attributes as _lazy_attributes

__getattr__, __dir__ = _lazy_attributes(
    "kerasj.preprocessing.image", globals(),
    dict.fromkeys(["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"], "kerasj.utils.image_utils"))
