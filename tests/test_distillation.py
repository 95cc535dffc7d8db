"""kerasj.distillation compared with keras.distillation (Keras 3, JAX backend): the same teacher and student
(weights copied with set_weights) distilled on the same data give the same losses and student weights; the
distillation losses give Keras's values; configs round-trip (also across the two libraries); bad arguments
fail with Keras's messages."""
import inspect
import json

import keras
import numpy as np
import pytest

import kerasj
from kerasj import distillation

NAMES = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 4)).astype("float32")
Y = RNG.integers(0, 3, 16)
TEACHER_OUT = RNG.normal(size=(8, 3)).astype("float32")
STUDENT_OUT = RNG.normal(size=(8, 3)).astype("float32")


def _teacher(lib):
    inputs = lib.Input((4,))
    features = lib.layers.Dense(6, activation="relu", name="feat")(inputs)
    hidden = lib.layers.Dense(8, activation="relu", name="hidden")(features)
    return lib.Model(inputs, lib.layers.Dense(3, name="logits")(hidden), name="teacher")


def _student(lib, classes=3):
    inputs = lib.Input((4,))
    features = lib.layers.Dense(6, activation="tanh", name="feat")(inputs)
    return lib.Model(inputs, lib.layers.Dense(classes, name="logits")(features), name="student")


def _pair(build, **kwargs):
    ours, theirs = build(kerasj, **kwargs), build(keras, **kwargs)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


@pytest.fixture(scope="module")
def models():
    """Untrained teacher, student and a student with 4 outputs per library, the same weights in both."""
    (jt, kt), (js, ks), (j4, k4) = _pair(_teacher), _pair(_student), _pair(_student, classes=4)
    return {kerasj: (jt, js, j4), keras: (kt, ks, k4)}


def _losses(lib):
    return [lib.distillation.LogitsDistillation(temperature=2.0),
            lib.distillation.LogitsDistillation(temperature=4.0, loss=lib.losses.KLDivergence()),
            lib.distillation.FeatureDistillation(loss="mse", teacher_layer_name="feat", student_layer_name="feat")]


def _distillers(**kwargs):
    (jt, kt), (js, ks) = _pair(_teacher), _pair(_student)
    options = dict(distillation_loss_weights=[1.0, 0.5, 0.25], student_loss_weight=0.3, **kwargs)
    return (distillation.Distiller(jt, js, _losses(kerasj), **options),
            keras.distillation.Distiller(kt, ks, _losses(keras), **options))


def _close(a, b, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=atol)


@pytest.fixture(scope="module")
def distilled():
    """The same distillation run in both libraries: two epochs of SGD on 16 samples, batches of 8."""
    ours, theirs = _distillers()
    teacher_weights = [w.copy() for w in theirs.teacher.get_weights()]
    histories = []
    for model, lib in ((ours, kerasj), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        histories.append(model.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0).history)
    return ours, theirs, histories, teacher_weights


METHODS = {"DistillationLoss": ["compute_loss", "validate_outputs", "validate_model_compatibility"],
           "LogitsDistillation": ["__init__", "compute_loss", "get_config", "from_config"],
           "FeatureDistillation": ["__init__", "compute_loss", "validate_outputs", "validate_model_compatibility",
                                   "get_config", "from_config"],
           "Distiller": ["__init__", "compile", "call", "compute_loss", "get_config", "from_config"]}


def test_names_and_signatures_match_keras():
    assert sorted(distillation.__all__) == NAMES == sorted(METHODS)
    for name, methods in METHODS.items():
        ours, theirs = getattr(distillation, name), getattr(keras.distillation, name)
        for method in methods:
            assert inspect.signature(getattr(ours, method)) == inspect.signature(getattr(theirs, method)), \
                (name, method)
    assert issubclass(distillation.Distiller, kerasj.Model)


