"""Recurrent layers, checked against math and against themselves: one scan whatever the sequence length, mask
semantics, go_backwards and initial states as sequence identities, dropout structure (one mask per sequence,
inference untouched, fresh masks in compiled steps), stateful carry-over, user-defined cells, Bidirectional merge
arithmetic, output shapes, and errors that name the layer."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj import layers

FAST_INIT = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def randomize(layer, seed=3):
    rng = np.random.default_rng(seed)
    layer.set_weights([(rng.normal(size=w.shape) * 0.5).astype(np.float32) for w in layer.get_weights()])
    return layer


def built(layer, shape, seed=3):
    layer.build(shape)
    return randomize(layer, seed)


def scan_count(jaxpr):
    return sum(eqn.primitive.name == "scan" for eqn in jaxpr.eqns)


# -- the loop is one lax.scan ------------------------------------------------------------------------------
@pytest.mark.parametrize("make,feature_shape", [
    (lambda: layers.LSTM(3, return_sequences=True, go_backwards=True, **FAST_INIT), (2,)),
    (lambda: layers.GRU(3, return_state=True, reset_after=False, **FAST_INIT), (2,)),
    (lambda: layers.SimpleRNN(3, unroll=True, **FAST_INIT), (2,)),
    (lambda: layers.RNN([layers.LSTMCell(2, **FAST_INIT), layers.GRUCell(3, **FAST_INIT)]), (2,)),
    (lambda: layers.Bidirectional(layers.GRU(3, return_sequences=True, **FAST_INIT)), (2,)),
    (lambda: layers.ConvLSTM1D(2, 3, padding="same", **FAST_INIT), (4, 1)),
], ids=["lstm", "gru", "simple_rnn_unroll", "stacked", "bidirectional", "conv_lstm1d"])
def test_traced_program_does_not_grow_with_sequence_length(make, feature_shape):
    layer = make()
    sizes = []
    for steps in (5, 50):
        x = jnp.ones((2, steps) + feature_shape)
        mask = jnp.ones((2, steps), bool)
        jaxpr = jax.make_jaxpr(lambda x, mask: layer(x, mask=mask))(x, mask)
        sizes.append((len(jaxpr.eqns), scan_count(jaxpr)))
    assert sizes[0] == sizes[1]
    assert sizes[0][1] == (2 if isinstance(layer, layers.Bidirectional) else 1)


# -- masks, direction and initial states -----------------------------------------------------------------------
def test_masked_steps_keep_the_state_and_repeat_the_output():
    x = rand(2, 5, 3)
    layer = built(layers.LSTM(4, return_sequences=True, return_state=True, **FAST_INIT), x.shape)
    mask = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]], bool)
    seq, h, c = layer(x, mask=mask)
    # Right padding: the same as running on the valid prefix, the last valid output repeated.
    seq_a, h_a, c_a = layer(x[:1, :3])
    np.testing.assert_allclose(seq[0, :3], seq_a[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(seq[0, 3:], np.broadcast_to(seq_a[0, 2], (2, 4)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.stack([h[0], c[0]]), np.stack([h_a[0], c_a[0]]), rtol=1e-6, atol=1e-6)
    # Left padding: masked steps output the (zero) initial state, then it runs on the valid suffix.
    seq_b, h_b, _ = layer(x[1:, 2:])
    np.testing.assert_array_equal(seq[1, :2], np.zeros((2, 4)))
    np.testing.assert_allclose(seq[1, 2:], seq_b[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(h[1], h_b[0], rtol=1e-6, atol=1e-6)


def test_zero_output_for_mask_outputs_zeros_at_masked_steps():
    x = rand(2, 5, 3)
    layer = built(layers.RNN(layers.GRUCell(4, **FAST_INIT), return_sequences=True, zero_output_for_mask=True),
                  x.shape)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    seq = np.asarray(layer(x, mask=mask))
    np.testing.assert_array_equal(seq[0, 3:], 0.0)
    assert np.all(np.abs(seq[1]) > 0)


def test_go_backwards_reads_the_reversed_sequence():
    x = rand(2, 5, 3)
    forward = built(layers.GRU(4, return_sequences=True, **FAST_INIT), x.shape)
    backward = layers.GRU(4, return_sequences=True, go_backwards=True, **FAST_INIT)
    backward.build(x.shape)
    backward.set_weights(forward.get_weights())
    np.testing.assert_allclose(backward(x), forward(x[:, ::-1]), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_initial_state_continues_a_split_sequence(cls):
    x = rand(2, 6, 3)
    layer = built(cls(4, return_sequences=True, return_state=True, **FAST_INIT), x.shape)
    full = layer(x)
    first = layer(x[:, :2])
    second = layer(x[:, 2:], initial_state=list(first[1:]))
    np.testing.assert_allclose(full[0][:, 2:], second[0], rtol=1e-5, atol=1e-6)
    for a, b in zip(full[1:], second[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_unroll_gives_the_same_result():
    x = rand(2, 5, 3)
    rolled = built(layers.LSTM(3, return_sequences=True, **FAST_INIT), x.shape)
    unrolled = layers.LSTM(3, return_sequences=True, unroll=True, **FAST_INIT)
    unrolled.build(x.shape)
    unrolled.set_weights(rolled.get_weights())
    np.testing.assert_allclose(unrolled(x), rolled(x), rtol=1e-6, atol=1e-6)


def test_compute_mask_passes_the_mask_only_with_sequences():
    mask = np.ones((2, 5), bool)
    assert layers.LSTM(3, return_sequences=True).compute_mask(None, mask) is mask
    assert layers.LSTM(3).compute_mask(None, mask) is None
    assert layers.GRU(3, return_sequences=True, return_state=True).compute_mask(None, mask) == [mask, None]
    both = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode=None)
    assert both.compute_mask(None, mask) == [mask, mask]


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.LSTM(3, return_sequences=True, return_state=True, **FAST_INIT), (2, 5, 4)),
    (lambda: layers.RNN([layers.LSTMCell(2, **FAST_INIT), layers.GRUCell(3, **FAST_INIT)], return_state=True),
     (2, 5, 4)),
    (lambda: layers.Bidirectional(layers.GRU(3, return_state=True, **FAST_INIT), merge_mode="concat"), (2, 5, 4)),
    (lambda: layers.ConvLSTM2D(2, 3, strides=2, return_sequences=True, return_state=True, **FAST_INIT),
     (2, 3, 7, 6, 1)),
], ids=["lstm", "stacked", "bidirectional", "conv_lstm2d"])
def test_compute_output_shape_matches_the_output(make, shape):
    layer = make()
    is_shape = lambda s: isinstance(s, tuple) and all(isinstance(d, int) for d in s)  # noqa: E731
    predicted = jax.tree_util.tree_leaves(layer.compute_output_shape(shape), is_leaf=is_shape)
    actual = [tuple(a.shape) for a in jax.tree_util.tree_leaves(jax.eval_shape(layer, jnp.ones(shape)))]
    assert predicted == actual


# -- dropout -----------------------------------------------------------------------------------------------------
def identity_rnn(**kwargs):
    """A linear SimpleRNN with identity kernel (and `recurrent` times identity recurrent kernel), so its
    outputs expose the dropout masks."""
    recurrent = kwargs.pop("recurrent", 0)
    layer = layers.SimpleRNN(8, activation="linear", use_bias=False, return_sequences=True, **FAST_INIT, **kwargs)
    layer.build((16, 5, 8))
    layer.set_weights([np.eye(8, dtype=np.float32), np.eye(8, dtype=np.float32) * recurrent])
    return layer


def test_one_input_dropout_mask_per_sequence():
    layer = identity_rnn(dropout=0.5, seed=1)
    out = np.asarray(layer(np.ones((16, 5, 8), np.float32), training=True))   # out_t = mask (x_t = 1)
    assert set(np.unique(out)) <= {0.0, 2.0}
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1], out.shape))  # same mask at every step
    assert 0.3 < np.mean(out[:, 0] == 0) < 0.7
    assert len({row.tobytes() for row in out[:, 0]}) > 1  # each sequence has its own mask
    np.testing.assert_array_equal(layer(np.ones((16, 5, 8), np.float32)), np.ones((16, 5, 8)))  # inference


def test_one_recurrent_dropout_mask_per_sequence():
    layer = identity_rnn(recurrent_dropout=0.5, seed=2, recurrent=1)
    out = np.asarray(layer(np.ones((16, 5, 8), np.float32), training=True))
    # h_t = 1 + m * h_{t-1} with a fixed m in {0, 2}: each unit is all ones, or 1, 3, 7, 15, 31.
    dropped = np.all(out == 1.0, axis=1)
    kept = np.all(out == np.array([1, 3, 7, 15, 31], np.float32)[None, :, None], axis=1)
    assert np.all(dropped ^ kept)
    assert 0.3 < dropped.mean() < 0.7


def test_dropout_only_in_training_and_fresh_each_call():
    x = rand(2, 5, 3)
    plain = built(layers.LSTM(4, return_sequences=True, **FAST_INIT), x.shape)
    dropped = layers.LSTM(4, return_sequences=True, dropout=0.5, recurrent_dropout=0.5, seed=3, **FAST_INIT)
    dropped.build(x.shape)
    dropped.set_weights(plain.get_weights())
    expected = np.asarray(plain(x))
    np.testing.assert_allclose(dropped(x), expected, rtol=1e-6, atol=1e-6)  # inference by default
    step = kerasj.function(lambda x: dropped(x, training=True))  # compiled: the seed state advances per call
    a, b = np.asarray(step(x)), np.asarray(step(x))
    assert np.abs(a - expected).max() > 1e-3
    assert np.abs(a - b).max() > 1e-3


@pytest.mark.parametrize("make,gates", [
    (lambda: layers.LSTMCell(3, dropout=0.5, recurrent_dropout=0.5), 4),
    (lambda: layers.GRUCell(3, dropout=0.5, recurrent_dropout=0.5), 3),
    (lambda: layers.GRUCell(3, dropout=0.5, recurrent_dropout=0.5, reset_after=False), 3),
], ids=["lstm", "gru", "gru_reset_before"])
def test_each_gate_has_its_own_dropout_masks(make, gates):
    """With recurrent dropout each gate gets its own masks (as Keras): dropping everything for gate g only is
    the same as zeroing gate g's block of the kernel (input mask) or recurrent kernel (recurrent mask)."""
    cell = make()
    assert cell.dropout_mask_count == gates
    cell.build((2, 2))
    randomize(cell)
    x = rand(2, 2, seed=1)
    states = [rand(2, 3, seed=2 + i) for i in range(2 if isinstance(cell, layers.LSTMCell) else 1)]
    weights = cell.get_weights()
    for g in range(gates):
        # Gate g drops all of its input and recurrent features (the masks an RNN fixes for one sequence).
        cell._dropout_mask = jnp.ones((gates,) + x.shape).at[g].set(0.0)
        cell._recurrent_dropout_mask = jnp.ones((gates,) + states[0].shape).at[g].set(0.0)
        dropped = cell(x, states, training=True)[0]
        cell.clear_dropout_masks()
        zeroed = [w.copy() for w in weights]
        for kernel in zeroed[:2]:
            kernel[:, g * 3:(g + 1) * 3] = 0.0
        cell.set_weights(zeroed)
        reference = cell(x, states)[0]
        cell.set_weights(weights)
        np.testing.assert_allclose(dropped, reference, rtol=1e-5, atol=1e-6)


