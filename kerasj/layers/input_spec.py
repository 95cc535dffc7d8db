"""InputSpec: what a layer accepts, checked on every call before any computation."""


class InputSpec:
    """Constraints on a layer input: rank (`ndim`, `min_ndim`, `max_ndim`), fixed sizes on given `axes`,
    or a full `shape` (None entries are free).

        >>> layer.input_spec = InputSpec(min_ndim=2, axes={-1: 784})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        fields = {k: v for k, v in vars(self).items() if v not in (None, {}, False)}
        return "InputSpec(" + ", ".join(f"{k}={v}" for k, v in fields.items()) + ")"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}


def assert_input_compatibility(specs, shapes, layer_name):
    """Raise ValueError naming the layer if any input shape breaks its spec.

    `specs` is one InputSpec or a list (one per input); `shapes` is a list of shape tuples.
    """
    if specs is None:
        return
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    if len(shapes) < len([s for s in specs if s is not None and not s.optional]):
        raise ValueError(f"Layer '{layer_name}' expects {len(specs)} input(s), but it received "
                         f"{len(shapes)} input tensor(s).")
    for i, (spec, shape) in enumerate(zip(specs, shapes)):
        if spec is None or shape is None:
            continue
        shape = tuple(shape)
        ndim = len(shape)
        where = f"Input {i} of layer '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and ndim != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        for axis, value in spec.axes.items():
            if value is None:
                continue
            if axis >= ndim or axis < -ndim or shape[axis] not in (value, None):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {value}, "
                                 f"but received input with shape {shape}")
        if spec.shape is not None:
            for expected, got in zip(spec.shape, shape):
                if expected is not None and got is not None and expected != got:
                    raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")
