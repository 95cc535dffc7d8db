"""`keras.preprocessing.sequence`: `pad_sequences` (the same function as `kerasj.utils.pad_sequences`)."""
from kerasj.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
