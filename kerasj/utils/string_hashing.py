"""String hashes that TensorFlow's hashing ops use, in plain Python, so hashed features match Keras bin for bin.

- `fingerprint64(data)`: FarmHash's 64-bit fingerprint (the "na" variant), the hash behind
  `tf.strings.to_fingerprint` and `tf.strings.to_hash_bucket_fast`.
- `siphash(key, data)`: SipHash-2-4 with a 128-bit key given as two 64-bit words, the hash behind
  `tf.strings.to_hash_bucket_strong`.
- `fingerprint_cat64(fp1, fp2)`: the mixing step that `tf.sparse.cross_hashed` chains over the features.

All values are unsigned 64-bit integers held in Python ints; arithmetic wraps modulo 2**64.

    >>> fingerprint64(b"")
    11160318154034397263
    >>> hash_bucket_fast(["a", "b"], 10).tolist()  # the bins tf.strings.to_hash_bucket_fast gives
    [9, 2]
"""
import numpy as np

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_KMUL = 0xC6A4A7935BD1E995


def _rot(value, shift):
    return ((value >> shift) | (value << (64 - shift))) & _MASK if shift else value


def _shift_mix(value):
    return value ^ (value >> 47)


def _u64(data, at):
    return int.from_bytes(data[at:at + 8], "little")


def _u32(data, at):
    return int.from_bytes(data[at:at + 4], "little")


