"""Recurrent layers: the RNN loop (`RNN`, `StackedRNNCells`), cells and layers (SimpleRNN, LSTM, GRU),
convolutional LSTMs and the `Bidirectional` wrapper."""
from kerasj.layers.recurrent.bidirectional import Bidirectional
from kerasj.layers.recurrent.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from kerasj.layers.recurrent.gru import GRU, GRUCell
from kerasj.layers.recurrent.lstm import LSTM, LSTMCell
from kerasj.layers.recurrent.rnn import RNN
from kerasj.layers.recurrent.simple_rnn import SimpleRNN, SimpleRNNCell
from kerasj.layers.recurrent.stacked_rnn_cells import StackedRNNCells
