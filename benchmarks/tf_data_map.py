"""Preprocessing layers inside tf.data.Dataset.map: kerasj runs its JAX layers through tf.numpy_function
(one compiled call per batch); Keras 3 (JAX backend) switches its layers to TensorFlow ops inside the graph.
Workload: RandomFlip + Rescaling + Normalization on N uint8 32x32x3 images, batch 64; time of one pass over the
dataset after a warm-up pass. Usage: python tf_data_map.py {keras|kerasj} [N]"""
import os, sys, time
import numpy as np
impl = sys.argv[1]; N = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
if impl == "keras":
    os.environ["KERAS_BACKEND"] = "jax"; import keras
else:
    import kerasj as keras
import tensorflow as tf
x = np.random.default_rng(0).integers(0, 255, (N, 32, 32, 3)).astype("uint8")
flip, scale, norm = keras.layers.RandomFlip(seed=0), keras.layers.Rescaling(1 / 255.0), keras.layers.Normalization()
norm.adapt(x[:256] / 255.0)
ds = tf.data.Dataset.from_tensor_slices(x).batch(64).map(lambda b: norm(scale(flip(b)))).prefetch(2)
for _ in ds: pass
times = []
for _ in range(3):
    t = time.perf_counter()
    for _ in ds: pass
    times.append(time.perf_counter() - t)
print(f"{impl} pass_s {min(times):.4f} ms_per_batch {1000 * min(times) / (N // 64):.3f}")
