"""examples/multi_input_model.py: the two-input, two-output model trains on dict data (both losses fall, both
tasks are learned, predict returns a dict), and evaluate reports each output's loss and metrics under Keras 3's
names, with the total loss the weighted sum of the per-output losses."""
import importlib.util
import pathlib

import numpy as np
import pytest

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "multi_input_model.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("multi_input_model", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(example):
    return example.main(quick=True)


def test_both_losses_fall_and_both_tasks_are_learned(quick_run):
    history = quick_run["history"]
    for name in ("category_loss", "price_loss", "val_category_loss", "val_price_loss"):
        assert history[name][-1] < 0.5 * history[name][0], (name, history[name])
    evaluation = quick_run["evaluation"]
    assert evaluation["category_accuracy"] > 0.9  # 4 categories: chance is 0.25
    # The price has noise 0.1 around a formula with spread > 1: a fitted model is far better than guessing
    # the mean (a mean absolute error about 1).
    assert evaluation["price_mae"] < 0.5
    predictions = quick_run["predictions"]
    assert set(predictions) == {"category", "price"}
    assert predictions["category"].shape == (5, 4) and predictions["price"].shape == (5, 1)
    np.testing.assert_allclose(predictions["category"].sum(axis=1), 1.0, rtol=1e-5)


def test_evaluation_is_the_weighted_sum_of_per_output_losses(example, quick_run):
    # Expected values from the definitions, applied to the trained model's predictions on the test set: sparse
    # categorical cross-entropy and accuracy on "category", squared and absolute error on "price", and the
    # total 1.0 * category_loss + 0.5 * price_loss.
    x_test, y_test = example.make_listings(256, seed=1)   # main's test set in quick mode
    predictions = quick_run["model"].predict(x_test, batch_size=64, verbose=0)
    probabilities, price = predictions["category"], predictions["price"]
    labels, true_price = y_test["category"], y_test["price"]
    clipped = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)
    expected = {
        "category_loss": -np.mean(np.log(clipped)),
        "category_accuracy": np.mean(np.argmax(probabilities, axis=1) == labels),
        "price_loss": np.mean((price - true_price) ** 2),
        "price_mae": np.mean(np.abs(price - true_price)),
    }
    expected["loss"] = expected["category_loss"] + 0.5 * expected["price_loss"]
    evaluation = quick_run["evaluation"]
    # The log names Keras 3 uses for this compile configuration: "<output>_loss", "<output>_<metric>", "loss".
    assert set(evaluation) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(evaluation[name], value, rtol=1e-4, atol=1e-5, err_msg=name)


def test_generated_price_follows_category_and_metadata(example):
    # The price is a linear formula of the category and the numbers plus noise 0.1: a least-squares fit on
    # one-hot categories and the four numbers leaves residuals of about that size, and the fourth number
    # carries no weight.
    x, y = example.make_listings(2000, seed=2)
    design = np.concatenate([np.eye(4)[y["category"]], x["metadata"]], axis=1)
    coefficients, *_ = np.linalg.lstsq(design, y["price"][:, 0], rcond=None)
    residual = y["price"][:, 0] - design @ coefficients
    assert 0.08 < residual.std() < 0.12
    assert abs(coefficients[-1]) < 0.02
