"""`TensorLayout` (how one array is split over a `DeviceMesh`, a `jax.sharding.NamedSharding`) and
`LayoutMap` (variable paths, matched by regular expressions, to layouts).

    >>> layout_map = LayoutMap(mesh)
    >>> layout_map[".*dense.*kernel"] = (None, "model")     # a tuple of axis names is a TensorLayout
    >>> layout_map["sequential/dense/kernel"].axes
    (None, 'model')
"""
import collections.abc
import re

import jax


class TensorLayout:
    """The layout of one array: for each of its dimensions, the mesh axis it is split along (None: not split).

    Args:
        axes: one mesh axis name (or None) per dimension of the array.
        device_mesh: the `DeviceMesh`; may be set later (once), e.g. by the `LayoutMap` it is put in.

    Example:
        >>> layout = TensorLayout((None, "model"), mesh)
        >>> layout.backend_layout       # NamedSharding(mesh.backend_mesh, PartitionSpec(None, 'model'))
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"TensorLayout: the device mesh is already set (to {self._device_mesh}) and cannot "
                             "be replaced.")
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self):
        """The `jax.sharding.NamedSharding` this layout stands for (needs the device mesh)."""
        sharding = self.__dict__.get("_backend_layout")
        if sharding is None:
            if self._device_mesh is None:
                raise ValueError(f"TensorLayout {self._axes}: cannot build its sharding before its device mesh "
                                 "is set.")
            sharding = self._backend_layout = jax.sharding.NamedSharding(
                self._device_mesh.backend_mesh, jax.sharding.PartitionSpec(*self._axes))
        return sharding

    def _validate_axes(self):
        if self._device_mesh:
            unknown = set(self._axes) - {None} - set(self._device_mesh.axis_names)
            if unknown:
                raise ValueError(f"TensorLayout: axis names {sorted(unknown)} are not axes of the device mesh "
                                 f"(its axes are {list(self._device_mesh.axis_names)}); received axes={self._axes}")

    def __repr__(self):
        return f"<{type(self).__name__} axes={self.axes}, device_mesh={self.device_mesh}>"

    __str__ = __repr__


class LayoutMap(collections.abc.MutableMapping):
    """A dict from strings to `TensorLayout`s whose lookups also treat the keys as regular expressions.

    `layout_map[path]` returns the layout stored under `path` itself if there is one; otherwise the layout of
    the one key that matches the whole of `path` as a regular expression (`re.fullmatch`); None if no key
    matches; a ValueError if several do. A tuple of axis names is accepted as a value and becomes a
    `TensorLayout` on this map's mesh; a key can be set only once.

    Args:
        device_mesh: the `DeviceMesh` the layouts refer to.

    Example:
        >>> layout_map = LayoutMap(DeviceMesh((2, 4), ["batch", "model"]))
        >>> layout_map[".*dense.*kernel"] = (None, "model")
        >>> layout_map[".*dense.*bias"] = ("model",)
        >>> layout_map["mlp/dense_1/kernel"].axes, layout_map["mlp/conv2d/kernel"]
        ((None, 'model'), None)
    """

    def __init__(self, device_mesh):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [pattern for pattern in self._layout_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"LayoutMap: the path '{key}' matches several keys, {matches}; each variable path may "
                             "match at most one key of the LayoutMap.")
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(f"LayoutMap: the key '{key}' is already set (to {self._layout_map[key]}); keys "
                             "cannot be set twice.")
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"LayoutMap['{key}']: the value must be a TensorLayout or a tuple of axis names; "
                             f"received {layout!r} of type {type(layout).__name__}")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    @property
    def device_mesh(self):
        return self._device_mesh
