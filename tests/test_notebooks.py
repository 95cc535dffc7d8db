"""The notebooks in notebooks/ run top to bottom in a Jupyter kernel and show what they claim.

Each notebook is executed once per test module with nbclient, in a python3 kernel (ipykernel) launched from
this interpreter: the kernelspec is written to a temporary directory, so a `python3` kernelspec installed
elsewhere on the machine cannot be picked up. The tests then read the executed notebooks' outputs: printed
numbers are parsed and compared with values worked out here (from the math, or from a nearest-centroid
classifier on the same digits), each `plt.show()` must have rendered a PNG, and `fit` must have drawn its
progress bar. The notebooks themselves are stored without outputs.
"""
import ast
import asyncio
import json
import os
import pathlib
import re
import sys

import nbformat
import numpy as np
import pytest
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOK_DIR = pathlib.Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(path.name for path in NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL_NAME = "kerasj-test-python3"
CELL_TIMEOUT = 300  # seconds per cell: generous, for a loaded 2-core CI machine
PARALLEL_KERNELS = 2
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Appended to the in-memory copy of each notebook: which interpreter the kernel really runs.
_PROBE = "import sys\nprint('kernel interpreter:', sys.executable)"


def _kernel_manager(kernel_dir):
    spec_dir = kernel_dir / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (this test's interpreter)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(kernel_dir)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


async def _execute_all(names, kernel_dir, work_dir, env):
    """Execute the notebooks, `PARALLEL_KERNELS` at a time; name -> executed notebook or the exception."""
    gate = asyncio.Semaphore(PARALLEL_KERNELS)

    async def execute(name):
        notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(_PROBE))
        client = NotebookClient(notebook, km=_kernel_manager(kernel_dir), timeout=CELL_TIMEOUT,
                                startup_timeout=120, kernel_name=KERNEL_NAME, shutdown_kernel="immediate")
        async with gate:
            # cleanup_kc: shut the kernel down afterwards, although this module, not nbclient, made its manager.
            await client.async_execute(cwd=str(work_dir), env=env, cleanup_kc=True)
        return notebook

    results = await asyncio.gather(*(execute(name) for name in names), return_exceptions=True)
    return dict(zip(names, results))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebooks")
    # The kernels share a JAX compilation cache for this run only: the three model styles of
    # three_model_apis_mnist compile identical programs, which are then compiled once instead of three times.
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(root / "jax-cache"),
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    # The kernels run in a scratch directory; they import this checkout's kerasj even if it is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NOTEBOOK_DIR.parent), os.environ.get("PYTHONPATH")]))
    work_dir = root / "work"
    work_dir.mkdir()
    return asyncio.run(_execute_all(NOTEBOOKS, root / "kernels", work_dir, env))


def _notebook(executed, name):
    result = executed[name]
    if isinstance(result, BaseException):
        raise result
    return result


def _code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _stdout(notebook):
    """Everything the notebook printed to stdout, ANSI colours removed."""
    text = "".join(output.get("text", "") for cell in _code_cells(notebook) for output in cell.outputs
                   if output.output_type == "stream" and output.name == "stdout")
    return _ANSI.sub("", text)


def _printed(notebook, label):
    """The Python literal printed after `label`, at the start of a line or after a ` | ` separator, up to the
    next separator: `a: [[3.0, 0.6]] | b: [[4.0, 0.8]]` gives [[3.0, 0.6]] for "a:"."""
    pattern = r"(?:^|\| )" + re.escape(label) + r" (.+?)(?: \||$)"
    match = re.search(pattern, _stdout(notebook), re.MULTILINE)
    assert match, f"no line printing {label!r}"
    return ast.literal_eval(match.group(1))


def _printed_all(notebook, pattern):
    return [tuple(float(g) for g in m.groups()) for m in re.finditer(pattern, _stdout(notebook))]


@pytest.fixture(scope="module")
def digits_baseline():
    """Test accuracy of a nearest-centroid classifier on the digits that ship with kerasj (read from the data
    file directly, split 80/20 here): a trained network should do at least about as well as this simplest of
    classifiers."""
    table = np.loadtxt(NOTEBOOK_DIR.parent / "kerasj" / "datasets" / "data" / "digits.csv.gz", delimiter=",")
    x, y = table[:, :64] / 16.0, table[:, 64].astype(int)
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:int(0.8 * len(x))], order[int(0.8 * len(x)):]
    centroids = np.stack([x[train][y[train] == k].mean(axis=0) for k in range(10)])
    distances = ((x[test][:, None, :] - centroids[None]) ** 2).sum(axis=-1)
    return float(np.mean(np.argmin(distances, axis=1) == y[test]))


