"""LoRA (low-rank adaptation) for the layers that have one big weight: Dense, EinsumDense, Embedding.

`layer.enable_lora(rank)` freezes the weight `w` and adds two trainable factors `a` (w.shape[:-1] + (rank,))
and `b` (rank, w.shape[-1]); the layer then uses `w + (lora_alpha / rank) * a @ b`. `b` starts at zero, so the
layer's outputs do not change until training moves it. Passing `lora_rank=...` to the constructor enables it
when the layer is built, as in Keras.

    >>> layer = Dense(16, lora_rank=4)
    >>> layer.build((None, 8))
    >>> [w.path for w in layer.trainable_weights]
    ['dense/bias', 'dense/lora_kernel_a', 'dense/lora_kernel_b']
"""
import jax.numpy as jnp

from kerasj import initializers
from kerasj.variables import bump_structure_version


def add_lora_weights(layer, base, rank, prefix, regularizer, a_initializer="he_uniform", b_initializer="zeros"):
    """Create LoRA factors `a` (base.shape[:-1] + (rank,)) and `b` (rank, base.shape[-1]) on `layer` and freeze
    `base`; the effective weight is `base + (alpha / rank) * a @ b`. Returns `(a, b)`."""
    if not isinstance(rank, int) or isinstance(rank, bool) or rank <= 0:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': lora rank must be a positive integer; "
                         f"received {rank!r}")
    a = layer.add_weight(name=f"{prefix}_a", shape=tuple(base.shape[:-1]) + (rank,),
                         initializer=initializers.get(a_initializer), dtype="float32", regularizer=regularizer)
    b = layer.add_weight(name=f"{prefix}_b", shape=(rank, base.shape[-1]),
                         initializer=initializers.get(b_initializer), dtype="float32", regularizer=regularizer)
    base.trainable = False
    bump_structure_version()
    return a, b


def lora_weight(base, a, b, alpha, rank, dtype):
    """The effective LoRA weight `base + (alpha / rank) * a @ b`, in `dtype`."""
    return (base.value + (alpha / rank) * jnp.matmul(a.value, b.value)).astype(dtype)


class LoRAMixin:
    """`enable_lora` and the effective weight for a layer whose adaptable weight is `self._<name>`, with
    `self.<name>_regularizer` / `self.<name>_constraint`, where `<name>` is the class's `_lora_weight`
    ("kernel", "embeddings"). The factors become `self.lora_<name>_a` / `self.lora_<name>_b`."""

    _lora_weight = "kernel"

    def _init_lora(self, lora_rank, lora_alpha):
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _effective_weight(self):
        """The weight Variable, or with LoRA enabled the effective weight array."""
        name = self._lora_weight
        if not self.built:
            raise AttributeError(f"{type(self).__name__} '{self.name}': build the layer before reading `{name}`.")
        base = getattr(self, f"_{name}")
        if self.lora_enabled:
            return lora_weight(base, getattr(self, f"lora_{name}_a"), getattr(self, f"lora_{name}_b"),
                               self.lora_alpha, self.lora_rank, self.compute_dtype)
        return base

    def _weight_for_call(self):
        """What `call` multiplies with: the effective weight, or the plain Variable's array."""
        return self._effective_weight() if self.lora_enabled else getattr(self, f"_{self._lora_weight}").value

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Freeze the weight and train a low-rank update `(lora_alpha / rank) * a @ b` instead."""
        name, owner = self._lora_weight, f"{type(self).__name__} '{self.name}'"
        if getattr(self, f"{name}_constraint"):
            article = "an" if name[0] in "aeiou" else "a"
            raise ValueError(f"{owner}: LoRA cannot be combined with {article} {name}_constraint.")
        if not self.built:
            raise ValueError(f"{owner}: build the layer before enabling LoRA.")
        if self.lora_enabled:
            raise ValueError(f"{owner}: LoRA is already enabled.")
        a, b = add_lora_weights(self, getattr(self, f"_{name}"), rank, f"lora_{name}",
                                getattr(self, f"{name}_regularizer"), a_initializer, b_initializer)
        setattr(self, f"lora_{name}_a", a)
        setattr(self, f"lora_{name}_b", b)
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank
