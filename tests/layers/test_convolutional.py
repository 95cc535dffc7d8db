"""Convolution layers: output-shape rules, outputs against a naive numpy convolution, causal padding,
transposed convolution as the adjoint of convolution, depthwise/separable structure, weights, errors that
name the layer, and config round trips."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import layers


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# Weights start as ones and get random values from numpy: a jax.random draw compiles a program per new
# shape (about a second each on a busy 2-core machine), which would dominate these tests.
INITIALIZER_ARGS = {"Depthwise": ("depthwise_initializer",),
                    "Separable": ("depthwise_initializer", "pointwise_initializer")}


def make(cls, *args, **kwargs):
    names = next((v for k, v in INITIALIZER_ARGS.items() if cls.__name__.startswith(k)), ("kernel_initializer",))
    for name in names:
        kwargs.setdefault(name, "ones")
    return cls(*args, **kwargs)


def randomize(layer, seed=3):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5 for w in layer.get_weights()])
    return layer


def numpy_conv(x, kernel, strides, dilation, pads, groups=1):
    """Naive cross-correlation of channels-last `x` (batch, *spatial, cin) with `kernel`
    (*window, cin // groups, cout); `pads` is a list of (low, high) zero paddings."""
    rank = x.ndim - 2
    x = np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])
    window = kernel.shape[:rank]
    cin_group, cout = kernel.shape[-2], kernel.shape[-1]
    cout_group = cout // groups
    out_spatial = [(x.shape[1 + a] - ((window[a] - 1) * dilation[a] + 1)) // strides[a] + 1 for a in range(rank)]
    out = np.zeros((x.shape[0],) + tuple(out_spatial) + (cout,), np.float64)
    for pos in np.ndindex(*out_spatial):
        for offset in np.ndindex(*window):
            idx = tuple(p * s + o * d for p, s, o, d in zip(pos, strides, offset, dilation))
            patch = x[(slice(None),) + idx]  # (batch, cin)
            for g in range(groups):
                part = patch[:, g * cin_group:(g + 1) * cin_group]
                out[(slice(None),) + pos + (slice(g * cout_group, (g + 1) * cout_group),)] += (
                    part @ kernel[offset][:, g * cout_group:(g + 1) * cout_group])
    return out


def same_pads(spatial, window, strides, dilation):
    pads = []
    for n, k, s, d in zip(spatial, window, strides, dilation):
        effective = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + effective - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


# -- shapes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,shape,kwargs,expected", [
    (layers.Conv1D, (2, 10, 3), dict(filters=4, kernel_size=3), (2, 8, 4)),
    (layers.Conv1D, (2, 10, 3), dict(filters=4, kernel_size=3, strides=3), (2, 3, 4)),
    (layers.Conv1D, (2, 10, 3), dict(filters=4, kernel_size=3, padding="same", strides=3), (2, 4, 4)),
    (layers.Conv1D, (2, 10, 3), dict(filters=4, kernel_size=3, padding="causal", dilation_rate=3), (2, 10, 4)),
    (layers.Conv1D, (2, 10, 3), dict(filters=4, kernel_size=3, dilation_rate=4), (2, 2, 4)),
    (layers.Conv2D, (2, 9, 8, 3), dict(filters=5, kernel_size=(3, 2), strides=(2, 3)), (2, 4, 3, 5)),
    (layers.Conv2D, (2, 3, 9, 8), dict(filters=5, kernel_size=3, data_format="channels_first"), (2, 5, 7, 6)),
    (layers.Conv3D, (1, 5, 6, 7, 2), dict(filters=3, kernel_size=2, padding="same", strides=2), (1, 3, 3, 4, 3)),
    (layers.Conv1DTranspose, (2, 5, 3), dict(filters=4, kernel_size=3, strides=2), (2, 11, 4)),
    (layers.Conv1DTranspose, (2, 5, 3), dict(filters=4, kernel_size=2, strides=3), (2, 15, 4)),
    (layers.Conv1DTranspose, (2, 5, 3), dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 10, 4)),
    (layers.Conv1DTranspose, (2, 5, 3), dict(filters=4, kernel_size=3, strides=2, output_padding=1), (2, 12, 4)),
    (layers.Conv1DTranspose, (2, 5, 3), dict(filters=4, kernel_size=3, strides=2, padding="same",
                                              output_padding=0), (2, 9, 4)),
    (layers.Conv2DTranspose, (1, 4, 5, 3), dict(filters=2, kernel_size=3, dilation_rate=2), (1, 8, 9, 2)),
    (layers.Conv3DTranspose, (1, 2, 3, 4, 2), dict(filters=3, kernel_size=2, strides=2), (1, 4, 6, 8, 3)),
    (layers.DepthwiseConv1D, (2, 9, 3), dict(kernel_size=3, depth_multiplier=2), (2, 7, 6)),
    (layers.DepthwiseConv2D, (2, 3, 9, 9), dict(kernel_size=3, strides=2, dilation_rate=2,
                                                 data_format="channels_first"), (2, 3, 3, 3)),
    (layers.SeparableConv1D, (2, 9, 3), dict(filters=5, kernel_size=3, padding="same"), (2, 9, 5)),
    (layers.SeparableConv2D, (2, 8, 8, 3), dict(filters=5, kernel_size=3, strides=2), (2, 3, 3, 5)),
])
def test_output_shapes(cls, shape, kwargs, expected):
    layer = make(cls, **kwargs)
    assert layer(rand(*shape)).shape == expected
    assert layer.compute_output_shape(shape) == expected
    if kwargs.get("data_format") != "channels_first":  # unknown batch and spatial sizes stay unknown
        unknown = (None,) * (len(shape) - 1) + (shape[-1],)
        assert layer.compute_output_shape(unknown) == (None,) * (len(shape) - 1) + (expected[-1],)


