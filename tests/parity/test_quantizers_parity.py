"""kerasj.quantizers against Keras 3 (JAX backend) on the same random inputs: integer results equal exactly,
scales to float32 tolerance, fake-quant gradients equal, and configs serialize to the same dicts and load
across the two libraries."""
import sys

import jax
import jax.numpy as jnp
import keras
import keras.src.quantizers.quantizers as keras_internal
import keras.src.utils.module_utils as keras_module_utils
import numpy as np
import pytest

from kerasj import quantizers as kq
from kerasj.quantizers.grouped import compute_quantization_parameters

RTOL = 1e-6


@pytest.fixture(scope="module", autouse=True)
def _keras_serializes_without_importing_tensorflow():
    """Keras's serialize_keras_object imports TensorFlow on first use (to recognise tf types, which these
    tests never pass): seconds per worker process. Tell it TensorFlow is absent while this module runs."""
    lazy_tf = keras_module_utils.tensorflow
    if "tensorflow" in sys.modules or lazy_tf._available is not None:
        yield
        return
    lazy_tf._available = False
    try:
        yield
    finally:
        lazy_tf._available = None


def _keras_jit(fn, *arrays, **static):
    """Keras's `fn` compiled as one program (as it runs inside a Keras model's jitted step): eager, each of
    its small ops would compile separately, which is most of these tests' time."""
    return jax.jit(lambda *a: fn(*a, **static))(*arrays)


def _random(shape, seed, scale=1.0, dtype="float32"):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(dtype)


def _same_ints(ours, theirs):
    assert np.asarray(ours).dtype == np.asarray(theirs).dtype
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def _close(ours, theirs, rtol=RTOL):
    assert np.asarray(ours).dtype == np.asarray(theirs).dtype
    np.testing.assert_allclose(np.asarray(ours, "float64"), np.asarray(theirs, "float64"), rtol=rtol, atol=0)


# --- abs-max quantization --------------------------------------------------------------------------------

# One input shape throughout: eager ops compile once per shape, which dominates these tests' time.
SHAPE = (3, 4, 2)
ABS_MAX_CASES = [(-1, (-127, 127), "int8", False), ((0, 2), (-127, 127), "int8", False),
                 ([1], (0, 255), "uint8", False), ((0, 1, 2), (-127, 127), "int32", False),
                 (-1, (-127, 127), "int8", True), (0, (-127, 127), "int8", True), ((0, 2), (-127, 127), "int8", True),
                 (1, (-8, 7), "int8", True), ([1], (0, 255), "uint8", True)]


@pytest.mark.parametrize("axis,value_range,dtype,to_numpy", ABS_MAX_CASES)
def test_abs_max_quantize(axis, value_range, dtype, to_numpy):
    x = _random(SHAPE, 1, scale=3.0)
    ours = kq.abs_max_quantize(x, axis, value_range, dtype, to_numpy=to_numpy)
    kwargs = dict(axis=axis, value_range=value_range, dtype=dtype)
    theirs = (keras.quantizers.abs_max_quantize(x, **kwargs, to_numpy=True) if to_numpy
              else _keras_jit(keras.quantizers.abs_max_quantize, x, **kwargs))
    _same_ints(ours[0], theirs[0])
    _close(ours[1], theirs[1])


@pytest.mark.parametrize("dtype", ["bfloat16"])
def test_abs_max_quantize_low_precision_inputs(dtype):
    x = jnp.asarray(_random(SHAPE, 2, scale=2.0), dtype=dtype)
    ours, theirs = kq.abs_max_quantize(x, -1), _keras_jit(keras.quantizers.abs_max_quantize, x, axis=-1)
    _same_ints(ours[0], theirs[0])
    _close(ours[1], theirs[1])


def test_abs_max_quantize_all_zeros_and_epsilon():
    x = np.zeros(SHAPE, "float32")
    for epsilon in (1e-7, 0.5):
        ours = kq.abs_max_quantize(x, -1, epsilon=epsilon)
        theirs = _keras_jit(keras.quantizers.abs_max_quantize, x, axis=-1, epsilon=epsilon)
        _same_ints(ours[0], theirs[0])
        _close(ours[1], theirs[1])
    assert np.all(np.isfinite(ours[1]))


