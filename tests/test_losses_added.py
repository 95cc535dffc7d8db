"""Behaviour of the losses added to kerasj.losses: the package keeps every import path, config round trips
(also through JSON and `get`), bad arguments fail early, and the losses train inside jit."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj import losses

ADDED = [losses.CategoricalFocalCrossentropy(alpha=0.5, gamma=1.0, label_smoothing=0.1),
         losses.CategoricalGeneralizedCrossEntropy(q=0.3), losses.Dice(axis=(1, 2)),
         losses.Tversky(alpha=0.2, beta=0.8, axis=(1,)), losses.CTC(reduction="sum"),
         losses.Circle(gamma=30.0, margin=0.3, remove_diagonal=False)]


@pytest.mark.parametrize("loss", ADDED, ids=lambda l: type(l).__name__)
def test_config_round_trips_through_json_and_deserialize(loss):
    config = json.loads(json.dumps(losses.serialize(loss)))
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is type(loss)
    expected = {k: list(v) if isinstance(v, tuple) else v for k, v in loss.get_config().items()}
    assert rebuilt.get_config() == expected
    assert type(losses.get(type(loss).__name__)) is type(loss)


def test_dice_rebuilt_from_json_still_sums_over_the_axes():
    y_true = np.array([[[1.0], [1.0]], [[0.0], [0.0]]], "float32")
    y_pred = np.array([[[0.0], [1.0]], [[0.4], [0.0]]], "float32")
    rebuilt = losses.deserialize(json.loads(json.dumps(losses.serialize(losses.Dice(axis=(1, 2), reduction=None)))))
    # 1 - 2 * 1 / (2 + 1) and 1 - 0 / (0 + 0.4), up to epsilon.
    np.testing.assert_allclose(rebuilt(y_true, y_pred), [1 / 3, 1.0], rtol=1e-5)


def test_functions_are_public_losses_found_by_name():
    for name in ("categorical_focal_crossentropy", "categorical_generalized_cross_entropy", "dice", "tversky",
                 "ctc", "circle"):
        fn = getattr(losses, name)
        assert losses.get(name) is fn and fn.__module__ == "kerasj.losses"
        # metrics read a function from kerasj.losses as a loss: lower is better
        assert kerasj.metrics.MeanMetricWrapper(fn)._direction == "down"


def test_split_package_keeps_the_old_import_paths():
    from kerasj.losses import REDUCTIONS, Loss, LossFunctionWrapper, mse  # noqa: F401
    assert losses.MeanSquaredError.__module__.startswith("kerasj.losses")
    assert kerasj.losses.get("mse") is losses.mean_squared_error
    assert kerasj.saving.deserialize_keras_object(
        {"module": "keras.losses", "class_name": "Tversky", "config": {"alpha": 0.1}}).get_config()["alpha"] == 0.1


@pytest.mark.parametrize("q", [0, 1, 1.5, -0.2, True, "0.5"])
def test_generalized_cross_entropy_needs_q_in_the_open_unit_interval(q):
    with pytest.raises(ValueError, match=r"CategoricalGeneralizedCrossEntropy: `q` must be .*\(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=q)


def test_bad_shapes_and_arguments_fail_with_the_argument_named():
    with pytest.raises(ValueError, match=r"ctc: y_true must .* shape \(batch_size, max_length\)"):
        losses.ctc(np.ones((2, 3, 1)), np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match=r"ctc: y_pred must hold logits"):
        losses.CTC()(np.ones((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="axis must be an int"):
        losses.categorical_focal_crossentropy([[0.0, 1.0]], [[0.5, 0.5]], axis=True)
    with pytest.raises(ValueError, match="invalid reduction"):
        losses.Dice(reduction="avg")
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_focal_crossentropy([[1.0]], [[0.7]])


def test_generalized_cross_entropy_accepts_labels_with_a_trailing_axis():
    probs = np.array([[0.36, 0.64], [0.64, 0.36]], "float32")
    expected = (1 - np.sqrt(0.64)) / 0.5
    for labels in (np.array([1, 0]), np.array([[1], [0]])):
        np.testing.assert_allclose(losses.categorical_generalized_cross_entropy(labels, probs, q=0.5),
                                   [expected, expected], rtol=1e-5)


def test_circle_averages_over_the_samples_with_a_positive_loss():
    # Samples 0 and 1 share a label; sample 2 has no positive pair, so its loss is 0 and it is left out.
    emb = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], "float32")
    labels = np.array([0, 0, 1])
    values = losses.Circle(reduction=None)(labels, emb)
    assert values[2] == 0 and values[0] > 0 and values[1] > 0
    np.testing.assert_allclose(losses.Circle()(labels, emb), (values[0] + values[1]) / 2, rtol=1e-5)


def test_circle_gradient_is_finite_for_a_sample_without_pairs_under_jit():
    emb = jnp.asarray(np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], "float32"))
    grad = jax.jit(jax.grad(lambda e: losses.Circle()(jnp.array([0, 0, 1]), e)))(emb)
    assert np.all(np.isfinite(np.asarray(grad))) and np.any(np.asarray(grad) != 0)


def test_ctc_trains_a_model_under_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 6, 3)).astype("float32")
    y = np.array([[1, 2, 0]] * 8, "float32")
    model = kerasj.Sequential([kerasj.Input((6, 3)), kerasj.layers.Dense(4)])
    model.compile(optimizer=kerasj.optimizers.Adam(0.05), loss=losses.CTC())
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
