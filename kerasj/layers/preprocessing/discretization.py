"""The Discretization preprocessing layer: bucket continuous values by boundaries, given or learned from
approximate quantiles by `adapt`."""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.layers.layer import Layer
from kerasj.layers.preprocessing.category_encoding import encode_categorical
from kerasj.utils.argument_validation import check_choice, is_int


def _quantile_sketch(values, epsilon):
    """A weighted sample of `values`: about `1 / epsilon` of the sorted values at equal steps, each weighted by
    the step (how many values it stands for). Row 0 holds the values, row 1 the weights (float32)."""
    values = np.sort(np.reshape(values, -1))
    # Values per kept sample (at least 1: then every value is kept). Computed as n / (1 / epsilon), not
    # n * epsilon, because the two can differ in the last bit and move int(step).
    step = max(values.size / (1.0 / epsilon), 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.ones_like(kept) * step])


def _merge_sketches(a, b, epsilon):
    merged = np.concatenate((a, b), axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return _compress(merged, epsilon)


def _compress(sketch, epsilon):
    """Resample a sketch at the cumulative-weight fractions epsilon, 2 epsilon, ..., 1, interpolating both the
    values and the cumulative weights; sketches already smaller than `1 / epsilon` are returned unchanged."""
    if sketch.shape[1] * epsilon < 1:
        return sketch
    targets = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = np.cumsum(sketch[1])
    fractions = cumulative / cumulative[-1]
    values = np.interp(targets, fractions, sketch[0])
    cumulative = np.interp(targets, fractions, cumulative)
    weights = np.diff(cumulative, prepend=0.0)
    return np.stack((values, weights)).astype("float32")


class Discretization(Layer):
    """Maps each value to the index of the bin it falls in: with `bin_boundaries=[0., 1., 2.]` the bins are
    `(-inf, 0)`, `[0, 1)`, `[1, 2)` and `[2, inf)`, indices 0 to 3.

    Either pass `bin_boundaries`, or pass `num_bins` and call `adapt` on data: it keeps a compressed,
    weighted sample of the data (at most about `1 / epsilon` points, merged batch by batch) and places the
    boundaries at its `1/num_bins, 2/num_bins, ...` quantiles, exactly as Keras 3 does.

    Args:
        bin_boundaries: sorted list of boundaries (then `adapt` is not used).
        num_bins: number of bins to learn with `adapt`.
        epsilon: the error tolerance of the quantile sketch (smaller: more exact, more memory).
        output_mode: `"int"` (bin indices, int32), `"one_hot"`, `"multi_hot"` or `"count"` (see
            `CategoryEncoding`), encoded over `len(bin_boundaries) + 1` bins.
        sparse: with an encoding output mode, return a `jax.experimental.sparse.BCOO` array.

    The call is pure `jax.numpy` and runs inside a compiled model.

        >>> layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5]]))
        Array([[0, 2, 3, 1]], dtype=int32)
        >>> layer = Discretization(num_bins=2)
        >>> layer.adapt(np.array([1.0, 2.0, 3.0, 4.0]))
        >>> layer.bin_boundaries
        [2.0]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        owner = f"Discretization '{self.name}'"
        if sparse and output_mode == "int":
            raise ValueError(f"{owner}: `sparse=True` needs output_mode 'one_hot', 'multi_hot' or 'count'; "
                             f"received sparse={sparse} and output_mode={output_mode!r}")
        check_choice(owner, "output_mode", output_mode, ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and (not is_int(num_bins) or num_bins < 0):
            raise ValueError(f"{owner}: `num_bins` must be an integer >= 0; received num_bins={num_bins!r}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{owner}: pass either `num_bins` or `bin_boundaries`, not both; received "
                             f"num_bins={num_bins!r} and bin_boundaries={bin_boundaries!r}")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{owner}: pass either `bin_boundaries` or `num_bins` (and then call adapt()).")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self.summary = None if bin_boundaries else np.zeros((2, 0), "float32")

    @property
    def output_dtype(self):
        return "int32" if self.output_mode == "int" else self.compute_dtype

    # -- adapt -----------------------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Learn `bin_boundaries` from the quantiles of `data`: an array, or an iterable of array batches (a
        generator, a tf.data dataset, a list of batches); `steps` limits how many batches are read.

            >>> layer = Discretization(num_bins=4, epsilon=0.01)
            >>> layer.adapt(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]))
            >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5]]))
            Array([[0, 2, 3, 2]], dtype=int32)
        """
        if self.num_bins is None:
            raise ValueError(f"Discretization '{self.name}': adapt() needs a layer created with `num_bins`; "
                             "this one was given `bin_boundaries`.")
        self.reset_state()
        # As in Keras, anything iterable that is not an array (a list too) is a sequence of batches.
        if hasattr(data, "__array__") or not hasattr(data, "__iter__"):
            self.update_state(data)
        else:
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Merge one batch of values into the quantile sketch."""
        values = np.asarray(data).astype("float32")
        self.summary = _merge_sketches(_quantile_sketch(values, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is not None:
            self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.zeros((2, 0), "float32")

    # -- call ------------------------------------------------------------------------------------------
    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization '{self.name}': pass `bin_boundaries` to the constructor or call "
                             "adapt() before using the layer.")
        xp = jnp if isinstance(inputs, jax.core.Tracer) else np  # numpy needs no compilation per shape
        x = xp.asarray(inputs).astype(config.floatx())  # as in Keras, values are compared in floatx
        indices = xp.digitize(x, xp.asarray(self.bin_boundaries, dtype=x.dtype))
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1, self.output_dtype,
                                  sparse=self.sparse)

    def load_own_variables(self, store):
        if len(store) == 1:  # files from older Keras versions stored the sketch as a variable
            self.summary = np.asarray(store["0"])

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name,
                "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer has both; the constructor accepts only one, so set the boundaries after.
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)

