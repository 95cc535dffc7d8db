"""Attention, AdditiveAttention, MultiHeadAttention and EinsumDense in kerasj and Keras 3 (JAX backend): same
weights in, same outputs and attention scores for every mask combination, causal masking and attention axes;
same weight names/shapes/order and configs; dropout inactive at inference; a small Embedding + attention model
trains to the same weights."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp
import keras
import numpy as np
import pytest
from keras.src import backend as keras_backend

import kerasj

RTOL, ATOL = 1e-5, 1e-5
RNG = np.random.default_rng(0)
# Weights are overwritten with the same random values in both libraries; a constant initializer avoids
# compiling a random-number program per weight shape, which dominates the run time otherwise.
FAST_INIT = {"kernel_initializer": "zeros"}


def normal(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def copy_random_weights(ours, theirs):
    weights = [normal(*w.shape) * 0.5 for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=ATOL)


def assert_config_matches(ours, theirs):
    mine, ref = ours.get_config(), theirs.get_config()
    assert mine == {**ref, "name": mine["name"]}
    assert type(ours).from_config(mine).get_config() == mine
    assert type(ours).from_config(ref).get_config() == ref  # a config written by Keras rebuilds the layer


def assert_same_weight_layout(ours, theirs):
    assert [(w.path.split("/", 1)[1], w.shape) for w in ours.weights] == \
        [(w.path.split("/", 1)[1], tuple(w.shape)) for w in theirs.weights]


# -- Attention / AdditiveAttention -----------------------------------------------------------------------
Q, V, K = normal(2, 3, 4), normal(2, 5, 4), normal(2, 5, 4)
QM = np.array([[1, 1, 0], [1, 0, 1]], bool)
VM = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)


ALL_DENSE_CASES = [(inputs, mask, causal) for inputs in ([Q, V], [Q, V, K])
                   for mask in (None, [QM, VM], [None, VM], [QM, None]) for causal in (False, True)]
FEW_DENSE_CASES = [([Q, V], None, False), ([Q, V, K], [QM, VM], True)]


@pytest.mark.parametrize("name,kwargs,cases", [
    ("Attention", {}, ALL_DENSE_CASES),
    ("Attention", {"use_scale": True}, FEW_DENSE_CASES),
    ("Attention", {"score_mode": "concat"}, FEW_DENSE_CASES),
    ("Attention", {"score_mode": "concat", "use_scale": True}, ALL_DENSE_CASES),
    ("AdditiveAttention", {}, ALL_DENSE_CASES),
    ("AdditiveAttention", {"use_scale": False}, FEW_DENSE_CASES),
])
def test_dense_attention_matches_keras(name, kwargs, cases):
    theirs, ours = getattr(keras.layers, name)(**kwargs), getattr(kerasj.layers, name)(**kwargs)
    theirs.build([Q.shape, V.shape])
    ours.build([Q.shape, V.shape])
    assert_same_weight_layout(ours, theirs)
    copy_random_weights(ours, theirs)
    for inputs, mask, causal in cases:
        out_t, scores_t = theirs(inputs, mask=mask, use_causal_mask=causal, return_attention_scores=True)
        out_o, scores_o = ours(inputs, mask=mask, use_causal_mask=causal, return_attention_scores=True)
        close(out_o, out_t)
        close(scores_o, scores_t)
        expected_mask = theirs.compute_mask(inputs, mask)
        got_mask = ours.compute_mask(inputs, mask)
        assert (got_mask is None) == (expected_mask is None)
        if got_mask is not None:
            np.testing.assert_array_equal(got_mask, expected_mask)
    close(ours([Q, V]), theirs([Q, V]))
    assert ours.compute_output_shape([(None, 3, 4), (None, 5, 6)]) == \
        theirs.compute_output_shape([(None, 3, 4), (None, 5, 6)])
    assert_config_matches(ours, theirs)


@pytest.mark.parametrize("name", ["Attention", "AdditiveAttention"])
def test_dense_attention_dropout_inactive_at_inference(name):
    theirs, ours = getattr(keras.layers, name)(dropout=0.5, seed=3), getattr(kerasj.layers, name)(dropout=0.5, seed=3)
    theirs.build([Q.shape, V.shape])
    ours.build([Q.shape, V.shape])
    copy_random_weights(ours, theirs)
    close(ours([Q, V]), theirs([Q, V]))
    close(ours([Q, V], training=False), theirs([Q, V], training=False))
    _, inference = ours([Q, V], return_attention_scores=True)
    _, trained = ours([Q, V], return_attention_scores=True, training=True)
    kept = np.asarray(trained) != 0
    assert 0 < kept.mean() < 1  # some probabilities dropped, the rest scaled by 1 / (1 - rate)
    np.testing.assert_allclose(np.asarray(trained)[kept], 2 * np.asarray(inference)[kept], rtol=1e-5)


def test_dense_attention_masks_propagate_in_a_model_like_keras():
    def build(lib):
        q_in, v_in = lib.Input((3,), dtype="int32"), lib.Input((5,), dtype="int32")
        q = lib.layers.Embedding(7, 4, mask_zero=True, embeddings_initializer="zeros")(q_in)
        v = lib.layers.Embedding(7, 4, mask_zero=True, embeddings_initializer="zeros")(v_in)
        x = lib.layers.Attention(use_scale=True)([q, v])
        return lib.Model([q_in, v_in], lib.layers.GlobalAveragePooling1D()(x))

    theirs, ours = build(keras), build(kerasj)
    weights = [normal(*w.shape) for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    q_ids = np.array([[1, 2, 0], [3, 0, 0]], np.int32)
    v_ids = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 1, 0]], np.int32)
    close(ours.predict([q_ids, v_ids], verbose=0), theirs.predict([q_ids, v_ids], verbose=0))
    # The masks did matter: without them (no padding anywhere) the outputs differ.
    unmasked = ours.predict([q_ids + 1, v_ids + 1], verbose=0)
    assert not np.allclose(unmasked, theirs.predict([q_ids, v_ids], verbose=0), atol=1e-3)


# -- MultiHeadAttention ----------------------------------------------------------------------------------
MQ, MV, MK = normal(2, 4, 5), normal(2, 6, 3), normal(2, 6, 7)
MQM = np.array([[1, 1, 0, 1], [1, 0, 0, 0]], bool)
MVM = np.array([[1, 1, 0, 1, 1, 0], [0, 1, 1, 1, 1, 1]], bool)
MKM = np.array([[1, 0, 1, 1, 1, 1], [1, 1, 1, 0, 1, 1]], bool)
MAM = RNG.random((2, 4, 6)) > 0.3
ALL_MASKS = {"query_mask": MQM, "value_mask": MVM, "key_mask": MKM, "attention_mask": MAM}
# (masks, use_causal_mask, return_attention_scores): each mask alone, all together, with and without causal
# masking, on both of Keras's paths (fused when no scores are returned, explicit otherwise).
CASES = [({}, False, False), ({}, True, False), ({}, True, True), ({"query_mask": MQM}, False, False),
         ({"query_mask": MQM}, False, True), ({"value_mask": MVM}, True, False), ({"key_mask": MKM}, False, True),
         ({"attention_mask": MAM}, False, False), (ALL_MASKS, True, False), (ALL_MASKS, False, True)]


def mha_pair(kwargs, *shapes):
    kwargs = {**FAST_INIT, **kwargs}
    theirs, ours = keras.layers.MultiHeadAttention(**kwargs), kerasj.layers.MultiHeadAttention(**kwargs)
    theirs.build(*shapes)
    ours.build(*shapes)
    assert_same_weight_layout(ours, theirs)
    copy_random_weights(ours, theirs)
    return ours, theirs


def keras_mha(layer, query, *args, query_mask=None, **kwargs):
    """Keras 3.15 reads the query's padding mask only from the mask attached to the tensor (an explicit
    `query_mask=` is overwritten), so attach it the way an Embedding(mask_zero=True) would."""
    query = jnp.asarray(query)
    if query_mask is not None:
        keras_backend.set_keras_mask(query, jnp.asarray(query_mask))
    return layer(query, *args, **kwargs)


FEW_CASES = [({}, False, False), (ALL_MASKS, True, False), (ALL_MASKS, False, True)]


@pytest.mark.parametrize("kwargs,cases", [
    ({"num_heads": 2, "key_dim": 3}, CASES),
    ({"num_heads": 3, "key_dim": 2, "use_bias": False, "use_gate": True, "output_shape": 4}, FEW_CASES),
    ({"num_heads": 2, "key_dim": 3, "sliding_window": 2}, FEW_CASES),
    ({"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": (2, 3)}, CASES),
    ({"num_heads": 2, "key_dim": 3, "dropout": 0.3, "seed": 1}, FEW_CASES),
])
def test_multi_head_attention_matches_keras(kwargs, cases):
    ours, theirs = mha_pair(kwargs, MQ.shape, MV.shape, MK.shape)
    # Keras 3.15 crashes on the fused path when value_dim != key_dim, so compare it with scores returned.
    for masks, causal, scores in cases:
        if "value_dim" in kwargs and not scores:
            continue
        expected = keras_mha(theirs, MQ, MV, key=MK, use_causal_mask=causal, return_attention_scores=scores,
                             **masks)
        got = ours(MQ, MV, key=MK, use_causal_mask=causal, return_attention_scores=scores, **masks)
        if scores:
            close(got[0], expected[0])
            close(got[1], expected[1])
        else:
            close(got, expected)
    assert ours.compute_output_shape(MQ.shape, MV.shape, MK.shape) == \
        theirs.compute_output_shape(MQ.shape, MV.shape, MK.shape)
    assert_config_matches(ours, theirs)


def test_multi_head_attention_self_attention_and_lazy_build_match_keras():
    theirs = keras.layers.MultiHeadAttention(2, 3, **FAST_INIT)
    ours = kerasj.layers.MultiHeadAttention(2, 3, **FAST_INIT)
    theirs(MQ, MQ)
    ours(MQ, MQ)  # built from the first call's shapes
    assert_same_weight_layout(ours, theirs)
    copy_random_weights(ours, theirs)
    close(ours(MQ, MQ, use_causal_mask=True), theirs(MQ, MQ, use_causal_mask=True))
    assert_config_matches(ours, theirs)


@pytest.mark.parametrize("axes", [None, 1, (1, 2), (-2,), (2, 1)])
def test_multi_head_attention_axes_match_keras(axes):
    x = normal(2, 3, 4, 5)
    ours, theirs = mha_pair({"num_heads": 2, "key_dim": 3, "attention_axes": axes}, x.shape, x.shape)
    out_t, scores_t = theirs(x, x, return_attention_scores=True)
    out_o, scores_o = ours(x, x, return_attention_scores=True)
    close(out_o, out_t)
    close(scores_o, scores_t)
    close(ours(x, x), theirs(x, x))
    if axes in (None, (1, 2)):
        mask = RNG.random((2, 3, 4, 3, 4)) > 0.3
        close(ours(x, x, attention_mask=mask), theirs(x, x, attention_mask=mask))
    assert_config_matches(ours, theirs)


def test_multi_head_attention_dropout_inactive_at_inference():
    ours, theirs = mha_pair({"num_heads": 2, "key_dim": 3, "dropout": 0.5, "seed": 2}, MQ.shape, MV.shape)
    close(ours(MQ, MV), theirs(MQ, MV))
    close(ours(MQ, MV, training=False), theirs(MQ, MV, training=False))
    _, inference = ours(MQ, MV, return_attention_scores=True)
    trained_1 = ours(MQ, MV, training=True)
    trained_2 = ours(MQ, MV, training=True)
    assert not np.allclose(trained_1, theirs(MQ, MV), atol=1e-3)
    assert not np.allclose(trained_1, trained_2, atol=1e-3)  # a fresh dropout mask each call
    # Returned scores are the probabilities before dropout, as in Keras.
    _, scores_training = ours(MQ, MV, return_attention_scores=True, training=True)
    close(scores_training, inference)


def test_multi_head_attention_config_before_build_and_from_keras_config():
    kwargs = {"num_heads": 2, "key_dim": 3, "attention_axes": [1], "kernel_initializer": "he_normal",
              "bias_regularizer": "l2", "kernel_constraint": "max_norm", "activity_regularizer": "l2"}
    assert_config_matches(kerasj.layers.MultiHeadAttention(**kwargs), keras.layers.MultiHeadAttention(**kwargs))


# -- EinsumDense -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape", [
    ("ab,bc->ac", 4, "c", (2, 3)),
    ("abc,cd->abd", (None, 4), "d", (2, 5, 3)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 5, 4)),
    ("abcd,cde->abe", (None, 4), None, (2, 3, 5, 6)),
    ("...x,xy->...y", 4, "y", (2, 3)),
    ("...bc,cd->...d", 4, "d", (2, 3, 5)),
    ("ab...,bc->ac...", 4, "c", (2, 3, 5)),
    ("abc,cd->abd", (5, 4), "bd", (2, 5, 3)),
])
def test_einsum_dense_matches_keras(equation, output_shape, bias_axes, input_shape):
    kwargs = {"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes, "activation": "tanh",
              **FAST_INIT}
    theirs, ours = keras.layers.EinsumDense(**kwargs), kerasj.layers.EinsumDense(**kwargs)
    x = normal(*input_shape)
    theirs(x)
    ours(x)
    assert_same_weight_layout(ours, theirs)
    copy_random_weights(ours, theirs)
    close(ours(x), theirs(x))
    assert ours.compute_output_shape(input_shape) == theirs.compute_output_shape(input_shape)
    assert_config_matches(ours, theirs)


def test_einsum_dense_output_shape_with_two_elided_axes_is_the_true_shape():
    # Keras 3.15 reports (2, 6, 5, 4) here although the layer outputs (2, 5, 6, 4); kerasj reports the latter.
    layer = kerasj.layers.EinsumDense("...x,xy->...y", output_shape=4, bias_axes="y", **FAST_INIT)
    x = normal(2, 5, 6, 3)
    assert layer.compute_output_shape(x.shape) == (2, 5, 6, 4) == layer(x).shape
    assert keras.layers.EinsumDense("...x,xy->...y", output_shape=4, **FAST_INIT)(x).shape == (2, 5, 6, 4)


def weights_by_name(layer):
    return {w.path.split("/")[-1]: w for w in layer.weights}


@pytest.mark.parametrize("make", [
    lambda lib: lib.layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de", lora_rank=2, lora_alpha=4,
                                       **FAST_INIT),
    lambda lib: lib.layers.Embedding(7, 4, lora_rank=3, embeddings_initializer="zeros"),
])
def test_lora_matches_keras(make):
    theirs, ours = make(keras), make(kerasj)
    x = np.array([[1, 5, 0], [6, 2, 3]], np.int32) if isinstance(ours, kerasj.layers.Embedding) else normal(2, 3, 4)
    theirs(x)
    ours(x)
    mine, ref = weights_by_name(ours), weights_by_name(theirs)
    assert {k: (v.shape, v.trainable) for k, v in mine.items()} == \
        {k: (tuple(v.shape), v.trainable) for k, v in ref.items()}
    for name, var in ref.items():  # weight order differs (see report), so copy by name
        value = normal(*var.shape)
        var.assign(value)
        mine[name].assign(value)
    close(ours(x), theirs(x))
    assert_config_matches(ours, theirs)


# -- training -------------------------------------------------------------------------------------------
def test_embedding_attention_model_trains_like_keras():
    def build(lib):
        inp = lib.Input((6,), dtype="int32")
        x = lib.layers.Embedding(12, 5, mask_zero=True, embeddings_initializer="zeros")(inp)
        x = lib.layers.MultiHeadAttention(2, 3, **FAST_INIT)(x, x)
        x = lib.layers.GlobalAveragePooling1D()(x)
        return lib.Model(inp, lib.layers.Dense(3, activation="softmax", **FAST_INIT)(x))

    rng = np.random.default_rng(1)
    x = rng.integers(1, 12, (32, 6)).astype(np.int32)
    x[::2, 4:] = 0  # padding, masked by Embedding(mask_zero=True) through MHA and pooling
    y = rng.integers(0, 3, 32)
    theirs, ours = build(keras), build(kerasj)
    copy_random_weights(ours, theirs)
    initial = theirs.get_weights()
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    h_ours = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert any(not np.allclose(a, b) for a, b in zip(ours.get_weights(), initial))


@pytest.mark.parametrize("enable", ["constructor", "enable_lora"])
def test_dense_lora_matches_keras(enable):
    def make(lib):
        if enable == "constructor":
            return lib.layers.Dense(5, lora_rank=2, **FAST_INIT)
        layer = lib.layers.Dense(5, **FAST_INIT)
        layer.build((None, 4))
        layer.enable_lora(3)
        return layer

    theirs, ours = make(keras), make(kerasj)
    x = normal(2, 4)
    theirs(x)
    ours(x)
    mine, ref = weights_by_name(ours), weights_by_name(theirs)
    assert {k: (v.shape, v.trainable) for k, v in mine.items()} == \
        {k: (tuple(v.shape), v.trainable) for k, v in ref.items()}
    for name, var in ref.items():
        value = normal(*var.shape)
        var.assign(value)
        mine[name].assign(value)
    close(ours(x), theirs(x))
    close(ours.kernel, theirs.kernel)  # the effective kernel
    assert_config_matches(ours, theirs)
    clone = kerasj.layers.Dense.from_config(theirs.get_config())
    assert clone.lora_rank == theirs.lora_rank and clone.lora_alpha == theirs.lora_alpha


def test_dense_lora_alpha_from_the_constructor_scales_the_update():
    # Keras 3.15's Dense.build re-enables LoRA without the constructor's lora_alpha (it falls back to the rank);
    # kerasj uses the lora_alpha it was given, as Keras documents (EinsumDense and Embedding do the same in Keras).
    layer = kerasj.layers.Dense(5, lora_rank=2, lora_alpha=4, **FAST_INIT)
    layer.build((None, 4))
    kernel, bias, a, b = normal(4, 5), normal(5), normal(4, 2), normal(2, 5)
    for var, value in ((layer._kernel, kernel), (layer.bias, bias), (layer.lora_kernel_a, a), (layer.lora_kernel_b, b)):
        var.assign(value)
    x = normal(3, 4)
    close(layer(x), x @ (kernel + 2.0 * a @ b) + bias)
    assert layer.get_config()["lora_alpha"] == 4
