"""Symbolic tensors moved to kerasj/ops/symbolic.py (the ops' floor); this name stays only for
kerasj/layers/lambda_layer.py, which still imports `KerasTensor` from here."""
from kerasj.ops.symbolic import KerasTensor  # noqa: F401
