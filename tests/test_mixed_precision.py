"""Dtype policies and mixed precision: policy objects, names, errors and configs as Keras 3 has them; the global
policy applies to layers created after it is set; layers keep float32 weights and read them in their compute
dtype inside `call` only; compile wraps the optimizer for loss scaling under "mixed_float16"; and .keras files
with mixed-precision models load in the other library with the same policies and predictions."""
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj
from kerasj import dtype_policies
from kerasj.dtype_policies import dtype_policy as policy_state
from kerasj.variables import AutocastScope

NAMES = ["float32", "float16", "bfloat16", "float64", "int32", "mixed_float16", "mixed_bfloat16"]
QUANTIZED = ["int8_from_float32", "int8_from_mixed_bfloat16", "float8_from_mixed_float16", "int4_from_float32",
             "int4/128_from_float32", "gptq/4/128_from_float32", "awq/4/-1_from_mixed_bfloat16"]


@pytest.fixture(autouse=True)
def restore_global_policy():
    """Tests share a process: whatever a test sets globally, it is undone (also in Keras)."""
    ours, theirs = policy_state._GLOBAL_POLICY[0], keras.config.dtype_policy()
    yield
    policy_state._GLOBAL_POLICY[0] = ours
    keras.config.set_dtype_policy(theirs)


@pytest.mark.parametrize("name", NAMES + QUANTIZED)
def test_policies_from_names_match_keras(name):
    ours, theirs = dtype_policies.get(name), keras.dtype_policies.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert (ours.name, ours.compute_dtype, ours.variable_dtype, ours.quantization_mode) == \
        (theirs.name, theirs.compute_dtype, theirs.variable_dtype, theirs.quantization_mode)
    assert repr(ours) == repr(theirs)
    record = dtype_policies.serialize(ours)
    assert record == keras.dtype_policies.serialize(theirs)
    assert dtype_policies.deserialize(record) == ours
    assert keras.dtype_policies.deserialize(record) == theirs


@pytest.mark.parametrize("name", ["foo", "mixed_int8", 3, "int8_from", "int9_from_float32", "int8_from_float16",
                                  "gptq/5/128_from_float32", "int4/0_from_float32"])
def test_bad_policy_names_fail_like_keras(name):
    with pytest.raises((ValueError, TypeError)) as theirs:
        keras.dtype_policies.get(name)
    with pytest.raises(type(theirs.value)):
        dtype_policies.get(name)


def test_get_accepts_what_keras_accepts():
    assert dtype_policies.get(None) == kerasj.config.dtype_policy()
    policy = dtype_policies.DTypePolicy("mixed_float16")
    assert dtype_policies.get(policy) is policy
    assert dtype_policies.get(jnp.float16).name == keras.dtype_policies.get(np.float16).name == "float16"
    assert dtype_policies.get({"class_name": "FloatDTypePolicy", "config": {"name": "bfloat16"}}) == \
        dtype_policies.DTypePolicy("bfloat16")
    assert dtype_policies.FloatDTypePolicy("float32") == dtype_policies.DTypePolicy("float32")
    assert dtype_policies.DTypePolicy("float32") != dtype_policies.QuantizedDTypePolicy("int8", "float32")
    assert kerasj.DTypePolicy is dtype_policies.DTypePolicy and kerasj.FloatDTypePolicy is \
        dtype_policies.FloatDTypePolicy
    assert kerasj.mixed_precision.Policy is kerasj.mixed_precision.DTypePolicy is dtype_policies.DTypePolicy


@pytest.mark.parametrize("name", ["get", "serialize", "deserialize", "DTypePolicy", "FloatDTypePolicy",
                                  "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy", "Int4DTypePolicy",
                                  "GPTQDTypePolicy", "AWQDTypePolicy", "DTypePolicyMap"])
def test_signatures_match_keras(name):
    assert inspect.signature(getattr(dtype_policies, name)) == inspect.signature(getattr(keras.dtype_policies, name))


def test_mixed_precision_namespace_matches_keras():
    public = sorted(n for n in dir(keras.mixed_precision) if not n.startswith("_"))
    for name in public:
        assert inspect.signature(getattr(kerasj.mixed_precision, name)) == \
            inspect.signature(getattr(keras.mixed_precision, name)), name


