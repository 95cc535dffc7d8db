"""Overridable Model / Layer hooks written with Keras 3's documented signature and with the older or shorter
ones Keras 3 still accepts. Each override runs in Keras 3 (JAX backend) in the same test, proving Keras accepts
it, and kerasj must give the same result. Keras's rules:

- `compute_loss(x, y, y_pred, sample_weight)` is called by position, plus `training=` only for an override with
  a parameter named `training` (it was added in Keras 3.3); a `**kwargs` catch-all does not get it.
- `call` gets `training` (and an automatic `mask`) only through parameters of those names.
- `build` / `compute_output_shape` get nothing (no parameter), the first input's shape (one parameter, any
  name) or one `<arg>_shape` per call argument; an overridden `compute_output_shape` gives the symbolic output.
- `compute_mask(inputs, previous_mask)` is called by position.
- Keras 3 on JAX calls `train_step` / `test_step` / `predict_step` as `step(state, data)`; kerasj also takes the
  stateful `step(data)` (DESIGN.md section 3), telling them apart by the number of required arguments.
- `train_on_batch`, `test_on_batch`, `evaluate` and each epoch of `fit` begin with `reset_metrics()`.

Keras runs eagerly here (`run_eagerly=True`) where it is only the oracle, which keeps these tests fast.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

X = (np.arange(12, dtype=np.float32).reshape(4, 3) - 5.0) / 10.0
Y = np.stack([np.linspace(-1.0, 1.0, 4), np.ones(4)], axis=1).astype(np.float32)
WEIGHTS = [np.linspace(-0.5, 0.5, 6, dtype=np.float32).reshape(3, 2), np.array([0.1, -0.2], np.float32)]
LIBS = pytest.mark.parametrize("lib", [keras, kerasj], ids=["keras", "kerasj"])


def dense_model(lib, cls=None):
    inputs = lib.Input((3,))
    model = (cls or lib.Model)(inputs, lib.layers.Dense(2)(inputs))
    model.set_weights(WEIGHTS)
    return model


def fit_and_evaluate(lib, cls, metrics=None):
    """One epoch of two batches, then evaluate: the losses with training=True and training=False."""
    model = dense_model(lib, cls)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=metrics, run_eagerly=lib is keras)
    history = model.fit(X, Y, batch_size=2, epochs=1, shuffle=False, verbose=0).history
    return history, model.evaluate(X, Y, verbose=0, return_dict=True), model.get_weights()


def assert_logs_close(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)


# -- compute_loss --------------------------------------------------------------------------------------------
def loss_override(lib, form):
    ops = lib.ops

    if form == "documented":
        class Custom(lib.Model):
            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                return super().compute_loss(x, y, y_pred, sample_weight, training=training) * (2.0 if training else 3.0)
    elif form == "before_keras_3_3":
        class Custom(lib.Model):
            def compute_loss(self, x, y, y_pred, sample_weight):
                return super().compute_loss(x, y, y_pred, sample_weight) * 2.0
    elif form == "other_names":
        class Custom(lib.Model):
            def compute_loss(self, inputs, targets, predictions, weights=None):
                return ops.mean((targets - predictions) ** 2) * 2.0
    elif form == "star_args":
        class Custom(lib.Model):
            def compute_loss(self, *args, **kwargs):  # gets no `training`: the factor tells
                return super().compute_loss(*args, **kwargs) * (5.0 if kwargs else 2.0)
    elif form == "kwargs_catch_all":
        class Custom(lib.Model):
            def compute_loss(self, x, y, y_pred, sample_weight=None, **kwargs):
                return super().compute_loss(x, y, y_pred, sample_weight) * (5.0 if kwargs else 2.0)
    else:
        class Custom(lib.Model):
            def compute_loss(self, x, y, y_pred):  # one argument short: Keras rejects it
                return super().compute_loss(x, y, y_pred)
    return Custom


# (form, the factor its override applies in evaluation: 3 only where it receives `training`)
LOSS_FORMS = [("documented", 3.0), ("before_keras_3_3", 2.0), ("other_names", 2.0), ("star_args", 2.0),
              ("kwargs_catch_all", 2.0)]


@pytest.mark.parametrize("form, eval_factor", LOSS_FORMS)
def test_compute_loss_overrides_are_called_as_keras_calls_them(form, eval_factor):
    (theirs_fit, theirs_eval, _), (ours_fit, ours_eval, weights) = (
        fit_and_evaluate(lib, loss_override(lib, form)) for lib in (keras, kerasj))
    assert_logs_close(ours_fit, theirs_fit)
    assert_logs_close(ours_eval, theirs_eval)
    kernel, bias = weights
    np.testing.assert_allclose(ours_eval["loss"], eval_factor * np.mean((X @ kernel + bias - Y) ** 2), rtol=1e-5)


@LIBS
def test_compute_loss_missing_sample_weight_is_rejected(lib):
    with pytest.raises(TypeError, match="positional argument"):
        fit_and_evaluate(lib, loss_override(lib, "too_short"))


def test_train_on_batch_and_test_on_batch_pass_training_and_reset_the_metrics():
    results = {}
    for lib in (keras, kerasj):
        model = dense_model(lib, loss_override(lib, "documented"))
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", run_eagerly=lib is keras)
        # Each call reports its own batch (Keras 3 resets the metrics first): no mean over earlier calls.
        results[lib] = [model.train_on_batch(X[:2], Y[:2]), model.train_on_batch(X[2:], Y[2:]),
                        model.test_on_batch(X, Y), model.test_on_batch(X[:1], Y[:1])]
    np.testing.assert_allclose(results[kerasj], results[keras], rtol=1e-5)


# -- compute_metrics -----------------------------------------------------------------------------------------
def metrics_override(lib, form):
    ops = lib.ops
    if form == "required_sample_weight":
        class Custom(lib.Model):
            def compute_metrics(self, x, y, y_pred, sample_weight):
                logs = super().compute_metrics(x, y, y_pred, sample_weight)
                return {**logs, "mean_prediction": ops.mean(y_pred)}
    else:
        class Custom(lib.Model):
            # Any names, while no compiled metrics are left to build (Keras builds those by calling
            # compute_metrics with `sample_weight=`, and then needs them updated).
            def compute_metrics(self, inputs, targets, predictions, weights=None):
                return {"gap": ops.mean(ops.abs(targets - predictions)), "mean_input": ops.mean(inputs)}
    return Custom


@pytest.mark.parametrize("form, metrics", [("required_sample_weight", ["mae"]), ("other_names", None)])
def test_compute_metrics_overrides(form, metrics):
    (theirs_fit, theirs_eval, _), (ours_fit, ours_eval, _) = (
        fit_and_evaluate(lib, metrics_override(lib, form), metrics=metrics) for lib in (keras, kerasj))
    assert_logs_close(ours_fit, theirs_fit)
    assert_logs_close(ours_eval, theirs_eval)


# -- reset_metrics -------------------------------------------------------------------------------------------
def reset_override(lib, form):
    if form == "documented":
        class Custom(lib.Model):
            def reset_metrics(self):  # keeps the compiled metrics running across epochs; resets the loss
                self.metrics[0].reset_state()
    else:
        class Custom(lib.Model):
            def reset_metrics(self):
                pass
    return Custom


@pytest.mark.parametrize("form", ["documented", "no_reset"])
def test_reset_metrics_override_decides_what_each_epoch_starts_from(form):
    logs = {}
    for lib in (keras, kerasj):
        model = dense_model(lib, reset_override(lib, form))
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"], run_eagerly=lib is keras)
        logs[lib] = model.fit(X, Y, batch_size=2, epochs=2, shuffle=False, verbose=0).history
    assert_logs_close(logs[kerasj], logs[keras])


# -- train_step / test_step / predict_step -------------------------------------------------------------------
def stateless_steps(lib):
    ops = lib.ops

    class Custom(lib.Model):
        def test_step(self, model_state, batch):  # Keras 3's JAX form, any parameter names
            trainable, non_trainable, metric_values = model_state
            x, y, _ = lib.utils.unpack_x_y_sample_weight(batch)
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x)
            logs = {"squared": ops.mean((y - y_pred) ** 2), "offset": ops.mean(y_pred - y)}
            return logs, (trainable, non_trainable, metric_values)

        def predict_step(self, model_state, batch):
            trainable, non_trainable = model_state
            x, _, _ = lib.utils.unpack_x_y_sample_weight(batch)
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x)
            return {"doubled": 2.0 * y_pred}, non_trainable

    return Custom


def test_keras3_stateless_test_and_predict_steps_with_other_names():
    results = {}
    for lib in (keras, kerasj):
        model = dense_model(lib, stateless_steps(lib))
        model.compile(optimizer="sgd", loss="mse")
        results[lib] = (model.evaluate(X, Y, batch_size=4, verbose=0, return_dict=True),
                        model.predict(X, batch_size=2, verbose=0))
    assert_logs_close(results[kerasj][0], results[keras][0])
    np.testing.assert_allclose(results[kerasj][1]["doubled"], results[keras][1]["doubled"], rtol=1e-5)


def test_a_stateful_step_with_an_optional_argument_is_not_mistaken_for_the_stateless_form():
    # Keras 3 on JAX has no stateful form (it would pass the state as `data`); kerasj's is `step(self, data)`,
    # optional extra arguments included.
    class Custom(kerasj.Model):
        def predict_step(self, data, scale=3.0):
            x, _, _ = kerasj.utils.unpack_x_y_sample_weight(data)
            return self(x, training=False) * scale

    model = dense_model(kerasj, Custom)
    np.testing.assert_allclose(model.predict(X, verbose=0), 3.0 * (X @ WEIGHTS[0] + WEIGHTS[1]), rtol=1e-5)


# -- call ----------------------------------------------------------------------------------------------------
def call_forms(lib):
    layers = lib.layers

    class Plain(layers.Layer):
        def call(self, inputs):
            return inputs

    class Training(layers.Layer):
        def call(self, inputs, training=None):
            return training

    class TrainingTrue(layers.Layer):
        def call(self, inputs, training=True):
            return training

    class CatchAll(layers.Layer):
        def call(self, inputs, **kwargs):
            return sorted(kwargs)

    class StarArgs(layers.Layer):
        def call(self, *args, **kwargs):
            return len(args), sorted(kwargs)

    class Both(layers.Layer):
        def call(self, x, training=None, mask=None):
            return training, mask is None

    class Outer(layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x, training=None):
            return self.inner(x)

    x = np.ones((2, 3), np.float32)
    mask = np.array([True, False])
    return [
        np.asarray(Plain()(x)).tolist(), Training()(x), Training()(x, training=True), TrainingTrue()(x),
        TrainingTrue()(x, training=False), CatchAll()(x), CatchAll()(x, training=True), CatchAll()(x, mask=mask),
        StarArgs()(x), StarArgs()(x, x, training=False), Both()(x), Outer(CatchAll())(x, training=True),
        Outer(TrainingTrue())(x, training=False), Outer(Training())(x, training=True),
    ]


@pytest.mark.filterwarnings("ignore:.*does not support masking")  # a mask passed by hand to CatchAll
def test_call_gets_training_and_mask_only_through_parameters_of_those_names():
    assert call_forms(kerasj) == call_forms(keras)


def model_call_forms(lib):
    class Base(lib.Model):
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(2, kernel_initializer="ones")

    class NoTraining(Base):
        def call(self, x):
            return self.dense(x)

    class WithTraining(Base):
        def call(self, x, training=False, **kwargs):
            return self.dense(x) * (2.0 if training else 3.0)

    class CatchAll(Base):
        def call(self, inputs, **kwargs):
            return self.dense(inputs) * (5.0 if kwargs else 1.0)

    return [NoTraining, WithTraining, CatchAll]


def test_model_call_overrides_in_training_and_inference():
    results = {}
    for lib in (keras, kerasj):
        results[lib] = []
        for cls in model_call_forms(lib):
            model = cls()
            model.compile(optimizer=lib.optimizers.SGD(0.01), loss="mse", run_eagerly=lib is keras)
            results[lib].append((model.predict(X, verbose=0), model.train_on_batch(X, Y)))
    for ours, theirs in zip(results[kerasj], results[keras]):
        np.testing.assert_allclose(np.concatenate([np.ravel(ours[0]), ours[1:]]),
                                   np.concatenate([np.ravel(theirs[0]), theirs[1:]]), rtol=1e-5)


# -- build / compute_output_shape / compute_output_spec / compute_mask ---------------------------------------
def build_forms(lib):
    ops = lib.ops

    class NoShape(lib.layers.Layer):
        def build(self):
            self.scale = self.add_weight(shape=(3,), initializer="ones")

        def call(self, x):
            return x * self.scale

    class OtherName(lib.layers.Layer):
        def build(self, shape):
            self.scale = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale

    class Optional(lib.layers.Layer):
        def build(self, input_shape=None):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale

    class PerArgument(lib.layers.Layer):
        def build(self, a_shape, b_shape):
            self.scale = self.add_weight(shape=(a_shape[-1] + b_shape[-1],), initializer="ones")

        def call(self, a, b):
            return ops.concatenate([a, b], axis=-1) * self.scale

    return NoShape, OtherName, Optional, PerArgument


def _lists(config):
    return json.loads(json.dumps(config))  # Keras keeps tuples, kerasj lists: compare the saved (JSON) form


def test_build_overrides_get_the_shapes_keras_gives_them():
    results = {}
    for lib in (keras, kerasj):
        x, b = np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)
        results[lib] = []
        for cls in build_forms(lib):
            layer = cls()
            out = layer(x, b) if cls.__name__ == "PerArgument" else layer(x)
            config = layer.get_build_config()
            fresh = cls()
            fresh.build_from_config(config)  # what loading a saved model does
            results[lib].append((out.shape, [w.shape for w in layer.weights], _lists(config), fresh.built,
                                 [w.shape for w in fresh.weights]))
    assert results[kerasj] == results[keras]
    assert results[keras][0][2] == {"shapes_dict": {}}  # build(self) is rebuilt with no arguments


def output_shape_forms(lib):
    ops = lib.ops

    class OneArgument(lib.layers.Layer):
        def call(self, x):
            return x[:, :2]

        def compute_output_shape(self, input_shape):
            return (input_shape[0], None)  # says less than tracing `call` would

    class OtherName(lib.layers.Layer):
        def call(self, x):
            return x[:, :2]

        def compute_output_shape(self, s):
            return [s[0], 2]  # a list of dims is one shape

    class PerArgument(lib.layers.Layer):
        def call(self, a, b):
            return ops.concatenate([a, b], axis=-1), a

        def compute_output_shape(self, a_shape, b_shape):
            return (a_shape[0], a_shape[1] + b_shape[1]), a_shape

    class Untraceable(lib.layers.Layer):
        def call(self, x):
            return ops.convert_to_tensor(np.asarray(x)[:, ::2])  # needs concrete values

        def compute_output_shape(self, input_shape):
            return (input_shape[0], (input_shape[1] + 1) // 2)

    return OneArgument, OtherName, PerArgument, Untraceable


def test_an_overridden_compute_output_shape_gives_the_symbolic_output():
    results = {}
    for lib in (keras, kerasj):
        a, b = lib.Input((3,)), lib.Input((4,))
        one, other, per_argument, untraceable = output_shape_forms(lib)
        outputs = [one()(a), other()(a), *per_argument()(a, b), untraceable()(b)]
        model = lib.Model([a, b], outputs[-1])
        results[lib] = ([tuple(t.shape) for t in outputs], [str(t.dtype) for t in outputs],
                        np.asarray(model([np.ones((2, 3)), np.arange(8.0).reshape(2, 4)])).tolist())
    assert results[kerasj] == results[keras]
    assert results[keras][0][0] == (None, None)


def test_compute_output_spec_overrides():
    def specs(lib):
        class Plain(lib.layers.Layer):
            def call(self, x):
                return x[:, :2]

            def compute_output_spec(self, x):
                return lib.KerasTensor((x.shape[0], 9), dtype="float16")

        class WithTraining(lib.layers.Layer):
            def call(self, x, training=None):
                return x[:, :2]

            def compute_output_spec(self, x, training=None):
                return lib.KerasTensor((x.shape[0], 7))

        x = lib.Input((3,))
        outputs = (Plain()(x), WithTraining()(x), WithTraining()(x, training=True))
        return [(tuple(t.shape), str(t.dtype)) for t in outputs]

    assert specs(kerasj) == specs(keras)


def test_compute_mask_overrides_are_called_by_position():
    def masks(lib):
        ops = lib.ops

        class KerasName(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.supports_masking = True

            def call(self, x):
                return x * 1.0

            def compute_mask(self, inputs, previous_mask):
                return ops.logical_not(previous_mask)

        class Documented(lib.layers.Layer):
            def call(self, x, mask=None):
                return x * 1.0

            def compute_mask(self, inputs, mask=None):
                return mask

        class OtherNames(lib.layers.Layer):
            def call(self, x):
                return x * 1.0

            def compute_mask(self, x, m):
                return ops.ones(x.shape[:2], "bool")

        out = []
        for cls in (KerasName, Documented, OtherNames):
            embedded = lib.layers.Embedding(4, 2, mask_zero=True)(np.array([[1, 0, 2]]))
            out.append(np.asarray(cls()(embedded)._keras_mask).tolist())
        return out

    assert masks(kerasj) == masks(keras) == [[[False, True, False]], [[True, False, True]], [[True, True, True]]]


# -- config hooks --------------------------------------------------------------------------------------------
def config_forms(lib):
    class Classic(lib.layers.Layer):
        def __init__(self, units=1, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def call(self, x):
            return x

        def get_config(self):
            return {**super().get_config(), "units": self.units}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    class WithCustomObjects(Classic):
        @classmethod
        def from_config(cls, config, custom_objects=None):
            layer = cls(**config)
            layer.units = layer.units * 10
            return layer

    return Classic, WithCustomObjects


def test_get_config_and_from_config_overrides_round_trip():
    results = {}
    for lib in (keras, kerasj):
        results[lib] = []
        for cls in config_forms(lib):
            config = lib.saving.serialize_keras_object(cls(units=4, name=f"probe_{cls.__name__.lower()}"))
            restored = lib.saving.deserialize_keras_object(config, custom_objects={cls.__name__: cls})
            results[lib].append((type(restored).__name__, restored.name, restored.units, config["config"]["units"]))
    assert results[kerasj] == results[keras] == [("Classic", "probe_classic", 4, 4),
                                                 ("WithCustomObjects", "probe_withcustomobjects", 40, 4)]


def saved_hooks(lib):
    class Table(lib.layers.Layer):
        """Builds from a build config of its own form, not from input shapes."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.rows = None

        def build(self, input_shape):
            self.rows = input_shape[-1] + 1
            self.table = self.add_weight(shape=(self.rows, 2), initializer="ones")

        def call(self, x):
            return lib.ops.matmul(x, self.table[1:])

        def get_build_config(self):
            return {"rows": self.rows}

        def build_from_config(self, config):
            self.rows = config["rows"]
            self.table = self.add_weight(shape=(self.rows, 2), initializer="zeros")
            self.built = True

    class Tuned(lib.Model):
        """Saves its compile settings in a compile config of its own form."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.table = Table()

        def call(self, x):
            return self.table(x)

        def get_compile_config(self):
            return {"rate": 0.25, "loss_name": "mae"}

        def compile_from_config(self, config):
            self.compile(optimizer=lib.optimizers.SGD(config["rate"]), loss=config["loss_name"])

    return Table, Tuned


def test_build_config_and_compile_config_overrides_survive_saving(tmp_path):
    results = {}
    for lib in (keras, kerasj):
        table, tuned = saved_hooks(lib)
        model = tuned()
        model.compile(optimizer="adam", loss="mse")
        model(X)
        model.table.table.assign(np.arange(8, dtype=np.float32).reshape(4, 2))
        path = str(tmp_path / f"{lib.__name__}.keras")
        model.save(path)
        loaded = lib.saving.load_model(path, custom_objects={"Table": table, "Tuned": tuned})
        # The optimizer's saved state (Adam's, learning rate included) is loaded into the SGD optimizer
        # compile_from_config made, in both.
        results[lib] = (loaded.table.rows, loaded.table.table.numpy().tolist(), loaded.loss,
                        type(loaded.optimizer).__name__, float(loaded.optimizer.learning_rate),
                        np.asarray(loaded(X)).tolist())
    assert results[kerasj] == results[keras]
    assert results[keras][:4] == (4, np.arange(8.0).reshape(4, 2).tolist(), "mae", "SGD")
