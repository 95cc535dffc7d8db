"""Deep models: build + compile + first epoch of a stack of DEPTH Dense(64, relu) layers (then Dense(10)),
Adam, sparse categorical cross-entropy, batch 32, N synthetic samples of 64 features.

What a user waits for before the first epoch ends grows with depth: building the layers, tracing the train
step and XLA's compile. total_s = build_s + first_epoch_s (from the first layer made to the end of epoch 1);
compile_s = first_epoch_s - epoch_s (the second epoch runs the compiled program: what is left is the one-off
work). The hand-written JAX version is the same network as one jitted optax step per batch.

Usage: python deep_build.py {kerasj|keras|jax} [DEPTH] [N]
Prints: `<impl> total_s=<...> build_s=<...> first_epoch_s=<...> epoch_s=<...> compile_s=<...> final_loss=<...>`
"""
import os, sys, time
impl = sys.argv[1]
depth = int(sys.argv[2]) if len(sys.argv) > 2 else 32
N = int(sys.argv[3]) if len(sys.argv) > 3 else 2048
WIDTH, CLASSES, BATCH = 64, 10, 32
import numpy as np
rng = np.random.default_rng(0)
x = rng.random((N, WIDTH), dtype=np.float32)
y = rng.integers(0, CLASSES, N).astype(np.int32)


def report(build_s, times, loss):
    first, rest = times[0], times[1]
    print(f"{impl} total_s={build_s + first:.3f} build_s={build_s:.3f} first_epoch_s={first:.3f} epoch_s={rest:.3f} "
          f"compile_s={max(first - rest, 0.0):.3f} final_loss={loss:.4f}")


if impl == "jax":
    import jax, jax.numpy as jnp, optax
    t0 = time.perf_counter()
    keys = jax.random.split(jax.random.PRNGKey(0), depth + 1)
    sizes = [(WIDTH, WIDTH)] * depth + [(WIDTH, CLASSES)]
    params = [(jax.random.uniform(k, s, minval=-np.sqrt(6 / sum(s)), maxval=np.sqrt(6 / sum(s))), jnp.zeros(s[1]))
              for k, s in zip(keys, sizes)]
    opt = optax.adam(1e-3)
    state = opt.init(params)

    def loss_fn(p, xb, yb):
        h = xb
        for w, b in p[:-1]:
            h = jax.nn.relu(h @ w + b)
        logits = h @ p[-1][0] + p[-1][1]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    @jax.jit
    def step(p, s, xb, yb):
        l, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, l
    build_s = time.perf_counter() - t0
    times = []
    for epoch in range(2):
        t = time.perf_counter()
        perm = np.random.permutation(N)
        for i in range(N // BATCH):
            idx = perm[i * BATCH:(i + 1) * BATCH]
            params, state, l = step(params, state, x[idx], y[idx])
        l.block_until_ready()
        times.append(time.perf_counter() - t)
    report(build_s, times, float(l))
else:
    if impl == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        import kerasj as keras
    t0 = time.perf_counter()
    model = keras.Sequential([keras.Input((WIDTH,))] + [keras.layers.Dense(WIDTH, activation="relu")
                                                        for _ in range(depth)] + [keras.layers.Dense(CLASSES)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    class T(keras.callbacks.Callback):
        def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
        def on_epoch_end(self, e, logs=None):
            ends.append(time.perf_counter()); times.append(ends[-1] - self.t); self.loss = logs["loss"]
    times, ends = [], []
    cb = T()
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[cb], shuffle=True)
    # What fit does before epoch 1's on_epoch_begin (adapting the data, building the step) counts as build.
    report(ends[0] - t0 - times[0], times, cb.loss)
