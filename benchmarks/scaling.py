"""How the seed MLP's training time scales: epoch time against dataset size, and step time against batch size.

The seed MLP (784-256-256-10, Adam, sparse categorical cross-entropy from logits) in one process:
- `dataset`: one fresh model per size N, fit 2 epochs at batch 64; `n<N>_epoch_s` is the second epoch (the
  compiled program; the first pays the compile). A constant cost per epoch shows at the small sizes.
- `batch`: one fresh model per batch size B, fit 2 epochs of STEPS batches; `b<B>_step_ms` is the second
  epoch's time per step (batch 1 measures the per-step overhead, batch 1024 the arithmetic).

Usage: python scaling.py {kerasj|keras|jax} {dataset|batch} [--quick]
Prints: `<impl> <sweep> key=value ...` (one key per size).
"""
import os, sys, time
impl, sweep = sys.argv[1], sys.argv[2]
quick = "--quick" in sys.argv
import numpy as np
SIZES = [1024, 8192, 65536] if not quick else [1024, 8192]
BATCHES = [1, 8, 64, 256, 1024] if not quick else [1, 64, 1024]
STEPS = 200 if not quick else 20


def data(n):
    rng = np.random.default_rng(0)
    x = rng.random((n, 784), dtype=np.float32)
    return x, np.argmax(x @ rng.standard_normal((784, 10)).astype(np.float32), axis=1).astype(np.int32)


def second_epoch_s(n, batch):
    """Seconds of the second of two epochs over n samples at `batch`, on a fresh model."""
    x, y = data(n)
    if impl == "jax":
        import jax, jax.numpy as jnp, optax
        keys = jax.random.split(jax.random.PRNGKey(0), 3)
        sizes = [(784, 256), (256, 256), (256, 10)]
        params = [(jax.random.uniform(k, s, minval=-np.sqrt(6 / sum(s)), maxval=np.sqrt(6 / sum(s))), jnp.zeros(s[1]))
                  for k, s in zip(keys, sizes)]
        opt = optax.adam(1e-3)
        state = opt.init(params)

        def loss_fn(p, xb, yb):
            h = jax.nn.relu(xb @ p[0][0] + p[0][1])
            h = jax.nn.relu(h @ p[1][0] + p[1][1])
            return optax.softmax_cross_entropy_with_integer_labels(h @ p[2][0] + p[2][1], yb).mean()

        @jax.jit
        def step(p, s, xb, yb):
            l, g = jax.value_and_grad(loss_fn)(p, xb, yb)
            u, s = opt.update(g, s, p)
            return optax.apply_updates(p, u), s, l
        for _ in range(2):
            t = time.perf_counter()
            perm = np.random.permutation(n)
            for i in range(n // batch):
                idx = perm[i * batch:(i + 1) * batch]
                params, state, l = step(params, state, x[idx], y[idx])
            l.block_until_ready()
            seconds = time.perf_counter() - t
        return seconds
    if impl == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        import kerasj as keras
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    times = []

    class T(keras.callbacks.Callback):
        def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
        def on_epoch_end(self, e, logs=None): times.append(time.perf_counter() - self.t)
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0, callbacks=[T()], shuffle=True)
    return times[1]


if sweep == "dataset":
    cells = [f"n{n}_epoch_s={second_epoch_s(n, 64):.4f}" for n in SIZES]
else:
    cells = [f"b{b}_step_ms={second_epoch_s(b * STEPS, b) / STEPS * 1e3:.4f}" for b in BATCHES]
print(f"{impl} {sweep} " + " ".join(cells))
