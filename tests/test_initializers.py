"""kerasj.initializers: shapes, dtypes, exact values, distribution statistics against the math, seeding,
lookup and serialization. The last section compares fans, statistics and configs with Keras 3 (random
streams differ between the two, so values are never compared for random initializers)."""
import math
import os

import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import initializers as I
from kerasj import random as kr
from kerasj.utils import set_random_seed
from kerasj.variables import Variable

TRUNC = 0.87962566103423978  # stddev of a unit normal truncated to [-2, 2]
BIG = (200, 300)             # 60,000 samples: variance estimates to well under 2%

RANDOM_CLASSES = [I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.VarianceScaling, I.GlorotUniform,
                  I.GlorotNormal, I.HeNormal, I.HeUniform, I.LecunNormal, I.LecunUniform, I.Orthogonal]
ALL_INSTANCES = [I.Zeros(), I.Ones(), I.Constant(2.5), I.Identity(gain=3.0)] + [c(seed=1) for c in RANDOM_CLASSES]


def _np(x):
    return np.asarray(x, dtype=np.float64)


# -- shapes and dtypes ------------------------------------------------------------------------------

@pytest.mark.parametrize("init", ALL_INSTANCES, ids=lambda i: type(i).__name__)
@pytest.mark.parametrize("dtype", [None, "float16", "bfloat16"])
def test_shape_and_dtype(init, dtype):
    out = init((5, 4), dtype=dtype)
    assert out.shape == (5, 4)
    assert out.dtype == jnp.dtype(dtype or "float32")
    assert np.all(np.isfinite(np.asarray(out, dtype=np.float32)))


@pytest.mark.parametrize("shape", [(), (7,), (3, 3, 2, 4)])
def test_shapes_of_other_ranks(shape):
    for init in [I.Zeros(), I.Ones(), I.RandomNormal(seed=0), I.GlorotUniform(seed=0), I.HeNormal(seed=0)]:
        assert init(shape).shape == shape


def test_initializer_as_variable_initializer():
    v = Variable(I.GlorotUniform(seed=3), shape=(4, 6), name="kernel")
    assert v.shape == (4, 6) and v.dtype == "float32"
    np.testing.assert_array_equal(v.numpy(), np.asarray(I.GlorotUniform(seed=3)((4, 6))))


# -- deterministic initializers ---------------------------------------------------------------------

