"""`FeatureSpace` (`kerasj.utils.FeatureSpace`): one object that preprocesses and encodes a table of named
features (floats, integer and string categories, hashed and crossed features) into one vector or a dict,
as Keras 3's, without TensorFlow. Its parts: `Feature` (a dtype, a preprocessing layer and how its output
is encoded) and `Cross` (features hashed together)."""
import numpy as np

from kerasj.layers.input_layer import Input
from kerasj.layers.layer import Layer
from kerasj.layers.merging import Concatenate
from kerasj.layers.preprocessing.category_encoding import CategoryEncoding
from kerasj.layers.preprocessing.discretization import Discretization
from kerasj.layers.preprocessing.hashed_crossing import HashedCrossing
from kerasj.layers.preprocessing.hashing import Hashing, host_array
from kerasj.layers.preprocessing.integer_lookup import IntegerLookup
from kerasj.layers.preprocessing.normalization import Normalization
from kerasj.layers.preprocessing.rescaling import Rescaling
from kerasj.layers.preprocessing.string_lookup import StringLookup
from kerasj.layers.preprocessing.text_vectorization import TextVectorization
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kerasj.utils import naming
from kerasj.utils.keras_names import register

# Keras 3 names these helper classes by their defining module in configs.
_KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"
_ADAPT_BATCH = 32  # Keras batches scalar elements by 32 when adapting


