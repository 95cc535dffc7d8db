"""JaxLayer and FlaxLayer against Keras 3.15's (JAX backend): same Flax module and initial variables give the
same outputs, and one `fit` epoch from the same weights gives the same weights (BatchNorm statistics
included); weight order and names, signatures and config keys match; rng keys are fresh per training step;
weights and `.keras` files round-trip."""
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import flax.linen as nn
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj
from kerasj.layers.jax_layer import FlaxLayer, JaxLayer

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = RNG.normal(size=(16, 2)).astype("float32")


class BNMlp(nn.Module):
    units: int = 4

    @nn.compact
    def __call__(self, x, training=False):
        x = nn.Dense(self.units)(x)
        x = nn.BatchNorm(use_running_average=not training, momentum=0.8)(x)
        return nn.Dense(2)(nn.relu(x))

    def get_config(self):
        return {"units": self.units}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


kerasj.saving.register_keras_serializable("test_jax_layer")(BNMlp)


class DropoutModule(nn.Module):
    @nn.compact
    def __call__(self, x, training=False):
        return nn.Dropout(0.5, deterministic=not training)(x)


def linear_call(params, state, inputs, training):
    """A linear map whose state counts the training calls."""
    new_state = {"calls": state["calls"] + (1.0 if training else 0.0)}
    return inputs @ params["w"] + params["b"], new_state


def linear_init(rng, inputs):
    params = {"w": jax.random.normal(rng, (inputs.shape[-1], 2)), "b": jnp.zeros(2)}
    return params, {"calls": jnp.zeros(())}


kerasj.saving.register_keras_serializable("test_jax_layer")(linear_call)
kerasj.saving.register_keras_serializable("test_jax_layer")(linear_init)

VARIABLES = jax.tree_util.tree_map(np.asarray, BNMlp().init(jax.random.PRNGKey(0), jnp.ones((1, 3))))


def layout(layer):
    # Keras numbers unnamed variables with a process-wide counter ("variable_8" in a later layer), so names
    # are compared only in a fresh process; weights files address them by position anyway.
    return [(tuple(w.shape), w.trainable) for w in layer.weights]


def build_pair(make_layer_ours, make_layer_theirs):
    def model(lib, layer):
        m = lib.Sequential([lib.Input((3,)), layer])
        m.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        return m
    return model(kerasj, make_layer_ours()), model(keras, make_layer_theirs())


@pytest.fixture(scope="module")
def flax_pair():
    ours, theirs = build_pair(lambda: FlaxLayer(BNMlp(), variables=VARIABLES),
                              lambda: keras.layers.FlaxLayer(BNMlp(), variables=VARIABLES))
    before = (ours.predict(X, verbose=0), theirs.predict(X, verbose=0))
    ours.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return ours, theirs, before


def test_flax_layer_outputs_match_keras(flax_pair):
    _, _, (ours, theirs) = flax_pair
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_flax_layer_weights_are_named_and_ordered_as_in_keras(flax_pair):
    ours, theirs, _ = flax_pair
    assert layout(ours.layers[0]) == layout(theirs.layers[0])
    assert [w.path.split("/")[-1] for w in ours.layers[0].weights] == ["variable"] + [f"variable_{i}"
                                                                                    for i in range(1, 8)]
    # params then batch_stats, each in tree_flatten order of the Flax variables
    flat = jax.tree_util.tree_leaves(VARIABLES["params"]) + jax.tree_util.tree_leaves(VARIABLES["batch_stats"])
    assert [w.shape for w in ours.layers[0].weights] == [a.shape for a in flat]


def test_one_fit_epoch_gives_keras_weights_and_batch_stats(flax_pair):
    ours, theirs, _ = flax_pair
    mine, ref = ours.get_weights(), theirs.get_weights()
    start = jax.tree_util.tree_leaves(VARIABLES["params"]) + jax.tree_util.tree_leaves(VARIABLES["batch_stats"])
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # Everything trained, the moving statistics too, except Dense_0's bias (BatchNorm cancels its gradient).
    changed = [not np.allclose(a, s) for a, s in zip(mine, start)]
    assert changed == [True, True, False, True, True, True, True, True]


def test_jax_layer_with_state_matches_keras_and_set_weights_moves_both_ways():
    ours = JaxLayer(linear_call, linear_init)
    theirs = keras.layers.JaxLayer(linear_call, linear_init)
    ours.build((None, 3))
    theirs.build((None, 3))
    assert layout(ours) == layout(theirs)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(X, training=True), theirs(X, training=True), rtol=1e-6, atol=1e-6)
    assert float(ours.state["calls"].numpy()) == 1.0 == float(theirs.state["calls"].numpy())
    ours(X, training=False)
    assert float(ours.state["calls"].numpy()) == 1.0


def test_signatures_match_keras():
    for ours, theirs in ((JaxLayer, keras.layers.JaxLayer), (FlaxLayer, keras.layers.FlaxLayer)):
        assert inspect.signature(ours) == inspect.signature(theirs)
    assert kerasj.layers.JaxLayer is JaxLayer and kerasj.layers.FlaxLayer is FlaxLayer