# -- stateful ------------------------------------------------------------------------------------------------------
def test_stateful_layer_carries_states_between_calls():
    x = rand(2, 6, 3)
    whole = built(layers.LSTM(4, return_sequences=True, **FAST_INIT), x.shape)
    stateful = layers.LSTM(4, return_sequences=True, stateful=True, **FAST_INIT)
    stateful.build(x.shape)
    stateful.set_weights(whole.get_weights())
    expected = np.asarray(whole(x))
    np.testing.assert_allclose(stateful(x[:, :2]), expected[:, :2], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(stateful(x[:, 2:]), expected[:, 2:], rtol=1e-5, atol=1e-6)
    # The states are non-trainable state variables, not weights.
    assert len(stateful.weights) == 3
    assert all(any(s is v for v in stateful.non_trainable_variables) for s in stateful.states)
    assert not any(s is v for s in stateful.states for v in stateful.trainable_variables)
    stateful.reset_states()
    assert all(np.all(np.asarray(s.numpy()) == 0) for s in stateful.states)
    np.testing.assert_allclose(stateful(x[:, :2]), expected[:, :2], rtol=1e-6, atol=1e-6)
    stateful.reset_state(states=[np.ones((2, 4)), np.zeros((2, 4))])
    np.testing.assert_array_equal(stateful.states[0].numpy(), np.ones((2, 4)))


def test_stateful_states_advance_inside_compiled_functions():
    x = rand(2, 4, 3)
    layer = built(layers.GRU(3, stateful=True, **FAST_INIT), x.shape)
    step = kerasj.function(lambda x: layer(x))
    first, second = np.asarray(step(x)), np.asarray(step(x))
    assert np.abs(first - second).max() > 1e-4
    np.testing.assert_allclose(layer.states[0].numpy(), second, rtol=1e-6)


def test_stateful_needs_a_fixed_batch_size():
    with pytest.raises(ValueError, match="'gru_stateful'.*fixed batch size"):
        kerasj.Sequential([kerasj.Input((5, 3)), layers.GRU(3, stateful=True, name="gru_stateful", **FAST_INIT)])
    layer = layers.GRU(3, stateful=True, name="gru_batch", **FAST_INIT)
    layer(np.ones((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match="'gru_batch' is stateful.*batch size 2.*3"):
        layer(np.ones((3, 5, 3), np.float32))


# -- user-defined cells ---------------------------------------------------------------------------------------
class MinimalRNNCell(layers.Layer):
    """The cell from the Keras RNN guide."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="zeros", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="zeros",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = inputs @ self.kernel.value + states[0] @ self.recurrent_kernel.value
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_custom_cell_runs_the_recurrence():
    x = rand(2, 4, 3)
    layer = built(layers.RNN(MinimalRNNCell(2), return_sequences=True), x.shape)
    kernel, recurrent = layer.get_weights()
    h, expected = np.zeros((2, 2), np.float32), []
    for t in range(4):
        h = x[:, t] @ kernel + h @ recurrent
        expected.append(h)
    np.testing.assert_allclose(layer(x), np.stack(expected, axis=1), rtol=1e-5, atol=1e-6)
    stacked = layers.RNN([MinimalRNNCell(3), layers.LSTMCell(2, **FAST_INIT)], return_state=True)
    output, custom_state, (h, c) = stacked(x)
    assert output.shape == custom_state.shape[:1] + (2,) and custom_state.shape == (2, 3)


def test_bidirectional_copies_custom_cells_from_their_config():
    layer = layers.Bidirectional(layers.RNN(MinimalRNNCell(2), return_sequences=True))
    assert layer(rand(2, 4, 3)).shape == (2, 4, 4)
    assert layer.forward_layer.cell is not layer.backward_layer.cell

    class NoConfigCell(MinimalRNNCell):
        def get_config(self):
            return layers.Layer.get_config(self)

    with pytest.raises(ValueError, match="Could not copy layer.*get_config"):
        layers.Bidirectional(layers.RNN(NoConfigCell(2)))


# -- Bidirectional ------------------------------------------------------------------------------------------------
def test_bidirectional_merge_modes_combine_the_two_directions():
    x = rand(2, 5, 3)
    layer = built(layers.Bidirectional(layers.LSTM(3, return_sequences=True, **FAST_INIT), merge_mode=None),
                  x.shape)

    @jax.jit  # one program for all the calls below
    def outputs(x):
        results = {"backward": layer.backward_layer(x)}
        for mode in (None, "concat", "sum", "mul", "ave"):
            layer.merge_mode = mode
            results[str(mode)] = layer(x)
        return results

    results = jax.tree_util.tree_map(np.asarray, outputs(x))
    y, y_rev = results["None"]
    np.testing.assert_allclose(y_rev, results["backward"][:, ::-1], rtol=1e-6, atol=1e-6)  # input order
    expected = {"concat": np.concatenate([y, y_rev], -1), "sum": y + y_rev, "mul": y * y_rev,
                "ave": (y + y_rev) / 2}
    for mode, value in expected.items():
        np.testing.assert_allclose(results[mode], value, rtol=1e-6, atol=1e-6)


def test_bidirectional_returns_forward_then_backward_states():
    x = rand(2, 5, 3)
    layer = built(layers.Bidirectional(layers.LSTM(3, return_state=True, **FAST_INIT)), x.shape)
    output, fh, fc, bh, bc = layer(x)
    np.testing.assert_allclose(output, np.concatenate([fh, bh], -1), rtol=1e-6, atol=1e-6)
    assert [w.path.split("/")[-3] for w in layer.weights][::3] == [layer.forward_layer.name,
                                                                   layer.backward_layer.name]
    assert layer.forward_layer.name.startswith("forward_") and layer.backward_layer.go_backwards


# -- functional API, regularizers --------------------------------------------------------------------------------
def test_encoder_decoder_with_symbolic_initial_state():
    encoder_in = kerasj.Input((None, 3))
    _, h, c = layers.LSTM(4, return_state=True, **FAST_INIT)(encoder_in)
    decoder_in = kerasj.Input((None, 2))
    decoded = layers.LSTM(4, return_sequences=True, **FAST_INIT)(decoder_in, initial_state=[h, c])
    assert tuple(h.shape) == (None, 4) and tuple(decoded.shape) == (None, None, 4)


def test_weight_regularizers_add_losses():
    layer = layers.GRU(3, kernel_regularizer="l2", recurrent_regularizer="l1", **FAST_INIT)
    layer.build((2, 5, 3))
    assert len(layer.losses) == 2


# -- errors ------------------------------------------------------------------------------------------------------
def test_bad_inputs_fail_with_the_layer_name():
    with pytest.raises(ValueError, match="'lstm_2d'.*expected ndim=3, found ndim=2"):
        layers.LSTM(3, name="lstm_2d")(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="'rnn_2d'.*expected min_ndim=3, found ndim=2"):
        layers.RNN(layers.GRUCell(3), name="rnn_2d")(np.ones((2, 3), np.float32))
    layer = layers.LSTM(3, name="lstm_checks", **FAST_INIT)
    x = np.ones((2, 5, 4), np.float32)
    with pytest.raises(ValueError, match=r"'lstm_checks'.*mask must have shape.*\(2, 5\).*\(2, 4\)"):
        layer(x, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"'lstm_checks': initial_state\[1\] must have shape \(2, 3\).*\(2, 4\)"):
        layer(x, initial_state=[np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="'lstm_checks' expects 2 initial state array"):
        layer(x, initial_state=[np.zeros((2, 3))])


@pytest.mark.parametrize("make,match", [
    (lambda: layers.LSTM(0), "LSTM: `units` must be a positive integer; received units=0"),
    (lambda: layers.GRU(-2), "GRU: `units` must be a positive integer"),
    (lambda: layers.SimpleRNNCell(2.5), "SimpleRNNCell: `units` must be a positive integer"),
    (lambda: layers.ConvLSTM2D(0, 3), "ConvLSTMCell: `filters` must be a positive integer"),
    (lambda: layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2), "`strides` > 1 cannot be combined"),
    (lambda: layers.ConvLSTM1D(2, 3, padding="full"), "`padding` must be one of"),
    (lambda: layers.LSTM(3, dropout="high"), "`dropout` must be a float"),
    (lambda: layers.GRU(3, use_cudnn="yes"), "`use_cudnn` must be one of"),
    (lambda: layers.Bidirectional(layers.LSTM(3), merge_mode="max"), "invalid `merge_mode` 'max'"),
    (lambda: layers.Bidirectional("lstm"), "`layer` must be a kerasj Layer"),
    (lambda: layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3)), "different `go_backwards`"),
    (lambda: layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3, go_backwards=True,
                                                                             return_sequences=True)),
     "same `return_sequences`"),
    (lambda: layers.RNN(object()), "must have a `call"),
    (lambda: layers.RNN(layers.Dense(3)), "`state_size`"),
], ids=["lstm_units", "gru_units", "cell_units", "filters", "strides_dilation", "padding", "dropout", "cudnn",
        "merge_mode", "bidirectional_layer", "bidirectional_direction", "bidirectional_sequences",
        "no_call", "no_state_size"])
def test_bad_arguments_fail_early(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_conv_lstm_rejects_wrong_rank_and_empty_output():
    with pytest.raises(ValueError, match="'conv_lstm_rank'.*expected ndim=5, found ndim=4"):
        layers.ConvLSTM2D(2, 3, name="conv_lstm_rank")(np.ones((1, 3, 5, 1), np.float32))
    with pytest.raises(ValueError, match="convolution output would be empty"):
        layers.ConvLSTM2D(2, 5)(np.ones((1, 3, 4, 4, 1), np.float32))