def test_constant_zeros_ones_exact():
    np.testing.assert_array_equal(I.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(I.Ones()((2, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(I.Constant(-1.5)((3,)), [-1.5, -1.5, -1.5])
    assert I.Zeros()((2,), dtype="int32").dtype == jnp.int32
    np.testing.assert_array_equal(I.Constant(7)((2,), dtype="int32"), [7, 7])


def test_constant_broadcasts_array_values():
    np.testing.assert_array_equal(I.Constant([1.0, 2.0])((3, 2)), [[1, 2], [1, 2], [1, 2]])
    with pytest.raises(ValueError, match="Constant.*broadcast"):
        I.Constant([1.0, 2.0, 3.0])((2, 2))


def test_identity_exact_and_rank_check():
    np.testing.assert_array_equal(I.Identity()((3, 3)), np.eye(3))
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 3)), 2.0 * np.eye(2, 3))
    np.testing.assert_array_equal(I.Identity(gain=0.5)((4, 2)), 0.5 * np.eye(4, 2))
    with pytest.raises(ValueError, match="Identity.*2D.*\\(2, 3, 4\\)"):
        I.Identity()((2, 3, 4))


# -- statistics of random initializers --------------------------------------------------------------

def test_random_normal_moments():
    x = _np(I.RandomNormal(mean=1.0, stddev=0.5, seed=0)(BIG))
    assert abs(x.mean() - 1.0) < 0.01
    assert x.std() == pytest.approx(0.5, rel=0.02)


def test_random_uniform_bounds_and_moments():
    x = _np(I.RandomUniform(minval=-2.0, maxval=1.0, seed=0)(BIG))
    assert x.min() >= -2.0 and x.max() < 1.0
    assert x.min() < -1.99 and x.max() > 0.99
    assert abs(x.mean() + 0.5) < 0.02
    assert x.var() == pytest.approx(9.0 / 12.0, rel=0.02)


def test_truncated_normal_is_cut_at_two_stddevs():
    x = _np(I.TruncatedNormal(mean=1.0, stddev=0.5, seed=0)(BIG))
    assert x.min() >= 0.0 and x.max() <= 2.0
    assert abs(x.mean() - 1.0) < 0.01
    # Truncation at ±2σ shrinks the standard deviation by the factor TRUNC.
    assert x.std() == pytest.approx(0.5 * TRUNC, rel=0.02)


@pytest.mark.parametrize("cls, scale, fan", [
    (I.GlorotUniform, 1.0, "avg"), (I.HeUniform, 2.0, "in"), (I.LecunUniform, 1.0, "in")])
@pytest.mark.parametrize("shape, fan_in, fan_out", [((200, 300), 200, 300), ((3, 3, 16, 32), 144, 288)])
def test_uniform_variants_limit_is_sqrt_3_scale_over_fan(cls, scale, fan, shape, fan_in, fan_out):
    n = {"in": fan_in, "avg": (fan_in + fan_out) / 2}[fan]
    limit = math.sqrt(3.0 * scale / n)     # GlorotUniform: sqrt(6 / (fan_in + fan_out))
    x = _np(cls(seed=0)(shape))
    assert np.abs(x).max() <= limit * (1 + 1e-6)
    assert np.abs(x).max() > 0.98 * limit  # thousands of samples reach close to the bound
    assert x.var() == pytest.approx(scale / n, rel=0.05)


def test_glorot_uniform_bound_formula():
    x = _np(I.GlorotUniform(seed=5)((50, 70)))
    limit = math.sqrt(6.0 / (50 + 70))
    assert limit * 0.98 < np.abs(x).max() <= limit * (1 + 1e-6)


@pytest.mark.parametrize("cls, scale, fan", [
    (I.GlorotNormal, 1.0, "avg"), (I.HeNormal, 2.0, "in"), (I.LecunNormal, 1.0, "in")])
def test_normal_variants_variance_is_scale_over_fan_after_truncation(cls, scale, fan):
    fan_in, fan_out = BIG
    n = {"in": fan_in, "avg": (fan_in + fan_out) / 2}[fan]
    x = _np(cls(seed=0)(BIG))
    assert x.var() == pytest.approx(scale / n, rel=0.03)
    # The draw is truncated at two stddevs of the *pre-correction* normal.
    assert np.abs(x).max() <= 2 * math.sqrt(scale / n) / TRUNC * (1 + 1e-6)


def test_variance_scaling_modes_and_distributions():
    shape = (100, 400)
    for mode, n in [("fan_in", 100), ("fan_out", 400), ("fan_avg", 250)]:
        for dist in ["truncated_normal", "untruncated_normal", "uniform"]:
            x = _np(I.VarianceScaling(scale=3.0, mode=mode, distribution=dist, seed=1)(shape))
            assert x.var() == pytest.approx(3.0 / n, rel=0.03), (mode, dist)
    sd = math.sqrt(3.0 / 100)
    wide = _np(I.VarianceScaling(3.0, "fan_in", "untruncated_normal", seed=1)(shape))
    assert np.abs(wide).max() > 2.6 * sd          # an untruncated normal goes past the truncation point
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"


@pytest.mark.parametrize("shape, axes, expected", [
    ((), None, (1, 1)), ((7,), None, (7, 7)), ((5, 6), None, (5, 6)), ((3, 4, 5), None, (12, 15)),
    ((3, 3, 16, 32), None, (144, 288)), ((2, 3, 4, 5), None, (24, 30)),
    ((3, 4, 5), ([0], [1, 2]), (3, 20)), ((3, 4, 5, 6), ([0, 1], [3]), (12, 6)),
    ((3, 4, 5), ([0], None), (12, 15)),  # only one of the two given: ignored, as in Keras
])
def test_compute_fans(shape, axes, expected):
    input_axes, output_axes = axes or (None, None)
    assert I.compute_fans(shape, input_axes, output_axes) == expected


def test_variance_scaling_with_input_and_output_axes():
    init = I.VarianceScaling(scale=1.0, mode="fan_out", distribution="uniform", seed=0, input_axes=[0],
                             output_axes=[1, 2])
    x = _np(init((8, 10, 40)))
    limit = math.sqrt(3.0 / 400)
    assert 0.98 * limit < np.abs(x).max() <= limit * (1 + 1e-6)


def test_orthogonal_columns_and_rows_are_orthonormal_times_gain():
    tall = _np(I.Orthogonal(gain=2.0, seed=0)((6, 4)))
    np.testing.assert_allclose(tall.T @ tall, 4.0 * np.eye(4), atol=1e-5)
    wide = _np(I.Orthogonal(seed=0)((3, 5)))
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)
    square = _np(I.Orthogonal(gain=0.5, seed=4)((5, 5)))
    np.testing.assert_allclose(square.T @ square, 0.25 * np.eye(5), atol=1e-5)
    kernel = _np(I.Orthogonal(seed=1)((2, 3, 4))).reshape(6, 4)
    np.testing.assert_allclose(kernel.T @ kernel, np.eye(4), atol=1e-5)
    with pytest.raises(ValueError, match="Orthogonal.*rank"):
        I.Orthogonal()((4,))


