"""Layers: `kerasj.layers.Dense`, `Dropout`, ... (Keras 3 names and arguments)."""
from kerasj.layers.core import Activation, Dense, Identity
from kerasj.layers.input_layer import Input, InputLayer
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                    average, concatenate, dot, maximum, minimum, multiply, subtract)
from kerasj.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                                          UnitNormalization)
from kerasj.layers.preprocessing.normalization import Normalization
from kerasj.layers.regularization import Dropout
from kerasj.layers.reshaping import Flatten, Reshape
from kerasj.layers.serialization import deserialize_layer as deserialize
from kerasj.layers.serialization import serialize_layer as serialize
