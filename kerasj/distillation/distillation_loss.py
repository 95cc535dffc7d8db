"""Distillation losses: how a `Distiller` compares what the teacher and the student compute.

`LogitsDistillation` compares the final outputs, softened by a temperature; `FeatureDistillation` compares
the outputs of two named layers (or the final outputs). Subclass `DistillationLoss` and implement
`compute_loss` for other kinds.

    >>> loss = LogitsDistillation(temperature=3.0, loss=kerasj.losses.KLDivergence())
    >>> loss.compute_loss(teacher_logits, student_logits)   # a scalar
"""
import jax
import jax.numpy as jnp

from kerasj import losses
from kerasj.distillation import _structure
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


def _loss_function(loss):
    """A loss name resolved as `kerasj.losses.get` does; a Loss, a function or None as it is."""
    return losses.get(loss) if isinstance(loss, str) else loss


def _sum_of(values):
    return jnp.sum(jnp.stack(_structure.flatten(values)))


class DistillationLoss:
    """The base class of distillation losses.

    Subclasses implement `compute_loss(teacher_outputs, student_outputs, **kwargs)`, returning a scalar, and
    may override `validate_outputs` (called with the outputs before each `compute_loss`) and
    `validate_model_compatibility` (called once with the models, when the `Distiller` is made).

        >>> class MeanGap(DistillationLoss):
        ...     def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        ...         return jnp.mean(jnp.abs(teacher_outputs - student_outputs))
    """

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The distillation loss between the teacher's and the student's outputs (a scalar)."""
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raise a ValueError if the outputs cannot be compared; by default, unless they nest the same way."""
        _structure.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        """Raise a ValueError if this loss cannot distill `teacher` into `student` (by default it can)."""


class FeatureDistillation(DistillationLoss):
    """Match the student's features to the teacher's: the outputs of `student_layer_name` and
    `teacher_layer_name` (the final outputs when None), compared with `loss`.

    Args:
        loss: a loss name (`"mse"`, `"cosine_similarity"`, ...), a Loss or function `(teacher, student)`, or a
            nested structure of them matching the features (None skips a feature; at least one must be set).
        teacher_layer_name: the teacher layer whose output is the target.
        student_layer_name: the student layer whose output is compared with it.

    Naming a layer needs functional or Sequential models (their layers have symbolic outputs).

    >>> FeatureDistillation(loss="mse", teacher_layer_name="dense_1", student_layer_name="dense_1")
    """

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = _structure.map_structure(_loss_function, loss)
        if all(l is None for l in _structure.flatten(self.loss)):
            raise ValueError("The `loss` argument in `FeatureDistillation` must contain at least one non-`None` "
                             "value.")

    def validate_model_compatibility(self, teacher, student):
        """Check that named layers exist, in models that have symbolic layer outputs."""
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [role for role, model in (("teacher", teacher), ("student", student))
                          if getattr(model, "inputs", None) is None]
            if subclassed:
                raise ValueError(f"FeatureDistillation with specific layer names requires Functional or Sequential "
                                 f"models. The {' and '.join(subclassed)} model(s) appear to be subclassed (no "
                                 "symbolic inputs/outputs). Either use Functional/Sequential models, or use "
                                 "FeatureDistillation without layer names (to distill final outputs only), or use "
                                 "LogitsDistillation instead.")
        for role, model, name in (("teacher", teacher, self.teacher_layer_name),
                                  ("student", student, self.student_layer_name)):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as err:
                    raise ValueError(f"In {role} model: {err}") from err

    def validate_outputs(self, teacher_outputs, student_outputs):
        """The outputs must nest alike, and like `loss`."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            _structure.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as err:
            raise ValueError(f"Loss structure mismatch. Loss structure: {_structure.describe(self.loss)}, Output "
                             f"structure: {_structure.describe(teacher_outputs)}. Error: {err}") from err

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The sum over features of the mean of `loss(teacher_features, student_features)`."""
        def one(loss_fn, teacher, student):
            return 0.0 if loss_fn is None else jnp.mean(loss_fn(teacher, student))

        return _sum_of(_structure.map_structure(one, self.loss, teacher_outputs, student_outputs))

    def get_config(self):
        return {"loss": serialize_keras_object(self.loss), "teacher_layer_name": self.teacher_layer_name,
                "student_layer_name": self.student_layer_name}

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "loss": deserialize_keras_object(config["loss"])})


class LogitsDistillation(DistillationLoss):
    """Match the student's final outputs to the teacher's, both divided by `temperature` first.

    With a `kerasj.losses.KLDivergence()` instance the scaled logits become softmax probabilities and the
    loss is multiplied by `temperature**2` (Hinton et al.'s soft targets). Any other loss, the default
    name `"kl_divergence"` included, is applied to the scaled logits as they are: as in Keras 3, where the
    name resolves to the plain `kl_divergence` function, not to the class.

    Args:
        temperature: a positive number (typically 3 to 5); higher gives softer targets.
        loss: a loss name, a Loss or function `(teacher, student)`, or a nested structure of them matching the
            model outputs (None skips an output; at least one must be set).

    >>> LogitsDistillation(temperature=4.0, loss=kerasj.losses.KLDivergence())
    """

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = _structure.map_structure(_loss_function, loss)
        if all(l is None for l in _structure.flatten(self.loss)):
            raise ValueError("At least one loss must be non-`None`.")
        if not isinstance(self.temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(self.temperature)}")
        if self.temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The sum over outputs of the mean loss between the temperature-scaled outputs."""
        t = self.temperature
        teacher_outputs = _structure.map_structure(lambda x: jnp.divide(x, t), teacher_outputs)
        student_outputs = _structure.map_structure(lambda x: jnp.divide(x, t), student_outputs)

        def one(loss_fn, teacher, student):
            if loss_fn is None:
                return 0.0
            if isinstance(loss_fn, losses.KLDivergence):
                # KL divergence compares distributions; t**2 keeps the gradients' scale independent of t.
                teacher, student = jax.nn.softmax(teacher, axis=-1), jax.nn.softmax(student, axis=-1)
                return jnp.mean(loss_fn(teacher, student)) * (t ** 2)
            return jnp.mean(loss_fn(teacher, student))

        return _sum_of(_structure.map_structure(one, self.loss, teacher_outputs, student_outputs))

    def get_config(self):
        return {"temperature": self.temperature, "loss": serialize_keras_object(self.loss)}

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "loss": deserialize_keras_object(config["loss"])})

