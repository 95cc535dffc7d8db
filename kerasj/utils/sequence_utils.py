"""Sequence helpers for text and time-series data (`keras.utils.pad_sequences`)."""
import numpy as np

_SIDES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Turn a list of variable-length sequences into one `(num_samples, maxlen, ...)` NumPy array.

    Rows shorter than `maxlen` are filled with `value`, rows longer are cut; `padding` and `truncating`
    ("pre" or "post") say at which end. `maxlen` defaults to the longest sequence. Elements may themselves
    be arrays (e.g. feature vectors per step); their shape, taken from the first non-empty sequence, becomes
    the trailing shape of the result. Pass `dtype=object` to pad sequences of strings.

    Padding at the front ("pre", the default) keeps the last steps of every sequence next to each other,
    which suits recurrent layers that read left to right; with `mask_zero=True` embeddings the padded
    zeros are masked out either way.

    Example:
        >>> pad_sequences([[5], [6, 7], [1, 2, 3, 4]], maxlen=3)
        array([[0, 0, 5],
               [0, 6, 7],
               [2, 3, 4]], dtype=int32)
        >>> pad_sequences([[5], [6, 7]], padding="post", value=-1)
        array([[ 5, -1],
               [ 6,  7]], dtype=int32)
    """
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(f"pad_sequences: `{name}` must be 'pre' or 'post'; received {name}={side!r}.")
    if maxlen is not None and (not isinstance(maxlen, (int, np.integer)) or maxlen < 0):
        raise ValueError(f"pad_sequences: `maxlen` must be None or a non-negative int; received maxlen={maxlen!r}.")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be a list of sequences; received an object of type "
                         f"{type(sequences).__name__} without a length.")
    is_text_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text_dtype:
        raise ValueError(f"pad_sequences: the string padding value {value!r} cannot be stored with dtype={dtype!r}; "
                         f"pass dtype=object to pad sequences of strings.")

    lengths = []
    step_shape = None
    for position, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(f"pad_sequences: `sequences` must be a list of sequences; the entry at position "
                             f"{position} is not one: {sequence!r}.") from None
        if step_shape is None and len(sequence):
            step_shape = np.asarray(sequence).shape[1:]
    step_shape = step_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)

    result = np.full((len(lengths), maxlen) + step_shape, value, dtype=dtype)
    if maxlen == 0:
        return result
    for position, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != step_shape:
            raise ValueError(f"pad_sequences: every step must have shape {step_shape} (the shape of the first "
                             f"non-empty sequence's steps); the sequence at position {position} has steps of "
                             f"shape {kept.shape[1:]}.")
        if padding == "pre":
            result[position, maxlen - len(kept):] = kept
        else:
            result[position, :len(kept)] = kept
    return result
