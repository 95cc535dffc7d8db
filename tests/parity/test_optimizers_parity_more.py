"""The other Keras 3 optimizers (RMSprop, AdamW, Adagrad, Adadelta, Adamax, Nadam, Ftrl, Lion, Adafactor) in
kerasj against keras.optimizers (JAX backend): from the same initial variables, five steps of random gradients
give the same variables and optimizer state after every step; variable paths, order and configs match; and a
small model trained with each of them for two epochs gives the same history and weights."""
import importlib.util
import os
import re
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj


def _sibling(name):
    # Test files are not a package (pytest runs with --import-mode=importlib), so load the helpers by path.
    spec = importlib.util.spec_from_file_location(f"_parity_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


base = _sibling("test_optimizers_parity")
training = _sibling("test_training_parity")

# Each rule with Keras's defaults, and with non-default arguments that switch on every branch of the rule.
RULES = {
    "rmsprop": lambda lib, **kw: lib.optimizers.RMSprop(**kw),
    "rmsprop_momentum_centered": lambda lib, **kw: lib.optimizers.RMSprop(
        0.01, rho=0.8, momentum=0.9, epsilon=1e-4, centered=True, **kw),
    "rmsprop_momentum": lambda lib, **kw: lib.optimizers.RMSprop(0.02, momentum=0.5, **kw),
    "adamw": lambda lib, **kw: lib.optimizers.AdamW(**kw),
    "adamw_amsgrad": lambda lib, **kw: lib.optimizers.AdamW(
        0.02, weight_decay=0.1, beta_1=0.8, beta_2=0.95, epsilon=1e-5, amsgrad=True, **kw),
    "adagrad": lambda lib, **kw: lib.optimizers.Adagrad(**kw),
    "adagrad_custom": lambda lib, **kw: lib.optimizers.Adagrad(0.1, initial_accumulator_value=0.5,
                                                               epsilon=1e-3, **kw),
    "adadelta": lambda lib, **kw: lib.optimizers.Adadelta(**kw),
    "adadelta_custom": lambda lib, **kw: lib.optimizers.Adadelta(1.0, rho=0.8, epsilon=1e-4, **kw),
    "adamax": lambda lib, **kw: lib.optimizers.Adamax(**kw),
    "adamax_custom": lambda lib, **kw: lib.optimizers.Adamax(0.05, beta_1=0.7, beta_2=0.9, epsilon=1e-4, **kw),
    "nadam": lambda lib, **kw: lib.optimizers.Nadam(**kw),
    "nadam_custom": lambda lib, **kw: lib.optimizers.Nadam(0.05, beta_1=0.8, beta_2=0.95, epsilon=1e-4, **kw),
    "ftrl": lambda lib, **kw: lib.optimizers.Ftrl(**kw),
    "ftrl_custom": lambda lib, **kw: lib.optimizers.Ftrl(
        0.2, learning_rate_power=-0.7, initial_accumulator_value=0.3, l1_regularization_strength=0.05,
        l2_regularization_strength=0.1, l2_shrinkage_regularization_strength=0.02, beta=0.5, **kw),
    "lion": lambda lib, **kw: lib.optimizers.Lion(**kw),
    "lion_custom": lambda lib, **kw: lib.optimizers.Lion(0.01, beta_1=0.5, beta_2=0.9, **kw),
    "adafactor": lambda lib, **kw: lib.optimizers.Adafactor(**kw),
    "adafactor_custom": lambda lib, **kw: lib.optimizers.Adafactor(
        0.5, beta_2_decay=-0.6, epsilon_1=1e-20, epsilon_2=1e-2, clip_threshold=0.5, relative_step=False, **kw),
}

OPTIONS = {
    "weight_decay": {"weight_decay": 0.05},
    "clipnorm": {"clipnorm": 0.5},
    "global_clipnorm": {"global_clipnorm": 1.0},
    "ema": {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 2},
    "gradient_accumulation": {"gradient_accumulation_steps": 2},
}
# The base-class options are shared code, so each is crossed with a few rules, not all of them.
OPTION_CASES = [("rmsprop_momentum_centered", "weight_decay"), ("lion_custom", "weight_decay"),
                ("ftrl_custom", "clipnorm"), ("adadelta_custom", "global_clipnorm"), ("nadam_custom", "ema"),
                ("adafactor_custom", "ema"), ("nadam_custom", "gradient_accumulation"),
                ("adafactor", "gradient_accumulation")]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_update_rules_match_keras(rule):
    base.run_parity(RULES[rule])


@pytest.mark.parametrize("rule,option", OPTION_CASES)
def test_update_rules_with_options_match_keras(rule, option):
    base.run_parity(lambda lib: RULES[rule](lib, **OPTIONS[option]))


def test_adafactor_factored_slots_on_three_dims_match_keras():
    # A 3-D variable: Adafactor factors the last two axes and keeps the leading one.
    rng = np.random.default_rng(4)
    w0 = rng.normal(size=(2, 3, 4)).astype(np.float32)
    opt_ours, vars_ours, opt_theirs, vars_theirs = base.make_pair(RULES["adafactor_custom"], [w0])
    for step in range(base.STEPS):
        grads = [rng.normal(size=w0.shape).astype(np.float32)]
        opt_ours.apply_gradients(zip(grads, vars_ours))
        opt_theirs.apply_gradients(zip(grads, vars_theirs))
        base.assert_state_close(opt_ours, vars_ours, opt_theirs, vars_theirs, step)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_variable_paths_order_and_dtypes_match_keras(rule):
    opt_ours, opt_theirs = RULES[rule](kerasj, name="opt"), RULES[rule](keras, name="opt")
    opt_ours.build(base.build_model(kerasj).trainable_variables)
    opt_theirs.build(base.build_model(keras).trainable_variables)
    # Keras numbers unnamed Variables with a session-wide counter (Nadam's product is "variable_4" after four
    # others), so that suffix is not compared.
    paths_theirs = [re.sub(r"^variable_\d+$", "variable", v.path) for v in opt_theirs.variables]
    assert [v.path for v in opt_ours.variables] == paths_theirs
    assert [v.dtype for v in opt_ours.variables] == [v.dtype for v in opt_theirs.variables]
    assert [v.shape for v in opt_ours.variables] == [tuple(v.shape) for v in opt_theirs.variables]
    for a, b in zip(opt_ours.variables, opt_theirs.variables):
        np.testing.assert_array_equal(a.numpy(), np.asarray(b.value), err_msg=b.path)


def test_default_names_match_keras():
    # Default names come from the class name (RMSprop -> "rm_sprop", AdamW -> "adam_w").
    def base_name(optimizer):
        return re.sub(r"_\d+$", "", optimizer.name)  # without the uniquifying counter

    for rule in ("rmsprop", "adamw", "adagrad", "adadelta", "adamax", "nadam", "ftrl", "lion", "adafactor"):
        assert base_name(RULES[rule](kerasj)) == base_name(RULES[rule](keras))
    assert base_name(kerasj.optimizers.RMSprop()) == "rm_sprop"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_configs_match_keras(rule):
    extra = {"clipnorm": 1.0, "use_ema": True} if rule.endswith("custom") else {}
    ours, theirs = RULES[rule](kerasj, **extra), RULES[rule](keras, **extra)
    assert base.config_without_name(ours) == base.config_without_name(theirs)
    serialized = kerasj.optimizers.serialize(ours)
    assert serialized["class_name"] == keras.optimizers.serialize(theirs)["class_name"]
    rebuilt = kerasj.optimizers.deserialize(serialized)
    assert type(rebuilt) is type(ours)
    assert base.config_without_name(rebuilt) == base.config_without_name(ours)
    assert base.config_without_name(type(ours).from_config(theirs.get_config())) == \
        base.config_without_name(theirs)
    assert base.config_without_name(type(theirs).from_config(ours.get_config())) == \
        base.config_without_name(ours)


@pytest.mark.parametrize("name", ["rmsprop", "adamw", "adagrad", "adadelta", "adamax", "nadam", "ftrl", "lion",
                                  "adafactor", "RMSprop", "AdamW", "Adafactor"])
def test_get_by_name_matches_keras(name):
    ours, theirs = kerasj.optimizers.get(name), keras.optimizers.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert base.config_without_name(ours) == base.config_without_name(theirs)


def test_jit_through_state_scope_matches_keras():
    # Nadam's shared product and Adafactor's placeholders are state too: they must travel through jit.
    for rule in ("nadam_custom", "adafactor_custom", "rmsprop_momentum_centered"):
        opt_ours, vars_ours, opt_theirs, vars_theirs = base.make_pair(RULES[rule], base.initial_values())
        grads = base.gradient_sequence()
        base.jitted_steps(opt_ours, vars_ours, grads)
        for g in grads:
            opt_theirs.apply_gradients(zip(g, vars_theirs))
        base.assert_state_close(opt_ours, vars_ours, opt_theirs, vars_theirs, base.STEPS - 1)


def small_model(lib):
    return lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="relu"),
                           lib.layers.Dense(3, activation="softmax")])


