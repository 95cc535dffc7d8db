"""`TextVectorization`: raw text to token indices or bag-of-words vectors (Keras 3's layer, without TensorFlow).

A string goes through four steps, each as Keras's TensorFlow ops do it:

1. standardize: "lower" lowercases ASCII letters only (as `tf.strings.lower`), "strip_punctuation" deletes the
   characters of ``[!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~']``, "lower_and_strip_punctuation" does both, a callable
   receives a numpy array of `str` and returns strings;
2. split: "whitespace" splits on runs of ASCII whitespace (`tf.strings.split`), "character" into Unicode code
   points, a callable receives the standardized numpy array and returns one sequence of tokens per string;
3. ngrams: for each width in `ngrams` (an int n means 1..n) the space-joined n-grams, width after width;
4. a `StringLookup` with mask token "" (index 0) and OOV "[UNK]" (index 1): int indices padded with 0 to the
   longest text or cut/padded to `output_sequence_length`, or one vector per text ("multi_hot", "count",
   "tf_idf").
"""
import re

import jax
import numpy as np

from kerasj.layers.layer import Layer
from kerasj.layers.preprocessing.index_lookup import _DROPPED, as_numpy, iterate_batches, listify
from kerasj.layers.preprocessing.string_lookup import StringLookup, as_strings
from kerasj.ops.symbolic import KerasTensor
from kerasj.saving.serialization_lib import deserialize_keras_object
from kerasj.utils.argument_validation import check_choice

# The punctuation Keras strips (its regex, character for character: ",-." is a range of three).
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _check_option(value, name, choices):
    if value is not None and not callable(value):
        check_choice("TextVectorization", name, value, choices)


def _ngrams(tokens, widths):
    return [" ".join(tokens[i:i + n]) for n in widths for i in range(len(tokens) - n + 1)]


