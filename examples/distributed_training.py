"""Keras's MNIST convnet trained data-parallel on every local device with kerasj.distribution.

`DataParallel()` makes a 1D device mesh over all devices: every variable is replicated on each device, and
`fit` / `evaluate` / `predict` split each batch along the mesh's "batch" axis, so each device computes its part
of the batch and the gradients are combined (inside the compiled step, by XLA) before the update. The script
prints the mesh, then how one batch and one kernel are laid out, shard by shard.

Without a GPU, try it on virtual CPU devices (each a slice of the CPU; correct, not faster):

    XLA_FLAGS=--xla_force_host_platform_device_count=4 python examples/distributed_training.py

It uses MNIST when the file is already in the Keras cache (~/.keras/datasets/mnist.npz), else MNIST-shaped
synthetic digits generated here (each class a random stroke pattern plus noise), so it runs offline.

Run: python examples/distributed_training.py [--samples N] [--epochs E] [--batch-size B] [--synthetic]
"""
import argparse
import os

import numpy as np

import kerasj as keras
from kerasj import distribution, layers

NUM_CLASSES = 10


def synthetic_mnist(n_train, n_test, seed=0):
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((NUM_CLASSES, 28, 28)) < 0.15).astype("float32")

    def make(n):
        labels = rng.integers(0, NUM_CLASSES, n)
        images = prototypes[labels] * rng.uniform(0.6, 1.0, (n, 1, 1))
        return np.clip(images + rng.normal(0, 0.35, images.shape), 0, 1).astype("float32"), labels

    return make(n_train), make(n_test)


def load_data(n_train, n_test, synthetic=False):
    """`(x_train, y_train), (x_test, y_test)`: images (n, 28, 28, 1) in [0, 1] and integer labels."""
    cached = os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "datasets", "mnist.npz")
    if synthetic or not os.path.exists(cached):
        (x_train, y_train), (x_test, y_test) = synthetic_mnist(n_train, n_test)
    else:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        x_train, y_train = x_train[:n_train].astype("float32") / 255, y_train[:n_train]
        x_test, y_test = x_test[:n_test].astype("float32") / 255, y_test[:n_test]
    return (x_train[..., None], y_train), (x_test[..., None], y_test)


def make_model():
    """The convnet of Keras's "Simple MNIST convnet" example."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


def describe_shards(name, array):
    """Print where each piece of `array` lives: one line per device, with the rows/columns it holds."""
    spec = getattr(array.sharding, "spec", array.sharding)  # one device: a SingleDeviceSharding, no spec
    print(f"{name}: shape {tuple(array.shape)}, sharding spec {spec}")
    for shard in sorted(array.addressable_shards, key=lambda s: s.device.id):
        index = ", ".join(f"{s.start or 0}:{s.stop if s.stop is not None else n}"
                          for s, n in zip(shard.index, array.shape))
        print(f"  {shard.device}: [{index}] shape {tuple(shard.data.shape)}")


def main(samples=6000, epochs=3, batch_size=128, synthetic=False, verbose=2):
    devices = distribution.list_devices()
    print(f"{len(devices)} devices: {devices}")
    data_parallel = distribution.DataParallel(devices=devices)
    print("mesh:", data_parallel.device_mesh)
    distribution.set_distribution(data_parallel)  # before the model: its variables are created on the mesh

    (x_train, y_train), (x_test, y_test) = load_data(samples, max(samples // 6, batch_size), synthetic)
    batch = x_train[:batch_size]
    describe_shards("one batch", distribution.distribute_tensor(batch, data_parallel.get_data_layout(batch.shape)))

    keras.utils.set_random_seed(0)
    model = make_model()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    describe_shards("the first Conv2D kernel", model.layers[0].kernel.value)

    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
                        verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    distribution.set_distribution(None)
    return {"devices": len(devices), "loss": history.history["loss"], "test_accuracy": accuracy}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--synthetic", action="store_true", help="synthetic digits even if MNIST is cached")
    args = parser.parse_args()
    main(args.samples, args.epochs, args.batch_size, args.synthetic)
