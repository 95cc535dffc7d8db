"""`audio_dataset_from_directory`: a dataset of `(audio, labels)` batches from a folder of .wav files, one
subfolder per class, as in Keras 3.

    >>> train = kerasj.utils.audio_dataset_from_directory("speech/", output_sequence_length=16000, seed=1)
    >>> audio, labels = next(iter(train))   # audio: float32 (batch, 16000, channels)
"""
import functools
import wave

import numpy as np

from kerasj.utils import directory_index
from kerasj.utils.native_dataset import pad_stack, stack

ALLOWED_FORMATS = (".wav",)


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True,
                                 format=directory_index.DEFAULT_FORMAT):
    """A dataset of audio clips (and labels) read from the .wav files of `directory`, as Keras 3's
    `audio_dataset_from_directory` (with the same batches for the same files and `seed`).

    Args:
        directory: the folder to read; with `labels="inferred"` each subfolder is a class.
        labels: "inferred" (from the subfolders), None (audio only), or a list/tuple of integer labels, one
            per file in the sorted order of the file paths.
        label_mode: "int", "categorical", "binary" (exactly 2 classes) or None (audio only).
        class_names: with `labels="inferred"`, the subfolders to use, in the order that gives their labels.
        batch_size: clips per batch (default 32); None yields single clips.
        sampling_rate: the clips' rate in Hz. "tf" resamples to it (which needs `tensorflow_io`, as in Keras);
            "grain" and "native" do not resample and raise if a file has another rate.
        output_sequence_length: cut or zero-pad every clip to this many samples. Without it, each batch is
            zero-padded to its longest clip.
        ragged: yield `tf.RaggedTensor` batches of clips of their own lengths ("tf" only).
        shuffle: shuffle the files (with `seed`) and then every epoch; False keeps the sorted order.
        seed: seed of both shuffles; needed with `validation_split` when shuffling.
        validation_split: fraction of the files (from the end of the shuffled list) for validation.
        subset: "training", "validation" or "both" (a `(training, validation)` tuple).
        follow_links: whether to enter subfolders that are symbolic links.
        verbose: print how many files and classes were found.
        format: beyond Keras, which reads audio with TensorFlow only: "tf" (the default, a `tf.data.Dataset`),
            "grain" (a grain `IterDataset`) or "native" (a `NativeDataset`); the last two decode PCM WAV files
            with Python's `wave` module. Left at its default on a machine without TensorFlow, it gives grain
            if installed, else native.

    Returns:
        A dataset of float32 clips `(batch, samples, channels)` in [-1, 1), or of `(clips, labels)` batches,
        with a `class_names` attribute; a `(training, validation)` tuple for `subset="both"`.

    >>> ds = kerasj.utils.audio_dataset_from_directory("speech/", batch_size=8, format="native", shuffle=False)
    """
    labels, label_mode = directory_index.check_label_args(labels, label_mode, class_names, "audio files",
                                                          "audio samples")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if output_sequence_length is not None and (isinstance(output_sequence_length, bool) or not isinstance(
            output_sequence_length, (int, np.integer)) or output_sequence_length < 1):
        raise ValueError(f"`output_sequence_length` must be None or a positive int. Received: "
                         f"output_sequence_length={output_sequence_length!r}")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}")
    format = directory_index.resolve_format(format)
    if format == "tf" and sampling_rate is not None:
        try:
            import tensorflow_io as tfio
        except ImportError:
            raise ImportError("To use the argument `sampling_rate`, you should install tensorflow_io. You can "
                              "install it via `pip install tensorflow-io`.") from None
    else:
        tfio = None
    if ragged and format != "tf":
        raise ValueError(f'`ragged=True` yields tf.RaggedTensor batches and needs format="tf". Received: '
                         f'format="{format}"')
    padded = output_sequence_length is None and not ragged  # clips of their own lengths, batched by padding
    kind = directory_index.FileKind(
        formats=ALLOWED_FORMATS, noun="audio files", allowed=f"Allowed format(s): {ALLOWED_FORMATS}",
        load_tf=functools.partial(_read_audio_tf, tfio=tfio, sampling_rate=sampling_rate,
                                  output_sequence_length=output_sequence_length, ragged=ragged),
        load_array=functools.partial(read_wav, sampling_rate=sampling_rate,
                                     output_sequence_length=output_sequence_length),
        padded=padded, grain_batch=pad_stack if padded else stack, file_paths=False)
    datasets = directory_index.dataset_from_directory(directory, kind, labels, label_mode, class_names, batch_size,
                                                      shuffle, seed, validation_split, subset, follow_links, format,
                                                      verbose)
    return tuple(datasets) if subset == "both" else datasets


def _read_audio_tf(tf, path, tfio, sampling_rate, output_sequence_length, ragged):
    audio, rate = tf.audio.decode_wav(tf.io.read_file(path), desired_samples=output_sequence_length or -1)
    if sampling_rate is not None:
        audio = tfio.audio.resample(input=audio, rate_in=tf.cast(rate, tf.int64), rate_out=sampling_rate)
    return tf.RaggedTensor.from_tensor(audio) if ragged else audio


def _pcm_to_float(frames, width):
    """Little-endian PCM samples of `width` bytes as float32 in [-1, 1) (8-bit WAV samples are unsigned)."""
    if width == 1:
        return (np.frombuffer(frames, "uint8").astype("float32") - 128) / 128
    if width == 3:
        b = np.frombuffer(frames, "uint8").reshape(-1, 3).astype("int32")
        values = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        return (np.where(values >= 1 << 23, values - (1 << 24), values) / float(1 << 23)).astype("float32")
    dtype = {2: "<i2", 4: "<i4"}[width]
    return (np.frombuffer(frames, dtype).astype("float64") / float(1 << (8 * width - 1))).astype("float32")


def read_wav(path, sampling_rate=None, output_sequence_length=None):
    """A PCM .wav file as float32 `(samples, channels)` in [-1, 1), as `tf.audio.decode_wav` gives it: cut or
    zero-padded to `output_sequence_length` samples when given. With `sampling_rate`, the file must have that
    rate (nothing is resampled).

    >>> read_wav("speech/yes/1.wav").shape
    (16000, 1)
    """
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            frames = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as error:
        raise ValueError(f"Could not read {path} as a PCM WAV file: {error}") from None
    if width not in (1, 2, 3, 4):
        raise ValueError(f"{path}: unsupported WAV sample width of {width} bytes (expected 1 to 4).")
    if sampling_rate is not None and rate != sampling_rate:
        raise ValueError(f"{path} has a sampling rate of {rate} Hz, not sampling_rate={sampling_rate}; the grain "
                         'and native formats do not resample (format="tf" does, with tensorflow_io).')
    audio = _pcm_to_float(frames, width).reshape(-1, channels)
    if output_sequence_length is not None:
        audio = audio[:output_sequence_length]
        audio = np.pad(audio, ((0, output_sequence_length - len(audio)), (0, 0)))
    return audio
