"""Sentiment classification of movie reviews with recurrent networks: an LSTM, a GRU and a bidirectional LSTM.

Every model has the same three parts:

    Embedding(num_words, embed_dim, mask_zero=True)   word index -> learned vector; index 0 is padding
    LSTM(units) | GRU(units) | Bidirectional(LSTM)    reads the review, keeps a summary in its state
    Dense(1, activation="sigmoid")                    probability that the review is positive

Reviews have different lengths, but a batch must be one rectangular array, so `kerasj.utils.pad_sequences`
pads short reviews with zeros and cuts long ones to `maxlen`. `mask_zero=True` makes the Embedding emit a
mask that the recurrent layer reads: padded steps are skipped, so a review gets the same prediction whether
it was padded at the front or at the back (this script checks that).

Data: by default the IMDB reviews from `kerasj.datasets.imdb` (downloaded once into ~/.kerasj), keeping the
`num_words` most frequent words. `--offline` needs no network: it generates "reviews" of random neutral words
with an odd number (1, 3 or 5) of opinion words mixed in; a review is positive when it holds more positive
than negative opinion words. The network must find the opinion words among the filler and count them
across the whole review, which a bag of the last few words cannot do.

Run: python examples/text_classifier.py [--offline] [--models lstm gru bidirectional] [--epochs E] [--quick]
"""
import argparse
import time

import numpy as np

import kerasj as keras
from kerasj import layers
from kerasj.utils.file_utils import DownloadError

MODELS = ("lstm", "gru", "bidirectional")


