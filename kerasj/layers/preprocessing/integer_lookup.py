"""`IntegerLookup`: integers to contiguous indices (or one-hot / multi-hot / count / tf-idf vectors) through a
vocabulary, given or learned with `adapt`; with `invert=True` indices back to the integers."""
import jax.numpy as jnp
import numpy as np

from kerasj.layers.preprocessing.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices through a vocabulary (Keras 3's `keras.layers.IntegerLookup`).

    The vocabulary is given (`vocabulary`: a list, array or text file of one integer per line) or learned with
    `adapt` (the most frequent values first, ties: the greater value first). The OOV value is `oov_token=-1` at
    index 0; several OOV indices take `value % num_oov_indices` (`oov_method="floormod"`), or hash the value's
    decimal text with FarmHash64 (`oov_method="farmhash"`, SipHash-2-4 with `salt`). `output_mode` "one_hot",
    "multi_hot", "count" or "tf_idf" returns vectors; `invert=True` maps indices back to values.

    Unlike the string layers it also runs inside `jax.jit` (a model being fit) on integer inputs, as a binary
    search over the sorted vocabulary, except with `oov_method="farmhash"` and several OOV indices (hashing runs
    on the host), and with `num_oov_indices=0`, where an unknown value cannot raise there and maps to -1 (no bin).
    Values are int32 inside jit (JAX's 64-bit mode is off); outputs are int32, as Keras on JAX gives.

        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer([[12, 1138, 42], [42, 1000, 36]])
        Array([[1, 3, 4],
               [4, 0, 2]], dtype=int32)
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported; received "
                             f"vocabulary_dtype={vocabulary_dtype!r}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, vocabulary_dtype=vocabulary_dtype,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name,
                         **kwargs)

    def _tokens_of(self, data, what):
        array = data if isinstance(data, np.ndarray) else np.asarray(data)
        if array.size and array.dtype.kind not in "iu":
            raise TypeError(f"IntegerLookup '{self.name}' ({what}): expected integers; received an array of "
                            f"dtype {array.dtype}.")
        return array.astype("int64")

    def _parse_lines(self, lines):
        return [int(line) for line in lines]

    def _traced_call(self, inputs):
        if not np.issubdtype(inputs.dtype, np.integer):
            raise TypeError(f"IntegerLookup '{self.name}': expected integer inputs; received dtype {inputs.dtype}.")
        return self._finish(self.lookup(inputs, jnp), jnp)

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
