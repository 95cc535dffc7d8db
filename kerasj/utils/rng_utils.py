"""Global seeding for reproducible runs."""
import random

import numpy as np


def set_random_seed(seed):
    """Seed Python's, NumPy's and kerasj's random generators, as `keras.utils.set_random_seed` does.

    Unseeded initializers, layers (Dropout) and SeedGenerators draw their seeds from Python's RNG, so after
    this call model construction and training are deterministic.

        >>> kerasj.utils.set_random_seed(1337)
    """
    if not isinstance(seed, int):
        raise ValueError(f"set_random_seed: expected an int seed; received {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
