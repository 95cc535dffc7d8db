"""The package's floors (DESIGN.md section 2): ops, activations, losses and metrics sit below the layers and
never import them, at import time (checked in a fresh interpreter) or inside a function (checked in the
source); `import kerasj` still offers every namespace."""
import ast
import pathlib
import subprocess
import sys

import kerasj

ROOT = pathlib.Path(kerasj.__file__).parent

# Modules below the layers (floors 1-3), and the packages above them they may not import.
# The config half of saving (configs <-> objects through the registry) is on floor 1 too.
LOW = ["masks.py", "variables.py", "config.py", "dtype_policy.py", "scopes.py", "remat.py", "backend.py",
       "activations.py", "losses", "initializers.py", "stft_initializer.py", "regularizers.py",
       "constraints.py", "random.py", "transforms.py", "ops", "metrics", "optimizers", "utils", "tree",
       "visualization", "preprocessing", "quantizers", "dtype_policies", "mixed_precision.py",
       "saving/serialization_lib.py", "saving/object_registration.py", "saving/safe_mode.py",
       "saving/function_serialization.py"]
HIGH = ("kerasj.layers", "kerasj.models", "kerasj.trainer", "kerasj.callbacks", "kerasj.datasets",
        "kerasj.saving.keras_archive", "kerasj.saving.weights_io", "kerasj.saving.saveable_tree")
ALLOWED = set()
# Above models: saving may build models, but never imports what sits above it.
ABOVE_SAVING = ("kerasj.callbacks", "kerasj.datasets", "kerasj.distribution", "kerasj.applications",
                "kerasj.export")


def _run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_importing_ops_losses_and_metrics_imports_no_layer_module():
    out = _run("import sys, kerasj.ops, kerasj.activations, kerasj.losses, kerasj.metrics; "
               "print([m for m in sys.modules if m.startswith('kerasj.layers')])")
    assert out == "[]"


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            if node.module == "kerasj":
                yield from (f"kerasj.{alias.name}" for alias in node.names)


def test_low_floors_never_import_layers_or_models_even_inside_functions():
    files = []
    for entry in LOW:
        path = ROOT / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    found = [(str(path.relative_to(ROOT)), name) for path in files for name in _imports(path)
             if name.startswith(HIGH)]
    assert [f for f in found if f not in ALLOWED] == []


def test_saving_imports_nothing_above_models():
    found = [(path.name, name) for path in sorted((ROOT / "saving").glob("*.py")) for name in _imports(path)
             if name.startswith(ABOVE_SAVING)]
    assert found == []


def test_loading_a_config_without_layers_imported_finds_the_layer_classes():
    # Layers and models load on first use; the registry loads them when a config names one of their classes.
    out = _run("import sys, kerasj.saving; "
               "layer = kerasj.saving.deserialize_keras_object({'module': 'keras.layers', 'class_name': 'Dense', "
               "'config': {'units': 3}}); print(type(layer).__name__, layer.units)")
    assert out == "Dense 3"


def test_import_kerasj_still_gives_every_namespace():
    out = _run("import kerasj; print(kerasj.layers.Dense.__name__, kerasj.models.Model is kerasj.Model, "
               "kerasj.Layer.__module__, kerasj.callbacks.History.__name__, kerasj.Input.__name__)")
    assert out == "Dense True kerasj.layers.layer History Input"


def test_export_reaches_models_only_through_the_object_passed_in():
    found = [(p.name, n) for p in sorted((ROOT / "export").glob("*.py")) for n in _imports(p)
             if n.startswith(("kerasj.layers", "kerasj.models", "kerasj.trainer", "kerasj.callbacks"))]
    assert found == []
