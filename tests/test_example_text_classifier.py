"""examples/text_classifier.py: offline, the LSTM and GRU classifiers learn the generated reviews' rule, the
mask makes predictions independent of where the padding goes, and IMDB data is padded as described."""
import importlib.util
import pathlib

import numpy as np
import pytest

import kerasj

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "text_classifier.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("text_classifier", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(example):
    return example.main(offline=True, models=("lstm", "gru"), quick=True, epochs=3)


def lstm_params(units, input_dim):
    return 4 * (input_dim * units + units * units + units)


def test_lstm_and_gru_learn_the_rule(quick_run):
    # Offline sizes: vocabulary 200, embeddings and states of 32. Counts from the layer shapes:
    embedding, dense = 200 * 32, 32 + 1
    gru = 3 * (32 * 32 + 32 * 32) + 2 * 3 * 32   # reset_after=True: separate input and recurrent biases
    expected_params = {"lstm": embedding + lstm_params(32, 32) + dense, "gru": embedding + gru + dense}
    assert set(quick_run) == {"lstm", "gru"}
    for kind, result in quick_run.items():
        assert result["params"] == expected_params[kind]
        history = result["history"]
        assert history["loss"][-1] < history["loss"][0] - 0.1, history
        assert history["val_accuracy"][-1] > 0.7, history
        # Labels are balanced (about half positive), so chance is 0.5.
        assert result["accuracy"] > 0.7, (kind, result)
        assert result["padding_gap"] < 1e-5, (kind, result["padding_gap"])


def test_bidirectional_model_ignores_padding_position(example):
    kerasj.utils.set_random_seed(0)
    # The offline sizes (the weight shapes of the quick run's LSTM, so initialising them compiles nothing new).
    model = example.build_model("bidirectional", num_words=200, embed_dim=32, units=64)
    # Two LSTM(32) over 32-dim embeddings, concatenated to 64 features for the Dense layer.
    assert model.count_params() == 200 * 32 + 2 * lstm_params(32, 32) + 64 + 1
    sequences, _ = example.generated_reviews(32, num_words=200, maxlen=40, seed=3)
    assert min(map(len, sequences)) < 40  # some reviews really are padded
    assert example.padding_invariance(model, sequences, maxlen=40) < 1e-6


def test_generated_labels_follow_the_majority_of_opinion_words(example):
    sequences, labels = example.generated_reviews(200, num_words=60, maxlen=20, opinion_words=5, seed=0)
    assert all(5 <= len(s) <= 20 for s in sequences)
    for sequence, label in zip(sequences, labels):
        sequence = np.asarray(sequence)
        positive, negative = np.sum(sequence <= 5), np.sum((sequence > 5) & (sequence <= 10))
        assert positive + negative in (1, 3, 5) and sequence.min() >= 1 and sequence.max() < 60
        assert label == float(positive > negative)
    assert 0.35 < labels.mean() < 0.65


def test_imdb_reviews_are_padded_at_the_front_and_keep_their_end(example, monkeypatch):
    # No network in CI: a stand-in with the real loader's layout (object arrays of lists, int labels).
    reviews = np.empty(3, dtype=object)
    reviews[:] = [[1, 14, 22], [1, 5, 6, 7, 8, 9], [1, 30]]
    labels = np.array([1, 0, 1])
    calls = []

    def fake_load_data(num_words=None):
        calls.append(num_words)
        return (reviews, labels), (reviews[:2], labels[:2])

    monkeypatch.setattr(kerasj.datasets.imdb, "load_data", fake_load_data)
    (x_train, y_train), (x_test, y_test) = example.load_imdb(num_words=100, maxlen=4)
    assert calls == [100]
    np.testing.assert_array_equal(x_train, [[0, 1, 14, 22], [6, 7, 8, 9], [0, 0, 1, 30]])
    assert x_train.dtype == np.int32 and y_train.dtype == np.float32
    np.testing.assert_array_equal(y_test, [1.0, 0.0])
    assert x_test.shape == (2, 4)


def test_unknown_model_kind_is_rejected(example):
    with pytest.raises(ValueError, match=r"unknown model kind 'transformer'; expected one of \['lstm', 'gru'"):
        example.build_model("transformer", num_words=10)
