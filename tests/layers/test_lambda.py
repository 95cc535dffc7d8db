"""The Lambda layer and safe mode: calling with arguments/mask/training, output shapes, configs shared with
Keras 3, and the rule that stored lambda bytecode only loads with safe mode off."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj
from kerasj.layers import Lambda
from kerasj.saving import safe_mode
from kerasj.saving.safe_mode import enable_unsafe_deserialization, in_safe_mode, safe_mode_scope

X = np.arange(6, dtype=np.float32).reshape(2, 3)


def scale(x, k=1.0):
    return x * k


def make_adder(amount):
    return lambda x, extra=1.0: x + amount + extra


# -- safe mode --------------------------------------------------------------------------------------------
def test_safe_mode_scopes_nest_and_restore():
    assert in_safe_mode()
    with safe_mode_scope(False):
        assert not in_safe_mode()
        with safe_mode_scope(True):
            assert in_safe_mode()
        assert not in_safe_mode()
    assert in_safe_mode()
    with pytest.raises(ValueError, match="safe_mode_scope: `safe_mode` must be True or False"):
        with safe_mode_scope("no"):
            pass


def test_enable_unsafe_deserialization_is_global_and_exported_in_config(monkeypatch):
    monkeypatch.setattr(safe_mode, "_unsafe_enabled", False)
    assert kerasj.config.enable_unsafe_deserialization is enable_unsafe_deserialization
    kerasj.config.enable_unsafe_deserialization()
    assert not in_safe_mode()
    with safe_mode_scope(True):  # an open scope wins over the global switch
        assert in_safe_mode()


# -- calling ----------------------------------------------------------------------------------------------
def test_calls_function_with_arguments():
    np.testing.assert_allclose(Lambda(scale, arguments={"k": 3.0})(X), X * 3.0)


@pytest.mark.filterwarnings("ignore:Layer 'lambda.*does not support masking")
def test_passes_training_and_mask_only_to_functions_that_take_them():
    seen = {}

    def fn(x, training=None, mask=None):
        seen.update(training=training, mask=mask)
        return x

    mask = np.array([[True, False, True], [False, True, True]])
    Lambda(fn)(X, training=True, mask=mask)
    assert seen["training"] is True and np.array_equal(seen["mask"], mask)
    np.testing.assert_allclose(Lambda(lambda x: x * 2)(X, training=True, mask=mask), X * 2)  # neither passed


def test_mask_argument_gives_compute_mask():
    fixed = np.array([True, False])
    assert Lambda(scale).supports_masking is False and Lambda(scale).compute_mask(X) is None
    assert Lambda(scale, mask=fixed).supports_masking
    np.testing.assert_array_equal(Lambda(scale, mask=fixed).compute_mask(X), fixed)
    layer = Lambda(scale, mask=lambda inputs, mask: inputs > 2)
    np.testing.assert_array_equal(layer.compute_mask(X), X > 2)


def test_output_shape_inferred_given_or_computed():
    assert Lambda(lambda x: x[:, :2] * 2).compute_output_shape((None, 3)) == (None, 2)
    assert Lambda(lambda x: [x, x[:, :1]]).compute_output_shape((4, 3)) == [(4, 3), (4, 1)]
    assert Lambda(scale, output_shape=(5,)).compute_output_shape((7, 3)) == (7, 5)
    assert Lambda(scale, output_shape=[(2,), (3, 1)]).compute_output_shape((7, 3)) == [(7, 2), (7, 3, 1)]
    assert Lambda(scale, output_shape=lambda s: s[:1] + (9,)).compute_output_shape((7, 3)) == (7, 9)


def test_symbolic_output_uses_given_output_shape_without_tracing_the_function():
    inputs = kerasj.Input((3,))
    out = Lambda(lambda x: np.asarray(x)[:, :2], output_shape=(2,))(inputs)  # numpy: not traceable
    assert out.shape == (None, 2)
    with pytest.raises(NotImplementedError, match=r"Lambda 'opaque'.*output shape.*pass `output_shape`"):
        Lambda(lambda x: np.asarray(x)[:, :2], name="opaque").compute_output_shape((None, 3))


def test_lambda_in_a_compiled_fit():
    model = kerasj.Sequential([kerasj.Input((3,)), Lambda(lambda x: x / 5.0), kerasj.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(X, np.ones((2, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.all(np.isfinite(history.history["loss"]))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"Lambda 'l': `function` must be callable; received 3"):
        Lambda(3, name="l")
    with pytest.raises(ValueError, match=r"Lambda 'l': `arguments` must be a dict"):
        Lambda(scale, arguments=[1], name="l")
    with pytest.raises(ValueError, match=r"Lambda 'l': only Python functions and lambdas can be saved"):
        Lambda(np.square, name="l").get_config()


# -- configs and safe deserialization --------------------------------------------------------------------
def test_config_of_named_function_matches_keras_and_resolves_from_custom_objects():
    ours, theirs = Lambda(scale, arguments={"k": 2.0}, name="l"), keras.layers.Lambda(scale, arguments={"k": 2.0},
                                                                                         name="l")
    assert ours.get_config() == theirs.get_config()
    with pytest.raises(ValueError, match=r"could not find the function 'scale'.*custom_objects"):
        Lambda.from_config(theirs.get_config())
    for custom in ({"scale": scale}, {"my_package>scale": scale}):
        rebuilt = Lambda.from_config(theirs.get_config(), custom_objects=custom)
        np.testing.assert_allclose(rebuilt(X), X * 2.0)


def test_named_builtin_resolves_to_kerasj_function_but_never_to_arbitrary_modules():
    config = keras.layers.Lambda(keras.activations.relu).get_config()
    assert Lambda.from_config(config).function is kerasj.activations.relu
    assert Lambda(kerasj.activations.relu, name="lambda").get_config()["function"] == config["function"]
    for module, name in (("os", "system"), ("builtins", "eval"), ("builtins", "__import__")):
        hostile = {**config, "function": {"module": module, "class_name": "function", "config": name,
                                          "registered_name": "function"}}
        with safe_mode_scope(False), pytest.raises(ValueError, match=f"could not find the function '{name}'"):
            Lambda.from_config(hostile)


def test_lambda_config_matches_keras_and_loads_only_with_safe_mode_off():
    fn = make_adder(3.0)
    ours, theirs = Lambda(fn, output_shape=(3,), name="l"), keras.layers.Lambda(fn, output_shape=(3,), name="l")
    config = ours.get_config()
    assert config == theirs.get_config()
    assert config["function"]["class_name"] == "__lambda__"
    assert config["function"]["config"]["closure"] == (3.0,) and config["function"]["config"]["defaults"] == (1.0,)
    with pytest.raises(ValueError, match=r"Lambda 'l'.*lambda.*safe mode.*safe_mode=False.*"
                                         r"enable_unsafe_deserialization"):
        Lambda.from_config(config)
    with safe_mode_scope(False):
        rebuilt = Lambda.from_config(config)
        with pytest.raises(ValueError, match="refused in safe mode"):
            Lambda.from_config(config, safe_mode=True)  # an explicit argument wins
    np.testing.assert_allclose(rebuilt(X), X + 4.0)
    assert rebuilt.compute_output_shape((2, 3)) == (2, 3)
    np.testing.assert_allclose(Lambda.from_config(config, safe_mode=False)(X), X + 4.0)


def test_keras_lambda_config_with_lambda_output_shape_and_mask_loads_unsafely():
    theirs = keras.layers.Lambda(lambda x: keras.ops.square(x), output_shape=lambda s: s,
                                 mask=lambda inputs, mask: inputs > 1, name="sq")
    config = theirs.get_config()
    with pytest.raises(ValueError, match="Lambda 'sq'"):
        Lambda.from_config(config)
    with safe_mode_scope(False):
        ours = Lambda.from_config(config)
    np.testing.assert_allclose(ours(X), np.asarray(theirs(X)))  # `keras` in the lambda resolves to kerasj
    assert ours.compute_output_shape((2, 3)) == (2, 3)
    np.testing.assert_array_equal(ours.compute_mask(X), X > 1)


def test_unreadable_bytecode_is_a_clear_error():
    config = Lambda(lambda x: x, name="l").get_config()
    config["function"]["config"]["code"] = "bm90IGJ5dGVjb2Rl\n"
    with pytest.raises(ValueError, match=r"Lambda 'l': the stored lambda bytecode cannot be read"):
        Lambda.from_config(config, safe_mode=False)


def test_array_arguments_round_trip_as_keras_numpy_records():
    ours = Lambda(scale, arguments={"k": np.array([1.0, 2.0, 3.0], np.float32)}, name="l")
    theirs = keras.layers.Lambda(scale, arguments={"k": np.array([1.0, 2.0, 3.0], np.float32)}, name="l")
    assert ours.get_config() == theirs.get_config()
    rebuilt = Lambda.from_config(ours.get_config(), custom_objects={"scale": scale})
    np.testing.assert_allclose(rebuilt(X), X * np.array([1.0, 2.0, 3.0]))


def test_registered_function_is_saved_under_its_registered_name_like_keras():
    def twice(x):
        return 2 * x

    ours = kerasj.saving.register_keras_serializable(package="lambda_test")(twice)
    theirs = keras.saving.register_keras_serializable(package="lambda_test")(twice)
    assert Lambda(ours, name="l").get_config() == keras.layers.Lambda(theirs, name="l").get_config()
    config = Lambda(ours, name="l").get_config()
    assert config["function"]["config"] == "lambda_test>twice"
    assert Lambda.from_config(config).function is twice
    plain = {**config, "function": {**config["function"], "config": "unregistered_twice"}}
    with kerasj.saving.custom_object_scope({"unregistered_twice": twice}):
        assert Lambda.from_config(plain).function is twice
