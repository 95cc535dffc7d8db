"""`keras.backend` compatibility: the global helpers user code calls (settings, dtype utilities, unique ids).

    >>> kerasj.backend.backend(), kerasj.backend.floatx()
    ('jax', 'float32')
"""
import jax.numpy as jnp

from kerasj.config import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,  # noqa: F401
                           set_image_data_format)
from kerasj.ops.keras_tensor_utils import is_keras_tensor  # noqa: F401
from kerasj.utils.naming import get_uid  # noqa: F401
from kerasj.utils.session import clear_session  # noqa: F401
from kerasj.variables import standardize_dtype

def is_float_dtype(dtype):
    """Whether `dtype` (any dtype-like) is a floating-point dtype."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    """Whether `dtype` (any dtype-like) is a signed or unsigned integer dtype."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


def result_type(*dtypes):
    """The dtype name that arrays of `dtypes` combine to, by JAX's promotion lattice (which Keras uses);
    Python `int`/`float` are weak types, and no dtypes (or Python floats alone) give `floatx()`.

        >>> kerasj.backend.result_type("int32", "float16")
        'float16'
    """
    if not dtypes:
        return floatx()
    if all(d is float for d in dtypes):
        return floatx()
    return standardize_dtype(jnp.result_type(*(d if d in (int, float, bool) else standardize_dtype(d)
                                               for d in dtypes)))
