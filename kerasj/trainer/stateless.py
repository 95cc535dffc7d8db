"""Keras 3's stateless step form, `train_step(self, state, data)`, run inside kerasj's stateful steps.

Keras 3 on JAX asks custom steps to take and return the state explicitly: `(trainable, non_trainable,
optimizer, metrics)` lists of arrays for training, without the optimizer for evaluation, and
`(trainable, non_trainable)` for prediction (returning `(outputs, non_trainable)`). kerasj compiles ordinary
stateful steps, so such a step is adapted: the state lists are read from the Variables (traced values inside a
compiled step) and what it returns is assigned back.

    >>> class MyModel(kerasj.Model):
    ...     def train_step(self, state, data):   # Keras 3's JAX form, unchanged
    ...         trainable, non_trainable, optimizer_vars, metric_vars = state
    ...         ...
    ...         return logs, (trainable, non_trainable, optimizer_vars, metric_vars)
"""


def run_stateless_step(model, kind, step, data):
    """Run `step(state, data)` (kind "train", "test" or "predict") on `model`'s Variables; returns the logs
    (or the outputs, for predict)."""
    groups = [model.trainable_variables, model.non_trainable_variables]
    if kind == "train":
        groups.append(list(model.optimizer.variables))
    if kind != "predict":
        groups.append(model._metric_variables())
    state = tuple([v.value for v in group] for group in groups)
    if kind == "predict":
        outputs, non_trainable = step(state, data)
        for v, value in zip(groups[1], non_trainable):
            v.assign(value)
        return outputs
    logs, new_state = step(state, data)
    for group, values in zip(groups, new_state):
        if len(values) != len(group):
            raise ValueError(f"{kind}_step(state, data) returned {len(values)} values for a state group of "
                             f"{len(group)} variables.")
        for v, value in zip(group, values):
            v.assign(value)
    return logs
