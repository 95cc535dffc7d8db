"""Run every workload side by side (kerasj, Keras 3 on JAX, hand-written JAX) and print markdown tables.

Usage: python benchmarks/report.py [--runs N] [--quick] [--scaling] [--write-readme]
  --runs N          runs per implementation (default 3; --quick: 1)
  --quick           smaller workloads and one run each (a check that everything runs: a few minutes, not final)
  --scaling         also the scaling table: depth 8/32/64 build + compile time, dataset size vs epoch time,
                    batch size 1 -> 1024 step time, kerasj vs Keras 3
  --write-readme    also put the tables into README.md, between the report.py marker comments

Each workload is run by compare.py in alternating fresh processes; the table shows medians and, in brackets,
each implementation's time as a multiple of kerasj's (lower is faster; > 1.00x means slower than kerasj). The
goal column checks the targets of issue 15 (and the older ones of the README) on the same run.
"""
import datetime
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(os.path.dirname(HERE), "README.md")
BEGIN, END = "<!-- report.py table: begin -->", "<!-- report.py table: end -->"
IMPLS = ("kerasj", "keras", "jax", "floor")

# (workload, impls, extra args, extra args with --quick, title, metrics shown (None: all timings))
WORKLOADS = [
    ("xor", ["kerasj", "keras", "jax"], [], ["300"], "seed 004 XOR, batch 1, 1500 epochs (6,000 steps; --quick: 300)",
     ["fit_s"]),
    ("predict", ["kerasj", "keras", "jax"], [], [], "seed MLP on 8 rows (jax: bare jitted forward)", None),
    ("deep", ["kerasj", "keras"], ["32"], ["32", "512"], "build + compile + 1st epoch, 32 Dense layers", ["total_s"]),
    ("deep", ["kerasj", "keras"], ["64"], ["64", "512"], "build + compile + 1st epoch, 64 Dense layers", ["total_s"]),
    ("mlp", ["kerasj", "keras", "jax", "floor"], [], ["2", "256"], "seed 001 MLP 784-256-256-10, Adam, batch 64 "
     "(--quick: 256), 60k samples", ["epoch_s", "first_epoch_s"]),
    ("mlp", ["kerasj", "keras", "jax"], ["3", "64", "mixed_bfloat16"], ["2", "256", "mixed_bfloat16"],
     "seed MLP, mixed_bfloat16 (float32 head)", ["epoch_s", "first_epoch_s"]),
    ("cnn", ["kerasj", "keras", "jax"], ["2", "4000"], ["2", "500"], "seed 003 MNIST convnet, batch 32",
     ["epoch_s", "first_epoch_s"]),
    ("lstm", ["kerasj", "keras", "jax"], [], ["2", "320", "50"], "LSTM text classifier (Embedding 10k x 64 masked, "
     "LSTM 64, batch 64; compile_4x_s at 4x the sequence)", ["epoch_s", "compile_s", "compile_4x_s"]),
    ("dp", ["kerasj", "keras", "jax"], ["8", "8192", "3"], ["8", "1024", "2"], "seed MLP data-parallel over 8 "
     "virtual CPU devices, SGD (correctness on CPU, not speed: the losses must agree)",
     ["epoch_s", "first_epoch_s", "final_loss"]),
]
SCALING = [
    ("deep", ["kerasj", "keras"], [str(d)], [str(d), "512"], f"depth {d}", ["total_s", "compile_s"]) for d in (8, 32, 64)
] + [
    ("scaling", ["kerasj", "keras"], ["dataset"], ["dataset", "--quick"], "dataset size (MLP, batch 64)", None),
    ("scaling", ["kerasj", "keras"], ["batch"], ["batch", "--quick"], "batch size (MLP)", None),
]


def _ratio(a, b):
    return a / b if a and b else float("nan")


