"""The 784-256-256-10 MNIST classifier of the TF2 research overview (seed 001), written three ways:
Sequential, Functional and Subclassing. Each trains with Adam and SparseCategoricalCrossentropy(from_logits=True)
and reports test accuracy; the three land in the same accuracy band.

The data is MNIST-shaped (28x28 grey images flattened to 784 floats in [0, 1], labels 0-9) and generated here,
so the script runs offline: each class is a random stroke pattern plus noise. Real MNIST loaders come with
kerasj.datasets.

Run: python examples/mnist_mlp.py [--samples N] [--epochs E]
"""
import argparse

import numpy as np

import kerasj as keras
from kerasj import layers


def mnist_shaped_data(n_train=12000, n_test=2000, seed=0):
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 28, 28)) < 0.15).astype(np.float32)

    def make(n):
        labels = rng.integers(0, 10, n)
        images = prototypes[labels] * rng.uniform(0.6, 1.0, (n, 1, 1))
        images = np.clip(images + rng.normal(0, 0.35, images.shape), 0, 1)
        return images.reshape(n, 784).astype("float32"), labels.astype("int64")

    return make(n_train), make(n_test)


def sequential_model():
    return keras.Sequential([
        layers.Dense(256, activation="relu"),
        layers.Dense(256, activation="relu"),
        layers.Dense(10),
    ])


def functional_model():
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(256, activation="relu")(inputs)
    x = layers.Dense(256, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs=inputs, outputs=outputs)


class MLP(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense1 = layers.Dense(256, activation="relu")
        self.dense2 = layers.Dense(256, activation="relu")
        self.dense3 = layers.Dense(10)

    def call(self, inputs):
        x = self.dense1(inputs)
        x = self.dense2(x)
        return self.dense3(x)


def train(model, data, epochs, verbose):
    (x_train, y_train), (x_test, y_test) = data
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, validation_split=0.1, verbose=verbose)
    loss, acc = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    return loss, acc


def main(samples=12000, epochs=3, verbose=2):
    keras.utils.set_random_seed(1)
    data = mnist_shaped_data(n_train=samples, n_test=max(samples // 6, 200))
    results = {}
    for name, build in (("Sequential", sequential_model), ("Functional", functional_model),
                        ("Subclassing", MLP)):
        print(f"--- {name} ---")
        model = build()
        loss, acc = train(model, data, epochs, verbose)
        results[name] = (model.count_params(), loss, acc)
        print(f"{name}: params={model.count_params():,} test loss={loss:.4f} test accuracy={acc:.4f}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=12000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    main(args.samples, args.epochs)
