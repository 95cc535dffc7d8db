"""Bad input that Keras 3 (and kerasj before) accepted silently or failed on deep inside: out-of-range
sparse labels, incomplete class_weight, unknown input keys, a loss list of the wrong length, and a
generator yielding something that is not a batch. Every error comes before anything is compiled and
leaves weights and optimizer state as they were."""
import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import kerasj as keras
from kerasj import layers
from kerasj.trainer import data as data_utils

X = np.random.default_rng(0).random((6, 4)).astype(np.float32)
GOOD = np.array([0, 1, 2, 2, 0, 1])


def classifier(loss="sparse_categorical_crossentropy", classes=3):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(classes, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    return model


def trained(model):
    """The model with non-trivial optimizer state (filled in directly: a real fit would cost a compile)."""
    model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(1)
    for v in model.optimizer.variables:
        v.assign((rng.random(v.shape) * 5).astype(v.dtype))
    return model


def accepts(model, x, y, **kwargs):
    """fit with epochs=0 runs every check on the data (and builds everything) but compiles no step."""
    model.fit(x, y, epochs=0, verbose=0, **kwargs)


def snapshot(model):
    """Weights, optimizer state and the compiled step programs (with their trace counts)."""
    return ([np.array(w) for w in model.get_weights()], [np.array(v.value) for v in model.optimizer.variables],
            {kind: p.trace_count for kind, p in model._programs.items()})


def assert_unchanged(model, before):
    weights, opt, programs = snapshot(model)
    assert programs == before[2]  # nothing new was compiled
    assert len(weights) == len(before[0]) and len(opt) == len(before[1])
    for a, b in zip(weights + opt, before[0] + before[1]):
        np.testing.assert_array_equal(a, b)


def raises_unchanged(model, exc, match, fn):
    before = snapshot(model)
    with pytest.raises(exc, match=match) as info:
        fn()
    assert_unchanged(model, before)
    return str(info.value)


# -- a. sparse labels out of range -----------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy",
                                  keras.losses.sparse_categorical_crossentropy,
                                  keras.losses.SparseCategoricalCrossentropy()])
def test_sparse_label_above_range_fails_before_fit(loss):
    model = trained(classifier(loss))
    y = np.array([0, 1, 2, 7, 0, 1])
    msg = raises_unchanged(model, ValueError, "out of range", lambda: model.fit(X, y, verbose=0))
    assert "sparse_categorical_crossentropy" in msg and "3 classes" in msg and "7" in msg
    assert msg.startswith("fit:")


def test_negative_sparse_label_fails_in_fit_and_evaluate():
    model = trained(classifier())
    y = np.array([0, 1, 2, -1, 0, 1])
    msg = raises_unchanged(model, ValueError, "out of range", lambda: model.fit(X, y, verbose=0))
    assert "-1" in msg
    msg = raises_unchanged(model, ValueError, "out of range", lambda: model.evaluate(X, y, verbose=0))
    assert msg.startswith("evaluate:")


def test_bad_validation_labels_fail_before_training():
    model = trained(classifier())
    bad = np.array([0, 1, 5, 0, 1, 2])
    msg = raises_unchanged(model, ValueError, "out of range",
                           lambda: model.fit(X, GOOD, validation_data=(X, bad), verbose=0))
    assert "validation_data" in msg and "5" in msg


def test_ignore_class_labels_are_allowed():
    accepts(classifier(keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)), X,
            np.array([0, 1, -1, 2, -1, 1]))
    model = trained(classifier(keras.losses.SparseCategoricalCrossentropy(ignore_class=9)))
    accepts(model, X, np.array([0, 9, 2, 2, 9, 1]))
    msg = raises_unchanged(model, ValueError, "ignore_class=9",
                           lambda: model.fit(X, np.array([0, 9, 3, 2, 9, 1]), verbose=0))
    assert "3" in msg


def test_in_range_labels_of_any_layout_pass():
    model = classifier()
    accepts(model, X, GOOD.astype(np.float32)[:, None])  # float labels with a trailing axis
    accepts(model, X, jnp.asarray(GOOD))
    assert np.isfinite(model.evaluate(X, GOOD, verbose=0))


def test_sparse_labels_are_checked_per_output():
    inp = keras.Input((4,))
    model = keras.Model(inp, {"small": layers.Dense(3, name="small")(inp), "big": layers.Dense(5, name="big")(inp)})
    model.compile(optimizer="sgd", loss={"small": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                         "big": keras.losses.SparseCategoricalCrossentropy(from_logits=True)})
    labels = np.array([0, 1, 2, 4, 0, 1])
    accepts(model, X, {"small": GOOD, "big": labels})  # 4 is a class of the 5-way output
    msg = raises_unchanged(model, ValueError, "out of range",
                           lambda: model.fit(X, {"small": labels, "big": labels}, verbose=0))
    assert "'small'" in msg and "3 classes" in msg and "4" in msg


# -- b. class_weight --------------------------------------------------------------------------------------

def test_class_weight_missing_a_class_fails():
    model = trained(classifier())
    msg = raises_unchanged(model, ValueError, "class_weight",
                           lambda: model.fit(X, GOOD, class_weight={0: 1.0, 1: 2.0}, verbose=0))
    assert "[2]" in msg and "[0, 1]" in msg


def test_class_weight_with_one_hot_targets_uses_argmax():
    model = trained(classifier("categorical_crossentropy"))
    msg = raises_unchanged(model, ValueError, "class_weight",
                           lambda: model.fit(X, np.eye(3)[GOOD], class_weight={0: 1.0, 2: 2.0}, verbose=0))
    assert "[1]" in msg
    accepts(model, X, np.eye(3)[GOOD], class_weight={0: 1.0, 1: 1.0, 2: 2.0})


def test_negative_label_does_not_index_the_class_weight_table():
    model = trained(classifier(keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)))
    y = np.array([0, 1, 2, -1, 0, 1])
    cw = {0: 1.0, 1: 2.0, 2: 3.0}
    msg = raises_unchanged(model, ValueError, "-1", lambda: model.fit(X, y, class_weight=cw, verbose=0))
    assert "negative" in msg
    raises_unchanged(model, ValueError, "-1", lambda: model.train_on_batch(X, y, class_weight=cw))
    # An explicit weight for the ignored label is accepted.
    weights = data_utils.class_weight_to_sample_weight(y, {**cw, -1: 0.0})
    np.testing.assert_array_equal(weights, [1.0, 2.0, 3.0, 0.0, 1.0, 2.0])
    accepts(model, X, y, class_weight={**cw, -1: 0.0})


# -- c. unknown input keys --------------------------------------------------------------------------------

def two_input_model():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    model = keras.Model({"a": a, "b": b}, layers.Dense(1)(layers.Concatenate()([a, b])))
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("call", [lambda m, x: accepts(m, x, np.zeros((6, 1))),
                                  lambda m, x: m.evaluate(x, np.zeros((6, 1)), verbose=0),
                                  lambda m, x: m.predict(x, verbose=0)])
def test_unknown_input_keys_warn(call):
    model = two_input_model()
    with pytest.warns(UserWarning, match=r"\['extra'\]") as record:
        call(model, {"a": X, "b": X, "extra": X})
    assert "['a', 'b']" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call(model, {"a": X, "b": X})


# -- d. one loss per output -------------------------------------------------------------------------------

def two_output_model():
    inp = keras.Input((4,))
    return keras.Model(inp, [layers.Dense(1, name="o1")(inp), layers.Dense(1, name="o2")(inp)])


def test_loss_list_longer_than_outputs_fails():
    model = two_output_model()
    model.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    msg = raises_unchanged(model, ValueError, "list of 3 items",
                           lambda: model.fit(X, [np.zeros((6, 1))] * 2, verbose=0))
    assert "2 outputs" in msg and "['o1', 'o2']" in msg


def test_loss_list_for_a_single_output_model():
    model = classifier("mse")
    model.compile(optimizer="sgd", loss=["mse", "mae"])
    msg = raises_unchanged(model, ValueError, "list of 2 items", lambda: model.fit(X, np.zeros((6, 3)), verbose=0))
    assert "1 output" in msg
    model.compile(optimizer="sgd", loss=["mse"])  # one loss in a list: fine, as in Keras
    accepts(model, X, np.zeros((6, 3)))


def test_loss_weights_list_of_the_wrong_length_fails():
    model = two_output_model()
    model.compile(optimizer="sgd", loss="mse", loss_weights=[1.0, 2.0, 3.0])
    msg = raises_unchanged(model, ValueError, "loss_weights",
                           lambda: model.fit(X, [np.zeros((6, 1))] * 2, verbose=0))
    assert "3 " in msg and "2 outputs" in msg and "['o1', 'o2']" in msg


# -- e. a generator yielding something that is not a batch ------------------------------------------------

def batches(bad, at):
    for i in range(5):
        yield bad if i == at else (X, np.zeros((6, 3), np.float32))


@pytest.fixture(scope="module")
def regressor():
    return classifier("mse")


@pytest.mark.parametrize("bad, kind", [("oops", "str"), (None, "NoneType"), ({"a": 1}, "dict"),
                                       ((X, np.array(["a"] * 6)), "tuple"), ((X, X, X, X), "tuple")])
def test_generator_batch_that_is_not_arrays_names_its_index(regressor, bad, kind):
    with pytest.raises(TypeError, match="batch 3") as info:
        regressor.fit(batches(bad, 3), verbose=0)
    msg = str(info.value)
    assert f"Received {kind}:" in msg
    if kind != "tuple":
        assert repr(bad) in msg


def test_generator_first_batch_bad_leaves_model_unchanged(regressor):
    model = trained(regressor)
    msg = raises_unchanged(model, TypeError, "batch 0", lambda: model.fit(batches("oops", 0), verbose=0))
    assert "'oops'" in msg and "dtype <U4" in msg
    with pytest.raises(TypeError, match="batch 2"):
        model.evaluate(batches({"a": 1}, 2), verbose=0)
    with pytest.raises(TypeError, match="batch 2"):
        model.predict((b[0] if isinstance(b, tuple) else b for b in batches("oops", 2)), verbose=0)
