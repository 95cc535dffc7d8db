"""examples/distributed_training.py: the MNIST convnet trained with DataParallel on 4 virtual CPU devices (set
in the subprocess's XLA_FLAGS, never for the suite) learns, and the printed shards are per device: the batch
split along its first axis, the kernel whole on every device."""
import os
import pathlib
import re
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "distributed_training.py"


def test_distributed_example_learns_and_prints_per_device_shards():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu",
               KERAS_BACKEND="jax")
    run = subprocess.run([sys.executable, str(EXAMPLE), "--samples", "384", "--epochs", "2", "--batch-size", "64",
                          "--synthetic"], capture_output=True, text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr[-4000:]
    out = run.stdout
    assert "4 devices: ['cpu:0', 'cpu:1', 'cpu:2', 'cpu:3']" in out
    assert "mesh: <DeviceMesh shape=(4,), axis_names=['batch']>" in out
    batch, kernel = out.split("one batch:")[1].split("the first Conv2D kernel:")
    assert "P('batch', None, None, None)" in batch
    # A 64-row batch over 4 devices: rows 0:16, 16:32, ... one block per device.
    rows = re.findall(r"(cpu:\d): \[(\d+):(\d+), 0:28, 0:28, 0:1\] shape \(16, 28, 28, 1\)", batch)
    assert rows == [(f"cpu:{i}", str(16 * i), str(16 * (i + 1))) for i in range(4)]
    kernel = kernel.split("Epoch 1/2")[0]
    assert "P(None, None, None, None)" in kernel
    assert re.findall(r"(cpu:\d): \[0:3, 0:3, 0:1, 0:32\] shape \(3, 3, 1, 32\)", kernel) == [
        f"cpu:{i}" for i in range(4)]
    losses = [float(v) for v in re.findall(r" - loss: ([\d.]+)", out)]
    assert len(losses) == 2 and losses[1] < losses[0]
    accuracy = float(re.search(r"test accuracy ([\d.]+)", out).group(1))
    assert accuracy > 0.2  # ten classes: chance is 0.1
