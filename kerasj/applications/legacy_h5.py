"""Reading the tf.keras 2 weight files (`*.h5`, not `*.weights.h5`) in which Keras publishes the ImageNet weights
of its applications.

Such a file lists its layers in the attribute `layer_names`; each layer's group lists its arrays in
`weight_names`. As in Keras, the layers of the file that hold weights are matched in order with the layers of
the model that hold weights, and each layer's arrays with its trainable then non-trainable variables. The file
is read with the same safety checks as `.weights.h5` files (no links out of the file, no external storage),
and nothing is assigned unless every layer matches.

    >>> load_legacy_weights(model, "resnet50_weights_tf_dim_ordering_tf_kernels.h5")
"""
import numpy as np

from kerasj.saving.weights_io import check_plain_dataset, open_weights_file, reading, resolve

# The largest attribute a well-formed file needs: a few thousand layer or weight names.
_MAX_NAMES = 1 << 16


def _names(group, key, where):
    """The list of names stored in attribute `key` of `group`, which tf.keras splits into `key0`, `key1`, ...
    when it is too large for one HDF5 attribute."""
    if key in group.attrs:
        chunks = [group.attrs[key]]
    else:
        chunks, i = [], 0
        while f"{key}{i}" in group.attrs:
            chunks.append(group.attrs[f"{key}{i}"])
            i += 1
    names = []
    for chunk in chunks:
        for name in np.atleast_1d(np.asarray(chunk)).tolist():
            names.append(name.decode("utf-8") if isinstance(name, bytes) else str(name))
    if len(names) > _MAX_NAMES:
        raise ValueError(f"load_weights: attribute '{key}' of '{where}' lists {len(names)} names, more than any "
                         "weights file holds.")
    return names


def _layer_arrays(f, name):
    group = resolve(f, name)
    if group is None or not hasattr(group, "attrs"):
        raise ValueError(f"load_weights: the file lists layer '{name}' but has no group for it.")
    arrays = []
    for weight_name in _names(group, "weight_names", name):
        dataset = resolve(group, weight_name, base=name)
        if dataset is None or not hasattr(dataset, "dtype"):
            raise ValueError(f"load_weights: layer '{name}' of the file has no dataset '{weight_name}'.")
        check_plain_dataset(dataset, f"{name}/{weight_name}")
        if dataset.dtype.kind not in "biuf":
            raise ValueError(f"load_weights: '{name}/{weight_name}' has dtype {dataset.dtype}, not numbers.")
        arrays.append(dataset)
    return arrays


def load_legacy_weights(model, filepath):
    """Load a tf.keras 2 `.h5` weights file into `model`, layer by layer in order (see the module docstring).

    Raises:
        ValueError: the file's layers or arrays do not match the model's (nothing is then assigned).
    """
    with open_weights_file(filepath, "load_weights") as f, reading(filepath):
        if "layer_names" not in f.attrs and "model_weights" in f:
            f = resolve(f, "model_weights")  # a whole-model file keeps its weights one level down
        layers = [layer for layer in model.layers if layer.weights]
        names = [name for name in _names(f, "layer_names", "/") if _layer_arrays(f, name)]
        if len(names) != len(layers):
            raise ValueError(f"load_weights: {filepath} holds weights for {len(names)} layers, but model "
                             f"'{model.name}' has {len(layers)} layers with weights.")
        pairs = []
        for index, (name, layer) in enumerate(zip(names, layers)):
            variables = list(layer.trainable_weights) + list(layer.non_trainable_weights)
            datasets = _layer_arrays(f, name)
            if len(datasets) != len(variables):
                raise ValueError(f"load_weights: layer #{index} ('{layer.name}') of model '{model.name}' has "
                                 f"{len(variables)} variables, but layer '{name}' of {filepath} holds "
                                 f"{len(datasets)} arrays.")
            for variable, dataset in zip(variables, datasets):
                if tuple(dataset.shape) != tuple(variable.shape):
                    raise ValueError(f"load_weights: variable '{variable.path}' of layer '{layer.name}' has shape "
                                     f"{tuple(variable.shape)}, but '{dataset.name}' in {filepath} has shape "
                                     f"{tuple(dataset.shape)}.")
                pairs.append((variable, np.asarray(dataset[()])))
    for variable, array in pairs:
        variable.assign(array)
