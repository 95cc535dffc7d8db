"""`IndexLookup`: the vocabulary table behind StringLookup, IntegerLookup and TextVectorization.

Keras builds these layers on TensorFlow hash tables; kerasj keeps the vocabulary as a numpy array and looks tokens
up with a binary search (`searchsorted`) over a sorted copy, so the layers need no TensorFlow. The layout of the
indices follows Keras 3:

    [mask (output_mode "int" only)] [OOV 1 .. OOV num_oov_indices] [vocabulary tokens ...]

- `adapt` counts tokens and keeps the most frequent ones (at most `max_tokens` indices in all), sorted by count,
  then by the token itself, both descending, as Keras does;
- with several OOV indices an unknown token goes to `oov_start + h(token) % num_oov_indices`, where `h` is
  FarmHash64's fingerprint of the token's text (`tf.strings.to_hash_bucket_fast`), or SipHash-2-4 keyed by
  `salt` (`tf.strings.to_hash_bucket_strong`); integers use `floormod` unless `oov_method="farmhash"`;
- `"tf_idf"` weights a count by ``idf = log(1 + num_documents / (1 + document_frequency))``; the special indices
  get the mean idf of the vocabulary and `pad_to_max_tokens` padding gets 0.

Strings cannot be JAX arrays, so string layers run in numpy on the host; a call returns a JAX array (int32
indices, as Keras on JAX gives with 64-bit mode off), or a numpy array of `str` when it returns strings
(`StringLookup(invert=True)`). An IntegerLookup also runs inside `jax.jit` (see `IntegerLookup`).
"""
import collections
import os

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.layers.layer import Layer
from kerasj.ops.symbolic import KerasTensor
from kerasj.saving import safe_mode
from kerasj.utils.argument_validation import check_choice, is_int
from kerasj.utils.string_hashing import hash_bucket_fast, hash_bucket_strong

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
# Looked-up index of a mask token in the encoded output modes: it is counted in no bin.
_DROPPED = -2
VOCABULARY_FILE = "vocabulary.txt"


def listify(value):
    """Arrays in a config become lists (JSON), other values stay as they are (a tuple stays a tuple)."""
    if isinstance(value, (np.ndarray, jax.Array)):
        return np.asarray(value).tolist()
    return value


def _loading_in_safe_mode():
    # Keras refuses vocabulary files only while a model is being loaded in safe mode (a config naming a file
    # outside the archive); building a layer from a file by hand is always allowed.
    return safe_mode.in_safe_mode_scope()


def is_tf_dataset(data):
    return type(data).__module__.startswith("tensorflow") and hasattr(data, "take") and hasattr(data, "element_spec")


def as_numpy(batch):
    """A batch of any kind (tf tensor, jax array, list, numpy) as a numpy array, without importing TensorFlow."""
    if hasattr(batch, "numpy") and type(batch).__module__.startswith("tensorflow"):
        batch = batch.numpy()
    return batch


def iterate_batches(data, steps):
    """What `adapt` iterates: batches of a dataset or iterable (at most `steps`), or the one array `data` (None
    when `data` is an array)."""
    if is_tf_dataset(data):
        return data.take(steps) if steps is not None else data
    if hasattr(data, "__iter__") and not isinstance(data, (list, tuple, np.ndarray, jax.Array, str, bytes)):
        def limited():
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    return
                yield batch
        return limited()
    return None


def index_array(data, layer):
    """Integer indices (the input of an inverted lookup) as a numpy array."""
    array = np.asarray(data)
    if array.dtype.kind not in "iu" and array.size:
        raise TypeError(f"{type(layer).__name__} '{layer.name}': with invert=True the inputs are integer indices; "
                        f"received an array of dtype {array.dtype}.")
    return array.astype("int64")