def test_symbolic_input_gives_static_shape():
    x = layers.Input((28, 28, 1))
    y = make(layers.Conv2D, 32, 3, activation="relu")(x)
    assert tuple(y.shape) == (None, 26, 26, 32)


# -- values against numpy -------------------------------------------------------------------------------
@pytest.mark.parametrize("rank,kwargs", [
    (1, dict(kernel_size=3, strides=2)),
    (1, dict(kernel_size=3, padding="same", dilation_rate=2)),
    (2, dict(kernel_size=(3, 2), strides=(2, 1), padding="same")),
    (2, dict(kernel_size=2, groups=2)),
    (2, dict(kernel_size=3, dilation_rate=(2, 1))),
    (3, dict(kernel_size=2, strides=(1, 2, 1))),
])
def test_conv_matches_numpy(rank, kwargs):
    cls = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}[rank]
    x = rand(2, *([7] * rank), 4)
    layer = make(cls, 6, **kwargs)
    layer(x)
    out = np.asarray(randomize(layer)(x))
    kernel, bias = layer.get_weights()
    strides, dilation = layer.strides, layer.dilation_rate
    pads = (same_pads(x.shape[1:-1], layer.kernel_size, strides, dilation) if layer.padding == "same"
            else [(0, 0)] * rank)
    expected = numpy_conv(x, kernel, strides, dilation, pads, layer.groups) + bias
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_channels_first_is_channels_last_transposed():
    x = rand(2, 6, 7, 3)
    last = make(layers.Conv2D, 4, 3, strides=2, padding="same")
    first = make(layers.Conv2D, 4, 3, strides=2, padding="same", data_format="channels_first")
    last(x)
    expected = np.asarray(randomize(last)(x))
    first(np.transpose(x, (0, 3, 1, 2)))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(np.transpose(first(np.transpose(x, (0, 3, 1, 2))), (0, 2, 3, 1)), expected,
                               rtol=1e-5, atol=1e-5)


def test_activation_is_applied():
    x = rand(2, 6, 3)
    plain, relu = make(layers.Conv1D, 4, 3), make(layers.Conv1D, 4, 3, activation="relu")
    plain(x), relu(x)
    randomize(plain)
    relu.set_weights(plain.get_weights())
    np.testing.assert_allclose(relu(x), np.maximum(plain(x), 0.0))


def test_causal_conv1d_ignores_the_future():
    layer = make(layers.Conv1D, 3, 3, padding="causal", dilation_rate=2)
    x = rand(1, 12, 2)
    layer(x)
    base = np.asarray(randomize(layer)(x))
    changed = x.copy()
    changed[:, 7:] += 5.0
    out = np.asarray(layer(changed))
    np.testing.assert_allclose(out[:, :7], base[:, :7], rtol=1e-6)
    assert not np.allclose(out[:, 7:], base[:, 7:])
    # causal = left padding by (k - 1) * d, then a valid convolution
    kernel, bias = layer.get_weights()
    expected = numpy_conv(x, kernel, (1,), (2,), [(4, 0)]) + bias
    np.testing.assert_allclose(base, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel_size,strides,padding", [(3, 2, "valid"), (2, 3, "valid"), (3, 1, "valid"),
                                                          (4, 2, "same"), (3, 2, "same")])