def test_config_keys_match_keras_and_round_trip():
    ours, theirs = JaxLayer(linear_call, linear_init), keras.layers.JaxLayer(linear_call, linear_init)
    assert ours.get_config().keys() == theirs.get_config().keys()
    assert JaxLayer.from_config(ours.get_config()).call_fn is linear_call
    f_ours = FlaxLayer(BNMlp(units=5))
    f_theirs = keras.layers.FlaxLayer(BNMlp(units=5))
    assert f_ours.get_config().keys() == f_theirs.get_config().keys()
    rebuilt = FlaxLayer.from_config(f_ours.get_config())
    assert isinstance(rebuilt.module, BNMlp) and rebuilt.module.units == 5


def test_rng_is_fresh_per_training_call_and_absent_in_inference():
    seen = []

    def call_fn(rng, inputs, training):
        seen.append(rng)
        return inputs if rng is None else inputs + jax.random.normal(rng, inputs.shape)

    layer = JaxLayer(call_fn, seed=3)
    a, b = layer(X, training=True), layer(X, training=True)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(layer(X), X)
    assert seen[-1] is None
    dropout = FlaxLayer(DropoutModule(), seed=1)
    ones = np.ones((4, 8), "float32")
    first, second = dropout(ones, training=True), dropout(ones, training=True)
    assert set(np.unique(first)) <= {0.0, 2.0} and not np.array_equal(first, second)
    np.testing.assert_array_equal(dropout(ones), ones)


def test_dropout_keys_change_between_compiled_steps():
    """Inside compiled code the SeedGenerator state advances each call (a reused key would repeat masks)."""
    layer = FlaxLayer(DropoutModule(), seed=2)
    step = kerasj.function(lambda x: layer(x, training=True))
    ones = np.ones((4, 8), "float32")
    start = int(layer.seed_generator.state.numpy()[1])
    masks = [np.asarray(step(ones)) for _ in range(3)]  # the first call runs eagerly, the next two compiled
    assert not np.array_equal(masks[1], masks[2]) and not np.array_equal(masks[0], masks[1])
    assert int(layer.seed_generator.state.numpy()[1]) == start + 3


def test_weights_file_and_keras_file_round_trip(tmp_path, flax_pair):
    ours, _, _ = flax_pair
    path = tmp_path / "flax.weights.h5"
    ours.save_weights(path)
    other = kerasj.Sequential([kerasj.Input((3,)), FlaxLayer(BNMlp())])
    other.load_weights(path)
    for a, b in zip(other.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(a, b)
    ours.save(tmp_path / "flax.keras")
    loaded = kerasj.saving.load_model(tmp_path / "flax.keras")
    np.testing.assert_allclose(loaded(X), ours(X), rtol=1e-6, atol=1e-6)
    jax_model = kerasj.Sequential([kerasj.Input((3,)), JaxLayer(linear_call, linear_init)])
    jax_model.save(tmp_path / "jax.keras")
    again = kerasj.saving.load_model(tmp_path / "jax.keras")
    np.testing.assert_array_equal(again(X), jax_model(X))


def test_bad_arguments_fail_early_with_clear_messages():
    with pytest.raises(ValueError, match="`inputs` argument"):
        JaxLayer(lambda params, x: x, params={})
    with pytest.raises(ValueError, match="unsupported argument `x`"):
        JaxLayer(lambda inputs, x: inputs)
    with pytest.raises(ValueError, match="one of `init_fn`, `params` and `state`"):
        JaxLayer(lambda params, inputs: inputs)
    with pytest.raises(TypeError, match="flax.linen.Module"):
        FlaxLayer(lambda x: x)


def test_nnx_modules_are_refused_as_in_keras():
    from flax import nnx

    with pytest.raises(TypeError, match="NNX"):
        FlaxLayer(nnx.Linear(2, 3, rngs=nnx.Rngs(0)))


def test_params_given_directly_build_the_layer_and_keep_config_leaves():
    def call_fn(params, inputs):
        return inputs * params["scale"] if params["mode"] == "scale" else inputs

    layer = JaxLayer(call_fn, params={"scale": 2.0, "mode": "scale"})
    assert layer.built and [w.shape for w in layer.trainable_weights] == [()]
    np.testing.assert_allclose(layer(X), 2.0 * X)


def test_a_layer_first_built_inside_a_trace_gets_concrete_initial_values():
    """A subclassed model is first called inside the compiled train step; init_fn must still give arrays."""
    layer = JaxLayer(lambda params, inputs: inputs @ params["w"],
                     lambda rng, inputs: {"w": jax.random.normal(rng, (inputs.shape[-1], 2))})
    out = jax.jit(lambda x: layer(x))(X)
    weight = layer.params["w"].numpy()
    assert isinstance(weight, np.ndarray) and weight.shape == (3, 2)
    np.testing.assert_allclose(out, X @ weight, rtol=1e-5, atol=1e-6)