@pytest.mark.parametrize("ctor_axis,call_axis", [(None, None), ((0, 1), None), (0, -1)])
def test_abs_max_quantizer_call_and_config(ctor_axis, call_axis):
    x = _random(SHAPE, 3)
    ours = kq.AbsMaxQuantizer(axis=ctor_axis, value_range=(-100, 100), epsilon=1e-5)
    theirs = keras.quantizers.AbsMaxQuantizer(axis=ctor_axis, value_range=(-100, 100), epsilon=1e-5)
    q_ours, s_ours = ours(x, axis=call_axis)
    q_theirs, s_theirs = _keras_jit(theirs, x, axis=call_axis)
    _same_ints(q_ours, q_theirs)
    _close(s_ours, s_theirs)
    assert ours.get_config() == theirs.get_config()
    assert kq.serialize(ours) == keras.quantizers.serialize(theirs)


@pytest.mark.parametrize("shape,block_size,value_range,to_numpy", [
    ((6, 3), 4, (-8, 7), False), ((6, 3), 8, (-8, 7), False),
    ((8, 3), 4, (-8, 7), True), ((6, 3), 4, (-8, 7), True), ((6, 3), 8, (-8, 7), True),
    ((6, 3), 4, (-128, 127), True)])
def test_abs_max_quantize_grouped_with_zero_point(shape, block_size, value_range, to_numpy):
    x = _random(shape, 5, scale=2.0) + 0.5  # off-centre, so zero points differ from the midpoint
    x[:, 0] = 0.25  # a constant column: the tensor path widens its zero range
    ours = kq.abs_max_quantize_grouped_with_zero_point(x, block_size, value_range, to_numpy=to_numpy)
    kwargs = dict(block_size=block_size, value_range=value_range)
    theirs = (keras.quantizers.abs_max_quantize_grouped_with_zero_point(x, **kwargs, to_numpy=True) if to_numpy
              else _keras_jit(keras.quantizers.abs_max_quantize_grouped_with_zero_point, x, **kwargs))
    _same_ints(ours[0], theirs[0])
    _close(ours[1], theirs[1])
    _same_ints(ours[2], theirs[2])


@pytest.mark.parametrize("symmetric,signed,per_channel,group_size", [
    (False, False, True, 3), (True, True, True, 3), (False, True, False, -1), (True, False, True, -1)])
def test_compute_quantization_parameters(symmetric, signed, per_channel, group_size):
    x = _random((4, 7), 6) + 0.3
    x[1] = 0.0  # a constant row
    kwargs = dict(bits=4, symmetric=symmetric, per_channel=per_channel, group_size=group_size, signed=signed)
    ours = compute_quantization_parameters(x, **kwargs, epsilon=1e-6)
    theirs = _keras_jit(keras_internal.compute_quantization_parameters, x, **kwargs, epsilon=1e-6)
    _close(ours[0], theirs[0])
    _same_ints(ours[1], theirs[1])
    _close(ours[2], theirs[2])


# --- fake quantization ------------------------------------------------------------------------------------

def _fake_quant_case(case):
    rng = np.random.default_rng(7)
    x = (rng.normal(size=(4, 5)) * 1.5).astype("float32")  # per channel: 4 rows (axis 0), 5 columns (-1)
    if case == "per_tensor":
        min_vals, max_vals, axis = np.float32(-1.0), np.float32(1.0), None
        x[0, :2] = (-1.0, 1.0)  # exactly at the range ends
    elif case == "zero_crossing_nudge":
        min_vals, max_vals, axis = np.float32(-0.3), np.float32(2.7), None
    elif case == "per_channel_last":
        min_vals = rng.uniform(-2.0, -0.1, size=5).astype("float32")
        max_vals = rng.uniform(0.1, 2.0, size=5).astype("float32")
        axis = -1
    else:  # per channel along axis 0, ranges shaped to broadcast
        min_vals = rng.uniform(-2.0, -0.1, size=(4, 1)).astype("float32")
        max_vals = rng.uniform(0.1, 2.0, size=(4, 1)).astype("float32")
        axis = 0
    return x, min_vals, max_vals, axis


