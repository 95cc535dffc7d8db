"""Distiller: a Model that trains a student to match a frozen teacher as well as the labels.

The loss of a batch is

    student_loss_weight * student_loss(y, student(x))
        + (1 - student_loss_weight) * sum_i(distillation_loss_weights[i] * distillation_losses[i](teacher, student))

Only the student's weights train; calling, `predict` and `evaluate` run the student. The three parts are
logged as `student_loss`, `distillation_loss` and `total_loss` next to `loss`.

    >>> distiller = Distiller(teacher=teacher, student=student,
    ...                       distillation_losses=LogitsDistillation(temperature=3.0), student_loss_weight=0.5)
    >>> distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> distiller.fit(x, y, epochs=3)
    >>> small = distiller.student
"""
import warnings

import jax.numpy as jnp

from kerasj import metrics
from kerasj.distillation import _structure
from kerasj.distillation.distillation_loss import _loss_function
from kerasj.models.model import Model
from kerasj.models.sequential import Sequential
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

_FINAL = "final_output"  # the key of a model's final output among its extracted features


def _check_shapes(teacher_shape, student_shape, context):
    if len(teacher_shape) != len(student_shape):
        raise ValueError(f"Teacher and student {context} shapes have different dimensions. Teacher: "
                         f"{teacher_shape}, Student: {student_shape}.")
    for t, s in zip(teacher_shape, student_shape):
        if t is not None and s is not None and t != s:
            raise ValueError(f"Teacher and student {context} shapes are incompatible. Teacher: {teacher_shape}, "
                             f"Student: {student_shape}. All dimensions must match.")


def _check_dtypes(teacher_dtype, student_dtype, context):
    if teacher_dtype != student_dtype:
        raise ValueError(f"Teacher and student {context} dtypes must match. Teacher: {teacher_dtype}, Student: "
                         f"{student_dtype}.")


def _symbolic(model, attribute):
    """A model's symbolic inputs or outputs (None for subclassed models, which have none)."""
    return getattr(model, attribute, None)


