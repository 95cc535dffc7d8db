"""Layer (de)serialization in Keras's `{"module", "class_name", "config", "registered_name"}` form."""


def serialize_layer(layer):
    return {"module": "keras.layers", "class_name": type(layer).__name__, "config": layer.get_config(),
            "registered_name": None}


def deserialize_layer(config, custom_objects=None):
    """Rebuild a layer from `serialize_layer` output. Only built-in classes and `custom_objects` resolve."""
    from kerasj import layers
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or getattr(layers, name, None)
    if cls is None or not isinstance(cls, type):
        raise ValueError(f"Unknown layer class {name!r}; pass it in custom_objects={{'{name}': cls}}.")
    return cls.from_config(config.get("config", {}))
