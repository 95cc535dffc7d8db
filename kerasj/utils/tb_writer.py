"""TensorBoard event files written in pure Python: scalar summaries, with no TensorFlow or tensorboard needed.

An event file is a sequence of TFRecords, each holding one serialized `Event` protocol buffer. Only the few
fields a scalar needs are encoded, by hand:

    Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
    Summary { repeated Value value = 1; }
    Value   { string tag = 1; float simple_value = 2; }

A TFRecord frames `data` as: uint64 len(data), uint32 masked_crc32c(len bytes), data, uint32
masked_crc32c(data), all little-endian. TensorBoard reads such files as they grow, so records are appended
and flushed in place (the write-then-rename rule for saved files does not apply to a live log).
"""
import itertools
import os
import socket
import struct
import time

import numpy as np


def _crc32c_table():
    # CRC-32C (Castagnoli), reflected form of the polynomial 0x1EDC6F41.
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """The CRC-32C checksum of `data` (bytes), optionally continuing from a previous checksum `crc`.

    Example:

        >>> hex(crc32c(b"123456789"))
        '0xe3069283'
    """
    table = _CRC32C_TABLE
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """The CRC-32C of `data`, rotated right by 15 bits plus 0xA282EAD8 (mod 2**32), as TFRecords store it.

    Masking keeps a checksum of data that itself contains checksums from being trivially related to them.

    Example:

        >>> hex(masked_crc32c(b"123456789"))
        '0xc78ab0e5'
    """
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    """`data` framed as one TFRecord: length, checksum of the length, data, checksum of the data.

    Example:

        >>> len(tfrecord(b"abc"))  # 8 + 4 + 3 + 4
        19
    """
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


# -- protocol buffer wire format -------------------------------------------------------------------------
_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


def _varint(n):
    # int64 fields store negative numbers as their 64-bit two's complement (always 10 bytes).
    n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field, wire_type):
    return _varint(field << 3 | wire_type)


def _length_delimited(field, payload):
    return _key(field, _LENGTH_DELIMITED) + _varint(len(payload)) + payload


def _float32(value):
    # struct refuses finite doubles beyond float32's range; numpy rounds them to +-inf as TensorFlow does.
    with np.errstate(over="ignore"):
        return np.float32(value).tobytes()


def encode_event(wall_time, step=0, file_version=None, scalar=None):
    """A serialized `Event` protocol buffer, optionally carrying one scalar summary.

    Fields at their default value are left out, as protobuf serializers do (proto3), so the bytes equal
    those of `Event(...).SerializeToString()`.

    Args:
        wall_time: seconds since the epoch (a float).
        step: the global step (an int; may be negative).
        file_version: the version string of a file's first event, e.g. "brain.Event:2".
        scalar: None, or a `(tag, value)` pair: a `Summary` with one `simple_value` (stored as float32).

    Example:

        >>> encode_event(0.0, step=3, scalar=("epoch_loss", 0.5))
        b'\\x10\\x03*\\x13\\n\\x11\\n\\nepoch_loss\\x15\\x00\\x00\\x00?'
    """
    out = b""
    if wall_time:
        out += _key(1, _FIXED64) + struct.pack("<d", wall_time)
    if step:
        out += _key(2, _VARINT) + _varint(int(step))
    if file_version:
        out += _length_delimited(3, file_version.encode("utf-8"))
    if scalar is not None:
        tag, value = scalar
        summary_value = _length_delimited(1, tag.encode("utf-8")) + _key(2, _FIXED32) + _float32(value)
        out += _length_delimited(5, _length_delimited(1, summary_value))
    return out


_file_counter = itertools.count()


class EventFileWriter:
    """Appends scalar summaries to a new TensorBoard event file in `logdir` (created if needed).

    The file is named `events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2`, as TensorFlow 2 names its files,
    and starts with the event that declares the format version. Records are buffered until `flush()`;
    after `close()`, writing again reopens the same file and appends to it.

    Args:
        logdir: the directory of the run, e.g. "logs/train".

    Example:

        >>> with EventFileWriter("logs/train") as writer:
        ...     writer.add_scalar("epoch_loss", 0.25, step=0)
        >>> # tensorboard --logdir logs
    """

    def __init__(self, logdir):
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        now = time.time()
        name = (f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}.{os.getpid()}."
                f"{next(_file_counter)}.v2")
        self.path = os.path.join(self.logdir, name)
        self._file = open(self.path, "ab")
        self._file.write(tfrecord(encode_event(now, file_version="brain.Event:2")))
        self._file.flush()

    def add_scalar(self, tag, value, step, wall_time=None):
        """Appends one scalar (stored as float32) under `tag` at `step`."""
        if self._file is None:
            self._file = open(self.path, "ab")
        event = encode_event(time.time() if wall_time is None else wall_time, step, scalar=(tag, value))
        self._file.write(tfrecord(event))

    def flush(self):
        if self._file is not None:
            self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.close()
        self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
