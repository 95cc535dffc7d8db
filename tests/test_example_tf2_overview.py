"""examples/tf2_api_overview.py (seed 003, the TF2 API overview): quick mode runs end to end, the three ways of
writing each convnet are the same network (parameter counts equal to what Keras 3 reports for those layers), and
the hand-written training loop learns and compiles to the same result as running it eagerly."""
import importlib.util
import os
import pathlib
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "tf2_api_overview.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("tf2_api_overview", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(example):
    start = time.perf_counter()
    results = example.main(quick=True)
    return results, time.perf_counter() - start


def keras_param_count(network):
    """The parameter count Keras 3 reports for the seed's layers (the expected number for all three styles)."""
    if network == "MNIST":
        model = keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
    else:
        model = keras.Sequential([
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPool2D((2, 2)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPool2D((2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(100, activation="softmax"),
        ])
    return model.count_params()


def test_quick_mode_runs_every_section(quick_run):
    results, seconds = quick_run
    assert set(results["fit"]) == {(n, s) for n in ("MNIST", "CIFAR-100")
                                   for s in ("Sequential", "Functional", "Subclassing")}
    for params, loss, accuracy in results["fit"].values():
        assert np.isfinite(loss) and 0.0 <= accuracy <= 1.0
    # The MNIST-shaped prototypes are easy: every style must actually learn them in two short epochs.
    mnist_accuracies = [acc for (net, _), (_, _, acc) in results["fit"].items() if net == "MNIST"]
    assert min(mnist_accuracies) > 0.8, results["fit"]
    # Timings are not asserted tightly (design rule); this only catches a runaway, e.g. a recompile per step.
    # Measured about 27 s on 2 CPU cores.
    assert seconds < 90, seconds


@pytest.mark.parametrize("network", ["MNIST", "CIFAR-100"])
def test_three_styles_have_the_keras_parameter_count(quick_run, network):
    results, _ = quick_run
    counts = {style: params for (net, style), (params, _, _) in results["fit"].items() if net == network}
    expected = keras_param_count(network)
    assert counts == {"Sequential": expected, "Functional": expected, "Subclassing": expected}


def test_custom_loop_loss_decreases(quick_run):
    results, _ = quick_run
    loop = results["custom_loop"]
    assert loop["params"] == keras_param_count("CIFAR-100")
    losses = loop["epoch_losses"]
    assert len(losses) == 2 and all(np.isfinite(losses))
    assert losses[-1] < losses[0] - 0.05, losses


def test_compiled_custom_loop_matches_the_eager_loop(example, quick_run):
    (x_train, y_train), _ = example.cifar100_data(96)
    kerasj.utils.set_random_seed(3)
    eager_model = example.CifarModel()
    eager_model(x_train[:1])
    compiled_model = example.CifarModel()
    compiled_model(x_train[:1])
    compiled_model.set_weights(eager_model.get_weights())
    initial = eager_model.get_weights()

    eager_losses = example.train_model(eager_model, x_train, y_train, epochs=2, compiled=False, verbose=False)
    compiled_losses = example.train_model(compiled_model, x_train, y_train, epochs=2, compiled=True,
                                          verbose=False)

    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=1e-5)
    assert eager_losses[-1] < eager_losses[0], eager_losses
    trained = eager_model.get_weights()
    # The loop really moved every weight, so the equality below compares trained weights, not initial ones.
    assert all(not np.allclose(a, b) for a, b in zip(initial, trained))
    for eager_w, compiled_w in zip(trained, compiled_model.get_weights()):
        np.testing.assert_allclose(compiled_w, eager_w, rtol=1e-5, atol=1e-6)
