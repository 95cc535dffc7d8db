"""examples/structured_data.py: a generated CSV table -> FeatureSpace -> Dense classifier, with TensorFlow
unimportable (the beginner path needs none). It must learn the rule hidden in the table, and the encoded width
is what the feature spec implies."""
import json
import pathlib
import subprocess
import sys
import textwrap

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "structured_data.py"

RUNNER = textwrap.dedent("""
    import importlib.util, json, sys
    sys.modules["tensorflow"] = None
    spec = importlib.util.spec_from_file_location("structured_data", sys.argv[1])
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(rows=1200, epochs=8, verbose=0, folder=sys.argv[2])
    result["tf_loaded"] = [m for m in sys.modules if m.startswith("tensorflow") and sys.modules[m] is not None]
    print("RESULT" + json.dumps(result))
""")


def test_structured_data_example_learns_the_table_without_tensorflow(tmp_path):
    out = subprocess.run([sys.executable, "-c", RUNNER, str(EXAMPLE), str(tmp_path)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads([x for x in out.stdout.splitlines() if x.startswith("RESULT")][-1][len("RESULT"):])
    assert result["tf_loaded"] == []
    # age: 8 bins; chol: 1 normalized value; sex: 2 codes; cp: 4 codes; thal: 3 words + 1 OOV; cross: 32.
    assert result["features"] == 8 + 1 + 2 + 4 + 4 + 32
    # The rule is learnable up to the 5% label noise; guessing the majority class gets about 55%.
    assert result["val_accuracy"] > 0.8, result
    assert (tmp_path / "patients.csv").read_text().splitlines()[0] == "age,sex,cp,chol,thal,target"