def test_there_are_notebooks():
    assert {"quickstart.ipynb", "xor.ipynb", "three_model_apis_mnist.ipynb",
            "tf2_overview_for_researchers.ipynb"} <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in _code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_this_interpreter(executed, name):
    notebook = _notebook(executed, name)
    cells = _code_cells(notebook)
    assert all(cell.execution_count for cell in cells)
    assert not [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    interpreter, = re.findall(r"^kernel interpreter: (.+)$", _stdout(notebook), re.MULTILINE)
    assert pathlib.Path(interpreter).resolve() == pathlib.Path(sys.executable).resolve()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_plot_is_rendered_as_png(executed, name):
    notebook = _notebook(executed, name)
    plotting = [cell for cell in _code_cells(notebook) if "plt.show()" in cell.source]
    for cell in plotting:
        images = [o for o in cell.outputs if o.output_type == "display_data" and "image/png" in o.data]
        assert len(images) == 1, cell.source[:80]
        assert len(images[0].data["image/png"]) > 1000  # base64 of a real picture, not an empty canvas
    if name != "quickstart.ipynb":
        assert plotting


@pytest.mark.parametrize("name, epochs_shown", [("xor.ipynb", ["1496/1500", "1500/1500"]),
                                                ("three_model_apis_mnist.ipynb", ["1/4", "4/4"]),
                                                ("tf2_overview_for_researchers.ipynb", ["1/6", "6/6"])])
def test_fit_draws_the_progress_bar(executed, name, epochs_shown):
    text = _stdout(_notebook(executed, name))
    for epoch in epochs_shown:
        assert f"Epoch {epoch}" in text
    # A finished bar: "22/22 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - loss: 0.0763"
    assert re.search(r"(\d+)/\1 \u2501{20} \d+s \d+[mu]?s/step( - \w+: \d\.\d{4})+", text)


def test_quickstart_classifies_the_clusters(executed):
    loss, accuracy = _printed_all(_notebook(executed, "quickstart.ipynb"), r"loss=([\d.]+) accuracy=([\d.]+)")[0]
    assert accuracy > 0.9


def test_xor_notebook_learns_the_truth_table(executed):
    notebook = _notebook(executed, "xor.ipynb")
    rows = _printed_all(notebook, r"(\d) XOR (\d) => ([\d.]+) => (\d)")
    assert sorted((int(a), int(b)) for a, b, _, _ in rows) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for a, b, output, bit in rows:
        assert int(bit) == int(a) ^ int(b)         # rounded predictions are [0, 1, 1, 0]
        assert (output > 0.5) == bool(bit)
    (first, last), = _printed_all(notebook, r"loss: first epoch ([\d.]+), last epoch ([\d.]+)")
    assert last < 0.5 * first
    (full_batch, stochastic), = _printed_all(notebook, r"batch_size=4: loss after 1500 epochs ([\d.]+) "
                                                       r"\(batch_size=1: ([\d.]+)\)")
    assert stochastic == last and full_batch > stochastic  # 4x fewer updates learn less


def test_researchers_notebook_variables_and_gradients(executed):
    notebook = _notebook(executed, "tf2_overview_for_researchers.ipynb")
    assigned = np.array(_printed(notebook, "after assign:"))
    np.testing.assert_array_equal(np.array(_printed(notebook, "after assign_add:")), assigned + 1)
    a = np.array(_printed(notebook, "a:"))
    b = np.array(_printed(notebook, "b:"))
    c = np.sqrt(a ** 2 + b ** 2)
    np.testing.assert_allclose(_printed(notebook, "c:"), c, rtol=1e-6)
    np.testing.assert_allclose(_printed(notebook, "dc/da:"), a / c, rtol=1e-5)
    np.testing.assert_allclose(_printed(notebook, "d2c/da2:"), b ** 2 / c ** 3, rtol=1e-5)


def test_researchers_notebook_custom_layers(executed):
    notebook = _notebook(executed, "tf2_overview_for_researchers.ipynb")
    # ComputeSum adds the column sums of ones((2, 2)) on every call.
    assert _printed(notebook, "total after call 1:") == [2.0, 2.0]
    assert _printed(notebook, "total after call 2:") == [4.0, 4.0]
    assert _printed(notebook, "weights before the first call:") == 0
    assert _printed(notebook, "weights after:") == 6  # three Linear layers, a kernel and a bias each


def test_researchers_notebook_custom_loop_and_vae_train(executed, digits_baseline):
    notebook = _notebook(executed, "tf2_overview_for_researchers.ipynb")
    epochs = _printed_all(notebook, r"epoch \d+: mean loss ([\d.]+) \| training accuracy ([\d.]+)")
    assert len(epochs) == 8
    losses = [loss for loss, _ in epochs]
    assert losses[-1] < 0.5 * losses[0] and losses[-1] == min(losses)
    (test_accuracy,), = _printed_all(notebook, r"test accuracy: ([\d.]+)")
    assert test_accuracy > digits_baseline - 0.1
    vae_losses = _printed(notebook, "VAE loss per epoch:")
    assert len(vae_losses) == 6 and vae_losses[-1] < 0.8 * vae_losses[0] and vae_losses[-1] == min(vae_losses)


def test_three_model_apis_train_alike_and_agree(executed, digits_baseline):
    notebook = _notebook(executed, "three_model_apis_mnist.ipynb")
    text = _stdout(notebook)
    accuracy = {m.group(1): float(m.group(2)) for m in re.finditer(r"(\w+): test accuracy ([\d.]+)", text)}
    assert sorted(accuracy) == ["Functional", "Sequential", "Subclassing"]
    for value in accuracy.values():
        assert value > digits_baseline - 0.05
    # 784 -> 128 -> 10 dense layers, kernels and biases.
    expected_params = 784 * 128 + 128 + 128 * 10 + 10
    assert [int(n) for n in re.findall(r"parameters: (\d+)", text)] == [expected_params] * 2
    assert re.search(rf"Total params: {expected_params:,} ", text)
    differences = _printed_all(notebook, r"with the Sequential weights: max \|difference\| = ([\d.e+-]+)")
    assert len(differences) == 2 and max(d for d, in differences) < 1e-5
