"""Benchmark: an IMDB-sized LSTM text classifier, Embedding(10000, 64, mask_zero=True) -> LSTM(64) ->
Dense(1, sigmoid), Adam, binary cross-entropy, batch 64, on N synthetic reviews pre-padded to SEQ tokens
(lengths uniform in [SEQ/5, SEQ], so the mask matters); timed per epoch.

The hand-written JAX version is the same network as one jitted step: an embedding lookup, then `lax.scan` over
time with the mask holding (h, c) on padded steps; Keras's gate order (i, f, c, o), initializers (uniform
embeddings, glorot kernel, orthogonal recurrent kernel, forget bias 1) and Adam. (Hoisting the input
projection `x @ kernel` out of the scan into one big matmul looks faster but measured about 2x slower per step
on XLA CPU here, so the projection stays inside the cell, as in Keras.)

Compile time is measured on fresh models after the timed run, identically for all three: fit 2 epochs of 4
batches; compile_s = first epoch - second epoch, at SEQ and at 4 x SEQ (compile_4x_s). With the recurrence a
`lax.scan` (not unrolled) the two should be about equal.

Usage: python lstm.py {kerasj|keras|jax} [epochs] [N] [SEQ]
Prints: `<impl> epoch_s=<median of epochs 2..E> first_epoch_s=<...> compile_s=<...> compile_4x_s=<...>
final_loss=<...>`
"""
import os, statistics, sys, time
import numpy as np

impl = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
N = int(sys.argv[3]) if len(sys.argv) > 3 else 2560
SEQ = int(sys.argv[4]) if len(sys.argv) > 4 else 100
VOCAB, EMBED, UNITS, B = 10000, 64, 64, 64
PROBE_BATCHES = 4


def make_data(n, seq, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, (n, seq)).astype(np.int32)
    lengths = rng.integers(seq // 5, seq + 1, n)
    x[np.arange(seq)[None, :] < (seq - lengths)[:, None]] = 0   # pre-padding, as pad_sequences does
    # A label the network can learn: does the review contain more low-index ("frequent") words than high?
    y = ((x > 0) & (x < VOCAB // 2)).sum(1) > ((x >= VOCAB // 2).sum(1))
    return x, y.astype(np.float32)


if impl == "jax":
    import jax, jax.numpy as jnp, optax

    def init(key):
        k = jax.random.split(key, 4)
        def glorot(k, shape):
            lim = np.sqrt(6 / (shape[0] + shape[1])); return jax.random.uniform(k, shape, minval=-lim, maxval=lim)
        q, r = jnp.linalg.qr(jax.random.normal(k[2], (4 * UNITS, UNITS)))
        recurrent = (q * jnp.sign(jnp.diag(r))).T                        # orthogonal (UNITS, 4*UNITS)
        bias = jnp.zeros(4 * UNITS).at[UNITS:2 * UNITS].set(1.0)         # unit_forget_bias
        return {"emb": jax.random.uniform(k[0], (VOCAB, EMBED), minval=-0.05, maxval=0.05),
                "kernel": glorot(k[1], (EMBED, 4 * UNITS)), "recurrent": recurrent, "bias": bias,
                "dense": glorot(k[3], (UNITS, 1)), "dense_b": jnp.zeros(1)}

    def forward(p, tokens):
        mask = (tokens != 0).T[:, :, None]                               # (T, B, 1)
        embedded = jnp.swapaxes(p["emb"][tokens], 0, 1)                  # (T, B, EMBED)
        def cell(carry, inputs):
            h, c = carry; e, m = inputs
            z = e @ p["kernel"] + h @ p["recurrent"] + p["bias"]
            i, f, g, o = jnp.split(z, 4, axis=-1)
            c_new = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h_new = jax.nn.sigmoid(o) * jnp.tanh(c_new)
            return (jnp.where(m, h_new, h), jnp.where(m, c_new, c)), None
        zeros = jnp.zeros((tokens.shape[0], UNITS))
        (h, _), _ = jax.lax.scan(cell, (zeros, zeros), (embedded, mask))
        return (h @ p["dense"] + p["dense_b"])[:, 0]

    opt = optax.adam(1e-3)

    def make_step():  # a fresh jit per call, so each model compiles its own program, as a new Keras model does
        @jax.jit
        def step(p, s, xb, yb):
            l, g = jax.value_and_grad(lambda p: optax.sigmoid_binary_cross_entropy(forward(p, xb), yb).mean())(p)
            u, s = opt.update(g, s, p); return optax.apply_updates(p, u), s, l
        return step

    def train_epochs(x, y, n_epochs):
        p = init(jax.random.PRNGKey(0)); s = opt.init(p); step = make_step()
        times = []
        for e in range(n_epochs):
            t = time.perf_counter(); perm = np.random.permutation(len(x))
            for i in range(len(x) // B):
                idx = perm[i * B:(i + 1) * B]; p, s, l = step(p, s, x[idx], y[idx])
            l.block_until_ready(); times.append(time.perf_counter() - t)
        return times, float(l)
else:
    if impl == "keras":
        os.environ["KERAS_BACKEND"] = "jax"; import keras
    else:
        import kerasj as keras

    def train_epochs(x, y, n_epochs):
        m = keras.Sequential([keras.Input((x.shape[1],), dtype="int32"),
                              keras.layers.Embedding(VOCAB, EMBED, mask_zero=True), keras.layers.LSTM(UNITS),
                              keras.layers.Dense(1, activation="sigmoid")])
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        times = []
        class T(keras.callbacks.Callback):
            def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
            def on_epoch_end(self, e, logs=None):
                times.append(time.perf_counter() - self.t); self.loss = logs["loss"]
        cb = T()
        m.fit(x, y, batch_size=B, epochs=n_epochs, verbose=0, callbacks=[cb], shuffle=True)
        return times, cb.loss

# train_epochs(x, y, epochs) -> (seconds per epoch, final loss), for a freshly built model.
x, y = make_data(N, SEQ)
times, loss = train_epochs(x, y, epochs)
compile_s = {}
for length in (SEQ, 4 * SEQ):
    x, y = make_data(PROBE_BATCHES * B, length, seed=1)
    probe, _ = train_epochs(x, y, 2)
    compile_s[length] = probe[0] - probe[1]
print(f"{impl} epoch_s={statistics.median(times[1:] or times):.3f} first_epoch_s={times[0]:.3f} "
      f"compile_s={compile_s[SEQ]:.2f} compile_4x_s={compile_s[4 * SEQ]:.2f} final_loss={loss:.4f}")