# -- seeding ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", RANDOM_CLASSES, ids=lambda c: c.__name__)
def test_int_seed_repeats_and_unseeded_instances_repeat_too(cls):
    seeded = cls(seed=11)
    np.testing.assert_array_equal(seeded((4, 4)), seeded((4, 4)))
    np.testing.assert_array_equal(seeded((4, 4)), cls(seed=11)((4, 4)))
    assert not np.array_equal(seeded((4, 4)), cls(seed=12)((4, 4)))
    # Keras 3 documents that an unseeded initializer returns the same values on every call; two unseeded
    # instances differ.
    unseeded = cls()
    np.testing.assert_array_equal(unseeded((4, 4)), unseeded((4, 4)))
    assert not np.array_equal(unseeded((4, 4)), cls()((4, 4)))


def test_set_random_seed_makes_unseeded_initializers_reproducible():
    def draw():
        init = I.HeNormal()
        return [np.asarray(init((3, 3))), np.asarray(init((3, 3))), np.asarray(I.Orthogonal()((3, 3)))]

    set_random_seed(123)
    first = draw()
    set_random_seed(123)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[0], first[1])


def test_seed_generator_advances_and_is_reproducible():
    gen = kr.SeedGenerator(7)
    init = I.RandomUniform(seed=gen)
    a, b = init((5,)), init((5,))
    assert not np.array_equal(a, b)
    again = I.RandomUniform(seed=kr.SeedGenerator(7))
    np.testing.assert_array_equal(again((5,)), a)
    np.testing.assert_array_equal(again((5,)), b)


# -- validation errors ------------------------------------------------------------------------------

def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="VarianceScaling.*mode.*fan_avg.*'FAN_IN'"):
        I.VarianceScaling(mode="FAN_IN")
    with pytest.raises(ValueError, match="VarianceScaling.*distribution.*'gamma'"):
        I.VarianceScaling(distribution="gamma")
    with pytest.raises(ValueError, match="VarianceScaling.*scale.*positive.*0"):
        I.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="RandomNormal.*seed.*'a'"):
        I.RandomNormal(seed="a")
    with pytest.raises(ValueError, match="GlorotUniform.*seed.*1.5"):
        I.GlorotUniform(seed=1.5)
    with pytest.raises(ValueError, match="HeNormal.*float dtype.*int32"):
        I.HeNormal()((2, 2), dtype="int32")
    with pytest.raises(ValueError, match="shape"):
        I.Zeros()((2, -1))


def test_base_initializer_must_be_subclassed():
    with pytest.raises(NotImplementedError, match="Initializer"):
        I.Initializer()((2,))


# -- lookup and serialization -----------------------------------------------------------------------

ALIASES = {
    "zeros": I.Zeros, "zero": I.Zeros, "ones": I.Ones, "one": I.Ones, "constant": I.Constant,
    "identity": I.Identity, "IdentityInitializer": I.Identity, "random_normal": I.RandomNormal,
    "normal": I.RandomNormal, "random_uniform": I.RandomUniform, "uniform": I.RandomUniform,
    "truncated_normal": I.TruncatedNormal, "variance_scaling": I.VarianceScaling, "orthogonal": I.Orthogonal,
    "OrthogonalInitializer": I.Orthogonal, "glorot_uniform": I.GlorotUniform, "glorot_normal": I.GlorotNormal,
    "he_normal": I.HeNormal, "he_uniform": I.HeUniform, "lecun_normal": I.LecunNormal,
    "lecun_uniform": I.LecunUniform, "GlorotUniform": I.GlorotUniform, "Zeros": I.Zeros,
}


