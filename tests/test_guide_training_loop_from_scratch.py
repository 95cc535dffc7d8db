"""The Keras 3 guide "Writing a training loop from scratch in JAX", run with `import kerasj as keras`.

The guide's pattern — a functional MNIST MLP, `model.stateless_call` inside `jax.value_and_grad(has_aux=True)`,
`optimizer.stateless_apply`, a jitted `train_step(state, data)` carrying the lists of Variables as state,
stateless metric updates and results, an `add_loss` layer with `stateless_call(..., return_losses=True)`, and the
final write-back with `variable.assign` — runs unchanged in both libraries. The oracle is Keras 3 running the
same loop from the same initial weights on the same (generated, MNIST-shaped) batches.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras as keras3
import numpy as np
import pytest

import kerasj


def get_model(keras, with_activity_loss):
    class ActivityRegularizationLayer(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * keras.ops.sum(inputs))
            return inputs

    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu")(inputs)
    if with_activity_loss:
        x = ActivityRegularizationLayer()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def batches(n_batches=4, batch_size=16):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(n_batches * batch_size, 784)).astype("float32")
    y = rng.integers(0, 10, size=(n_batches * batch_size,))
    y_onehot = np.eye(10, dtype="float32")[y]
    return [(x[i:i + batch_size], y_onehot[i:i + batch_size]) for i in range(0, len(x), batch_size)]


def run_guide_loop(keras, initial_weights, with_activity_loss, as_state=list):
    """The guide's training loop, written once against whichever `keras` module is passed in.

    The guide passes the lists of Variables themselves into the jitted step. kerasj Variables are pytrees, so
    that works as written; Keras 3.15's Variables fail under jax 0.10 ("Triggering __jax_array__() during
    abstractification is no longer supported"), so the oracle run passes their values (`as_state`).
    """
    model = get_model(keras, with_activity_loss)
    model.set_weights(initial_weights)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    train_acc_metric = keras.metrics.CategoricalAccuracy()
    optimizer.build(model.trainable_variables)

    def compute_loss_and_updates(trainable_variables, non_trainable_variables, metric_variables, x, y):
        y_pred, non_trainable_variables, losses = model.stateless_call(
            trainable_variables, non_trainable_variables, x, return_losses=True)
        loss = loss_fn(y, y_pred)
        if losses:
            loss = loss + jax.numpy.sum(jax.numpy.stack(losses))
        metric_variables = train_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (non_trainable_variables, metric_variables)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
        x, y = data
        (loss_value, (non_trainable_variables, metric_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metric_variables, x, y)
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        return loss_value, (trainable_variables, non_trainable_variables, optimizer_variables, metric_variables)

    trainable_variables = as_state(model.trainable_variables)
    non_trainable_variables = as_state(model.non_trainable_variables)
    optimizer_variables = as_state(optimizer.variables)
    metric_variables = as_state(train_acc_metric.variables)
    state = trainable_variables, non_trainable_variables, optimizer_variables, metric_variables

    losses, accuracies = [], []
    for epoch in range(2):
        for step, data in enumerate(batches()):
            loss_value, state = train_step(state, data)
            losses.append(float(loss_value))
        _, _, _, metric_variables = state
        accuracies.append(float(train_acc_metric.stateless_result(metric_variables)))
        metric_variables = train_acc_metric.stateless_reset_state()
        state = state[:3] + (metric_variables,)

    trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
        variable.assign(value)

    # Evaluation, the guide's stateless way: a jitted eval step with stateless_call and a fresh metric.
    val_acc_metric = keras.metrics.CategoricalAccuracy()

    @jax.jit
    def eval_step(state, data):
        trainable_variables, non_trainable_variables, metric_variables = state
        x, y = data
        y_pred, non_trainable_variables = model.stateless_call(trainable_variables, non_trainable_variables, x)
        metric_variables = val_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return trainable_variables, non_trainable_variables, metric_variables

    eval_state = (as_state(model.trainable_variables), as_state(model.non_trainable_variables),
                  as_state(val_acc_metric.variables))
    for data in batches(2):
        eval_state = eval_step(eval_state, data)
    val_acc = float(val_acc_metric.stateless_result(eval_state[2]))
    return model, losses, accuracies, val_acc


@pytest.mark.parametrize("with_activity_loss", [False, True])
def test_guide_loop_matches_keras3(with_activity_loss):
    reference = get_model(keras3, with_activity_loss)
    initial = reference.get_weights()
    ours = run_guide_loop(kerasj, initial, with_activity_loss)
    theirs = run_guide_loop(keras3, initial, with_activity_loss, as_state=lambda vs: [v.value for v in vs])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=2e-4, atol=2e-5)  # every step's loss
    np.testing.assert_allclose(ours[2], theirs[2], atol=1e-6)  # per-epoch accuracy
    assert abs(ours[3] - theirs[3]) < 1e-6
    for a, b in zip(ours[0].get_weights(), theirs[0].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
    # Training happened: the loss fell over two epochs on the same batches.
    assert np.mean(ours[1][-4:]) < np.mean(ours[1][:4])
