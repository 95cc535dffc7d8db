"""Augmentation policies that compose other augmentations: RandAugment and AugMix."""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj import random
from kerasj.layers.preprocessing.color_augmentation import (CAST, ColorAugmentation, apply_contrast,
                                                            check_value_range)
from kerasj.layers.preprocessing.histogram_equalization import AutoContrast, Equalization
from kerasj.layers.preprocessing.image_transform import RandomImageLayer, factor_range
from kerasj.layers.preprocessing.point_operations import RandomPosterization, Solarization
from kerasj.layers.preprocessing.random_brightness import RandomBrightness
from kerasj.layers.preprocessing.random_contrast import RandomContrast
from kerasj.layers.preprocessing.random_grayscale import RandomColorDegeneration
from kerasj.layers.preprocessing.random_rotation import RandomRotation
from kerasj.layers.preprocessing.random_sharpness import RandomSharpness
from kerasj.layers.preprocessing.random_shear import RandomShear
from kerasj.layers.preprocessing.random_translation import RandomTranslation
from kerasj.utils.argument_validation import check_positive_int

# The operations, in Keras 3's orders (the index of an operation is its position in these lists).
RAND_AUGMENT_OPS = ("random_shear", "random_translation", "random_rotation", "random_brightness",
                    "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                    "solarization", "auto_contrast", "equalization")
AUG_MIX_OPS = ("random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
               "auto_contrast", "equalization", "random_brightness", "random_color_degeneration",
               "random_contrast", "random_sharpness")
AUG_MIX_BASIC_OPS = AUG_MIX_OPS[:7]
GEOMETRIC_OPS = ("random_shear", "random_translation", "random_rotation")  # the ones that move boxes


class _Policy(ColorAugmentation):
    """Shared by the policies: the operation layers (attributes named as in Keras 3, built from one
    `factor`), drawing all their transformations, and applying one chosen by a (possibly traced) index."""

    _INFERENCE = CAST

    def _build_ops(self, names, factor, value_range, interpolation, seed):
        common = {"seed": seed, "data_format": self.data_format, "dtype": self.dtype_policy}
        colour = {**common, "value_range": value_range}
        geometric = {**common, "interpolation": interpolation, "bounding_box_format": self.bounding_box_format}
        makers = {
            "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor, **geometric),
            "random_translation": lambda: RandomTranslation(height_factor=factor, width_factor=factor, **geometric),
            "random_rotation": lambda: RandomRotation(factor=factor, **geometric),
            "random_brightness": lambda: RandomBrightness(factor=factor, **colour),
            "random_color_degeneration": lambda: RandomColorDegeneration(factor=factor, **colour),
            "random_contrast": lambda: RandomContrast(factor=factor, **colour),
            "random_sharpness": lambda: RandomSharpness(factor=factor, **colour),
            "solarization": lambda: Solarization(addition_factor=factor, threshold_factor=factor, **colour),
            "random_posterization": lambda: RandomPosterization(factor=max(1, int(8 * factor[1])), **colour),
            "auto_contrast": lambda: AutoContrast(value_range=value_range, data_format=self.data_format,
                                                  dtype=self.dtype_policy),
            "equalization": lambda: Equalization(value_range=value_range, data_format=self.data_format,
                                                 dtype=self.dtype_policy),
        }
        self._op_names = tuple(names)
        for name in names:
            setattr(self, name, makers[name]())

    def _draw_ops(self, data, seed):
        transforms = {}
        for name in self._op_names:
            layer = getattr(self, name)
            if name == "random_contrast":  # kerasj's RandomContrast draws inside its call
                transforms[name] = self._draw_contrast(data, layer.factor, seed)
            else:
                transforms[name] = layer.get_random_transformation(data, training=True, seed=seed)
        return transforms

    def _apply_op(self, name, images, transformation):
        layer = getattr(self, name)
        if name == "random_contrast":
            out = apply_contrast(images, transformation, layer.value_range, self.data_format)
        else:
            out = layer.transform_images(images, transformation, training=True)
        return out.astype(self.compute_dtype)

    def _branches(self, allow_skip):
        branches = [lambda x, t, name=name: self._apply_op(name, x, t[name]) for name in self._op_names]
        return branches + [lambda x, t: x] if allow_skip else branches

    @staticmethod
    def _switch(branches, index, images, transforms):
        return jax.lax.switch(jnp.clip(jnp.asarray(index).astype("int32"), 0, len(branches) - 1), branches,
                              images, transforms)

    # Geometric operations move pixels, which kerasj's policies do not carry over to masks.
    transform_segmentation_masks = RandomImageLayer.transform_segmentation_masks


class RandAugment(_Policy):
    """RandAugment (Cubuk et al., 2019): while training, applies `num_ops` operations in sequence, each
    picked at random (per batch) among shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and equalization, all of strength
    `factor`.

    Args:
        value_range: the range of the input values, `(0, 255)` by default.
        num_ops: number of operations applied, default 2.
        factor: a number `f` in `[0, 1]` (giving the range `(0, f)`) or a pair, passed to every operation
            as its factor (posterization keeps `max(1, int(8 * upper))` bits at most). Default 0.5.
        interpolation: of the geometric operations, "bilinear" (default) or "nearest".
        seed, data_format: as usual.

    The output is float, also with `training=False` (the input cast, as in Keras). The transformation is
    Keras's: `{"transforms": {operation name: its transformation}, "layer_idxes": int array (num_ops,)}`.
    Under jit only the chosen operations run. Dict inputs: labels pass through, bounding boxes (with
    `bounding_box_format`) follow the chosen shears, translations and rotations.

        >>> RandAugment(value_range=(0, 1), num_ops=2, factor=0.3, seed=0)(images)
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(self._owner(), value_range, keep_order=True)
        self.num_ops = check_positive_int(num_ops, "num_ops", self._owner())
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        self.interpolation = interpolation
        self._build_ops(RAND_AUGMENT_OPS, self.factor, value_range, interpolation, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self._seed(seed)
        layer_idxes = random.randint((self.num_ops,), 0, len(self._op_names), seed=seed)
        return {"transforms": self._draw_ops(data, seed), "layer_idxes": layer_idxes}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        indices, transforms = transformation["layer_idxes"], transformation["transforms"]
        branches = self._branches(allow_skip=False)
        if not isinstance(indices, jax.core.Tracer):  # eager: run the chosen operations only
            for index in np.asarray(indices):
                images = branches[int(index)](images, transforms)
            return images
        # Traced: one switch in a loop, so each operation is compiled once and only the chosen ones run.
        return jax.lax.fori_loop(0, self.num_ops, lambda i, x: self._switch(branches, indices[i], x, transforms),
                                 images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes through the chosen operations in the order the images go through them: the geometric
        ones move them, the others leave them. (Keras 3.15 moves them in the order of its list of
        operations instead, once per operation however often it was chosen.)"""
        if not training or transformation is None:
            return bounding_boxes
        indices, transforms = transformation["layer_idxes"], transformation["transforms"]
        # Float32 boxes from the start, so that every branch returns the dtypes the geometric ones do.
        boxes = {**bounding_boxes, "boxes": jnp.asarray(bounding_boxes["boxes"], "float32")}
        branches = [self._box_branch(name, transforms[name]) for name in self._op_names]
        if not isinstance(indices, jax.core.Tracer):
            for index in np.asarray(indices):
                boxes = branches[int(index)](boxes)
            return boxes
        # The transformations are closed over, not passed through the switch, so that image sizes stay static.
        return jax.lax.fori_loop(0, self.num_ops, lambda i, b: jax.lax.switch(
            jnp.clip(indices[i].astype("int32"), 0, len(branches) - 1), branches, b), boxes)

    def _box_branch(self, name, transformation):
        if name not in GEOMETRIC_OPS:
            return lambda boxes: boxes
        layer = getattr(self, name)

        def move(boxes):
            moved = layer.transform_bounding_boxes(boxes, transformation, training=True)
            return jax.tree_util.tree_map(lambda new, old: jnp.asarray(new, old.dtype), moved, boxes)
        return move

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "num_ops": self.num_ops,
                "factor": self.factor, "interpolation": self.interpolation}


