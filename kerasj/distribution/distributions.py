"""Distributions: where variables and batches live on a `DeviceMesh`, and the current one.

`DataParallel` replicates every variable and splits each batch along the mesh's batch axis; `ModelParallel`
also splits the variables its `LayoutMap` names. Set one with `set_distribution(d)` (or `with d.scope():`)
before creating the model: variables are then created with their layout, and `fit` / `evaluate` / `predict`
split each batch over the devices (`kerasj.distribution.placement` connects them to the Variables and the
trainer).

    >>> set_distribution(DataParallel())
    >>> model = make_model(); model.compile(...); model.fit(x, y)     # each batch split over all devices
"""
import contextlib
import threading
import warnings

import jax
import numpy as np

from kerasj.distribution import devices as devices_lib
from kerasj.distribution import placement
from kerasj.distribution.device_mesh import DeviceMesh
from kerasj.distribution.layout_map import LayoutMap, TensorLayout

DEFAULT_BATCH_DIM_NAME = "batch"
_state = threading.local()  # per thread, as Keras keeps its global distribution


def distribution():
    """The current distribution (set by `set_distribution` or a `scope()`), or None.

        >>> kerasj.distribution.distribution() is None   # nothing set
        True
    """
    return getattr(_state, "distribution", None)


def set_distribution(value):
    """Make `value` (a Distribution, or None for none) the current distribution of this thread.

        >>> set_distribution(DataParallel(devices=list_devices()))
    """
    if value is not None:
        placement.install(distribution)  # connects the Variables and the trainer to the distribution
    _state.distribution = value


def distribute_tensor(tensor, layout):
    """`tensor` with `layout` (a TensorLayout or a jax.sharding.Sharding): inside a traced function a
    `jax.lax.with_sharding_constraint`, outside it a `jax.device_put` (skipped when the tensor already has
    that layout). Symbolic tensors pass through.

        >>> y = distribute_tensor(x, TensorLayout(("batch", None), mesh))
    """
    from kerasj.ops.symbolic import KerasTensor
    if isinstance(tensor, KerasTensor):
        return tensor
    sharding = layout.backend_layout if isinstance(layout, TensorLayout) else layout
    if not isinstance(tensor, jax.Array):
        tensor = jax.numpy.asarray(tensor)
    return placement.relayout_tensor(tensor, sharding)