def _goal(workload, metric, v):
    """(goal text, met) for the row, from the medians `v` (impl -> value), or None where no goal applies."""
    checks = {
        ("xor", "fit_s"): (">= 10x faster than Keras", lambda: _ratio(v.get("keras"), v.get("kerasj")) >= 10),
        ("predict", "predict_ms"): ("<= 1.5x bare jit", lambda: _ratio(v.get("kerasj"), v.get("bare")) <= 1.5),
        ("predict", "call_ms"): ("<= 2x bare jit", lambda: _ratio(v.get("kerasj"), v.get("bare")) <= 2.0),
        ("deep", "total_s"): ("<= Keras", lambda: v["kerasj"] <= v["keras"]),
        ("mlp", "epoch_s"): ("<= 1.05x lax.scan floor", lambda: _ratio(v.get("kerasj"), v.get("floor")) <= 1.05),
        ("cnn", "epoch_s"): ("<= 1.02x hand JAX", lambda: _ratio(v.get("kerasj"), v.get("jax")) <= 1.02),
        ("lstm", "epoch_s"): ("<= 1.02x hand JAX", lambda: _ratio(v.get("kerasj"), v.get("jax")) <= 1.02),
        ("dp", "final_loss"): ("losses agree (1e-4)", lambda: max(v.values()) - min(v.values()) <= 1e-4),
    }
    needs = {"predict": "bare", "mlp": "floor", "cnn": "jax", "lstm": "jax", "xor": "keras", "deep": "keras"}
    if (workload, metric) not in checks or "kerasj" not in v or needs.get(workload, "kerasj") not in v:
        return None  # e.g. the mixed-precision MLP row has no lax.scan floor to compare with
    text, test = checks[(workload, metric)]
    return text, bool(test())


def run_compare(workload, impls, extra, runs, env):
    """{metric: {impl: (median, 'median (ratio)')}} from one compare.py run, or an error string."""
    cmd = [sys.executable, os.path.join(HERE, "compare.py"), "--runs", str(runs), workload] + impls
    if extra:
        cmd += ["--"] + extra
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        return (out.stdout.strip()[-300:] + " " + out.stderr.strip()[-300:]).replace("\n", " ").replace("|", "/")
    rows = {}
    for line in out.stdout.strip().splitlines():
        if ":" not in line:
            continue
        metric = line.split(":")[0].split()[-1]
        rows[metric] = {impl: (float(value), f"{value} ({ratio}x)") for impl, value, ratio in
                        re.findall(r"(\w+)=([-\d.e+]+|nan) \(([\d.]+|nan)x\)", line)}
    return rows


def main_table(runs, quick, env, log):
    lines = ["| workload | metric | kerasj | Keras 3 (JAX) | hand-written JAX | lax.scan floor / bare jit | goal |",
             "|---|---|---|---|---|---|---|"]
    for workload, impls, extra, quick_extra, title, metrics in WORKLOADS:
        log(f"running {workload} {' '.join(quick_extra if quick else extra)}")
        rows = run_compare(workload, impls, quick_extra if quick else extra, runs, env)
        if isinstance(rows, str):
            lines.append(f"| {title} | failed: {rows} | | | | | |")
            continue
        for metric, cells in rows.items():
            if (metrics is None and metric in ("final_loss", "correct")) or (metrics and metric not in metrics):
                continue
            values = {impl: value for impl, (value, _) in cells.items()}
            text = {impl: shown for impl, (_, shown) in cells.items()}
            if workload == "predict":  # the hand-written figure is the bare jitted forward both rows compare with
                bare = rows.get("call_ms", {}).get("jax")
                if bare:
                    values["bare"] = bare[0]
                    text["floor"], text["jax"] = f"{bare[0]:.4g}", ""
            goal = _goal(workload, metric, values)
            goal = "" if goal is None else f"{goal[0]}: {'met' if goal[1] else '**missed**'}"
            lines.append(f"| {title} | {metric} | " + " | ".join(text.get(i, "") for i in IMPLS) + f" | {goal} |")
    lines += _extra_scripts(quick, env, log)
    return lines


