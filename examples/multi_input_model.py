"""A Functional model with two inputs and two outputs, trained with `fit` on named (dict) data.

The task: an online shop lists items, each with a small grey photo and a few numbers (weight, size, rating,
age of the listing). From both we want two answers at once:

    inputs                          outputs
    "image"    (16, 16, 1) photo    "category"  which of 4 kinds of item it is   (classification)
    "metadata" (4,) numbers         "price"     its price                        (regression)

The photo decides the category; the price depends on the category *and* the numbers, so the network has to
combine both inputs. The Functional API expresses this directly: one branch per input, a Concatenate where
they meet, and one head per output.

Naming the Input layers and the output layers lets every piece of data be a dict keyed by those names:
`fit(x={"image": ..., "metadata": ...}, y={"category": ..., "price": ...})`, a loss per output
(`loss={"category": ..., "price": ...}`), `loss_weights` to balance the two (the total loss is their weighted
sum), and metrics per output. Logs are prefixed by output name: `category_loss`, `price_mae`, ...
`predict` returns a dict keyed the same way.

The data is generated here (no download): each category has a prototype photo, varied by brightness and
noise, and the price is a fixed formula of the category and the numbers, plus noise.

Run: python examples/multi_input_model.py [--samples N] [--epochs E] [--quick]
"""
import argparse

import numpy as np

import kerasj as keras
from kerasj import layers

NUM_CATEGORIES = 4
IMAGE_SHAPE = (16, 16, 1)
NUM_FEATURES = 4


# ---------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------
def make_listings(n, seed=0):
    """`(inputs, targets)` dicts for n generated listings.

        >>> inputs, targets = make_listings(8)
        >>> inputs["image"].shape, inputs["metadata"].shape, targets["category"].shape, targets["price"].shape
        ((8, 16, 16, 1), (8, 4), (8,), (8, 1))
    """
    # The prototypes and the price formula come from a fixed generator, so training and test data (made with
    # different seeds) follow the same rules.
    rules = np.random.default_rng(1234)
    coarse = rules.random((NUM_CATEGORIES, 4, 4, 1))
    prototypes = coarse.repeat(4, axis=1).repeat(4, axis=2)             # smooth 16x16 blobs
    base_price = np.array([1.0, 2.0, -1.0, 0.5])
    feature_weights = np.array([0.8, -0.5, 0.3, 0.0])                   # the last number is irrelevant

    rng = np.random.default_rng(seed)
    category = rng.integers(0, NUM_CATEGORIES, n)
    image = prototypes[category] * rng.uniform(0.7, 1.0, (n, 1, 1, 1)) + rng.normal(0, 0.25, (n,) + IMAGE_SHAPE)
    metadata = rng.normal(size=(n, NUM_FEATURES))
    price = base_price[category] + metadata @ feature_weights + rng.normal(0, 0.1, n)
    inputs = {"image": image.astype("float32"), "metadata": metadata.astype("float32")}
    targets = {"category": category.astype("int32"), "price": price[:, None].astype("float32")}
    return inputs, targets


# ---------------------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------------------
def build_model():
    """Two named inputs, two named outputs; see the module docstring for the picture."""
    image = keras.Input(shape=IMAGE_SHAPE, name="image")
    metadata = keras.Input(shape=(NUM_FEATURES,), name="metadata")

    # Image branch: a small convnet that turns the photo into 32 features.
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)

    # Metadata branch: one Dense layer is enough for four numbers.
    m = layers.Dense(16, activation="relu")(metadata)

    # Where the branches meet, both heads see everything.
    merged = layers.Concatenate()([x, m])
    hidden = layers.Dense(32, activation="relu")(merged)
    category = layers.Dense(NUM_CATEGORIES, activation="softmax", name="category")(hidden)
    price = layers.Dense(1, name="price")(hidden)

    return keras.Model(inputs={"image": image, "metadata": metadata},
                       outputs={"category": category, "price": price}, name="listing_model")


def compile_model(model):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=3e-3),
        loss={"category": "sparse_categorical_crossentropy", "price": "mse"},
        # The total loss is 1.0 * category_loss + 0.5 * price_loss: the weights trade one task against the
        # other when they compete for the shared layers.
        loss_weights={"category": 1.0, "price": 0.5},
        metrics={"category": ["accuracy"], "price": ["mae"]},
    )
    return model


# ---------------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------------
def main(samples=4096, epochs=8, quick=False, verbose=2):
    """Train, evaluate and predict; returns {"model": model, "history": {...}, "evaluation": {...},
    "predictions": {...}, "targets": {...}} (predictions and targets for the first five test listings)."""
    if quick:
        samples, epochs, verbose = min(samples, 1024), min(epochs, 4), 0
    x_train, y_train = make_listings(samples, seed=0)
    x_test, y_test = make_listings(max(samples // 4, 64), seed=1)

    keras.utils.set_random_seed(0)
    model = compile_model(build_model())
    if verbose:
        model.summary()

    history = model.fit(x_train, y_train, batch_size=64, epochs=epochs, validation_split=0.25, verbose=verbose)

    evaluation = model.evaluate(x_test, y_test, batch_size=64, verbose=0, return_dict=True)
    print("test:", ", ".join(f"{name}={value:.4f}" for name, value in sorted(evaluation.items())))

    # predict takes the same dict of inputs and returns a dict of outputs.
    first = {name: array[:5] for name, array in x_test.items()}
    predictions = model.predict(first, verbose=0)
    for i in range(5):
        print(f"listing {i}: category {int(np.argmax(predictions['category'][i]))} "
              f"(true {int(y_test['category'][i])}), price {float(predictions['price'][i, 0]):+.2f} "
              f"(true {float(y_test['price'][i, 0]):+.2f})")
    return {"model": model, "history": history.history, "evaluation": evaluation, "predictions": predictions,
            "targets": {name: array[:5] for name, array in y_test.items()}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="1,024 samples, four epochs, no progress bars")
    args = parser.parse_args()
    main(args.samples, args.epochs, quick=args.quick)
