"""kerasj.quantizers behaviour: errors that name the argument, every function under `jax.jit`, serialization
round trips (names, custom classes, JSON), symbolic calls, and the package's floor (no layers imported).
Numerics against Keras 3 are in tests/parity/test_quantizers_parity.py."""
import ast
import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj import quantizers as kq
from kerasj.quantizers.quantization_config import validate_and_resolve_config

X = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
INT4 = jnp.asarray(np.random.default_rng(1).integers(-8, 8, size=(5, 3)), dtype="int8")


# --- errors -------------------------------------------------------------------------------------------------

ERRORS = {
    "int8_value_range": (lambda: kq.AbsMaxQuantizer(value_range=(-200, 3)), ValueError, "value_range"),
    "quantizer_axis": (lambda: kq.AbsMaxQuantizer(axis="rows"), ValueError, "axis"),
    "abs_max_axis": (lambda: kq.abs_max_quantize(X, axis=1.5), ValueError, "axis"),
    "abs_max_range": (lambda: kq.abs_max_quantize(X, 0, value_range=(5, 1)), ValueError, "value_range"),
    "fake_quant_bits": (lambda: kq.fake_quant_with_min_max_vars(X, -1.0, 1.0, num_bits=0), ValueError, "num_bits"),
    "fake_quant_axis": (lambda: kq.fake_quant_with_min_max_vars(X, -1.0, 1.0, axis=2), ValueError, "axis"),
    "qdq_dtype": (lambda: kq.quantize_and_dequantize(X, 1.0, "int8", "float32"), ValueError, "quantized_dtype"),
    "pack_input_dtype": (lambda: kq.pack_int4(X), TypeError, "arr"),
    "pack_dtype": (lambda: kq.pack_int4(INT4, dtype="int4"), ValueError, "dtype"),
    "pack_axis": (lambda: kq.pack_int4(INT4, axis=2), ValueError, "axis"),
    "unpack_input_dtype": (lambda: kq.unpack_int4(X, 4), TypeError, "packed"),
    "unpack_orig_len": (lambda: kq.unpack_int4(INT4, 11), ValueError, "orig_len"),
    "grouped_block": (lambda: kq.abs_max_quantize_grouped_with_zero_point(X, 0), ValueError, "block_size"),
    "grouped_rank": (lambda: kq.abs_max_quantize_grouped_with_zero_point(X[0], 2), ValueError, "inputs"),
    "int8_config_quantizer": (lambda: kq.Int8QuantizationConfig(kq.AbsMaxQuantizer(output_dtype="int16")),
                              ValueError, "weight_quantizer"),
    "int4_block_size": (lambda: kq.Int4QuantizationConfig(block_size=0), ValueError, "block_size"),
    "int4_custom_needs_per_channel": (
        lambda: kq.Int4QuantizationConfig(kq.AbsMaxQuantizer(value_range=(-8, 7)), block_size=64),
        ValueError, "block_size"),
    "int4_value_range": (lambda: kq.Int4QuantizationConfig(kq.AbsMaxQuantizer(), block_size=None),
                         ValueError, "value_range"),
    "gptq_bits": (lambda: kq.GPTQConfig(None, None, weight_bits=5), ValueError, "weight_bits"),
    "gptq_damping": (lambda: kq.GPTQConfig(None, None, hessian_damping=2.0), ValueError, "hessian_damping"),
    "gptq_group": (lambda: kq.GPTQConfig(None, None, group_size=0), ValueError, "group_size"),
    "gptq_samples": (lambda: kq.GPTQConfig(None, None, num_samples=0), ValueError, "num_samples"),
    "awq_bits": (lambda: kq.AWQConfig(None, None, weight_bits=8), ValueError, "weight_bits"),
    "awq_grid": (lambda: kq.AWQConfig(None, None, num_grid_points=0), ValueError, "num_grid_points"),
    "quantizer_config": (lambda: kq.Quantizer().get_config(), NotImplementedError, "get_config"),
    "config_mode": (lambda: kq.QuantizationConfig().mode, NotImplementedError, "mode"),
    "get_unknown": (lambda: kq.get("nope"), ValueError, "Could not interpret quantizer identifier"),
    "get_config_object": (lambda: kq.get(kq.serialize(kq.Float8QuantizationConfig())), ValueError,
                          "Could not interpret"),
    "deserialize_unknown": (lambda: kq.deserialize("nope"), ValueError, "nope"),
    "resolve_mode": (lambda: validate_and_resolve_config("int3", None), ValueError, "mode"),
    "resolve_gptq": (lambda: validate_and_resolve_config("gptq", None), ValueError, "GPTQConfig"),
    "resolve_disagree": (lambda: validate_and_resolve_config("int8", kq.Int4QuantizationConfig()), ValueError,
                         "disagree"),
    "resolve_type": (lambda: validate_and_resolve_config(None, 3), ValueError, "config"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_arguments_fail_with_a_message_naming_them(name):
    fn, error, text = ERRORS[name]
    with pytest.raises(error, match=text):
        fn()


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_resolving_a_mode_gives_its_default_config(mode):
    assert validate_and_resolve_config(mode, None).mode == mode
    assert validate_and_resolve_config(None, mode).mode == mode  # a string config is read as the mode


# --- jax.jit ------------------------------------------------------------------------------------------------

def _equal(a, b):
    for left, right in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        assert left.dtype == right.dtype and left.shape == right.shape
        np.testing.assert_array_equal(np.asarray(left, "float64"), np.asarray(right, "float64"))


JITTED = {
    "abs_max_quantize": lambda x: kq.abs_max_quantize(x, axis=(0,)),
    "abs_max_quantizer": lambda x: kq.AbsMaxQuantizer(axis=-1)(x),
    "grouped": lambda x: kq.abs_max_quantize_grouped_with_zero_point(x, block_size=3),
    "fake_quant": lambda x: kq.fake_quant_with_min_max_vars(x, -1.0, 1.0, num_bits=4, narrow_range=True),
    "float8_scale": lambda x: kq.compute_float8_scale(jnp.max(jnp.abs(x)), jnp.float32(2.0), 448.0, margin=1),
    "amax_history": lambda x: kq.compute_float8_amax_history(x, jnp.arange(4.0)),
    "quantize_and_dequantize": lambda x: kq.quantize_and_dequantize(x, 0.01, "float8_e5m2", "float32"),
    "pack_unpack": lambda x: kq.unpack_int4(kq.pack_int4(kq.abs_max_quantize(x, -1, (-8, 7))[0], axis=1)[0], 6,
                                            axis=1),
}


@pytest.mark.parametrize("name", list(JITTED))
def test_functions_run_under_jit(name):
    fn = JITTED[name]
    _equal(jax.jit(fn)(X), fn(X))


def test_pack_int4_under_jit_returns_static_shape_and_length():
    def packed_sum(arr):
        packed, packed_shape, orig_len = kq.pack_int4(arr)
        assert packed_shape == (3, 3) and orig_len == 5  # Python values even while tracing
        return packed

    _equal(jax.jit(packed_sum)(INT4), kq.pack_int4(INT4)[0])
    np.testing.assert_array_equal(kq.unpack_int4(jax.jit(packed_sum)(INT4), 5), INT4)


def test_fake_quant_gradient_under_jit_is_straight_through():
    x = jnp.array([-2.0, -0.5, 0.25, 3.0])

    def loss(x, lo, hi):
        return jnp.sum(kq.fake_quant_with_min_max_vars(x, lo, hi) * jnp.array([1.0, 2.0, 3.0, 4.0]))

    dx, dlo, dhi = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(x, jnp.float32(-1.0), jnp.float32(1.0))
    # Inside the (nudged) range the gradient passes through; clipped values send theirs to the range ends.
    np.testing.assert_array_equal(dx, [0.0, 2.0, 3.0, 0.0])
    assert float(dlo) == 1.0 and float(dhi) == 4.0


def test_fake_quant_accepts_variables_as_the_range():
    lo, hi = kerasj.Variable(-1.0), kerasj.Variable(1.0)
    _equal(kq.fake_quant_with_min_max_vars(X, lo, hi), kq.fake_quant_with_min_max_vars(X, -1.0, 1.0))


# --- serialization ------------------------------------------------------------------------------------------

OBJECTS = {
    "abs_max": lambda: kq.AbsMaxQuantizer(axis=(0, 1), value_range=(-8, 7), epsilon=1e-3),
    "int8": lambda: kq.Int8QuantizationConfig(kq.AbsMaxQuantizer(axis=0)),
    "int4": lambda: kq.Int4QuantizationConfig(kq.AbsMaxQuantizer(value_range=(-8, 7)), block_size=-1),
    "float8": lambda: kq.Float8QuantizationConfig(),
    "gptq": lambda: kq.GPTQConfig(None, None, weight_bits=8, group_size=32),
    "awq": lambda: kq.AWQConfig(None, None, group_size=-1),
}


@pytest.mark.parametrize("name", list(OBJECTS))
def test_serialize_deserialize_round_trip_through_json(name):
    obj = OBJECTS[name]()
    record = kq.serialize(obj)
    assert record["module"] == "keras.quantizers" and record["class_name"] == type(obj).__name__
    again = kq.deserialize(json.loads(json.dumps(record)))  # JSON turns tuples into lists
    assert type(again) is type(obj)
    assert kq.serialize(again) == record
    # Loading by the generic saving entry point finds the class too (it is registered under keras.quantizers).
    assert type(kerasj.saving.deserialize_keras_object(record)) is type(obj)


def test_names_and_snake_case_names_resolve():
    assert type(kq.deserialize("abs_max_quantizer")) is kq.AbsMaxQuantizer
    assert type(kq.deserialize({"class_name": "int8_quantization_config", "config": {}})) is \
        kq.Int8QuantizationConfig
    quantizer = kq.get("AbsMaxQuantizer", value_range=(-8, 7))
    # Keras 3.15 passes the keyword arguments dict as `axis` here (giving axis=() or ("value_range",)).
    assert quantizer.axis is None and quantizer.value_range == (-8, 7)


def test_get_accepts_none_instances_classes_configs_and_callables():
    quantizer = kq.AbsMaxQuantizer()
    assert kq.get(None) is None
    assert kq.get(quantizer) is quantizer
    assert kq.get(kq.AbsMaxQuantizer, axis=1).axis == (1,)
    assert kq.get(kq.serialize(kq.AbsMaxQuantizer(axis=0))).axis == (0,)
    assert kq.get(jnp.round) is jnp.round


class _Scale(kq.Quantizer):
    def __init__(self, factor=2.0, output_dtype="int8"):
        super().__init__(output_dtype)
        self.factor = factor

    def __call__(self, x):
        return jnp.round(x * self.factor).astype(self.output_dtype), self.factor

    def get_config(self):
        return {"factor": self.factor, "output_dtype": self.output_dtype}


def test_custom_quantizer_round_trips_with_custom_objects_and_inside_a_config():
    config = kq.Int8QuantizationConfig(weight_quantizer=_Scale(3.0), activation_quantizer=None)
    record = kq.serialize(config)
    again = kq.deserialize(record, custom_objects={"_Scale": _Scale})
    assert isinstance(again.weight_quantizer, _Scale) and again.weight_quantizer.factor == 3.0
    assert again.activation_quantizer is None
    assert kq.deserialize(kq.serialize(_Scale(5.0)), custom_objects={"_Scale": _Scale}).factor == 5.0


def test_default_quantizer_helpers():
    default = kq.AbsMaxQuantizer()
    config = kq.Int8QuantizationConfig(activation_quantizer=None)
    assert kq.QuantizationConfig.weight_quantizer_or_default(config, default) is default
    assert kq.QuantizationConfig.weight_quantizer_or_default(None, default) is default
    assert kq.QuantizationConfig.activation_quantizer_or_default(config, default) is None
    assert kq.QuantizationConfig.activation_quantizer_or_default(None, default) is default


# --- symbolic use and the package floor ---------------------------------------------------------------------

def test_fake_quant_in_a_functional_model_keeps_its_arguments():
    inputs = kerasj.Input((6,))
    outputs = kq.fake_quant_with_min_max_vars(inputs, -1.0, 1.0, num_bits=2)
    assert outputs.shape == (None, 6) and outputs.dtype == "float32"
    model = kerasj.Model(inputs, outputs)
    # Keras 3.15's symbolic path drops num_bits (its op always uses 8 bits); kerasj keeps it.
    _equal(model.predict(X, verbose=0), kq.fake_quant_with_min_max_vars(X, -1.0, 1.0, num_bits=2))
    assert len(np.unique(np.asarray(model.predict(X, verbose=0)))) <= 4


def test_quantizers_never_import_layers_models_or_the_trainer():
    banned = ("kerasj.layers", "kerasj.models", "kerasj.trainer", "kerasj.callbacks", "kerasj.datasets")
    found = []
    for path in sorted((pathlib.Path(kq.__file__).parent).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [(path.name, n) for n in names if n.startswith(banned)]
    assert found == []
    assert kerasj.quantizers is kq  # reachable from the top-level package
