"""Reuters newswires: 11,228 newswires labelled with one of 46 topics (see `get_label_names`).

Each newswire is a list of word indices; a word's index is its frequency rank in the whole dataset (1 is the
most frequent word). Source: the Reuters-21578 collection (https://martin-thoma.com/nlp-reuters/).
"""
import json

import numpy as np

from kerasj.datasets._common import (ORIGIN_FOLDER, as_sequence_array, check_test_split, encode_sequences,
                                     load_npz)
from kerasj.utils.file_utils import get_file

ORIGIN = ORIGIN_FOLDER + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Load Reuters as sequences of word indices, downloading the data into the cache on first use.

    Processing, applied in this order (the same as Keras):
    1. all newswires are shuffled with `np.random.RandomState(seed)`;
    2. every index is shifted up by `index_from`, and `start_char` (unless None) is put in front;
    3. with `maxlen`, newswires of `maxlen` or more entries are dropped;
    4. entries outside `[skip_top, num_words)` become `oov_char`, or are dropped when `oov_char` is None.
       Without `num_words` the bound is the largest index, which itself then counts as out of range;
    5. the last `test_split` fraction becomes the test set.

    Returns `(x_train, y_train), (x_test, y_test)`: `x_*` are 1-D object arrays of lists of ints, `y_*`
    int64 arrays of topic labels 0-45.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.reuters.load_data(num_words=10000)
        >>> topics = [kerasj.datasets.reuters.get_label_names()[label] for label in y_train[:5]]
    """
    check_test_split(test_split, "reuters.load_data")
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    xs, labels = load_npz(path, ("x", "y"))
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    sequences, labels, _ = encode_sequences(
        list(xs[order]), labels[order], num_words=num_words, skip_top=skip_top, maxlen=maxlen,
        start_char=start_char, oov_char=oov_char, index_from=index_from)
    cut = int(len(sequences) * (1 - test_split))
    return ((as_sequence_array(sequences[:cut]), labels[:cut]),
            (as_sequence_array(sequences[cut:]), labels[cut:]))


def get_word_index(path="reuters_word_index.json"):
    """The dict mapping each word to its index in the raw data (before `index_from` is added).

    Example:
        >>> index_from = 3
        >>> words = {i + index_from: w for w, i in kerasj.datasets.reuters.get_word_index().items()}
    """
    with open(get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH), encoding="utf-8") as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed by label: `get_label_names()[3] == "earn"`."""
    return _LABEL_NAMES
