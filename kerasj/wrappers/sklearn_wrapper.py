"""scikit-learn estimators around compiled kerasj models: SKLearnClassifier, SKLearnRegressor, SKLearnTransformer.

    >>> def build(X, y, units=8):
    ...     model = kerasj.Sequential([kerasj.Input((X.shape[1],)), kerasj.layers.Dense(units, activation="relu"),
    ...                                kerasj.layers.Dense(y.shape[1], activation="softmax")])
    ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
    ...     return model
    >>> clf = SKLearnClassifier(build, model_kwargs={"units": 16}, fit_kwargs={"epochs": 5, "verbose": 0})
    >>> clf.fit(X, y).predict(X[:3])        # labels as given in y: array(['cat', 'dog', 'cat'], ...)

This module subclasses scikit-learn's base classes, so it imports scikit-learn at the top; `kerasj.wrappers` loads
it only when one of the classes is first used. Without scikit-learn the classes still import, and constructing one
raises Keras's ImportError.
"""
import copy

import numpy as np

from kerasj.models import Model, clone_model

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import check_is_fitted
except ImportError:
    sklearn = None
    # Distinct stand-ins, so the class statements below still run (a class cannot list one base twice).
    BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin = (
        type(name, (), {}) for name in ("BaseEstimator", "ClassifierMixin", "RegressorMixin", "TransformerMixin"))


def _validate_data(estimator, *args, **kwargs):
    """scikit-learn's input validation (which also sets `n_features_in_` and `feature_names_in_` on fit):
    a function from 1.6 on, a method before."""
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


def _check_model(model, owner):
    if not isinstance(model, Model):
        raise TypeError(f"{owner}: `model` must be a kerasj Model or a callable returning one; it gave "
                        f"{type(model).__name__}: {model!r}")
    if not model.compiled or not model.loss or not model.optimizer:
        raise RuntimeError("Given model needs to be compiled, and have a loss and an optimizer.")


def _clone_compiled(model):
    """A new model like `model` (fresh weights), compiled as it is."""
    clone = clone_model(model)
    # Keras's clone_model compiles the copy when the original was compiled; kerasj's leaves that to the caller.
    if model.compiled and not clone.compiled:
        clone.compile_from_config(model.get_compile_config())
    return clone


class SKLBase(BaseEstimator):
    """What the three wrappers share. Subclasses set how targets are encoded (`_process_target`) and decoded.

    Args:
        model: a compiled kerasj `Model`, or a callable returning one; it is called as
            `model(X=X, y=y, **model_kwargs)` at each fit, with the validated inputs and encoded targets (so a
            classifier's `y` is one-hot, of shape `(n_samples, n_classes)`). A `Model` instance is cloned (new
            weights, same compile arguments) before each fit, unless `warm_start=True`.
        warm_start: if True, each fit after the first continues training the fitted model (`model_`), and a
            `Model` instance is trained itself rather than a clone.
        model_kwargs: keyword arguments for `model` when it is a callable.
        fit_kwargs: keyword arguments for `model.fit` (`epochs`, `batch_size`, `verbose`, ...); those passed to
            `fit` itself take precedence.

    Attributes:
        model_: the fitted model.
        history_: the `History` returned by `model.fit`.
        n_features_in_: the number of input features seen in `fit`.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        if sklearn is None:
            raise ImportError(f"{type(self).__name__} requires `scikit-learn` to be installed. "
                              "Run `pip install scikit-learn` to install it.")
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self):  # scikit-learn < 1.6 reads tags from here
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # weights are initialized randomly
        return tags

    def __sklearn_clone__(self):
        """An unfitted copy with the same parameters (`sklearn.base.clone`). The model itself is shared rather
        than deep-copied: a `Model` instance is cloned at each fit anyway, and a function needs no copy."""
        params = {name: value if name == "model" else sklearn.base.clone(value, safe=False)
                  for name, value in self.get_params(deep=False).items()}
        new = type(self)(**params)
        for attribute in ("_metadata_request", "_sklearn_output_config"):  # what sklearn's own clone carries over
            if hasattr(self, attribute):
                setattr(new, attribute, copy.deepcopy(getattr(self, attribute)))
        return new

    @property
    def epoch_(self):
        """The number of epochs the latest fit ran (0 before any fit)."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def set_fit_request(self, **kwargs):
        """Ask a meta-estimator to route these `fit` parameters (e.g. `sample_weight=True`) to this estimator's
        `fit`, which passes them on to `model.fit`. Needs `sklearn.set_config(enable_metadata_routing=True)`.

        >>> sklearn.set_config(enable_metadata_routing=True)
        >>> make_pipeline(StandardScaler(), clf.set_fit_request(sample_weight=True)).fit(X, y, sample_weight=w)
        """
        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError("This method is only available when metadata routing is enabled. You can enable it "
                               "using sklearn.set_config(enable_metadata_routing=True).")
        request = self._get_metadata_request()
        for param, alias in kwargs.items():
            request.fit.add_request(param=param, alias=alias)
        self._metadata_request = request
        return self

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return self.model if self.warm_start else _clone_compiled(self.model)
        if not callable(self.model):
            raise TypeError(f"{type(self).__name__}: `model` must be a kerasj Model or a callable returning one; "
                            f"received {type(self.model).__name__}: {self.model!r}")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Train on `X` (n_samples, n_features) and `y` (n_samples,); `kwargs` go to `model.fit`. Returns self."""
        X, y = _validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_model(model, type(self).__name__)
        self.history_ = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions for `X`, decoded as the targets were given to `fit`."""
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X))

    def _process_target(self, y, reset=False):
        """Targets as the model trains on them: a 1-D `y` becomes one column (regressors and transformers)."""
        _check_target_type(y)
        if reset:
            self._target_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _reverse_process_target(self, y):
        # Back to 1-D when fit saw 1-D targets; squeezing fails loudly if the model has several outputs per row.
        return np.squeeze(y, axis=1) if self._target_ndim == 1 and y.ndim == 2 else y


