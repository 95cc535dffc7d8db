"""User-defined initializers, regularizers and constraints inside saved layer configs: registered with
`register_keras_serializable` or passed in `custom_objects`, they load again (Keras 3 loads them too), and their
records name the registered class as Keras's do."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402


def _classes(lib):
    @lib.saving.register_keras_serializable(package="kjtest")
    class ScaledOnes(lib.initializers.Initializer):
        def __init__(self, scale=1.0):
            self.scale = scale

        def __call__(self, shape, dtype=None):
            return lib.ops.ones(shape, dtype=dtype) * self.scale

        def get_config(self):
            return {"scale": self.scale}

    @lib.saving.register_keras_serializable(package="kjtest")
    class SumSquares(lib.regularizers.Regularizer):
        def __init__(self, factor=0.1):
            self.factor = factor

        def __call__(self, x):
            return self.factor * lib.ops.sum(lib.ops.square(x))

        def get_config(self):
            return {"factor": self.factor}

    @lib.saving.register_keras_serializable(package="kjtest")
    class ClipAt(lib.constraints.Constraint):
        def __init__(self, limit=1.0):
            self.limit = limit

        def __call__(self, w):
            return lib.ops.clip(w, -self.limit, self.limit)

        def get_config(self):
            return {"limit": self.limit}

    return ScaledOnes, SumSquares, ClipAt


OURS, THEIRS = _classes(kerasj), _classes(keras)


def _dense(lib, classes):
    init, reg, con = classes
    return lib.layers.Dense(2, kernel_initializer=init(0.5), kernel_regularizer=reg(0.2), kernel_constraint=con(0.3))


def test_records_name_the_registered_class_as_keras_does():
    ours, theirs = _dense(kerasj, OURS).get_config(), _dense(keras, THEIRS).get_config()
    for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint"):
        assert ours[key] == theirs[key]
        assert ours[key]["registered_name"].startswith("kjtest>")


@pytest.mark.parametrize("writer", ["kerasj", "keras"])
def test_a_model_with_them_loads_from_a_file_either_library_wrote(tmp_path, writer):
    lib, classes = (kerasj, OURS) if writer == "kerasj" else (keras, THEIRS)
    model = lib.Sequential([lib.Input((3,)), _dense(lib, classes)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = kerasj.models.load_model(path)
    layer = loaded.layers[-1]
    assert isinstance(layer.kernel_initializer, OURS[0]) and layer.kernel_initializer.scale == 0.5
    assert isinstance(layer.kernel_regularizer, OURS[1]) and layer.kernel_regularizer.factor == 0.2
    assert isinstance(layer.kernel_constraint, OURS[2]) and layer.kernel_constraint.limit == 0.3
    np.testing.assert_allclose(loaded.get_weights()[0], np.full((3, 2), 0.5))  # the saved weights
    x = np.ones((1, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.asarray(model.predict(x, verbose=0)), rtol=1e-6)


def test_an_initializer_function_resolves_through_custom_objects(tmp_path):
    def tiny(shape, dtype=None):
        return kerasj.ops.full(shape, 0.01, dtype=dtype)

    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(2, kernel_initializer=tiny)])
    path = str(tmp_path / "f.keras")
    model.save(path)
    with pytest.raises(ValueError, match="tiny"):
        kerasj.models.load_model(path)
    loaded = kerasj.models.load_model(path, custom_objects={"tiny": tiny})
    assert loaded.layers[-1].kernel_initializer is tiny
