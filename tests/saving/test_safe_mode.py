"""Safe mode is on unless the caller says otherwise: only an explicit `safe_mode=False`, an open
`safe_mode_scope(False)` or `kerasj.config.enable_unsafe_deserialization()` turns it off. `safe_mode=None`
means the current setting, everywhere (the model's config, its compile config, Lambda layers)."""
import json
import zipfile

import numpy as np
import pytest

import kerasj
from kerasj.layers import Dense, Input
from kerasj.saving.function_serialization import serialize_function
from kerasj.saving import keras_archive, safe_mode
from kerasj.saving.safe_mode import in_safe_mode, resolve_safe_mode, safe_mode_scope

X, Y = np.ones((2, 3), "float32"), np.zeros((2, 2), "float32")


@pytest.fixture(autouse=True)
def safe_by_default(monkeypatch):
    """Each test starts with the process-wide switch off, and leaves it as it found it."""
    monkeypatch.setattr(safe_mode, "_unsafe_enabled", False)


@pytest.fixture
def marked(tmp_path):
    """(path of a `.keras` file whose compiled loss is a saved lambda that creates `marker`, marker)."""
    marker = tmp_path / "the_lambda_ran"
    model = kerasj.Sequential([Input((3,)), Dense(2)])
    model.compile("sgd", "mse")
    path = tmp_path / "lambda_loss.keras"
    model.save(path)
    payload = lambda y_true, y_pred, marker=str(marker): (
        open(marker, "w").close(), kerasj.ops.mean((y_true - y_pred) ** 2))[1]
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(members[keras_archive.CONFIG_NAME])
    config["compile_config"]["loss"] = serialize_function(payload, "test")
    assert config["compile_config"]["loss"]["class_name"] == "__lambda__"
    members[keras_archive.CONFIG_NAME] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path, marker


def _load_and_evaluate(path, **kwargs):
    model = kerasj.models.load_model(path, **kwargs)
    model.evaluate(X, Y, verbose=0)
    return model


@pytest.mark.parametrize("kwargs", [{}, {"safe_mode": None}, {"safe_mode": True}], ids=["default", "None", "True"])
def test_a_lambda_in_the_compile_config_is_refused_in_safe_mode(marked, kwargs):
    path, marker = marked
    with pytest.raises(ValueError, match=r"lambda.*refused in safe mode"):
        _load_and_evaluate(path, **kwargs)
    assert not marker.exists()


def test_compile_false_never_reads_the_compile_config(marked):
    path, marker = marked
    kerasj.models.load_model(path, compile=False).predict(X, verbose=0)
    assert not marker.exists()


def test_explicit_false_runs_the_lambda(marked):
    path, marker = marked
    _load_and_evaluate(path, safe_mode=False)
    assert marker.exists()


def test_none_follows_enable_unsafe_deserialization(marked):
    path, marker = marked
    kerasj.config.enable_unsafe_deserialization()
    assert not in_safe_mode()
    _load_and_evaluate(path, safe_mode=None)
    assert marker.exists()


def test_default_follows_enable_unsafe_deserialization_as_in_keras(marked):
    path, marker = marked
    kerasj.config.enable_unsafe_deserialization()
    _load_and_evaluate(path)
    assert marker.exists()


@pytest.mark.parametrize("value", [None, True])
def test_none_and_true_follow_an_open_scope(marked, value):
    path, marker = marked
    with safe_mode_scope(False):
        _load_and_evaluate(path, safe_mode=value)
    assert marker.exists()


def test_resolve_safe_mode():
    assert resolve_safe_mode(None) is True and resolve_safe_mode(True) is True
    assert resolve_safe_mode(False) is False
    with safe_mode_scope(False):
        assert resolve_safe_mode(None) is False and resolve_safe_mode(True) is False
    with safe_mode_scope(True):  # an open scope decides, as Keras's SafeModeScope does
        assert resolve_safe_mode(False) is True
    for value in (0, "", "no", [], 1):  # only the explicit False turns safe mode off; nothing is guessed
        with pytest.raises(ValueError, match="`safe_mode` must be True, False or None"):
            resolve_safe_mode(value)
    with pytest.raises(ValueError, match="`safe_mode` must be True, False or None"):
        kerasj.saving.deserialize_keras_object({"class_name": "__tuple__", "config": {"value": []}}, safe_mode=0)


def test_lambda_layer_from_config_uses_the_same_rule():
    config = kerasj.layers.Lambda(lambda t: t + 1.0).get_config()
    with pytest.raises(ValueError, match="refused in safe mode"):
        kerasj.layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="`safe_mode` must be True, False or None"):
        kerasj.layers.Lambda.from_config(config, safe_mode=0)
    layer = kerasj.layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(layer(X), X + 1.0)
