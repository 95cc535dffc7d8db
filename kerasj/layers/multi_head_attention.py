"""MultiHeadAttention (Vaswani et al. 2017) with Keras 3's weights, masks and attention axes.

query (B, T, dim), value (B, S, dim_v) and key (B, S, dim_k) are projected per head by EinsumDense layers to
(B, T, N, key_dim), (B, S, N, value_dim), (B, S, N, key_dim); each head computes
`softmax(q k^T / sqrt(key_dim)) v`, and an output EinsumDense maps the heads back to (B, T, dim) (or
`output_shape`). With `attention_axes`, inputs may have several "time" axes (e.g. (B, H, W, dim)) and attention
runs jointly over the chosen ones.
"""
import math
import string

import jax
import jax.numpy as jnp

from kerasj import constraints, initializers, regularizers
from kerasj.layers.einsum_dense import EinsumDense
from kerasj.layers.layer import Layer
from kerasj.layers.regularization import Dropout
from kerasj.variables import name_scope


def _projection_equation(free_dims, bound_dims, output_dims):
    """Einsum for a projection: `free_dims` axes pass through, `bound_dims` are contracted with the kernel,
    `output_dims` come from the kernel (and carry the bias). Returns (equation, bias_axes, output_rank)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    out = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def _partial_shape(output_rank, known_last_dims):
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)


def _attention_equations(rank, attn_axes):
    """Einsums for projected tensors of `rank` (batch..., attention axes..., heads, channels).

    Query-key: (source, target) -> scores laid out as (batch dims incl. heads, target attention axes, source
    attention axes); combine: (scores, value) -> target layout. Returns (dot_eq, combine_eq, scores_rank).
    """
    letters = string.ascii_lowercase
    target = letters[:rank]
    fresh = iter(letters[rank:])
    source = "".join(next(fresh) if i in attn_axes else target[i] for i in range(rank))
    batch_dims = [i for i in range(rank - 1) if i not in attn_axes]
    scores = ("".join(target[i] for i in batch_dims) + "".join(target[i] for i in attn_axes)
              + "".join(source[i] for i in attn_axes))
    return f"{source},{target}->{scores}", f"{scores},{source}->{target}", len(scores)


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class MultiHeadAttention(Layer):
    """Multi-head dot-product attention, `keras.layers.MultiHeadAttention`.

    Args: num_heads, key_dim (size of each query/key head), value_dim (defaults to key_dim), dropout (on the
    attention probabilities), use_bias, output_shape (defaults to the query's last dimension),
    attention_axes (defaults to all axes between batch and features), sliding_window (attend only within
    this distance), flash_attention (True: cuDNN fused kernel; needs dropout 0 and no returned scores),
    kernel/bias initializers, regularizers, constraints, activity_regularizer (applied by the projections),
    use_gate (sigmoid gate from the query on the heads' outputs), seed (for dropout).

    Call: `layer(query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)`. Padding masks (B, T) / (B, S),
    the (B, T, S) `attention_mask` and the causal mask are combined with AND; True means "may attend".

        >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = jnp.ones((3, 5, 8))
        >>> out, scores = mha(x, x, return_attention_scores=True, use_causal_mask=True)
        >>> out.shape, scores.shape
        ((3, 5, 8), (3, 2, 5, 5))
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        for arg, value, optional in (("num_heads", num_heads, False), ("key_dim", key_dim, False),
                                     ("value_dim", value_dim, True)):
            if not (_positive_int(value) or (optional and value is None)):
                raise ValueError(f"MultiHeadAttention: `{arg}` must be a positive integer"
                                 f"{' or None' if optional else ''}; received {arg}={value!r}")
        super().__init__(**kwargs)
        where = f"MultiHeadAttention '{self.name}'"
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{where}: `dropout` must be a float in [0, 1]; received dropout={dropout!r}")
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"{where}: `output_shape` must be an int, tuple or list; received "
                                 f"output_shape={output_shape!r}") from None
            if not all(_positive_int(d) for d in output_shape):
                raise ValueError(f"{where}: `output_shape` entries must be positive integers; received "
                                 f"output_shape={output_shape!r}")
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"{where}: `attention_axes` must be an int, list or tuple; received "
                             f"attention_axes={attention_axes!r}")
        if sliding_window is not None and not _positive_int(sliding_window):
            raise ValueError(f"{where}: `sliding_window` must be None or a positive integer; received "
                             f"sliding_window={sliding_window!r}")
        if flash_attention and dropout > 0:
            raise ValueError(f"{where}: flash attention does not support dropout; set dropout=0.0 or "
                             "flash_attention=None.")
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        self._output_shape = output_shape or None
        self._attention_axes = attention_axes
        self._sliding_window = sliding_window
        self._flash_attention = bool(flash_attention)
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # -- build --------------------------------------------------------------------------------------
    def _sublayer_kwargs(self):
        # Fresh initializer copies, so an unseeded initializer gives each projection its own values.
        return dict(kernel_initializer=type(self._kernel_initializer).from_config(
                        self._kernel_initializer.get_config()),
                    bias_initializer=type(self._bias_initializer).from_config(self._bias_initializer.get_config()),
                    kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype_policy)

    def _projection(self, input_shape, heads_dims, name, bound_dims=1, **extra):
        equation, bias_axes, output_rank = _projection_equation(len(input_shape) - bound_dims, bound_dims,
                                                                len(heads_dims))
        layer = EinsumDense(equation, output_shape=_partial_shape(output_rank - 1, heads_dims),
                            bias_axes=bias_axes if self._use_bias else None, name=name, **extra,
                            **self._sublayer_kwargs())
        # The projections only carry the query's padding mask along (no warning about masks they ignore);
        # this layer applies the masks itself.
        layer.supports_masking = True
        layer.build(tuple(input_shape))
        return layer

    def build(self, query_shape, value_shape, key_shape=None):
        """Create the query, key, (gate,) value and output projections for inputs of these shapes."""
        if not self._inside_own_scope():  # called directly: weight paths still start with this layer's name
            with name_scope(self.name):
                return self.build(query_shape, value_shape, key_shape)
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        heads = [self._num_heads, self._key_dim]
        self._query_dense = self._projection(query_shape, heads, "query")
        self._key_dense = self._projection(key_shape, heads, "key")
        if self._use_gate:
            self._gate_dense = self._projection(query_shape, [self._num_heads, self._value_dim], "gate",
                                                activation="sigmoid")
        self._value_dense = self._projection(value_shape, [self._num_heads, self._value_dim], "value")
        self._build_attention(len(query_shape) + 1)
        output_dims = list(self._output_shape) if self._output_shape else [query_shape[-1]]
        heads_shape = tuple(query_shape[:-1]) + (self._num_heads, self._value_dim)
        self._output_dense = self._projection(heads_shape, output_dims, "attention_output", bound_dims=2)
        self.built = True

    def _check_shapes(self, query_shape, value_shape, key_shape):
        where = f"MultiHeadAttention '{self.name}'"
        if len(query_shape) < 3 or len(value_shape) < 3:
            raise ValueError(f"{where}: query and value must have rank >= 3 (batch, ..., features); received "
                             f"query shape {query_shape}, value shape {value_shape}.")
        if len(query_shape) != len(value_shape) or len(key_shape) != len(value_shape):
            raise ValueError(f"{where}: query, value and key must have the same rank; received query shape "
                             f"{query_shape}, value shape {value_shape}, key shape {key_shape}.")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"{where}: all dimensions of `value` and `key`, except the last one, must be "
                             f"equal; received value shape {value_shape}, key shape {key_shape}.")

    def _build_attention(self, rank):
        """Equations, softmax axes and dropout for projected tensors of `rank`."""
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else rank - 1 + a for a in self._attention_axes)
            if any(not 1 <= a <= rank - 3 for a in self._attention_axes):
                raise ValueError(f"MultiHeadAttention '{self.name}': attention_axes must name axes between the "
                                 f"batch and feature axes of the query (1 to {rank - 3}, or negative "
                                 f"counterparts); received attention_axes={self._attention_axes}.")
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(
            rank, self._attention_axes)
        self._softmax_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype_policy)

    # -- masks --------------------------------------------------------------------------------------
    def _compute_causal_mask(self, query, value=None):
        """(1, T, S) lower-triangular mask: position i may attend to positions j <= i."""
        t = query.shape[1]
        s = t if value is None else value.shape[1]
        return (jnp.arange(t)[:, None] >= jnp.arange(s)[None, :])[None]

    def _compute_sliding_window_mask(self, query, value=None):
        t = query.shape[1]
        s = t if value is None else value.shape[1]
        return (jnp.abs(jnp.arange(t)[:, None] - jnp.arange(s)[None, :]) < self._sliding_window)[None]

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None, key_mask=None,
                                attention_mask=None, use_causal_mask=False):
        """AND of the padding masks (query as (B, T, 1), value and key as (B, 1, S)), the causal and
        sliding-window masks and `attention_mask`; None when there is none."""
        parts = []
        if query_mask is not None:
            parts.append(jnp.asarray(query_mask).astype(bool)[..., None])
        for mask in (value_mask, key_mask):
            if mask is not None:
                parts.append(jnp.expand_dims(jnp.asarray(mask).astype(bool), -2))
        if use_causal_mask:
            parts.append(self._compute_causal_mask(query, value))
        if self._sliding_window is not None:
            parts.append(self._compute_sliding_window_mask(query, value))
        if attention_mask is not None:
            parts.insert(0, jnp.asarray(attention_mask).astype(bool))
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = jnp.logical_and(combined, part)
        return combined

    def _expand_mask(self, mask, scores_rank):
        """Insert the heads axis (and any other missing leading axes) so `mask` broadcasts to the scores."""
        axis = -2 * len(self._attention_axes) - 1
        for _ in range(scores_rank - mask.ndim):
            mask = jnp.expand_dims(mask, axis)
        return mask

    def _check_mask_shapes(self, query, value, key, query_mask, value_mask, key_mask, attention_mask):
        where = f"MultiHeadAttention '{self.name}'"
        for name, mask, tensor in (("query_mask", query_mask, query), ("value_mask", value_mask, value),
                                   ("key_mask", key_mask, key)):
            if mask is not None and tuple(jnp.shape(mask)) != tuple(tensor.shape[:-1]):
                raise ValueError(f"{where}: {name} must have shape {tuple(tensor.shape[:-1])} (the "
                                 f"{name[:-5]} shape without its last axis); received shape "
                                 f"{tuple(jnp.shape(mask))}.")
        if attention_mask is not None:
            axes = self._attention_axes
            batch = [d for i, d in enumerate(query.shape[:-1]) if i not in axes]
            target = tuple(batch + [query.shape[a] for a in axes] + [value.shape[a] for a in axes])
            shape = tuple(jnp.shape(attention_mask))
            if len(shape) > len(target) or any(m not in (1, t) for m, t in zip(shape[::-1], target[::-1])):
                raise ValueError(f"{where}: attention_mask must be broadcastable to {target} (batch, query "
                                 f"positions, key positions); received shape {shape}.")

    # -- attention ----------------------------------------------------------------------------------
    def _masked_softmax(self, attention_scores, attention_mask=None, zero_masked=True):
        """Softmax over the key attention axes. Masked entries get probability 0; a row with no allowed key
        is all zeros, or uniform with `zero_masked=False` (what a fused attention kernel gives)."""
        if attention_mask is None:
            return jax.nn.softmax(attention_scores, axis=self._softmax_axes)
        mask = self._expand_mask(attention_mask, attention_scores.ndim)
        fill = -3e4 if attention_scores.dtype == jnp.float16 else -1e9
        probs = jax.nn.softmax(jnp.where(mask, attention_scores, fill), axis=self._softmax_axes)
        return jnp.where(mask, probs, jnp.zeros((), probs.dtype)) if zero_masked else probs

    def _flash(self, query, key, value, attention_mask, use_causal_mask):
        mask = None if attention_mask is None else self._expand_mask(attention_mask, 4).astype(bool)
        try:
            return jax.nn.dot_product_attention(query, key, value, mask=mask, scale=self._inverse_sqrt_key_dim,
                                                is_causal=use_causal_mask, implementation="cudnn")
        except Exception as err:  # cuDNN missing, unsupported device, dtype or head size
            raise ValueError(f"MultiHeadAttention '{self.name}': flash attention (cuDNN) is not available for "
                             f"these inputs on this device ({type(err).__name__}: {err}). Use "
                             "flash_attention=None.") from err

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """Attention over projected query (B, T, N, key_dim), key (B, S, N, key_dim), value (B, S, N,
        value_dim). Returns (output (B, T, N, value_dim), scores (B, N, T, S) or None)."""
        if self._flash_attention and return_attention_scores:
            raise ValueError(f"MultiHeadAttention '{self.name}': attention scores cannot be returned with "
                             "flash attention enabled.")
        # Without dropout or returned scores, Keras 3 on JAX runs 4-D attention through the fused
        # dot_product_attention, where a query row with no allowed key averages all values; otherwise such
        # a row gets zero weights. We follow both, so outputs match Keras at padded positions too.
        fused = not (self._dropout > 0.0 or return_attention_scores or query.ndim != 4)
        if fused and self._flash_attention:
            return self._flash(query, key, value, attention_mask, use_causal_mask), None
        if use_causal_mask:
            causal = self._compute_causal_mask(query, value)
            attention_mask = causal if attention_mask is None else jnp.logical_and(attention_mask, causal)
        query = query * jnp.asarray(self._inverse_sqrt_key_dim, query.dtype)
        scores = jnp.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask, zero_masked=not fused)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0 else scores
        return jnp.einsum(self._combine_equation, dropped, value), (None if fused else scores)

    def _as_input(self, x):
        x = jnp.asarray(x)
        if jnp.issubdtype(x.dtype, jnp.floating) and x.dtype != self.compute_dtype:
            x = x.astype(self.compute_dtype)
        return x

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        query, value = self._as_input(query), self._as_input(value)
        key = value if key is None else self._as_input(key)
        self._check_shapes(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        self._check_mask_shapes(query, value, key, query_mask, value_mask, key_mask, attention_mask)
        # With the causal mask as the only mask, the fused kernel builds it itself.
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None
                       and type(self)._compute_attention is MultiHeadAttention._compute_attention)
        if causal_only:
            attention_mask = None
        else:
            attention_mask = self._compute_attention_mask(query, value, query_mask=query_mask,
                                                          value_mask=value_mask, key_mask=key_mask,
                                                          attention_mask=attention_mask,
                                                          use_causal_mask=use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        extra = {"use_causal_mask": True} if causal_only else {}
        output, scores = self._compute_attention(query, key, value, attention_mask, training,
                                                 return_attention_scores, **extra)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            self._check_shapes(query_shape, value_shape, value_shape if key_shape is None else tuple(key_shape))
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self._num_heads, "key_dim": self._key_dim,
                "value_dim": self._value_dim, "dropout": self._dropout, "use_bias": self._use_bias,
                "use_gate": self._use_gate, "output_shape": self._output_shape,
                "attention_axes": self._attention_axes, "sliding_window": self._sliding_window,
                "kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self._bias_regularizer),
                "activity_regularizer": regularizers.serialize(self._activity_regularizer),
                "kernel_constraint": constraints.serialize(self._kernel_constraint),
                "bias_constraint": constraints.serialize(self._bias_constraint), "seed": self.seed}
