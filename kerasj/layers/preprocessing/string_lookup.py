"""`StringLookup`: strings to integer indices (or one-hot / multi-hot / count / tf-idf vectors) through a
vocabulary, given or learned with `adapt`; with `invert=True` indices back to strings."""
import numpy as np

from kerasj.layers.preprocessing.index_lookup import IndexLookup


def as_strings(data, encoding, owner):
    """`data` (str, bytes, lists of them, numpy "U"/"S"/object arrays) as a numpy array of `str`."""
    try:
        array = data if isinstance(data, np.ndarray) else np.asarray(data)
    except ValueError as error:  # e.g. a ragged nested list
        raise ValueError(f"{owner}: expected a rectangular array of strings; received {type(data).__name__} "
                         f"({error}).") from None
    if array.dtype.kind == "U":
        return array
    if array.dtype.kind == "S":
        return np.char.decode(array, encoding)
    if array.size == 0:
        return array.astype(str)
    if array.dtype.kind == "O":
        flat = array.reshape(-1).tolist()
        if all(isinstance(v, (str, bytes)) for v in flat):
            texts = [v.decode(encoding) if isinstance(v, bytes) else v for v in flat]
            return np.array(texts, dtype=str).reshape(array.shape)
    raise TypeError(f"{owner}: expected strings; received an array of dtype {array.dtype}.")


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary (Keras 3's `keras.layers.StringLookup`).

    The vocabulary is given (`vocabulary`: a list, array or text file of one token per line) or learned with
    `adapt`: the most frequent strings first (ties: the greater string first). Index 0 is the OOV index
    `[UNK]` (after the mask index 0 when `mask_token` is set); several OOV indices hash unknown strings over
    them with FarmHash64, or SipHash-2-4 keyed by `salt`, exactly as Keras. `output_mode` "one_hot",
    "multi_hot", "count" or "tf_idf" returns vectors of size `vocabulary_size()` (or `max_tokens` with
    `pad_to_max_tokens`); `invert=True` maps indices back to strings.

    It works on the host in numpy: inputs are strings (str, bytes, numpy or TensorFlow string arrays), the
    indices come back as an int32 JAX array, inverted strings as a numpy array of `str`. TensorFlow is not
    needed. `sparse=True` is not supported.

        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> layer([["a", "c"], ["d", "b"]])
        Array([[1, 3],
               [0, 2]], dtype=int32)
        >>> StringLookup(vocabulary=["a", "b", "c"], invert=True)([[1, 0]])
        array([['a', '[UNK]']], dtype='<U5')
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def _tokens_of(self, data, what):
        return as_strings(data, self.encoding, f"StringLookup '{self.name}' ({what})")

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]  # strings have one dtype, so Keras does not expose it
        return {**config, "encoding": self.encoding}
