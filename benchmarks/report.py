"""Run every workload side by side (kerasj, Keras 3 on JAX, hand-written JAX) and print a markdown table.

Usage: python benchmarks/report.py [--runs N] [--quick]
Each workload is run by compare.py in alternating fresh processes; the table shows medians and each
implementation's time as a multiple of kerasj's (lower is faster; > 1.00x means slower than kerasj).
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = [
    ("mlp", ["kerasj", "keras", "jax", "floor"], [], "seed 001 MLP 784-256-256-10, Adam, batch 64, 60k samples: epoch_s"),
    ("xor", ["kerasj", "keras", "jax"], [], "seed 004 XOR, batch 1, 1500 epochs (6,000 steps): fit_s incl. compile"),
    ("cnn", ["kerasj", "keras", "jax"], ["2", "4000"], "seed 003 MNIST convnet, batch 32, 4,000 samples: epoch_s"),
    ("predict", ["kerasj", "keras", "jax"], [], "predict / __call__ on 8 rows through the seed MLP: ms per call"),
    ("lstm", ["kerasj", "keras", "jax"], [], "LSTM text classifier (Embedding 10k x 64 masked, LSTM 64, batch 64, "
     "seq 100, 2,560 samples; compile_4x_s at seq 400): epoch_s"),
]


def main(argv):
    runs = "3"
    if "--runs" in argv:
        runs = argv[argv.index("--runs") + 1]
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    print("| workload | metric | kerasj | Keras 3 (JAX) | hand-written JAX | lax.scan floor |")
    print("|---|---|---|---|---|---|")
    for name, impls, extra, title in WORKLOADS:
        cmd = [sys.executable, os.path.join(HERE, "compare.py"), "--runs", runs, name] + impls
        if extra:
            cmd += ["--"] + extra
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            print(f"| {name} | failed | {out.stdout.strip()[-200:]} {out.stderr.strip()[-200:]} | | | |")
            continue
        for line in out.stdout.strip().splitlines():
            metric = line.split(":")[0].split()[-1]
            if metric in ("final_loss", "correct"):
                continue
            cells = dict(re.findall(r"(\w+)=([-\d.e]+ \([\d.]+x\))", line))
            row = [cells.get(i, "") for i in ("kerasj", "keras", "jax", "floor")]
            print(f"| {title.split(':')[0]} | {metric} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
