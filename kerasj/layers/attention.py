"""Attention (Luong, dot-product or concat scores) and AdditiveAttention (Bahdanau) over [query, value, key].

Both compute `scores (batch, Tq, Tv)` from query and key, mask them (value padding, causal), take a softmax
over Tv and return the weighted sum of values, zeroed where the query is padding.
"""
import jax
import jax.numpy as jnp

from kerasj import random
from kerasj.layers.layer import Layer

_LARGE = {"float16": 65504.0}  # subtracted from masked scores: float16's max, else 1e9 (as Keras does)


def _as(variable, like):
    """A weight's value in the compute dtype of `like` (mixed precision keeps float32 weights)."""
    return variable.value.astype(like.dtype)


class _BaseDenseAttention(Layer):
    """Shared call / mask handling; subclasses define `build` and `_scores(query, key)`."""

    def __init__(self, use_scale=False, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= dropout <= 1:
            raise ValueError(f"{type(self).__name__} '{self.name}': dropout must be in [0, 1]; "
                             f"received dropout={dropout!r}")
        self.use_scale = use_scale
        self.dropout = dropout
        self.seed = seed
        if dropout > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True

    # -- validation ---------------------------------------------------------------------------------
    def _where(self):
        return f"{type(self).__name__} layer '{self.name}'"

    def _validate(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self._where()} must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: {type(inputs).__name__}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{self._where()} accepts a list of 2 or 3 inputs, namely [query, value] or "
                             f"[query, value, key]. Received a list of length {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{self._where()}: mask must be a list, namely [query_mask, value_mask]. "
                                 f"Received: {type(mask).__name__}.")
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{self._where()}: mask must be a list of length 2 or 3 "
                                 f"([query_mask, value_mask]). Received a list of length {len(mask)}.")

    def _check_shapes(self, query_shape, value_shape, key_shape):
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3:
                raise ValueError(f"{self._where()}: {name} must have shape (batch, time, dim); received shape "
                                 f"{tuple(shape)}.")
        if value_shape[-2] is not None and key_shape[-2] is not None and value_shape[-2] != key_shape[-2]:
            raise ValueError(f"{self._where()}: value and key must have the same number of time steps; "
                             f"received value shape {tuple(value_shape)}, key shape {tuple(key_shape)}.")
        if query_shape[-1] is not None and key_shape[-1] is not None and query_shape[-1] != key_shape[-1]:
            raise ValueError(f"{self._where()}: query and key must have the same last dimension; received "
                             f"query shape {tuple(query_shape)}, key shape {tuple(key_shape)}.")

    def _check_mask(self, name, mask, shape):
        if mask is not None and tuple(mask.shape) != tuple(shape[:-1]):
            raise ValueError(f"{self._where()}: {name} must have shape {tuple(shape[:-1])} (the {name[:-5]} "
                             f"shape without its last axis); received shape {tuple(mask.shape)}.")

    # -- computation --------------------------------------------------------------------------------
    def _score_mask(self, scores, value_mask, use_causal_mask):
        """Boolean mask broadcastable to the scores (True = may attend), or None."""
        mask = None if value_mask is None else value_mask[..., None, :]
        if use_causal_mask:
            tq, tv = scores.shape[-2:]
            causal = jnp.arange(tq)[:, None] >= jnp.arange(tv)[None, :]
            mask = causal[None] if mask is None else jnp.logical_and(mask, causal)
        return mask

    def _attend(self, scores, value, score_mask, training):
        if score_mask is not None:
            scores = jnp.where(score_mask, scores, scores - _LARGE.get(scores.dtype.name, 1e9))
        weights = jax.nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = random.dropout(weights, self.dropout, seed=self.seed_generator)
        return jnp.matmul(weights, value), weights

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate(inputs, mask)
        query = jnp.asarray(inputs[0])
        value = jnp.asarray(inputs[1], dtype=query.dtype)
        key = jnp.asarray(inputs[2], dtype=query.dtype) if len(inputs) > 2 else value
        self._check_shapes(query.shape, value.shape, key.shape)
        query_mask = value_mask = None
        if mask:
            query_mask = None if mask[0] is None else jnp.asarray(mask[0]).astype(bool)
            value_mask = None if mask[1] is None else jnp.asarray(mask[1]).astype(bool)
        self._check_mask("query_mask", query_mask, query.shape)
        self._check_mask("value_mask", value_mask, value.shape)
        scores = self._scores(query, key)
        output, weights = self._attend(scores, value, self._score_mask(scores, value_mask, use_causal_mask),
                                       training)
        if query_mask is not None:
            output = jnp.where(query_mask[..., None], output, jnp.zeros((), output.dtype))
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        self._validate(inputs, mask)
        return None if mask[0] is None else jnp.asarray(mask[0])

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def _build_checks(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"{self._where()} must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received a single input of shape {tuple(input_shape)}.")
        self._validate(input_shape)
        key_shape = input_shape[2] if len(input_shape) > 2 else input_shape[1]
        self._check_shapes(input_shape[0], input_shape[1], key_shape)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "dropout": self.dropout, "seed": self.seed}


class Attention(_BaseDenseAttention):
    """Dot-product (Luong-style) attention over `[query, value]` or `[query, value, key]`.

    Scores are `query @ key^T` (times a learned scalar `scale` if use_scale) for score_mode="dot", or
    `concat_score_weight * sum(tanh(scale * (query + key)))` for score_mode="concat". Call with
    `mask=[query_mask, value_mask]`, `use_causal_mask`, `return_attention_scores`, `training` as in Keras.

        >>> q, v = jnp.ones((2, 3, 8)), jnp.ones((2, 5, 8))
        >>> out, scores = Attention()([q, v], return_attention_scores=True)
        >>> out.shape, scores.shape
        ((2, 3, 8), (2, 3, 5))
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Attention '{self.name}': score_mode must be one of {{'dot', 'concat'}}; "
                             f"received score_mode={score_mode!r}")
        self.score_mode = score_mode

    def build(self, input_shape):
        self._build_checks(input_shape)
        self.scale = (self.add_weight(name="scale", shape=(), initializer="ones") if self.use_scale else None)
        self.concat_score_weight = (self.add_weight(name="concat_score_weight", shape=(), initializer="ones")
                                    if self.score_mode == "concat" else None)
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            return scores if self.scale is None else scores * _as(self.scale, scores)
        pairs = query[..., :, None, :] + key[..., None, :, :]
        if self.scale is not None:
            pairs = _as(self.scale, pairs) * pairs
        return _as(self.concat_score_weight, pairs) * jnp.sum(jnp.tanh(pairs), axis=-1)

    def get_config(self):
        return {**super().get_config(), "score_mode": self.score_mode}


class AdditiveAttention(_BaseDenseAttention):
    """Additive (Bahdanau-style) attention: scores are `sum(scale * tanh(query + key), axis=-1)`, with
    `scale` a learned vector of the feature size when use_scale (the default).

        >>> q, v = jnp.ones((2, 3, 8)), jnp.ones((2, 5, 8))
        >>> AdditiveAttention()([q, v], mask=[None, jnp.array([[1, 1, 1, 0, 0]] * 2, bool)]).shape
        (2, 3, 8)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)  # present in configs of older Keras versions; only "dot" applies
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._build_checks(input_shape)
        dim = input_shape[0][-1]
        self.scale = (self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform")
                      if self.use_scale else None)
        self.built = True

    def _scores(self, query, key):
        pairs = jnp.tanh(query[..., :, None, :] + key[..., None, :, :])
        if self.scale is not None:
            pairs = _as(self.scale, pairs) * pairs
        return jnp.sum(pairs, axis=-1)