@pytest.mark.parametrize("case,num_bits,narrow_range", [
    ("per_tensor", 8, False), ("zero_crossing_nudge", 3, True), ("per_channel_last", 3, True),
    ("per_channel_first", 8, True)])
def test_fake_quant_with_min_max_vars_outputs_and_gradients(case, num_bits, narrow_range):
    x, min_vals, max_vals, axis = _fake_quant_case(case)
    weights = jnp.asarray(_random(x.shape, 8))
    kwargs = dict(num_bits=num_bits, narrow_range=narrow_range, axis=axis)

    def output_and_grads(fn):
        # One program per library: the output, and the gradients of sum(output * weights).
        def run(*args):
            out, vjp = jax.vjp(lambda a, lo, hi: fn(a, lo, hi, **kwargs), *args)
            return out, vjp(weights)
        return jax.jit(run)

    args = tuple(jnp.asarray(v) for v in (x, min_vals, max_vals))
    out_ours, ours = output_and_grads(kq.fake_quant_with_min_max_vars)(*args)
    out_theirs, theirs = output_and_grads(keras.quantizers.fake_quant_with_min_max_vars)(*args)
    _close(out_ours, out_theirs)
    for g_ours, g_theirs in zip(ours, theirs):
        assert g_ours.shape == g_theirs.shape
        np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-6, atol=1e-6)
    assert np.any(np.asarray(ours[1]) != 0) or np.any(np.asarray(ours[2]) != 0)  # some values were clipped


def test_fake_quant_python_scalar_range():
    x = _random((4, 5), 9)
    _close(kq.fake_quant_with_min_max_vars(x, -0.5, 0.5, num_bits=3),
           jax.jit(lambda a: keras.quantizers.fake_quant_with_min_max_vars(a, -0.5, 0.5, num_bits=3))(x))


# --- float8 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("margin", [0, 2])
def test_compute_float8_scale(margin):
    amax = jnp.array([3.0, 0.0, np.inf, np.nan, 1e-3, 500.0], "float32")
    scale = jnp.array([0.5, 2.0, 4.0, 0.25, 1.0, 1.0], "float32")
    _close(kq.compute_float8_scale(amax, scale, 448.0, margin),
           _keras_jit(keras.quantizers.compute_float8_scale, amax, scale, dtype_max=448.0, margin=margin))


@pytest.mark.parametrize("history_dtype", ["float32", "bfloat16"])
def test_compute_float8_amax_history(history_dtype):
    history = jnp.asarray(np.arange(1.0, 6.0), dtype=history_dtype)
    x = _random((4, 5), 10, scale=5.0)
    _close(kq.compute_float8_amax_history(x, history),
           _keras_jit(keras.quantizers.compute_float8_amax_history, x, history))


@pytest.mark.parametrize("quantized_dtype,compute_dtype", [("float8_e4m3fn", "float32"), ("float8_e5m2", "float32"),
                                                           ("float8_e4m3fn", "bfloat16")])
def test_quantize_and_dequantize(quantized_dtype, compute_dtype):
    x = jnp.asarray(_random((4, 5), 11, scale=300.0), dtype=compute_dtype)  # some values saturate
    scale = jnp.asarray(0.7, dtype="float32")
    _close(kq.quantize_and_dequantize(x, scale, quantized_dtype, compute_dtype),
           _keras_jit(keras.quantizers.quantize_and_dequantize, x, scale, quantized_dtype=quantized_dtype,
                      compute_dtype=compute_dtype))


# --- int4 packing -------------------------------------------------------------------------------------------

PACK_CASES = [((3, 2), 0, "int8"), ((3, 2), 1, "int8"), ((5,), 0, "int8"), ((2, 3, 5), 1, "int8"),
              ((4, 3), 0, "uint8")]


