"""Regularization layers: Dropout."""
from kerasj import random
from kerasj.layers.layer import Layer


class Dropout(Layer):
    """Randomly zeroes a fraction `rate` of inputs during training, scaling the rest by 1/(1-rate).

    Inactive at inference. The random state is a SeedGenerator Variable, so each compiled training step
    draws a fresh mask.

        >>> Dropout(0.5, seed=1)(jnp.ones((2, 4)), training=True)   # about half the entries are 2.0
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: `rate` must be a float in [0, 1]; received rate={rate!r}")
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return random.dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}
