"""Accuracy functions and classes: values and shapes from hand-worked cases, names, arguments, jit."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import metrics

# Rows: argmax 1; argmax 0; argmax 2; a tie between classes 0 and 1.
PROBS = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4], [0.4, 0.4, 0.2]], np.float32)


def values(x):
    return np.asarray(x).tolist()


def test_accuracy_is_exact_equality_and_aligns_ranks():
    assert values(metrics.accuracy([1, 2, 3], [1, 2, 0])) == [1.0, 1.0, 0.0]
    out = metrics.accuracy([1, 2], [[1.0], [0.0]])  # (batch,) targets meet (batch, 1) predictions
    assert out.shape == (2, 1) and values(out) == [[1.0], [0.0]]
    assert out.dtype == jnp.float32


def test_binary_accuracy_uses_a_strict_threshold():
    y_true, y_pred = [1.0, 0.0, 1.0, 0.0], [0.6, 0.4, 0.5, 0.51]
    assert values(metrics.binary_accuracy(y_true, y_pred)) == [1.0, 1.0, 0.0, 0.0]
    assert values(metrics.binary_accuracy(y_true, y_pred, threshold=0.45)) == [1.0, 1.0, 1.0, 0.0]
    assert values(metrics.binary_accuracy([True, False], [0.9, 0.9])) == [1.0, 0.0]
    assert metrics.binary_accuracy(np.ones((2, 3)), np.full((2, 3), 0.7)).shape == (2, 3)


def test_categorical_accuracy_compares_argmaxes_first_index_wins_ties():
    one_hot = np.eye(3)[[1, 0, 2, 1]]
    assert values(metrics.categorical_accuracy(one_hot, PROBS)) == [1.0, 1.0, 1.0, 0.0]
    seq = metrics.categorical_accuracy(np.eye(3)[[[1, 0], [2, 1]]], PROBS.reshape(2, 2, 3))
    assert seq.shape == (2, 2) and values(seq) == [[1.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize("labels", [[1, 0, 0, 0], [[1], [0], [0], [0]], [1.0, 0.0, 0.0, 0.0]])
def test_sparse_categorical_accuracy_accepts_flat_or_column_labels(labels):
    out = metrics.sparse_categorical_accuracy(labels, PROBS)
    assert out.shape == (4,) and values(out) == [1.0, 1.0, 0.0, 1.0]


def test_sparse_categorical_accuracy_on_sequences():
    out = metrics.sparse_categorical_accuracy([[1, 0], [2, 1]], PROBS.reshape(2, 2, 3))
    assert out.shape == (2, 2) and values(out) == [[1.0, 1.0], [1.0, 0.0]]
    out = metrics.sparse_categorical_accuracy(np.array([[1, 0], [2, 1]])[..., None], PROBS.reshape(2, 2, 3))
    assert out.shape == (2, 2)


def test_top_k_counts_ties_as_hits_and_nan_as_miss():
    # Class 1 in row 4 ties the best score, so it is in the top 1.
    assert values(metrics.sparse_top_k_categorical_accuracy([0, 1, 0, 1], PROBS, k=1)) == [0.0, 0.0, 0.0, 1.0]
    assert values(metrics.sparse_top_k_categorical_accuracy([0, 1, 0, 1], PROBS, k=2)) == [0.0, 0.0, 1.0, 1.0]
    nan_row = np.array([[np.nan, 0.2, 0.1], [np.nan, 0.5, 0.4]], np.float32)
    assert values(metrics.sparse_top_k_categorical_accuracy([1, 0], nan_row, k=1)) == [1.0, 0.0]
    assert values(metrics.top_k_categorical_accuracy(np.eye(3)[[2, 1, 0, 2]], PROBS, k=2)) == [1.0, 0.0, 1.0, 0.0]


def test_top_k_keeps_the_label_shape():
    assert metrics.sparse_top_k_categorical_accuracy([[1], [0], [2], [2]], PROBS, k=2).shape == (4, 1)
    seq = metrics.sparse_top_k_categorical_accuracy([[1, 0], [2, 2]], PROBS.reshape(2, 2, 3), k=1)
    assert values(seq) == [[1.0, 1.0], [1.0, 0.0]]


def test_sparse_top_k_from_sorted_ids():
    ids = np.array([[1, 0, 2], [0, 2, 1], [2, 1, 0], [0, 1, 2]])
    out = metrics.sparse_top_k_categorical_accuracy([1, 1, 2, 1], ids, k=1, from_sorted_ids=True)
    assert values(out) == [1.0, 0.0, 1.0, 0.0]
    out = metrics.sparse_top_k_categorical_accuracy([1, 1, 2, 1], ids, k=2, from_sorted_ids=True)
    assert values(out) == [1.0, 0.0, 1.0, 1.0]


def test_functions_run_under_jit():
    fn = jax.jit(metrics.sparse_top_k_categorical_accuracy, static_argnames="k")
    assert values(fn(jnp.array([1, 0, 2, 0]), jnp.asarray(PROBS), k=1)) == [1.0, 1.0, 1.0, 1.0]
    assert values(jax.jit(metrics.binary_accuracy)(jnp.array([1.0]), jnp.array([0.7]))) == [1.0]


@pytest.mark.parametrize("cls,name", [
    (metrics.Accuracy, "accuracy"), (metrics.BinaryAccuracy, "binary_accuracy"),
    (metrics.CategoricalAccuracy, "categorical_accuracy"),
    (metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy"),
    (metrics.TopKCategoricalAccuracy, "top_k_categorical_accuracy"),
    (metrics.SparseTopKCategoricalAccuracy, "sparse_top_k_categorical_accuracy")])
def test_class_names_and_direction(cls, name):
    m = cls()
    assert m.name == name and m._direction == "up"
    assert [v.path for v in m.variables] == [f"{name}/total", f"{name}/count"]


def test_classes_average_with_sample_weights():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[1], [0], [0], [0]], PROBS, sample_weight=[1.0, 1.0, 2.0, 0.0])  # hits 1, 1, 0, (1)
    np.testing.assert_allclose(m.result(), 2.0 / 4.0)
    m = metrics.BinaryAccuracy(threshold=0.3)
    m.update_state([[1], [0]], [[0.35], [0.35]])
    np.testing.assert_allclose(m.result(), 0.5)
    m = metrics.TopKCategoricalAccuracy(k=1)
    m.update_state(np.eye(3)[[1, 1]], PROBS[:2])
    np.testing.assert_allclose(m.result(), 0.5)


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5, -0.1])
def test_binary_accuracy_threshold_must_be_inside_0_1(threshold):
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=threshold)


def test_configs_round_trip():
    for m in (metrics.BinaryAccuracy(threshold=0.2, name="b"), metrics.TopKCategoricalAccuracy(k=3),
              metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)):
        clone = type(m).from_config(m.get_config())
        assert clone.get_config() == m.get_config()
    assert metrics.TopKCategoricalAccuracy(k=3).get_config() == {
        "name": "top_k_categorical_accuracy", "dtype": "float32", "k": 3}
