"""Attention, AdditiveAttention, MultiHeadAttention and EinsumDense against numpy formulas: masking, causal
masks, fully masked rows, dropout under compilation, symbolic shapes, kernel fans, and errors that name the
layer."""
import numpy as np
import pytest

import kerasj
from kerasj import layers

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


Q, V, K = rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 4)
QM = np.array([[1, 1, 0], [1, 0, 1]], bool)
VM = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
CAUSAL = np.tril(np.ones((3, 5), bool))


def reference_attention(scores, value, query_mask, score_mask):
    scores = np.where(score_mask, scores, scores - 1e9)
    weights = softmax(scores)
    return np.where(query_mask[..., None], weights @ value, 0.0), weights


@pytest.mark.parametrize("causal", [False, True])
def test_attention_dot_and_concat_match_formula(causal):
    score_mask = VM[:, None, :] & (CAUSAL if causal else True)
    layer = layers.Attention(use_scale=True)
    layer.build([Q.shape, V.shape])
    layer.set_weights([np.float32(0.7)])
    out, weights = layer([Q, V, K], mask=[QM, VM], use_causal_mask=causal, return_attention_scores=True)
    exp_out, exp_w = reference_attention(0.7 * Q @ K.transpose(0, 2, 1), V, QM, score_mask)
    close(out, exp_out)
    close(weights, exp_w)
    concat = layers.Attention(score_mode="concat", use_scale=True)
    concat.build([Q.shape, V.shape])
    concat.set_weights([np.float32(0.5), np.float32(2.0)])
    scores = 2.0 * np.tanh(0.5 * (Q[:, :, None, :] + K[:, None, :, :])).sum(-1)
    close(concat([Q, V, K], mask=[QM, VM], use_causal_mask=causal), reference_attention(scores, V, QM, score_mask)[0])


def test_additive_attention_matches_formula():
    layer = layers.AdditiveAttention()
    layer.build([Q.shape, V.shape])
    scale = rand(4)
    layer.set_weights([scale])
    scores = (scale * np.tanh(Q[:, :, None, :] + V[:, None, :, :])).sum(-1)
    close(layer([Q, V], mask=[None, VM]), reference_attention(scores, V, np.ones((2, 3), bool), VM[:, None])[0])
    assert layer.compute_mask([Q, V], [QM, VM]).tolist() == QM.tolist()
    assert layer.compute_mask([Q, V], None) is None


def test_attention_dropout_draws_fresh_masks_when_compiled():
    layer = layers.Attention(dropout=0.5, seed=0)
    step = kerasj.function(lambda q, v: layer([q, v], training=True, return_attention_scores=True)[1])
    first, second = np.asarray(step(Q, V)), np.asarray(step(Q, V))
    assert not np.array_equal(first, second)
    expected = softmax(Q @ V.transpose(0, 2, 1))
    np.testing.assert_allclose(first[first != 0], 2 * expected[first != 0], rtol=1e-5)
    close(layer([Q, V]), softmax(Q @ V.transpose(0, 2, 1)) @ V)  # inference: no dropout


def test_attention_errors_name_the_layer():
    layer = layers.Attention(name="att")
    with pytest.raises(ValueError, match="'att' must be called on a list"):
        layer(Q)
    with pytest.raises(ValueError, match="'att' accepts a list of 2 or 3 inputs.*length 4"):
        layer([Q, V, K, K])
    with pytest.raises(ValueError, match="'att'.*same last dimension.*query shape \\(2, 3, 4\\), key shape "
                                         "\\(2, 5, 6\\)"):
        layers.Attention(name="att")([Q, rand(2, 5, 6)])
    with pytest.raises(ValueError, match="'att'.*same number of time steps"):
        layer([Q, V, rand(2, 4, 4)])
    with pytest.raises(ValueError, match="'att': mask must be a list"):
        layer([Q, V], mask=QM)
    with pytest.raises(ValueError, match="'att': mask must be a list of length 2 or 3"):
        layer([Q, V], mask=[QM])
    with pytest.raises(ValueError, match="'att': value_mask must have shape \\(2, 5\\).*received shape \\(2, 4\\)"):
        layer([Q, V], mask=[QM, VM[:, :4]])
    with pytest.raises(ValueError, match="score_mode must be one of"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match="dropout must be in \\[0, 1\\]"):
        layers.AdditiveAttention(dropout=1.5)


