"""The ops added to match Keras 3.15 (window functions, NaN-aware cumulative ops and quantiles, histogram,
unique, ..., stft/istft, fold/unfold, rearrange, polar, jvp) against `keras.ops` (JAX backend) on the same
inputs: values, dtypes and output structure, for a few dtypes and edge cases (the stft/istft round trip is
in tests/ops/test_ops_added.py); also signatures and the
namespaces (`keras.ops.numpy` / `.nn` / `.linalg`) that offer each op."""
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

import kerasj
from tests.keras_reference import keras_reference

rng = np.random.default_rng(0)
F = rng.normal(size=(3, 5)).astype("float32")
I = rng.integers(-4, 5, size=(3, 5)).astype("int32")
NANS = F.copy()
NANS[0, 1] = NANS[2, 3] = np.nan
V = rng.normal(size=7).astype("float32")
SQ = (F @ F.T + np.eye(3)).astype("float32")
SIG = rng.normal(size=(2, 40)).astype("float32")
IMG = rng.normal(size=(2, 3, 6, 5)).astype("float32")

CASES = [
    ("bartlett", (5,), {}), ("blackman", (1,), {}), ("hamming", (7,), {}), ("hanning", (4,), {}),
    ("kaiser", (5, 2.5), {}),
    ("corrcoef", (F,), {}), ("corrcoef", (I,), {}),
    ("correlate", (V, V[:3]), {}), ("correlate", (V[:4].astype("int32"), V[:3]), {"mode": "full"}),
    ("diagflat", (F[:2, :2],), {"k": -1}),
    ("geomspace", (2.0, 32.0, 5, False), {}),
    ("geomspace", (np.array([1.0, 2.0]), np.array([10.0, 20.0]), 4), {"axis": 1}),
    ("histogram", (V,), {"bins": 3, "range": (-1.0, 1.0)}),
    ("nancumsum", (NANS,), {"axis": 1}), ("nancumsum", (I,), {}),
    ("nancumprod", (NANS,), {"axis": 0}), ("nancumprod", (I,), {"dtype": "float32"}),
    ("nanpercentile", (NANS, np.array([10.0, 90.0])), {"axis": 1}),
    ("nanquantile", (NANS, 0.25), {"method": "nearest", "keepdims": True}),
    ("slogdet", (np.stack([SQ, -SQ]),), {}),
    ("trapezoid", (F, V[:5]), {"axis": 1}), ("trapezoid", (I,), {"dx": 0.5, "axis": 0}),
    ("unique", (I.ravel(),), {"return_counts": True, "return_inverse": True}),
    ("unique", (I.ravel(),), {"return_index": True, "size": 12, "fill_value": 0}),
    ("unique", (np.array([[1, 2], [1, 2], [0, 1]]),), {"axis": 0}),
    ("vander", (I[0],), {"N": 3, "increasing": True}),
    ("view", (F,), {"dtype": "int32"}), ("view", (np.arange(4, dtype="uint8"),), {"dtype": "int8"}),
    ("stft", (SIG, 8, 4, 8), {}), ("stft", (SIG, 6, 3, 8), {"window": "hamming", "center": False}),
    ("stft", (SIG[0], 4, 2, 8), {"window": np.linspace(0.1, 1.0, 4).astype("float32")}),
    ("unfold", (IMG, (3, 2)), {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}),
    ("fold", (rng.normal(size=(2, 18, 15)).astype("float32"), (6, 5), (3, 2)),
     {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}),
    ("polar", (np.abs(F), F), {}),
    ("rearrange", (IMG, "b c h w -> (b h) (w c)"), {}),
    ("rearrange", (IMG, "b c (h1 h2) (w1 w2) -> b (h1 w1) (c h2 w2)"), {"h1": 3, "w2": 5}),
]


def _leaves(out):
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(out)]


def _assert_same(expected, actual, rtol=1e-5, atol=1e-5):
    expected, actual = _leaves(expected), _leaves(actual)
    assert len(expected) == len(actual)
    for e, a in zip(expected, actual):
        assert e.dtype == a.dtype and e.shape == a.shape, (e.dtype, e.shape, a.dtype, a.shape)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_op_matches_keras(name, args, kwargs):
    _assert_same(keras_reference(getattr(keras.ops, name), *args, **kwargs), getattr(kerasj.ops, name)(*args, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(length=30), dict(window=None, center=False)])
def test_istft_matches_keras(kwargs):
    window_kwargs = {k: v for k, v in kwargs.items() if k in ("window", "center")}
    spec = tuple(np.asarray(s) for s in keras_reference(keras.ops.stft, SIG, 8, 2, 16, **window_kwargs))
    _assert_same(keras_reference(keras.ops.istft, spec, 8, 2, 16, **kwargs), kerasj.ops.istft(spec, 8, 2, 16, **kwargs),
                 atol=1e-4)


def test_jvp_matches_keras():
    def fn(x, y):
        return keras.ops.sum(keras.ops.sin(x) * y), x * 2.0

    primals, tangents = (F, V[:5]), (np.ones_like(F), np.zeros(5, "float32"))
    _assert_same(keras_reference(keras.ops.linalg.jvp, fn, primals, tangents, has_aux=True),
                 kerasj.ops.linalg.jvp(fn, primals, tangents, has_aux=True))


NEW = {"numpy": ["bartlett", "blackman", "corrcoef", "correlate", "diagflat", "geomspace", "hamming", "hanning",
                 "histogram", "kaiser", "nancumprod", "nancumsum", "nanpercentile", "nanquantile", "slogdet",
                 "trapezoid", "unique", "vander", "view"],
       "nn": ["fold", "polar", "unfold"], "linalg": ["jvp"], "": ["fold", "istft", "rearrange", "stft", "unfold"]}


@pytest.mark.parametrize("module", sorted(NEW))
def test_namespaces_offer_the_ops_with_keras_signatures(module):
    ours = kerasj.ops if not module else getattr(kerasj.ops, module)
    theirs = keras.ops if not module else getattr(keras.ops, module)
    for name in NEW[module]:
        assert inspect.signature(getattr(ours, name)) == inspect.signature(getattr(theirs, name)), name
    assert {n for n in dir(theirs) if not n.startswith("_")} <= {n for n in dir(ours) if not n.startswith("_")}