def test_fit_gives_keras_losses_and_student_weights(distilled):
    ours, theirs, (ours_history, theirs_history), _ = distilled
    assert sorted(ours_history) == sorted(theirs_history) == ["accuracy", "distillation_loss", "loss",
                                                              "student_loss", "total_loss"]
    for key in theirs_history:
        _close(ours_history[key], theirs_history[key])
    for a, b in zip(ours.student.get_weights(), theirs.student.get_weights()):
        _close(a, b)
    assert not np.allclose(ours_history["loss"][0], ours_history["loss"][1])  # it trained


def test_only_the_student_trains(distilled):
    ours, theirs, _, teacher_weights = distilled
    for a, b in zip(ours.teacher.get_weights(), teacher_weights):
        np.testing.assert_array_equal(a, b)
    assert not ours.teacher.trainable
    assert [id(v) for v in ours.trainable_weights] == [id(v) for v in ours.student.trainable_weights]
    assert len(ours.weights) == len(theirs.weights) == len(ours.teacher.weights) + len(ours.student.weights)
    assert ours.metrics_names == theirs.metrics_names == ["loss", "compile_metrics", "student_loss",
                                                          "distillation_loss", "total_loss"]


def test_evaluate_predict_and_call_run_the_student(distilled):
    ours, theirs, _, _ = distilled
    got, expected = ours.evaluate(X, Y, verbose=0, return_dict=True), theirs.evaluate(X, Y, verbose=0,
                                                                                      return_dict=True)
    assert sorted(got) == sorted(expected)
    for key in expected:
        _close(got[key], expected[key])
    _close(ours.predict(X, verbose=0), theirs.predict(X, verbose=0))
    _close(ours(X), ours.student(X))


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_compute_loss_at_the_ends_of_student_loss_weight(models, weight):
    got, expected = (
        _one_loss(lib, models, lib.distillation.LogitsDistillation(), student_loss_weight=weight,
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True)) for lib in (kerasj, keras))
    _close(got[0], expected[0])
    ours = got[1]
    assert float(ours.student_loss_tracker.result()) == pytest.approx(float(got[0]) if weight else 0.0, abs=1e-6)
    assert float(ours.distillation_loss_tracker.result()) == pytest.approx(0.0 if weight else float(got[0]),
                                                                           abs=1e-6)


def _one_loss(lib, models, distillation_loss, loss="mse", **kwargs):
    """The distiller of `models[lib]` with `distillation_loss`, and its compute_loss on X, Y."""
    teacher, student, _ = models[lib]
    model = lib.distillation.Distiller(teacher, student, distillation_loss, **kwargs)
    model.compile(loss=loss)
    return model.compute_loss(X, Y, model(X)), model


# -- the distillation losses on fixed inputs --------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda lib: lib.distillation.LogitsDistillation(),
    lambda lib: lib.distillation.LogitsDistillation(temperature=5, loss=lib.losses.KLDivergence()),
    lambda lib: lib.distillation.LogitsDistillation(1.5, loss=lib.losses.CategoricalCrossentropy(from_logits=True)),
    lambda lib: lib.distillation.LogitsDistillation(2.0, loss="mse"),
    lambda lib: lib.distillation.FeatureDistillation(),
    lambda lib: lib.distillation.FeatureDistillation(loss="cosine_similarity"),
    lambda lib: lib.distillation.FeatureDistillation(loss=lib.losses.MeanAbsoluteError()),
])
def test_distillation_loss_values_match_keras(make):
    got = make(kerasj).compute_loss(TEACHER_OUT, STUDENT_OUT)
    assert np.ndim(got) == 0
    _close(got, make(keras).compute_loss(TEACHER_OUT, STUDENT_OUT))


def test_kl_divergence_instance_is_the_soft_target_loss():
    t = 3.0
    p, q = (np.exp(a / t) / np.exp(a / t).sum(-1, keepdims=True) for a in (TEACHER_OUT, STUDENT_OUT))
    expected = np.mean(np.sum(p * np.log(p / q), axis=-1)) * t ** 2
    got = distillation.LogitsDistillation(t, loss=kerasj.losses.KLDivergence()).compute_loss(TEACHER_OUT, STUDENT_OUT)
    _close(got, expected)


