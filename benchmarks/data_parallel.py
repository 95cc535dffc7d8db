"""Data parallelism: the seed MLP (784-256-256-10, SGD, batch 64) trained data-parallel over DEVICES devices.

On a CPU the devices are virtual (XLA_FLAGS=--xla_force_host_platform_device_count, set here before JAX
starts): they share the same cores, so the figure checks that the sharded program runs and learns the same
thing, not that it is faster. Every implementation starts from the same NumPy weights, reads the batches in
the same order (no shuffling) and uses plain SGD, so `final_loss` should agree to float32 rounding across:
- kerasj: `kerasj.distribution.DataParallel` over all devices, then an ordinary `fit`;
- keras: Keras 3's `keras.distribution.DataParallel` (JAX backend), the same code;
- jax: a hand-written `jax.jit` step with the parameters replicated and each batch split along its first axis
  (`NamedSharding` over a one-axis `Mesh`).
`devices` is how many devices the batch was split over (read back from the arrays' shardings).

Usage: python data_parallel.py {kerasj|keras|jax} [DEVICES] [N] [EPOCHS]
Prints: `<impl> epoch_s=<median of epochs 2..E> first_epoch_s=<...> devices=<n> final_loss=<...>`
"""
import os, statistics, sys, time
impl = sys.argv[1]
devices = int(sys.argv[2]) if len(sys.argv) > 2 else 8
N = int(sys.argv[3]) if len(sys.argv) > 3 else 8192
epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
BATCH = 64
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={devices}")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
rng = np.random.default_rng(0)
x = rng.random((N, 784), dtype=np.float32)
y = np.argmax(x @ rng.standard_normal((784, 10)).astype(np.float32), axis=1).astype(np.int32)
sizes = [(784, 256), (256, 256), (256, 10)]
weights = []
for s in sizes:
    weights += [rng.uniform(-np.sqrt(6 / sum(s)), np.sqrt(6 / sum(s)), s).astype(np.float32), np.zeros(s[1], np.float32)]


def report(times, loss, used):
    print(f"{impl} epoch_s={statistics.median(times[1:] or times):.3f} first_epoch_s={times[0]:.3f} "
          f"devices={used} final_loss={loss:.5f}")


if impl == "jax":
    import jax, optax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    replicated, split = NamedSharding(mesh, P()), NamedSharding(mesh, P("batch"))
    params = [jax.device_put(w, replicated) for w in weights]
    opt = optax.sgd(0.01)
    state = opt.init(params)

    def loss_fn(p, xb, yb):
        h = jax.nn.relu(xb @ p[0] + p[1])
        h = jax.nn.relu(h @ p[2] + p[3])
        return optax.softmax_cross_entropy_with_integer_labels(h @ p[4] + p[5], yb).mean()

    @jax.jit
    def step(p, s, xb, yb):
        l, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, l
    times = []
    for epoch in range(epochs):
        t = time.perf_counter()
        losses = []
        for i in range(N // BATCH):
            xb = jax.device_put(x[i * BATCH:(i + 1) * BATCH], split)
            yb = jax.device_put(y[i * BATCH:(i + 1) * BATCH], split)
            params, state, l = step(params, state, xb, yb)
            # Waiting on each step: a hand-written loop on virtual CPU devices that runs ahead can deadlock
            # in XLA:CPU's collectives (README, "Known JAX limit").
            losses.append(l.block_until_ready())
        jax.block_until_ready(params)
        times.append(time.perf_counter() - t)
    report(times, float(np.mean(losses)), len(xb.sharding.device_set))
else:
    if impl == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        import kerasj as keras
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=keras.distribution.list_devices()))
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10)])
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    times = []

    class T(keras.callbacks.Callback):
        def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
        def on_epoch_end(self, e, logs=None): times.append(time.perf_counter() - self.t); self.loss = logs["loss"]
    cb = T()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[cb], shuffle=False)
    # The distribution splits each batch over the mesh's batch axis: as many devices as the mesh has.
    used = keras.distribution.distribution().device_mesh.devices.size
    report(times, cb.loss, used)
