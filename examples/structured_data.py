"""Structured data: a table of patients in a CSV file -> keras.utils.FeatureSpace -> a small classifier.

The workflow of Keras's structured-data tutorials, offline: the CSV is generated here (a made-up "heart
disease" table: numbers, integer codes and text categories), read with the csv module, preprocessed by a
FeatureSpace (normalization, discretization, lookups, a feature cross) adapted on the training rows, and the
encoded features train a Dense model with `fit`. No TensorFlow needed.

    python examples/structured_data.py
"""
import csv
import pathlib
import tempfile

import numpy as np

import kerasj as keras

COLUMNS = ["age", "sex", "cp", "chol", "thal", "target"]
THAL = ["normal", "fixed", "reversible"]


def write_table(path, rows, seed=0):
    """A CSV whose target follows a rule on the features (plus 5% label noise), so it can be learned."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(30, 80, rows).round(0)
    sex = rng.integers(0, 2, rows)
    cp = rng.integers(0, 4, rows)
    chol = rng.normal(240, 40, rows).round(1)
    thal = rng.choice(THAL, rows)
    risk = (thal == "reversible") | ((age > 60) & (cp >= 2)) | (chol > 300)
    target = np.where(rng.random(rows) < 0.05, ~risk, risk).astype(int)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(zip(age, sex, cp, chol, thal, target))


def read_table(path):
    """The CSV as a dict of numpy columns (numbers as float32 / int32, text as str)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    kinds = {"age": "float32", "chol": "float32", "sex": "int32", "cp": "int32", "target": "int32"}
    return {name: np.array([row[name] for row in rows]).astype(kinds.get(name, str)) for name in COLUMNS}


def build_feature_space():
    FS = keras.utils.FeatureSpace
    return FS(
        features={
            "age": FS.float_discretized(num_bins=8),
            "chol": FS.float_normalized(),
            "sex": FS.integer_categorical(num_oov_indices=0),
            "cp": FS.integer_categorical(num_oov_indices=0),
            "thal": FS.string_categorical(num_oov_indices=1),
        },
        crosses=[FS.cross(feature_names=("age", "cp"), crossing_dim=32)],
        output_mode="concat",
    )


def main(rows=2000, epochs=20, verbose=1, folder=None):
    folder = pathlib.Path(folder or tempfile.mkdtemp())
    path = folder / "patients.csv"
    write_table(path, rows)
    table = read_table(path)
    labels = table.pop("target")
    split = int(0.8 * rows)
    train = {k: v[:split] for k, v in table.items()}
    val = {k: v[split:] for k, v in table.items()}

    feature_space = build_feature_space()
    feature_space.adapt(train)
    x_train, x_val = np.asarray(feature_space(train)), np.asarray(feature_space(val))
    if verbose:
        print(f"{rows} rows from {path.name}; encoded features: {x_train.shape[1]} columns")

    model = keras.Sequential([
        keras.Input((x_train.shape[1],)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, labels[:split], validation_data=(x_val, labels[split:]), batch_size=32, epochs=epochs,
              verbose=verbose)
    _, val_accuracy = model.evaluate(x_val, labels[split:], verbose=0)

    # Inference on one raw record, preprocessed by the same FeatureSpace.
    patient = {"age": np.array([68.0], "float32"), "sex": np.array([1], "int32"), "cp": np.array([3], "int32"),
               "chol": np.array([250.0], "float32"), "thal": np.array(["normal"])}
    probability = float(model.predict(np.asarray(feature_space(patient)), verbose=0)[0, 0])
    if verbose:
        print(f"validation accuracy {val_accuracy:.3f}; a 68-year-old with cp=3: {100 * probability:.1f}% risk")
    return {"val_accuracy": float(val_accuracy), "features": int(x_train.shape[1]), "risk": probability}


if __name__ == "__main__":
    main()
