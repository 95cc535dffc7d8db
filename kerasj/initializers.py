"""Weight initializers, as in `keras.initializers`: callables `initializer(shape, dtype=None) -> jax.Array`.

    >>> init = kerasj.initializers.get("glorot_uniform")
    >>> init((3, 4)).shape
    (3, 4)
    >>> layer = kerasj.layers.Dense(4, kernel_initializer=kerasj.initializers.HeNormal(seed=1))

Seeding: an int seed gives the same values on every call; `seed=None` draws a fresh key from Python's RNG on
each call (so `kerasj.utils.set_random_seed` makes it reproducible, and one instance shared by several layers
does not hand them identical weights); a `kerasj.random.SeedGenerator` advances on each call.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import random
from kerasj.saving.object_registration import get_registered_name, get_registered_object
from kerasj.variables import outside_traces, standardize_dtype
from kerasj.utils.keras_names import register_namespace

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it keeps the variance of a
# truncated draw equal to the requested one.
_TRUNCATED_STDDEV = 0.87962566103423978


def _standardize_shape(shape, owner):
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"{owner}: `shape` must be a tuple of non-negative ints; received shape={shape!r}") \
            from None
    if any(d < 0 for d in shape):
        raise ValueError(f"{owner}: `shape` must be a tuple of non-negative ints; received shape={shape!r}")
    return shape


def _float_dtype(dtype, owner):
    dtype = standardize_dtype(dtype)
    if not jnp.issubdtype(jnp.dtype(dtype), jnp.floating):
        raise ValueError(f"{owner} draws random floats: `dtype` must be a float dtype; received dtype={dtype!r}")
    return dtype


class Initializer:
    """Base class of initializers: subclasses implement `__call__(shape, dtype=None)` and, when they take
    arguments, `get_config()` returning the constructor's keyword arguments.

    Example:
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return jnp.full(shape, 0.5, dtype=standardize_dtype(dtype))
        >>> Halves()((2,))
        Array([0.5, 0.5], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# -- constant initializers ---------------------------------------------------------------------------

class Constant(Initializer):
    """Fills the tensor with `value` (a scalar, or an array broadcastable to the shape).

        >>> Constant(3.0)((2,))
        Array([3., 3.], dtype=float32)
    """

    def __init__(self, value=0.0):
        if isinstance(value, dict) and value.get("class_name") == "__numpy__":  # Keras's form for arrays
            value = np.asarray(value["config"]["value"], dtype=value["config"].get("dtype"))
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(shape, type(self).__name__)
        value = jnp.asarray(self.value, dtype=standardize_dtype(dtype))
        try:
            return jnp.broadcast_to(value, shape)
        except ValueError:
            raise ValueError(f"{type(self).__name__}: value of shape {value.shape} cannot be broadcast to "
                             f"shape={shape}") from None

    def get_config(self):
        value = self.value
        if isinstance(value, (np.ndarray, jax.Array)):
            value = np.asarray(value).tolist()
        return {"value": value}


def _filled(shape, dtype, value):
    # Outside traces a NumPy array put on the device compiles nothing (jnp.zeros compiles one program per
    # shape); inside one, jnp.full stays a cheap broadcast instead of a baked-in constant.
    if outside_traces():
        return jax.device_put(np.full(shape, value, dtype=jnp.dtype(dtype)))
    return jnp.full(shape, value, dtype=dtype)


class Zeros(Initializer):
    """Fills the tensor with 0.

        >>> Zeros()((2,), dtype="int32")
        Array([0, 0], dtype=int32)
    """

    def __call__(self, shape, dtype=None):
        return _filled(_standardize_shape(shape, "Zeros"), standardize_dtype(dtype), 0)


class Ones(Initializer):
    """Fills the tensor with 1.

        >>> Ones()((2,))
        Array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return _filled(_standardize_shape(shape, "Ones"), standardize_dtype(dtype), 1)


class Identity(Initializer):
    """`gain` times the identity matrix (2D shapes only; non-square shapes get ones on the main diagonal).

        >>> Identity(gain=2.0)((2, 3))
        Array([[2., 0., 0.],
               [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape; received shape={shape} of rank {len(shape)}")
        dtype = standardize_dtype(dtype)
        return (self.gain * jnp.eye(*shape, dtype=dtype)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


# -- random initializers -----------------------------------------------------------------------------

def _serialize_seed(seed):
    if isinstance(seed, random.SeedGenerator):
        return {"module": "keras.random", "class_name": "SeedGenerator",
                "config": {**seed.get_config(), "name": seed.name}, "registered_name": None}
    return seed


def _standardize_seed(seed, owner):
    if isinstance(seed, dict) and seed.get("class_name") == "SeedGenerator":
        return random.SeedGenerator(**seed.get("config", {}))
    if seed is None or isinstance(seed, random.SeedGenerator) or (
            isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return seed
    raise ValueError(f"{owner}: `seed` must be an int, a kerasj.random.SeedGenerator or None; "
                     f"received seed={seed!r}")


class RandomInitializer(Initializer):
    """Base of the random initializers: holds `seed` (int, SeedGenerator or None) and serializes it."""

    def __init__(self, seed=None):
        self.seed = _standardize_seed(seed, type(self).__name__)
        # As Keras 3 documents: an unseeded initializer fixes its seed when created (drawn from the global
        # RNG, so set_random_seed makes it reproducible) and returns the same values on every call.
        self._draw_seed = random.make_default_seed() if self.seed is None else self.seed

    def get_config(self):
        return {"seed": _serialize_seed(self.seed)}


class RandomNormal(RandomInitializer):
    """Samples from a normal distribution N(mean, stddev²).

        >>> RandomNormal(mean=0.0, stddev=0.05, seed=1)((2, 2)).shape
        (2, 2)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        return random.sample_for_initializer("normal", _standardize_shape(shape, "RandomNormal"), self.mean,
                                             self.stddev, _float_dtype(dtype, "RandomNormal"), self._draw_seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Samples uniformly from [minval, maxval).

        >>> RandomUniform(-1.0, 1.0, seed=1)((3,)).shape
        (3,)
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape, dtype=None):
        return random.sample_for_initializer("uniform", _standardize_shape(shape, "RandomUniform"), self.minval,
                                             self.maxval, _float_dtype(dtype, "RandomUniform"), self._draw_seed)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal(RandomInitializer):
    """Samples from N(mean, stddev²), redrawing values more than two stddevs from the mean.

    (The spread of the result is about 0.88 * stddev, as in Keras.)

        >>> TruncatedNormal(stddev=0.05, seed=1)((2, 2)).shape
        (2, 2)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        return random.sample_for_initializer("truncated_normal", _standardize_shape(shape, "TruncatedNormal"),
                                             self.mean, self.stddev, _float_dtype(dtype, "TruncatedNormal"),
                                             self._draw_seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


def compute_fans(shape, input_axes=None, output_axes=None):
    """`(fan_in, fan_out)` of a weight shape, as Keras computes them.

    Scalars count 1 and vectors count their length for both. For rank >= 2, a kernel is read as
    `(*receptive_field, in, out)`: `fan_in = in * prod(receptive_field)`, `fan_out = out * prod(receptive_field)`.
    When both `input_axes` and `output_axes` are given, the fans are instead the products of those axes' sizes.

        >>> compute_fans((3, 3, 16, 32))   # a 3x3 Conv2D kernel
        (144, 288)
    """
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        return (math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(RandomInitializer):
    """Scales the spread of the samples to the weight's fans, so activations keep their variance.

    With `n` = fan_in, fan_out or (fan_in + fan_out) / 2 according to `mode`:

    - "truncated_normal": stddev `sqrt(scale / n) / 0.8796...`, truncated at two stddevs, so the variance of
      the result is `scale / n`;
    - "untruncated_normal": stddev `sqrt(scale / n)`;
    - "uniform": uniform on `[-limit, limit]` with `limit = sqrt(3 * scale / n)` (variance `scale / n`).

    Args:
        scale: positive float.
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal" ("normal" is accepted for it), "untruncated_normal" or "uniform".
        seed: int, SeedGenerator or None.
        input_axes, output_axes: optional lists of axes whose sizes multiply to fan_in / fan_out (used only
            when both are given); see `compute_fans`.

        >>> VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=0)((64, 32)).shape
        (64, 32)
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        super().__init__(seed)
        owner = type(self).__name__
        if not isinstance(scale, (int, float, np.number)) or isinstance(scale, bool) or not scale > 0:
            raise ValueError(f"{owner}: `scale` must be a positive float; received scale={scale!r}")
        if mode not in _MODES:
            raise ValueError(f"{owner}: `mode` must be one of {list(_MODES)}; received mode={mode!r}")
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"{owner}: `distribution` must be one of {list(_DISTRIBUTIONS)}; "
                             f"received distribution={distribution!r}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)

    def __call__(self, shape, dtype=None):
        owner = type(self).__name__
        shape = _standardize_shape(shape, owner)
        dtype = _float_dtype(dtype, owner)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return random.sample_for_initializer("uniform", shape, -limit, limit, dtype, self._draw_seed)
        stddev = math.sqrt(variance)
        if self.distribution == "truncated_normal":
            return random.sample_for_initializer("truncated_normal", shape, 0.0, stddev / _TRUNCATED_STDDEV, dtype,
                                                 self._draw_seed)
        return random.sample_for_initializer("normal", shape, 0.0, stddev, dtype, self._draw_seed)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _NamedVarianceScaling(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed by the subclass."""

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(scale=self._scale, mode=self._mode, distribution=self._distribution, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": _serialize_seed(self.seed), "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class GlorotUniform(_NamedVarianceScaling):
    """Uniform on ±sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010); the default Dense kernel initializer.

        >>> GlorotUniform(seed=0)((3, 4)).shape
        (3, 4)
    """
    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_NamedVarianceScaling):
    """Truncated normal with variance 2 / (fan_in + fan_out).

        >>> GlorotNormal(seed=0)((3, 4)).shape
        (3, 4)
    """
    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeNormal(_NamedVarianceScaling):
    """Truncated normal with variance 2 / fan_in (He et al., 2015), suited to ReLU networks.

        >>> HeNormal(seed=0)((3, 4)).shape
        (3, 4)
    """
    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class HeUniform(_NamedVarianceScaling):
    """Uniform on ±sqrt(6 / fan_in).

        >>> HeUniform(seed=0)((3, 4)).shape
        (3, 4)
    """
    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class LecunNormal(_NamedVarianceScaling):
    """Truncated normal with variance 1 / fan_in (LeCun et al., 1998), used with SELU.

        >>> LecunNormal(seed=0)((3, 4)).shape
        (3, 4)
    """
    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class LecunUniform(_NamedVarianceScaling):
    """Uniform on ±sqrt(3 / fan_in).

        >>> LecunUniform(seed=0)((3, 4)).shape
        (3, 4)
    """
    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class Orthogonal(RandomInitializer):
    """`gain` times a random orthogonal matrix (Saxe et al., 2014), from the QR decomposition of a normal draw.

    A shape of rank > 2 is treated as the matrix `(prod(shape[:-1]), shape[-1])` and reshaped back. The result
    has orthonormal columns when there are at least as many rows as columns, orthonormal rows otherwise.

        >>> q = Orthogonal(seed=0)((4, 3))
        >>> jnp.allclose(q.T @ q, jnp.eye(3), atol=1e-5)
        Array(True, dtype=bool)
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _standardize_shape(shape, "Orthogonal")
        dtype = _float_dtype(dtype, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2; received shape={shape} of "
                             f"rank {len(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # QR of a tall matrix gives orthonormal columns; for a wide one, factor the transpose.
        tall = (max(rows, cols), min(rows, cols))
        # QR runs in at least float32: half-precision factorizations are unsupported or inaccurate.
        work_dtype = jnp.promote_types(dtype, jnp.float32)
        a = jax.random.normal(random.draw_key(self._draw_seed), tall, dtype=work_dtype)
        q, r = jnp.linalg.qr(a)
        # Fixing the signs of R's diagonal makes Q uniformly distributed over orthogonal matrices.
        q = q * jnp.where(jnp.diagonal(r) < 0, -1.0, 1.0).astype(work_dtype)
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


# Keras 3 also exports these under longer names.
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal

# Lower-case aliases, as `keras.initializers` exports them (they are the classes, not instances).
constant, zeros, zero, ones, one, identity = Constant, Zeros, Zeros, Ones, Ones, Identity
random_normal = normal = RandomNormal
random_uniform = uniform = RandomUniform
truncated_normal, variance_scaling, orthogonal = TruncatedNormal, VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_normal, he_uniform = GlorotUniform, GlorotNormal, HeNormal, HeUniform
lecun_normal, lecun_uniform = LecunNormal, LecunUniform

# STFT lives in its own module, which builds on the Initializer base above.
from kerasj.stft_initializer import STFT  # noqa: E402

STFTInitializer = stft = STFT

_CLASSES = (Constant, Zeros, Ones, Identity, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal, STFT)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal, "STFTInitializer": STFT, "stft": STFT,
    "constant": Constant, "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "identity": Identity,
    "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "orthogonal": Orthogonal, "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_normal": HeNormal, "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
})


def _lookup(name, custom_objects=None, registered_name=None):
    # A user's class first (custom_objects, open custom_object_scopes, register_keras_serializable), then ours.
    cls = next((obj for key in (registered_name, name) if isinstance(key, str)
                for obj in [get_registered_object(key, custom_objects)] if obj is not None), None)
    cls = cls or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"Unknown initializer: {name!r}. Valid names: {sorted(_BY_NAME)}")
    return cls


def serialize(initializer):
    """The Keras config of an initializer: `{"module", "class_name", "config", "registered_name"}`.

    None gives None and a name string is returned as is; a plain function is recorded by name (it needs
    `custom_objects` to be deserialized).

        >>> serialize(Zeros())
        {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {}, 'registered_name': None}
    """
    if initializer is None or isinstance(initializer, str):
        return initializer
    if isinstance(initializer, Initializer):
        cls = type(initializer)
        builtin = _BY_NAME.get(cls.__name__) is cls
        return {"module": "keras.initializers" if builtin else cls.__module__, "class_name": cls.__name__,
                "config": initializer.get_config(), "registered_name": None if builtin else get_registered_name(cls)}
    if callable(initializer) and hasattr(initializer, "__name__"):
        return {"module": getattr(initializer, "__module__", None), "class_name": "function",
                "config": initializer.__name__, "registered_name": "function"}
    raise ValueError(f"initializers.serialize: expected an Initializer, a function, a name or None; "
                     f"received {initializer!r}")


def deserialize(config, custom_objects=None):
    """Rebuild an initializer from `serialize` output (or a name). Custom classes and functions resolve
    through `custom_objects={"Name": obj}`.

        >>> deserialize({"class_name": "RandomNormal", "config": {"stddev": 0.1}})
        RandomNormal(seed=None, mean=0.0, stddev=0.1)
    """
    if isinstance(config, str):
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"initializers.deserialize: expected a name or a dict with 'class_name' and "
                         f"'config'; received {config!r}")
    if config["class_name"] == "function":
        name = config.get("config")
        fn = get_registered_object(name, custom_objects) if isinstance(name, str) else None
        if fn is None:
            raise ValueError(f"initializers.deserialize: function {config.get('config')!r} is not a built-in; "
                             "pass it in custom_objects.")
        return fn
    cls = _lookup(config["class_name"], custom_objects, config.get("registered_name"))
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """An initializer from None (gives None), a name ("glorot_uniform", "zeros", "HeNormal", ...), a config
    dict, an Initializer instance or class, or any callable `(shape, dtype=None) -> array`.

        >>> get("he_normal")
        HeNormal(seed=None, input_axes=None, output_axes=None)
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}. Expected None, a name "
                     f"(one of {sorted(_BY_NAME)}), a config dict, an Initializer or a callable.")


register_namespace("keras.initializers", globals())  # configs name these classes and functions
