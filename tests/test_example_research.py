"""examples/research_overview.py (seed 001, the TF2 + Keras research overview): every section runs in quick
mode and does what the notebook says it does. Expected values come from math or from numpy re-computations
that use the layers' weights, never from kerasj's own outputs."""
import importlib.util
import pathlib

import numpy as np
import pytest

import kerasj as keras

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "research_overview.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("research_overview", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run(example):
    def run_section(name):
        keras.utils.set_random_seed(1337)
        return getattr(example, name)(quick=True)
    return run_section


def relu(x):
    return np.maximum(x, 0)


def test_every_notebook_section_is_run_by_main(example):
    names = [s.__name__ for s in example.SECTIONS]
    assert names == ["tensors_and_variables", "gradients", "linear_regression", "linear_layer",
                     "trainable_and_non_trainable_weights", "recursive_layers", "training_argument",
                     "functional_and_sequential", "losses_and_metrics", "custom_training_loop",
                     "add_loss_section", "variational_autoencoder", "builtin_training_loop", "callbacks_section"]


def test_batched_dataset_covers_every_sample_once_per_pass_in_a_new_order(example):
    x = np.arange(10)
    dataset = example.BatchedDataset((x, x * 2), batch_size=4, shuffle=True, seed=0)
    passes = [[batch for batch in dataset] for _ in range(2)]
    assert [len(b[0]) for b in passes[0]] == [4, 4, 2] and len(dataset) == 3
    orders = [np.concatenate([b[0] for b in p]) for p in passes]
    assert sorted(orders[0]) == list(range(10)) and sorted(orders[1]) == list(range(10))
    assert not np.array_equal(orders[0], orders[1])
    assert all(np.array_equal(b[1], b[0] * 2) for b in passes[0])


def test_tensors_and_variables(run):
    out = run("tensors_and_variables")
    assert out["x"].shape == (2, 2) and str(out["x"].dtype) == "int32"
    a, b = np.asarray(out["a"]), np.asarray(out["b"])
    np.testing.assert_allclose(out["e"], np.exp(np.square(a + b)), rtol=1e-5)


def test_gradients_and_second_derivative_match_the_analytic_ones(run):
    out = run("gradients")
    a, b = out["a"].astype(np.float64), out["b"].astype(np.float64)
    c = np.sqrt(a ** 2 + b ** 2)
    np.testing.assert_allclose(out["dc_da"], a / c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["d2c_da2"], b ** 2 / c ** 3, rtol=1e-4, atol=1e-5)


def test_linear_regression_follows_plain_sgd_eager_and_compiled(run, example):
    out = run("linear_regression")
    # The same SGD in numpy (analytic gradient of the mean squared error) over the same batches; the example
    # trains eagerly, then with kerasj.function, on the same two Variables.
    dataset = example.BatchedDataset((out["features"], out["labels"]), batch_size=256, shuffle=True, seed=1024)
    w, b = out["initial_w"].astype(np.float64), np.zeros(1)
    for _ in range(out["dataset_passes"]):
        for x, y in dataset:
            residual = x @ w + b - y
            w = w - 0.01 * 2 * x.T @ residual / residual.size
            b = b - 0.01 * 2 * residual.sum(axis=0) / residual.size
    w_var, b_var = out["variables"]
    np.testing.assert_allclose(w_var.numpy(), w, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(b_var.numpy(), b, rtol=1e-3, atol=1e-4)
    # ... and the weights head toward the least-squares optimum, which separates the two blobs.
    features = np.hstack([out["features"], np.ones((len(out["features"]), 1), np.float32)])
    optimum = np.linalg.lstsq(features, out["labels"], rcond=None)[0]
    mse = lambda params: float(np.mean((features @ params - out["labels"]) ** 2))
    initial = np.vstack([out["initial_w"], [[0.0]]])
    final = np.vstack([w_var.numpy(), b_var.numpy()[None]])
    assert mse(final) - mse(optimum) < 0.25 * (mse(initial) - mse(optimum))
    assert out["accuracy"] > 0.85
    assert out["train_on_batch"].trace_count == 2  # one compiled program per batch shape (full, last)


def test_linear_layers_with_eager_and_lazy_weights(run):
    out = run("linear_layer")
    layer = out["eager_layer"]
    assert layer.weights[0] is layer.w and layer.weights[1] is layer.b
    np.testing.assert_allclose(layer(np.ones((2, 2), np.float32)),
                               np.ones((2, 2)) @ layer.w.numpy() + layer.b.numpy(), rtol=1e-6)
    lazy = out["lazy_layer"]
    assert [v.shape for v in lazy.weights] == [(2, 4), (4,)]
    np.testing.assert_allclose(out["y"], np.ones((2, 2)) @ lazy.w.numpy() + lazy.b.numpy(), rtol=1e-6)


def test_compute_sum_accumulates_in_a_non_trainable_weight(run):
    out = run("trainable_and_non_trainable_weights")
    np.testing.assert_array_equal(out["first"], [2.0, 2.0])
    np.testing.assert_array_equal(out["second"], [4.0, 4.0])
    layer = out["layer"]
    assert layer.trainable_weights == [] and layer.non_trainable_weights[0] is layer.total


def test_mlp_tracks_the_six_weights_of_its_linear_layers(run):
    out = run("recursive_layers")
    mlp = out["mlp"]
    assert len(mlp.weights) == 6
    assert [v.shape for v in mlp.weights] == [(64, 32), (32,), (32, 32), (32,), (32, 10), (10,)]
    w1, b1, w2, b2, w3, b3 = mlp.get_weights()
    expected = relu(relu(np.ones((3, 64)) @ w1 + b1) @ w2 + b2) @ w3 + b3
    np.testing.assert_allclose(out["y"], expected, rtol=1e-5, atol=1e-6)


def test_dropout_only_in_training(run):
    out = run("training_argument")
    w1, b1, w3, b3 = out["mlp"].get_weights()
    inference = relu(np.ones((2, 2)) @ w1 + b1) @ w3 + b3
    np.testing.assert_allclose(out["y_test"], inference, rtol=1e-5, atol=1e-6)
    assert not np.allclose(out["y_train"], inference)
    x = np.ones((2, 2), np.float32)
    assert not np.allclose(out["mlp"](x, training=True), out["mlp"](x, training=True))  # a new mask each call
    np.testing.assert_array_equal(out["mlp"](x, training=False), out["y_test"])


def test_functional_model_has_four_weights_before_any_call(run):
    out = run("functional_and_sequential")
    model = out["functional"]
    assert len(model.weights) == 4
    w1, b1, w2, b2 = model.get_weights()
    np.testing.assert_allclose(model(np.ones((2, 16), np.float32)), (np.ones((2, 16)) @ w1 + b1) @ w2 + b2,
                               rtol=1e-5, atol=1e-6)
    w1, b1, w2, b2 = out["sequential"].get_weights()
    np.testing.assert_allclose(out["y"], (np.ones((2, 16)) @ w1 + b1) @ w2 + b2, rtol=1e-5, atol=1e-6)


def test_loss_builtin_metric_and_custom_metric(run):
    out = run("losses_and_metrics")
    # Binary cross-entropy with predictions clipped to [eps, 1 - eps] in float32.
    y_true = np.array([0, 0, 1, 1], np.float32)
    p = np.clip(np.array([1, 1, 1, 0], np.float32), np.float32(1e-7), np.float32(1) - np.float32(1e-7))
    bce = -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    np.testing.assert_allclose(out["bce"], bce, rtol=1e-5)
    np.testing.assert_allclose(out["auc"], [0.6666667, 0.71428573], rtol=1e-6)  # Keras 3's (and the notebook's)
    expected = sum(float(np.sum(((t == 1) & (p == 1)) * w)) for t, p, w in out["batches"])
    np.testing.assert_allclose(out["true_positives"], expected, rtol=1e-5)
    assert out["after_reset"] == 0.0


def test_custom_training_loop_compiled_with_function_learns(run):
    out = run("custom_training_loop")
    losses = out["step_losses"]
    assert len(losses) == out["steps"]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5]), losses
    assert out["test_accuracy"] > 0.6  # 10 classes, 10% of the labels random
    # Every batch has the same shape, so one compiled program -- traced twice, because on the first (eager)
    # call the model was not built yet: the weights were only read then, and are picked up as updated state
    # by the next trace (see tests/test_transforms.py). Not once per step.
    assert out["train_step"].trace_count == 2


def test_add_loss_values_and_training(run):
    out = run("add_loss_section")
    dense_1 = out["mlp"].dense_1
    hidden = relu(np.ones((10, 10)) @ dense_1.kernel.numpy() + dense_1.bias.numpy())
    np.testing.assert_allclose(out["losses"], [1e-2 * np.sum(hidden ** 2)], rtol=1e-5)
    losses = out["step_losses"]
    assert np.mean(losses[-3:]) < 0.6 * losses[0], losses


def test_vae_trains_with_fit_and_adds_the_kl_loss(run):
    out = run("variational_autoencoder")
    history = out["history"]["loss"]
    assert len(history) == 3 and history[-1] < 0.8 * history[0], history
    vae, x = out["vae"], out["x_train"][:8]
    vae(x)
    encoder = vae.encoder
    hidden = relu(x @ encoder.dense_proj.kernel.numpy() + encoder.dense_proj.bias.numpy())
    z_mean = hidden @ encoder.dense_mean.kernel.numpy() + encoder.dense_mean.bias.numpy()
    z_log_var = hidden @ encoder.dense_log_var.kernel.numpy() + encoder.dense_log_var.bias.numpy()
    kl = -0.5 * np.mean(z_log_var - z_mean ** 2 - np.exp(z_log_var) + 1)
    assert len(vae.losses) == 1
    np.testing.assert_allclose(vae.losses[0], kl, rtol=1e-4, atol=1e-6)


def test_fit_on_a_dataset_evaluate_and_validation_data(run):
    out = run("builtin_training_loop")
    assert set(out["dataset_history"]) == {"loss", "sparse_categorical_accuracy"}
    loss, acc = out["dataset_result"]
    assert acc > 0.6 and loss < 1.5
    history = out["history"]
    assert set(history) == {"loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"}
    assert len(history["val_loss"]) == 2
    assert min(history["val_sparse_categorical_accuracy"]) > 0.5  # 10 classes: chance is 0.1
    # val_loss is the loss of the final weights on the validation arrays.
    x_val, y_val = out["validation"]
    logits = out["model"].predict(x_val, verbose=0).astype(np.float64)
    log_probs = logits - logits.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    np.testing.assert_allclose(history["val_loss"][-1], -np.mean(log_probs[np.arange(len(y_val)), y_val]),
                               rtol=1e-4)


def test_early_stopping_ends_fit_at_the_first_epoch_without_improvement(run):
    out = run("callbacks_section")
    val_loss = out["history"]["val_loss"]
    # patience=0: training stops after the first epoch whose val_loss does not beat the best so far.
    first_worse = next(i for i in range(1, len(val_loss)) if val_loss[i] >= min(val_loss[:i]))
    assert len(val_loss) == first_worse + 1 < 30
    assert out["early_stopping"].stopped_epoch == first_worse
