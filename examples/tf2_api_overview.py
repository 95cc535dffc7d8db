"""The "TF2 API overview" lesson (seed 003) in kerasj: two convnets built three ways, and a custom loop.

1. An MNIST convnet (Conv2D 32 -> Conv2D 64 -> Flatten -> Dense 128 -> Dense 10 softmax) written as a
   Sequential model, with the Functional API and by subclassing `keras.Model`; each trains with `fit`.
2. A CIFAR-100 convnet (Conv2D 16 -> MaxPool -> Conv2D 32 -> MaxPool -> Flatten -> Dense 256 -> Dense 100
   softmax), the same three ways.
3. The GradientTape section: the subclassed CIFAR model trained by a custom loop. The translations are

       with tf.GradientTape() as tape: ...; tape.gradient(loss, vars)  ->  kerasj.value_and_grad(fn, model)
       @tf.function                                                     ->  kerasj.function

   and `optimizer.apply_gradients` and the metrics are the same calls as in TF2.

Data: by default the lesson's datasets, `kerasj.datasets.mnist` and `kerasj.datasets.cifar100` (downloaded
once into ~/.kerasj), scaled to [0, 1] exactly as the lesson does. `--offline` needs no network:

- MNIST is replaced by `kerasj.datasets.digits`, the 8x8 handwritten digits that ship with kerasj. Each image
  is scaled from 0..16 to [0, 1], enlarged 3x (every pixel becomes a 3x3 block, 24x24) and framed by 2 blank
  pixels to 28x28x1, the way MNIST centres its digits in a blank border. The network is therefore exactly the
  lesson's MNIST network, with the same layers and the same 4.7 million parameters, only the pictures are
  coarser.
- CIFAR-100 is replaced by generated 32x32x3 images in 100 classes (each class a fixed smooth random
  prototype, varied by brightness and noise), again fed to the lesson's unchanged network.

Run: python examples/tf2_api_overview.py [--offline] [--samples N] [--epochs E] [--quick]
"""
import argparse
import time

import numpy as np

import kerasj as keras
from kerasj import layers
from kerasj.utils.file_utils import DownloadError

# Generated CIFAR-100 stand-ins are made on the fly; without --samples make this many.
OFFLINE_SAMPLES = 2000


# ---------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------
def _test_size(samples):
    # A multiple of the batch size: a short last batch would compile one more evaluation program.
    return max(samples // 5 // 32, 3) * 32


def _subset(data, samples):
    """The first `samples` training examples and a proportionate test set (everything if samples is None)."""
    (x_train, y_train), (x_test, y_test) = data
    if samples is None:
        return (x_train, y_train), (x_test, y_test)
    n_test = _test_size(samples)
    return (x_train[:samples], y_train[:samples]), (x_test[:n_test], y_test[:n_test])


def digits_as_mnist(images):
    """8x8 digits with values 0..16 -> 28x28x1 float32 images in [0, 1], laid out like MNIST digits.

        >>> digits_as_mnist(np.zeros((5, 8, 8), np.uint8)).shape
        (5, 28, 28, 1)
    """
    images = images.astype("float32") / 16.0
    images = images.repeat(3, axis=1).repeat(3, axis=2)              # 24x24, each pixel a 3x3 block
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))               # blank border, as in MNIST
    return images[..., np.newaxis]


