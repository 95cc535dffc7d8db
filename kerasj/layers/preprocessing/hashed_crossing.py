"""The HashedCrossing preprocessing layer: the cross of several categorical features, hashed into bins as
`tf.sparse.cross_hashed` does (FingerprintCat64 chained over the features), without TensorFlow."""
import jax
import numpy as np

from kerasj.layers.layer import Layer
from kerasj.layers.preprocessing.category_encoding import encode_categorical
from kerasj.layers.preprocessing.hashing import host_array
from kerasj.ops.symbolic import KerasTensor
from kerasj.utils import string_hashing
from kerasj.utils.argument_validation import check_choice, check_positive_int

# The key TensorFlow starts the chain with when `tf.sparse.cross_hashed` is given none.
_DEFAULT_HASH_KEY = 0xDECAFCAFFE
_UINT64 = (1 << 64) - 1


def _feature_fingerprints(values):
    """Per-value 64-bit features of one input: integers as their two's complement, strings fingerprinted."""
    if values.dtype.kind in "USO":
        return [int(h) for h in string_hashing.fingerprint64_array(values).reshape(-1)]
    return [int(v) & _UINT64 for v in values.astype(np.int64).reshape(-1)]


def cross_hash(features, num_bins):
    """Bin of each row's cross of `features` (equal-shape numpy arrays of ints or strings): an int64 array."""
    columns = [_feature_fingerprints(f) for f in features]
    out = []
    for row in zip(*columns):
        h = _DEFAULT_HASH_KEY
        for feature in row:
            h = string_hashing.fingerprint_cat64(h, feature)
        out.append(h % num_bins)
    return np.asarray(out, dtype=np.int64).reshape(features[0].shape)


class HashedCrossing(Layer):
    """Crosses two or more categorical features (integers or strings) and hashes each combination into one
    of `num_bins` bins, with the same bins as Keras 3.

    Args:
        num_bins: number of hash bins.
        output_mode: `"int"` (bin indices; default dtype int64, int32 unless JAX runs with x64) or
            `"one_hot"`.
        sparse: with `"one_hot"`, return a `jax.experimental.sparse.BCOO` array.

    Call it on a list or tuple of inputs of equal shape `()`, `(batch,)` or `(batch, 1)`. It runs on the host
    (numpy), not inside a compiled model.

        >>> layer = HashedCrossing(num_bins=5)
        >>> layer((np.array([1, 2]), np.array(["A", "B"]))).tolist()
        [2, 3]
    """

    supports_jit = False  # hashes in numpy on the host (kerasj.layers.host_call), as Keras marks it

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        owner = f"HashedCrossing '{self.name}'"
        self.num_bins = check_positive_int(num_bins, "num_bins", owner)
        check_choice(owner, "output_mode", output_mode, ("int", "one_hot"))
        if sparse and output_mode == "int":
            raise ValueError(f"{owner}: `sparse=True` needs output_mode='one_hot'; received sparse={sparse}")
        self.output_mode = output_mode
        self.sparse = bool(sparse)

    def _convert_inputs(self, inputs):
        return inputs  # strings stay on the host

    @property
    def _output_dtype(self):
        return jax.dtypes.canonicalize_dtype(self.compute_dtype).name

    def _check_inputs_list(self, inputs):
        owner = f"HashedCrossing '{self.name}'"
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{owner}: expected a list or tuple of inputs; received {type(inputs).__name__}")
        if len(inputs) < 2:
            raise ValueError(f"{owner}: expected at least two inputs to cross; received {len(inputs)}")
        shapes = [tuple(x.shape) for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(f"{owner}: inputs must have shape (), (batch_size,) or (batch_size, 1); received "
                             f"shapes {shapes}")
        if any(s != first for s in shapes[1:]):
            raise ValueError(f"{owner}: all inputs must have the same shape; received shapes {shapes}")
        dtypes = [x.dtype for x in inputs]
        if not all(d == "string" or np.dtype(d).kind in "iuUSO" for d in dtypes):
            raise ValueError(f"{owner}: inputs must be integers or strings; received dtypes "
                             f"{[str(d) for d in dtypes]}")

    def call(self, inputs):
        self._check_inputs_list(inputs)
        values = [host_array(x, f"HashedCrossing '{self.name}'") for x in inputs]
        self._check_inputs_list(values)
        bins = cross_hash(values, self.num_bins).astype(np.int32 if self.num_bins < 2**31 else np.int64)
        return encode_categorical(bins, self.output_mode, self.num_bins, self._output_dtype, sparse=self.sparse)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            return first[:-1] + (self.num_bins,)
        return first + (self.num_bins,)

    def compute_output_spec(self, inputs):
        self._check_inputs_list(inputs)
        return KerasTensor(self.compute_output_shape([x.shape for x in inputs]), self._output_dtype)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": self.dtype}
