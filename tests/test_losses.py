"""Unit tests for kerasj.losses; expected numbers come from the formulas, worked by hand or in numpy."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import losses
from kerasj.variables import Variable

RTOL, ATOL = 1e-5, 1e-6


def close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


# -- the documented examples ---------------------------------------------------------------------------

def test_function_forms_on_worked_examples():
    close(losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]), [0.5])
    close(losses.mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]]), [0.5])
    close(losses.mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]]), [25.0])
    close(losses.mean_squared_logarithmic_error([[0.0]], [[math.e - 1.0]]), [1.0])
    close(losses.huber([[0.0, 0.0]], [[0.5, 3.0]]), [(0.125 + 2.5) / 2])
    close(losses.huber([[0.0]], [[3.0]], delta=2.0), [2.0 * 3.0 - 0.5 * 4.0])
    close(losses.log_cosh([[0.0]], [[1.0]]), [math.log(math.cosh(1.0))])
    close(losses.cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]]), [-1.0])
    close(losses.cosine_similarity([[1.0, 0.0]], [[0.0, 3.0]]), [0.0])
    close(losses.kl_divergence([[0.0, 1.0]], [[0.5, 0.5]]), [math.log(2.0)], rtol=1e-4)
    close(losses.poisson([[1.0]], [[1.0]]), [1.0 - math.log(1.0 + 1e-7)])
    close(losses.hinge([[1.0, 0.0]], [[0.5, -2.0]]), [0.25])
    close(losses.hinge([[1.0, -1.0]], [[0.5, -2.0]]), [0.25])
    close(losses.squared_hinge([[1.0, 0.0]], [[0.5, -2.0]]), [0.125])
    close(losses.categorical_hinge([[0.0, 1.0]], [[0.3, 0.9]]), [0.4])
    close(losses.binary_crossentropy([[1.0, 0.0]], [[0.9, 0.2]]), [-(math.log(0.9) + math.log(0.8)) / 2])
    close(losses.binary_crossentropy([[1.0]], [[2.0]], from_logits=True), [math.log1p(math.exp(-2.0))])
    close(losses.categorical_crossentropy([[0.0, 1.0]], [[0.2, 0.8]]), [-math.log(0.8)])
    close(losses.sparse_categorical_crossentropy([1], [[0.2, 0.8]]), [-math.log(0.8)])


def test_class_forms_on_worked_examples():
    close(losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]), 0.5)
    close(losses.Huber(delta=1.0)([[0.0, 0.0]], [[0.5, 3.0]]), (0.125 + 2.5) / 2)
    close(losses.CosineSimilarity()([[1.0, 0.0]], [[2.0, 0.0]]), -1.0)
    close(losses.SparseCategoricalCrossentropy()([1], [[0.2, 0.8]]), -math.log(0.8))


def test_label_smoothing_moves_targets_towards_uniform():
    # Binary: target 1 becomes 1 - 0.2 / 2 = 0.9.
    expected = -(0.9 * math.log(0.7) + 0.1 * math.log(0.3))
    close(losses.BinaryCrossentropy(label_smoothing=0.2)([[1.0]], [[0.7]]), expected)
    # Categorical with 4 classes: the one-hot 1 becomes 0.8 + 0.2 / 4 = 0.85, the zeros 0.05.
    p = np.array([0.1, 0.2, 0.3, 0.4])
    target = np.array([0.05, 0.05, 0.85, 0.05])
    close(losses.CategoricalCrossentropy(label_smoothing=0.2)([[0, 0, 1, 0]], [p]), -np.sum(target * np.log(p)))


def test_focal_crossentropy_down_weights_easy_examples():
    bce = -math.log(0.9)
    close(losses.binary_focal_crossentropy([[1.0]], [[0.9]]), [0.1 ** 2 * bce])
    close(losses.binary_focal_crossentropy([[1.0]], [[0.9]], gamma=0.0), [bce])
    close(losses.binary_focal_crossentropy([[0.0]], [[0.1]], apply_class_balancing=True, alpha=0.25),
          [0.75 * 0.1 ** 2 * bce])


def test_categorical_crossentropy_renormalises_probabilities():
    # Unnormalised scores [1, 3] are read as probabilities [0.25, 0.75].
    close(losses.categorical_crossentropy([[0.0, 1.0]], [[1.0, 3.0]]), [-math.log(0.75)])


# -- reductions and sample weights ---------------------------------------------------------------------

Y_TRUE = np.zeros((4, 1), np.float32)
Y_PRED = np.array([[1.0], [2.0], [3.0], [4.0]], np.float32)  # squared errors 1, 4, 9, 16
WEIGHTS = np.array([1.0, 0.0, 2.0, 0.5], np.float32)         # weighted 1, 0, 18, 8


@pytest.mark.parametrize("reduction,expected", [
    ("sum", 30.0),
    ("sum_over_batch_size", 30.0 / 4),
    ("mean", 30.0 / 4),
    ("mean_with_sample_weight", 30.0 / 4),
    ("none", [1.0, 4.0, 9.0, 16.0]),
    (None, [1.0, 4.0, 9.0, 16.0]),
])
def test_reductions_without_weights(reduction, expected):
    close(losses.MeanSquaredError(reduction=reduction)(Y_TRUE, Y_PRED), expected)


@pytest.mark.parametrize("reduction,expected", [
    ("sum", 27.0),
    ("sum_over_batch_size", 27.0 / 4),  # divides by the number of values, not the weight sum
    ("mean", 27.0 / 4),
    ("mean_with_sample_weight", 27.0 / 3.5),
    ("none", [1.0, 0.0, 18.0, 8.0]),
])
def test_reductions_with_weights(reduction, expected):
    for weights in (WEIGHTS, WEIGHTS[:, None]):
        close(np.ravel(losses.MeanSquaredError(reduction=reduction)(Y_TRUE, Y_PRED, sample_weight=weights)),
              expected)


def test_scalar_weight_scales_the_loss():
    close(losses.MeanSquaredError()(Y_TRUE, Y_PRED, sample_weight=2.0), 2 * 30.0 / 4)
    close(losses.MeanSquaredError(reduction="mean_with_sample_weight")(Y_TRUE, Y_PRED, sample_weight=2.0),
          2 * 30.0 / 2.0)


def test_weights_shaped_like_a_sequence_loss():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    per_step = np.mean((y_true - y_pred) ** 2, axis=-1)
    weights = rng.uniform(size=(2, 3))
    close(losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights), np.sum(per_step * weights) / 6)
    column = rng.uniform(size=(2, 1))
    close(losses.MeanSquaredError(reduction="mean_with_sample_weight")(y_true, y_pred, sample_weight=column),
          np.sum(per_step * column) / np.sum(column), rtol=1e-5)


def test_all_zero_weights_give_zero_not_nan():
    out = losses.MeanSquaredError(reduction="mean_with_sample_weight")(Y_TRUE, Y_PRED,
                                                                       sample_weight=np.zeros(4))
    assert float(out) == 0.0


def test_invalid_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduction.*'average'"):
        losses.MeanSquaredError(reduction="average")


def test_ignore_class_averages_over_the_remaining_labels():
    labels = np.array([0, 2, 1, 2])
    probs = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1], [0.5, 0.25, 0.25]], np.float32)
    kept = -np.log([0.7, 0.8])
    loss = losses.SparseCategoricalCrossentropy(ignore_class=2)
    close(loss(labels, probs), kept.mean())
    close(losses.SparseCategoricalCrossentropy(ignore_class=2, reduction="sum")(labels, probs), kept.sum())
    close(losses.SparseCategoricalCrossentropy(ignore_class=2, reduction="none")(labels, probs),
          [kept[0], 0.0, kept[1], 0.0])
    weights = np.array([2.0, 5.0, 1.0, 5.0])
    close(loss(labels, probs, sample_weight=weights), (2 * kept[0] + kept[1]) / 2, rtol=1e-5)


# -- shapes and dtypes ---------------------------------------------------------------------------------

def test_rank_one_targets_meet_column_predictions():
    y_true = np.array([0.0, 1.0, 1.0])
    y_pred = np.array([[0.5], [0.5], [1.0]])
    close(losses.MeanSquaredError()(y_true, y_pred), (0.25 + 0.25 + 0.0) / 3)
    close(losses.mean_squared_error(y_true, y_pred), [0.25, 0.25, 0.0])
    close(losses.BinaryCrossentropy()(y_true, y_pred), losses.BinaryCrossentropy()(y_true[:, None], y_pred))


def test_integer_and_column_labels():
    probs = np.array([[0.2, 0.8], [0.6, 0.4]], np.float32)
    expected = -np.log([0.8, 0.6]).mean()
    for labels in (np.array([1, 0]), np.array([[1], [0]]), np.array([1.0, 0.0])):
        close(losses.SparseCategoricalCrossentropy()(labels, probs), expected)
    close(losses.BinaryCrossentropy()(np.array([[1], [0]]), np.array([[0.8], [0.4]])),
          -(math.log(0.8) + math.log(0.6)) / 2)


def test_variables_are_accepted_as_inputs():
    y_pred = Variable(np.array([[1.0, 1.0]], np.float32), trainable=False)
    close(losses.MeanSquaredError()([[0.0, 1.0]], y_pred), 0.5)
    close(losses.mean_squared_error([[0.0, 1.0]], y_pred), [0.5])


def test_shape_mismatch_errors_name_the_function_and_shapes():
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*\(2, 3\).*\(2, 4\)"):
        losses.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 4)) / 4)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*\(2,\)"):
        losses.sparse_categorical_crossentropy(np.zeros((3,)), np.ones((2, 4)) / 4)


def test_boolean_axis_is_rejected():
    with pytest.raises(ValueError, match="axis"):
        losses.binary_crossentropy([[1.0]], [[0.5]], axis=True)


# -- jit and gradients ---------------------------------------------------------------------------------

ALL_CLASSES = [
    (losses.MeanSquaredError(), "real"), (losses.MeanAbsoluteError(), "real"),
    (losses.MeanAbsolutePercentageError(), "real"), (losses.MeanSquaredLogarithmicError(), "real"),
    (losses.BinaryCrossentropy(label_smoothing=0.1), "prob"), (losses.BinaryCrossentropy(from_logits=True), "real"),
    (losses.BinaryFocalCrossentropy(apply_class_balancing=True), "prob"),
    (losses.CategoricalCrossentropy(), "prob"), (losses.CategoricalCrossentropy(from_logits=True), "real"),
    (losses.SparseCategoricalCrossentropy(ignore_class=0), "sparse"),
    (losses.KLDivergence(), "prob"), (losses.Poisson(), "prob"), (losses.Huber(), "real"),
    (losses.LogCosh(), "real"), (losses.Hinge(), "real"), (losses.SquaredHinge(), "real"),
    (losses.CategoricalHinge(), "prob"), (losses.CosineSimilarity(), "real"),
]


def _inputs(kind, rng):
    y_pred = rng.normal(size=(4, 3)).astype(np.float32)
    if kind == "prob":
        y_pred = np.exp(y_pred) / np.exp(y_pred).sum(-1, keepdims=True)
    if kind == "sparse":
        return rng.integers(0, 3, size=(4,)), y_pred
    return rng.integers(0, 2, size=(4, 3)).astype(np.float32), y_pred


@pytest.mark.parametrize("loss,kind", ALL_CLASSES, ids=[type(l).__name__ for l, _ in ALL_CLASSES])
def test_jit_matches_eager_and_gradient_is_finite(loss, kind):
    rng = np.random.default_rng(0)
    y_true, y_pred = _inputs(kind, rng)
    weights = np.array([1.0, 0.5, 0.0, 2.0], np.float32)
    eager = loss(y_true, y_pred, sample_weight=weights)
    close(jax.jit(loss.__call__)(y_true, y_pred, weights), eager)
    grad = jax.jit(jax.grad(lambda p: loss(y_true, p, sample_weight=weights)))(y_pred)
    assert grad.shape == y_pred.shape and np.all(np.isfinite(grad))


def test_gradients_match_closed_forms():
    rng = np.random.default_rng(1)
    z = jnp.asarray(rng.normal(size=(4, 3)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, 2, size=(4, 3)).astype(np.float32))
    n = z.size
    # d/dz mean(bce(sigmoid(z))) = (sigmoid(z) - y) / n
    grad = jax.grad(lambda p: losses.BinaryCrossentropy(from_logits=True)(y, p))(z)
    close(grad, (1 / (1 + jnp.exp(-z)) - y) / n)
    # d/dz mean(cce(softmax(z))) = (softmax(z) - y) / batch
    onehot = jnp.eye(3)[jnp.array([0, 2, 1, 1])]
    grad = jax.grad(lambda p: losses.CategoricalCrossentropy(from_logits=True)(onehot, p))(z)
    close(grad, (jnp.exp(z) / jnp.exp(z).sum(-1, keepdims=True) - onehot) / 4)
    # d/dp mean((p - y)^2) = 2 (p - y) / n
    close(jax.grad(lambda p: losses.MeanSquaredError()(y, p))(z), 2 * (z - y) / n)
    # Huber: the error clipped to [-delta, delta], / n
    close(jax.grad(lambda p: losses.Huber(delta=0.5)(y, p))(z), jnp.clip(z - y, -0.5, 0.5) / n)
    # log-cosh: tanh(error) / n
    close(jax.grad(lambda p: losses.LogCosh()(y, p))(z), jnp.tanh(z - y) / n)


def test_extreme_inputs_stay_finite():
    # Probabilities of exactly 0 and 1 are clipped; huge errors do not overflow log-cosh; zero vectors
    # have a cosine similarity of 0 and a finite gradient.
    one_minus_eps = np.float32(1.0) - np.float32(1e-7)  # clip bound, rounded as float32 rounds it
    close(losses.binary_crossentropy([[1.0, 0.0]], [[0.0, 1.0]]),
          [-(math.log(1e-7) + math.log(1.0 - float(one_minus_eps))) / 2], rtol=1e-4)
    close(losses.log_cosh([[0.0]], [[200.0]]), [200.0 - math.log(2.0)])
    grad = jax.grad(lambda p: losses.CosineSimilarity()(jnp.zeros((1, 3)), p))(jnp.zeros((1, 3)))
    assert np.all(np.isfinite(grad))
    grad = jax.grad(lambda p: losses.BinaryCrossentropy(from_logits=True)(jnp.ones((1, 1)), p))(
        jnp.full((1, 1), -100.0))
    close(grad, [[-1.0]])


# -- custom losses -------------------------------------------------------------------------------------

def test_subclass_with_call_gets_weights_and_reduction():
    class AbsoluteError(losses.Loss):
        def call(self, y_true, y_pred):
            return jnp.abs(y_true - y_pred)

    loss = AbsoluteError(reduction="sum")
    assert loss.name == "absolute_error"
    close(loss([1.0, 2.0], [0.0, 0.0], sample_weight=[3.0, 1.0]), 5.0)
    assert loss.get_config() == {"name": "absolute_error", "reduction": "sum"}


def test_function_wrapper_passes_keyword_arguments():
    def power_error(y_true, y_pred, power=2.0):
        return jnp.mean(jnp.abs(y_pred - y_true) ** power, axis=-1)

    loss = losses.LossFunctionWrapper(power_error, reduction="sum", power=3.0)
    assert loss.name == "power_error"
    close(loss([[0.0], [0.0]], [[1.0], [2.0]]), 1.0 + 8.0)
    with pytest.raises(TypeError, match="fn"):
        losses.LossFunctionWrapper("not a function")


# -- lookup and serialization --------------------------------------------------------------------------

def test_get_resolves_names_configs_instances_and_callables():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MAE") is losses.mean_absolute_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("log_cosh") is losses.log_cosh
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    huber = losses.get({"class_name": "Huber", "config": {"delta": 2.5}})
    assert isinstance(huber, losses.Huber) and huber.get_config()["delta"] == 2.5
    instance = losses.Poisson()
    assert losses.get(instance) is instance

    def custom(y_true, y_pred):
        return y_pred

    assert losses.get(custom) is custom
    assert losses.get(None) is None


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="'mean_squared_eror'.*mean_squared_error"):
        losses.get("mean_squared_eror")
    with pytest.raises(ValueError, match="Unknown loss class"):
        losses.get({"class_name": "NoSuchLoss", "config": {}})
    with pytest.raises(ValueError, match="loss identifier"):
        losses.get(3)


@pytest.mark.parametrize("loss", [
    losses.MeanSquaredError(reduction="sum", name="m"), losses.Huber(delta=0.3),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2, axis=0),
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0),
    losses.CategoricalCrossentropy(label_smoothing=0.1), losses.SparseCategoricalCrossentropy(ignore_class=-1),
    losses.CosineSimilarity(axis=0, reduction="none"), losses.LogCosh(),
], ids=lambda l: type(l).__name__)
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["class_name"] == type(loss).__name__
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == loss.get_config()


def test_wrapper_of_builtin_function_round_trips_and_custom_functions_need_custom_objects():
    loss = losses.LossFunctionWrapper(losses.huber, reduction="sum", name="h", delta=2.0)
    config = loss.get_config()
    assert config["fn"]["config"] == "huber" and config["delta"] == 2.0
    rebuilt = losses.LossFunctionWrapper.from_config(config)
    close(rebuilt([[0.0]], [[3.0]]), 2.0 * 3.0 - 2.0)

    def my_fn(y_true, y_pred):
        return y_pred - y_true

    assert losses.deserialize(losses.serialize(my_fn), custom_objects={"my_fn": my_fn}) is my_fn
    with pytest.raises(ValueError, match="my_fn"):
        losses.deserialize(losses.serialize(my_fn))


def test_custom_loss_over_a_structure_of_outputs_keeps_the_structure():
    class SumOfMSE(losses.Loss):
        def call(self, y_true, y_pred):
            return sum(jnp.mean((y_true[k] - y_pred[k]) ** 2, axis=-1) for k in y_true)

    y_true = {"a": np.zeros((2, 1)), "b": np.zeros((2, 3))}
    y_pred = {"a": np.ones((2, 1)), "b": np.full((2, 3), 2.0)}
    close(SumOfMSE()(y_true, y_pred), 1.0 + 4.0)

    class FirstMinusSecond(losses.Loss):
        def call(self, y_true, y_pred):
            return jnp.mean(y_pred[0] - y_pred[1], axis=-1) + 0 * y_true

    close(FirstMinusSecond(reduction="sum")(np.zeros((2,)), [np.ones((2, 1)), np.zeros((2, 1))]), 2.0)


def test_dtype_sets_the_computation_dtype():
    assert losses.MeanSquaredError().dtype == "float32"
    out = losses.MeanSquaredError(dtype="mixed_bfloat16")([[0.0, 1.0]], [[1.0, 1.0]])
    assert out.dtype == jnp.bfloat16
    close(out.astype(jnp.float32), 0.5)
