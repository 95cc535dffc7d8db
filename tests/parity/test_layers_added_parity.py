"""RMSNormalization, ReversibleEmbedding, GroupQueryAttention, adaptive pooling, SpectralNormalization and
Wrapper in kerasj and Keras 3 (JAX backend): same weights in (set_weights), same outputs and gradients, same
weight names and order, same configs, same signatures."""
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj
from kerasj.variables import pure

RNG = np.random.default_rng(0)


def data(*shape):
    return RNG.normal(size=shape).astype("float32")


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def layout(layer):
    return [(w.path.split("/")[-1], tuple(w.shape), w.trainable) for w in layer.weights]


def pair(name, *args, build=None, **kwargs):
    """The same layer in both libraries, built, with Keras's initial weights copied into ours."""
    theirs, ours = getattr(keras.layers, name)(*args, **kwargs), getattr(kerasj.layers, name)(*args, **kwargs)
    if build is not None:
        theirs.build(*build)
        ours.build(*build)
        assert layout(ours) == layout(theirs)
        ours.set_weights(theirs.get_weights())
    return ours, theirs


def input_grads(ours, theirs, args, **kwargs):
    """Gradients of sum(outputs * probe) with respect to the trainable weights, in both libraries, each
    as one compiled program (cheaper than differentiating op by op)."""
    out = np.asarray(theirs(*args, **kwargs))
    ours(*args, **kwargs)  # a call may update state (SpectralNormalization): keep the two in step
    probe = jnp.asarray(RNG.normal(size=out.shape).astype("float32"))
    non_trainable = [v.value for v in theirs.non_trainable_variables]

    def theirs_loss(trainable, *xs):
        return jnp.sum(theirs.stateless_call(trainable, non_trainable, *xs, **kwargs)[0] * probe)

    run = pure(lambda *xs: ours(*xs, **kwargs), ours.variables)
    trainable = [i for i, v in enumerate(ours.variables) if v.trainable]

    def ours_loss(values, *xs):
        return jnp.sum(run(values, *xs)[1] * probe)

    ref = jax.jit(jax.grad(theirs_loss))([v.value for v in theirs.trainable_variables], *args)
    mine = jax.jit(jax.grad(ours_loss))([v.value for v in ours.variables], *args)
    mine = [mine[i] for i in trainable]
    assert len(mine) == len(ref)
    for a, b in zip(mine, ref):
        close(a, b, 1e-4)


def assert_config_matches(ours, theirs):
    mine, ref = ours.get_config(), theirs.get_config()
    assert mine.keys() == ref.keys()
    for key in ref:
        if key not in ("name", "layer"):
            assert mine[key] == ref[key], key
    assert type(ours).from_config(mine).get_config() == mine


NAMES = ["RMSNormalization", "ReversibleEmbedding", "GroupQueryAttention", "AdaptiveAveragePooling1D",
         "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D",
         "AdaptiveMaxPooling3D", "SpectralNormalization", "Wrapper"]


@pytest.mark.parametrize("name", NAMES)
def test_signatures_match_keras(name):
    ours, theirs = getattr(kerasj.layers, name), getattr(keras.layers, name)
    assert inspect.signature(ours) == inspect.signature(theirs)
    if name != "Wrapper":
        assert inspect.signature(ours.call) == inspect.signature(theirs.call)


