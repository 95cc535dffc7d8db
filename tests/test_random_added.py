"""kerasj.random.gamma / binomial / beta: Keras signatures, shape and default dtype, reproducibility with an int
seed and a SeedGenerator, supports, and sample moments against the distributions' formulas."""
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

from kerasj import random

N = 40_000  # one sample shape for every draw: each new shape compiles a new (slow) rejection sampler
DRAWS = {
    "gamma": (lambda **kw: random.gamma((N,), alpha=3.0, **kw), 3.0, 3.0),
    "binomial": (lambda **kw: random.binomial((N,), counts=10, probabilities=0.3, **kw), 3.0, 2.1),
    "beta": (lambda **kw: random.beta((N,), alpha=2.0, beta=5.0, **kw), 2 / 7, 10 / (49 * 8)),
}


@pytest.fixture(scope="module", params=sorted(DRAWS))
def draws(request):
    draw = DRAWS[request.param][0]
    gen1, gen2 = random.SeedGenerator(5), random.SeedGenerator(5)
    samples = {"seed7": draw(seed=7), "seed7_again": draw(seed=7), "seed8": draw(seed=8),
               "gen1_first": draw(seed=gen1), "gen1_second": draw(seed=gen1), "gen2_first": draw(seed=gen2)}
    return request.param, {k: np.asarray(v) for k, v in samples.items()}, samples["seed7"]


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_signature_matches_keras(name):
    assert inspect.signature(getattr(random, name)) == inspect.signature(getattr(keras.random, name))


def test_moments_match_the_distribution(draws):
    name, samples, _ = draws
    _, mean, var = DRAWS[name]
    x = samples["seed7"].astype("float64")
    # At N = 40k the standard errors of the sample mean and variance are well under these tolerances.
    np.testing.assert_allclose(x.mean(), mean, rtol=0.03)
    np.testing.assert_allclose(x.var(), var, rtol=0.06)
    if name == "binomial":
        assert np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= 10
    elif name == "beta":
        assert x.min() >= 0 and x.max() <= 1
    else:
        assert x.min() >= 0


def test_seed_reproducibility_shape_and_dtype(draws):
    _, samples, raw = draws
    assert raw.shape == (N,) and raw.dtype == np.float32
    np.testing.assert_array_equal(samples["seed7"], samples["seed7_again"])
    assert not np.array_equal(samples["seed7"], samples["seed8"])
    assert not np.array_equal(samples["gen1_first"], samples["gen1_second"])  # the generator advanced
    np.testing.assert_array_equal(samples["gen1_first"], samples["gen2_first"])