@pytest.mark.parametrize("shape,axis,dtype", PACK_CASES)
def test_pack_and_unpack_int4(shape, axis, dtype):
    rng = np.random.default_rng(12)
    low, high = (-8, 8) if dtype == "int8" else (0, 16)
    arr = jnp.asarray(rng.integers(low, high, size=shape), dtype=dtype)
    ours = kq.pack_int4(arr, axis=axis, dtype=dtype)
    theirs = keras.quantizers.pack_int4(arr, axis=axis, dtype=dtype)
    _same_ints(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]
    # Each library unpacks the other's bytes to the original values.
    _same_ints(kq.unpack_int4(theirs[0], theirs[2], axis=axis, dtype=dtype), arr)
    _same_ints(_keras_jit(keras.quantizers.unpack_int4, ours[0], orig_len=ours[2], axis=axis, dtype=dtype), arr)


def test_unpack_int4_to_uint8_from_int8_bytes():
    packed = jnp.asarray(np.random.default_rng(13).integers(-128, 128, size=(3, 4)), dtype="int8")
    _same_ints(kq.unpack_int4(packed, 6, axis=0, dtype="uint8"),
               _keras_jit(keras.quantizers.unpack_int4, packed, orig_len=6, axis=0, dtype="uint8"))
    _same_ints(kq.unpack_int4(packed, 7, axis=1), _keras_jit(keras.quantizers.unpack_int4, packed, orig_len=7, axis=1))


# --- configs ------------------------------------------------------------------------------------------------

def _config_pairs():
    return {
        "abs_max": (lambda m: m.AbsMaxQuantizer(axis=(0, 1), value_range=(-8, 7), epsilon=1e-3)),
        "int8_default": (lambda m: m.Int8QuantizationConfig()),
        "int8_weight_only": (lambda m: m.Int8QuantizationConfig(weight_quantizer=m.AbsMaxQuantizer(axis=0),
                                                                activation_quantizer=None)),
        "int4_default": (lambda m: m.Int4QuantizationConfig()),
        "int4_per_channel": (lambda m: m.Int4QuantizationConfig(
            weight_quantizer=m.AbsMaxQuantizer(value_range=(-8, 7)), block_size=None)),
        "int4_block": (lambda m: m.Int4QuantizationConfig(block_size=32)),
        "float8": (lambda m: m.Float8QuantizationConfig()),
        "base": (lambda m: m.QuantizationConfig()),
        "gptq": (lambda m: m.GPTQConfig(None, None, weight_bits=3, group_size=-1, symmetric=True,
                                        activation_order=True, hessian_damping=0.1)),
        "awq": (lambda m: m.AWQConfig(None, None, num_samples=16, sequence_length=64, group_size=64,
                                      num_grid_points=5)),
    }


@pytest.mark.parametrize("name", list(_config_pairs()))
def test_config_serializes_as_keras_and_loads_both_ways(name):
    make = _config_pairs()[name]
    ours, theirs = make(kq), make(keras.quantizers)
    assert kq.serialize(ours) == keras.quantizers.serialize(theirs)
    # Keras's record loads in kerasj, and kerasj's in Keras, to the same config.
    from_keras = kq.deserialize(keras.quantizers.serialize(theirs))
    assert type(from_keras) is type(ours) and from_keras.get_config() == theirs.get_config()
    if name != "gptq":  # Keras 3.15's deserialize returns the string "GPTQConfig" for a GPTQConfig record
        back = keras.quantizers.deserialize(kq.serialize(ours))
        assert back.get_config() == ours.get_config()
    if name not in ("abs_max", "base"):
        assert ours.mode == theirs.mode
    if hasattr(theirs, "dtype_policy_string"):
        assert ours.dtype_policy_string() == theirs.dtype_policy_string()


def test_int4_config_without_block_size_loads_per_channel_as_keras():
    config = {"weight_quantizer": None, "activation_quantizer": None}
    assert (kq.Int4QuantizationConfig.from_config(config).block_size
            == keras.quantizers.Int4QuantizationConfig.from_config(config).block_size)


@pytest.mark.parametrize("name", ["AbsMaxQuantizer", "abs_max_quantizer"])
def test_deserialize_by_name_gives_a_default_quantizer_as_keras(name):
    ours, theirs = kq.deserialize(name), keras.quantizers.deserialize(name)
    assert type(ours).__name__ == type(theirs).__name__ and ours.get_config() == theirs.get_config()
