"""The persistent compilation cache (`kerasj.config.enable_compilation_cache`) on the XOR example
(examples/xor_classifier.py): each run is a fresh process; the cache runs share one new directory, so the first
fills it and the later ones load the compiled programs from it.

Usage: python benchmarks/compilation_cache.py [--runs N]
Prints, per run, the example's own fit time (fit incl. compile) and the whole process's wall time.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(os.path.dirname(HERE), "examples", "xor_classifier.py")
CHILD = """
import runpy, sys
import kerasj
if sys.argv[1] != "-":
    kerasj.config.enable_compilation_cache(sys.argv[1])
runpy.run_path(sys.argv[2], run_name="__main__")
"""


def run(cache_dir):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, cache_dir or "-", EXAMPLE], capture_output=True, text=True,
                         env=env, check=True)
    wall = time.perf_counter() - start
    fit = float(re.search(r"in ([\d.]+) s; final loss", out.stdout).group(1))
    return fit, wall


def main(argv):
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 2
    with tempfile.TemporaryDirectory() as cache_dir:
        print("| run | fit_s (incl. compile) | process wall_s |")
        print("|---|---|---|")
        for label, where in [("no cache", None)] + [(f"cache run {i + 1}", cache_dir) for i in range(runs)]:
            fit, wall = run(where)
            print(f"| {label} | {fit:.3f} | {wall:.2f} |")
        print(f"cache entries: {len(os.listdir(cache_dir))}")


if __name__ == "__main__":
    main(sys.argv[1:])
