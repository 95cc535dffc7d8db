"""Config, driven through the same calls on Keras 3's and kerasj's."""
import keras
import pytest

import kerasj


@pytest.mark.parametrize("cls", [keras.utils.Config, kerasj.utils.Config])
def test_config_behaves_like_keras(cls):
    config = cls(learning_rate=0.1, momentum=0.9)
    config.seed = 1
    config["beta"] = 2
    assert (config.learning_rate, config["seed"], config.get("nope", 5), len(config), "beta" in config) == \
           (0.1, 1, 5, 4, True)
    assert list(config) == ["beta", "learning_rate", "momentum", "seed"]
    assert config.as_dict() == {"learning_rate": 0.1, "momentum": 0.9, "seed": 1, "beta": 2}
    assert config.to_json() == '{"learning_rate": 0.1, "momentum": 0.9, "seed": 1, "beta": 2}'
    with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
        config.momentun
    config.freeze()
    assert config.frozen
    for mutate in (lambda: setattr(config, "x", 1), lambda: config.__setitem__("x", 1), lambda: config.pop("seed"),
                   lambda: config.update(x=1), lambda: config.__delitem__("seed")):
        with pytest.raises(ValueError, match="frozen"):
            mutate()
    config.unfreeze()
    del config["seed"]
    assert config.pop("beta") == 2 and repr(config) == "<Config {'learning_rate': 0.1, 'momentum': 0.9}>"
