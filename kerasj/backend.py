"""`keras.backend` compatibility: the few global helpers users call."""
from kerasj.config import epsilon, floatx, set_epsilon, set_floatx
from kerasj.utils.naming import clear_session


def backend():
    """The name of the (only) backend."""
    return "jax"