class TextVectorization(Layer):
    """Turns text into sequences of token indices or into bag-of-words vectors (see the module docstring).

    Args:
        max_tokens: cap on the vocabulary size (with the mask and OOV indices); None for no cap.
        standardize: None, "lower_and_strip_punctuation", "lower", "strip_punctuation" or a callable.
        split: None, "whitespace", "character" or a callable.
        ngrams: None, an int n (all widths 1..n) or a tuple of widths.
        output_mode: "int", "multi_hot", "count" or "tf_idf".
        output_sequence_length: "int" mode only: pad or cut every sequence to this length.
        pad_to_max_tokens: vector modes: make the vectors `max_tokens` long whatever the vocabulary size.
        vocabulary, idf_weights: a given vocabulary (list, array or text file path) instead of `adapt`.
        sparse, ragged: not supported (kerasj returns dense JAX arrays).
        encoding: the text encoding of bytes inputs.

    Inputs are strings (a list, numpy or TensorFlow string array of shape `(batch,)` or `(batch, 1)`); they are
    processed in numpy on the host, so the layer cannot run inside `jax.jit`: vectorize the data before `fit`,
    or map the layer over a `tf.data` pipeline. The output is an int32 (or float32 for "tf_idf") JAX array.

        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["The cat sat.", "The dog!"])
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
        >>> layer(["the cat ran"])
        Array([[2, 5, 1, 0]], dtype=int32)
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        if sparse:
            raise ValueError("TextVectorization: `sparse=True` is not supported: kerasj returns dense JAX arrays "
                             "(Keras supports it only with the TensorFlow backend); received sparse=True")
        if ragged:
            raise ValueError("TextVectorization: `ragged=True` is not supported: JAX has no ragged arrays (Keras "
                             "supports it only with the TensorFlow backend); received ragged=True. Use "
                             "`output_sequence_length` or the default padding to the longest text.")
        _check_option(standardize, "standardize", _STANDARDIZE)
        _check_option(split, "split", _SPLIT)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        check_choice("TextVectorization", "output_mode", output_mode,
                     ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        if not (ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
                or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"TextVectorization: `ngrams` must be None, an integer or a tuple of integers; "
                             f"received ngrams={ngrams!r}")
        if output_mode == "int" and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError(f"TextVectorization: `output_sequence_length` must be None or an integer in 'int' "
                             f"mode; received output_sequence_length={output_sequence_length!r}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"TextVectorization: `output_sequence_length` must not be set if `output_mode` is "
                             f"not 'int'; received output_sequence_length={output_sequence_length!r}")
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = False
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="",
                                          output_mode=output_mode, has_input_vocabulary=has_input_vocabulary,
                                          encoding=encoding, vocabulary_size=vocabulary_size)
        self.supports_jit = False  # strings: runs on the host, as Keras marks it
        self.built = True

    # -- vocabulary ------------------------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order ("" and "[UNK]" first unless `include_special_tokens=False`)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The number of indices, with the padding and OOV ones."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (a list, array or text file path) and, for "tf_idf", the idf weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from texts: an array or list of strings, or an iterable of batches (a tf.data
        dataset, a generator); `steps` caps the number of batches. Most frequent tokens first, ties broken by
        the greater token, as Keras.

            >>> layer = TextVectorization()
            >>> layer.adapt(["b a b", "c"])
            >>> layer.get_vocabulary()
            ['', '[UNK]', 'b', 'c', 'a']
        """
        self.reset_state()
        batches = iterate_batches(data, steps)
        if batches is None:
            data = as_strings(as_numpy(data), self._encoding, f"TextVectorization '{self.name}'")
            self.update_state(data[:, None] if data.ndim == 1 else data)
        else:
            for batch in batches:
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    # -- text processing -------------------------------------------------------------------------------
    def _preprocess(self, inputs):
        """Standardized strings (a numpy "U" array) when `split` is None, else a list of 1-D token arrays,
        one per text."""
        owner = f"TextVectorization '{self.name}'"
        texts = as_strings(as_numpy(inputs), self._encoding, owner)
        if callable(self._standardize):
            texts = as_strings(as_numpy(self._standardize(texts)), self._encoding, f"{owner} (standardize)")
        elif self._standardize is not None:
            lower = self._standardize in ("lower", "lower_and_strip_punctuation")
            strip = self._standardize in ("strip_punctuation", "lower_and_strip_punctuation")
            flat = [self._clean(t, lower, strip) for t in texts.reshape(-1).tolist()]
            texts = np.array(flat, dtype=str).reshape(texts.shape)
        if self._split is None:
            if self._ngrams is None:
                return texts
            if texts.ndim < 2:  # one sequence of strings, as tf.strings.ngrams reads a 1-D tensor
                return np.array(_ngrams(texts.reshape(-1).tolist(), self._ngrams), dtype=str)
            rows = [list(row) for row in texts.reshape(-1, texts.shape[-1])]
        else:
            if texts.ndim > 1:
                if texts.shape[-1] != 1:
                    raise ValueError(f"{owner}: to split strings the input must have rank 1 or a last dimension "
                                     f"of 1; received inputs of shape {texts.shape}")
                texts = texts[..., 0]
            texts = texts.reshape(-1) if texts.ndim == 0 else texts
            if self._split == "whitespace":
                rows = [[t for t in _WHITESPACE.split(text) if t] for text in texts.tolist()]
            elif self._split == "character":
                rows = [list(text) for text in texts.tolist()]
            else:
                rows = [as_strings(as_numpy(row), self._encoding, f"{owner} (split)").reshape(-1).tolist()
                        for row in self._split(texts)]
        if self._ngrams is not None:
            rows = [_ngrams(row, self._ngrams) for row in rows]
        return [np.array(row, dtype=str) for row in rows]

    @staticmethod
    def _clean(text, lower, strip):
        if lower:
            text = text.translate(_ASCII_LOWER)
        return _PUNCTUATION.sub("", text) if strip else text

    # -- call ------------------------------------------------------------------------------------------
    def _convert_inputs(self, inputs):
        return inputs  # strings: `call` converts them itself

    def call(self, inputs):
        if isinstance(inputs, jax.core.Tracer):
            raise TypeError(f"TextVectorization '{self.name}' works on strings on the host and cannot run inside "
                            f"jax.jit (e.g. a model being fit). Vectorize the texts first (`x = layer(texts)`), "
                            f"or in the input pipeline (`dataset.map(layer)`).")
        tokens = self._preprocess(inputs)
        lookup = self._lookup_layer
        if not isinstance(tokens, list):
            indices = lookup.lookup(tokens)
            if self._output_mode == "int" and self._output_sequence_length is not None:
                indices = self._fit_length(indices, self._output_sequence_length)
            return lookup._finish(indices, np)
        lengths = [len(row) for row in tokens]
        flat = lookup.lookup(np.concatenate(tokens) if tokens else np.zeros(0, dtype=str))
        width = self._output_sequence_length if self._output_mode == "int" and \
            self._output_sequence_length is not None else max(lengths, default=0)
        fill = 0 if self._output_mode == "int" else _DROPPED
        padded = np.full((len(tokens), width), fill, dtype="int32")
        for i, row in enumerate(np.split(flat, np.cumsum(lengths)[:-1])):
            padded[i, :min(len(row), width)] = row[:width]
        return lookup._finish(padded, np)

    @staticmethod
    def _fit_length(indices, length):
        indices = indices[..., :length]
        pad = [(0, 0)] * (indices.ndim - 1) + [(0, length - indices.shape[-1])]
        return np.pad(indices, pad)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs):
        dtype = "float32" if self._output_mode == "tf_idf" else "int32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # -- config and saving -----------------------------------------------------------------------------
    def get_config(self):
        lookup = self._lookup_layer
        return {**super().get_config(), "max_tokens": lookup.max_tokens, "standardize": self._standardize,
                "split": self._split, "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse, "ragged": self._ragged,
                "vocabulary": listify(lookup.input_vocabulary), "idf_weights": listify(lookup.input_idf_weights),
                "encoding": self._encoding, "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)
