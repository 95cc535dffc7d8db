"""Behaviour of the optimizers added to kerasj.optimizers: signatures and config keys as Keras 3, config
round trips, bad arguments, MultiOptimizer dispatch, LossScaleOptimizer state, and keras.optimizers.legacy."""
import inspect
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj
from kerasj import optimizers

NEW = ["Lamb", "Muon", "ScheduleFreeAdamW", "LossScaleOptimizer", "MultiOptimizer"]


def _make(lib, name):
    if name == "LossScaleOptimizer":
        return lib.optimizers.LossScaleOptimizer(lib.optimizers.Adam(0.01), initial_scale=64.0)
    if name == "MultiOptimizer":
        return lib.optimizers.MultiOptimizer(lib.optimizers.OptimizerMap(lib.optimizers.SGD(0.1),
                                                                         {".*bias": lib.optimizers.Adam()}))
    return getattr(lib.optimizers, name)(learning_rate=0.01)


@pytest.mark.parametrize("name", NEW + ["OptimizerMap"])
def test_signature_matches_keras(name):
    assert inspect.signature(getattr(optimizers, name)) == inspect.signature(getattr(keras.optimizers, name))


@pytest.mark.parametrize("name", NEW)
def test_config_keys_match_keras_and_round_trip_through_json(name):
    ours, theirs = _make(kerasj, name), _make(keras, name)
    assert list(ours.get_config()) == list(theirs.get_config())
    config = json.loads(json.dumps(optimizers.serialize(ours)))
    rebuilt = optimizers.deserialize(config)
    assert type(rebuilt) is type(ours)
    assert json.dumps(rebuilt.get_config(), sort_keys=True) == json.dumps(ours.get_config(), sort_keys=True)


def test_bare_names_resolve():
    for name in ("lamb", "muon", "schedulefreeadamw", "Lamb", "ScheduleFreeAdamW"):
        assert type(optimizers.get(name)).__name__.lower() == name.lower()
    with pytest.raises(ValueError, match="Valid names"):
        optimizers.get("LossScaleOptimizer")  # needs an inner optimizer: a config dict only


def test_bad_arguments_fail_early_naming_the_argument():
    with pytest.raises(TypeError, match="inner_optimizer"):
        optimizers.LossScaleOptimizer("adam")
    with pytest.raises(ValueError, match="dynamic_growth_steps"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic_growth_steps=0)
    with pytest.raises(ValueError, match="initial_scale"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=-1.0)
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="ns_steps"):
        optimizers.Muon(ns_steps=-1)
    with pytest.raises(ValueError, match="exclude_layers"):
        optimizers.Muon(exclude_layers="dense")
    with pytest.raises(TypeError, match="default_optimizer"):
        optimizers.OptimizerMap("sgd")
    with pytest.raises(ValueError, match="cannot be a LossScaleOptimizer"):
        optimizers.OptimizerMap(optimizers.SGD())["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())


def test_optimizer_map_lookup_order():
    adam, sgd, rms = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    mapping = optimizers.OptimizerMap(default_optimizer=rms)
    mapping["encoder/layer_0/dense"] = adam
    mapping["encoder/.*"] = sgd
    assert mapping["encoder/layer_0/dense"] is adam  # exact key first
    assert mapping["encoder/layer_0/attention"] is sgd  # then the one matching pattern
    assert mapping["decoder/dense"] is rms  # else the default
    with pytest.raises(ValueError, match="already mapped"):
        mapping["encoder/.*"] = adam
    mapping["encoder/layer_.*"] = adam
    with pytest.raises(ValueError, match="several patterns"):
        mapping["encoder/layer_1/x"]


def test_multi_optimizer_dispatches_and_has_no_single_learning_rate():
    layer = kerasj.layers.Dense(2, name="dense")
    layer.build((None, 2))
    layer.set_weights([np.ones((2, 2), "float32"), np.zeros(2, "float32")])
    opt = optimizers.MultiOptimizer(lambda v: sgd_kernel if "kernel" in v.path else sgd_bias, loss_scale_factor=2.0)
    sgd_kernel, sgd_bias = optimizers.SGD(0.1), optimizers.SGD(1.0)
    opt.apply([np.ones((2, 2), "float32"), np.ones(2, "float32")], layer.trainable_variables)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(kernel, 1 - 0.1 * 0.5)  # each gradient divided by loss_scale_factor first
    np.testing.assert_allclose(bias, -1.0 * 0.5)
    assert opt.optimizers == [sgd_kernel, sgd_bias] and int(opt.iterations.value) == 1
    with pytest.raises(AttributeError, match="no single learning rate"):
        opt.learning_rate


def test_loss_scale_optimizer_scales_the_loss_and_exposes_the_inner_state():
    inner = optimizers.SGD(0.5)
    opt = optimizers.LossScaleOptimizer(inner, initial_scale=4.0)
    assert float(opt.scale_loss(3.0)) == 12.0  # before build: the initial scale
    variable = kerasj.Variable(np.ones(3, "float32"))
    opt.apply([np.full(3, 8.0, "float32")], [variable])  # unscaled gradient 2.0
    np.testing.assert_allclose(variable.numpy(), 1 - 0.5 * 2.0)
    assert opt.iterations is inner.iterations and float(opt.learning_rate.value) == 0.5
    opt.learning_rate = 0.1
    assert float(inner.learning_rate.value) == pytest.approx(0.1)
    assert [v.path.split("/")[-1] for v in opt.variables] == ["iteration", "learning_rate", "step_counter",
                                                               "dynamic_scale", "iteration", "learning_rate"]


def test_schedule_free_momentum_starts_at_the_weights_and_lamb_uses_the_trust_ratio():
    variable = kerasj.Variable(np.array([3.0, 4.0], "float32"))
    sf = optimizers.ScheduleFreeAdamW()
    sf.build([variable])
    np.testing.assert_array_equal(sf.variables[2].numpy(), [3.0, 4.0])
    lamb = optimizers.Lamb(0.1)
    lamb.apply([np.array([1.0, 0.0], "float32")], [variable])
    # First step: m_hat = g, v_hat = g**2, so the direction is ~[1, 0]; the ratio ||w|| / ||r|| = 5.
    np.testing.assert_allclose(variable.numpy(), [3.0 - 0.1 * 5.0, 4.0], rtol=1e-5)


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"])
def test_legacy_namespace_names_exist_and_raise_like_keras(name):
    with pytest.raises(ImportError, match="not supported in Keras 3"):
        getattr(optimizers.legacy, name)(learning_rate=0.1)
    with pytest.raises(ImportError):
        getattr(keras.optimizers.legacy, name)(learning_rate=0.1)
