"""is_keras_tensor and get_source_inputs on small functional graphs."""
import numpy as np

import kerasj


def test_is_keras_tensor():
    assert kerasj.utils.is_keras_tensor(kerasj.Input((3,)))
    assert not kerasj.utils.is_keras_tensor(np.zeros(3))


def test_get_source_inputs_finds_each_input_once_in_order():
    a, b = kerasj.Input((3,)), kerasj.Input((3,))
    assert kerasj.utils.get_source_inputs(a) == [a]
    h = kerasj.layers.Dense(3)(a)
    y = kerasj.layers.Add()([h, b, a])
    sources = kerasj.utils.get_source_inputs(y)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b


def test_get_source_inputs_passes_non_tensors_through():
    x = np.zeros(2)
    assert kerasj.utils.get_source_inputs(x) is x
