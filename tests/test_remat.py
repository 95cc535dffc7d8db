"""Rematerialization: RematScope's modes pick the layers Keras 3 picks (seen as `jax.checkpoint` equations in the
jaxpr of the gradient, for kerasj and for Keras on the same model), values and gradients equal those of the
plain model, and training under a scope (with state updates, randomness, added losses and masks crossing the
checkpoint) ends with the same weights as without it. (Dropout is left out of the training test: its random
numbers take long to compile on CPU, and its seed state crosses the checkpoint as BatchNormalization's moving
statistics do.)"""
import contextlib
import io
import os
import re

import jax
import jax.ad_checkpoint
import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402
from kerasj.remat import get_current_remat_mode  # noqa: E402

X = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
REMAT_PRIMITIVES = ("checkpoint", "remat2", "remat")  # jax.checkpoint's equation, before and after autodiff


def _remat_equations(jaxpr):
    """Every jax.checkpoint equation in `jaxpr`, also inside the bodies of other equations."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in REMAT_PRIMITIVES:
            found.append(eqn)
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else [param]:
                body = getattr(sub, "jaxpr", sub)
                if hasattr(body, "eqns"):
                    found += _remat_equations(body)
    return found


def _rematerialized(grad_fn, values):
    """For each checkpoint in the gradient's jaxpr, the shapes it outputs on the backward pass (a Dense layer's
    shows its kernel's shape; a checkpointed activation shows its input's)."""
    jaxpr = jax.make_jaxpr(grad_fn)(values).jaxpr
    return sorted(tuple(tuple(v.aval.shape) for v in eqn.outvars) for eqn in _remat_equations(jaxpr))


def _layers(lib):
    return [lib.layers.Dense(8, activation="relu", name="a"), lib.layers.Dense(64, activation="tanh", name="b"),
            lib.layers.Dense(2, name="c")]


def _grad_fn(lib, model):
    if lib is kerasj:
        def loss(values):
            with kerasj.StateScope(zip(model.trainable_variables, values)):
                return jnp.sum(model(X) ** 2)
    else:
        def loss(values):
            y, _ = model.stateless_call(values, [v.value for v in model.non_trainable_variables], X)
            return jnp.sum(y ** 2)
    return jax.grad(loss)


# Outputs per batch of 4: a 32, b 256, c 8 elements. Layer c has no activation, i.e. the linear one.
MODES = {
    "none": ((None, {}), []),
    "full": (("full", {}), [((3, 8), (8,)), ((8, 64), (64,), (4, 8)), ((64, 2), (2,), (4, 64))]),
    "list_of_layers": (("list_of_layers", {"layer_names": ["a", "c"]}), [((3, 8), (8,)), ((64, 2), (2,), (4, 64))]),
    "larger_than": (("larger_than", {"output_size_threshold": 100}), [((8, 64), (64,), (4, 8))]),
    "activations": (("activations", {}), [((4, 2),), ((4, 8),), ((4, 64),)]),
}


@pytest.fixture(scope="module")
def plain():
    """The model without any scope (and Keras's, with the same weights)."""
    ours, theirs = (lib.Sequential([lib.Input((3,))] + _layers(lib)) for lib in (kerasj, keras))
    ours.set_weights(theirs.get_weights())
    return ours, theirs


@pytest.mark.parametrize("name", list(MODES))
def test_each_mode_rematerializes_the_layers_keras_does(name, plain):
    (mode, kwargs), expected = MODES[name]
    models = []
    for lib in (kerasj, keras):
        with lib.RematScope(mode=mode, **kwargs):
            layers = _layers(lib)
        models.append(lib.Sequential([lib.Input((3,))] + layers))  # the model itself outside the scope
    ours, theirs = models
    ours.set_weights(plain[1].get_weights())
    theirs.set_weights(plain[1].get_weights())
    assert _rematerialized(_grad_fn(kerasj, ours), [v.value for v in ours.trainable_variables]) == expected
    assert _rematerialized(_grad_fn(keras, theirs), [v.value for v in theirs.trainable_variables]) == expected
    # Same values and gradients as without rematerialization.
    values = [v.value for v in ours.trainable_variables]
    np.testing.assert_allclose(ours(X), plain[0](X), rtol=1e-6)
    for got, want in zip(_grad_fn(kerasj, ours)(values), _grad_fn(kerasj, plain[0])(values)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours(X), theirs(X), rtol=1e-5, atol=1e-6)


def test_a_model_created_in_a_full_scope_rematerializes_its_whole_call():
    with kerasj.RematScope(mode="full"):
        model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(8), kerasj.layers.Dense(2)])
    with keras.RematScope(mode="full"):
        theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8), keras.layers.Dense(2)])
    shapes = _rematerialized(_grad_fn(kerasj, model), [v.value for v in model.trainable_variables])
    assert shapes == _rematerialized(_grad_fn(keras, theirs), [v.value for v in theirs.trainable_variables])
    # One checkpoint around the model's call (giving all four gradients); inside its body, each layer's own
    # (the backward pass of both, and the forward recomputation of both).
    assert shapes == [((3, 8), (8,)), ((3, 8), (8,), (8, 2), (2,)), ((4, 2),), ((4, 8),), ((8, 2), (2,), (4, 8))]