class Distiller(Model):
    """Distill `teacher` into `student` (see the module docstring for the loss).

    Args:
        teacher: a trained Model; it is frozen (`teacher.trainable = False`).
        student: the Model to train.
        distillation_losses: a `DistillationLoss` (`LogitsDistillation`, `FeatureDistillation`, ...) or a
            list of them.
        distillation_loss_weights: one weight per distillation loss (a list as long as
            `distillation_losses`); all 1 by default. Ignored for a single loss, whose weight is 1.
        student_loss_weight: the weight of the supervised loss, in `[0, 1]`; the distillation losses get
            `1 - student_loss_weight`.
        name: the model's name.
        **kwargs: other Model arguments (`trainable`, `dtype`).

    Teacher and student must take inputs of the same shapes and dtypes, and give outputs of the same shapes
    and dtypes, where their symbolic inputs and outputs say so.
    """

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None, student_loss_weight=0.5,
                 name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        self._validate_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if not isinstance(student_loss_weight, (int, float)):
            raise ValueError(f"student_loss_weight must be a number, got {type(student_loss_weight)}")
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}")
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError("'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
                             "LogitsDistillation or FeatureDistillation) or a list of distillation losses.")
        if not isinstance(distillation_losses, (list, tuple)):
            self.distillation_losses = [distillation_losses]
            self.distillation_loss_weights = [1.0]
        else:
            self.distillation_losses = list(distillation_losses)
            if distillation_loss_weights is None:
                self.distillation_loss_weights = [1.0] * len(distillation_losses)
            elif len(distillation_loss_weights) != len(distillation_losses):
                raise ValueError(f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) must "
                                 f"match number of distillation_losses ({len(distillation_losses)})")
            else:
                self.distillation_loss_weights = list(distillation_loss_weights)
        for loss in self.distillation_losses:
            loss.validate_model_compatibility(teacher, student)
        # One extra forward pass per model gives every layer output the losses name, and the final output.
        self._teacher_feature_extractor = self._feature_extractor(teacher, "teacher_layer_name")
        self._student_feature_extractor = self._feature_extractor(student, "student_layer_name")
        self.teacher.trainable = False
        self.student_loss_tracker = metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics.Mean(name="total_loss")

    # -- checks ------------------------------------------------------------------------------------------
    def _validate_models(self, teacher, student):
        if not isinstance(teacher, Model):
            raise ValueError(f"Teacher must be a keras.Model, got {type(teacher)}")
        if not isinstance(student, Model):
            raise ValueError(f"Student must be a keras.Model, got {type(student)}")
        for attribute, context in (("inputs", "input"), ("outputs", "output")):
            teacher_tensors, student_tensors = _symbolic(teacher, attribute), _symbolic(student, attribute)
            if teacher_tensors is None or student_tensors is None:
                continue
            try:
                _structure.assert_same_structure(teacher_tensors, student_tensors)
            except ValueError as err:
                raise ValueError(f"Teacher and student must have the same number and structure of {attribute}. "
                                 f"{err}") from err
            pairs = list(zip(_structure.flatten(teacher_tensors), _structure.flatten(student_tensors)))
            for t, s in pairs:
                _check_shapes(tuple(t.shape), tuple(s.shape), context)
            for t, s in pairs:
                _check_dtypes(t.dtype, s.dtype, context)

    def _feature_extractor(self, model, attribute):
        """A functional model returning `{"final_output": ..., layer name: output, ...}` for the layers the
        distillation losses name on `model`'s side, or None when they name none."""
        names = []
        for loss in self.distillation_losses:
            name = getattr(loss, attribute, None)
            if name and name not in names:
                names.append(name)
        if not names:
            return None
        if _symbolic(model, "inputs") is None:
            raise ValueError(f"Cannot create feature extractor for {model.name}. The model has no symbolic inputs "
                             "attribute.")
        outputs = {_FINAL: model.layers[-1].output if isinstance(model, Sequential) else model.output}
        for name in names:
            outputs[name] = model.get_layer(name=name).output
        return Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")

    # -- training ------------------------------------------------------------------------------------------
    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Configure training: `optimizer` trains the student, `loss` is the student's supervised loss (a name,
        Loss, function, or a structure of them matching the outputs), `metrics` a list of student metrics.
        Other arguments are Model.compile's."""
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        self._student_loss = _structure.map_structure(_loss_function, loss)
        # The combined loss comes from compute_loss, so Model.compile gets no loss of its own (as in Keras).
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def compile_from_config(self, config):
        """Loading does not compile a distiller (Keras does the same for every model with its own compile()):
        the saved config holds Model.compile's arguments, without the student's loss. Call `compile` again."""
        warnings.warn("`compile()` was not called as part of model loading because the model's `compile()` "
                      "method is custom. All subclassed Models that have `compile()` overridden should also "
                      "override `get_compile_config()` and `compile_from_config(config)`. Alternatively, you can "
                      "call `compile()` manually after loading.", stacklevel=2)

    def call(self, inputs, training=None, **kwargs):
        """The student's outputs."""
        return self.student(inputs, training=training, **kwargs)

    def _student_loss_value(self, y, y_pred):
        values = _structure.flatten(_structure.map_structure(lambda loss, t, p: loss(t, p), self._student_loss, y,
                                                             y_pred))
        value = jnp.sum(jnp.stack(values)) if len(values) > 1 else values[0]
        return jnp.mean(value) if jnp.ndim(value) > 0 else value  # a per-sample loss function: its mean

    def _features(self, x, y_pred):
        teacher = (self._teacher_feature_extractor(x, training=False) if self._teacher_feature_extractor is not None
                   else {_FINAL: self.teacher(x, training=False)})
        student = (self._student_feature_extractor(x, training=True) if self._student_feature_extractor is not None
                   else {_FINAL: y_pred})
        return teacher, student

    def _distillation_loss_value(self, x, y_pred):
        teacher_features, student_features = self._features(x, y_pred)
        total = 0.0
        for loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
            if getattr(loss, "teacher_layer_name", None) is not None:
                teacher_name, student_name = loss.teacher_layer_name, loss.student_layer_name or _FINAL
                missing = [n for n, f in ((teacher_name, teacher_features), (student_name, student_features))
                           if n not in f]
                if missing:
                    raise RuntimeError(f"Failed to extract features for {type(loss).__name__} targeting teacher "
                                       f"layer '{loss.teacher_layer_name}' and student layer "
                                       f"'{loss.student_layer_name}'. Layer '{missing[0]}' not found in extracted "
                                       f"features.")
                teacher_out, student_out = teacher_features[teacher_name], student_features[student_name]
            else:
                # As in Keras, only the teacher's layer name picks features: a loss naming just a student layer
                # compares the final outputs.
                teacher_out, student_out = teacher_features[_FINAL], y_pred
            loss.validate_outputs(teacher_out, student_out)
            value = loss.compute_loss(teacher_out, student_out)
            if jnp.ndim(value) > 0:
                raise ValueError(f"Distillation loss {type(loss).__name__} returned a non-scalar loss with shape "
                                 f"{jnp.shape(value)}. The compute_loss method must return a scalar tensor.")
            total = total + weight * value
        return total

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The weighted sum of the student's loss and the distillation losses (see the module docstring); also
        updates the `student_loss`, `distillation_loss` and `total_loss` metrics. As in Keras, `sample_weight`
        and losses added with `add_loss` (weight regularizers included) are not part of it."""
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            student_loss = self._student_loss_value(y, y_pred)
        distillation_loss = 0.0
        if self.student_loss_weight < 1.0:
            distillation_loss = self._distillation_loss_value(x, y_pred)
        total = self.student_loss_weight * student_loss + (1.0 - self.student_loss_weight) * distillation_loss
        total = jnp.asarray(total, jnp.float32) if isinstance(total, float) else total
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total)
        return total

    # -- config ------------------------------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "teacher": serialize_keras_object(self.teacher),
                "student": serialize_keras_object(self.student),
                "distillation_losses": [serialize_keras_object(loss) for loss in self.distillation_losses],
                "distillation_loss_weights": self.distillation_loss_weights,
                "student_loss_weight": self.student_loss_weight}

    @classmethod
    def from_config(cls, config):
        # Custom classes resolve through the custom-object scope that deserialize_keras_object opens.
        rebuild = deserialize_keras_object
        return cls(**{**config, "teacher": rebuild(config["teacher"]), "student": rebuild(config["student"]),
                      "distillation_losses": [rebuild(c) for c in config["distillation_losses"]]})

