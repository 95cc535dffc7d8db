"""`DeviceMesh`: devices arranged in a named grid, as a `jax.sharding.Mesh` is.

    >>> mesh = DeviceMesh(shape=(2, 4), axis_names=("batch", "model"), devices=list_devices())
    >>> mesh.backend_mesh          # the jax.sharding.Mesh (built on first use)
"""
import math

import jax
import numpy as np

from kerasj.distribution.devices import list_devices, to_jax_device


class DeviceMesh:
    """A grid of devices with a name per axis; layouts and distributions refer to the axes by name.

    Args:
        shape: the grid's shape, e.g. `(8,)` for data parallelism or `(2, 4)` for data x model parallelism.
        axis_names: one name per axis of `shape`.
        devices: the devices (names such as `"gpu:0"`, or jax.Devices), as many as the grid holds; defaults to
            `list_devices()`.

    Example:
        >>> mesh = DeviceMesh((2, 4), ["batch", "model"])   # with 8 devices
        >>> mesh.devices.shape
        (2, 4)
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"DeviceMesh: `shape` and `axis_names` must not be empty; received shape={shape}, "
                             f"axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"DeviceMesh: `shape` and `axis_names` must have the same length; received "
                             f"shape={shape}, axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else devices)
        if math.prod(shape) != devices.size:
            raise ValueError(f"DeviceMesh: shape {shape} holds {math.prod(shape)} devices, but "
                             f"{devices.size} devices were given (devices.shape={devices.shape}).")
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(shape)

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        """The devices as a numpy array of `shape`."""
        return self._devices

    @property
    def backend_mesh(self):
        """The `jax.sharding.Mesh` over the same devices and axis names."""
        mesh = self.__dict__.get("_backend_mesh")
        if mesh is None:
            grid = np.array([to_jax_device(d) for d in self._devices.reshape(-1)]).reshape(self._devices.shape)
            mesh = self._backend_mesh = jax.sharding.Mesh(grid, tuple(self._axis_names))
        return mesh

    def __repr__(self):
        return f"<{type(self).__name__} shape={self.shape}, axis_names={self.axis_names}>"

    __str__ = __repr__
