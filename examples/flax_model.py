"""A Flax Linen module inside a kerasj model, trained with `fit`.

The module (Dense -> BatchNorm -> relu -> Dropout -> Dense) is wrapped in `kerasj.layers.FlaxLayer`, so its
`params` become the model's trainable weights and its `batch_stats` non-trainable state that training
updates; the layer passes `training` to the module and a fresh dropout key each step. The data are three
Gaussian blobs in 8 dimensions, generated here, so the example runs offline in a few seconds.

Run: python examples/flax_model.py
"""
import flax.linen as nn
import numpy as np

import kerasj as keras
from kerasj.layers.jax_layer import FlaxLayer


class FlaxMLP(nn.Module):
    hidden: int = 32
    classes: int = 3

    @nn.compact
    def __call__(self, x, training=False):
        x = nn.Dense(self.hidden)(x)
        x = nn.BatchNorm(use_running_average=not training, momentum=0.9)(x)
        x = nn.relu(x)
        x = nn.Dropout(0.1, deterministic=not training)(x)
        return nn.Dense(self.classes)(x)


def make_data(samples=512, dims=8, classes=3, seed=0):
    """Points around three random centres; the label is the centre's index."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 2.0, size=(classes, dims))
    labels = rng.integers(0, classes, size=samples)
    points = centres[labels] + rng.normal(0.0, 1.0, size=(samples, dims))
    return points.astype("float32"), labels.astype("int32")


def main(epochs=5, verbose=0):
    keras.utils.set_random_seed(0)
    x, y = make_data()
    split = len(x) * 3 // 4
    model = keras.Sequential([keras.Input((x.shape[1],)), FlaxLayer(FlaxMLP(), name="flax_mlp"),
                              keras.layers.Softmax()])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    before = model.evaluate(x[split:], y[split:], verbose=0, return_dict=True)["accuracy"]
    flax_layer = model.get_layer("flax_mlp")
    stats_before = [np.array(v.numpy()) for v in flax_layer.non_trainable_weights]  # BatchNorm mean, var
    history = model.fit(x[:split], y[:split], batch_size=32, epochs=epochs, verbose=verbose)
    after = model.evaluate(x[split:], y[split:], verbose=0, return_dict=True)["accuracy"]
    stats_moved = max(float(np.abs(np.array(v.numpy()) - b).max())
                      for v, b in zip(flax_layer.non_trainable_weights, stats_before))
    print(f"test accuracy before training: {before:.3f}")
    print(f"test accuracy after training:  {after:.3f}")
    return {"accuracy_before": float(before), "accuracy_after": float(after),
            "loss": [float(v) for v in history.history["loss"]], "batch_stats_change": stats_moved,
            "trainable_weights": len(flax_layer.trainable_weights)}


if __name__ == "__main__":
    main(verbose=1)
