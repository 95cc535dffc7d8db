"""kerasj.optimizers.get / serialize / deserialize."""
import optax
import pytest

from kerasj import optimizers
from kerasj.optimizers import SGD, Adam, OptaxOptimizer


@pytest.mark.parametrize("name,cls", [("sgd", SGD), ("SGD", SGD), ("adam", Adam), ("Adam", Adam)])
def test_names_resolve_to_fresh_instances(name, cls):
    a, b = optimizers.get(name), optimizers.get(name)
    assert type(a) is cls and a is not b


def test_instances_none_and_optax():
    opt = Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    wrapped = optimizers.get(optax.sgd(0.1))
    assert isinstance(wrapped, OptaxOptimizer)
    assert isinstance(optimizers.get(optax.adamw(1e-3)), OptaxOptimizer)


@pytest.mark.parametrize("cls", [optimizers.RMSprop, optimizers.AdamW, optimizers.Adagrad, optimizers.Adadelta,
                                 optimizers.Adamax, optimizers.Nadam, optimizers.Ftrl, optimizers.Lion,
                                 optimizers.Adafactor])
def test_every_keras_optimizer_resolves_by_both_names(cls):
    assert type(optimizers.get(cls.__name__)) is cls
    assert type(optimizers.get(cls.__name__.lower())) is cls
    assert type(optimizers.deserialize(optimizers.serialize(cls()))) is cls


def test_unknown_identifiers_list_valid_names():
    with pytest.raises(ValueError, match=r"Valid names: \['Adadelta', 'Adafactor', .*'rmsprop', .*'sgd'\]"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(3)
    with pytest.raises(ValueError, match="Valid names"):
        optimizers.get("OptaxOptimizer")  # needs a transformation, so it has no bare-name form


def test_serialize_deserialize_round_trip():
    opt = SGD(0.5, momentum=0.9, name="my_sgd")
    config = optimizers.serialize(opt)
    assert config["module"] == "keras.optimizers" and config["class_name"] == "SGD"
    rebuilt = optimizers.get(config)
    assert isinstance(rebuilt, SGD) and rebuilt.get_config() == opt.get_config()
    assert isinstance(optimizers.deserialize({"class_name": "adam", "config": {"learning_rate": 0.1}}), Adam)


def test_schedule_round_trips_inside_the_optimizer_config():
    schedule = optimizers.schedules.InverseTimeDecay(0.1, 10, 0.5)
    rebuilt = optimizers.deserialize(optimizers.serialize(Adam(schedule)))
    assert isinstance(rebuilt._learning_rate, optimizers.schedules.InverseTimeDecay)
    assert rebuilt._learning_rate.get_config() == schedule.get_config()


def test_custom_objects():
    class MySGD(SGD):
        pass

    rebuilt = optimizers.deserialize({"class_name": "MySGD", "config": {}}, custom_objects={"MySGD": MySGD})
    assert type(rebuilt) is MySGD
