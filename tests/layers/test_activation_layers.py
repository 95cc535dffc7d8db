"""Activation layers: values from their formulas, PReLU's weight shapes, the legacy LeakyReLU `alpha`, masked
Softmax, compiled calls and clear errors."""
import numpy as np
import pytest

import kerasj
from kerasj import layers

X = np.array([[-3.0, -0.5, 0.0, 0.4, 2.0, 7.0]], np.float32)


def test_values_follow_the_formulas():
    np.testing.assert_allclose(layers.ReLU()(X), np.maximum(X, 0))
    relu = layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5)(X)
    np.testing.assert_allclose(relu, np.where(X > 0.5, np.minimum(X, 6.0), 0.1 * (X - 0.5)), rtol=1e-6)
    np.testing.assert_allclose(layers.LeakyReLU()(X), np.where(X >= 0, X, 0.3 * X), rtol=1e-6)
    np.testing.assert_allclose(layers.ELU(0.5)(X), np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-6)
    e = np.exp(X - X.max())
    np.testing.assert_allclose(layers.Softmax()(X), e / e.sum(), rtol=1e-6)


def test_leaky_relu_accepts_legacy_alpha_with_a_warning():
    with pytest.warns(UserWarning, match="negative_slope"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.get_config()["negative_slope"] == 0.1
    np.testing.assert_allclose(layer(X), np.where(X >= 0, X, 0.1 * X), rtol=1e-6)


def test_prelu_slopes_shapes_and_values():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype(np.float32)
    layer = layers.PReLU(shared_axes=[1, 2])
    layer(x)
    assert layer.alpha.shape == (1, 1, 5) and layer.weights == [layer.alpha]
    slopes = np.arange(5, dtype=np.float32).reshape(1, 1, 5) / 10
    layer.set_weights([slopes])
    np.testing.assert_allclose(layer(x), np.where(x >= 0, x, slopes * x), rtol=1e-6)
    unshared = layers.PReLU()
    unshared(x)
    assert unshared.alpha.shape == (3, 4, 5)
    np.testing.assert_array_equal(unshared(x), np.maximum(x, 0))  # "zeros" slopes


def test_prelu_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"PReLU 'p'.*shared_axes.*1..3"):
        layers.PReLU(shared_axes=[0], name="p")(np.zeros((2, 3, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"PReLU 'q'.*shared_axes.*1..2"):
        layers.PReLU(shared_axes=3, name="q")(np.zeros((2, 3, 4), np.float32))
    layer = layers.PReLU(shared_axes=1, name="r")
    layer(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"layer 'r'.*axis 2"):
        layer(np.zeros((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match=r"PReLU 's'.*known size"):
        layers.PReLU(name="s")(kerasj.Input((None, 4)))


def test_masked_softmax_puts_all_mass_on_kept_entries():
    x = np.random.default_rng(1).normal(size=(2, 4)).astype(np.float32)
    mask = np.array([[True, False, True, True], [False, False, False, False]])
    out = np.asarray(layers.Softmax()(x, mask=mask))
    e = np.exp(x[0, [0, 2, 3]])
    np.testing.assert_allclose(out[0, [0, 2, 3]], e / e.sum(), rtol=1e-6)
    assert out[0, 1] == 0 and np.all(out[1] == 0)  # a fully masked row is all zeros
    np.testing.assert_allclose(layers.Softmax()(x, mask=mask.astype(np.float32)), out)


def test_softmax_rejects_a_mask_that_does_not_broadcast():
    with pytest.raises(ValueError, match=r"Softmax 'sm'.*broadcast.*mask.shape=\(2, 3\)"):
        layers.Softmax(name="sm")(np.zeros((2, 4), np.float32), mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match=r"Softmax 'sm2'.*broadcast"):
        layers.Softmax(name="sm2")(np.zeros((4,), np.float32), mask=np.ones((1, 4), bool))


@pytest.mark.parametrize("cls,kwargs,match", [
    (layers.ReLU, dict(max_value=-1.0), "max_value"),
    (layers.ReLU, dict(negative_slope=-0.1), "negative_slope"),
    (layers.ReLU, dict(threshold=None), "threshold"),
    (layers.LeakyReLU, dict(negative_slope=-1.0), "negative_slope"),
])
def test_bad_arguments_name_the_layer(cls, kwargs, match):
    with pytest.raises(ValueError, match=rf"{cls.__name__} 'bad'.*{match}"):
        cls(name="bad", **kwargs)


def test_activation_layers_run_compiled_and_pass_masks():
    model = kerasj.Sequential([kerasj.Input((6,)), layers.PReLU(alpha_initializer="ones"), layers.ReLU(),
                               layers.LeakyReLU(), layers.ELU(), layers.Softmax()])
    step = kerasj.function(lambda x: model(x))
    e = np.exp(np.maximum(X, 0) - np.maximum(X, 0).max())
    np.testing.assert_allclose(step(X), e / e.sum(), rtol=1e-6)
    assert all(layer.supports_masking for layer in model.layers)