# -- RMSNormalization ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,kwargs", [((4, 6), {}), ((2, 3, 4), {"axis": [2, 1], "epsilon": 1e-2})])
def test_rms_normalization_matches_keras(shape, kwargs):
    x = data(*shape)
    ours, theirs = pair("RMSNormalization", build=(shape,), **kwargs)
    theirs.set_weights([RNG.normal(size=w.shape).astype("float32") for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    close(ours(x), theirs(x))
    if not kwargs:
        input_grads(ours, theirs, (x,))
    assert_config_matches(ours, theirs)


def test_rms_normalization_in_half_precision_computes_in_float32():
    x = (data(3, 8) * 100).astype("float16")
    ours, theirs = pair("RMSNormalization", build=((3, 8),), dtype="float16")
    out_ours, out_theirs = ours(x), theirs(x)
    assert out_ours.dtype == out_theirs.dtype == jnp.float16
    close(out_ours.astype("float32"), np.asarray(out_theirs).astype("float32"), 1e-3)


# -- ReversibleEmbedding ------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Gradients do not exist")  # untied: the reverse pass never reads embeddings
@pytest.mark.parametrize("kwargs", [{}, {"tie_weights": False}, {"logit_soft_cap": 0.5},
                                    {"reverse_dtype": "float32", "mask_zero": True}])
def test_reversible_embedding_matches_keras(kwargs):
    ids = np.array([[1, 0, 5], [3, 4, 0]], "int32")
    ours, theirs = pair("ReversibleEmbedding", 7, 4, build=(None,), **kwargs)
    theirs.set_weights([RNG.normal(size=w.shape).astype("float32") for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    close(ours(ids), theirs(ids))
    hidden = data(2, 3, 4)
    close(ours(hidden, reverse=True), theirs(hidden, reverse=True))
    if kwargs.get("tie_weights", True) is False or kwargs.get("logit_soft_cap"):
        input_grads(ours, theirs, (hidden,), reverse=True)
    assert_config_matches(ours, theirs)
    assert ours.compute_output_shape((2, 3, 4), reverse=True) == tuple(theirs.compute_output_shape((2, 3, 4),
                                                                                                   reverse=True))


def test_reversible_embedding_mask_reaches_the_next_layer_as_in_keras():
    ids = np.array([[1, 0, 5]], "int32")

    def model(lib):
        inp = lib.Input((3,), dtype="int32")
        emb = lib.layers.ReversibleEmbedding(7, 4, mask_zero=True, embeddings_initializer="ones")
        return lib.Model(inp, lib.layers.GlobalAveragePooling1D()(emb(inp)))

    close(model(kerasj)(ids), model(keras)(ids))


# -- GroupQueryAttention ------------------------------------------------------------------------------
GQA_CASES = [
    ({"use_bias": False, "use_gate": True}, {"use_causal_mask": True}),
    ({"sliding_window": 2}, {"return_attention_scores": True, "masks": True}),
]


@pytest.mark.parametrize("init,call", GQA_CASES)
def test_group_query_attention_matches_keras(init, call):
    query, value = data(2, 4, 6), data(2, 5, 6)
    ours, theirs = pair("GroupQueryAttention", head_dim=3, num_query_heads=4, num_key_value_heads=2,
                        build=((2, 4, 6), (2, 5, 6)), **init)
    call = dict(call)
    if call.pop("masks", False):
        call["query_mask"] = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
        call["value_mask"] = np.array([[1, 1, 1, 1, 0], [1, 0, 0, 0, 0]], bool)
    out_ours, out_theirs = ours(query, value, **call), theirs(query, value, **call)
    if call.get("return_attention_scores"):
        close(out_ours[1], out_theirs[1])
        out_ours, out_theirs = out_ours[0], out_theirs[0]
    close(out_ours, out_theirs)
    if call.get("use_causal_mask"):
        input_grads(ours, theirs, (query, value), **call)
    assert_config_matches(ours, theirs)


# -- adaptive pooling -----------------------------------------------------------------------------------
POOL_CASES = [
    ("AdaptiveMaxPooling1D", (2, 3, 10), [4], "channels_first"),
    ("AdaptiveAveragePooling2D", (2, 7, 5, 3), (3, 2), "channels_last"),
    ("AdaptiveMaxPooling3D", (1, 2, 4, 6, 3), 2, "channels_first"),
    ("AdaptiveAveragePooling1D", (1, 3, 2), 5, "channels_last"),  # more bins than steps
]


@pytest.mark.parametrize("name,shape,size,data_format", POOL_CASES)
def test_adaptive_pooling_matches_keras(name, shape, size, data_format):
    x = data(*shape)
    ours, theirs = pair(name, size, data_format=data_format)
    out = ours(x)
    close(out, theirs(x))
    assert tuple(out.shape) == tuple(theirs.compute_output_shape(shape)) == ours.compute_output_shape(shape)
    assert_config_matches(ours, theirs)


# -- SpectralNormalization and Wrapper ------------------------------------------------------------------
@pytest.mark.parametrize("inner,shape,iterations", [("Dense", (3, 4), 1), ("Conv2D", (2, 5, 5, 2), 3)])
def test_spectral_normalization_matches_keras_in_training_and_inference(inner, shape, iterations):
    make = {"Dense": lambda lib: lib.layers.Dense(3), "Conv2D": lambda lib: lib.layers.Conv2D(3, 2)}[inner]
    theirs = keras.layers.SpectralNormalization(make(keras), power_iterations=iterations)
    ours = kerasj.layers.SpectralNormalization(make(kerasj), power_iterations=iterations)
    theirs.build(shape)
    ours.build(shape)
    assert layout(ours) == layout(theirs)  # kernel, vector_u, then the wrapped layer's bias
    ours.set_weights(theirs.get_weights())
    x = data(*shape)
    close(ours(x), theirs(x))  # inference: the stored kernel
    close(ours(x, training=True), theirs(x, training=True))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):  # kernel / sigma and the new u were kept
        close(a, b)
    if inner == "Dense":
        input_grads(ours, theirs, (x,), training=True)
    assert_config_matches(ours, theirs)


def test_spectral_normalization_trains_to_unit_spectral_norm():
    ours = kerasj.layers.SpectralNormalization(kerasj.layers.Dense(4), power_iterations=20)
    x = data(5, 6)
    ours.build(x.shape)
    ours.layer.kernel.assign(3.0 * ours.layer.kernel.numpy())
    assert np.linalg.svd(ours.layer.kernel.numpy(), compute_uv=False)[0] > 2.0
    ours(x, training=True)
    close(np.linalg.svd(ours.layer.kernel.numpy(), compute_uv=False)[0], 1.0, 2e-2)
    before = ours.layer.kernel.numpy()
    ours(x)  # inference leaves the kernel alone
    np.testing.assert_array_equal(ours.layer.kernel.numpy(), before)


def test_wrapper_config_matches_keras():
    ours, theirs = kerasj.layers.Wrapper(kerasj.layers.Dense(2)), keras.layers.Wrapper(keras.layers.Dense(2))
    ours.build((None, 3))
    theirs.build((None, 3))
    assert layout(ours) == layout(theirs)
    assert ours.get_config().keys() == theirs.get_config().keys()
    assert ours.get_config()["layer"]["config"]["units"] == theirs.get_config()["layer"]["config"]["units"]