# ---------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------
def load_imdb(num_words=10000, maxlen=200, samples=None):
    """IMDB reviews as padded int32 arrays `(n, maxlen)`, labels 0/1; `samples` keeps the first n of each split."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=num_words)
    if samples is not None:
        x_train, y_train, x_test, y_test = x_train[:samples], y_train[:samples], x_test[:samples], y_test[:samples]
    # Keep the *end* of long reviews (truncating="pre"): closing sentences often carry the verdict.
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_test = keras.utils.pad_sequences(x_test, maxlen=maxlen)
    return (x_train, y_train.astype("float32")), (x_test, y_test.astype("float32"))


def generated_reviews(n, num_words=200, maxlen=40, opinion_words=8, seed=0):
    """`(sequences, labels)`: n ragged lists of word indices in [1, num_words) and 0/1 labels.

    Words 1..opinion_words are "positive", the next opinion_words are "negative", the rest are filler. Each
    review has 1, 3 or 5 opinion words at random places; the label is 1 when most of them are positive.

        >>> sequences, labels = generated_reviews(4, num_words=50, maxlen=10)
        >>> len(sequences), labels.shape
        (4, (4,))
    """
    rng = np.random.default_rng(seed)
    positive = np.arange(1, opinion_words + 1)
    negative = positive + opinion_words
    filler = np.arange(2 * opinion_words + 1, num_words)
    sequences, labels = [], []
    for _ in range(n):
        length = int(rng.integers(max(maxlen // 4, 5), maxlen + 1))  # room for 5 opinion words
        review = rng.choice(filler, length)
        count = int(rng.choice([1, 3, 5]))
        is_positive = rng.random(count) < 0.5
        places = rng.choice(length, count, replace=False)
        review[places] = np.where(is_positive, rng.choice(positive, count), rng.choice(negative, count))
        sequences.append(review.tolist())
        labels.append(float(2 * is_positive.sum() > count))
    return sequences, np.asarray(labels, dtype="float32")


def load_offline(samples, num_words, maxlen):
    n_test = max(samples // 5, 64)
    x_train, y_train = generated_reviews(samples, num_words, maxlen, seed=0)
    x_test, y_test = generated_reviews(n_test, num_words, maxlen, seed=1)
    return ((keras.utils.pad_sequences(x_train, maxlen=maxlen), y_train),
            (keras.utils.pad_sequences(x_test, maxlen=maxlen), y_test))


# ---------------------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------------------
def build_model(kind, num_words, embed_dim=64, units=64):
    """Embedding(mask_zero=True) -> recurrent layer -> Dense(1, sigmoid), as a Functional model.

    The input has no fixed length (`shape=(None,)`): the same model reads batches padded to any length.
    """
    recurrent = {
        "lstm": lambda: layers.LSTM(units),
        "gru": lambda: layers.GRU(units),
        # Two LSTMs, one reading left to right and one right to left; their final states are concatenated,
        # so half the units each keeps the parameter budget comparable.
        "bidirectional": lambda: layers.Bidirectional(layers.LSTM(max(units // 2, 1))),
    }
    if kind not in recurrent:
        raise ValueError(f"text_classifier: unknown model kind {kind!r}; expected one of {list(recurrent)}")
    inputs = keras.Input(shape=(None,), dtype="int32", name="words")
    x = layers.Embedding(num_words, embed_dim, mask_zero=True)(inputs)
    x = recurrent[kind]()(x)
    outputs = layers.Dense(1, activation="sigmoid", name="positive")(x)
    return keras.Model(inputs, outputs, name=f"{kind}_classifier")


def padding_invariance(model, sequences, maxlen):
    """Largest difference between predictions for the same reviews padded at the front and at the back.

    With the mask doing its job this is rounding noise: padded steps never reach the recurrent state.
    """
    front = model.predict(keras.utils.pad_sequences(sequences, maxlen=maxlen, padding="pre"), verbose=0)
    back = model.predict(keras.utils.pad_sequences(sequences, maxlen=maxlen, padding="post"), verbose=0)
    return float(np.max(np.abs(front - back)))


# ---------------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------------
def main(offline=False, models=MODELS, samples=None, epochs=3, num_words=None, maxlen=None, embed_dim=None,
         units=None, batch_size=64, quick=False, verbose=2):
    """Train and evaluate each model kind in `models`; returns
    {kind: {"params": int, "history": {...}, "loss": float, "accuracy": float, "padding_gap": float}}.

    Defaults depend on the data: IMDB uses the 10,000 most frequent words, reviews cut to 200 words and
    64-dimensional embeddings and states; the offline data a 200-word vocabulary, 40-word reviews and 32.
    `quick` trains on at most 1,280 samples without progress bars. A fifth of the training data is held out
    for validation; with the offline sizes every batch is full, so each program compiles once.
    """
    if quick:
        samples, verbose = min(samples or 1280, 1280), 0
    if offline:
        num_words, maxlen = num_words or 200, maxlen or 40
        embed_dim, units = embed_dim or 32, units or 32
        (x_train, y_train), (x_test, y_test) = load_offline(samples or 5120, num_words, maxlen)
    else:
        num_words, maxlen = num_words or 10000, maxlen or 200
        embed_dim, units = embed_dim or 64, units or 64
        (x_train, y_train), (x_test, y_test) = load_imdb(num_words, maxlen, samples)
    print(f"{len(x_train)} training and {len(x_test)} test sequences of {maxlen} steps "
          f"({'generated' if offline else 'IMDB'}, vocabulary {num_words}); "
          f"{y_train.mean():.0%} of training labels positive")

    # Unpadded reviews for the padding check: strip the zeros pad_sequences put in front.
    unpadded = [row[row != 0].tolist() for row in x_test[:32]]
    results = {}
    for kind in models:
        keras.utils.set_random_seed(0)
        model = build_model(kind, num_words, embed_dim, units)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="binary_crossentropy",
                      metrics=["accuracy"])
        start = time.time()
        history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.2,
                            verbose=verbose)
        loss, accuracy = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
        gap = padding_invariance(model, unpadded, maxlen)
        results[kind] = {"params": model.count_params(), "history": history.history, "loss": loss,
                         "accuracy": accuracy, "padding_gap": gap}
        print(f"{kind:>13}: params={model.count_params():,} test loss={loss:.4f} test accuracy={accuracy:.4f} "
              f"pre/post padding gap={gap:.1e} ({time.time() - start:.1f}s)")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true", help="generated reviews instead of downloading IMDB")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--samples", type=int, default=None, help="training reviews (default: all of IMDB, "
                                                                  "5,120 generated)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,280 samples, no progress bars")
    args = parser.parse_args()
    try:
        main(offline=args.offline, models=args.models, samples=args.samples, epochs=args.epochs, quick=args.quick)
    except DownloadError as error:
        parser.exit(1, f"{error}\nTo run without downloading anything, pass --offline.\n")
