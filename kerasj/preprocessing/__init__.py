"""`keras.preprocessing`: the dataset builders of `kerasj.utils` under their older home, and the `image` and
`sequence` helper modules (the same objects as in `kerasj.utils`).

    >>> train = keras.preprocessing.image_dataset_from_directory("photos/", image_size=(64, 64))
"""
from kerasj.utils.lazy import lazy_attributes as _lazy_attributes

_NAMES = {"image_dataset_from_directory": "kerasj.utils.image_dataset_utils",
          "text_dataset_from_directory": "kerasj.utils.text_dataset_utils",
          "timeseries_dataset_from_array": "kerasj.utils.timeseries_dataset_utils"}

__getattr__, __dir__ = _lazy_attributes("kerasj.preprocessing", globals(), _NAMES, submodules=("image", "sequence"))
