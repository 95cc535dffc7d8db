"""GroupedQueryAttention (Ainslie et al. 2023): attention where groups of query heads share key/value heads.

Queries are projected to `num_query_heads` heads, keys and values to `num_key_value_heads` heads; each
key/value head is repeated `num_query_heads // num_key_value_heads` times, and attention then runs exactly as
in MultiHeadAttention with `num_query_heads` heads, whose masks and attention code this layer reuses. With
as many key/value heads as query heads it is multi-head attention; with one it is multi-query attention.
"""
import jax.numpy as jnp

from kerasj import constraints, initializers, regularizers
from kerasj.layers.multi_head_attention import MultiHeadAttention
from kerasj.variables import name_scope


def _check_positive_int(value, arg):
    if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        raise ValueError(f"GroupedQueryAttention: `{arg}` must be a positive integer; received {arg}={value!r}")


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention, `keras.layers.GroupQueryAttention` (Keras 3 arguments and weights).

    Args:
        head_dim: size of each attention head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key and value heads; must divide `num_query_heads`.
        dropout, use_bias, sliding_window, flash_attention, kernel/bias initializers, regularizers and
        constraints, activity_regularizer, use_gate, seed: as for MultiHeadAttention.

    Call: `layer(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)` on
    (batch, length, features) tensors; scores have shape (batch, num_query_heads, target, source).

        >>> gqa = GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> x = jnp.ones((2, 5, 8))
        >>> gqa(x, x, use_causal_mask=True).shape
        (2, 5, 8)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, use_gate=False,
                 seed=None, **kwargs):
        for arg, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                           ("num_key_value_heads", num_key_value_heads)):
            _check_positive_int(value, arg)
        if num_query_heads % num_key_value_heads:
            raise ValueError("GroupedQueryAttention: `num_query_heads` must be divisible by `num_key_value_heads`; "
                             f"received num_query_heads={num_query_heads}, "
                             f"num_key_value_heads={num_key_value_heads}")
        super().__init__(num_heads=num_query_heads, key_dim=head_dim, dropout=dropout, use_bias=use_bias,
                         sliding_window=sliding_window, flash_attention=flash_attention,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, use_gate=use_gate, seed=seed, **kwargs)
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads

    def build(self, query_shape, value_shape, key_shape=None):
        """Create the query, key, (gate,) value and output projections, in Keras's order."""
        if not self._inside_own_scope():
            with name_scope(self.name):
                return self.build(query_shape, value_shape, key_shape)
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_rank3(query_shape, value_shape, key_shape)
        self.feature_dim = query_shape[-1]
        query_heads = [self.num_query_heads, self.head_dim]
        kv_heads = [self.num_key_value_heads, self.head_dim]
        self._query_dense = self._projection(query_shape, query_heads, "query")
        self._key_dense = self._projection(key_shape, kv_heads, "key")
        if self._use_gate:
            self._gate_dense = self._projection(query_shape, query_heads, "gate", activation="sigmoid")
        self._value_dense = self._projection(value_shape, kv_heads, "value")
        self._build_attention(4)
        self._output_dense = self._projection((None, None, self.num_query_heads, self.head_dim),
                                              [self.feature_dim], "attention_output", bound_dims=2)
        self.built = True

    def _check_rank3(self, query_shape, value_shape, key_shape):
        where = f"GroupedQueryAttention '{self.name}'"
        if not (len(query_shape) == len(value_shape) == len(key_shape) == 3):
            raise ValueError(f"{where}: query, value and key must have shape (batch, length, features); received "
                             f"query shape {query_shape}, value shape {value_shape}, key shape {key_shape}.")
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(f"{where}: the last dimension of query and value must be equal; received query "
                             f"shape {query_shape}, value shape {value_shape}.")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"{where}: value and key must have the same length; received value shape "
                             f"{value_shape}, key shape {key_shape}.")

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        query, value = self._as_input(query), self._as_input(value)
        key = value if key is None else self._as_input(key)
        self._check_rank3(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        self._check_mask_shapes(query, value, key, query_mask, value_mask, key_mask, attention_mask)
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None
                       and type(self)._compute_attention is MultiHeadAttention._compute_attention)
        if not causal_only:
            attention_mask = self._compute_attention_mask(query, value, query_mask=query_mask,
                                                          value_mask=value_mask, key_mask=key_mask,
                                                          attention_mask=attention_mask,
                                                          use_causal_mask=use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)
        # Each key/value head serves `num_repeats` consecutive query heads.
        key = jnp.repeat(self._key_dense(key), self.num_repeats, axis=2)
        value = jnp.repeat(self._value_dense(value), self.num_repeats, axis=2)
        extra = {"use_causal_mask": True} if causal_only else {}
        output, scores = self._compute_attention(query, key, value, attention_mask, training,
                                                 return_attention_scores, **extra)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        return (output, scores) if return_attention_scores else output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            self._check_rank3(query_shape, value_shape, value_shape if key_shape is None else tuple(key_shape))
        return query_shape

    def get_config(self):
        base = super(MultiHeadAttention, self).get_config()
        return {**base, "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "use_bias": self._use_bias,
                "use_gate": self._use_gate, "sliding_window": self._sliding_window, "dropout": self._dropout,
                "kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self._bias_regularizer),
                "activity_regularizer": regularizers.serialize(self._activity_regularizer),
                "kernel_constraint": constraints.serialize(self._kernel_constraint),
                "bias_constraint": constraints.serialize(self._bias_constraint), "seed": self.seed}


GroupQueryAttention = GroupedQueryAttention  # the name Keras exports
