"""keras.wrappers: scikit-learn estimators (classifier, regressor, transformer) around compiled kerasj models.

    >>> clf = kerasj.wrappers.SKLearnClassifier(build_model, fit_kwargs={"epochs": 5, "verbose": 0})
    >>> sklearn.model_selection.cross_val_score(clf, X, y, cv=3)

The classes load (with scikit-learn) on first use, so importing this package imports neither scikit-learn nor
kerasj's models.
"""
from kerasj.utils.lazy import lazy_attributes as _lazy_attributes

_NAMES = dict.fromkeys(["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"],
                       "kerasj.wrappers.sklearn_wrapper")
__all__ = list(_NAMES)

__getattr__, __dir__ = _lazy_attributes("kerasj.wrappers", globals(), _NAMES)