def test_the_innermost_scope_decides_and_the_mode_is_fixed_at_creation():
    with kerasj.RematScope(mode="full"):
        outer = kerasj.layers.Dense(4)
        with kerasj.RematScope(mode=None):
            inner = kerasj.layers.Dense(4)
            assert get_current_remat_mode().mode is None
        assert get_current_remat_mode().mode == "full"
    assert get_current_remat_mode() is None
    assert outer._remat_mode.mode == "full" and inner._remat_mode.mode is None
    for layer, count in ((outer, 1), (inner, 0)):
        layer.build((None, 3))

        def loss(values, layer=layer):
            with kerasj.StateScope(zip(layer.trainable_variables, values)):
                return jnp.sum(layer(X) ** 2)
        # Called outside any scope: the layer still follows the scope it was created in.
        assert len(_rematerialized(jax.grad(loss), [v.value for v in layer.trainable_variables])) == count


class _AddsLoss(kerasj.layers.Layer):
    """Adds a loss from inside its call (which a checkpoint then traces)."""

    def call(self, x):
        self.add_loss(0.01 * jnp.sum(x ** 2))
        return x


def _stateful_model(scope):
    with scope:
        layers = [kerasj.layers.Dense(6, activation="relu"), kerasj.layers.BatchNormalization(), _AddsLoss(),
                  kerasj.layers.Dense(1)]
    model = kerasj.Sequential([kerasj.Input((3,))] + layers)
    model.compile(optimizer=kerasj.optimizers.SGD(0.05), loss="mse")
    return model


class _NoScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_fit_under_a_scope_trains_the_same_weights():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    remat, plain = _stateful_model(kerasj.RematScope(mode="full")), _stateful_model(_NoScope())
    plain.set_weights(remat.get_weights())
    histories = [m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history for m in (remat, plain)]
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-5)
    # Weights and BatchNormalization's moving statistics (assigned inside the checkpoints) match.
    for got, want in zip(remat.variables, plain.variables):
        np.testing.assert_allclose(np.asarray(got.value), np.asarray(want.value), rtol=1e-5, atol=1e-6)


def test_masks_cross_the_checkpoint():
    tokens = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    with kerasj.RematScope(mode="full"):
        embed = kerasj.layers.Embedding(5, 2, mask_zero=True)
        pool = kerasj.layers.GlobalAveragePooling1D()
    out = np.asarray(pool(embed(tokens)))  # the mask leaves one checkpoint and enters the next
    table = np.asarray(embed.embeddings.value)
    expected = np.stack([table[[1, 2]].mean(0), table[[3]].mean(0)])  # the padding (0) is left out
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_remat_of_a_stateful_function():
    layers = []
    results = []
    for wrap in (kerasj.remat, lambda f: f):
        bn, adds = kerasj.layers.BatchNormalization(momentum=0.5), _AddsLoss()
        bn.build((None, 3))
        layers.append((bn, adds))
        fn = wrap(lambda x, bn=bn, adds=adds: jnp.sum(adds(bn(x, training=True)) * jnp.arange(3.0)))
        results.append(kerasj.value_and_grad(fn, bn.trainable_variables)(X))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    (bn, adds), (plain_bn, plain_adds) = layers
    # The moving statistics were assigned through the checkpoint, and the added loss came out of it, as
    # concrete values (numpy() refuses tracers).
    for got, want in zip(bn.non_trainable_variables, plain_bn.non_trainable_variables):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)
    np.testing.assert_allclose(np.asarray(adds.losses[0]), np.asarray(plain_adds.losses[0]), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="invalid mode 'sometimes'"):
        kerasj.RematScope(mode="sometimes")
    with pytest.raises(ValueError, match="`output_size_threshold` must be a number"):
        kerasj.RematScope(mode="larger_than", output_size_threshold="big")
    with pytest.raises(ValueError, match="`layer_names` must be a list"):
        kerasj.RematScope(mode="list_of_layers", layer_names="dense")


class _Expanding(kerasj.layers.Layer):
    """A block whose hidden activations (batch, 64) are 16x its input (batch, 4): what remat should not keep."""

    def build(self, input_shape):
        self.w1 = self.add_weight(shape=(4, 64))
        self.w2 = self.add_weight(shape=(64, 4))

    def call(self, x):
        return x + jnp.tanh(jnp.tanh(x @ self.w1) @ self.w2)


def _saved_residual_shapes(scope):
    """The shapes of what the backward pass keeps from the forward pass (JAX's own accounting of saved
    residuals, `jax.ad_checkpoint.print_saved_residuals`), for three blocks built under `scope`."""
    with scope:
        model = kerasj.Sequential([kerasj.Input((4,))] + [_Expanding() for _ in range(3)])
    x = np.ones((16, 4), "float32")

    def loss(values):
        with kerasj.StateScope(zip(model.trainable_variables, values)):
            return jnp.sum(model(x) ** 2)

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        jax.ad_checkpoint.print_saved_residuals(loss, [v.value for v in model.trainable_variables])
    return [tuple(int(d) for d in m.split(",") if d) for m in re.findall(r"^\w+\[([\d,]*)\]", out.getvalue(), re.M)]


def test_rematerialized_blocks_do_not_save_their_hidden_activations():
    plain, remat = _saved_residual_shapes(_NoScope()), _saved_residual_shapes(kerasj.RematScope(mode="full"))
    hidden = (16, 64)
    assert plain.count(hidden) == 6  # two tanh outputs per block are kept for the backward pass without remat
    assert hidden not in remat  # with remat only the blocks' inputs and the weights are saved
    assert sum(np.prod(s) for s in remat) < sum(np.prod(s) for s in plain) / 2
