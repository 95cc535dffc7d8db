"""Preprocessing layers (Keras 3 names): Normalization (state computed from data with `adapt`), and the image
layers — Rescaling, Resizing, CenterCrop and the random augmentations, active only in training."""
from kerasj.layers.preprocessing.center_crop import CenterCrop
from kerasj.layers.preprocessing.normalization import Normalization
from kerasj.layers.preprocessing.random_contrast import RandomContrast
from kerasj.layers.preprocessing.random_flip import RandomFlip
from kerasj.layers.preprocessing.random_rotation import RandomRotation
from kerasj.layers.preprocessing.random_translation import RandomTranslation
from kerasj.layers.preprocessing.random_zoom import RandomZoom
from kerasj.layers.preprocessing.rescaling import Rescaling
from kerasj.layers.preprocessing.resizing import Resizing