def test_policy_map_lookup_and_config_match_keras():
    ours = dtype_policies.DTypePolicyMap(default_policy="mixed_bfloat16")
    theirs = keras.dtype_policies.DTypePolicyMap(default_policy="mixed_bfloat16")
    for m in (ours, theirs):
        m["encoder/dense"] = "int8_from_float32"
        m["encoder/.*"] = "float16"
        m["decoder"] = "bfloat16"
    for key in ("encoder/dense", "encoder/attention", "decoder", "decoder/x"):
        assert ours[key].name == theirs[key].name, key
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (theirs.name, theirs.compute_dtype,
                                                                     theirs.variable_dtype)
    assert dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    again = dtype_policies.deserialize(dtype_policies.serialize(ours))
    assert [(k, again[k].name) for k in again] == [(k, ours[k].name) for k in ours]
    with pytest.raises(ValueError, match="already exist"):
        ours["decoder"] = "float32"
    ours["encoder/attention/.*"] = "bfloat16"
    with pytest.raises(ValueError, match="matches multiple"):
        ours["encoder/attention/query"]


def test_policy_map_without_default_saves_entries_without_source_names_like_keras():
    ours, theirs = dtype_policies.DTypePolicyMap(), keras.dtype_policies.DTypePolicyMap()
    for m in (ours, theirs):
        m["dense"] = "int8_from_mixed_bfloat16"
    assert dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert ours["dense"].name == "int8_from_mixed_bfloat16"  # serializing changed nothing


def test_global_policy_applies_to_layers_created_afterwards_only():
    before = kerasj.layers.Dense(2)
    kerasj.mixed_precision.set_global_policy("mixed_bfloat16")
    assert kerasj.mixed_precision.global_policy() == kerasj.config.dtype_policy() == \
        dtype_policies.DTypePolicy("mixed_bfloat16")
    after, explicit = kerasj.layers.Dense(2), kerasj.layers.Dense(2, dtype="float32")
    assert before.dtype_policy.name == "float32" and explicit.dtype_policy.name == "float32"
    assert (after.dtype_policy.name, after.compute_dtype, after.variable_dtype, after.dtype) == \
        ("mixed_bfloat16", "bfloat16", "float32", "float32")
    kerasj.config.set_dtype_policy(dtype_policies.DTypePolicy("float16"))
    assert kerasj.layers.Dense(2).compute_dtype == "float16"
    with pytest.raises(ValueError, match="Invalid `policy`"):
        kerasj.config.set_dtype_policy(3)


def test_dtype_policy_property_is_the_policy_object_and_can_be_set():
    layer = kerasj.layers.Dense(2, dtype="mixed_float16")
    assert isinstance(layer.dtype_policy, dtype_policies.DTypePolicy)
    assert layer.dtype_policy == dtype_policies.DTypePolicy("mixed_float16")
    assert layer.get_config()["dtype"] == keras.layers.Dense(2, dtype="mixed_float16").get_config()["dtype"]
    layer.dtype_policy = "bfloat16"
    assert (layer.compute_dtype, layer.variable_dtype) == ("bfloat16", "bfloat16")
    mapped = kerasj.layers.Dense(2, dtype=dtype_policies.DTypePolicyMap("mixed_bfloat16"))
    assert (mapped.compute_dtype, mapped.variable_dtype) == ("bfloat16", "float32")
    rebuilt = kerasj.layers.Dense.from_config(kerasj.layers.Dense(2, dtype="mixed_bfloat16").get_config())
    assert rebuilt.dtype_policy.name == "mixed_bfloat16"


