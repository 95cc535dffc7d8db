"""Random numbers with explicit state: SeedGenerator keeps its key in a Variable, so it advances correctly
inside compiled steps (each traced step reads the current state and assigns the next one).

    >>> kerasj.utils.set_random_seed(0)
    >>> gen = SeedGenerator(42)
    >>> x = normal((2, 3), seed=gen)   # a fresh key each call, also under kerasj.function / fit
"""
import functools
import math
import random as _pyrandom

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.utils.memory import available_bytes
from kerasj.variables import Variable, name_scope


def make_default_seed():
    """An int seed drawn from Python's RNG, which `kerasj.utils.set_random_seed` makes deterministic."""
    return _pyrandom.randint(1, int(1e9))


class SeedGenerator:
    """Stateful source of JAX keys. Its state is a uint32 Variable `[seed, counter]`.

    Args:
        seed: int or None (drawn from the global RNG, deterministic under `set_random_seed`).
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator: seed must be an int or None; received {seed!r}")
        self.name = name or "seed_generator"
        self._initial_seed = int(seed)
        with name_scope(self.name):
            self.state = Variable(np.array([int(seed) % (2**32), 0], dtype=np.uint32), dtype="uint32",
                                  trainable=False, name="seed_generator_state")

    def next(self):
        """Return a key for this draw and advance the state."""
        state = self.state.value
        self.state.assign(state + jnp.array([0, 1], dtype="uint32"))
        return jax.random.fold_in(jax.random.PRNGKey(state[0]), state[1])

    def get_config(self):
        return {"seed": self._initial_seed}


def draw_key(seed):
    """A JAX key from `seed`: an int (fixed), a SeedGenerator (advanced), a key array, or None (global RNG)."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        return jax.random.PRNGKey(make_default_seed())
    if isinstance(seed, (int, np.integer)):
        return jax.random.PRNGKey(int(seed))
    return jnp.asarray(seed)


@functools.partial(jax.jit, static_argnames=("kind", "size", "dtype"))
def _flat_sample(key, a, b, *, kind, size, dtype):
    if kind == "normal":
        return a + b * jax.random.normal(key, (size,), dtype=dtype)
    if kind == "uniform":
        return jax.random.uniform(key, (size,), dtype=dtype, minval=a, maxval=b)
    return a + b * jax.random.truncated_normal(key, -2.0, 2.0, (size,), dtype=dtype)


def sample_for_initializer(kind, shape, a, b, dtype, seed):
    """`kind` ("normal": mean a, stddev b; "uniform": [a, b); "truncated_normal") samples of `shape` for a
    weight initializer.

    Every new shape given to jax.random compiles a new sampling program (0.1-0.5 s each on CPU), which made
    creating a model cost seconds. Here the samples are the first entries of a flat draw whose length is
    rounded up to a power of two, so a whole model needs only a handful of compiled programs. Values are still
    fixed by the seed.
    """
    shape = tuple(int(d) for d in shape)
    size = math.prod(shape)
    bucket = 1 << max(4, (max(size, 1) - 1).bit_length())
    itemsize = jnp.dtype(dtype).itemsize
    if (bucket + size) * itemsize > (64 << 20) and (bucket + size) * itemsize > (available_bytes() or math.inf):
        bucket = size  # a weight this close to the device's memory cannot afford the padded draw
    flat = _flat_sample(draw_key(seed), a, b, kind=kind, size=bucket, dtype=jnp.dtype(dtype).name)
    if isinstance(flat, jax.core.Tracer):
        return flat[:size].reshape(shape)
    # Slicing on the host avoids compiling a slice per shape too.
    return jax.device_put(np.asarray(flat)[:size].reshape(shape))  # jnp.asarray would compile per shape


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = dtype or config.floatx()
    return mean + stddev * jax.random.normal(draw_key(seed), tuple(shape), dtype=dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = dtype or config.floatx()
    return jax.random.uniform(draw_key(seed), tuple(shape), dtype=dtype, minval=minval, maxval=maxval)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = dtype or config.floatx()
    return mean + stddev * jax.random.truncated_normal(draw_key(seed), -2.0, 2.0, tuple(shape), dtype=dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero elements with probability `rate` and scale the rest by 1 / (1 - rate)."""
    inputs = jnp.asarray(inputs)
    shape = inputs.shape if noise_shape is None else tuple(
        d if d is not None else inputs.shape[i] for i, d in enumerate(noise_shape))
    keep = jax.random.bernoulli(draw_key(seed), 1.0 - rate, shape)
    return jnp.where(keep, inputs / (1.0 - rate), jnp.zeros_like(inputs))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    return jax.random.randint(draw_key(seed), tuple(shape), minval, maxval, dtype=dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Samples from the categorical distributions given by each row of `logits`: shape (batch, num_samples)."""
    logits = jnp.asarray(logits)
    samples = jax.random.categorical(draw_key(seed), logits[:, None, :], axis=-1,
                                     shape=(logits.shape[0], num_samples))
    return samples.astype(dtype)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of the Gamma distribution with shape parameter `alpha` (scale 1): mean and variance `alpha`.

        >>> gamma((2,), alpha=3.0, seed=1).shape
        (2,)
    """
    dtype = dtype or config.floatx()
    return jax.random.gamma(draw_key(seed), jnp.asarray(alpha), shape=tuple(shape), dtype=dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Number of successes in `counts` trials of probability `probabilities` (both broadcast to `shape`), as
    floats of `dtype`: mean `counts * p`, variance `counts * p * (1 - p)`.

        >>> binomial((3,), counts=10, probabilities=0.5, seed=1).shape
        (3,)
    """
    dtype = dtype or config.floatx()
    return jax.random.binomial(draw_key(seed), jnp.asarray(counts), jnp.asarray(probabilities),
                               shape=tuple(shape), dtype=dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of the Beta(`alpha`, `beta`) distribution on [0, 1]: mean `alpha / (alpha + beta)`.

        >>> beta((2,), alpha=2.0, beta=5.0, seed=1).shape
        (2,)
    """
    dtype = dtype or config.floatx()
    return jax.random.beta(draw_key(seed), jnp.asarray(alpha), jnp.asarray(beta), shape=tuple(shape), dtype=dtype)


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` randomly permuted."""
    return jax.random.permutation(draw_key(seed), jnp.asarray(x), axis=axis, independent=False)