class Distribution:
    """The base of the distributions: a device mesh, the mesh axis batches are split along, and how
    variables, batches and intermediate tensors are laid out (subclasses say).

    Args:
        device_mesh: the `DeviceMesh`.
        batch_dim_name: the mesh axis the batch dimension is split along.
        auto_shard_dataset: in a multi-process run, give each process its part of a `tf.data.Dataset`
            (`distribute_dataset`); False when the dataset is already split per process.
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = devices_lib.num_processes()
        self._process_id = devices_lib.process_id()
        self._is_multi_process = self._num_processes > 1

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        self._auto_shard_dataset = value

    @property
    def num_processes(self):
        """The number of processes in the cluster."""
        return self._num_processes

    @property
    def num_model_replicas(self):
        """How many copies of the model the batch is split over."""
        raise NotImplementedError

    @property
    def data_shard_id(self):
        """Which part of the data this process reads."""
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    def get_data_layout(self, data_shape):
        """The TensorLayout of a batch of shape `data_shape`."""
        raise NotImplementedError

    def get_variable_layout(self, variable):
        """The TensorLayout of `variable` (its `path` and `shape` decide)."""
        raise NotImplementedError

    def get_tensor_layout(self, path):
        """The TensorLayout of the intermediate tensor at `path`, or None."""
        raise NotImplementedError

    @contextlib.contextmanager
    def scope(self):
        """Make this the current distribution inside a `with` block.

            >>> with DataParallel().scope():
            ...     model = make_model()
        """
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def _batch_layout(self, data_shape):
        spec = [None] * len(data_shape)
        spec[0] = self.batch_dim_name
        return TensorLayout(spec, self.device_mesh)

    def _replicated(self, shape):
        return TensorLayout([None] * len(shape), self.device_mesh)

    def distribute_dataset(self, dataset):
        """`dataset` as this process should read it: unchanged in a single process or without
        `auto_shard_dataset`; in a multi-process run, this process's part of a batched `tf.data.Dataset`."""
        if not self._is_multi_process or not self.auto_shard_dataset:
            return dataset
        tf = _tensorflow_if_dataset(dataset)
        if tf is None:
            raise ValueError(f"{type(self).__name__}.distribute_dataset: only a tf.data.Dataset can be split "
                             f"between processes automatically; received {type(dataset).__name__}. Split it "
                             "yourself and pass auto_shard_dataset=False.")
        from tensorflow.python.data.experimental.ops import distribute as tf_distribute
        batch = int(tf_distribute.compute_batch_size(dataset).numpy())
        if batch < 0:
            raise ValueError("distribute_dataset: the dataset's batch size is unknown; batch it first "
                             "(dataset.batch(batch_size)).")
        replicas = self.num_model_replicas
        if replicas == 1:
            return dataset.prefetch(tf.data.AUTOTUNE)
        parts, index = ((self.num_processes, self._process_id) if replicas >= self.num_processes
                        else (replicas, self.data_shard_id))
        if batch % parts:
            raise ValueError(f"distribute_dataset: the global batch size {batch} must be divisible by "
                             f"{parts} (the number of {'processes' if parts == self.num_processes else 'replicas'}).")
        return dataset.rebatch(batch // parts).shard(num_shards=parts, index=index).prefetch(tf.data.AUTOTUNE)

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"

    __str__ = __repr__


def _tensorflow_if_dataset(dataset):
    import sys
    tf = sys.modules.get("tensorflow")  # a tf.data.Dataset means tensorflow is already imported
    return tf if tf is not None and isinstance(dataset, tf.data.Dataset) else None


class DataParallel(Distribution):
    """Data parallelism: every variable replicated on every device, each batch split along the mesh's first
    axis. Give a 1D `device_mesh`, or `devices` (a 1D mesh over them, axis "batch"), or neither (all devices).

    Args:
        device_mesh: a `DeviceMesh` (with more than one axis, the first is the batch axis, with a warning).
        devices: the devices, when no mesh is given.
        auto_shard_dataset: see `Distribution`.

    Example:
        >>> kerasj.distribution.set_distribution(DataParallel(devices=list_devices()))
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"DataParallel: `device_mesh` must be a DeviceMesh; received {device_mesh!r} "
                                 f"of type {type(device_mesh).__name__}")
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            if device_mesh.devices.ndim != 1:
                warnings.warn(f"DataParallel expects a 1D device mesh; received one of shape {device_mesh.shape}. "
                              "Its first axis is used to split the batches.", stacklevel=2)
            return
        devices = np.array(devices if devices else devices_lib.list_devices())
        mesh = DeviceMesh(shape=devices.shape, axis_names=[DEFAULT_BATCH_DIM_NAME], devices=devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def get_data_layout(self, data_shape):
        return self._batch_layout(data_shape)

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        return self._replicated(variable.shape)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(Distribution):
    """Model (and data) parallelism: variables laid out per a `LayoutMap` (replicated where no key matches
    their path), batches split along `batch_dim_name`.

    Args:
        layout_map: the `LayoutMap`; its device mesh is the distribution's.
        batch_dim_name: the mesh axis batches are split along; defaults to the mesh's first axis.
        auto_shard_dataset: see `Distribution`.

    Example:
        >>> mesh = DeviceMesh((2, 4), ["batch", "model"], devices=list_devices())
        >>> layout_map = LayoutMap(mesh)
        >>> layout_map[".*dense.*kernel"] = (None, "model")
        >>> layout_map[".*dense.*bias"] = ("model",)
        >>> set_distribution(ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True, **kwargs):
        # `device_mesh` is Keras's deprecated argument (the mesh is the LayoutMap's): accepted and unused.
        kwargs.pop("device_mesh", None)
        if kwargs:
            raise TypeError(f"ModelParallel got unexpected keyword arguments: {sorted(kwargs)}")
        if layout_map is None:
            raise ValueError("ModelParallel: the `layout_map` argument is required.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"ModelParallel: `layout_map` must be a LayoutMap; received {layout_map!r} of type "
                             f"{type(layout_map).__name__}")
        mesh = layout_map.device_mesh
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map
        if (self._is_multi_process and self.num_processes > self.num_model_replicas
                and self.num_processes % self.num_model_replicas):
            raise ValueError(f"ModelParallel: with more processes than model replicas, num_processes must be "
                             f"divisible by num_model_replicas; got num_processes={self.num_processes}, "
                             f"num_model_replicas={self.num_model_replicas}.")

    @property
    def num_model_replicas(self):
        return self.device_mesh.shape[list(self.device_mesh.axis_names).index(self.batch_dim_name)]

    def get_data_layout(self, data_shape):
        return self._batch_layout(data_shape)

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        layout = self._layout_map[variable.path]
        return layout if layout is not None else self._replicated(variable.shape)

    def get_tensor_layout(self, path):
        return self._layout_map[path]