@pytest.mark.parametrize("cls", ["LogitsDistillation", "FeatureDistillation"])
def test_structured_losses_skip_outputs_without_a_loss(cls):
    outputs_t, outputs_s = [TEACHER_OUT, TEACHER_OUT * 2], [STUDENT_OUT, STUDENT_OUT + 1]
    for loss in (["mse", None], [None, "mae"], ["mse", "mae"]):
        got = getattr(distillation, cls)(loss=loss).compute_loss(outputs_t, outputs_s)
        _close(got, getattr(keras.distillation, cls)(loss=loss).compute_loss(outputs_t, outputs_s))
    feature = distillation.FeatureDistillation(loss=["mse", None])
    with pytest.raises(ValueError, match="Loss structure mismatch"):
        feature.validate_outputs(TEACHER_OUT, STUDENT_OUT)
    with pytest.raises(ValueError, match="same nested structure"):
        feature.validate_outputs(outputs_t, STUDENT_OUT)


@pytest.mark.filterwarnings("ignore:The structure of `inputs`")  # Keras's own feature extractor warns
def test_distiller_feature_loss_on_intermediate_layers_matches_keras(models):
    got, expected = (_one_loss(lib, models, lib.distillation.FeatureDistillation(
        loss="mse", teacher_layer_name="feat", student_layer_name="feat"), student_loss_weight=0.0)[0]
        for lib in (kerasj, keras))
    _close(got, expected)
    # By hand: the mean squared difference of the two "feat" layers' outputs.
    teacher, student, _ = models[kerasj]
    features = lambda m: np.asarray(kerasj.Model(m.inputs, m.get_layer("feat").output)(X))
    _close(got, np.mean((features(teacher) - features(student)) ** 2))


# -- configs ---------------------------------------------------------------------------------------------------

def test_loss_configs_round_trip():
    for loss in (distillation.LogitsDistillation(2.5, loss=kerasj.losses.KLDivergence()),
                 distillation.FeatureDistillation(loss=["mse", None], teacher_layer_name="a", student_layer_name="b")):
        config = json.loads(json.dumps(loss.get_config()))
        again = type(loss).from_config(config)
        assert again.get_config() == loss.get_config()
    assert distillation.FeatureDistillation.from_config(
        distillation.FeatureDistillation().get_config()).loss is kerasj.losses.mean_squared_error


def test_distiller_config_round_trips_and_matches_keras_format(distilled):
    ours, theirs, _, _ = distilled
    config = ours.get_config()
    expected = theirs.get_config()
    assert list(config) == list(expected)
    strip = lambda c: {k: v for k, v in c.items() if k not in ("teacher", "student")}
    assert json.loads(json.dumps(strip(config))) == json.loads(json.dumps(strip(expected)))
    again = distillation.Distiller.from_config(json.loads(json.dumps(config)))
    assert isinstance(again, distillation.Distiller) and again is not ours
    assert again.distillation_loss_weights == [1.0, 0.5, 0.25] and again.student_loss_weight == 0.3
    assert [type(l).__name__ for l in again.distillation_losses] == ["LogitsDistillation", "LogitsDistillation",
                                                                     "FeatureDistillation"]
    assert not again.teacher.trainable and again.student.get_layer("feat").units == 6
    # Keras reads kerasj's config, and kerasj reads Keras's.
    assert isinstance(keras.distillation.Distiller.from_config(json.loads(json.dumps(config))),
                      keras.distillation.Distiller)
    from_keras = distillation.Distiller.from_config(json.loads(json.dumps(expected)))
    assert from_keras.distillation_losses[1].temperature == 4.0


