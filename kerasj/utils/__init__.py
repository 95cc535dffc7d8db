"""Utilities: seeding, progress bars, data helpers, configs and the custom-object registry
(the same objects as in `kerasj.saving`)."""
from kerasj.utils.rng_utils import set_random_seed
from kerasj.utils.progbar import Progbar
from kerasj.utils.py_dataset import PyDataset
from kerasj.utils.file_utils import get_file
from kerasj.utils.sequence_utils import pad_sequences
from kerasj.utils.numerical_utils import normalize, to_categorical
from kerasj.utils.dataset_utils import split_dataset
from kerasj.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerasj.utils.io_utils import (disable_interactive_logging, enable_interactive_logging,
                                   is_interactive_logging_enabled)
from kerasj.utils.config_utils import Config
from kerasj.utils.session import clear_session
from kerasj.variables import standardize_dtype
from kerasj.utils.lazy import lazy_attributes as _lazy_attributes

# Keras 3 keeps the tf.keras name: `Sequence` is `PyDataset`, the same class.
Sequence = PyDataset

# Names Keras keeps in keras.utils whose homes import kerasj.utils themselves (the symbolic tensors of ops, the
# serialization of saving): resolved on first use, so that importing this package never needs them.
_ELSEWHERE = {"get_source_inputs": "kerasj.ops.keras_tensor_utils", "is_keras_tensor": "kerasj.ops.keras_tensor_utils",
              **dict.fromkeys(["CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
                               "get_registered_object", "register_keras_serializable"],
                              "kerasj.saving.object_registration"),
              "deserialize_keras_object": "kerasj.saving.serialization_lib",
              "serialize_keras_object": "kerasj.saving.serialization_lib",
              # Optional packages (pydot, Pillow, TensorFlow, grain) are imported inside these functions only.
              "plot_model": "kerasj.utils.model_visualization", "model_to_dot": "kerasj.utils.model_visualization",
              **dict.fromkeys(["load_img", "img_to_array", "array_to_img", "save_img"], "kerasj.utils.image_utils"),
              "image_dataset_from_directory": "kerasj.utils.image_dataset_utils",
              "text_dataset_from_directory": "kerasj.utils.text_dataset_utils",
              "audio_dataset_from_directory": "kerasj.utils.audio_dataset_utils",
              "timeseries_dataset_from_array": "kerasj.utils.timeseries_dataset_utils",
              # Built from preprocessing layers, so it lives with them (as in Keras), one floor up.
              "FeatureSpace": "kerasj.layers.preprocessing.feature_space"}


__getattr__, __dir__ = _lazy_attributes("kerasj.utils", globals(), _ELSEWHERE, submodules=("bounding_boxes", "legacy"))
