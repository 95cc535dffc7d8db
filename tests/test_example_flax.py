"""examples/flax_model.py: a Flax Linen module inside a kerasj Sequential model learns the blobs with fit,
and training moves its BatchNorm statistics."""
import importlib.util
import pathlib

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "flax_model.py"


def test_flax_module_in_a_kerasj_model_learns(capsys):
    spec = importlib.util.spec_from_file_location("flax_model", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(epochs=2)
    assert result["accuracy_before"] < 0.6  # three classes: chance is about 1/3
    assert result["accuracy_after"] > 0.9
    assert result["loss"][-1] < 0.5 * result["loss"][0]
    assert result["trainable_weights"] == 6  # Dense_0, BatchNorm_0 and Dense_1: kernels/biases, scale
    assert result["batch_stats_change"] > 0.1
    out = capsys.readouterr().out
    assert "test accuracy before training" in out and "test accuracy after training" in out
