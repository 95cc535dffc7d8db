"""Saving: Keras 3 `.weights.h5` files (`kerasj.saving.save_weights` / `load_weights`, also available as
`model.save_weights` / `model.load_weights`)."""
from kerasj.saving.weights_io import load_weights, save_weights

__all__ = ["load_weights", "save_weights"]