# -- MultiHeadAttention ----------------------------------------------------------------------------------
def mha_reference(layer, query, value, mask=None, zero_masked=True):
    """Numpy multi-head attention from the layer's weights; `mask` is (B, T, S)."""
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    q = np.einsum("btd,dnh->btnh", query, wq) + bq
    k = np.einsum("bsd,dnh->bsnh", value, wk) + bk
    v = np.einsum("bsd,dnh->bsnh", value, wv) + bv
    scores = np.einsum("bsnh,btnh->bnts", k, q / np.sqrt(wq.shape[-1]))
    if mask is not None:
        scores = np.where(mask[:, None], scores, -1e9)
    weights = softmax(scores)
    if mask is not None and zero_masked:
        weights = np.where(mask[:, None], weights, 0.0)
    out = np.einsum("bnts,bsnh->btnh", weights, v)
    return np.einsum("btnh,nhd->btd", out, wo) + bo, weights


def random_mha(*shapes, **kwargs):
    layer = layers.MultiHeadAttention(2, 3, kernel_initializer="zeros", **kwargs)
    layer.build(*shapes)
    layer.set_weights([rand(*w.shape) * 0.5 for w in layer.weights])
    return layer


def test_multi_head_attention_matches_formula_with_masks():
    q, v = rand(2, 4, 5), rand(2, 6, 5)
    qm = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    vm = np.array([[1, 1, 0, 1, 1, 0], [1, 1, 1, 1, 1, 1]], bool)
    am = RNG.random((2, 4, 6)) > 0.2
    layer = random_mha(q.shape, v.shape)
    combined = qm[:, :, None] & vm[:, None, :] & am & np.tril(np.ones((4, 6), bool))
    out, scores = layer(q, v, query_mask=qm, value_mask=vm, attention_mask=am, use_causal_mask=True,
                        return_attention_scores=True)
    exp_out, exp_scores = mha_reference(layer, q, v, combined)
    close(out, exp_out)
    close(scores, exp_scores)
    # Without returned scores (Keras's fused path) a query row with no allowed key averages all values.
    plain = layer(q, v, query_mask=qm, value_mask=vm, attention_mask=am, use_causal_mask=True)
    close(plain, mha_reference(layer, q, v, combined, zero_masked=False)[0])
    assert not np.allclose(np.asarray(plain)[0, 3], np.asarray(out)[0, 3], atol=1e-3)  # fully masked row
    close(np.asarray(out)[0, 3], layer.get_weights()[-1])  # zero attention: only the output bias remains


def test_multi_head_attention_compiled_dropout_and_inference():
    q = rand(2, 4, 5)
    layer = random_mha(q.shape, q.shape, dropout=0.4, seed=1)
    step = kerasj.function(lambda x: layer(x, x, training=True))
    first, second = np.asarray(step(q)), np.asarray(step(q))
    assert not np.allclose(first, second, atol=1e-4)
    inference = kerasj.function(lambda x: layer(x, x))
    close(inference(q), mha_reference(layer, q, q)[0])


def test_multi_head_attention_symbolic_shapes_and_output_shape():
    x = kerasj.Input((4, 5))
    context = kerasj.Input((7, 3))
    layer = layers.MultiHeadAttention(2, 3, output_shape=(6,), kernel_initializer="zeros")
    out, scores = layer(x, context, return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 2, 4, 7)
    assert layer.compute_output_shape((None, 4, 5), (None, 7, 3)) == (None, 4, 6)
    assert [w.path for w in layer.weights][:2] == [f"{layer.name}/query/kernel", f"{layer.name}/query/bias"]
    assert layer.query_dense.kernel.shape == (5, 2, 3) and layer.key_dense.kernel.shape == (3, 2, 3)
    assert layer.output_dense.kernel.shape == (2, 3, 6)


