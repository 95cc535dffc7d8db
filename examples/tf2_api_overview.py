"""The "TF2 API overview" lesson (seed 003) in kerasj: two convnets built three ways, and a custom loop.

1. An MNIST convnet (Conv2D 32 -> Conv2D 64 -> Flatten -> Dense 128 -> Dense 10 softmax) written as a
   Sequential model, with the Functional API and by subclassing `keras.Model`; each trains with `fit`.
2. A CIFAR-100 convnet (Conv2D 16 -> MaxPool -> Conv2D 32 -> MaxPool -> Flatten -> Dense 256 -> Dense 100
   softmax), the same three ways.
3. The GradientTape section: the subclassed CIFAR model trained by a custom loop. The translations are

       with tf.GradientTape() as tape: ...; tape.gradient(loss, vars)  ->  kerasj.value_and_grad(fn, model)
       @tf.function                                                     ->  kerasj.function

   and `optimizer.apply_gradients` and the metrics are the same calls as in TF2.

Data: real dataset loaders do not exist in kerasj yet, so the script always uses `--offline` data: generated
arrays with the shapes of MNIST (28x28x1, 10 classes) and CIFAR-100 (32x32x3, 100 classes), where every class
is a fixed random prototype image plus noise, so the networks have something to learn. Switch to
`kerasj.datasets.mnist` / `cifar100` once `kerasj.datasets` lands.

Run: python examples/tf2_api_overview.py [--samples N] [--epochs E] [--quick]
"""
import argparse
import time

import numpy as np

import kerasj as keras
from kerasj import layers


