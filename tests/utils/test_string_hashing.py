"""kerasj.utils.string_hashing against TensorFlow's own hash ops (the reference implementation)."""
import numpy as np
import pytest

from kerasj.utils import string_hashing as sh

tf = pytest.importorskip("tensorflow")


def _random_strings():
    rng = np.random.default_rng(0)
    # Every length up to 140 covers each code path (0-3, 4-7, 8-16, 17-32, 33-64, one and two 64-byte
    # blocks); longer ones test the block loop and the tail alignment.
    lengths = list(range(0, 141)) + [191, 192, 193, 255, 256, 257, 1000, 4097]
    return [bytes(rng.integers(0, 256, size=n, dtype=np.uint8)) for n in lengths]


STRINGS = _random_strings()


def test_fingerprint64_equals_tf_fingerprint():
    reference = tf.fingerprint(tf.constant(STRINGS)).numpy()
    expected = [int.from_bytes(row.tobytes(), "little") for row in reference]
    assert [sh.fingerprint64(s) for s in STRINGS] == expected


def test_fingerprint64_encodes_str_as_utf8():
    assert sh.fingerprint64("héllo wörld") == sh.fingerprint64("héllo wörld".encode("utf-8"))
    assert sh.fingerprint64("") == 0x9AE16A3B2F90404F  # the empty input hashes to FarmHash's k2


@pytest.mark.parametrize("num_buckets", [1, 7, 1000003, 2**63 - 1])
def test_hash_bucket_fast_equals_tf(num_buckets):
    expected = tf.strings.to_hash_bucket_fast(tf.constant(STRINGS), num_buckets).numpy()
    got = sh.hash_bucket_fast(np.array(STRINGS, dtype=object), num_buckets)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("key", [[0, 0], [123, 2**40 + 7], [-1, -5], [2**63 - 1, 1]])
def test_siphash_buckets_equal_tf_strong_hash(key):
    expected = tf.strings.to_hash_bucket_strong(tf.constant(STRINGS), 2**63 - 1, key=key).numpy()
    got = sh.hash_bucket_strong(np.array(STRINGS, dtype=object), 2**63 - 1, key)
    np.testing.assert_array_equal(got, expected)
    assert sh.siphash(key, STRINGS[20]) % (2**63 - 1) == expected[20]


def test_fingerprint_cat64_equals_tf_cross_hashed():
    ints = np.array([[1], [2], [-5], [2**40]], dtype=np.int64)
    words = np.array([[b"x"], [b""], [b"a longer string of more than 16 bytes"], [b"y"]])
    # num_buckets=0: TensorFlow returns the raw chained fingerprint modulo int64 max.
    crossed = tf.sparse.to_dense(tf.sparse.cross_hashed([tf.constant(ints), tf.constant(words)], 0)).numpy()
    for row, (i, w) in enumerate(zip(ints[:, 0], words[:, 0])):
        h = sh.fingerprint_cat64(sh.fingerprint_cat64(0xDECAFCAFFE, int(i)), sh.fingerprint64(w))
        assert h % (2**63 - 1) == crossed[row, 0]
    assert sh.fingerprint_cat64(1, 2) != sh.fingerprint_cat64(2, 1)


def test_array_helpers_keep_shape_and_accept_str_arrays():
    values = np.array([["a", "b"], ["a", ""]])
    expected = tf.strings.to_hash_bucket_fast(tf.constant(values), 11).numpy()
    got = sh.hash_bucket_fast(values, 11)
    assert got.shape == (2, 2) and got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
