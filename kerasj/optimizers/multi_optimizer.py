"""Different optimizers for different variables: `OptimizerMap` (variable path -> optimizer) and
`MultiOptimizer`, which dispatches each variable's gradient to its optimizer."""
import re
from collections.abc import MutableMapping

from kerasj.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerasj.optimizers.optimizer import Optimizer
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


def _check_inner(optimizer, what):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{what} must be a kerasj Optimizer instance; received {optimizer!r}.")
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError(f"{what} cannot be a LossScaleOptimizer (wrap the MultiOptimizer instead).")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(f"{what} cannot be a MultiOptimizer.")


class OptimizerMap(MutableMapping):
    """Maps variable paths to optimizers: an exact key first, else the one key that matches as a regular
    expression (`re.fullmatch`), else `default_optimizer`. Calling it with a variable looks up its path.

    >>> optimizer_map = OptimizerMap(default_optimizer=kerasj.optimizers.SGD())
    >>> optimizer_map["encoder/.*"] = kerasj.optimizers.Adam()
    >>> optimizer_map["encoder/dense/kernel"].name, optimizer_map["head/kernel"].name
    ('adam', 'sgd')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(f"OptimizerMap: `default_optimizer` must be a kerasj Optimizer instance; received "
                            f"{default_optimizer!r}.")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"OptimizerMap: `optimizer_map` must be a dict of path patterns to optimizers; "
                            f"received {optimizer_map!r}.")
        self._default_optimizer = default_optimizer
        self._optimizer_map = dict(optimizer_map or {})

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"OptimizerMap: variable {key!r} matches several patterns: {matches}.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(f"OptimizerMap: {key!r} is already mapped to {self._optimizer_map[key]}; keys must "
                             "be unique.")
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: keys must be strings (paths or patterns); received {key!r}.")
        _check_inner(optimizer, f"OptimizerMap[{key!r}]")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {"default_optimizer": serialize_keras_object(self._default_optimizer),
                "optimizer_map": serialize_keras_object(self._optimizer_map)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(deserialize_keras_object(config["default_optimizer"], custom_objects=custom_objects),
                   deserialize_keras_object(config["optimizer_map"], custom_objects=custom_objects))


class MultiOptimizer(Optimizer):
    """Applies each variable's gradient with the optimizer that `optimizer_map` (an `OptimizerMap`, or a
    callable `variable -> Optimizer`) gives for it. Each inner optimizer is built with its own variables.

    `variables` are this optimizer's iteration and (unused) learning rate, then every inner optimizer's
    variables, in the order the optimizers were first met (those of the map, then the default, then any
    other a callable returns). There is no single learning rate: reading or setting `learning_rate` raises;
    use `optimizers`. `loss_scale_factor`, when set, is set on every inner optimizer.

    Example:
        >>> optimizer = MultiOptimizer(OptimizerMap(kerasj.optimizers.SGD(0.1),
        ...                                         {"encoder/.*": kerasj.optimizers.Adam(1e-3)}))
        >>> model.compile(optimizer=optimizer, loss="mse")
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise TypeError(f"MultiOptimizer: `optimizer_map` must be an OptimizerMap or a callable returning an "
                            f"Optimizer for a variable; received {optimizer_map!r}.")
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        candidates = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        default = getattr(optimizer_map, "default_optimizer", None)
        for optimizer in candidates + ([default] if default is not None else []):
            if optimizer not in self._inner_optimizers:
                optimizer.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(optimizer)

    @property
    def optimizers(self):
        """The inner optimizers."""
        return self._inner_optimizers

    @property
    def loss_scale_factor(self):
        return self._loss_scale_factor

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in self._inner_optimizers:
            optimizer.loss_scale_factor = value

    @property
    def learning_rate(self):
        raise AttributeError("MultiOptimizer has no single learning rate; read it on each of "
                             "`optimizer.optimizers` instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("MultiOptimizer has no single learning rate; set it on each of "
                             "`optimizer.optimizers` instead.")

    @property
    def iterations(self):
        return self._iterations

    @property
    def variables(self):
        out = [self._iterations, self._learning_rate]
        for optimizer in self._inner_optimizers:
            out.extend(optimizer.variables)
        return out

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self._optimizer_index = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            _check_inner(optimizer, f"MultiOptimizer: the optimizer for variable '{variable.path}'")
            if optimizer not in self._inner_optimizers:
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
            self._optimizer_index[id(variable)] = self._inner_optimizers.index(optimizer)
        for i, optimizer in enumerate(self._inner_optimizers):
            own = [v for v in var_list if self._optimizer_index[id(v)] == i]
            if own:
                optimizer.build(own)
        super().build(var_list)

    def _split(self, pairs):
        groups = [[] for _ in self._inner_optimizers]
        for item, variable in pairs:
            groups[self._optimizer_index[id(variable)]].append((item, variable))
        return groups

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not grads:
            return self._iterations
        if trainable_variables is None:
            if not self.built:
                raise ValueError("MultiOptimizer.apply: when `trainable_variables` is not given, the optimizer "
                                 "must already be built; call `optimizer.build(variables)` first.")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        self._check_variables_are_known(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"MultiOptimizer.apply: got {len(grads)} gradients for {len(trainable_variables)} "
                             "variables; they must match one to one.")
        for optimizer, group in zip(self._inner_optimizers, self._split(zip(grads, trainable_variables))):
            if group:
                sub_grads, sub_vars = zip(*group)
                optimizer.apply(list(sub_grads), list(sub_vars))
        self._iterations.assign_add(1)
        return self._iterations

    def finalize_variable_values(self, var_list):
        for optimizer, group in zip(self._inner_optimizers, self._split((v, v) for v in var_list)):
            if group:
                optimizer.finalize_variable_values([v for v, _ in group])

    def get_config(self):
        return {"optimizer_map": serialize_keras_object(self._optimizer_map),
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizer_map"] = deserialize_keras_object(config["optimizer_map"], custom_objects=custom_objects)
        return cls(**config)
