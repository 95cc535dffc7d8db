"""`fit` on a Python generator: kerasj (with its prefetch thread, and without it), Keras 3 (JAX backend) and a
hand-written JAX loop (one jitted optax step per batch) on the same generator, each in a fresh process.

Workload: MLP 784-256-256-10, Adam, batch 64, STEPS batches per epoch from a generator that slices numpy
arrays and, with --io-ms, sleeps that long per batch (reading files, decoding: work that releases the GIL).
Reported: ms per step of an epoch after a warm-up epoch (compile excluded), median over the runs, and the
ratios to kerasj. Usage: python generator_fit.py [--runs R] [--steps S] [--io-ms MS]
(or: python generator_fit.py --one {kerasj|kerasj-noprefetch|keras|jax} STEPS IO_MS)"""
import argparse
import os
import statistics
import subprocess
import sys
import time

BATCH, DIM, CLASSES = 64, 784, 10
IMPLS = ("kerasj", "kerasj-noprefetch", "keras", "jax")


def batches(steps, io_ms):
    """The generator all implementations read: endless epochs of `steps` batches."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.random((steps * BATCH, DIM), dtype=np.float32)
    y = rng.integers(0, CLASSES, steps * BATCH).astype(np.int32)
    while True:
        for i in range(steps):
            if io_ms:
                time.sleep(io_ms / 1000)
            yield x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]


def keras_like(impl, steps, io_ms):
    if impl == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        import kerasj as keras
        if impl == "kerasj-noprefetch":
            from kerasj.utils import prefetch
            prefetch.prefetch = lambda iterator, size=2: iterator  # the same loop, batches pulled inline
    model = keras.Sequential([keras.Input((DIM,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(256, activation="relu"), keras.layers.Dense(CLASSES)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = batches(steps, io_ms)
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)  # compile
    t = time.perf_counter()
    history = model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return time.perf_counter() - t, history.history["loss"][-1]


def hand_jax(steps, io_ms):
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    sizes = [(DIM, 256), (256, 256), (256, CLASSES)]
    params = [(jax.random.uniform(k, s, minval=-np.sqrt(6 / sum(s)), maxval=np.sqrt(6 / sum(s))), jnp.zeros(s[1]))
              for k, s in zip(keys, sizes)]
    opt = optax.adam(1e-3)
    state = opt.init(params)

    def loss_fn(p, xb, yb):
        h = xb
        for i, (w, b) in enumerate(p):
            h = h @ w + b
            h = jax.nn.relu(h) if i < 2 else h
        return optax.softmax_cross_entropy_with_integer_labels(h, yb).mean()

    @jax.jit
    def step(p, s, xb, yb):
        loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    data = batches(steps, io_ms)
    for epoch in range(2):  # the first epoch compiles
        t = time.perf_counter()
        for _ in range(steps):
            xb, yb = next(data)
            params, state, loss = step(params, state, xb, yb)
        loss.block_until_ready()
    return time.perf_counter() - t, float(loss)


def one(impl, steps, io_ms):
    seconds, loss = hand_jax(steps, io_ms) if impl == "jax" else keras_like(impl, steps, io_ms)
    print(f"{impl} ms_per_step={1000 * seconds / steps:.4f} loss={loss:.4f}")


def main(runs, steps, io_ms):
    here = os.path.abspath(__file__)
    figures = {impl: [] for impl in IMPLS}
    for _ in range(runs):
        for impl in IMPLS:  # alternate, so that machine load affects all alike
            out = subprocess.run([sys.executable, here, "--one", impl, str(steps), str(io_ms)],
                                 capture_output=True, text=True)
            line = (out.stdout.strip().splitlines() or [""])[-1]
            if out.returncode != 0 or "ms_per_step=" not in line:
                sys.exit(f"{impl}: failed (exit {out.returncode})\n{out.stderr[-2000:]}")
            figures[impl].append(float(line.split("ms_per_step=")[1].split()[0]))
    ours = statistics.median(figures["kerasj"])
    print(f"generator fit, {steps} steps of batch {BATCH}, io {io_ms} ms per batch, median of {runs} run(s):")
    for impl in IMPLS:
        ms = statistics.median(figures[impl])
        print(f"  {impl:18s} {ms:8.3f} ms/step   kerasj / {impl} = {ours / ms:.2f}x")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        one(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--runs", type=int, default=1)
        parser.add_argument("--steps", type=int, default=300)
        parser.add_argument("--io-ms", type=float, default=0.0)
        args = parser.parse_args()
        main(args.runs, args.steps, args.io_ms)
