"""Small-batch inference latency, side by side in one process: `predict` and `model(x)` on 8 rows through the seed
MLP (784-256-256-10) in kerasj and Keras 3 (JAX backend), against a bare jitted forward taking the same weights
as arguments (`predict` returns numpy, so it compares with the forward plus `np.asarray`). Each figure is the best of several interleaved blocks (ms per call), so a busy machine slows all
of them alike. Compilations are not timed: every path is warmed up first.

Usage: python benchmarks/inference_latency.py [--blocks N] [--calls N]
"""
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import numpy as np  # noqa: E402


def _mlp(lib):
    return lib.Sequential([lib.Input((784,)), lib.layers.Dense(256, activation="relu"),
                           lib.layers.Dense(256, activation="relu"), lib.layers.Dense(10)])


def _block(fn, calls):
    fn()
    start = time.perf_counter()
    for _ in range(calls):
        out = fn()
    jax.block_until_ready(out)
    return (time.perf_counter() - start) / calls * 1e3


def main(argv):
    blocks = int(argv[argv.index("--blocks") + 1]) if "--blocks" in argv else 7
    calls = int(argv[argv.index("--calls") + 1]) if "--calls" in argv else 100
    import keras
    import kerasj

    x = np.random.default_rng(0).random((8, 784), dtype=np.float32)
    ours, theirs = _mlp(kerasj), _mlp(keras)
    theirs.set_weights(ours.get_weights())
    eager = _mlp(kerasj)
    eager.set_weights(ours.get_weights())
    eager.run_eagerly = True  # the pre-compiled-inference path of model(x)
    params = [v.value for v in ours.weights]

    @jax.jit
    def forward(params, x):
        w1, b1, w2, b2, w3, b3 = params
        h = jax.nn.relu(x @ w1 + b1)
        return jax.nn.relu(h @ w2 + b2) @ w3 + b3

    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(forward(params, x)), rtol=1e-4, atol=1e-5)
    cases = {
        "bare jit forward": lambda: forward(params, x),
        "bare jit forward + np.asarray": lambda: np.asarray(forward(params, x)),
        "kerasj predict": lambda: ours.predict(x, verbose=0),
        "keras predict": lambda: theirs.predict(x, verbose=0),
        "kerasj model(x)": lambda: ours(x),
        "keras model(x)": lambda: theirs(x),
        "kerasj model(x) eager": lambda: eager(x),
    }
    best = {name: float("inf") for name in cases}
    for _ in range(blocks):
        for name, fn in cases.items():
            best[name] = min(best[name], _block(fn, calls if "eager" not in name else max(10, calls // 10)))
    floor = best["bare jit forward"]
    print("| path | ms per call | x bare jit |")
    print("|---|---|---|")
    for name, ms in best.items():
        print(f"| {name} | {ms:.3f} | {ms / floor:.2f}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
