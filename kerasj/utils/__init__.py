"""Utilities: seeding, progress bars, data helpers."""
from kerasj.utils.rng_utils import set_random_seed
from kerasj.utils.progbar import Progbar
from kerasj.utils.py_dataset import PyDataset
from kerasj.utils.file_utils import get_file
from kerasj.utils.sequence_utils import pad_sequences
