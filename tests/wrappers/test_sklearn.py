"""kerasj.wrappers against Keras 3's keras.wrappers: the same model (same starting weights, set with set_weights
in the `model` callable) fitted by both wrappers gives the same predictions, scores and errors; the estimators work
with sklearn's clone, Pipeline, GridSearchCV and metadata routing, and pass scikit-learn's estimator checks.

The estimator checks fit a new model in most checks (one compile each, ~2 s here), ~150 s for the full suite of
the three wrappers: the checks run here are the ones that need no fit (construction, parameters, tags, cloning,
input validation, unfitted errors) and one check that fits and predicts (FITTING_CHECKS)."""
import inspect
import subprocess
import sys

import keras
import numpy as np
import pytest
import sklearn
from keras.src.wrappers import utils as keras_wrapper_utils
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import estimator_checks_generator

import kerasj
from kerasj.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

WRAPPERS = {"SKLearnClassifier": (SKLearnClassifier, keras.wrappers.SKLearnClassifier),
            "SKLearnRegressor": (SKLearnRegressor, keras.wrappers.SKLearnRegressor),
            "SKLearnTransformer": (SKLearnTransformer, keras.wrappers.SKLearnTransformer)}
FIT = {"epochs": 2, "batch_size": 10, "shuffle": False, "verbose": 0}

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 4)).astype("float32")
Y_CLASS = np.array(["cat", "dog", "emu"])[np.arange(40) % 3]
Y_REG = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=40)).astype("float32")