@pytest.mark.parametrize("name, cls", ALIASES.items())
def test_get_by_name(name, cls):
    got = I.get(name)
    assert type(got) is cls
    assert got is not I.get(name)  # a fresh instance each time


def test_module_level_aliases_are_the_classes():
    assert I.glorot_uniform is I.GlorotUniform and I.zeros is I.Zeros and I.orthogonal is I.Orthogonal
    assert I.IdentityInitializer is I.Identity and I.he_normal is I.HeNormal


def test_get_other_identifiers():
    assert I.get(None) is None
    init = I.HeNormal(seed=2)
    assert I.get(init) is init
    assert type(I.get(I.Ones)) is I.Ones

    def custom(shape, dtype=None):
        return jnp.full(shape, 4.0)

    assert I.get(custom) is custom
    got = I.get({"class_name": "RandomNormal", "config": {"stddev": 2.0, "seed": 3}})
    assert type(got) is I.RandomNormal and got.stddev == 2.0 and got.mean == 0.0 and got.seed == 3


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        I.get("glorot_unifrom")
    message = str(info.value)
    assert "glorot_unifrom" in message and "glorot_uniform" in message and "he_normal" in message
    with pytest.raises(ValueError, match="initializer identifier: 3"):
        I.get(3)
    with pytest.raises(ValueError, match="Unknown initializer: 'Nope'"):
        I.get({"class_name": "Nope", "config": {}})


ROUND_TRIP = [I.Zeros(), I.Ones(), I.Constant(0.3), I.Constant([1.0, 2.0]), I.Identity(gain=2.0),
              I.RandomNormal(1.0, 2.0, seed=3), I.RandomUniform(-1.0, 2.0, seed=4),
              I.TruncatedNormal(0.5, 0.1, seed=5),
              I.VarianceScaling(2.0, "fan_out", "uniform", seed=6, input_axes=[0], output_axes=[1]),
              I.GlorotUniform(seed=7), I.GlorotNormal(), I.HeNormal(seed=8), I.HeUniform(), I.LecunNormal(),
              I.LecunUniform(seed=9), I.Orthogonal(gain=1.5, seed=10)]


@pytest.mark.parametrize("init", ROUND_TRIP, ids=lambda i: type(i).__name__)
def test_serialize_round_trip(init):
    config = I.serialize(init)
    assert config["module"] == "keras.initializers" and config["class_name"] == type(init).__name__
    assert config["registered_name"] is None
    back = I.deserialize(config)
    assert type(back) is type(init) and back.get_config() == init.get_config()
    assert I.get(config).get_config() == init.get_config()
    assert type(init.clone()) is type(init) and init.clone().get_config() == init.get_config()


def test_seeded_round_trip_gives_the_same_values():
    for init in ROUND_TRIP:
        if isinstance(init, I.RandomInitializer) and init.seed is None:
            continue
        shape = (3, 2) if not isinstance(init, I.Constant) else (2, 2)
        np.testing.assert_array_equal(I.deserialize(I.serialize(init))(shape), init(shape))


def test_serialize_seed_generator_and_names():
    init = I.RandomNormal(seed=kr.SeedGenerator(3))
    config = I.serialize(init)
    assert config["config"]["seed"]["class_name"] == "SeedGenerator"
    assert config["config"]["seed"]["config"]["seed"] == 3
    back = I.deserialize(config)
    assert isinstance(back.seed, kr.SeedGenerator)
    np.testing.assert_array_equal(back((4,)), I.RandomNormal(seed=kr.SeedGenerator(3))((4,)))
    assert I.serialize(None) is None and I.serialize("zeros") == "zeros"
    assert type(I.deserialize("he_uniform")) is I.HeUniform


def test_custom_initializer_subclass_and_function_serialization():
    class Halves(I.Initializer):
        def __call__(self, shape, dtype=None):
            return jnp.full(shape, 0.5)

    config = I.serialize(Halves())
    assert config["class_name"] == "Halves" and config["registered_name"] == "Halves"
    assert type(I.deserialize(config, custom_objects={"Halves": Halves})) is Halves

    def my_init(shape, dtype=None):
        return jnp.zeros(shape)

    config = I.serialize(my_init)
    assert config["class_name"] == "function" and config["config"] == "my_init"
    assert I.deserialize(config, custom_objects={"my_init": my_init}) is my_init
    with pytest.raises(ValueError, match="my_init.*custom_objects"):
        I.deserialize(config)


