"""Variables marked `overwrite_with_gradient` (float8 scales) take their gradient as their value, as in Keras 3:
no learning rate, no clipping; with gradient accumulation, the largest gradient of the window on the update step."""
import numpy as np
import pytest

import kerasj


def _run(lib, **kwargs):
    plain = lib.Variable(np.array([1.0, 2.0], "float32"), name="plain")
    scale = lib.Variable(np.array([0.5, 0.5], "float32"), name="scale")
    scale.overwrite_with_gradient = True
    optimizer = lib.optimizers.SGD(0.1, clipnorm=0.01, **kwargs)
    history = []
    for step in range(4):
        grads = [np.array([1.0, -1.0], "float32") * (step + 1), np.array([3.0, 1.0], "float32") * (-1) ** step]
        optimizer.apply(grads, [plain, scale])
        history.append((np.asarray(plain.value).copy(), np.asarray(scale.value).copy()))
    return history, int(optimizer.iterations)


@pytest.mark.parametrize("kwargs", [{}, {"gradient_accumulation_steps": 2}], ids=["plain", "accumulating"])
def test_overwrite_with_gradient_matches_keras(kwargs):
    import keras

    ours, our_iterations = _run(kerasj, **kwargs)
    theirs, their_iterations = _run(keras, **kwargs)
    assert our_iterations == their_iterations
    for (p, s), (kp, ks) in zip(ours, theirs):
        np.testing.assert_allclose(p, kp, rtol=1e-6)
        np.testing.assert_array_equal(s, ks)
    if not kwargs:
        np.testing.assert_array_equal(ours[-1][1], [-3.0, -1.0])  # the last gradient itself, unclipped


def test_only_overwritten_variables_skip_the_update_step():
    scale = kerasj.Variable(np.array([0.5], "float32"))
    scale.overwrite_with_gradient = True
    optimizer = kerasj.optimizers.SGD(0.1)
    optimizer.apply([np.array([2.0], "float32")], [scale])
    np.testing.assert_array_equal(scale.numpy(), [2.0])