def load_mnist(samples=None, offline=False):
    """`(x_train, y_train), (x_test, y_test)` for the MNIST convnet: float32 (n, 28, 28, 1) in [0, 1]."""
    if offline:
        (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
        x_train, x_test = digits_as_mnist(x_train), digits_as_mnist(x_test)
    else:
        # The lesson's preprocessing: scale to [0, 1] and add the channel axis Conv2D expects.
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        x_train, x_test = x_train / np.float32(255.0), x_test / np.float32(255.0)
        x_train, x_test = x_train[..., np.newaxis], x_test[..., np.newaxis]
    data = (x_train, y_train.astype("int64")), (x_test, y_test.astype("int64"))
    return _subset(data, samples)


def prototype_data(shape, num_classes, n_train, n_test, noise, seed=0):
    """`(x_train, y_train), (x_test, y_test)` with generated images in [0, 1] of `shape` and int labels.

    Each class is a smooth random prototype (a coarse random grid upsampled 4x, so neighbouring pixels are
    correlated as in real photos and 3x3 convolutions find local structure), scaled by a random brightness,
    plus Gaussian pixel noise.

        >>> (x_train, y_train), (x_test, y_test) = prototype_data((32, 32, 3), 100, 1000, 200, noise=0.2)
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


def generated_cifar100(samples):
    """CIFAR-100-shaped generated data: `samples` training images, 32x32x3, 100 classes."""
    return prototype_data((32, 32, 3), 100, samples, _test_size(samples), noise=0.2, seed=1)


def load_cifar100(samples=None, offline=False):
    """`(x_train, y_train), (x_test, y_test)` for the CIFAR-100 convnet: float32 (n, 32, 32, 3) in [0, 1]."""
    if offline:
        return generated_cifar100(samples or OFFLINE_SAMPLES)
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar100.load_data()
    x_train, x_test = x_train / np.float32(255.0), x_test / np.float32(255.0)
    return _subset(((x_train, y_train), (x_test, y_test)), samples)


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
    "MNIST": (load_mnist, {"Sequential": mnist_sequential, "Functional": mnist_functional,
                           "Subclassing": MnistModel}),
    "CIFAR-100": (load_cifar100, {"Sequential": cifar_sequential, "Functional": cifar_functional,
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


def main(samples=None, epochs=5, quick=False, verbose=2, offline=False):
    """Run every section; returns {"fit": {(network, style): (params, loss, accuracy)},
    "custom_loop": {"epoch_losses": [...], "accuracy": float, "params": int}}.

    `samples` limits the training set (None: all of it, as the lesson does); `quick` means 256 samples, two
    epochs and no progress bars; `offline` swaps in the digits and generated CIFAR-shaped data.
    """
    if quick:
        samples, epochs, verbose = min(samples or 256, 256), min(epochs, 2), 0
    source = "offline data" if offline else "kerasj.datasets"
    results = {"fit": {}}
    for network, (load, styles) in NETWORKS.items():
        data = load(samples, offline=offline)
        print(f"=== {network}: {len(data[0][0])} train / {len(data[1][0])} test samples ({source}) ===")
        for style, build in styles.items():
            # The same seed before each style: the three create their weights in the same order, so they
            # start from the same values and, being the same network, end with the same loss and accuracy.
            keras.utils.set_random_seed(1)
            model = build()
            start = time.time()
            loss, accuracy = train_with_fit(model, data, epochs, verbose)
            results["fit"][(network, style)] = (model.count_params(), loss, accuracy)
            print(f"{network} {style}: params={model.count_params():,} test loss={loss:.4f} "
                  f"test accuracy={accuracy:.4f} ({time.time() - start:.1f}s)")

    print("=== CIFAR-100: custom training loop (value_and_grad + apply_gradients, kerasj.function) ===")
    (x_train, y_train), (x_test, y_test) = load_cifar100(samples, offline=offline)
    model = CifarModel()
    epoch_losses = train_model(model, x_train, y_train, epochs=epochs)
    accuracy = evaluate_accuracy(model, x_test, y_test)
    print(f"custom loop test accuracy = {accuracy:.4f}")
    results["custom_loop"] = {"epoch_losses": epoch_losses, "accuracy": accuracy,
                              "params": model.count_params()}
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true",
                        help="no downloads: the shipped digits for MNIST, generated images for CIFAR-100")
    parser.add_argument("--samples", type=int, default=None, help="training samples per dataset (default: all)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="256 samples, two epochs, no progress bars")
    args = parser.parse_args()
    try:
        main(args.samples, args.epochs, quick=args.quick, offline=args.offline)
    except DownloadError as error:
        parser.exit(1, f"{error}\nTo run without downloading anything, pass --offline.\n")
