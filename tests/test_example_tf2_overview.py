"""examples/tf2_api_overview.py (seed 003, the TF2 API overview): quick offline mode runs end to end, the three
ways of writing each convnet are the same network (the parameter count of the seed's layers, and identical
training results from the same seed), the hand-written training loop learns and compiles to the same result as
running it eagerly, and the dataset loaders prepare data as the lesson does."""
import importlib.util
import pathlib

import numpy as np
import pytest

import kerasj

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "tf2_api_overview.py"

# Parameter counts of the seed's networks, from the layer shapes (kernel + bias per layer):
# MNIST: Conv2D 3x3x1->32, Conv2D 3x3x32->64 (28 -> 26 -> 24 pixels), Dense 24*24*64->128, Dense 128->10.
MNIST_PARAMS = (3 * 3 * 1 * 32 + 32) + (3 * 3 * 32 * 64 + 64) + (24 * 24 * 64 * 128 + 128) + (128 * 10 + 10)
# CIFAR-100: Conv2D 3x3x3->16 (32 -> 30), pool -> 15, Conv2D 3x3x16->32 (-> 13), pool -> 6,
# Dense 6*6*32->256, Dense 256->100.
CIFAR_PARAMS = (3 * 3 * 3 * 16 + 16) + (3 * 3 * 16 * 32 + 32) + (6 * 6 * 32 * 256 + 256) + (256 * 100 + 100)
EXPECTED_PARAMS = {"MNIST": MNIST_PARAMS, "CIFAR-100": CIFAR_PARAMS}


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("tf2_api_overview", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(example):
    return example.main(quick=True, offline=True), None


def test_quick_mode_runs_every_section(quick_run):
    results, _ = quick_run
    assert set(results["fit"]) == {(n, s) for n in ("MNIST", "CIFAR-100")
                                   for s in ("Sequential", "Functional", "Subclassing")}
    for params, loss, accuracy in results["fit"].values():
        assert np.isfinite(loss) and 0.0 <= accuracy <= 1.0
    # The digits (MNIST stand-in) are easy: every style must actually learn them in two short epochs.
    mnist_accuracies = [acc for (net, _), (_, _, acc) in results["fit"].items() if net == "MNIST"]
    assert min(mnist_accuracies) > 0.8, results["fit"]
    # No wall-clock bound here (design rule: speed is measured, never asserted; one failed at load 16). A
    # recompile per step is what tests/trainer's compile counts catch.


@pytest.mark.parametrize("network", ["MNIST", "CIFAR-100"])
def test_three_styles_are_the_same_network(quick_run, network):
    results, _ = quick_run
    runs = {style: run for (net, style), run in results["fit"].items() if net == network}
    assert {style: params for style, (params, _, _) in runs.items()} == dict.fromkeys(runs, EXPECTED_PARAMS[network])
    # Seeded alike, the three styles create the same weights in the same order and train identically.
    losses = [loss for _, loss, _ in runs.values()]
    accuracies = [accuracy for _, _, accuracy in runs.values()]
    np.testing.assert_allclose(losses, losses[0], rtol=1e-5)
    assert accuracies == [accuracies[0]] * 3


def test_custom_loop_loss_decreases(quick_run):
    results, _ = quick_run
    loop = results["custom_loop"]
    assert loop["params"] == CIFAR_PARAMS
    losses = loop["epoch_losses"]
    assert len(losses) == 2 and all(np.isfinite(losses))
    assert losses[-1] < losses[0] - 0.05, losses


def test_compiled_custom_loop_matches_the_eager_loop(example):
    (x_train, y_train), _ = example.generated_cifar100(64)
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


def test_offline_mnist_is_the_shipped_digits_framed_like_mnist(example):
    (x_train, y_train), (x_test, y_test) = example.load_mnist(offline=True)
    (digits_train, labels_train), (_, labels_test) = kerasj.datasets.digits.load_data()
    assert x_train.shape == (len(digits_train), 28, 28, 1) and x_train.dtype == np.float32
    np.testing.assert_array_equal(y_train, labels_train)
    np.testing.assert_array_equal(y_test, labels_test)
    # A 2-pixel blank frame, then each 8x8 pixel as a 3x3 block scaled from 0..16 to [0, 1].
    image = x_train[0, :, :, 0]
    assert not image[:2].any() and not image[-2:].any() and not image[:, :2].any() and not image[:, -2:].any()
    np.testing.assert_allclose(image[2:26:3, 2:26:3], digits_train[0] / 16.0)
    np.testing.assert_array_equal(image[2:26, 2:26], np.kron(image[2:26:3, 2:26:3], np.ones((3, 3))))


def test_downloaded_datasets_are_scaled_like_the_lesson(example, monkeypatch):
    # No network in CI: stand-ins with the real loaders' dtypes and shapes check the lesson's preprocessing.
    rng = np.random.default_rng(0)
    mnist = ((rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), rng.integers(0, 10, 300, dtype=np.uint8)),
             (rng.integers(0, 256, (200, 28, 28), dtype=np.uint8), rng.integers(0, 10, 200, dtype=np.uint8)))
    cifar = ((rng.integers(0, 256, (300, 32, 32, 3), dtype=np.uint8), rng.integers(0, 100, (300, 1))),
             (rng.integers(0, 256, (200, 32, 32, 3), dtype=np.uint8), rng.integers(0, 100, (200, 1))))
    monkeypatch.setattr(kerasj.datasets.mnist, "load_data", lambda: mnist)
    monkeypatch.setattr(kerasj.datasets.cifar100, "load_data", lambda: cifar)

    (x_train, y_train), (x_test, y_test) = example.load_mnist()
    assert x_train.shape == (300, 28, 28, 1) and x_test.shape == (200, 28, 28, 1)
    assert x_train.dtype == np.float32
    np.testing.assert_allclose(x_train[..., 0], mnist[0][0] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_test, mnist[1][1])

    (x_train, y_train), (x_test, y_test) = example.load_cifar100(samples=160)
    # `samples` keeps the first training images and a test set of a whole number of batches.
    assert x_train.shape == (160, 32, 32, 3) and x_test.shape == (96, 32, 32, 3)
    assert x_train.dtype == np.float32
    np.testing.assert_allclose(x_train, cifar[0][0][:160] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_train, cifar[0][1][:160])
