"""Arguments Keras accepts are either honoured or refused with a clear error, never silently ignored."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402


def _model():
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("value", [True, False])
def test_compile_accepts_auto_scale_loss_bools(value):
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=value)
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)


@pytest.mark.parametrize("kwargs, match", [({"auto_scale_loss": "yes"}, "auto_scale_loss must be True or False"),
                                           ({"jit_compile": "xla"}, "jit_compile must be 'auto', True or False")])
def test_compile_rejects_bad_values(kwargs, match):
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    with pytest.raises(ValueError, match=match):
        model.compile(optimizer="sgd", loss="mse", **kwargs)


def test_evaluate_rejects_unknown_keyword_arguments_like_keras():
    x, y = np.ones((4, 3), np.float32), np.ones((4, 1), np.float32)
    ours = _model()
    with pytest.raises(ValueError, match=r"evaluate: arguments not recognized: \['use_multiprocessing'\]"):
        ours.evaluate(x, y, verbose=0, use_multiprocessing=True)
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    theirs.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="Arguments not recognized"):
        theirs.evaluate(x, y, verbose=0, use_multiprocessing=True)


@pytest.mark.parametrize("kwargs", [{"input_signature": None}, {"autograph": False}, {"reduce_retracing": True}])
def test_function_refuses_tf_function_options(kwargs):
    with pytest.raises(TypeError, match=f"unsupported arguments \\['{next(iter(kwargs))}'\\]"):
        kerasj.function(lambda x: x, **kwargs)
    with pytest.raises(TypeError, match="only `jit_compile` is accepted"):
        kerasj.function(**kwargs)
