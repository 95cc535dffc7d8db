"""Customising fit: stateful train_step overrides, and Keras 3's stateless JAX forms, run compiled in fit."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np

import kerasj


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-1.0], [0.5], [2.0]], np.float32))


def define_stateless_model(lib):
    """The custom model of Keras 3's 'customizing fit() with JAX' guide, written against `lib`."""

    class CustomModel(lib.Model):
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
            y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x,
                                                                  training=training)
            loss = self.compute_loss(x, y, y_pred)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, training=True)
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables)
            new_metrics_vars, logs = [], {}
            for metric in self.metrics:
                start = len(new_metrics_vars)
                this_metric_vars = metrics_variables[start:start + len(metric.variables)]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
                else:
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
                result = metric.stateless_result(this_metric_vars)
                logs.update(result if isinstance(result, dict) else {metric.name: result})
                new_metrics_vars += this_metric_vars
            return logs, (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)

    inputs = lib.Input((4,))
    hidden = lib.layers.Dense(8, activation="relu")(inputs)
    return CustomModel(inputs, lib.layers.Dense(1)(hidden))


def test_keras3_stateless_train_step_runs_unchanged_and_matches_keras():
    x, y = data()
    ours, theirs = define_stateless_model(kerasj), define_stateless_model(keras)
    ours.set_weights(theirs.get_weights())
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    h_ours = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(ours.optimizer.iterations.numpy()) == 9


class StatefulStep(kerasj.Sequential):
    """A train_step in the natural stateful style (what tf.keras users write), compiled by fit."""

    def train_step(self, data):
        x, y = data

        def loss_fn():
            y_pred = self(x, training=True)
            return self.compute_loss(x=x, y=y, y_pred=y_pred), y_pred

        (loss, y_pred), grads = kerasj.value_and_grad(loss_fn, self.trainable_variables, has_aux=True)()
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics if m.name == "loss"}


def test_stateful_train_step_override_matches_builtin_fit():
    x, y = data()
    custom = StatefulStep([kerasj.Input((4,)), kerasj.layers.Dense(1)])
    plain = kerasj.Sequential([kerasj.Input((4,)), kerasj.layers.Dense(1)])
    plain.set_weights(custom.get_weights())
    for model in (custom, plain):
        model.compile(optimizer=kerasj.optimizers.SGD(0.05), loss="mse")
    hc = custom.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    hp = plain.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(hc.history["loss"], hp.history["loss"], rtol=1e-6)
    for a, b in zip(custom.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert custom._programs["train"].trace_count == 1  # compiled, not eager


def test_stateless_call_changes_no_variable():
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(2), kerasj.layers.Dropout(0.5, seed=1)])
    trainable = [np.zeros(v.shape, np.float32) for v in model.trainable_variables]
    non_trainable = [v.numpy() for v in model.non_trainable_variables]
    before = [v.numpy().copy() for v in model.variables]
    out, new_non_trainable = model.stateless_call(trainable, non_trainable, np.ones((2, 3), np.float32),
                                                  training=True)
    np.testing.assert_array_equal(out, np.zeros((2, 2)))  # zero kernel and bias
    assert not np.array_equal(new_non_trainable[0], non_trainable[0])  # the dropout seed advanced ...
    for a, v in zip(before, model.variables):
        np.testing.assert_array_equal(a, v.numpy())  # ... in the returned values only