# -- comparison with Keras 3 (statistics and configs, not values) -------------------------------------

@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")

FAN_CASES = [((5, 6), None, None), ((3, 4, 5), None, None), ((3, 3, 16, 32), None, None),
             ((2, 3, 4, 5), None, None), ((7,), None, None), ((3, 4, 5), [0], [1, 2]),
             ((3, 4, 5, 6), [0, 1], [3]), ((3, 4, 5), [-3], [-1])]


@pytest.mark.parametrize("shape, input_axes, output_axes", FAN_CASES)
def test_fans_match_keras(keras, shape, input_axes, output_axes):
    # Keras's uniform VarianceScaling and RandomUniform(-1, 1) with the same int seed share one draw, so
    # their ratio is Keras's limit sqrt(3 / fan) exactly; we read Keras's fans back from it.
    unit = np.asarray(keras.initializers.RandomUniform(-1.0, 1.0, seed=1)(shape), dtype=np.float64)
    expected = []
    for mode in ["fan_in", "fan_out"]:
        scaled = np.asarray(keras.initializers.VarianceScaling(
            1.0, mode, "uniform", seed=1, input_axes=input_axes, output_axes=output_axes)(shape), np.float64)
        limit = np.abs(scaled).max() / np.abs(unit).max()
        expected.append(3.0 / limit ** 2)
    np.testing.assert_allclose(I.compute_fans(shape, input_axes, output_axes), expected, rtol=1e-4)


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
                                  "lecun_uniform", "truncated_normal", "random_normal", "random_uniform",
                                  "orthogonal"])
def test_statistics_match_keras(keras, name):
    shape = (3, 3, 20, 40)  # a conv kernel: exercises the receptive-field fans
    ours = _np(I.get({"class_name": name, "config": {"seed": 0}})(shape))
    theirs = _np(keras.initializers.get({"class_name": name, "config": {"seed": 0}})(shape))
    assert ours.std() == pytest.approx(theirs.std(), rel=0.05)
    assert abs(ours.mean() - theirs.mean()) < 0.1 * theirs.std()
    if "uniform" in name or "truncated" in name or name in ("he_normal", "glorot_normal", "lecun_normal"):
        assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=0.03)  # same bound


@pytest.mark.parametrize("init, shape", [(I.Zeros(), (2, 3)), (I.Ones(), (4,)), (I.Constant(0.7), (2, 2)),
                                         (I.Identity(gain=3.0), (3, 5))])
def test_deterministic_initializers_equal_keras(keras, init, shape):
    theirs = keras.initializers.get(I.serialize(init))(shape)
    np.testing.assert_array_equal(init(shape), np.asarray(theirs))


@pytest.mark.parametrize("init", [i for i in ROUND_TRIP if not isinstance(i, I.Identity)],
                         ids=lambda i: type(i).__name__)
def test_configs_match_keras(keras, init):
    # Keras builds the same initializer from our config and serializes it to the same dict (Identity is
    # left out: Keras drops `gain` from its config).
    theirs = keras.initializers.get(I.serialize(init))
    assert keras.initializers.serialize(theirs) == I.serialize(init)
    assert I.deserialize(keras.initializers.serialize(theirs)).get_config() == init.get_config()


def test_random_initializers_compile_a_few_programs_for_many_shapes():
    """Creating layers of many shapes must not compile one sampling program per shape (seconds per model)."""
    before = kr._flat_sample._cache_size()
    init = I.GlorotUniform(seed=3)
    shapes = [(n, m) for n in (3, 5, 7, 11, 13) for m in (2, 6, 10)]
    values = [init(s) for s in shapes]
    assert kr._flat_sample._cache_size() - before <= 5
    for s, v in zip(shapes, values):
        limit = np.sqrt(6.0 / sum(s))
        assert v.shape == s and np.all(np.abs(np.asarray(v)) <= limit)
    # Still a function of the seed: same seed, same values; different seed, different values.
    np.testing.assert_array_equal(I.GlorotUniform(seed=3)((5, 6)), init((5, 6)))
    assert not np.array_equal(I.GlorotUniform(seed=4)((5, 6)), init((5, 6)))
