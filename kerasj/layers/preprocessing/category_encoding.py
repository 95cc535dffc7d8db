"""The CategoryEncoding preprocessing layer, and `encode_categorical`: integer ids -> one-hot / multi-hot / count
vectors, shared with Discretization, Hashing and HashedCrossing."""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj.layers.layer import Layer
from kerasj.utils.argument_validation import check_choice, is_int


def encode_categorical(indices, output_mode, depth, dtype, sparse=False, count_weights=None):
    """Encode integer `indices` as Keras's preprocessing layers do; traced inputs (under `jax.jit`) are
    encoded with jax.numpy, concrete ones with numpy. Returns a JAX array.

    - `"int"`: the indices cast to `dtype`.
    - `"one_hot"`: one vector per index; a trailing axis of size 1 is replaced by the encoding, any other
      shape gains a new last axis. A scalar becomes one sample, `(1, depth)`.
    - `"multi_hot"` / `"count"`: the indices of a sample are combined (max / sum, the sum weighted by
      `count_weights`) into one `depth` vector. As in Keras 3, the combined axis is axis 1 for inputs of rank
      2 and more (the last axis of a batch of samples) and axis 0 for one sample.

    Out-of-range indices encode as zeros. `sparse=True` returns a `jax.experimental.sparse.BCOO` array.

        >>> encode_categorical(jnp.array([[0, 2, 2]]), "count", 3, "float32")
        Array([[1., 0., 2.]], dtype=float32)
    """
    # Concrete inputs (the usual case in a data pipeline) are encoded with numpy, which needs no compilation
    # per new shape; traced ones with jax.numpy.
    traced = isinstance(indices, jax.core.Tracer) or isinstance(count_weights, jax.core.Tracer)
    xp = jnp if traced else np
    dtype = jnp.dtype(dtype)  # also names bfloat16 for numpy
    x = xp.asarray(indices)
    if output_mode == "int":
        return jnp.asarray(x.astype(dtype))
    if x.ndim == 0:
        x = x[None]
    axis = 1 if x.ndim > 1 else 0
    if output_mode == "multi_hot":
        out = xp.max(_one_hot(xp, x.astype("int32"), depth, dtype), axis=axis)
    elif output_mode == "one_hot":
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x[..., 0]
        out = _one_hot(xp, x, depth, dtype)
    else:  # "count"
        if count_weights is not None:
            weights = xp.asarray(count_weights)
            out = xp.sum(_one_hot(xp, x, depth, weights.dtype) * weights[..., None], axis=axis)
        else:
            out = xp.sum(_one_hot(xp, x, depth, dtype), axis=axis)
    if sparse:
        from jax.experimental import sparse as jax_sparse
        if traced:
            return jax_sparse.BCOO.fromdense(out, nse=out.size)
        host = np.asarray(out)
        indices = np.argwhere(host != 0)  # found on the host: fromdense would compile for every shape
        return jax_sparse.BCOO((jnp.asarray(host[tuple(indices.T)]), jnp.asarray(indices, "int32")),
                               shape=host.shape)
    return jnp.asarray(out)


def _one_hot(xp, x, depth, dtype):
    """`jax.nn.one_hot`'s encoding (an id matches the position equal to it; others, non-integers included,
    give zeros) in numpy or jax.numpy."""
    return (x[..., None] == xp.arange(depth)).astype(dtype)


class CategoryEncoding(Layer):
    """Encodes integer ids in `[0, num_tokens)` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of distinct ids (the size of the encoding).
        output_mode: `"multi_hot"` (default; a 1 for each id present in a sample, the sample being the last
            axis), `"one_hot"` (one vector per id; a trailing axis of size 1 is replaced) or `"count"` (how many
            times each id occurs, optionally weighted by the call's `count_weights`).
        sparse: return a `jax.experimental.sparse.BCOO` array (as Keras 3 does on JAX).

    The layer has no state and its call is pure `jax.numpy`, so it runs inside a compiled model.

        >>> CategoryEncoding(num_tokens=4, output_mode="one_hot")([3, 0])
        Array([[0., 0., 0., 1.],
               [1., 0., 0., 0.]], dtype=float32)
        >>> CategoryEncoding(4, output_mode="count")([[0, 1, 1]], count_weights=[[0.5, 1.0, 2.0]])
        Array([[0.5, 3. , 0. , 0. ]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":  # the old name of multi_hot, still accepted by Keras
            output_mode = "multi_hot"
        check_choice(f"CategoryEncoding '{self.name}'", "output_mode", output_mode,
                     ("multi_hot", "one_hot", "count"))
        if num_tokens is None:
            raise ValueError(f"CategoryEncoding '{self.name}': `num_tokens` must be set; when the number of ids "
                             "is not known in advance, use IntegerLookup instead.")
        if not is_int(num_tokens) or num_tokens < 1:
            raise ValueError(f"CategoryEncoding '{self.name}': `num_tokens` must be an integer >= 1; received "
                             f"num_tokens={num_tokens!r}")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = bool(sparse)

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"CategoryEncoding '{self.name}': `count_weights` is only used when "
                                 f"output_mode='count'; received output_mode={self.output_mode!r}.")
            count_weights = jnp.asarray(count_weights, dtype=self.compute_dtype)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.compute_dtype,
                                  sparse=self.sparse, count_weights=count_weights)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}