class AugMix(_Policy):
    """AugMix (Hendrycks et al., 2020): while training, `num_chains` chains of up to `chain_depth` random
    operations each are applied to the image, mixed with Dirichlet(`alpha`) weights, and the mix is
    blended with the original image with a Beta(`alpha`, `alpha`) weight; the result is clipped to
    `value_range`.

    Args:
        value_range: the range of the input values, `(0, 255)` by default.
        num_chains: default 3. chain_depth: default 3 (each step may also be skipped, with the same odds as
            each operation).
        factor: strength of every operation, a number `f` in `[0, 1]` (range `(0, f)`) or a pair; default 0.3.
        alpha: concentration of the Dirichlet and Beta draws, default 1.0.
        all_ops: True (default) to also use brightness, colour degeneration, contrast and sharpness.
        interpolation: of the geometric operations. seed, data_format: as usual.

    The output is float, also with `training=False` (the input cast, as in Keras). Keras 3 picks the
    operations with Python's `random`, fixed once traced; kerasj draws them from the layer's seed, so every
    compiled step picks afresh. The transformation is `{"chain_mixing_weights": (num_chains,),
    "weight_sample": (), "chain_transforms": [[{"layer_index": int (len(ops) = skip), "transforms":
    {name: transformation}}] per depth] per chain}`; `transform_images` also takes Keras's form, whose steps
    are `{"layer_name": name, "transformation": ...}`. Dict inputs: labels and bounding boxes pass through
    unchanged, as in Keras 3.

        >>> AugMix(value_range=(0, 1), seed=0)(images)
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(self._owner(), value_range, keep_order=True)
        self.num_chains = check_positive_int(num_chains, "num_chains", self._owner())
        self.chain_depth = check_positive_int(chain_depth, "chain_depth", self._owner())
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(f"{self._owner()}: `alpha` must be a positive number; received alpha={alpha!r}")
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self._build_ops(AUG_MIX_OPS if all_ops else AUG_MIX_BASIC_OPS, self.factor, value_range, interpolation, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self._seed(seed)
        dirichlet_key, beta_key = jax.random.split(random.draw_key(seed))
        weights = jax.random.dirichlet(dirichlet_key, jnp.full((self.num_chains,), self.alpha, self.compute_dtype))
        weight_sample = jax.random.beta(beta_key, self.alpha, self.alpha, dtype=self.compute_dtype)
        choices = random.randint((self.num_chains, self.chain_depth), 0, len(self._op_names) + 1, seed=seed)
        chains = [[{"layer_index": choices[c, d], "transforms": self._draw_ops(data, seed)}
                   for d in range(self.chain_depth)] for c in range(self.num_chains)]
        return {"chain_mixing_weights": weights, "weight_sample": weight_sample, "chain_transforms": chains}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        weights = jnp.asarray(transformation["chain_mixing_weights"], self.compute_dtype)
        weight_sample = jnp.asarray(transformation["weight_sample"], self.compute_dtype)
        chains = transformation["chain_transforms"]
        steps = [step for chain in chains for step in chain]
        if any("layer_name" in step for step in steps) or not any(
                isinstance(step["layer_index"], jax.core.Tracer) for step in steps):
            mixed = self._mix_eagerly(images, chains, weights)
        else:
            mixed = self._mix_traced(images, chains, weights)
        out = weight_sample * images + (1 - weight_sample) * mixed
        return jnp.clip(out, self.value_range[0], self.value_range[1]).astype(self.compute_dtype)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes  # unchanged, as Keras 3 leaves them (though chains may shear or rotate the images)

    def _mix_eagerly(self, images, chains, weights):
        """Each chain step by step, running only the chosen operations (Keras 3's form names them)."""
        branches = self._branches(allow_skip=True)
        mixed = jnp.zeros_like(images)
        for c, chain in enumerate(chains):
            chained = images
            for step in chain:
                if "layer_name" in step:
                    chained = self._apply_op(step["layer_name"], chained, step["transformation"])
                else:
                    chained = branches[int(step["layer_index"])](chained, step["transforms"])
            mixed = mixed + chained * weights[c]
        return mixed

    def _mix_traced(self, images, chains, weights):
        """All chain steps in one scan over a single switch, so each operation is compiled once (nine
        inlined switches compiled for minutes) and only the chosen ones run."""
        branches = self._branches(allow_skip=True)
        steps = [step for chain in chains for step in chain]
        transforms = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *[s["transforms"] for s in steps])
        depth = len(chains[0])
        position = jnp.arange(len(steps))
        weight = jnp.repeat(weights, depth)

        def step(carry, inputs):
            chained, mixed = carry
            index, t, p, w = inputs
            chained = jnp.where(p % depth == 0, images, chained)  # a new chain starts from the image
            chained = self._switch(branches, index, chained, t)
            mixed = mixed + jnp.where(p % depth == depth - 1, w, 0.0).astype(images.dtype) * chained
            return (chained, mixed), None

        indices = jnp.stack([jnp.asarray(s["layer_index"]) for s in steps])
        (_, mixed), _ = jax.lax.scan(step, (images, jnp.zeros_like(images)), (indices, transforms, position, weight))
        return mixed

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "num_chains": self.num_chains,
                "chain_depth": self.chain_depth, "factor": self.factor, "alpha": self.alpha,
                "all_ops": self.all_ops, "interpolation": self.interpolation}
