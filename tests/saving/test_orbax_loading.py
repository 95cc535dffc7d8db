"""`model.load_weights(directory)` and `load_model(directory)` on Orbax checkpoint directories, as Keras 3.15: the
newest step of a root or a given step directory, written by kerasj's or by Keras's OrbaxCheckpoint."""
import os

import numpy as np
import pytest

import kerasj

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = (X.sum(axis=1, keepdims=True) > 0).astype("float32")


def _model(lib):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="relu", name="hidden"),
                            lib.layers.Dense(1, name="out")])
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def _train(lib, directory, **kwargs):
    model = _model(lib)
    per_epoch = []
    record = lib.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    callback = lib.callbacks.OrbaxCheckpoint(str(directory), save_on_background=False, max_to_keep=3, **kwargs)
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[callback, record])
    return model, per_epoch


def _same(a, b):
    assert len(a) == len(b)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ours") / "ckpt"
    return (directory, *_train(kerasj, directory))


def test_load_weights_reads_the_newest_step_of_a_root(ours):
    directory, trained, _ = ours
    fresh = _model(kerasj)
    fresh.fit(X[:8], Y[:8], verbose=0)  # builds the optimizer's slots, so its state loads too
    fresh.load_weights(str(directory))
    _same(fresh.get_weights(), trained.get_weights())
    _same([v.value for v in fresh.optimizer.variables], [v.value for v in trained.optimizer.variables])


def test_load_weights_of_a_step_directory_reads_that_step(ours):
    directory, _, per_epoch = ours
    fresh = _model(kerasj)
    fresh.load_weights(os.path.join(directory, "0"))
    _same(fresh.get_weights(), per_epoch[0])


def test_load_model_rebuilds_compiles_and_restores(ours):
    directory, trained, _ = ours
    loaded = kerasj.saving.load_model(str(directory))
    assert loaded.compiled and isinstance(loaded.optimizer, kerasj.optimizers.Adam)
    _same(loaded.get_weights(), trained.get_weights())
    assert int(loaded.optimizer.iterations) == int(trained.optimizer.iterations) == 8
    np.testing.assert_allclose(loaded.predict(X, verbose=0), trained.predict(X, verbose=0), atol=1e-6)


def test_a_model_that_does_not_fit_is_refused_and_left_unchanged(ours):
    directory, *_ = ours
    other = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(5), kerasj.layers.Dense(1)])
    before = other.get_weights()
    with pytest.raises(ValueError, match="load_weights: the checkpoint .* does not fit the model"):
        other.load_weights(str(directory))
    _same(other.get_weights(), before)


def test_weights_only_checkpoints_load_weights_but_not_models(tmp_path):
    directory = tmp_path / "weights_only"
    trained, _ = _train(kerasj, directory, save_weights_only=True)
    with pytest.raises(ValueError, match="save_weights_only=True"):
        kerasj.saving.load_model(str(directory))
    fresh = _model(kerasj)
    fresh.load_weights(str(directory))
    _same(fresh.get_weights(), trained.get_weights())


def test_keras_written_checkpoints_load_in_kerasj(tmp_path):
    import keras

    directory = tmp_path / "theirs"
    theirs, _ = _train(keras, directory)
    expected = theirs.predict(X, verbose=0)
    # Keras names optimizer slots after its own variable paths: kerasj loads the weights and says so.
    with pytest.warns(UserWarning, match="optimizer state"):
        loaded = kerasj.saving.load_model(str(directory))
    np.testing.assert_allclose(loaded.predict(X, verbose=0), expected, atol=1e-6)
    _same(loaded.get_weights(), theirs.get_weights())
    fresh = _model(kerasj)
    with pytest.warns(UserWarning, match="optimizer state"):
        fresh.load_weights(str(directory))
    _same(fresh.get_weights(), theirs.get_weights())
    # (The other direction is not checked: Keras 3.15's load_model of an Orbax directory builds the model from
    # its config, whose variable paths lack the model's prefix, so its path-keyed set_state_tree silently keeps
    # the fresh weights, for Keras's own checkpoints too.)
