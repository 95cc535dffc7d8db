"""examples/image_folder_classifier.py on the beginner path: no TensorFlow and no grain importable (the
default dataset is then kerasj's own), the labels come from the folder names, the model with augmentation
layers learns the patterns, and plot_model writes a picture that decodes."""
import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "image_folder_classifier.py"

# Run in a fresh interpreter where `import tensorflow` and `import grain` fail, as on a machine without them.
RUNNER = textwrap.dedent("""
    import importlib.util, json, sys
    sys.modules["tensorflow"] = None
    sys.modules["grain"] = None
    spec = importlib.util.spec_from_file_location("image_folder_classifier", sys.argv[1])
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(folder=sys.argv[2], quick=True)
    result["picture"] = str(result["picture"])
    result["tf_loaded"] = [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "grain")
                           and sys.modules[m] is not None]
    print("RESULT" + json.dumps(result, default=float))
""")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("image_folder")
    out = subprocess.run([sys.executable, "-c", RUNNER, str(EXAMPLE), str(folder)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT")][-1]
    return json.loads(line[len("RESULT"):]), folder, out.stdout


def test_labels_come_from_the_sorted_folder_names_and_no_tensorflow_is_needed(run):
    result, folder, _ = run
    assert result["class_names"] == ["checker", "horizontal", "vertical"]
    assert result["tf_loaded"] == []
    assert result["dataset_type"] == "kerasj.utils.native_dataset.NativeDataset"
    # 40 files per class were written; 25% of the 120 go to validation.
    assert len(list((folder / "patterns").glob("*/*.png"))) == 120


def test_the_model_learns_the_patterns(run):
    result, _, _ = run
    history = result["history"]
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert result["val_accuracy"] > 0.6  # three classes: chance is 1/3


def test_plot_model_writes_a_picture_of_the_model(run):
    from PIL import Image

    result, _, stdout = run
    with Image.open(result["picture"]) as picture:
        picture.load()
        assert picture.format == "PNG" and picture.size[0] > 100 and picture.size[1] > 300
    assert "augmentation" in stdout  # the summary lists the nested augmentation model
