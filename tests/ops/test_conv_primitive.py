"""conv_primitive.conv_general_dilated equals jax.lax.conv_general_dilated in value, gradient and gradient of
gradient, for every layout and option the convolution layers use, also under jit, scan and vmap."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from kerasj.ops.conv_primitive import conv_general_dilated

CASES = {
    "grouped-strided-explicit-pads": ((2, 9, 9, 4), (3, 3, 2, 6), dict(
        window_strides=(2, 2), padding=[(1, 0), (0, 1)], dimension_numbers=("NHWC", "HWIO", "NHWC"),
        feature_group_count=2)),
    "channels-first-transposed-kernel-lhs-dilation": ((2, 4, 5, 5), (3, 3, 3, 4), dict(
        window_strides=(1, 1), padding=[(2, 1), (1, 2)], lhs_dilation=(2, 2), rhs_dilation=(1, 2),
        dimension_numbers=("NCHW", "HWOI", "NCHW"))),
    "depthwise-1d-same-dilated": ((2, 7, 3), (3, 1, 6), dict(
        window_strides=(1,), padding="SAME", rhs_dilation=(2,), dimension_numbers=("NWC", "WIO", "NWC"),
        feature_group_count=3)),
    "3d-valid": ((1, 4, 5, 3, 2), (2, 2, 2, 2, 3), dict(
        window_strides=(2, 1, 1), padding="VALID", dimension_numbers=("NDHWC", "DHWIO", "NDHWC"))),
    "channels-first-same-strided": ((2, 3, 8, 8), (3, 3, 3, 5), dict(
        window_strides=(2, 2), padding="SAME", dimension_numbers=("NCHW", "HWIO", "NCHW"))),
}


def operands(lhs_shape, rhs_shape):
    rng = np.random.default_rng(0)
    return (jnp.asarray(rng.normal(size=lhs_shape), jnp.float32),
            jnp.asarray(rng.normal(size=rhs_shape), jnp.float32))


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_lax(name):
    lhs_shape, rhs_shape, kwargs = CASES[name]
    x, w = operands(lhs_shape, rhs_shape)
    ours = lambda a, b: conv_general_dilated(a, b, **kwargs)
    theirs = lambda a, b: lax.conv_general_dilated(a, b, **kwargs)
    np.testing.assert_allclose(ours(x, w), theirs(x, w), rtol=1e-5, atol=1e-5)
    for got, want in zip(jax.jit(jax.grad(loss(ours), (0, 1)))(x, w), jax.grad(loss(theirs), (0, 1))(x, w)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def loss(conv):
    return lambda a, b: jnp.sum(jnp.sin(conv(a, b)))


@pytest.mark.parametrize("name", ["channels-first-transposed-kernel-lhs-dilation", "depthwise-1d-same-dilated"])
def test_gradient_of_gradient_matches_lax(name):
    """A gradient penalty (as in WGAN-GP) differentiates through the custom gradient."""
    lhs_shape, rhs_shape, kwargs = CASES[name]
    x, w = operands(lhs_shape, rhs_shape)
    ours = lambda a, b: conv_general_dilated(a, b, **kwargs)
    theirs = lambda a, b: lax.conv_general_dilated(a, b, **kwargs)

    def penalty(conv):
        return lambda a, b: jnp.sum(jax.grad(loss(conv), 0)(a, b) ** 2)

    for got, want in zip(jax.jit(jax.grad(penalty(ours), (0, 1)))(x, w), jax.grad(penalty(theirs), (0, 1))(x, w)):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)


def test_inside_scan_equals_unrolled():
    lhs_shape, rhs_shape, kwargs = CASES["grouped-strided-explicit-pads"]
    x, w = operands(lhs_shape, rhs_shape)
    xs = jnp.stack([x, 2.0 * x, -x])
    grad = jax.grad(lambda b, a: jnp.sum(conv_general_dilated(a, b, **kwargs) ** 2))

    scanned = jax.jit(lambda w, xs: lax.scan(lambda c, a: (c + grad(w, a), None), jnp.zeros_like(w), xs)[0])
    expected = sum(jax.grad(lambda b: jnp.sum(lax.conv_general_dilated(a, b, **kwargs) ** 2))(w) for a in xs)
    np.testing.assert_allclose(scanned(w, xs), expected, rtol=1e-4, atol=1e-3)


def test_vmap_over_an_extra_batch_axis():
    x, w = operands((4, 6, 6, 2), (3, 3, 2, 3))
    dn = ("NHWC", "HWIO", "NHWC")
    got = jax.vmap(lambda a: conv_general_dilated(a[None], w, (1, 1), "VALID", dimension_numbers=dn))(x)
    want = lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=dn)
    np.testing.assert_allclose(got[:, 0], want, rtol=1e-5, atol=1e-5)
