"""Merging layers against numpy: element-wise merges with Keras's broadcasting rule, Concatenate, Dot
(batched contraction, normalize), functional forms, symbolic shapes, configs and errors."""
import numpy as np
import pytest

import kerasj
from kerasj import layers


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("layer,fold", [(layers.Add, np.add), (layers.Multiply, np.multiply),
                                        (layers.Maximum, np.maximum), (layers.Minimum, np.minimum)])
def test_elementwise_merges(layer, fold):
    a, b, c = arrays((3, 4), (3, 4), (3, 4))
    np.testing.assert_allclose(layer()([a, b, c]), fold(fold(a, b), c), rtol=1e-6)
    np.testing.assert_allclose(layer()([a]), a)


def test_subtract_and_average():
    a, b, c = arrays((3, 4), (3, 4), (3, 4))
    np.testing.assert_allclose(layers.Subtract()([a, b]), a - b, rtol=1e-6)
    np.testing.assert_allclose(layers.Average()([a, b, c]), (a + b + c) / 3, rtol=1e-6)
    out = layers.Average()([np.array([[1, 2]], np.int32), np.array([[2, 2]], np.int32)])
    assert str(out.dtype) == "float32"
    np.testing.assert_allclose(out, [[1.5, 2.0]])


def test_lower_rank_inputs_get_axes_after_the_batch_axis():
    a, b = arrays((2, 3), (2, 4, 3))
    np.testing.assert_allclose(layers.Add()([a, b]), a[:, None, :] + b, rtol=1e-6)
    c, d = arrays((2, 3), (2, 3, 1))  # numpy's leading-axis rule would not even broadcast these
    out = layers.Multiply()([c, d])
    assert out.shape == (2, 3, 3)
    np.testing.assert_allclose(out, c[:, None, :] * d, rtol=1e-6)


def test_elementwise_output_shapes():
    add = layers.Add()
    assert add.compute_output_shape([(None, 3), (None, 3)]) == (None, 3)
    assert add.compute_output_shape([(None, 1, 4), (5, 3, 1)]) == (5, 3, 4)
    assert add.compute_output_shape([(None, 4), (5, 3, 1)]) == (5, 3, 4)
    assert add.compute_output_shape([(None, None, 3), (None, 5, 3)]) == (None, None, 3)
    assert layers.add([kerasj.Input((None, 3)), kerasj.Input((5, 3))]).shape == (None, None, 3)


def test_elementwise_errors_name_the_layer():
    add = layers.Add(name="my_add")
    with pytest.raises(ValueError, match="my_add.*incompatible shapes"):
        add([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add()([np.ones((2, 3)), np.ones((3, 3))])
    with pytest.raises(ValueError, match="list"):
        layers.Add()(np.ones((2, 3)))
    with pytest.raises(ValueError, match="list"):
        layers.Add()([])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([np.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Add()([kerasj.Input((3,)), kerasj.Input((4,))])


def test_concatenate():
    a, b = arrays((2, 3, 4), (2, 3, 2))
    np.testing.assert_allclose(layers.Concatenate()([a, b]), np.concatenate([a, b], -1))
    c = arrays((2, 1, 4))[0]
    np.testing.assert_allclose(layers.concatenate([a, c], axis=1), np.concatenate([a, c], 1))
    layer = layers.Concatenate(axis=1)
    assert layer.compute_output_shape([(None, 3, 4), (None, 1, 4)]) == (None, 4, 4)
    assert layer.compute_output_shape([(None, None, 4), (None, 1, None)]) == (None, None, 4)
    x = layers.concatenate([kerasj.Input((3,)), kerasj.Input((5,))])
    assert x.shape == (None, 8)
    assert layers.Concatenate.from_config(layer.get_config()).axis == 1


def test_concatenate_errors_name_the_layer_and_shapes():
    layer = layers.Concatenate(name="joiner")
    with pytest.raises(ValueError, match=r"joiner.*except for the concatenation axis.*\(2, 3, 1\), \(2, 4, 3\)"):
        layer([np.ones((2, 3, 1)), np.ones((2, 4, 3))])
    with pytest.raises(ValueError, match="same rank"):
        layers.Concatenate()([np.ones((2, 3)), np.ones((2, 4, 3))])
    with pytest.raises(ValueError, match="same rank|in range"):
        layers.Concatenate(axis=3)([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="except for the concatenation axis"):
        layers.Concatenate()([kerasj.Input((3, 2)), kerasj.Input((4, 2))])
    with pytest.raises(TypeError, match="axis"):
        layers.Concatenate(axis="x")


@pytest.mark.parametrize("axes,shapes,spec", [
    (1, [(4, 3), (4, 3)], "bi,bi->b"),
    (-1, [(4, 3, 5), (4, 2, 5)], "bik,bjk->bij"),
    ((1, 2), [(4, 3, 5), (4, 2, 3)], "bki,bjk->bij"),
    (1, [(4, 3, 5), (4, 3)], "bki,bk->bi"),
])
def test_dot_is_a_batched_contraction(axes, shapes, spec):
    a, b = arrays(*shapes)
    out = np.asarray(layers.Dot(axes)([a, b]))
    expected = np.einsum(spec, a, b)
    if expected.ndim == 1:
        expected = expected[:, None]  # Keras returns (batch, 1) for a per-sample scalar
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert layers.Dot(axes).compute_output_shape(shapes) == expected.shape


def test_dot_normalize_gives_cosine_similarity():
    a, b = arrays((5, 3), (5, 3))
    out = np.asarray(layers.dot([a, b], axes=1, normalize=True))
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(out[:, 0], cos, rtol=1e-5)


def test_dot_errors_and_config():
    with pytest.raises(ValueError, match="axis values 3 .* != 4"):
        layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="non-batch axis"):
        layers.Dot(axes=0)([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Dot(axes=1)([np.ones((2, 3))] * 3)
    with pytest.raises(TypeError, match="axes"):
        layers.Dot(axes="a")
    with pytest.raises(ValueError, match="pair"):
        layers.Dot(axes=(1, 2, 3))
    layer = layers.Dot(axes=[1, 2], normalize=True)
    config = layer.get_config()
    assert config["axes"] == [1, 2] and config["normalize"] is True
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, layers.Dot) and clone.axes == [1, 2] and clone.normalize


def test_merges_in_a_compiled_functional_model():
    a, b = kerasj.Input((3,)), kerasj.Input((3,))
    out = layers.concatenate([layers.add([a, b]), layers.subtract([a, b]), layers.dot([a, b], axes=1)])
    model = kerasj.Model([a, b], out)
    xa, xb = arrays((4, 3), (4, 3))
    pred = model.predict([xa, xb], verbose=0)
    expected = np.concatenate([xa + xb, xa - xb, (xa * xb).sum(1, keepdims=True)], axis=1)
    np.testing.assert_allclose(pred, expected, rtol=1e-5, atol=1e-6)