def _encode(indices, output_mode, depth, idf_weights, xp):
    """Indices (negative: counted nowhere) to one_hot / multi_hot / count / tf_idf vectors of size `depth`,
    shaped as Keras shapes them: a scalar is one sample, `one_hot` replaces a trailing axis of size 1 (or adds
    one), the other modes reduce the last axis (rank 1 is a single sample)."""
    if indices.ndim == 0:
        indices = indices.reshape(1)
        if output_mode == "one_hot":
            indices = indices.reshape(1, 1)
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices[..., 0]
    hot = (indices[..., None] == xp.arange(depth)).astype("int32")
    if output_mode == "one_hot":
        return hot
    # Keras reduces axis 1 beyond rank 2 (its TensorFlow bincount path covers ranks 1 and 2 only).
    axis = 1 if indices.ndim > 2 else -2
    if output_mode == "multi_hot":
        return hot.max(axis=axis)
    counts = hot.sum(axis=axis).astype("int32")
    if output_mode == "count":
        return counts
    return counts.astype(idf_weights.dtype) * idf_weights


class _Counts:
    """Token statistics gathered by `adapt` (kept out of the layer's attributes: they are no sub-state to walk)."""

    def __init__(self):
        self.tokens = collections.Counter()
        self.documents = collections.Counter()
        self.num_documents = 0


