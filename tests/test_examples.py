"""The examples run and do what they claim."""
import importlib.util
import pathlib


EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_xor_classifier_learns_xor(capsys):
    prediction = load("xor_classifier").xor_classifier_example()
    assert list((prediction[:, 0] > 0.5).astype(int)) == [0, 1, 1, 0]
    assert "1 XOR 1 =>" in capsys.readouterr().out


def test_mnist_mlp_three_styles_train_to_the_same_band():
    results = load("mnist_mlp").main(samples=3000, epochs=2, verbose=0)
    params = {p for p, _, _ in results.values()}
    accuracies = [acc for _, _, acc in results.values()]
    assert params == {784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10}
    assert min(accuracies) > 0.85, results
    assert max(accuracies) - min(accuracies) < 0.08, results
