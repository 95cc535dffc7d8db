"""IoU metrics against a numpy confusion matrix: per-class IoU, target classes, ignore_class, one-hot
inputs, integer state, errors and configs."""
import numpy as np
import pytest

from kerasj import metrics

C = 4
RNG = np.random.default_rng(0)
LABELS = RNG.integers(0, C, size=(5, 3))
PREDS = RNG.integers(0, C, size=(5, 3))
WEIGHTS = RNG.uniform(0, 2, size=(5, 3)).astype(np.float32)


def numpy_iou(labels, preds, weights, class_ids):
    cm = np.zeros((C, C))
    for t, p, w in zip(labels.ravel(), preds.ravel(), weights.ravel()):
        if 0 <= t < C and 0 <= p < C:
            cm[t, p] += w
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    ious = [tp[i] / union[i] for i in class_ids if union[i] > 0]
    return np.mean(ious), cm


@pytest.mark.parametrize("class_ids", [[0, 2], [1], [0, 1, 2, 3]])
def test_iou_matches_numpy_with_fractional_weights(class_ids):
    m = metrics.IoU(C, class_ids, dtype="float32")
    m.update_state(LABELS, PREDS, sample_weight=WEIGHTS)
    expected, cm = numpy_iou(LABELS, PREDS, WEIGHTS, class_ids)
    np.testing.assert_allclose(m.total_cm.numpy(), cm, rtol=1e-6)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)


def test_integer_state_truncates_weights_and_still_gives_a_float():
    m = metrics.MeanIoU(C)
    assert m.dtype == "int32" and m.total_cm.dtype == "int32"
    m.update_state(LABELS, PREDS, sample_weight=WEIGHTS)
    expected, cm = numpy_iou(LABELS, PREDS, np.trunc(WEIGHTS), range(C))
    np.testing.assert_array_equal(m.total_cm.numpy(), cm)
    assert m.result().dtype == np.float32
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)


def test_ignore_class_and_out_of_range_ids_are_skipped():
    labels = np.array([0, 1, 2, 3, -1, 4])
    preds = np.array([0, 2, 2, 1, 1, 1])
    m = metrics.MeanIoU(C, ignore_class=1, dtype="float32")
    m.update_state(labels, preds)
    keep = labels != 1
    expected, cm = numpy_iou(labels[keep], preds[keep], np.ones(keep.sum()), range(C))
    np.testing.assert_array_equal(m.total_cm.numpy(), cm)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)


def test_classes_never_seen_are_left_out_of_the_mean():
    m = metrics.MeanIoU(C)
    m.update_state([0, 0, 1], [0, 1, 1])  # classes 2 and 3 never appear
    np.testing.assert_allclose(m.result(), (1 / 2 + 1 / 2) / 2, rtol=1e-5)


def test_binary_iou_thresholds_scores_inclusively():
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.5)
    m.update_state([0, 1, 1, 0], [0.5, 0.5, 0.2, 0.1])  # 0.5 predicts class 1
    np.testing.assert_array_equal(m.total_cm.numpy(), [[1, 1], [1, 1]])
    np.testing.assert_allclose(m.result(), 1 / 3, rtol=1e-5)


def test_one_hot_variants_take_the_argmax():
    one_hot = np.eye(C, dtype=np.float32)[LABELS.ravel()]
    scores = np.eye(C, dtype=np.float32)[PREDS.ravel()] * 0.7 + 0.05
    a = metrics.OneHotMeanIoU(C)
    a.update_state(one_hot, scores)
    b = metrics.OneHotIoU(C, [0, 3], sparse_y_pred=True)
    b.update_state(one_hot, PREDS.ravel())
    ones = np.ones(LABELS.size)
    np.testing.assert_allclose(a.result(), numpy_iou(LABELS, PREDS, ones, range(C))[0], rtol=1e-5)
    np.testing.assert_allclose(b.result(), numpy_iou(LABELS, PREDS, ones, [0, 3])[0], rtol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match="target class id 4 is out of range"):
        metrics.IoU(C, [0, 4])
    with pytest.raises(ValueError, match="one weight per class id"):
        metrics.MeanIoU(C).update_state(LABELS, PREDS, sample_weight=np.ones(5))


def test_names_and_configs():
    assert metrics.MeanIoU(C).name.startswith("mean_io_u")
    assert metrics.BinaryIoU()._direction == "up"
    for m in [metrics.IoU(C, [1, 2], ignore_class=0, sparse_y_pred=False, axis=1),
              metrics.BinaryIoU([1], threshold=0.3), metrics.MeanIoU(C, dtype="float32"),
              metrics.OneHotIoU(C, [0]), metrics.OneHotMeanIoU(C, sparse_y_pred=True)]:
        config = m.get_config()
        assert type(m).from_config(config).get_config() == config
    assert "sparse_y_true" not in metrics.OneHotMeanIoU(C).get_config()
    assert "target_class_ids" not in metrics.MeanIoU(C).get_config()
