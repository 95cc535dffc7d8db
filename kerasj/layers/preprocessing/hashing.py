"""The Hashing preprocessing layer: strings or integers -> `num_bins` hash bins, the same bins as Keras 3
(TensorFlow's FarmHash fingerprint, or keyed SipHash with a salt), computed on the host without TensorFlow."""
import jax
import numpy as np

from kerasj import config
from kerasj.layers.layer import Layer
from kerasj.layers.preprocessing.category_encoding import encode_categorical
from kerasj.ops.symbolic import KerasTensor
from kerasj.utils import string_hashing
from kerasj.utils.argument_validation import check_choice, is_int


def host_array(x, owner):
    """`x` (array, list, scalar, tf / JAX tensor) as a numpy array; strings become str or bytes arrays.
    Hashing runs on the host, so a traced value (inside `jax.jit`) is refused with a clear message."""
    if isinstance(x, jax.core.Tracer):
        raise ValueError(f"{owner}: hashing runs on the host and cannot be traced inside jax.jit / a compiled "
                         "model; apply the layer to the data beforehand (e.g. in the input pipeline).")
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray) and not isinstance(x, jax.Array):
        x = x.numpy()  # a tf.Tensor
    return np.asarray(x)


def as_hash_strings(values):
    """The strings TensorFlow hashes for `values`: strings as they are, integers in decimal, floats truncated
    to integers first, booleans as "true" / "false" (what tf.as_string writes)."""
    if values.dtype.kind in "USO":
        return values
    if values.dtype.kind == "b":
        return np.where(values, "true", "false")
    if values.dtype.kind == "f":
        values = np.trunc(values).astype(np.int64)
    return values.astype(np.int64).astype(str)


def check_salt(salt, owner):
    """Keras's salt forms: None, one int (used for both key words) or a pair of ints; returns None or a list."""
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(is_int(s) for s in salt):
        return [int(s) for s in salt]
    if is_int(salt):
        return [int(salt), int(salt)]
    raise ValueError(f"{owner}: `salt` must be an integer or a pair of integers; received salt={salt!r}")


class Hashing(Layer):
    """Hashes strings (or integers, hashed as their decimal strings) into `num_bins` bins.

    Without `salt` the bin is FarmHash's Fingerprint64 modulo the number of bins (what
    `tf.strings.to_hash_bucket_fast` gives); with a salt, keyed SipHash-2-4 (`to_hash_bucket_strong`). The
    bins equal Keras 3's for the same inputs. With `mask_value`, inputs equal to it go to bin 0 and the
    others are hashed into bins 1 to `num_bins - 1`.

    Args:
        num_bins: number of hash bins (including the mask bin, if any).
        mask_value: a value (string or number) mapped to bin 0, or None.
        salt: an int or a pair of ints: use the keyed (salted) hash.
        output_mode: `"int"` (bin indices, default dtype int64 — int32 unless JAX runs with x64), or
            `"one_hot"`, `"multi_hot"`, `"count"` (see `CategoryEncoding`).
        sparse: with an encoding output mode, return a `jax.experimental.sparse.BCOO` array.

    Hashing runs on the host (numpy), not inside a compiled model: apply it to the data, or use it in a
    `FeatureSpace` or input pipeline.

        >>> Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"]])).tolist()
        [[1], [0], [1]]
        >>> Hashing(num_bins=3, mask_value="")(np.array([[""], ["A"]])).tolist()
        [[0], [1]]
    """

    supports_jit = False  # hashes in numpy on the host (kerasj.layers.host_call), as Keras marks it

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else config.floatx()
        super().__init__(**kwargs)
        owner = f"Hashing '{self.name}'"
        if not is_int(num_bins) or num_bins <= 0:
            raise ValueError(f"{owner}: `num_bins` must be a positive integer; received num_bins={num_bins!r}")
        check_choice(owner, "output_mode", output_mode, ("int", "one_hot", "multi_hot", "count"))
        if output_mode == "int" and self._dtype_policy_name not in ("int32", "int64"):
            raise ValueError(f"{owner}: with output_mode='int', `dtype` must be 'int32' or 'int64'; received "
                             f"dtype={kwargs['dtype']!r}")
        if sparse and output_mode == "int":
            raise ValueError(f"{owner}: `sparse=True` needs output_mode 'one_hot', 'multi_hot' or 'count'; "
                             f"received sparse={sparse} and output_mode={output_mode!r}")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = check_salt(salt, owner)
        self.strong_hash = self.salt is not None
        self.output_mode = output_mode
        self.sparse = bool(sparse)

    def _convert_inputs(self, inputs):
        # Strings cannot become JAX arrays: the layer reads its input on the host as it is.
        return inputs

    def hash_to_bins(self, values):
        """Bin indices (an int64 numpy array) of a numpy array of strings or numbers."""
        bins, mask = self.num_bins, None
        if self.mask_value is not None and bins > 1:
            bins -= 1  # bin 0 is the mask's
            mask = values == self.mask_value
            if isinstance(self.mask_value, str) and values.dtype.kind in "SO":  # bytes, e.g. from tf.string
                mask = mask | (values == self.mask_value.encode("utf-8"))
        strings = as_hash_strings(values)
        if self.strong_hash:
            out = string_hashing.hash_bucket_strong(strings, bins, self.salt)
        else:
            out = string_hashing.hash_bucket_fast(strings, bins)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def call(self, inputs):
        values = host_array(inputs, f"Hashing '{self.name}'")
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        indices = self.hash_to_bins(values).astype(np.int32 if self.num_bins < 2**31 else np.int64)
        return encode_categorical(indices, self.output_mode, self.num_bins, self._output_dtype, sparse=self.sparse)

    @property
    def _output_dtype(self):
        # "int64" (Keras's default) means int32 unless JAX runs with x64, as in Keras on JAX.
        return jax.dtypes.canonicalize_dtype(self.compute_dtype).name

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if not input_shape:
            return (self.num_bins,)
        return input_shape[:-1] + (self.num_bins,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), self._output_dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}
