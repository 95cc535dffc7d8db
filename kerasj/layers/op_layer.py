"""`OpLayer`, the name kerasj.saving still uses for the ops of a functional graph (`x + y`, `2 * x`, `x[:, 0]`,
kerasj.ops functions on symbolic tensors). They are Operations now, not layers: see kerasj/ops/operators.py.
Only kerasj.saving imports this module; it goes once saving names `SymbolicOp` itself."""
from kerasj.ops.operators import SymbolicOp as OpLayer  # noqa: F401