TRAINING = {
    "rmsprop": lambda lib: lib.optimizers.RMSprop(0.01),
    "adamw": lambda lib: lib.optimizers.AdamW(0.01, weight_decay=0.05),
    "adagrad": lambda lib: lib.optimizers.Adagrad(0.1),
    "adadelta": lambda lib: lib.optimizers.Adadelta(1.0),
    "adamax": lambda lib: lib.optimizers.Adamax(0.02),
    "nadam": lambda lib: lib.optimizers.Nadam(0.01),
    "ftrl": lambda lib: lib.optimizers.Ftrl(0.1, l1_regularization_strength=0.001),
    "lion": lambda lib: lib.optimizers.Lion(0.003),
    "adafactor": lambda lib: lib.optimizers.Adafactor(0.1),
}


@pytest.mark.parametrize("name", sorted(TRAINING))
def test_two_epochs_of_training_match_keras(name):
    x, y = training.data()  # 70 samples: batches of 16 end with a partial batch of 6
    ours, theirs = small_model(kerasj), small_model(keras)
    initial = theirs.get_weights()
    ours.set_weights(initial)
    ours.compile(optimizer=TRAINING[name](kerasj), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # Keras runs the same train step eagerly: its numbers are the same, and it skips a compile per optimizer.
    theirs.compile(optimizer=TRAINING[name](keras), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                   run_eagerly=True)
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, err_msg=key)
    training.assert_weights_close(ours, theirs)
    # Ten real updates (5 batches x 2 epochs) that moved every weight away from where it started.
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 10
    for before, after in zip(initial, ours.get_weights()):
        assert np.abs(after - before).max() > 1e-5


def test_compile_default_optimizer_is_rmsprop_like_keras():
    ours, theirs = small_model(kerasj), small_model(keras)
    ours.compile(loss="sparse_categorical_crossentropy")
    theirs.compile(loss="sparse_categorical_crossentropy")
    assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__ == "RMSprop"
    assert base.config_without_name(ours.optimizer) == base.config_without_name(theirs.optimizer)