def _check_target_type(y):
    target_type = type_of_target(y)
    if target_type == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return target_type


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier around a kerasj model (see `SKLBase` for the arguments).

    Labels (any values scikit-learn accepts: ints, strings, ...) are one-hot encoded in sorted order for the
    model, so it needs one output per class (two for a binary problem) and a loss such as
    `categorical_crossentropy`. `predict` returns the label of each row's largest output; `decision_function`
    returns the outputs themselves. `score` is the accuracy.

    >>> clf = SKLearnClassifier(build, fit_kwargs={"epochs": 5, "verbose": 0}).fit(X, ["no", "yes", ...])
    >>> clf.classes_
    array(['no', 'yes'], dtype='<U3')

    Attributes:
        classes_: the sorted class labels.
    """

    def decision_function(self, X):
        """The model's raw outputs for `X`, one column per class in `classes_` order."""
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _process_target(self, y, reset=False):
        target_type = _check_target_type(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {target_type}")
        column = y.reshape(-1, 1) if y.ndim == 1 else y
        if reset:
            self._target_ndim = y.ndim
            self._target_encoder = OneHotEncoder(sparse_output=False).fit(column)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(column)

    def _reverse_process_target(self, y):
        # OneHotEncoder decodes each row to the class of its largest value, so probabilities and logits both work.
        return super()._reverse_process_target(self._target_encoder.inverse_transform(y))

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # a few epochs on scikit-learn's test data
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A scikit-learn regressor around a kerasj model (see `SKLBase` for the arguments): `y` of shape
    (n_samples,) is given to the model as one column, and `predict` returns (n_samples,). `score` is R^2.

    >>> reg = SKLearnRegressor(build, fit_kwargs={"epochs": 20, "verbose": 0}).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A scikit-learn transformer around a kerasj model (see `SKLBase` for the arguments): `fit` trains the model
    on `(X, y)`, and `transform` returns the model's outputs, e.g. an embedding for the next pipeline step.

    >>> pipe = make_pipeline(SKLearnTransformer(build_encoder, fit_kwargs={"verbose": 0}), LogisticRegression())
    >>> pipe.fit(X, y).score(X, y)
    """

    def transform(self, X):
        """The model's outputs for `X`, of shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _more_tags(self):
        return {"preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # outputs are the model's float32, whatever came in
        return tags
