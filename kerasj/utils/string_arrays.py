"""Text as numbers, so that string data can travel through compiled programs.

JAX arrays hold numbers only, yet `fit` batches in-memory data on the device and a compiled step receives its
batch as arguments. A string array therefore travels as `EncodedStrings`: its Unicode code points in a
`uint32` array with one extra trailing axis (padded with zeros to a power-of-two width, so that datasets of
similar text share compiled programs). Host-side layers (TextVectorization, StringLookup, Hashing) decode it
back to a numpy string array; everything else sees its `shape` and `dtype` ("string") like any tensor's.

    >>> enc = encode(np.array(["a cat", "dog"]))
    >>> enc.shape, enc.codes.shape, decode(enc.codes).tolist()
    ((2,), (2, 8), ['a cat', 'dog'])
"""
import jax
import numpy as np


@jax.tree_util.register_pytree_node_class
class EncodedStrings:
    """A string array of shape `shape` stored as `codes`, a `uint32` array of shape `shape + (width,)`."""

    dtype = "string"

    def __init__(self, codes):
        self.codes = codes

    @property
    def shape(self):
        return tuple(self.codes.shape[:-1])

    @property
    def ndim(self):
        return len(self.codes.shape) - 1

    def reshape(self, shape):
        """The same strings in `shape` (e.g. `(batch, 1)` <-> `(batch,)`); the code axis stays last."""
        return EncodedStrings(self.codes.reshape(tuple(shape) + (self.codes.shape[-1],)))

    def __len__(self):
        return self.codes.shape[0]

    def __repr__(self):
        return f"EncodedStrings(shape={self.shape}, width={self.codes.shape[-1]})"

    def tree_flatten(self):
        return (self.codes,), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(children[0])


def is_string_array(x):
    """True for a numpy string array (str, bytes, or objects that are all str/bytes)."""
    dtype = getattr(x, "dtype", None)
    if not isinstance(dtype, np.dtype):
        return False
    if dtype.kind in "US":
        return True
    if dtype.kind == "O":
        flat = np.asarray(x).reshape(-1)
        return flat.size > 0 and all(isinstance(v, (str, bytes)) for v in flat)
    return False


def _as_str_array(x):
    arr = np.asarray(x)
    if arr.dtype.kind == "U":
        return arr
    decode_one = lambda v: v.decode("utf-8") if isinstance(v, bytes) else v
    if arr.dtype.kind == "S":
        return np.char.decode(arr, "utf-8")
    return np.vectorize(decode_one, otypes=[str])(arr) if arr.size else arr.astype(str)


def encode(x, min_width=8):
    """A string array (numpy str / bytes / object) as `EncodedStrings` with numpy codes."""
    arr = _as_str_array(x)
    longest = max(arr.dtype.itemsize // 4, 1)
    width = max(min_width, 1 << (longest - 1).bit_length())
    arr = arr.astype(f"<U{width}")
    return EncodedStrings(np.ascontiguousarray(arr).view(np.uint32).reshape(arr.shape + (width,)))


def decode(codes):
    """The numpy str array that `codes` (the `codes` of an `EncodedStrings`) hold."""
    codes = np.ascontiguousarray(np.asarray(codes), dtype=np.uint32)
    width = codes.shape[-1]
    return codes.view(f"<U{width}").reshape(codes.shape[:-1])