def _mix16(u, v, mul):
    """Murmur-style combination of two words (FarmHash's HashLen16)."""
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _short(data, n):
    """0 to 16 bytes."""
    if n >= 8:
        mul = _K2 + 2 * n
        a = (_u64(data, 0) + _K2) & _MASK
        b = _u64(data, n - 8)
        c = (_rot(b, 37) * mul + a) & _MASK
        d = ((_rot(a, 25) + b) * mul) & _MASK
        return _mix16(c, d, mul)
    if n >= 4:
        mul = _K2 + 2 * n
        return _mix16(n + (_u32(data, 0) << 3), _u32(data, n - 4), mul)
    if n:
        y = (data[0] + (data[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (data[n - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _medium(data, n):
    """17 to 32 bytes."""
    mul = _K2 + 2 * n
    a = (_u64(data, 0) * _K1) & _MASK
    b = _u64(data, 8)
    c = (_u64(data, n - 8) * mul) & _MASK
    d = (_u64(data, n - 16) * _K2) & _MASK
    return _mix16((_rot((a + b) & _MASK, 43) + _rot(c, 30) + d) & _MASK,
                  (a + _rot((b + _K2) & _MASK, 18) + c) & _MASK, mul)


def _long(data, n):
    """33 to 64 bytes."""
    mul = _K2 + 2 * n
    a = (_u64(data, 0) * _K2) & _MASK
    b = _u64(data, 8)
    c = (_u64(data, n - 8) * mul) & _MASK
    d = (_u64(data, n - 16) * _K2) & _MASK
    y = (_rot((a + b) & _MASK, 43) + _rot(c, 30) + d) & _MASK
    z = _mix16(y, (a + _rot((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_u64(data, 16) * mul) & _MASK
    f = _u64(data, 24)
    g = ((y + _u64(data, n - 32)) * mul) & _MASK
    h = ((z + _u64(data, n - 24)) * mul) & _MASK
    return _mix16((_rot((e + f) & _MASK, 43) + _rot(g, 30) + h) & _MASK,
                  (e + _rot((f + a) & _MASK, 18) + g) & _MASK, mul)


def _weak32(data, at, a, b):
    """FarmHash's WeakHashLen32WithSeeds over the 32 bytes at `at`; returns a pair of words."""
    w, x, y, z = (_u64(data, at + 8 * i) for i in range(4))
    a = (a + w) & _MASK
    b = _rot((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rot(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(data):
    """FarmHash Fingerprint64 of `data` (bytes, or a str encoded as UTF-8): an unsigned 64-bit int.

    Equals `tf.strings.to_fingerprint` read as a little-endian uint64.

        >>> fingerprint64("hello") == fingerprint64(b"hello")
        True
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    n = len(data)
    if n <= 16:
        return _short(data, n)
    if n <= 32:
        return _medium(data, n)
    if n <= 64:
        return _long(data, n)
    # More than 64 bytes: a 56-byte state mixed over 64-byte blocks, the last block aligned to the end.
    seed = 81
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v0 = v1 = w0 = w1 = 0
    x = (seed * _K2 + _u64(data, 0)) & _MASK
    end = ((n - 1) // 64) * 64
    for at in range(0, end, 64):
        x = (_rot((x + y + v0 + _u64(data, at + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rot((y + v1 + _u64(data, at + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w1
        y = (y + v0 + _u64(data, at + 40)) & _MASK
        z = (_rot((z + w0) & _MASK, 33) * _K1) & _MASK
        v0, v1 = _weak32(data, at, (v1 * _K1) & _MASK, (x + w0) & _MASK)
        w0, w1 = _weak32(data, at + 32, (z + w1) & _MASK, (y + _u64(data, at + 16)) & _MASK)
        z, x = x, z
    mul = _K1 + ((z & 0xFF) << 1)
    at = n - 64
    w0 = (w0 + ((n - 1) & 63)) & _MASK
    v0 = (v0 + w0) & _MASK
    w0 = (w0 + v0) & _MASK
    x = (_rot((x + y + v0 + _u64(data, at + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rot((y + v1 + _u64(data, at + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w1 * 9) & _MASK
    y = (y + v0 * 9 + _u64(data, at + 40)) & _MASK
    z = (_rot((z + w0) & _MASK, 33) * mul) & _MASK
    v0, v1 = _weak32(data, at, (v1 * mul) & _MASK, (x + w0) & _MASK)
    w0, w1 = _weak32(data, at + 32, (z + w1) & _MASK, (y + _u64(data, at + 16)) & _MASK)
    z, x = x, z
    return _mix16((_mix16(v0, w0, mul) + _shift_mix(y) * _K0 + z) & _MASK,
                  (_mix16(v1, w1, mul) + x) & _MASK, mul)


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _MASK
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def _rotl(value, shift):
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def siphash(key, data):
    """SipHash-2-4 of `data` (bytes or str) under `key`, a pair of 64-bit ints (negative ints are taken as
    their two's complement, as TensorFlow's int64 attribute is): an unsigned 64-bit int.

        >>> siphash((0, 0), b"") == siphash([0, 0], "")
        True
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    k0, k1 = (int(k) & _MASK for k in key)
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    n = len(data)
    full = n - n % 8
    # The final word carries the trailing bytes and, in its top byte, the length.
    words = [_u64(data, at) for at in range(0, full, 8)]
    words.append(((n & 0xFF) << 56) | int.from_bytes(data[full:], "little"))
    for m in words:
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def fingerprint_cat64(fp1, fp2):
    """Combine two 64-bit fingerprints (order matters), as TensorFlow's FingerprintCat64.

        >>> fingerprint_cat64(1, 2) != fingerprint_cat64(2, 1)
        True
    """
    fp1, fp2 = int(fp1) & _MASK, int(fp2) & _MASK
    result = fp1 ^ _KMUL
    result ^= (_shift_mix((fp2 * _KMUL) & _MASK) * _KMUL) & _MASK
    result = (result * _KMUL) & _MASK
    result = (_shift_mix(result) * _KMUL) & _MASK
    return _shift_mix(result)


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, np.bytes_):
        return bytes(value)
    return str(value).encode("utf-8")


def _map_unique(values, fn):
    """Apply `fn` (bytes -> int) once per distinct value of the array `values`; returns a uint64 array."""
    values = np.asarray(values, dtype=object)
    flat = [_as_bytes(v) for v in values.reshape(-1)]
    cache = {}
    out = np.empty(len(flat), dtype=np.uint64)
    for i, item in enumerate(flat):
        h = cache.get(item)
        if h is None:
            h = cache[item] = fn(item)
        out[i] = h
    return out.reshape(values.shape)


def fingerprint64_array(values):
    """`fingerprint64` of every string (str or bytes) in an array: a uint64 array of the same shape."""
    return _map_unique(values, fingerprint64)


def hash_bucket_fast(values, num_buckets):
    """Bins of strings as `tf.strings.to_hash_bucket_fast`: `fingerprint64(s) % num_buckets`, int64."""
    return (fingerprint64_array(values) % np.uint64(num_buckets)).astype(np.int64)


def hash_bucket_strong(values, num_buckets, key):
    """Bins of strings as `tf.strings.to_hash_bucket_strong(values, num_buckets, key)`: SipHash-2-4, int64."""
    key = tuple(int(k) for k in key)
    hashed = _map_unique(values, lambda item: siphash(key, item))
    return (hashed % np.uint64(num_buckets)).astype(np.int64)