# ---------------------------------------------------------------------------------------------------------
# Data (stands in for keras.datasets.mnist / cifar100 until kerasj.datasets lands: the `--offline` data)
# ---------------------------------------------------------------------------------------------------------
def prototype_data(shape, num_classes, n_train, n_test, noise, seed=0):
    """`(x_train, y_train), (x_test, y_test)` with images in [0, 1] of `shape` and int labels.

    Each class is a smooth random prototype (a coarse random grid upsampled 4x, so neighbouring pixels are
    correlated as in real photos and 3x3 convolutions find local structure), scaled by a random brightness,
    plus Gaussian pixel noise.

        >>> (x_train, y_train), (x_test, y_test) = prototype_data((28, 28, 1), 10, 1000, 200, noise=0.3)
    """
    rng = np.random.default_rng(seed)
    height, width, channels = shape
    coarse = rng.random((num_classes, height // 4, width // 4, channels))
    prototypes = coarse.repeat(4, axis=1).repeat(4, axis=2).astype(np.float32)

    def make(n):
        labels = rng.integers(0, num_classes, n)
        images = prototypes[labels] * rng.uniform(0.7, 1.0, (n, 1, 1, 1))
        images = np.clip(images + rng.normal(0, noise, images.shape), 0, 1)
        return images.astype("float32"), labels.astype("int64")

    return make(n_train), make(n_test)


def _test_size(samples):
    # A multiple of the batch size: a short last batch would compile one more evaluation program.
    return max(samples // 5 // 32, 3) * 32


def mnist_data(samples):
    return prototype_data((28, 28, 1), 10, samples, _test_size(samples), noise=0.4, seed=0)


def cifar100_data(samples):
    return prototype_data((32, 32, 3), 100, samples, _test_size(samples), noise=0.2, seed=1)


# ---------------------------------------------------------------------------------------------------------
# MNIST convnet, three ways
# ---------------------------------------------------------------------------------------------------------
def mnist_sequential():
    return keras.Sequential([
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def mnist_functional():
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    predictions = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=predictions)


class MnistModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(32, 3, activation="relu")
        self.conv2 = layers.Conv2D(64, 3, activation="relu")
        self.flatten = layers.Flatten()
        self.fc1 = layers.Dense(128, activation="relu")
        self.fc2 = layers.Dense(10, activation="softmax")

    def call(self, x):
        x = self.conv1(x)
        x = self.conv2(x)
        x = self.flatten(x)
        x = self.fc1(x)
        return self.fc2(x)


# ---------------------------------------------------------------------------------------------------------
# CIFAR-100 convnet, three ways
# ---------------------------------------------------------------------------------------------------------
def cifar_sequential():
    return keras.Sequential([
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPool2D((2, 2)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPool2D((2, 2)),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(100, activation="softmax"),
    ])


def cifar_functional():
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(16, 3, activation="relu")(inputs)
    x = layers.MaxPool2D((2, 2))(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPool2D((2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    predictions = layers.Dense(100, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=predictions)


class CifarModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(16, 3, activation="relu")
        self.maxpool1 = layers.MaxPool2D((2, 2))
        self.conv2 = layers.Conv2D(32, 3, activation="relu")
        self.maxpool2 = layers.MaxPool2D((2, 2))
        self.flatten = layers.Flatten()
        self.fc1 = layers.Dense(256, activation="relu")
        self.fc2 = layers.Dense(100, activation="softmax")

    def call(self, x):
        x = self.conv1(x)
        x = self.maxpool1(x)
        x = self.conv2(x)
        x = self.maxpool2(x)
        x = self.flatten(x)
        x = self.fc1(x)
        return self.fc2(x)


NETWORKS = {
    "MNIST": (mnist_data, {"Sequential": mnist_sequential, "Functional": mnist_functional,
                           "Subclassing": MnistModel}),
    "CIFAR-100": (cifar100_data, {"Sequential": cifar_sequential, "Functional": cifar_functional,
                                  "Subclassing": CifarModel}),
}


def train_with_fit(model, data, epochs, verbose):
    """compile / fit / evaluate exactly as the lesson does; returns (test loss, test accuracy)."""
    (x_train, y_train), (x_test, y_test) = data
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=verbose)
    return loss, accuracy


# ---------------------------------------------------------------------------------------------------------
# The GradientTape section: a hand-written training loop
# ---------------------------------------------------------------------------------------------------------
def make_train_step(model, optimizer, loss_func, train_loss, train_accuracy, compiled=True):
    """One training step: forward pass, loss, gradients, update, metrics (the lesson's `train_step`).

    `kerasj.value_and_grad(fn, model)` plays the part of `tf.GradientTape`: it runs `fn` and returns its
    value with the gradients w.r.t. the model's trainable variables (building the model on first use).
    `compiled=True` wraps the step in `kerasj.function`, as `@tf.function` would.
    """

    def train_step(features, labels):
        def forward():
            predictions = model(features, training=True)
            return loss_func(labels, predictions), predictions

        (loss, predictions), gradients = keras.value_and_grad(forward, model, has_aux=True)()
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss.update_state(loss)
        train_accuracy.update_state(labels, predictions)
        return loss

    return keras.function(train_step) if compiled else train_step


def train_model(model, x_train, y_train, epochs=5, batch_size=32, compiled=True, seed=0, verbose=True):
    """The lesson's `train_model`: loop over epochs and batches calling `train_step`.

    Batches are full-size only (the remainder of each shuffled epoch is skipped), so one compiled program
    serves every step. Returns the per-epoch mean training losses.
    """
    optimizer = keras.optimizers.Adam()
    loss_func = keras.losses.SparseCategoricalCrossentropy()
    train_loss = keras.metrics.Mean(name="train_loss")
    train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
    train_step = make_train_step(model, optimizer, loss_func, train_loss, train_accuracy, compiled)
    rng = np.random.default_rng(seed)
    steps = len(x_train) // batch_size
    epoch_losses = []
    start = time.time()
    for epoch in range(epochs):
        epoch_start = time.time()
        train_loss.reset_state()
        train_accuracy.reset_state()
        order = rng.permutation(len(x_train))
        for step in range(steps):
            index = order[step * batch_size:(step + 1) * batch_size]
            loss = train_step(x_train[index], y_train[index])
        epoch_losses.append(float(train_loss.result()))
        if verbose:
            print(f"Epoch {epoch}: last batch loss = {float(loss):.4f}, mean loss = {epoch_losses[-1]:.4f}, "
                  f"accuracy = {float(train_accuracy.result()):.4f} ({time.time() - epoch_start:.2f}s)")
    if verbose:
        print(f"It took {time.time() - start:.2f} seconds")
    return epoch_losses


def evaluate_accuracy(model, x_test, y_test):
    """The lesson's evaluation: argmax of `model.predict` against the labels."""
    prediction = model.predict(x_test, batch_size=len(x_test), verbose=0)
    return float(np.mean(np.squeeze(y_test) == np.argmax(prediction, axis=1)))


def main(samples=2000, epochs=3, quick=False, verbose=2):
    """Run every section; returns {"fit": {(network, style): (params, loss, accuracy)},
    "custom_loop": {"epoch_losses": [...], "accuracy": float, "params": int}}."""
    if quick:
        samples, epochs, verbose = min(samples, 256), min(epochs, 2), 0
    keras.utils.set_random_seed(1)
    results = {"fit": {}}
    for network, (load, styles) in NETWORKS.items():
        data = load(samples)
        print(f"=== {network}: {len(data[0][0])} train / {len(data[1][0])} test samples (offline data) ===")
        for style, build in styles.items():
            model = build()
            start = time.time()
            loss, accuracy = train_with_fit(model, data, epochs, verbose)
            results["fit"][(network, style)] = (model.count_params(), loss, accuracy)
            print(f"{network} {style}: params={model.count_params():,} test loss={loss:.4f} "
                  f"test accuracy={accuracy:.4f} ({time.time() - start:.1f}s)")

    print("=== CIFAR-100: custom training loop (value_and_grad + apply_gradients, kerasj.function) ===")
    (x_train, y_train), (x_test, y_test) = cifar100_data(samples)
    model = CifarModel()
    epoch_losses = train_model(model, x_train, y_train, epochs=epochs)
    accuracy = evaluate_accuracy(model, x_test, y_test)
    print(f"custom loop test accuracy = {accuracy:.4f}")
    results["custom_loop"] = {"epoch_losses": epoch_losses, "accuracy": accuracy,
                              "params": model.count_params()}
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a few hundred samples, two epochs, no progress bars")
    # Accepted for forward compatibility; generated data is the only source until kerasj.datasets lands.
    parser.add_argument("--offline", action="store_true", default=True,
                        help="use generated MNIST/CIFAR-shaped data (the only option until kerasj.datasets)")
    args = parser.parse_args()
    main(args.samples, args.epochs, quick=args.quick)
