"""Embedding and Masking: lookups and masks against numpy, index edge cases, gradients, compilation, LoRA,
configs, and errors that name the layer."""
import numpy as np
import pytest

import kerasj
from kerasj import layers

TABLE = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)


def embedding(**kwargs):
    layer = layers.Embedding(5, 3, embeddings_initializer="zeros", **kwargs)
    layer.build()
    layer.set_weights([TABLE])
    return layer


def test_embedding_looks_up_rows_and_masks_padding():
    layer = embedding(mask_zero=True)
    ids = np.array([[1, 4, 0], [0, 2, 2]])
    out = layer(ids)
    assert out.dtype == np.float32 and out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out, TABLE[ids])
    assert layer.supports_masking
    np.testing.assert_array_equal(layer.compute_mask(ids), ids != 0)
    assert embedding().compute_mask(ids) is None and not embedding().supports_masking
    assert layer.compute_output_shape((None, 7)) == (None, 7, 3)


def test_embedding_index_edge_cases():
    layer = embedding()
    np.testing.assert_array_equal(layer(np.array([1.9, -0.5, 3.0])), TABLE[[1, 0, 3]])  # floats truncate
    np.testing.assert_array_equal(layer(np.array([-1, -5])), TABLE[[4, 0]])  # negatives count from the end
    assert np.isnan(np.asarray(layer(np.array([5, -6, 100])))).all()  # out of range: NaN rows, no error


def test_embedding_gradient_counts_lookups_and_runs_compiled():
    layer = embedding()
    ids = np.array([[1, 1, 3], [4, 1, 0]])
    loss, grads = kerasj.value_and_grad(lambda: layer(ids).sum(), layer.trainable_variables)()
    counts = np.bincount(ids.ravel(), minlength=5).astype(np.float32)
    np.testing.assert_allclose(grads[0], np.repeat(counts[:, None], 3, axis=1))
    np.testing.assert_allclose(loss, TABLE[ids].sum(), rtol=1e-5)
    compiled = kerasj.function(lambda x: layer(x))
    np.testing.assert_array_equal(compiled(ids.astype(np.int32)), TABLE[ids])


def test_embedding_weights_argument_and_config_round_trip():
    layer = layers.Embedding(5, 3, weights=TABLE, mask_zero=True, embeddings_regularizer="l2")
    np.testing.assert_array_equal(layer.get_weights()[0], TABLE)
    config = layer.get_config()
    assert config["mask_zero"] is True and config["input_dim"] == 5 and "lora_rank" not in config
    rebuilt = layers.Embedding.from_config(config)
    assert rebuilt.get_config() == config
    assert len(layer.losses) == 1  # the embeddings regularizer


def test_embedding_lora():
    layer = embedding()
    layer.enable_lora(2, lora_alpha=4)
    ids = np.array([[1, 2]])
    np.testing.assert_allclose(layer(ids), TABLE[ids])  # b starts at zero
    assert {w.path.split("/")[-1] for w in layer.trainable_weights} == {"lora_embeddings_a", "lora_embeddings_b"}
    a, b = np.ones((5, 2), np.float32), np.full((2, 3), 0.5, np.float32)
    layer.lora_embeddings_a.assign(a)
    layer.lora_embeddings_b.assign(b)
    np.testing.assert_allclose(layer(ids), (TABLE + 2.0 * a @ b)[ids], rtol=1e-6)  # alpha / rank = 2
    assert layer.get_config()["lora_rank"] == 2 and layer.get_config()["lora_alpha"] == 4
    lazy = layers.Embedding(5, 3, lora_rank=3)
    assert not lazy.lora_enabled
    lazy.build()
    assert lazy.lora_enabled and not lazy._embeddings.trainable
    with pytest.raises(ValueError, match="LoRA is already enabled"):
        layer.enable_lora(2)
    with pytest.raises(ValueError, match="LoRA cannot be combined with an embeddings_constraint"):
        layers.Embedding(5, 3, embeddings_constraint="non_neg", lora_rank=2).build()
    with pytest.raises(ValueError, match="build the layer before enabling LoRA"):
        layers.Embedding(5, 3).enable_lora(2)


def test_embedding_errors():
    with pytest.raises(ValueError, match="`input_dim` must be a positive integer; received input_dim=0"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="`output_dim` must be a positive integer; received output_dim=2.5"):
        layers.Embedding(4, 2.5)
    with pytest.raises(ValueError, match="`quantization_config` must be a kerasj.quantizers.QuantizationConfig"):
        layers.Embedding(4, 2, quantization_config={"mode": "int8"}, name="emb")
    with pytest.raises(AttributeError, match="'emb': build the layer before reading `embeddings`"):
        layers.Embedding(4, 2, name="emb").embeddings


def test_masking_zeroes_masked_steps_and_reports_the_mask():
    x = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    x[0, 1] = -1.0
    x[1, 3] = -1.0
    x[1, 0, 0] = -1.0
    layer = layers.Masking(mask_value=-1.0)
    expected_mask = np.array([[True, False, True, True], [True, True, True, False]])
    np.testing.assert_array_equal(layer.compute_mask(x), expected_mask)
    np.testing.assert_array_equal(layer(x), np.where(expected_mask[..., None], x, 0.0))
    np.testing.assert_array_equal(kerasj.function(lambda t: layer(t))(x), np.where(expected_mask[..., None], x, 0.0))
    assert layer.get_config()["mask_value"] == -1.0
    with pytest.raises(ValueError, match="Masking 'mask': expected inputs of rank >= 2"):
        layers.Masking(name="mask")(np.ones(3, np.float32))
