"""The top-level kerasj namespace offers Keras 3's names: base classes, scopes, device, remat, version."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerasj  # noqa: E402

# Every Keras top-level name: tests/test_keras_coverage.py walks the namespace.


def test_base_classes():
    assert kerasj.Loss is kerasj.losses.Loss and kerasj.Metric is kerasj.metrics.Metric
    assert kerasj.Optimizer is kerasj.optimizers.Optimizer and kerasj.Initializer is kerasj.initializers.Initializer
    assert kerasj.Regularizer is kerasj.regularizers.Regularizer
    assert isinstance(kerasj.Input((3,)), kerasj.KerasTensor)
    assert issubclass(kerasj.Layer, kerasj.Operation)


def test_version():
    assert kerasj.version() == kerasj.__version__ and isinstance(kerasj.__version__, str)


def test_name_scope_prefixes_variable_paths():
    with kerasj.name_scope("block"):
        v = kerasj.Variable(1.0, name="w")
    assert v.path == "block/w"


def test_stateless_scope_maps_and_collects_without_changing_variables():
    v = kerasj.Variable(np.ones(2, "float32"))
    k = keras.Variable(np.ones(2, "float32"))
    results = []
    for lib, var in ((kerasj, v), (keras, k)):
        with lib.StatelessScope(state_mapping=[(var, np.full(2, 3.0))]) as scope:
            var.assign(var * 2)
            results.append(np.asarray(scope.get_current_value(var)))
        assert np.asarray(var.numpy() if lib is kerasj else var.value).tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(results[0], results[1])
    other = kerasj.Variable(0.0)
    with kerasj.StatelessScope() as scope:
        assert scope.get_current_value(other) is None
    with pytest.raises(ValueError, match="shape"):
        kerasj.StatelessScope([(v, np.ones(3))])


def test_stateless_scope_collects_layer_losses():
    layer = kerasj.layers.Dense(2, activity_regularizer="l2")
    x = np.ones((4, 3), "float32")
    layer(x)
    with kerasj.StatelessScope([(w, w.value) for w in layer.weights], collect_losses=True) as scope:
        layer(x)
    assert len(scope.losses) == 1


def test_symbolic_scope_is_a_marker():
    from kerasj.scopes import in_symbolic_scope
    assert not in_symbolic_scope()
    with kerasj.SymbolicScope():
        assert in_symbolic_scope()
    assert not in_symbolic_scope()


def test_device_places_new_arrays_on_the_cpu():
    with kerasj.device("cpu:0"):
        x = kerasj.ops.ones((2,))
    assert x.devices() == {jax.devices("cpu")[0]}
    with pytest.raises(ValueError):
        kerasj.device(3)


def test_remat_same_gradients_and_checkpoint_in_jaxpr():
    def f(x):
        return jnp.sum(jnp.tanh(jnp.sin(x) * x) ** 2)

    x = jnp.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(jax.grad(kerasj.remat(f))(x), jax.grad(f)(x), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(kerasj.remat(f))(x), jax.grad(keras.remat(f))(x), rtol=1e-6)
    assert "checkpoint" in str(jax.make_jaxpr(kerasj.remat(f))(x)) or "remat" in str(jax.make_jaxpr(
        kerasj.remat(f))(x))


def test_remat_over_stateful_code_in_value_and_grad():
    layer = kerasj.layers.Dense(3)
    x = np.ones((2, 4), "float32")
    layer(x)
    plain = kerasj.value_and_grad(lambda: jnp.sum(layer(x) ** 2), layer.trainable_weights)()
    remat = kerasj.value_and_grad(kerasj.remat(lambda: jnp.sum(layer(x) ** 2)), layer.trainable_weights)()
    np.testing.assert_allclose(plain[0], remat[0], rtol=1e-6)
    for a, b in zip(plain[1], remat[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_remat_scope_modes():
    from kerasj.remat import get_current_remat_mode
    with kerasj.RematScope(mode=None):
        assert get_current_remat_mode().mode is None
    assert get_current_remat_mode() is None
    with kerasj.RematScope(mode="larger_than", output_size_threshold=10):  # every mode works (tests/test_remat.py)
        assert get_current_remat_mode() == ("larger_than", 10, [])
    with pytest.raises(ValueError, match="invalid mode"):
        kerasj.RematScope(mode="sometimes")
