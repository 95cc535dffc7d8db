"""What the built-in recurrent cells share: argument checking, the kernel / recurrent_kernel / bias weight
families, activations, per-sequence dropout masks and the config.

Dropout in a recurrent cell (as in Keras, after Gal & Ghahramani) uses *one* mask per sequence: the RNN layer
draws the masks once before it scans over time and every step reuses them, so the same input features and
recurrent units are dropped at every step. When the cell computes its gates separately (LSTM/GRU with
`recurrent_dropout`, ConvLSTM always) each gate gets its own mask, stacked on a leading axis:

    mask shape = (gates, *step_shape)   per-gate masks
    mask shape = step_shape             one mask shared by the gates
"""
import contextlib

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import activations, constraints, initializers, random, regularizers
from kerasj.layers.layer import Layer

_WEIGHT_FAMILIES = ("kernel", "recurrent", "bias")


def gate_views(x, mask, gates):
    """`x` as each of `gates` gates sees it after dropout (`mask` None, shared, or one per gate)."""
    if mask is None:
        return [x] * gates
    if mask.ndim == x.ndim:
        dropped = x * mask
        return [dropped] * gates
    return [x * mask[g] for g in range(gates)]


def project(views, kernel, op=jnp.matmul, axis=-1):
    """Gate pre-activations `op(view_g, kernel_g)`, where `kernel` holds the gates side by side on its last
    axis and the results are split on `axis`. Shared views need one fused product, split afterwards."""
    gates = len(views)
    if all(v is views[0] for v in views):
        return jnp.split(op(views[0], kernel), gates, axis=axis)
    return [op(v, k) for v, k in zip(views, jnp.split(kernel, gates, axis=-1))]


class DropoutRNNCell:
    """Mixin for cells with `dropout`, `recurrent_dropout`, `seed_generator` and `dropout_mask_count`
    (None for one shared mask, else the number of per-gate masks).

    `get_dropout_mask(step_input)` / `get_recurrent_dropout_mask(state)` return the masks fixed for the
    current sequence when an RNN layer is running one (see `sequence_dropout_masks`), and a fresh draw when the
    cell is called on its own.
    """

    dropout_mask_count = None

    def _draw_mask(self, like, rate):
        count = self.dropout_mask_count
        shape = tuple(like.shape) if count is None else (count,) + tuple(like.shape)
        return random.dropout(jnp.ones(shape, like.dtype), rate, seed=self.seed_generator)

    def _mask(self, attr, like, rate):
        if not 0.0 < rate < 1.0:
            return None
        fixed = self.__dict__.get(attr)
        return fixed if fixed is not None else self._draw_mask(like, rate)

    def get_dropout_mask(self, step_input):
        return self._mask("_dropout_mask", step_input, self.dropout)

    def get_recurrent_dropout_mask(self, state):
        return self._mask("_recurrent_dropout_mask", state, self.recurrent_dropout)

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def fix_dropout_masks(self, step_input, states):
        """Draw this sequence's masks for a step input like `step_input` and states like `states`."""
        state = jax.tree_util.tree_leaves(states)[0]
        self._dropout_mask = self.get_dropout_mask(step_input)
        self._recurrent_dropout_mask = self.get_recurrent_dropout_mask(state)

    def clear_dropout_masks(self):
        self.reset_dropout_mask()
        self.reset_recurrent_dropout_mask()


@contextlib.contextmanager
def sequence_dropout_masks(cell, step_input, states, training):
    """While open, `cell` (and, for StackedRNNCells, each cell in it) reuses one set of dropout masks.
    Masks are drawn only in training; they are cleared on exit so no traced value outlives the call."""
    fix = getattr(cell, "fix_dropout_masks", None)
    if not training or fix is None:
        yield
        return
    fix(step_input, states)
    try:
        yield
    finally:
        cell.clear_dropout_masks()


class RecurrentCell(DropoutRNNCell, Layer):
    """Base of the built-in cells: the options every cell takes, its weights and its config.

    Subclasses call `super().__init__` with their activations and options, create weights in `build` with
    `_make_weight`, and add their own config entries in `_extra_config`.
    """

    _uses_recurrent_activation = True  # SimpleRNNCell has none, and no such config entry

    def __init__(self, activation="tanh", recurrent_activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        options = {"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint),
                   "recurrent": (recurrent_initializer, recurrent_regularizer, recurrent_constraint),
                   "bias": (bias_initializer, bias_regularizer, bias_constraint)}
        for family, (initializer, regularizer, constraint) in options.items():
            setattr(self, f"{family}_initializer", initializers.get(initializer))
            setattr(self, f"{family}_regularizer", regularizers.get(regularizer))
            setattr(self, f"{family}_constraint", constraints.get(constraint))
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)):
                raise ValueError(f"{type(self).__name__} '{self.name}': `{name}` must be a float in [0, 1]; "
                                 f"received {name}={rate!r}")
        # Clipped to [0, 1] as Keras does; rates of 0 or 1 turn dropout off.
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)

    def _make_weight(self, family, shape, name, initializer=None):
        return self.add_weight(shape=shape, initializer=initializer or getattr(self, f"{family}_initializer"),
                               regularizer=getattr(self, f"{family}_regularizer"),
                               constraint=getattr(self, f"{family}_constraint"), name=name)

    def _forget_bias_initializer(self, size):
        """Bias initializer for gates (i, f, c, o) of `size` units each that starts the forget gate at one."""
        def init(shape, dtype=None):
            base = self.bias_initializer
            return jnp.concatenate([base((size,), dtype), jnp.ones((size,), dtype), base((2 * size,), dtype)])
        return init

    def _input_dim(self, input_shape, axis=-1):
        dim = tuple(input_shape)[axis]
        if dim is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the feature dimension of the input must be "
                             f"known; received input_shape={tuple(input_shape)}")
        return dim

    def _weights_for(self, x):
        """(kernel, recurrent_kernel, bias or None) as arrays in the dtype of `x`."""
        bias = self.bias.value.astype(x.dtype) if self.bias is not None else None
        return self.kernel.value.astype(x.dtype), self.recurrent_kernel.value.astype(x.dtype), bias

    def _extra_config(self):
        return {}

    def get_config(self):
        cfg = {**super().get_config(), **self._extra_config(),
               "activation": activations.serialize(self.activation), "use_bias": self.use_bias}
        if self._uses_recurrent_activation:
            cfg["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        for family in _WEIGHT_FAMILIES:
            cfg[f"{family}_initializer"] = initializers.serialize(getattr(self, f"{family}_initializer"))
            cfg[f"{family}_regularizer"] = regularizers.serialize(getattr(self, f"{family}_regularizer"))
            cfg[f"{family}_constraint"] = constraints.serialize(getattr(self, f"{family}_constraint"))
        cfg.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return cfg

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [jnp.zeros((batch_size, size), self.compute_dtype) for size in sizes]
