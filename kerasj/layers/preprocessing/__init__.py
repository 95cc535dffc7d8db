"""Preprocessing layers (Keras 3 names): layers whose state is computed from data with `adapt`."""
from kerasj.layers.preprocessing.normalization import Normalization
