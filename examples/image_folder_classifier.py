"""Train an image classifier on a folder of image files: `image_dataset_from_directory`, augmentation layers
inside the model, and a picture of the model with `plot_model`.

This is the shape of most first real projects: photos sorted into one sub-folder per class,

    patterns/
        checker/     0000.png 0001.png ...
        horizontal/  ...
        vertical/    ...

read with `keras.utils.image_dataset_from_directory`, which infers the labels from the folder names
(`class_names` is their sorted list), resizes every image to `image_size`, batches them, and with
`validation_split` + `subset="both"` + a `seed` returns a training and a validation dataset that never share a
file. Both feed `fit` directly.

The folder is generated here (no download): small noisy pictures of three patterns (horizontal stripes,
vertical stripes, a checkerboard) with random colours, widths and offsets. The model starts with augmentation
layers (RandomFlip, RandomRotation, RandomZoom) that change each training batch and are the identity at
inference (a horizontal flip and a small turn keep each pattern's class), then rescales pixels from [0, 255] to
[0, 1]; the convolutional network behind them learns the pattern whatever its colours.

With TensorFlow installed the datasets are `tf.data.Dataset`s, as in Keras; without it they are grain datasets
(if grain is installed) or kerasj's own small dataset: this script needs neither, only Pillow to read the
files (and pydot + the graphviz binary for the picture, which it skips with a message if they are missing).

Run: python examples/image_folder_classifier.py [--folder DIR] [--per-class N] [--epochs E] [--quick]
"""
import argparse
import pathlib
import tempfile

import numpy as np

import kerasj as keras
from kerasj import layers

CLASSES = ("checker", "horizontal", "vertical")
IMAGE_SIZE = (32, 32)


# ---------------------------------------------------------------------------------------------------------
# Data: a folder of generated PNG files, one sub-folder per class
# ---------------------------------------------------------------------------------------------------------
def draw_pattern(kind, rng, size=48):
    """One RGB picture (uint8, size x size x 3) of a `kind` pattern with a random period, phase and colours."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    period = rng.uniform(6, 12)
    phase_y, phase_x = rng.uniform(0, period, 2)
    rows = np.floor((yy + phase_y) / period * 2) % 2  # 0/1 bands across the rows
    cols = np.floor((xx + phase_x) / period * 2) % 2
    on = {"horizontal": rows, "vertical": cols, "checker": (rows + cols) % 2}[kind].astype(bool)
    background, foreground = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    while np.abs(foreground - background).sum() < 150:  # keep the pattern visible
        foreground = rng.uniform(0, 255, 3)
    image = np.where(on[..., None], foreground, background) + rng.normal(0, 12, (size, size, 3))
    return np.clip(image, 0, 255).astype("uint8")


def make_folder(folder, per_class=60, seed=0):
    """Write `per_class` PNG files for each class under `folder/<class>/`; returns the folder."""
    from PIL import Image  # Pillow writes the files (and image_dataset_from_directory reads them)

    rng = np.random.default_rng(seed)
    folder = pathlib.Path(folder)
    for kind in CLASSES:
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(draw_pattern(kind, rng)).save(folder / kind / f"{i:04d}.png")
    return folder


# ---------------------------------------------------------------------------------------------------------
# Model: augmentation, rescaling, a small convnet
# ---------------------------------------------------------------------------------------------------------
def build_model(num_classes=len(CLASSES)):
    augmentation = keras.Sequential([layers.RandomFlip("horizontal"),
                                     layers.RandomRotation(0.1),
                                     layers.RandomZoom(0.1)], name="augmentation")
    inputs = keras.Input(shape=IMAGE_SIZE + (3,), name="image")
    x = augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)  # normalized activations: fast, steady learning on few images
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="pattern")(x)
    model = keras.Model(inputs, outputs, name="pattern_classifier")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def draw_model(model, to_file):
    """plot_model's picture of the model, or None (with the reason printed) without pydot/graphviz."""
    try:
        keras.utils.plot_model(model, to_file=str(to_file), show_shapes=True, expand_nested=True)
    except ImportError as err:
        print(f"(no model picture: {err})")
        return None
    return pathlib.Path(to_file)


def main(folder=None, per_class=60, epochs=12, quick=False, seed=1337):
    """Generate the folder (in a temporary directory unless `folder` is given), train, evaluate; returns a dict
    with the datasets' class names, the history, the validation accuracy and the picture's path."""
    if quick:
        per_class, epochs = 40, 8
    keras.utils.set_random_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_folder(pathlib.Path(folder or tmp) / "patterns", per_class=per_class)
        train, validation = keras.utils.image_dataset_from_directory(
            root, image_size=IMAGE_SIZE, batch_size=16, validation_split=0.25, subset="both", seed=seed)
        print("classes:", train.class_names, "| batches:", len(train), "training,", len(validation), "validation")
        model = build_model(len(train.class_names))
        model.summary(expand_nested=True)
        picture = draw_model(model, pathlib.Path(folder or ".") / "image_folder_classifier.png")
        history = model.fit(train, validation_data=validation, epochs=epochs, verbose=2)
        loss, accuracy = model.evaluate(validation, verbose=0)
        print(f"validation accuracy {accuracy:.3f} (chance {1 / len(train.class_names):.3f})")
        return {"class_names": list(train.class_names), "history": history.history, "val_accuracy": accuracy,
                "picture": picture, "dataset_type": type(train).__module__ + "." + type(train).__name__}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", help="where to write the images and the model picture (default: a temp dir)")
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--quick", action="store_true", help="fewer images and epochs (what the tests run)")
    args = parser.parse_args()
    main(args.folder, args.per_class, args.epochs, args.quick)
