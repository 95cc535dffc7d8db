"""Build time and first-predict time (compile included) of ResNet50 and EfficientNetB0 (weights=None, 224x224,
batch 8) in kerasj and in Keras 3 (JAX backend), each in a fresh process, and the ratios kerasj / Keras.
Usage: python applications.py [runs]      (or: python applications.py --one {kerasj|keras} MODEL)"""
import os
import statistics
import subprocess
import sys
import time

MODELS = ("ResNet50", "EfficientNetB0")


def one(impl, model_name):
    import numpy as np
    if impl == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        import kerasj as keras
    x = np.random.default_rng(0).uniform(0, 255, (8, 224, 224, 3)).astype("float32")
    t = time.perf_counter()
    model = getattr(keras.applications, model_name)(weights=None)
    build = time.perf_counter() - t
    t = time.perf_counter()
    np.asarray(model.predict(x, verbose=0))
    first = time.perf_counter() - t
    t = time.perf_counter()
    np.asarray(model.predict(x, verbose=0))
    again = time.perf_counter() - t
    print(f"{impl} build_s={build:.3f} first_predict_s={first:.3f} predict_s={again:.3f}")


def main(runs):
    here = os.path.abspath(__file__)
    for model_name in MODELS:
        figures = {"kerasj": {}, "keras": {}}
        for _ in range(runs):
            for impl in figures:  # alternate, so that machine load affects both alike
                out = subprocess.run([sys.executable, here, "--one", impl, model_name], capture_output=True,
                                     text=True)
                line = (out.stdout.strip().splitlines() or [""])[-1]
                if out.returncode != 0 or "=" not in line:
                    sys.exit(f"{impl} {model_name}: failed (exit {out.returncode})\n{out.stderr[-2000:]}")
                for item in line.split()[1:]:
                    key, value = item.split("=")
                    figures[impl].setdefault(key, []).append(float(value))
        row = []
        for key in figures["kerasj"]:
            ours, theirs = (statistics.median(figures[i][key]) for i in ("kerasj", "keras"))
            row.append(f"{key}: kerasj={ours:.3g} keras={theirs:.3g} ({ours / theirs:.2f}x)")
        print(f"{model_name}  " + "  ".join(row))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        one(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