def test_multi_head_attention_errors_name_the_layer():
    for kwargs, message in [({"key_dim": 0}, "`key_dim` must be a positive integer; received key_dim=0"),
                            ({"num_heads": -1}, "`num_heads` must be a positive integer"),
                            ({"value_dim": 2.5}, "`value_dim` must be a positive integer or None"),
                            ({"output_shape": "x"}, "'mha': `output_shape` entries must be positive"),
                            ({"attention_axes": "x"}, "'mha': `attention_axes` must be an int, list or tuple"),
                            ({"sliding_window": 0}, "'mha': `sliding_window` must be None or a positive"),
                            ({"dropout": 2.0}, "'mha': `dropout` must be a float in \\[0, 1\\]"),
                            ({"dropout": 0.1, "flash_attention": True}, "'mha': flash attention does not")]:
        with pytest.raises(ValueError, match=message):
            layers.MultiHeadAttention(**{"num_heads": 2, "key_dim": 3, "name": "mha", **kwargs})
    layer = layers.MultiHeadAttention(2, 3, name="mha")
    q, v = rand(2, 4, 5), rand(2, 6, 5)
    with pytest.raises(ValueError, match="'mha': all dimensions of `value` and `key`, except the last one"):
        layer(q, v, key=rand(2, 5, 5))
    with pytest.raises(ValueError, match="'mha': query and value must have rank >= 3"):
        layers.MultiHeadAttention(2, 3, name="mha")(rand(2, 5), rand(2, 5))
    with pytest.raises(ValueError, match="'mha': value_mask must have shape \\(2, 6\\)"):
        layer(q, v, value_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="'mha': attention_mask must be broadcastable to \\(2, 4, 6\\)"):
        layer(q, v, attention_mask=np.ones((2, 6, 4), bool))
    with pytest.raises(ValueError, match="'mha': attention_axes must name axes between"):
        layers.MultiHeadAttention(2, 3, attention_axes=0, name="mha")(q, v)
    with pytest.raises(ValueError, match="'mha': attention scores cannot be returned with flash"):
        layers.MultiHeadAttention(2, 3, flash_attention=True, name="mha")(q, v, return_attention_scores=True)
    # cuDNN's fused kernel needs a GPU and half-precision inputs; anything else fails with a clear message.
    with pytest.raises(ValueError, match="'mha': flash attention \\(cuDNN\\) is not available"):
        layers.MultiHeadAttention(2, 3, flash_attention=True, name="mha")(q, v)


# -- EinsumDense -----------------------------------------------------------------------------------------
def test_einsum_dense_matches_numpy_and_uses_einsum_fans():
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de", activation="relu")
    x = rand(2, 5, 16)
    out = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (16, 4, 8) and bias.shape == (4, 8)
    close(out, np.maximum(np.einsum("abc,cde->abde", x, kernel) + bias, 0.0))
    # Glorot limit from fan_in=16 (contracted axis) and fan_out=32 (output axes): sqrt(6 / 48) = 0.354,
    # not from the default reading of a 3-d kernel (fans 64 and 128, limit 0.177).
    assert 0.177 < np.abs(kernel).max() <= np.sqrt(6 / 48)
    assert layer.compute_output_shape((None, 5, 16)) == (None, None, 4, 8)  # a None in output_shape stays None


def test_einsum_dense_errors_name_the_layer():
    with pytest.raises(ValueError, match="'ed': invalid einsum equation 'ab->b'"):
        layers.EinsumDense("ab->b", 3, name="ed")
    with pytest.raises(ValueError, match="'ed': bias axis 'z' is not an output dimension"):
        layers.EinsumDense("ab,bc->ac", 3, bias_axes="z", name="ed")(rand(2, 4))
    with pytest.raises(ValueError, match="'ed': output_shape=\\(3, 4\\) has the wrong length.*expected 1"):
        layers.EinsumDense("ab,bc->ac", (3, 4), name="ed")(rand(2, 4))
    with pytest.raises(ValueError, match="'ed': equation 'ab,bc->ac' expects inputs of rank 2"):
        layers.EinsumDense("ab,bc->ac", 3, name="ed")(rand(2, 4, 5))
    with pytest.raises(ValueError, match="'ed': input and output shapes disagree on the shared dimension 'b'"):
        layers.EinsumDense("abc,cd->abd", (6, 3), name="ed")(rand(2, 5, 4))
    with pytest.raises(ValueError, match="'ed': weight dimension 'z'"):
        layers.EinsumDense("ab,bz->ab", (4,), name="ed")(rand(2, 4))


def test_einsum_dense_lora_trains_a_low_rank_update_only():
    layer = layers.EinsumDense("ab,bc->ac", 4, bias_axes="c", kernel_initializer="ones")
    x = rand(3, 5)
    before = np.asarray(layer(x))
    layer.enable_lora(2)
    close(layer(x), before)  # b starts at zero
    trainable = {w.path.split("/")[-1] for w in layer.trainable_weights}
    assert trainable == {"bias", "lora_kernel_a", "lora_kernel_b"}
    a, b = rand(5, 2), rand(2, 4)
    layer.lora_kernel_a.assign(a)
    layer.lora_kernel_b.assign(b)
    kernel, bias = layer._kernel.numpy(), layer.bias.numpy()
    close(layer(x), x @ (kernel + a @ b) + bias)  # lora_alpha defaults to the rank: scale 1
    with pytest.raises(ValueError, match="LoRA is already enabled"):
        layer.enable_lora(2)