def _build(lib, X, y, hidden, activation, loss):
    """The same small MLP in Keras or kerasj, with the same starting weights in both."""
    model = lib.Sequential([lib.Input((X.shape[1],)), lib.layers.Dense(hidden, activation="relu"),
                            lib.layers.Dense(y.shape[1], activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    weights = np.random.default_rng(1)
    model.set_weights([weights.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def kerasj_classifier_model(X, y, hidden=8):
    return _build(kerasj, X, y, hidden, "softmax", "categorical_crossentropy")


def keras_classifier_model(X, y, hidden=8):
    return _build(keras, X, y, hidden, "softmax", "categorical_crossentropy")


def kerasj_regressor_model(X, y, hidden=8):
    return _build(kerasj, X, y, hidden, None, "mse")


def keras_regressor_model(X, y, hidden=8):
    return _build(keras, X, y, hidden, None, "mse")


def _pair(name, build_ours, build_theirs, **kwargs):
    ours, theirs = WRAPPERS[name]
    return ours(build_ours, **kwargs), theirs(build_theirs, **kwargs)


@pytest.fixture(scope="module")
def pipelines():
    """A StandardScaler + classifier pipeline, fitted in kerasj and in Keras from the same starting weights."""
    ours, theirs = _pair("SKLearnClassifier", kerasj_classifier_model, keras_classifier_model,
                         model_kwargs={"hidden": 6}, fit_kwargs=FIT)
    ours, theirs = make_pipeline(StandardScaler(), ours), make_pipeline(StandardScaler(), theirs)
    return ours.fit(X, Y_CLASS), theirs.fit(X, Y_CLASS)


def test_names_signatures_tags_and_public_methods_match_keras():
    assert sorted(kerasj.wrappers.__all__) == sorted(n for n in dir(keras.wrappers) if not n.startswith("_"))
    public = lambda cls: {n for n in dir(cls) if not n.startswith("_")}
    for ours, theirs in WRAPPERS.values():
        signature = inspect.signature(ours)
        assert str(signature) == "(model, warm_start=False, model_kwargs=None, fit_kwargs=None)"
        assert signature == inspect.signature(theirs)
        assert public(ours) == public(theirs)
        assert ours(None).__sklearn_tags__() == theirs(None).__sklearn_tags__()


def test_scikit_learn_loads_with_the_classes_and_its_absence_raises_keras_import_error(monkeypatch):
    # In a fresh interpreter: importing the package loads neither scikit-learn nor models; with scikit-learn
    # missing, the classes still load and constructing one raises.
    code = ("import sys, kerasj.wrappers\n"
            "print([m for m in ('sklearn', 'kerasj.models') if m in sys.modules])\n"
            "sys.modules['sklearn'] = None  # what a missing package looks like to `import`\n"
            "try:\n    kerasj.wrappers.SKLearnClassifier(None)\n"
            "except ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, message = out.strip().split("\n")
    monkeypatch.setattr(keras_wrapper_utils, "sklearn", None)
    with pytest.raises(ImportError) as raised:
        keras.wrappers.SKLearnClassifier(keras_classifier_model)
    assert before == "[]" and message == str(raised.value) and "scikit-learn" in message


def test_classifier_in_a_pipeline_matches_keras_with_the_same_weights(pipelines):
    ours_pipe, theirs_pipe = pipelines
    ours, theirs = ours_pipe[-1], theirs_pipe[-1]
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(ours.history_.history["loss"], theirs.history_.history["loss"], rtol=1e-5)
    scaled = ours_pipe[0].transform(X)
    scores = ours.decision_function(scaled)
    np.testing.assert_allclose(scores, theirs.decision_function(scaled), rtol=1e-5, atol=1e-6)
    predicted, expected = ours_pipe.predict(X), theirs_pipe.predict(X)
    np.testing.assert_array_equal(predicted, expected)
    assert predicted.dtype == expected.dtype and predicted.shape == (40,)
    np.testing.assert_array_equal(predicted, ours.classes_[scores.argmax(axis=1)])  # labels of the largest output
    assert ours_pipe.score(X, Y_CLASS) == theirs_pipe.score(X, Y_CLASS) == np.mean(predicted == Y_CLASS)
    assert ours.n_features_in_ == theirs.n_features_in_ == 4
    assert ours.model_.output_shape == (None, 3) and ours.epoch_ == 2


def test_regressor_matches_keras_with_the_same_weights():
    ours, theirs = _pair("SKLearnRegressor", kerasj_regressor_model, keras_regressor_model, fit_kwargs=FIT)
    ours.fit(X, Y_REG), theirs.fit(X, Y_REG)
    predicted = ours.predict(X)
    np.testing.assert_allclose(predicted, theirs.predict(X), rtol=1e-5, atol=1e-5)
    assert predicted.shape == (40,)
    np.testing.assert_allclose(ours.score(X, Y_REG), theirs.score(X, Y_REG), rtol=1e-5)


def test_transformer_on_a_model_instance_transforms_with_a_compiled_clone():
    model = kerasj_regressor_model(X, np.zeros((1, 1)))
    before = [w.copy() for w in model.get_weights()]
    est = SKLearnTransformer(model, fit_kwargs={**FIT, "epochs": 1})
    out = est.fit_transform(X, Y_REG)
    assert est.model_ is not model and est.model_.compiled and est.model_.loss == model.loss
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))  # the given model is untouched
    np.testing.assert_allclose(out, est.model_.predict(X, verbose=0), rtol=1e-6)
    assert out.shape == (40, 1) and sklearn.base.clone(est).model is model


def test_warm_start_continues_training_the_fitted_model(pipelines):
    fitted_for_two_epochs = pipelines[0][-1]
    scaled = pipelines[0][0].transform(X)
    est = SKLearnClassifier(kerasj_classifier_model, warm_start=True, model_kwargs={"hidden": 6},
                            fit_kwargs={**FIT, "epochs": 1})
    first = est.fit(scaled, Y_CLASS).model_
    assert est.fit(scaled, Y_CLASS).model_ is first and est.epoch_ == 1
    # Two one-epoch fits from the same starting weights and optimizer state end where one two-epoch fit does.
    for a, b in zip(first.get_weights(), fitted_for_two_epochs.model_.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_get_params_set_params_and_clone():
    est = SKLearnClassifier(kerasj_classifier_model, model_kwargs={"hidden": 4}, fit_kwargs=dict(FIT))
    assert est.get_params() == {"model": kerasj_classifier_model, "warm_start": False, "model_kwargs": {"hidden": 4},
                                "fit_kwargs": FIT}
    assert est.set_params(warm_start=True, model_kwargs={"hidden": 5}) is est
    assert est.warm_start is True and est.model_kwargs == {"hidden": 5}
    copy = sklearn.base.clone(est)
    # Unlike Keras 3.15 (whose clone drops fit_kwargs), every parameter survives, as sklearn's contract says.
    assert copy.get_params() == est.get_params() and copy.fit_kwargs is not est.fit_kwargs
    assert copy.model is est.model and not hasattr(copy, "model_")


def test_errors_match_keras():
    def uncompiled(lib):
        return lambda X, y: lib.Sequential([lib.Input((4,)), lib.layers.Dense(3)])

    cases = [("SKLearnClassifier", kerasj_classifier_model, keras_classifier_model, Y_REG),  # continuous target
             ("SKLearnClassifier", kerasj_classifier_model, keras_classifier_model, np.zeros(40)),  # one class
             ("SKLearnRegressor", kerasj_regressor_model, keras_regressor_model,
              np.array([{"a": i} for i in range(40)], dtype=object)),  # unknown target type
             ("SKLearnRegressor", uncompiled(kerasj), uncompiled(keras), Y_REG)]
    for name, build_ours, build_theirs, y in cases:
        ours, theirs = _pair(name, build_ours, build_theirs)
        with pytest.raises(Exception) as raised_ours:
            ours.fit(X, y)
        with pytest.raises(Exception) as raised_theirs:
            theirs.fit(X, y)
        assert type(raised_ours.value) is type(raised_theirs.value)
        assert str(raised_ours.value) == str(raised_theirs.value)
    for ours, _ in WRAPPERS.values():
        with pytest.raises(sklearn.exceptions.NotFittedError):
            ours(kerasj_regressor_model).predict(X)
    with pytest.raises(TypeError, match="`model` must be a kerasj Model or a callable"):
        SKLearnRegressor(3).fit(X, Y_REG)
    with pytest.raises(TypeError, match="`model` must be a kerasj Model"):
        SKLearnRegressor(lambda X, y: "not a model").fit(X, Y_REG)


def test_grid_search_fits_each_candidate_with_its_own_fit_kwargs():
    grid = [{**FIT, "epochs": 1}, {**FIT, "epochs": 3}]
    search = GridSearchCV(SKLearnRegressor(kerasj_regressor_model), {"fit_kwargs": grid}, cv=2, refit=False)
    search.fit(X, Y_REG)
    assert search.cv_results_["params"] == [{"fit_kwargs": g} for g in grid]
    # Same starting weights and folds: only the epochs differ, so the scores differ only if cloning kept
    # fit_kwargs (with Keras 3.15's clone, which drops them, both candidates train one epoch and tie).
    first, second = search.cv_results_["mean_test_score"]
    assert np.isfinite(first) and np.isfinite(second) and first != second


def test_set_fit_request_routes_fit_parameters_to_model_fit():
    model = kerasj_classifier_model(X, np.zeros((1, 3)))
    start = [w.copy() for w in model.get_weights()]
    est = SKLearnClassifier(model, warm_start=True, fit_kwargs=FIT)
    with pytest.raises(RuntimeError) as raised_ours:
        est.set_fit_request(sample_weight=True)
    with pytest.raises(RuntimeError) as raised_theirs:
        keras.wrappers.SKLearnClassifier(keras_classifier_model).set_fit_request(sample_weight=True)
    assert str(raised_ours.value) == str(raised_theirs.value)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False),
                             est.set_fit_request(sample_weight=True))
        pipe.fit(X, Y_CLASS, sample_weight=np.zeros(40))
    # warm_start on a Model instance trains that very model, and all-zero sample weights make every loss (and
    # gradient) zero, so its weights stay where they started.
    assert est.model_ is model
    assert all(np.allclose(a, b) for a, b in zip(model.get_weights(), start))


# Keras 3.15's expected failures (keras/src/wrappers/sklearn_test.py, same reasons), plus kerasj's own: its models
# cannot be pickled yet, and its regressor and transformer fits are random like the classifier's (Keras's test
# models end in a softmax over one unit for these two, a constant output, so reproducibility checks pass there).
NOT_REPRODUCIBLE = "This test assumes reproducibility in fit."
EXPECTED_FAILED_CHECKS = {
    "SKLearnClassifier": {"check_classifiers_regression_target": "not an issue in sklearn>=1.6",
                          "check_parameters_default_constructible": "not an issue in sklearn>=1.6",
                          "check_classifiers_one_label_sample_weights": "0 sample weight is not ignored",
                          "check_classifiers_classes": "with small test cases the estimator returns not all "
                                                       "classes sometimes",
                          "check_classifier_data_not_an_array": NOT_REPRODUCIBLE,
                          "check_supervised_y_2d": NOT_REPRODUCIBLE, "check_fit_idempotent": NOT_REPRODUCIBLE,
                          "check_classifiers_train": "decision_function can return both probabilities and logits"},
    "SKLearnRegressor": {"check_parameters_default_constructible": "not an issue in sklearn>=1.6",
                         **dict.fromkeys(["check_regressor_data_not_an_array", "check_supervised_y_2d",
                                          "check_regressors_int", "check_fit_idempotent"], NOT_REPRODUCIBLE)},
    "SKLearnTransformer": {"check_parameters_default_constructible": "not an issue in sklearn>=1.6",
                           "check_fit_idempotent": NOT_REPRODUCIBLE},
}
for _failures in EXPECTED_FAILED_CHECKS.values():
    _failures["check_estimators_pickle"] = "kerasj models cannot be pickled yet"
NO_FIT_CHECKS = {
    "check_estimator_cloneable", "check_estimator_tags_renamed", "check_valid_tag_types", "check_estimator_repr",
    "check_no_attributes_set_in_init", "check_estimators_unfitted", "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order", "check_complex_data", "check_estimators_empty_data_messages", "check_estimator_sparse_tag",
    "check_estimator_sparse_array", "check_estimator_sparse_matrix", "check_classifiers_one_label",
    "check_classifiers_regression_target", "check_supervised_y_no_nan", "check_non_transformer_estimators_n_iter",
    "check_decision_proba_consistency", "check_parameters_default_constructible",
    "check_get_params_invariance", "check_set_params", "check_fit1d", "check_requires_y_none",
    "check_estimators_partial_fit_n_features", "check_transformers_unfitted", "check_transformer_n_iter"}
# One check that fits (and then checks the feature count at predict), for the classifier.
FITTING_CHECKS = {"SKLearnClassifier": "check_n_features_in_after_fitting"}


def checks_model(X, y, loss, activation="softmax"):
    """Keras's test model (one hidden layer), sized for the data scikit-learn's checks pass."""
    inputs = kerasj.Input((X.shape[1],))
    hidden = kerasj.layers.Dense(8, activation="relu")(inputs)
    model = kerasj.Model(inputs, kerasj.layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation=activation)(hidden))
    model.compile(optimizer="rmsprop", loss=loss)
    return model


CHECKED = [SKLearnClassifier(checks_model, model_kwargs={"loss": "categorical_crossentropy"},
                             fit_kwargs={"verbose": 0}),
           SKLearnRegressor(checks_model, model_kwargs={"loss": "mse", "activation": None}, fit_kwargs={"verbose": 0}),
           SKLearnTransformer(checks_model, model_kwargs={"loss": "mse", "activation": None},
                              fit_kwargs={"verbose": 0})]


def _check_name(check):
    return getattr(check, "func", check).__name__


def _selected_checks():
    for estimator in CHECKED:
        name, expected = type(estimator).__name__, EXPECTED_FAILED_CHECKS[type(estimator).__name__]
        for est, check in estimator_checks_generator(estimator):
            check_name = _check_name(check)
            if check_name in NO_FIT_CHECKS or check_name == FITTING_CHECKS.get(name):
                # Not strict, as in Keras's test: some expected failures pass with recent scikit-learn.
                marks = [pytest.mark.xfail(reason=expected[check_name])] if check_name in expected else []
                yield pytest.param(est, check, id=f"{name}-{check_name}", marks=marks)


@pytest.mark.parametrize("estimator, check", list(_selected_checks()))
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
