"""Every model the examples build survives `save` / `load_model` exactly: same predictions bit for bit, same
weights (issue 6: "round trips are exact for every model in the examples"). Subclassed example models without
get_config are passed as custom_objects, as a user would."""
import importlib.util
import pathlib

import numpy as np
import pytest

import kerasj

EXAMPLES = pathlib.Path(__file__).parent.parent.parent / "examples"


def example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inputs_for(shape, rng, integer_vocab=None):
    if integer_vocab:
        x = rng.integers(1, integer_vocab, size=shape).astype("int32")
        x[:, :2] = 0  # padding, so the mask matters
        return x
    return rng.normal(size=shape).astype("float32")


def cases():
    mlp, tf2, text, multi = (example("mnist_mlp"), example("tf2_api_overview"), example("text_classifier"),
                             example("multi_input_model"))
    return [
        ("mnist_mlp_sequential", mlp.sequential_model, (2, 784), {}),
        ("mnist_mlp_functional", mlp.functional_model, (2, 784), {}),
        ("mnist_mlp_subclassed", mlp.MLP, (2, 784), {"MLP": mlp.MLP}),
        ("mnist_convnet_sequential", tf2.mnist_sequential, (2, 28, 28, 1), {}),
        ("mnist_convnet_functional", tf2.mnist_functional, (2, 28, 28, 1), {}),
        ("mnist_convnet_subclassed", tf2.MnistModel, (2, 28, 28, 1), {"MnistModel": tf2.MnistModel}),
        ("cifar_convnet_sequential", tf2.cifar_sequential, (2, 32, 32, 3), {}),
        ("cifar_convnet_functional", tf2.cifar_functional, (2, 32, 32, 3), {}),
        ("cifar_convnet_subclassed", tf2.CifarModel, (2, 32, 32, 3), {"CifarModel": tf2.CifarModel}),
        ("text_lstm", lambda: text.build_model("lstm", 50, embed_dim=8, units=8), ("int", 2, 7), {}),
        ("text_gru", lambda: text.build_model("gru", 50, embed_dim=8, units=8), ("int", 2, 7), {}),
        ("text_bidirectional", lambda: text.build_model("bidirectional", 50, embed_dim=8, units=8),
         ("int", 2, 7), {}),
        ("multi_input", lambda: multi.compile_model(multi.build_model()), "multi", {}),
    ]


CASES = cases()


@pytest.mark.parametrize("name,build,shape,custom", CASES, ids=[c[0] for c in CASES])
def test_example_model_round_trip_is_exact(tmp_path, name, build, shape, custom):
    rng = np.random.default_rng(0)
    if shape == "multi":
        multi = example("multi_input_model")
        x = {"image": rng.normal(size=(2,) + multi.IMAGE_SHAPE).astype("float32"),
             "metadata": rng.normal(size=(2, multi.NUM_FEATURES)).astype("float32")}
    elif shape[0] == "int":
        x = inputs_for(shape[1:], rng, integer_vocab=50)
    else:
        x = inputs_for(shape, rng)
    model = build()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    restored = kerasj.models.load_model(tmp_path / "m.keras", custom_objects=custom)
    got = restored.predict(x, verbose=0)
    for a, b in zip(_leaves(expected), _leaves(got)):
        np.testing.assert_array_equal(a, b)
    assert len(restored.get_weights()) == len(model.get_weights())
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def _leaves(tree):
    if isinstance(tree, dict):
        return [tree[k] for k in sorted(tree)]
    if isinstance(tree, (list, tuple)):
        return list(tree)
    return [tree]
