"""kerasj: the Keras API on JAX.

    import kerasj as keras
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)
"""
from kerasj import (activations, backend, callbacks, config, constraints, datasets, initializers, layers,
                    losses, metrics, models, ops, optimizers, random, regularizers, saving, utils)
from kerasj.layers import Input, InputSpec, Layer
from kerasj.models import Functional, Model, Sequential
from kerasj.transforms import UntraceableFunctionError, function, grad, value_and_grad
from kerasj.variables import StateScope, Variable

__version__ = "0.1.0"
