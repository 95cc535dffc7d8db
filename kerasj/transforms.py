"""Stateful transforms: gradients of functions that read Variables (what tf.GradientTape does).

    >>> model = kerasj.Sequential([kerasj.layers.Dense(1)])
    >>> def loss_fn(x, y):
    ...     return jnp.mean((model(x) - y) ** 2)
    >>> loss, grads = kerasj.value_and_grad(loss_fn, model.trainable_variables)(x, y)

`fn` may read any Variable; gradients are taken with respect to `variables`. Assignments `fn` makes to other
Variables (batch-norm statistics, seed state) are kept, eagerly and inside compiled code alike.
"""
import jax

from kerasj.variables import StateScope, Variable


def _check_variables(variables, where):
    variables = list(variables)
    for v in variables:
        if not isinstance(v, Variable):
            raise TypeError(f"{where}: `variables` must be kerasj Variables (e.g. model.trainable_variables); "
                            f"received {type(v).__name__}.")
    return variables


def value_and_grad(fn, variables, has_aux=False):
    """Return a function computing `fn(*args, **kwargs)` and its gradients w.r.t. `variables`.

    Args:
        fn: a Python function returning a scalar (or `(scalar, aux)` with has_aux=True).
        variables: the Variables to differentiate with respect to.
        has_aux: whether fn returns `(value, aux)`.

    Returns:
        A function with fn's arguments returning `(value, grads)` or `((value, aux), grads)`;
        `grads` is a list in the order of `variables`.
    """
    variables = _check_variables(variables, "value_and_grad")

    def wrapped(*args, **kwargs):
        values = [v.value for v in variables]

        def pure(diff_values):
            with StateScope(zip(variables, diff_values)) as scope:
                out = fn(*args, **kwargs)
                # Writes to Variables we do not differentiate leave the trace as auxiliary outputs.
                diff_ids = {id(v) for v in variables}
                side = [(var, val) for var, val in scope.items() if id(var) not in diff_ids]
            value, aux = out if has_aux else (out, None)
            return value, (aux, [val for _, val in side], [var for var, _ in side])

        # The list of side-effect Variables is only known after tracing; carry it out through a cell.
        cell = {}

        def traced(diff_values):
            value, (aux, side_values, side_vars) = pure(diff_values)
            cell["vars"] = side_vars
            return value, (aux, side_values)

        (value, (aux, side_values)), grads = jax.value_and_grad(traced, has_aux=True)(values)
        for var, val in zip(cell.get("vars", []), side_values):
            var.assign(val)
        return ((value, aux), list(grads)) if has_aux else (value, list(grads))

    return wrapped


def grad(fn, variables, has_aux=False):
    """Like `value_and_grad` but returns only the gradients (and aux with has_aux=True)."""
    vg = value_and_grad(fn, variables, has_aux=has_aux)

    def wrapped(*args, **kwargs):
        out, grads = vg(*args, **kwargs)
        return (grads, out[1]) if has_aux else grads

    return wrapped