def test_transpose_is_the_adjoint_of_convolution(kernel_size, strides, padding):
    """<T(x), y> == <x, C(y)>, C the strided convolution, with T's kernel, whose output has x's shape: a
    transposed kernel (*window, filters, in) is read by C as (*window, its input, its output)."""
    x = rand(2, 5, 6, 3, seed=1)
    transpose = make(layers.Conv2DTranspose, 4, kernel_size, strides=strides, padding=padding, use_bias=False)
    transpose(x)
    tx = np.asarray(randomize(transpose)(x))
    y = rand(*tx.shape, seed=2)
    forward = make(layers.Conv2D, 3, kernel_size, strides=strides, padding=padding, use_bias=False)
    cy = np.asarray(forward(y))
    if cy.shape != x.shape:  # "same" with a larger transposed output; the adjoint only holds shape-exactly
        pytest.skip("forward convolution does not map back onto the input shape")
    forward.set_weights(transpose.get_weights())
    cy = np.asarray(forward(y))
    np.testing.assert_allclose(np.sum(tx * y), np.sum(x * cy), rtol=1e-4)


def test_transpose_kernel_layout_and_numpy_values():
    # one input pixel, stride 2: the output is the kernel (flipped nowhere) placed at 2 * position
    x = np.zeros((1, 3, 2), np.float32)
    x[0, 1, 0] = 1.0
    layer = make(layers.Conv1DTranspose, 4, 3, strides=2, use_bias=False)
    layer(x)
    out = np.asarray(randomize(layer)(x))
    kernel = layer.get_weights()[0]
    assert kernel.shape == (3, 4, 2)  # (kernel_size, filters, input channels)
    expected = np.zeros((1, 7, 4), np.float32)
    expected[0, 2:5] = kernel[:, :, 0]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_depthwise_filters_each_channel_alone():
    x = rand(2, 8, 8, 3)
    layer = make(layers.DepthwiseConv2D, 3, depth_multiplier=2, padding="same")
    layer(x)
    out = np.asarray(randomize(layer)(x))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 3, 2)
    pads = same_pads((8, 8), (3, 3), (1, 1), (1, 1))
    for c in range(3):
        for m in range(2):
            single = numpy_conv(x[..., c:c + 1], kernel[:, :, c:c + 1, m:m + 1], (1, 1), (1, 1), pads)[..., 0]
            np.testing.assert_allclose(out[..., c * 2 + m], single + bias[c * 2 + m], rtol=1e-5, atol=1e-5)


def test_separable_is_depthwise_then_pointwise():
    x = rand(2, 9, 3)
    layer = make(layers.SeparableConv1D, 5, 3, depth_multiplier=2, strides=2)
    layer(x)
    out = np.asarray(randomize(layer)(x))
    depthwise_kernel, pointwise_kernel, bias = layer.get_weights()
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert pointwise_kernel.shape == (1, 6, 5)
    depthwise = make(layers.DepthwiseConv1D, 3, depth_multiplier=2, strides=2, use_bias=False)
    depthwise(x)
    depthwise.set_weights([depthwise_kernel])
    expected = np.einsum("btc,cf->btf", np.asarray(depthwise(x)), pointwise_kernel[0]) + bias
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_convolution_op_can_be_overridden():
    class Standardized(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            kernel = (kernel - jnp.mean(kernel, axis=(0, 1, 2))) / jnp.std(kernel, axis=(0, 1, 2))
            return super().convolution_op(inputs, kernel)

    x = rand(2, 5, 5, 3)
    layer = make(Standardized, 4, 3, use_bias=False)
    layer(x)
    randomize(layer)
    kernel = layer.get_weights()[0]
    standardized = (kernel - kernel.mean(axis=(0, 1, 2))) / kernel.std(axis=(0, 1, 2))
    expected = numpy_conv(x, standardized, (1, 1), (1, 1), [(0, 0), (0, 0)])
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)


# -- weights, regularizers, training ----------------------------------------------------------------------
def test_weights_names_shapes_and_groups():
    layer = make(layers.Conv2D, 6, (3, 2), groups=3)
    layer(rand(1, 5, 5, 9))
    assert [(w.name, w.shape) for w in layer.weights] == [("kernel", (3, 2, 3, 6)), ("bias", (6,))]
    assert layer.count_params() == 3 * 2 * 3 * 6 + 6
    no_bias = make(layers.Conv3DTranspose, 2, 2, use_bias=False)
    no_bias(rand(1, 2, 2, 2, 5))
    assert [(w.name, w.shape) for w in no_bias.weights] == [("kernel", (2, 2, 2, 2, 5))]


def test_integer_inputs_are_cast_to_float():
    out = make(layers.Conv1D, 2, 2)(np.ones((1, 4, 3), np.int32))
    assert out.dtype == jnp.float32


def test_regularizer_losses():
    layer = make(layers.Conv1D, 2, 3, kernel_regularizer="l2", bias_regularizer="l1")
    layer(rand(1, 5, 2))
    randomize(layer)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(sum(float(v) for v in layer.losses),
                               0.01 * np.sum(kernel ** 2) + 0.01 * np.sum(np.abs(bias)), rtol=1e-5)


