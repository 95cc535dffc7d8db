"""`keras.distillation`: train a small student model to match a large teacher (knowledge distillation).

    >>> from kerasj.distillation import Distiller, LogitsDistillation
    >>> distiller = Distiller(teacher, student, LogitsDistillation(temperature=3.0), student_loss_weight=0.3)
    >>> distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> distiller.fit(x, y, epochs=2)
"""
from kerasj.distillation.distillation_loss import DistillationLoss, FeatureDistillation, LogitsDistillation
from kerasj.distillation.distiller import Distiller
from kerasj.utils.keras_names import register_namespace

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]

register_namespace("keras.distillation", globals())  # configs name these classes under Keras's module
