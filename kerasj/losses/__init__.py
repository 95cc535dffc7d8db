"""Losses, as in `keras.losses`: per-sample loss functions, `Loss` classes that reduce them, and `get`.

A loss function maps `(y_true, y_pred)` to one value per sample (it reduces the last axis). A `Loss` object
calls its function, weights the values by `sample_weight` and reduces them to a scalar:

    >>> mse = kerasj.losses.MeanSquaredError()
    >>> mse([[0.0, 1.0]], [[1.0, 1.0]])            # mean over all values: 0.5
    >>> kerasj.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])   # per sample: [0.5]

Everything here is pure `jax.numpy`, so it runs under `jax.jit` and differentiates with `jax.grad`. The
families live in their own modules: loss.py (base classes, reductions, lookup), regression.py,
probabilistic.py, hinge.py, segmentation.py, ctc.py and metric_learning.py.
"""
from kerasj.losses.ctc import CTC, ctc
from kerasj.losses.hinge import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from kerasj.losses.loss import (REDUCTIONS, Loss, LossFunctionWrapper, deserialize, get, register_builtins,
                                serialize)
from kerasj.losses.metric_learning import Circle, circle
from kerasj.losses.probabilistic import (BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
                                         CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy,
                                         KLDivergence, Poisson, SparseCategoricalCrossentropy, binary_crossentropy,
                                         binary_focal_crossentropy, categorical_crossentropy,
                                         categorical_focal_crossentropy, categorical_generalized_cross_entropy,
                                         kl_divergence, poisson, sparse_categorical_crossentropy)
from kerasj.losses.regression import (CosineSimilarity, Huber, LogCosh, MeanAbsoluteError,
                                      MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
                                      cosine_similarity, huber, log_cosh, mean_absolute_error,
                                      mean_absolute_percentage_error, mean_squared_error,
                                      mean_squared_logarithmic_error)
from kerasj.losses.segmentation import Dice, Tversky, dice, tversky
from kerasj.utils.keras_names import register_namespace

_FUNCTION_LIST = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
    categorical_generalized_cross_entropy, sparse_categorical_crossentropy, kl_divergence, poisson, huber,
    log_cosh, hinge, squared_hinge, categorical_hinge, cosine_similarity, ctc, dice, tversky, circle)

# The functions are public here: metrics tell a loss (lower is better) by its module, and pickling finds
# them here too.
for _fn in _FUNCTION_LIST:
    _fn.__module__ = __name__
del _fn

register_builtins(
    classes=(Loss, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
             BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
             CategoricalGeneralizedCrossEntropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Huber,
             LogCosh, Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity, CTC, Dice, Tversky, Circle),
    functions=_FUNCTION_LIST,
    aliases={"mse": mean_squared_error, "MSE": mean_squared_error, "mae": mean_absolute_error,
             "MAE": mean_absolute_error, "mape": mean_absolute_percentage_error,
             "MAPE": mean_absolute_percentage_error, "msle": mean_squared_logarithmic_error,
             "MSLE": mean_squared_logarithmic_error, "kld": kl_divergence, "KLD": kl_divergence,
             "bce": binary_crossentropy, "BCE": binary_crossentropy})

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence

register_namespace("keras.losses", globals())  # configs name these classes and functions