class _Probe(kerasj.layers.Layer):
    """Records the dtypes its weights read as inside call."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.kept = self.add_weight(shape=(input_shape[-1],), initializer="ones", autocast=False, name="kept")
        self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", name="count")

    def call(self, x):
        self.seen = (self.w.value.dtype, self.kept.value.dtype, self.count.value.dtype)
        return x * self.w + jnp.sum(self.kept).astype(x.dtype)


def test_float_weights_are_float32_and_read_in_the_compute_dtype_inside_call_only():
    probe = _Probe(dtype="mixed_bfloat16")
    out = probe(np.ones((2, 3), "float32"))
    assert out.dtype == jnp.bfloat16
    assert probe.seen == (jnp.bfloat16, jnp.float32, jnp.int32)  # autocast=False and integers are left alone
    assert [w.dtype for w in probe.weights] == ["float32", "float32", "int32"]
    assert probe.w.value.dtype == jnp.float32  # outside call: as stored
    jax.jit(lambda x: probe(x))(np.ones((2, 3), "float32"))
    assert probe.seen[0] == jnp.bfloat16  # traced calls too
    symbolic = probe(kerasj.Input((3,)))
    assert symbolic.dtype == "bfloat16" and probe.seen[0] == jnp.bfloat16


def test_nested_layers_autocast_to_their_own_compute_dtype():
    class Outer(kerasj.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = _Probe(dtype="float32")
            self.half = _Probe()  # created under the global mixed policy

        def call(self, x):
            return self.half(self.inner(x))

    kerasj.config.set_dtype_policy("mixed_float16")
    outer = Outer()
    kerasj.config.set_dtype_policy("float32")
    assert outer(np.ones((1, 2), "float32")).dtype == jnp.float16
    assert outer.inner.seen[0] == jnp.float32 and outer.half.seen[0] == jnp.float16


def test_autocast_scope_takes_float_dtypes_only():
    v = kerasj.Variable(np.ones(2, "float32"))
    with AutocastScope("float16"):
        assert v.value.dtype == jnp.float16
        with AutocastScope(None):
            assert v.value.dtype == jnp.float32
    assert v.value.dtype == jnp.float32
    with pytest.raises(ValueError, match="floating-point"):
        AutocastScope("int32")


def test_variable_dtype_reports_the_autocast_dtype_inside_the_scope_as_keras():
    v, i, kept = kerasj.Variable(1.0), kerasj.Variable(1, dtype="int32"), kerasj.Variable(1.0, autocast=False)
    with AutocastScope("float16"):
        assert (v.dtype, i.dtype, kept.dtype) == ("float16", "int32", "float32")
    assert v.dtype == "float32"


@pytest.mark.parametrize("policy, wrapped", [("mixed_float16", True), ("mixed_bfloat16", False), ("float32", False)])
def test_compile_wraps_the_optimizer_for_loss_scaling_under_mixed_float16_only(policy, wrapped):
    kerasj.config.set_dtype_policy(policy)
    model = kerasj.Sequential([kerasj.Input((2,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, kerasj.mixed_precision.LossScaleOptimizer) is wrapped
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert isinstance(model.optimizer, kerasj.optimizers.SGD)
    model.compile(optimizer=kerasj.mixed_precision.LossScaleOptimizer(kerasj.optimizers.SGD()), loss="mse")
    assert isinstance(model.optimizer.inner_optimizer, kerasj.optimizers.SGD)  # never wrapped twice


def test_compile_config_names_the_unwrapped_optimizer_and_loading_wraps_it_again(tmp_path):
    import keras  # the oracle: Keras saves the optimizer as given, not its LossScaleOptimizer wrapper
    keras.config.set_dtype_policy("mixed_float16")
    try:
        theirs = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        theirs.compile(optimizer="sgd", loss="mse")
        expected = theirs.get_compile_config()["optimizer"]["class_name"]
    finally:
        keras.config.set_dtype_policy("float32")
    kerasj.config.set_dtype_policy("mixed_float16")
    model = kerasj.Sequential([kerasj.Input((2,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.get_compile_config()["optimizer"]["class_name"] == expected == "SGD"
    model.save(tmp_path / "m.keras")
    loaded = kerasj.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, kerasj.mixed_precision.LossScaleOptimizer)
    assert isinstance(loaded.optimizer.inner_optimizer, kerasj.optimizers.SGD)


def _mixed_model(lib):
    lib.config.set_dtype_policy("mixed_bfloat16")
    inputs = lib.Input((4,))
    x = lib.layers.Dense(3, activation="relu", name="hidden")(inputs)
    x = lib.layers.LayerNormalization(name="norm")(x)
    outputs = lib.layers.Dense(2, dtype="float32", name="head")(x)
    model = lib.Model(inputs, outputs)
    lib.config.set_dtype_policy("float32")
    return model


@pytest.mark.parametrize("direction", ["keras_to_kerasj", "kerasj_to_keras"])
def test_keras_files_with_mixed_policies_load_in_the_other_library(direction, tmp_path):
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    source_lib, target = (keras, kerasj.saving) if direction == "keras_to_kerasj" else (kerasj, keras.saving)
    source = _mixed_model(source_lib)
    source.set_weights([np.random.default_rng(1).normal(size=w.shape).astype("float32") for w in source.weights])
    source.save(tmp_path / "mixed.keras")
    loaded = target.load_model(tmp_path / "mixed.keras")
    # (an InputLayer's config has no policy in either library: it takes the global one where it is loaded)
    assert [layer.dtype_policy.name for layer in loaded.layers[1:]] == \
        [layer.dtype_policy.name for layer in source.layers[1:]] == ["mixed_bfloat16", "mixed_bfloat16", "float32"]
    assert [w.dtype for w in loaded.weights] == ["float32"] * len(source.weights)
    assert loaded.layers[1].compute_dtype == "bfloat16"
    expected = np.asarray(source.predict(x, verbose=0))
    got = np.asarray(loaded.predict(x, verbose=0))
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=2e-2, atol=2e-2)
