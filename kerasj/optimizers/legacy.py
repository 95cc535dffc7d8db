"""`keras.optimizers.legacy`: the Keras 2 optimizers, which Keras 3 no longer has. As in Keras 3, the names
exist so that old code fails with an explanation: creating any of them raises ImportError.

    >>> kerasj.optimizers.legacy.Adam(0.001)
    Traceback (most recent call last):
    ImportError: `keras.optimizers.legacy` is not supported in Keras 3 (nor in kerasj) ...
"""


class LegacyOptimizerWarning:
    """Stands for every `keras.optimizers.legacy` class: creating one raises ImportError."""

    def __init__(self, *args, **kwargs):
        raise ImportError("`keras.optimizers.legacy` is not supported in Keras 3 (nor in kerasj): use the "
                          "optimizer of the same name in `kerasj.optimizers` (e.g. kerasj.optimizers.Adam), whose "
                          "arguments are Keras 3's. Code that needs the Keras 2 optimizers can run under tf.keras "
                          "with the `tf_keras` package and TF_USE_LEGACY_KERAS=True.")


Adagrad = Adam = Ftrl = Optimizer = RMSprop = SGD = LegacyOptimizerWarning