def test_save_and_load_keeps_the_student_and_leaves_compiling_to_the_user(distilled, tmp_path):
    ours, _, _, _ = distilled
    path = str(tmp_path / "distiller.keras")
    ours.save(path)
    with pytest.warns(UserWarning, match="`compile\\(\\)` was not called as part of model loading"):
        loaded = kerasj.models.load_model(path)
    assert isinstance(loaded, distillation.Distiller) and not loaded.compiled
    for a, b in zip(loaded.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(a, b)
    loaded.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    _close(loaded.evaluate(X, Y, verbose=0, return_dict=True)["loss"],
           ours.evaluate(X, Y, verbose=0, return_dict=True)["loss"])


# -- errors ----------------------------------------------------------------------------------------------------

def _same_error(call, exception=ValueError):
    """`call(lib)` raises the same exception with the same message in kerasj and Keras; returns the message."""
    messages = []
    for lib in (kerasj, keras):
        with pytest.raises(exception) as info:
            call(lib)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    return messages[0]


def test_constructor_errors_match_keras(models):
    D = lambda lib, *args, **kw: lib.distillation.Distiller(*args, **kw)
    logits = lambda lib: lib.distillation.LogitsDistillation()
    pair = lambda lib: models[lib][:2]
    assert "Teacher must be a keras.Model, got <class 'str'>" == _same_error(
        lambda lib: D(lib, "teacher", models[lib][1], logits(lib)))
    _same_error(lambda lib: D(lib, models[lib][0], 3, logits(lib)))
    assert "output shapes are incompatible" in _same_error(
        lambda lib: D(lib, models[lib][0], models[lib][2], logits(lib)))
    assert "between 0.0 and 1.0, got 1.5" in _same_error(
        lambda lib: D(lib, *pair(lib), logits(lib), student_loss_weight=1.5))
    _same_error(lambda lib: D(lib, *pair(lib), logits(lib), student_loss_weight="0.5"))
    assert "cannot be `None`" in _same_error(lambda lib: D(lib, *pair(lib), None))
    assert "(1) must match number of distillation_losses (2)" in _same_error(
        lambda lib: D(lib, *pair(lib), [logits(lib), logits(lib)], distillation_loss_weights=[1.0]))


def test_distillation_loss_errors_match_keras():
    assert _same_error(lambda lib: lib.distillation.LogitsDistillation(temperature=0)) == \
        "temperature must be positive."
    assert "must be a number, got <class 'str'>" in _same_error(
        lambda lib: lib.distillation.LogitsDistillation(temperature="3"))
    _same_error(lambda lib: lib.distillation.LogitsDistillation(loss=[None, None]))
    assert "at least one non-`None` value" in _same_error(lambda lib: lib.distillation.FeatureDistillation(loss=None))


def test_feature_layer_errors_match_keras(models):
    class Subclassed:
        def __init__(self, lib):
            class Net(lib.Model):
                def __init__(self):
                    super().__init__()
                    self.dense = lib.layers.Dense(3)

                def call(self, x):
                    return self.dense(x)
            self.model = Net()

    feature = lambda lib, **kw: lib.distillation.FeatureDistillation(teacher_layer_name="feat", **kw)
    message = _same_error(lambda lib: lib.distillation.Distiller(models[lib][0], Subclassed(lib).model,
                                                                 feature(lib)))
    assert "The student model(s) appear to be subclassed" in message
    for lib in (kerasj, keras):
        with pytest.raises(ValueError, match="In student model: .*nope"):
            lib.distillation.Distiller(*models[lib][:2], feature(lib, student_layer_name="nope"))


def test_compile_and_custom_loss_errors_match_keras(models):
    def distiller(lib, loss):
        return lib.distillation.Distiller(*models[lib][:2], loss, student_loss_weight=0.0)

    assert _same_error(lambda lib: distiller(lib, lib.distillation.LogitsDistillation()).compile()) == \
        "'loss' cannot be `None`."
    assert _same_error(lambda lib: distiller(lib, lib.distillation.LogitsDistillation()).compile(
        loss="mse", metrics="mae")) == "metrics must be a list or tuple, got <class 'str'>"

    def per_sample(lib):
        class PerSample(lib.distillation.DistillationLoss):
            def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
                return lib.ops.sum(teacher_outputs - student_outputs, axis=-1)
        model = distiller(lib, PerSample())
        model.compile(loss="mse")
        return model.compute_loss(X, Y, model(X))

    assert "returned a non-scalar loss with shape (16,)" in _same_error(per_sample)
    with pytest.raises(NotImplementedError):
        distillation.DistillationLoss().compute_loss(TEACHER_OUT, STUDENT_OUT)