def _extra_scripts(quick, env, log):
    """Rows from the single-purpose scripts, where they exist: inference latency measured in one process, and fit
    on a Python generator."""
    lines = []
    latency = os.path.join(HERE, "inference_latency.py")
    if os.path.exists(latency):
        log("running inference_latency.py")
        args = ["--blocks", "3", "--calls", "50"] if quick else []
        out = subprocess.run([sys.executable, latency] + args, capture_output=True, text=True, env=env)
        cells = dict(re.findall(r"^\| ([^|]+?) \| ([\d.]+) \|", out.stdout, re.M))
        bare = float(cells.get("bare jit forward + np.asarray", cells.get("bare jit forward", "nan")))
        call_bare = float(cells.get("bare jit forward", "nan"))
        for path, kerasj_key, keras_key, floor, goal in (
                ("predict_ms", "kerasj predict", "keras predict", bare, 1.5),
                ("call_ms", "kerasj model(x)", "keras model(x)", call_bare, 2.0)):
            if kerasj_key not in cells:
                lines.append(f"| inference latency, one process | {path} | failed: {out.stderr.strip()[-200:]} "
                             "| | | | |")
                continue
            ours, theirs = float(cells[kerasj_key]), float(cells.get(keras_key, "nan"))
            met = "met" if ours <= goal * floor else "**missed**"
            lines.append(f"| 8 rows, interleaved in one process (best of blocks) | {path} | {ours:.4g} (1.00x) | "
                         f"{theirs:.4g} ({theirs / ours:.2f}x) | | {floor:.4g} | <= {goal:g}x bare jit: {met} |")
    generator = os.path.join(HERE, "generator_fit.py")
    if os.path.exists(generator):
        log("running generator_fit.py")
        args = ["--runs", "1", "--steps", "50"] if quick else ["--runs", "3"]
        out = subprocess.run([sys.executable, generator] + args, capture_output=True, text=True, env=env)
        ms = dict(re.findall(r"^\s+(\S+)\s+([\d.]+) ms/step", out.stdout, re.M))
        if "kerasj" in ms:
            ours = float(ms["kerasj"])
            cell = lambda impl: f"{float(ms[impl]):.4g} ({float(ms[impl]) / ours:.2f}x)" if impl in ms else ""
            lines.append(f"| fit on a Python generator, MLP batch 64 | ms_per_step | {cell('kerasj')} | "
                         f"{cell('keras')} | {cell('jax')} | | |")
        else:
            lines.append(f"| fit on a Python generator | failed: {out.stderr.strip()[-200:]} | | | | | |")
    return lines


def scaling_table(runs, quick, env, log):
    lines = ["| sweep | metric | kerasj | Keras 3 (JAX) | Keras / kerasj |", "|---|---|---|---|---|"]
    for workload, impls, extra, quick_extra, title, metrics in SCALING:
        log(f"running {workload} {' '.join(quick_extra if quick else extra)}")
        rows = run_compare(workload, impls, quick_extra if quick else extra, runs, env)
        if isinstance(rows, str):
            lines.append(f"| {title} | failed: {rows} | | | |")
            continue
        for metric, cells in rows.items():
            if metrics and metric not in metrics or metric == "final_loss":
                continue
            ours, theirs = cells.get("kerasj", (float("nan"), ""))[0], cells.get("keras", (float("nan"), ""))[0]
            lines.append(f"| {title} | {metric} | {ours:.4g} | {theirs:.4g} | {_ratio(theirs, ours):.2f}x |")
    return lines


def write_readme(text):
    with open(README) as f:
        readme = f.read()
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        sys.exit(f"README.md needs exactly one {BEGIN} ... {END} pair")
    start, stop = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    with open(README, "w") as f:
        f.write(readme[:start] + "\n" + text + "\n" + readme[stop:])


def main(argv):
    quick = "--quick" in argv
    runs = argv[argv.index("--runs") + 1] if "--runs" in argv else ("1" if quick else "3")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log = lambda message: print(message, file=sys.stderr, flush=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    lines = main_table(runs, quick, env, log)
    if "--scaling" in argv:
        lines += ["", "Scaling (medians; the last column is Keras 3's time over kerasj's, > 1 = kerasj faster):", ""]
        lines += scaling_table(runs, quick, env, log)
    minutes = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds() / 60
    header = (f"`benchmarks/report.py{' --quick' if quick else ''}{' --scaling' if '--scaling' in argv else ''}`, "
              f"{started:%Y-%m-%d}, {platform.machine()} with {os.cpu_count()} cores "
              f"(load average {os.getloadavg()[0]:.1f} at the end), {runs} run(s) each, {minutes:.1f} min:")
    text = "\n".join([header, ""] + lines)
    print(text)
    if "--write-readme" in argv:
        write_readme(text)


if __name__ == "__main__":
    main(sys.argv[1:])
