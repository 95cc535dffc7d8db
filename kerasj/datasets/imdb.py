"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled by sentiment (1 positive, 0 negative).

Each review is a list of word indices; a word's index is its frequency rank in the whole dataset (1 is the
most frequent word), so `num_words` and `skip_top` select words by frequency. Source: Andrew L. Maas et al.,
"Learning Word Vectors for Sentiment Analysis", ACL 2011 (https://ai.stanford.edu/~amaas/data/sentiment/).
"""
import json

import numpy as np

from kerasj.datasets._common import ORIGIN_FOLDER, as_sequence_array, encode_sequences, load_npz
from kerasj.utils.file_utils import get_file

ORIGIN = ORIGIN_FOLDER + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3):
    """Load IMDB as sequences of word indices, downloading the data into the cache on first use.

    Processing, applied in this order (the same as Keras):
    1. the training and the test reviews are each shuffled with `np.random.RandomState(seed)`;
    2. every index is shifted up by `index_from`, and `start_char` (unless None) is put in front;
    3. with `maxlen`, reviews of `maxlen` or more entries are dropped (ValueError if none is left);
    4. entries outside `[skip_top, num_words)` become `oov_char`, or are dropped when `oov_char` is None.
       Without `num_words` the bound is the largest index, which itself then counts as out of range.

    Returns `(x_train, y_train), (x_test, y_test)`: `x_*` are 1-D object arrays of lists of ints, `y_*`
    int64 arrays of 0/1 labels.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.imdb.load_data(num_words=10000)
        >>> max(max(review) for review in x_train) < 10000
        True
    """
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    x_train, y_train, x_test, y_test = load_npz(path, ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)  # the same generator, continued: the test order depends on the training set's size
    x_test, y_test = x_test[order], y_test[order]

    sequences, labels, kept = encode_sequences(
        list(x_train) + list(x_test), np.concatenate([y_train, y_test]), num_words=num_words,
        skip_top=skip_top, maxlen=maxlen, start_char=start_char, oov_char=oov_char, index_from=index_from)
    n_train = int(kept[:len(x_train)].sum())
    if maxlen and (n_train == 0 or n_train == len(sequences)):
        raise ValueError(f"imdb.load_data: no {'training' if n_train == 0 else 'test'} review is shorter than "
                         f"maxlen={maxlen}; increase maxlen.")
    return ((as_sequence_array(sequences[:n_train]), labels[:n_train]),
            (as_sequence_array(sequences[n_train:]), labels[n_train:]))


def get_word_index(path="imdb_word_index.json"):
    """The dict mapping each word to its index in the raw data (before `index_from` is added).

    Example:
        >>> index_from = 3
        >>> (x_train, _), _ = kerasj.datasets.imdb.load_data(index_from=index_from)
        >>> words = {i + index_from: w for w, i in kerasj.datasets.imdb.get_word_index().items()}
        >>> " ".join(words.get(i, "?") for i in x_train[0][1:])
    """
    with open(get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH), encoding="utf-8") as f:
        return json.load(f)