def test_gradients_flow_through_every_family_inside_jit():
    x = rand(2, 6, 6, 2)
    for layer in (make(layers.Conv2D, 3, 3), make(layers.Conv2DTranspose, 3, 3, strides=2),
                  make(layers.DepthwiseConv2D, 3), make(layers.SeparableConv2D, 3, 3)):
        layer(x)
        randomize(layer)
        loss = jax.jit(jax.grad(lambda inputs: jnp.sum(layer(inputs) ** 2)))
        grad = np.asarray(loss(x))
        eps = 1e-2
        bumped = x.copy()
        bumped[0, 2, 3, 1] += eps
        numeric = (float(jnp.sum(layer(bumped) ** 2)) - float(jnp.sum(layer(x) ** 2))) / eps
        np.testing.assert_allclose(grad[0, 2, 3, 1], numeric, rtol=5e-2, atol=5e-2, err_msg=type(layer).__name__)


# -- errors -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: layers.Conv2D(0, 3), "Conv2D.*filters.*0"),
    (lambda: layers.Conv2D(4.5, 3), "Conv2D.*filters"),
    (lambda: layers.Conv2D(4, 0), "Conv2D.*kernel_size"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), "Conv2D.*kernel_size.*2"),
    (lambda: layers.Conv2D(4, 3, strides=0), "Conv2D.*strides"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), r"Conv2D.*padding.*\['valid', 'same'\].*causal"),
    (lambda: layers.Conv1D(4, 3, padding="full"), r"Conv1D.*\['valid', 'same', 'causal'\]"),
    (lambda: layers.Conv2D(4, 3, data_format="NHWC"), "Conv2D.*data_format.*channels_last.*NHWC"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), "Conv2D.*strides.*dilation_rate"),
    (lambda: layers.Conv2D(5, 3, groups=2), "Conv2D.*divisible by `groups`.*filters=5"),
    (lambda: layers.Conv2D(4, 3, groups=0), "Conv2D.*groups"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), "Conv2DTranspose.*output_padding"),
    (lambda: layers.Conv1DTranspose(4, 3, output_padding=1), "Conv1DTranspose.*output_padding"),
    (lambda: layers.Conv1DTranspose(4, 3, padding="causal"), "Conv1DTranspose.*padding"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "DepthwiseConv2D.*depth_multiplier"),
    (lambda: layers.SeparableConv1D(4, 3, padding="causal"), "SeparableConv1D.*padding"),
    (lambda: layers.Conv1D(4, 3, activation="nope"), "nope"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer():
    layer = make(layers.Conv2D, 4, 3, groups=2, name="grouped")
    with pytest.raises(ValueError, match="grouped.*divisible by `groups`.*3 channels"):
        layer(rand(1, 5, 5, 3))
    conv = make(layers.Conv2D, 4, 3, name="c2d")
    with pytest.raises(ValueError, match="c2d.*ndim=4"):
        conv(rand(1, 5, 5))
    conv(rand(1, 5, 5, 3))
    with pytest.raises(ValueError, match="c2d.*axis -1.*3"):
        conv(rand(1, 5, 5, 2))
    with pytest.raises(ValueError, match="c2d.*zero or negative"):
        conv(rand(1, 2, 2, 3))
    with pytest.raises(ValueError, match="c2d.*zero or negative"):
        conv.compute_output_shape((None, 2, 8, 3))
    with pytest.raises(ValueError, match="channel dimension"):
        layers.Conv1D(2, 2).build((None, 5, None))


# -- config ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    layers.Conv1D(4, 3, padding="causal", activation="relu", kernel_regularizer="l2", name="c1"),
    layers.Conv2D(6, (3, 2), strides=2, padding="SAME", groups=3, data_format="channels_first",
                  kernel_initializer="he_normal", bias_constraint="non_neg", use_bias=False),
    layers.Conv3DTranspose(2, 3, strides=2, output_padding=1, activity_regularizer="l1"),
    layers.DepthwiseConv2D(3, depth_multiplier=3, depthwise_initializer="ones", depthwise_regularizer="l1"),
    layers.SeparableConv2D(8, 3, pointwise_initializer="zeros", depthwise_constraint="max_norm"),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    restored = layers.deserialize(layers.serialize(layer))
    assert type(restored) is type(layer) and restored.get_config() == config


def test_config_values_are_standardized():
    config = layers.Conv2D(4, 3, padding="SAME").get_config()
    assert config["kernel_size"] == (3, 3) and config["strides"] == (1, 1) and config["padding"] == "same"
    assert config["data_format"] == "channels_last" and config["activation"] == "linear"
    assert layers.Conv2DTranspose(4, 3, strides=2, output_padding=1).get_config()["output_padding"] == (1, 1)


def test_aliases():
    assert layers.Convolution2D is layers.Conv2D
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.SeparableConvolution2D is layers.SeparableConv2D
