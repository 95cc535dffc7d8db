"""Every public name of Keras 3's namespaces that ordinary scripts touch exists in kerasj, as the same kind of
object (a class where Keras has a class, a module where Keras has a module). Keras 3 itself is the list: the
test walks its namespaces, so a name Keras adds shows up here as missing.

The exceptions are explicit, each with its reason; an exception that kerasj has meanwhile gained fails the test,
so the list only shrinks."""
import importlib
import inspect
import types

import keras
import pytest

import kerasj

NAMESPACES = ["", "utils", "utils.bounding_boxes", "utils.legacy", "config", "backend", "callbacks", "models",
              "saving", "preprocessing", "preprocessing.image", "preprocessing.sequence", "tree", "wrappers",
              "visualization", "distillation", "legacy", "legacy.saving",
              "layers", "losses", "metrics", "optimizers", "optimizers.schedules", "optimizers.legacy", "ops",
              "ops.nn", "ops.image", "ops.linalg", "ops.numpy", "random", "initializers", "regularizers",
              "constraints", "activations", "quantizers", "distribution", "mixed_precision", "dtype_policies",
              "applications", "export",
              *(f"applications.{name}" for name in
                ("convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils", "inception_resnet_v2",
                 "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3", "nasnet", "resnet", "resnet50",
                 "resnet_v2", "vgg16", "vgg19", "xception"))]

# (namespace, name): why kerasj does not have it (yet).
EXCEPTIONS = {
    ("", "src"): "Keras's private implementation package, not public API",
    ("layers", "TorchModuleWrapper"): "wraps a torch.nn.Module; Keras 3 offers it on the torch backend only",
    ("layers", "TFSMLayer"): "loads a TF SavedModel; Keras 3 has it on the TensorFlow backend only (issue 16)",
}


def _public(module):
    return sorted(n for n in dir(module) if not n.startswith("_"))


def _resolve(root, dotted):
    module = root
    for part in filter(None, dotted.split(".")):
        module = getattr(module, part)
    return module


def _kind(obj):
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "class"
    return "callable" if callable(obj) else "value"


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda n: n or "top")
def test_kerasj_has_every_public_name_of_the_keras_namespace(namespace):
    theirs, ours = _resolve(keras, namespace), _resolve(kerasj, namespace)
    missing, wrong_kind = [], []
    for name in _public(theirs):
        if (namespace, name) in EXCEPTIONS:
            continue
        if not hasattr(ours, name):
            missing.append(name)
        elif _kind(getattr(ours, name)) != _kind(getattr(theirs, name)):
            wrong_kind.append((name, _kind(getattr(theirs, name)), _kind(getattr(ours, name))))
    assert missing == [], f"kerasj.{namespace or '<top>'} lacks Keras 3 names"
    assert wrong_kind == [], "(name, Keras kind, kerasj kind)"


def test_exceptions_are_still_missing_and_still_in_keras():
    stale = [(ns, name) for ns, name in EXCEPTIONS if name != "src" and hasattr(_resolve(kerasj, ns), name)]
    assert stale == [], "kerasj has these now: remove them from EXCEPTIONS"
    gone = [(ns, name) for ns, name in EXCEPTIONS if not hasattr(_resolve(keras, ns), name)]
    assert gone == [], "Keras no longer has these"


def test_aliased_names_are_the_same_objects():
    # Keras exports some objects under several namespaces; kerasj keeps them identical.
    pairs = [("utils.serialize_keras_object", "saving.serialize_keras_object"),
             ("utils.get_custom_objects", "saving.get_custom_objects"),
             ("utils.Sequence", "utils.PyDataset"),
             ("preprocessing.image.load_img", "utils.load_img"),
             ("preprocessing.sequence.pad_sequences", "utils.pad_sequences"),
             ("preprocessing.image_dataset_from_directory", "utils.image_dataset_from_directory"),
             ("models.save_model", "saving.save_model"),
             ("backend.clear_session", "utils.clear_session")]
    for left, right in pairs:
        assert _resolve(kerasj, left) is _resolve(kerasj, right), (left, right)


def test_namespaces_import_as_modules():
    # `import keras.utils.legacy` style imports work too (scripts import submodules by path).
    for namespace in filter(None, NAMESPACES):
        assert importlib.import_module(f"kerasj.{namespace}") is _resolve(kerasj, namespace)
