"""kerasj.distribution: Keras 3's distribution API on `jax.sharding` (DESIGN.md section 2).

    >>> from kerasj import distribution
    >>> mesh = distribution.DeviceMesh((2, 4), ["batch", "model"], devices=distribution.list_devices())
    >>> layout_map = distribution.LayoutMap(mesh)
    >>> layout_map[".*dense.*kernel"] = (None, "model")
    >>> distribution.set_distribution(distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
    >>> model = make_model()      # kernels created split over the "model" axis; fit splits batches over "batch"

Several hosts: start one process per host and call `distribution.initialize()` first in each (it wraps
`jax.distributed.initialize`; the coordinator address, process count and process id come from its arguments or
Keras's environment variables KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / _PROCESS_ID); `list_devices()`
then names every process's devices. As in Keras, each process passes its own part of the data: with
`auto_shard_dataset=True` (the default) a `tf.data.Dataset` that each process reads its part of, or, with it off,
each process's own rows (arrays, generators); `batch_size` is per process. Losses and metrics are global,
`predict` returns each process its own rows' outputs. Tested on virtual CPU devices: one process with 8, and 2
processes with 2 each (tests/distribution).
"""
from kerasj.distribution.device_mesh import DeviceMesh
from kerasj.distribution.devices import get_device_count, initialize, list_devices
from kerasj.distribution.distributions import (DataParallel, Distribution, ModelParallel, distribute_tensor,
                                               distribution, set_distribution)
from kerasj.distribution.layout_map import LayoutMap, TensorLayout

__all__ = ["DataParallel", "DeviceMesh", "LayoutMap", "ModelParallel", "TensorLayout", "distribute_tensor",
           "distribution", "get_device_count", "initialize", "list_devices", "set_distribution"]
