"""Models: Model (functional and subclassed) and Sequential; saving and loading whole models.

    >>> kerasj.models.save_model(model, "model.keras")      # the same as model.save("model.keras")
    >>> same = kerasj.models.load_model("model.keras")
"""
import json

from kerasj.models.cloning import clone_model
from kerasj.models.functional import Functional
from kerasj.models.model import Model
from kerasj.models.sequential import Sequential
from kerasj.saving.serialization_lib import deserialize_keras_object
from kerasj.utils.keras_names import register, register_namespace
from kerasj.utils.lazy import lazy_attributes as _lazy_attributes

# As in Keras, `models.save_model` is `saving.save_model` itself. Its module sits on the saving floor above this
# package (it imports models), so it loads on first use.
_SAVING = {"save_model": "kerasj.saving.keras_archive"}


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a `.keras` model file written by kerasj or Keras 3; see kerasj.saving.keras_archive.load_model."""
    from kerasj.saving.keras_archive import load_model as _load  # saving sits above models (it builds them)
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (new weights) from `model.to_json()` output.

        >>> same_architecture = kerasj.models.model_from_json(model.to_json())
    """

    try:
        config = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as err:
        raise ValueError(f"model_from_json: not valid JSON ({err}).") from err
    model = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(model, Model):
        raise ValueError(f"model_from_json: the JSON describes a {type(model).__name__}, not a model.")
    return model


# The Keras module names configs use for these classes: Keras 3 writes functional models under their defining
# module and Sequential under "keras" (registered first, so saving writes those names).
register("keras.src.models.functional", "Functional", Functional)
register("keras", "Sequential", Sequential)
register_namespace("keras.models", globals())
register_namespace("keras", {"Functional": Functional, "Model": Model, "Sequential": Sequential})

__getattr__, __dir__ = _lazy_attributes("kerasj.models", globals(), _SAVING)