class Cross:
    """Features to hash together (`FeatureSpace.cross`) into `crossing_dim` bins; its name joins theirs with
    `_X_`.

        >>> FeatureSpace.cross(("city", "age_bin"), crossing_dim=16).name
        'city_X_age_bin'
    """

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"FeatureSpace.cross: `output_mode` must be 'int' or 'one_hot'; received "
                             f"output_mode={output_mode!r}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One feature of a `FeatureSpace`: its input `dtype`, the layer that preprocesses it, and its
    `output_mode` ("float": used as it is, "int": the preprocessor's indices, "one_hot": those indices
    encoded).

        >>> feature = FeatureSpace.feature("float32", kerasj.layers.Rescaling(0.1), "float")
    """

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in ("int", "one_hot", "float"):
            raise ValueError(f"FeatureSpace.feature: `output_mode` must be 'int', 'one_hot' or 'float'; "
                             f"received output_mode={output_mode!r}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_keras_object(preprocessor, safe_mode=None)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class TFDIdentity(Layer):
    """The preprocessor of plain float features: passes them through (named as in Keras's configs)."""

    def call(self, inputs):
        return inputs


def _auto_name(name, prefix):
    return name or naming.uniquify(prefix)


class FeatureSpace(Layer):
    """Preprocesses and encodes structured data: a dict of named features in, one concatenated vector
    (`output_mode="concat"`) or a dict of encoded features (`"dict"`) out.

    Each entry of `features` is a feature type name (`"float"`, `"float_normalized"`, `"float_rescaled"`,
    `"float_discretized"`, `"integer_categorical"`, `"string_categorical"`, `"integer_hashed"`,
    `"string_hashed"`, with default settings) or a `Feature` made by the static constructors
    (`FeatureSpace.float_normalized()`, `FeatureSpace.string_categorical(max_tokens=10)`, ...).
    `crosses` lists tuples of feature names (or `FeatureSpace.cross(...)`) hashed together into
    `crossing_dim` bins. Categorical features with `output_mode="one_hot"` are one-hot encoded.

    `adapt(data)` learns the statistics and vocabularies from a dict of arrays, a tf.data dataset or any
    iterable of dicts (TensorFlow is not needed); then call the FeatureSpace on a dict of arrays, or build a
    model on `get_inputs()` / `get_encoded_features()`. The outputs equal Keras 3's for the same data.

        >>> space = FeatureSpace({"age": "float_normalized", "city": "string_categorical"})
        >>> space.adapt({"age": np.array([20.0, 40.0]), "city": np.array(["a", "b"])})
        >>> space({"age": np.array([30.0]), "city": np.array(["b"])})
        Array([[0., 0., 1., 0.]], dtype=float32)

    `save("space.keras")` writes it to a `.keras` file that `kerasj.saving.load_model` reads back.
    """

    # -- feature constructors ----------------------------------------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """Hash the named features together into `crossing_dim` bins (`output_mode` "one_hot" or "int")."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A custom feature: inputs of `dtype` through the layer `preprocessor`, then `output_mode`."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """A float feature used as it is."""
        name = _auto_name(name, "float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """A float feature mapped to `x * scale + offset`."""
        name = _auto_name(name, "float_rescaled")
        return Feature("float32", Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        """A float feature shifted and scaled to zero mean and unit variance (learned by `adapt`)."""
        name = _auto_name(name, "float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """A float feature bucketed into `num_bins` quantile bins (learned by `adapt`)."""
        name = _auto_name(name, "float_discretized")
        layer = Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """An integer category, indexed by a vocabulary learned by `adapt` (IntegerLookup)."""
        name = _auto_name(name, "integer_categorical")
        layer = IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices)
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """A string category, indexed by a vocabulary learned by `adapt` (StringLookup)."""
        name = _auto_name(name, "string_categorical")
        layer = StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """A string category hashed into `num_bins` bins."""
        name = _auto_name(name, "string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """An integer category hashed into `num_bins` bins."""
        name = _auto_name(name, "integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    # -- construction ------------------------------------------------------------------------------------
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
                 num_discretization_bins=32, name=None):
        super().__init__(name=name)
        if not features:
            raise ValueError("FeatureSpace: `features` must be a non-empty dict of feature names to types; "
                             f"received features={features!r}")
        if output_mode not in ("dict", "concat"):
            raise ValueError(f"FeatureSpace: `output_mode` must be 'dict' or 'concat'; received "
                             f"output_mode={output_mode!r}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {key: self._standardize_feature(key, value) for key, value in features.items()}
        self.crosses = [self._standardize_cross(cross, features) for cross in crosses or ()]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.output_mode = output_mode
        self.inputs = {key: Input(shape=(1,), dtype=f.dtype, name=key) for key, f in self.features.items()}
        self.preprocessors = {key: f.preprocessor for key, f in self.features.items()}
        self.encoded_features = None
        self.crossers = {c.name: HashedCrossing(c.crossing_dim, name=c.name) for c in self.crosses}
        self.one_hot_encoders = {}
        self.concat = None
        self._is_adapted = False
        self._sublayers_built = False
        self._feature_order = None  # sorted feature names, then sorted cross names (Keras's output order)

    def _standardize_feature(self, key, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return deserialize_keras_object(feature, safe_mode=None)
        makers = {"float": lambda: self.float(name=key),
                  "float_normalized": lambda: self.float_normalized(name=key),
                  "float_rescaled": lambda: self.float_rescaled(name=key),
                  "float_discretized": lambda: self.float_discretized(self.num_discretization_bins, name=key),
                  "integer_categorical": lambda: self.integer_categorical(name=key),
                  "string_categorical": lambda: self.string_categorical(name=key),
                  "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=key),
                  "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=key)}
        if not isinstance(feature, str) or feature not in makers:
            raise ValueError(f"FeatureSpace: feature '{key}' must be a Feature or one of {sorted(makers)}; "
                             f"received {feature!r}")
        return makers[feature]()

    def _standardize_cross(self, cross, features):
        if isinstance(cross, dict):
            cross = deserialize_keras_object(cross, safe_mode=None)
        if isinstance(cross, Cross):
            return cross
        if not self.crossing_dim:
            raise ValueError("FeatureSpace: with `crosses`, `crossing_dim` (the size of the crossing space) must "
                             f"be set; received crossing_dim={self.crossing_dim!r}")
        unknown = [key for key in cross if key not in features]
        if unknown:
            raise ValueError(f"FeatureSpace: every feature named in `crosses` must be in `features`; the cross "
                             f"{tuple(cross)} names unknown features {unknown}")
        return Cross(cross, crossing_dim=self.crossing_dim)

    # -- adapt ------------------------------------------------------------------------------------------
    def _adaptable(self):
        names = []
        for key in self.features:
            layer = self.preprocessors[key]
            if isinstance(layer, Normalization) and layer.input_mean is not None:
                continue
            if isinstance(layer, TextVectorization) and getattr(layer, "_has_input_vocabulary", False):
                continue
            if hasattr(layer, "adapt"):
                names.append(key)
        return names

    def adapt(self, dataset):
        """Adapt every preprocessor that learns from data (normalization statistics, discretization
        boundaries, vocabularies) on `dataset`: a dict of arrays or lists (one row per index), or an
        iterable of dicts (a tf.data dataset, a kerasj NativeDataset, a list of dict batches).

        Batches are read as Keras reads them, so the results are Keras's: a dict of arrays is taken row by
        row, scalar rows grouped into batches of 32; a feature of rank 0 or 1 gets a trailing axis of 1."""
        if isinstance(dataset, dict):
            columns = {key: np.asarray(host_array(v, "FeatureSpace.adapt")) for key, v in dataset.items()}
            elements = None
        elif hasattr(dataset, "__iter__") and not hasattr(dataset, "__array__"):
            elements = [{k: host_array(v, "FeatureSpace.adapt") for k, v in element.items()}
                        for element in dataset]
            if not elements or not all(isinstance(e, dict) for e in elements):
                raise ValueError("FeatureSpace.adapt: the dataset must yield dicts of feature arrays.")
        else:
            raise ValueError("FeatureSpace.adapt: expected a dict of arrays/lists or an iterable of dicts (e.g. "
                             f"a tf.data.Dataset); received {type(dataset).__name__}")
        for key in self._adaptable():
            if elements is None:
                if key not in columns:
                    raise ValueError(f"FeatureSpace.adapt: the data has no feature '{key}'")
                batches = _batches_of(list(columns[key]))
            else:
                batches = _batches_of([e[key] for e in elements])
            self.preprocessors[key].adapt(iter(batches))
        self._is_adapted = True
        self.get_encoded_features()  # builds the crossers, encoders and the concatenation
        self.built = True
        self._sublayers_built = True

    # -- symbolic use -----------------------------------------------------------------------------------
    def get_inputs(self):
        """`{name: kerasj.Input((1,), dtype)}`, the model inputs the encoded features are computed from."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The symbolic encoded features (one tensor in concat mode, or a dict) for building a model."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess(self.inputs)
            self.encoded_features = self._merge(preprocessed, self._cross(preprocessed))
        return self.encoded_features

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError("FeatureSpace: call `adapt(dataset)` before using the FeatureSpace.")
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # -- the pipeline -----------------------------------------------------------------------------------
    def _preprocess(self, features):
        return {key: self.preprocessors[key](features[key]) for key in features}

    def _cross(self, features):
        return {c.name: self.crossers[c.name]([features[key] for key in c.feature_names]) for c in self.crosses}

    def _merge(self, preprocessed, crossed):
        if self._feature_order is None:
            self._feature_order = sorted(preprocessed) + sorted(crossed)
        values = {**preprocessed, **crossed}
        if self._sublayers_built:
            outputs = {}
            for key in self._feature_order:
                encoder = self.one_hot_encoders.get(key)
                outputs[key] = encoder(values[key]) if encoder is not None else values[key]
            return outputs if self.output_mode == "dict" else self.concat(list(outputs.values()))
        # First (symbolic) pass: create the one-hot encoders and check that everything can be concatenated.
        outputs = {}
        for key in self._feature_order:
            value = values[key]
            spec = self.features.get(key) or self.crosses_by_name[key]
            if spec.output_mode == "one_hot":
                value = self._one_hot_encoder(key, value)(value)
            if self.output_mode == "concat" and (str(value.dtype).startswith("int") or value.dtype == "string"):
                raise ValueError(f"FeatureSpace: cannot concatenate the features: feature '{key}' is not encoded "
                                 f"(its dtype is {value.dtype}); use output_mode='dict'.")
            outputs[key] = value
        if self.output_mode == "dict":
            return outputs
        self.concat = Concatenate(axis=-1)
        return self.concat(list(outputs.values()))

    def _one_hot_encoder(self, key, value):
        if not str(value.dtype).startswith("int"):
            raise ValueError(f"FeatureSpace: feature '{key}' has output_mode='one_hot', so its preprocessor must "
                             f"return integers; it returns {value.dtype}.")
        layer = self.preprocessors.get(key) or self.crossers.get(key)
        if isinstance(layer, (IntegerLookup, StringLookup)):
            size = layer.vocabulary_size()
        elif isinstance(layer, CategoryEncoding):
            size = layer.num_tokens
        elif isinstance(layer, (Discretization, HashedCrossing, Hashing)):
            size = layer.num_bins  # for Discretization as in Keras: num_bins, not len(bin_boundaries) + 1
        else:
            raise ValueError(f"FeatureSpace: feature '{key}' has output_mode='one_hot', but the size of its "
                             "preprocessor's output space is unknown, so it cannot be one-hot encoded; use "
                             "output_mode='int'.")
        encoder = CategoryEncoding(num_tokens=size, output_mode="multi_hot")
        self.one_hot_encoders[key] = encoder
        return encoder

    def __call__(self, data):
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(f"FeatureSpace: call it with a dict of features; received {type(data).__name__}")
        unknown = sorted(set(self.features) - set(data))
        if unknown:
            raise ValueError(f"FeatureSpace: the data lacks the features {unknown}")
        arrays, rebatched = {}, False
        for key, value in data.items():
            x = host_array(value, f"FeatureSpace '{self.name}'")
            if x.ndim == 0:
                x, rebatched = x.reshape(1, 1), True
            elif x.ndim == 1:
                x = x[:, None]
            arrays[key] = x
        preprocessed = self._preprocess({key: arrays[key] for key in self.features})
        merged = self._merge(preprocessed, self._cross(preprocessed))
        if rebatched:
            if self.output_mode == "concat":
                merged = merged[0]
            else:
                merged = {k: v[0] if v.ndim == 2 and v.shape[0] == 1 else v for k, v in merged.items()}
        return merged

    # -- saving -----------------------------------------------------------------------------------------
    def get_config(self):
        return {"features": serialize_keras_object(self.features), "output_mode": self.output_mode,
                "crosses": serialize_keras_object(self.crosses), "crossing_dim": self.crossing_dim,
                "hashing_dim": self.hashing_dim, "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {key: f.preprocessor.get_build_config() for key, f in self.features.items()}

    def build_from_config(self, config):
        for key, build_config in config.items():
            layer = self.features[key].preprocessor
            if not layer.built and build_config:
                layer.build_from_config(build_config)
        # Loaded state (statistics, vocabularies) arrives after this; the encoders, whose sizes depend on
        # it, are made on the first call.
        self._is_adapted = True
        self.built = True

    def save(self, filepath):
        """Write the FeatureSpace (configuration, statistics, vocabularies) to a `.keras` file; read it back
        with `kerasj.saving.load_model(filepath)`."""
        from kerasj.saving.keras_archive import save_model  # saving sits on the floor above layers
        save_model(self, filepath)


def _batches_of(rows):
    """Per-row values as the batches Keras's adapt sees: scalar rows stacked 32 at a time, rank 0 / 1 batches
    given a trailing axis of 1."""
    if not rows:
        return []
    if np.ndim(rows[0]) == 0:
        batches = [np.stack(rows[i:i + _ADAPT_BATCH]) for i in range(0, len(rows), _ADAPT_BATCH)]
    else:
        batches = [np.asarray(r) for r in rows]
    return [b[..., None] if b.ndim in (0, 1) else b for b in batches]


register(_KERAS_MODULE, "Feature", Feature)
register(_KERAS_MODULE, "Cross", Cross)
register(_KERAS_MODULE, "TFDIdentity", TFDIdentity)
register("keras.utils", "FeatureSpace", FeatureSpace)