class IndexLookup(Layer):
    """Base of the lookup layers: maps tokens to indices through a vocabulary (see the module docstring).

    Subclasses say what a token is (`vocabulary_dtype` "string" or "int64") by implementing `_tokens_of`
    (data to a numpy array of tokens); the arguments are those of Keras's `IndexLookup`.

        >>> layer = StringLookup(vocabulary=["a", "b"])
        >>> layer(["b", "z"])
        Array([2, 0], dtype=int32)
    """

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", name=None, salt=None, **kwargs):
        owner = type(self).__name__
        if max_tokens is not None and (not is_int(max_tokens) or max_tokens <= 1):
            raise ValueError(f"{owner}: if set, `max_tokens` must be an integer greater than 1; received "
                             f"max_tokens={max_tokens!r}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{owner}: `pad_to_max_tokens=True` needs `max_tokens`; received max_tokens=None")
        if not is_int(num_oov_indices) or num_oov_indices < 0:
            raise ValueError(f"{owner}: `num_oov_indices` must be an integer >= 0; received "
                             f"num_oov_indices={num_oov_indices!r}")
        check_choice(owner, "oov_method", oov_method, ("floormod", "farmhash"))
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        check_choice(owner, "output_mode", output_mode, OUTPUT_MODES)
        if sparse:
            raise ValueError(f"{owner}: `sparse=True` is not supported: kerasj returns dense JAX arrays (Keras "
                             f"supports it only with the TensorFlow backend); received sparse={sparse!r}")
        if invert and output_mode != "int":
            raise ValueError(f"{owner}: `invert=True` needs output_mode='int'; received output_mode={output_mode!r}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{owner}: `idf_weights` may only be set with output_mode='tf_idf'; received "
                             f"output_mode={output_mode!r}")
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(f"{owner}: `salt` can only be used with oov_method='farmhash'; received "
                                 f"oov_method={oov_method!r}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(is_int(s) for s in salt):
                salt = [int(s) for s in salt]
            elif is_int(salt):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError(f"{owner}: `salt` must be an integer or a tuple of 2 integers; received "
                                 f"salt={salt!r}")
        frozen_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"{owner}: unrecognized keyword argument(s) {sorted(kwargs)}")
        super().__init__(name=name)
        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_size
        # A vocabulary given as a file is saved as an asset, so the config keeps only given arrays (as Keras).
        self.input_vocabulary = None if isinstance(vocabulary, (str, os.PathLike)) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self._vocab = None  # the tokens after the special indices, in index order
        self.idf_weights = None
        self._counts = _Counts()
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError(f"{owner}: with output_mode='tf_idf', a `vocabulary` needs `idf_weights` too.")
        self.built = True  # no weights: nothing to build
        # As in Keras, a marker for code that compiles models: this layer must run outside jax.jit.
        self.supports_jit = vocabulary_dtype != "string" and not (num_oov_indices > 1 and oov_method == "farmhash")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- index layout ----------------------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    # -- vocabulary ------------------------------------------------------------------------------------
    def vocabulary_size(self):
        """The number of indices: special ones (mask, OOV) plus the vocabulary's tokens."""
        return self._token_start_index() + (0 if self._vocab is None else len(self._vocab))

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary as a list, in index order; with `include_special_tokens` the mask and OOV tokens come
        first, so a token's position is its index."""
        tokens = [] if self._vocab is None else self._vocab.tolist()
        if not include_special_tokens:
            return tokens
        special = [self.oov_token] * self._token_start_index()
        if self.mask_token is not None and self.output_mode == "int":
            special[0] = self.mask_token
        return special + tokens

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (and, for "tf_idf", the idf weights) with given ones.

        `vocabulary` is a list, tuple or 1-D array of tokens, or the path of a text file with one token per
        line. It may start with the special tokens in index order (mask, then OOV), or leave them out.

            >>> layer = StringLookup()
            >>> layer.set_vocabulary(["a", "b"])
            >>> layer.get_vocabulary()
            ['[UNK]', 'a', 'b']
        """
        owner = f"{type(self).__name__} '{self.name}'"
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{owner}: `idf_weights` must be set when output_mode='tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{owner}: `idf_weights` may only be set with output_mode='tf_idf'; received "
                             f"output_mode={self.output_mode!r}")
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{owner}: output_mode='tf_idf' cannot load a vocabulary from a file.")
            vocabulary = self._read_vocabulary_file(os.fspath(vocabulary), owner)
        vocabulary = self._tokens_of(as_numpy(vocabulary), "vocabulary").reshape(-1)
        if vocabulary.size == 0:
            raise ValueError(f"{owner}: cannot set an empty vocabulary.")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        has_special = len(vocabulary) >= token_start and vocabulary[:token_start].tolist() == special
        tokens = vocabulary[token_start:] if has_special else vocabulary
        repeated = [t for t, n in collections.Counter(tokens.tolist()).items() if n > 1]
        if repeated:
            raise ValueError(f"{owner}: the vocabulary has repeated terms {repeated}; make it unique.")
        for token, what in ((self.mask_token, "mask"), (self.oov_token if self.invert else None, "OOV")):
            if token is not None and token in set(tokens.tolist()):
                raise ValueError(f"{owner}: found the reserved {what} token {token!r} at an unexpected place in "
                                 f"`vocabulary`; leave the special tokens out, or put them first in exactly this "
                                 f"order: {special}.")
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(f"{owner}: the vocabulary has {token_start + len(tokens)} entries (with the special "
                             f"tokens), more than max_tokens={self.max_tokens}.")
        if idf_weights is not None:
            idf_weights = np.asarray(as_numpy(idf_weights), dtype="float64")
            if idf_weights.ndim != 1 or len(idf_weights) != len(vocabulary):
                raise ValueError(f"{owner}: `idf_weights` must be 1-D with one weight per vocabulary entry "
                                 f"({len(vocabulary)}); received shape {idf_weights.shape}.")
            front = 0 if has_special else token_start
            # The special indices have no document frequency of their own: they get the mean weight.
            self._set_idf(idf_weights, front, np.mean(idf_weights))
        self._set_tokens(tokens)

    def _read_vocabulary_file(self, path, owner):
        if _loading_in_safe_mode():
            raise ValueError(f"{owner}: refusing to read the vocabulary file {path!r} named in a config while "
                             f"loading in safe mode (it may be any file outside the archive). If you trust the "
                             f"file, load with safe_mode=False.")
        if not os.path.isfile(path):
            raise ValueError(f"{owner}: the vocabulary file {path} does not exist.")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return self._parse_lines(lines)

    def _parse_lines(self, lines):
        return lines

    def _set_idf(self, weights, front, front_value):
        back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens else 0
        padded = np.pad(np.asarray(weights, dtype="float32"), (front, max(back, 0)), constant_values=(front_value, 0))
        self.idf_weights = padded.astype(config.floatx())

    def _set_tokens(self, tokens):
        size = self._token_start_index() + len(tokens)
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is not None \
                and self._frozen_vocab_size != size:
            raise RuntimeError(f"{type(self).__name__} '{self.name}': with output_mode={self.output_mode!r} and "
                               f"pad_to_max_tokens=False the vocabulary size cannot change once set (the output "
                               f"width depends on it); old size {self._frozen_vocab_size}, new size {size}.")
        self._vocab = tokens
        order = np.argsort(tokens, kind="stable")
        self._sorted_tokens = tokens[order]
        self._sorted_indices = (order + self._token_start_index()).astype("int32")
        self._frozen_vocab_size = size

    # -- adapt -----------------------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Build the vocabulary from data: the most frequent tokens (ties: the greater token first), at most
        `max_tokens` indices with the special ones; for "tf_idf" also their document frequencies.

        `data` is an array or list (each element one document), or an iterable of batches — a tf.data
        dataset, a generator, a kerasj dataset — each batch one array (a 1-D batch is one document, as in
        Keras); `steps` caps the number of batches.

            >>> layer = StringLookup()
            >>> layer.adapt(["b", "a", "b", "c"])
            >>> layer.get_vocabulary()
            ['[UNK]', 'b', 'c', 'a']
        """
        self.reset_state()
        batches = iterate_batches(data, steps)
        if batches is None:
            data = self._tokens_of(as_numpy(data), "adapt data")
            self.update_state(data[:, None] if data.ndim == 1 else data)
        else:
            for batch in batches:
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Count the tokens of one batch (rows are documents; a list of 1-D arrays is a ragged batch)."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via the "
                             "`vocabulary` argument or `set_vocabulary()` method.")
        if isinstance(data, list) and data and isinstance(data[0], np.ndarray):
            rows = data  # ragged, from TextVectorization's splitting
        else:
            data = self._tokens_of(as_numpy(data), "adapt data")
            rows = data.reshape(1, -1) if data.ndim < 2 else data.reshape(len(data), -1)
        counts = self._counts
        for row in rows:
            counts.tokens.update(row.tolist())
        if self.output_mode == "tf_idf":
            for row in rows:
                counts.documents.update(set(row.tolist()))
            counts.num_documents += len(rows)

    def finalize_state(self):
        counts = self._counts
        if self._has_input_vocabulary or not counts.tokens:
            if self._vocab is None:
                self._frozen_vocab_size = self.vocabulary_size()  # the special indices only, as Keras records
            return
        for token in (self.mask_token, self.oov_token):
            counts.tokens.pop(token, None)
        # By count, ties by token, both from high to low: Keras's (deterministic) order.
        ranked = sorted(counts.tokens.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens:
            ranked = ranked[:self.max_tokens - self._token_start_index()]
        tokens = self._tokens_of([token for token, _ in ranked], "adapt data")
        if self.output_mode == "tf_idf":
            frequency = np.array([counts.documents[t] for t, _ in ranked], dtype="float64")
            idf = np.log(1.0 + counts.num_documents / (1.0 + frequency)).astype("float32")
            self._set_idf(idf, self._token_start_index(), np.mean(idf) if len(idf) else 0.0)
        self._set_tokens(tokens)
        self.reset_state()

    def reset_state(self):
        self._counts = _Counts()

    # -- call ------------------------------------------------------------------------------------------
    def _convert_inputs(self, inputs):
        return inputs  # Layer's conversion to JAX arrays refuses strings; `call` converts its inputs itself

    def call(self, inputs):
        if isinstance(inputs, jax.core.Tracer):
            return self._traced_call(inputs)
        inputs = as_numpy(inputs)
        values = index_array(inputs, self) if self.invert else self._tokens_of(inputs, "inputs")
        return self._finish(self.lookup(values), np)

    def _traced_call(self, inputs):
        raise TypeError(f"{type(self).__name__} '{self.name}' works on strings on the host and cannot run inside "
                        f"jax.jit (e.g. a model being fit). Apply it to the data first (`x = layer(texts)`), or "
                        f"in the input pipeline (`dataset.map(layer)`).")

    def lookup(self, values, xp=np):
        """Indices of the tokens in `values` (an array of tokens; `xp` is numpy, or jax.numpy when traced),
        before encoding: the mask maps to 0 in "int" mode (else to a bin that is never counted), unknown tokens
        to the OOV indices."""
        self._check_vocabulary()
        if self.invert:
            return self._invert(values, xp)
        if self._vocab is None or len(self._vocab) == 0:
            indices = xp.full(values.shape, -1, dtype="int32")
        else:
            keys = self._sorted_tokens if xp is np else jnp.asarray(self._sorted_tokens)
            at = xp.minimum(xp.searchsorted(keys, values), len(keys) - 1)
            known = keys[at] == values
            indices = xp.where(known, xp.asarray(self._sorted_indices)[at], -1)
        unknown = indices == -1
        if self.num_oov_indices == 1:
            indices = xp.where(unknown, self._oov_start_index(), indices)
        elif self.num_oov_indices > 1:
            indices = xp.where(unknown, self._oov_bucket(values, xp) + self._oov_start_index(), indices)
        elif xp is np and unknown.any():
            raise ValueError(f"{type(self).__name__} '{self.name}': with num_oov_indices=0 every input must be in "
                             f"the vocabulary; found the unknown value(s) {np.unique(values[unknown])[:10].tolist()}"
                             f". Consider setting num_oov_indices=1.")
        if self.mask_token is not None:
            indices = xp.where(values == self.mask_token, 0 if self.output_mode == "int" else _DROPPED, indices)
        return indices.astype("int32")

    def _oov_bucket(self, values, xp):
        if self.vocabulary_dtype != "string" and self.oov_method == "floormod":
            return xp.mod(values, self.num_oov_indices)
        if xp is not np:
            raise TypeError(f"{type(self).__name__} '{self.name}': hashing OOV values (oov_method='farmhash') "
                            f"runs on the host and cannot run inside jax.jit.")
        texts = values if self.vocabulary_dtype == "string" else values.astype(str)
        if self.salt is not None:
            return hash_bucket_strong(texts, self.num_oov_indices, self.salt)
        return hash_bucket_fast(texts, self.num_oov_indices)

    def _invert(self, indices, xp):
        start = self._token_start_index()
        vocab = self._vocab if self._vocab is not None else self._tokens_of([], "vocabulary")
        table = np.concatenate([self._tokens_of([self.oov_token], "oov_token"), vocab])
        table = table if xp is np else jnp.asarray(table)
        inside = (indices >= start) & (indices < start + len(vocab))
        out = table[xp.where(inside, indices - start + 1, 0)]
        if self.mask_token is not None:
            out = xp.where(indices == 0, self.mask_token, out)
        return out

    def _finish(self, indices, xp):
        """The looked-up indices as the layer's output: returned as they are, or encoded."""
        if self.output_mode == "int":
            if indices.dtype.kind in "US":
                return np.asarray(indices)  # strings from an inverted StringLookup stay numpy
            return jnp.asarray(indices.astype("int32")) if xp is np else indices.astype("int32")
        idf = None if self.idf_weights is None else xp.asarray(self.idf_weights)
        if self.output_mode == "tf_idf" and idf is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': output_mode='tf_idf' needs idf weights: pass "
                             f"`vocabulary` and `idf_weights`, or call adapt().")
        return jnp.asarray(_encode(indices, self.output_mode, self._depth(), idf, xp))

    def _check_vocabulary(self):
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(f"{type(self).__name__} '{self.name}': with output_mode={self.output_mode!r} and "
                               f"pad_to_max_tokens=False the vocabulary must be set before calling the layer: pass "
                               f"`vocabulary`, or call adapt() with some sample data.")

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def compute_output_spec(self, inputs):
        if self.output_mode == "int":
            dtype = self.vocabulary_dtype if self.invert else "int32"
            dtype = "int32" if dtype == "int64" else dtype
        else:
            dtype = config.floatx() if self.output_mode == "tf_idf" else "int32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # -- config and saving -----------------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode, "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens, "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": listify(self.input_idf_weights), "vocabulary": listify(self.input_vocabulary),
                "vocabulary_size": self._frozen_vocab_size, "oov_method": self.oov_method, "salt": self.salt}

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True

    def save_own_variables(self, store):
        """Keras's weights-file entry: the idf weights under the key "idf_weights" (tf_idf mode only)."""
        if self.output_mode == "tf_idf":
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf":
            self.idf_weights = np.asarray(store["idf_weights"], dtype=config.floatx())

    def save_assets(self, dir_path):
        """Write the vocabulary to `dir_path/vocabulary.txt` (one token a line), unless the config holds it."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, VOCABULARY_FILE), "w", encoding="utf-8") as f:
            f.write("\n".join(str(token) for token in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path):
        """Read the vocabulary written by `save_assets` (by kerasj or Keras 3)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, VOCABULARY_FILE), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        idf = self.idf_weights if self.output_mode == "tf_idf" else None
        self.set_vocabulary(self._parse_lines(lines), idf_weights=idf)

    # -- tokens (subclasses) ---------------------------------------------------------------------------
    def _tokens_of(self, data, what):
        """`data` as a numpy array of tokens: `str` ("U") for strings, int64 for integers."""
        raise NotImplementedError
