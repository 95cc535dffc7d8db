"""`conv_general_dilated` that stays fast on CPU inside compiled loops, for every derivative order.

Why this exists: XLA:CPU only runs a convolution on its fast path when the operands are laid out
`(batch, *spatial, features)` / `(*spatial, in, out)`. Outside loops its layout pass inserts the transposes
that get there; inside a `while` loop (the body of `lax.scan`, which is how kerasj's `fit` runs an epoch) it
does not, and the convolutions JAX's autodiff emits for the gradients - kernel gradient
`f01b_i01o->01bf` and friends - fall back to a naive loop. Measured on 2 CPU cores (jax 0.10.2), the
kernel gradient of a 3x3 32->64 convolution of a 32x26x26 batch took 0.04 s per step unrolled and 3.0 s
per step inside `lax.scan`; through this module, 0.04 s in both.

So on CPU every convolution goes through `conv_general_dilated` here, which

1. transposes its operands to that layout explicitly and transposes the result back (the same arithmetic;
   the copies are cheap next to the convolution), and
2. has a custom VJP that takes JAX's own transpose of the convolution (traced once, as a jaxpr) and replays
   it with each of its convolutions sent through this function again - so gradients, and gradients of
   gradients, keep the fast layout too. (Forward-mode differentiation - `jax.jvp`, `jax.jacfwd` - is not
   available through a custom VJP.)

Other backends (GPU, TPU) pick their own convolution layouts, so there this is plain
`lax.conv_general_dilated`.
"""
import functools

import jax
import jax.numpy as jnp
from jax import lax
from jax.extend.core import Literal

_PARAMS = ("window_strides", "padding", "lhs_dilation", "rhs_dilation", "dimension_numbers",
           "feature_group_count", "batch_group_count", "precision", "preferred_element_type")


def _canonical_spec(rank):
    """Dimension numbers of the fast layout: lhs/out `(batch, *spatial, features)`, kernel `(*spatial, in, out)`."""
    spatial = tuple(range(1, rank + 1))
    return lax.ConvDimensionNumbers(lhs_spec=(0, rank + 1) + spatial,
                                    rhs_spec=(rank + 1, rank) + tuple(range(rank)),
                                    out_spec=(0, rank + 1) + spatial)


def _conv_in_fast_layout(lhs, rhs, params):
    params = dict(params)
    lhs_spec, rhs_spec, out_spec = lax.conv_dimension_numbers(lhs.shape, rhs.shape, params["dimension_numbers"])
    rank = lhs.ndim - 2
    lhs = jnp.transpose(lhs, (lhs_spec[0],) + tuple(lhs_spec[2:]) + (lhs_spec[1],))
    rhs = jnp.transpose(rhs, tuple(rhs_spec[2:]) + (rhs_spec[1], rhs_spec[0]))
    params["dimension_numbers"] = _canonical_spec(rank)
    out = lax.conv_general_dilated(lhs, rhs, **params)
    # `out` is (batch, *spatial, features); out_spec says where each of those goes.
    order = [0] * (rank + 2)
    order[out_spec[0]], order[out_spec[1]] = 0, rank + 1
    for k, axis in enumerate(out_spec[2:]):
        order[axis] = k + 1
    return jnp.transpose(out, order)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _fast_conv(lhs, rhs, params):
    return _conv_in_fast_layout(lhs, rhs, params)


def _fast_conv_fwd(lhs, rhs, params):
    return _conv_in_fast_layout(lhs, rhs, params), (lhs, rhs)


def _fast_conv_bwd(params, residuals, cotangent):
    lhs, rhs = residuals
    _, pullback = jax.vjp(lambda a, b: lax.conv_general_dilated(a, b, **dict(params)), lhs, rhs)
    closed = jax.make_jaxpr(pullback)(cotangent)
    return tuple(_replay(closed.jaxpr, closed.consts, [cotangent]))


_fast_conv.defvjp(_fast_conv_fwd, _fast_conv_bwd)


def _replay(jaxpr, consts, args):
    """Evaluate a flat jaxpr, sending its convolutions through `_fast_conv`."""
    env = {}

    def read(var):
        return var.val if isinstance(var, Literal) else env[var]

    env.update(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))
    for eqn in jaxpr.eqns:
        values = [read(v) for v in eqn.invars]
        if eqn.primitive is lax.conv_general_dilated_p:
            outs = [_fast_conv(*values, _freeze(eqn.params))]
        else:
            outs = eqn.primitive.bind(*values, **eqn.params)
            outs = outs if eqn.primitive.multiple_results else [outs]
        env.update(zip(eqn.outvars, outs))
    return [read(v) for v in jaxpr.outvars]


def _freeze(params):
    """The convolution's parameters as a hashable tuple (custom_vjp's static argument)."""
    def hashable(value):
        if isinstance(value, list):
            return tuple(hashable(v) for v in value)
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(hashable(v) for v in value)
        return value
    return tuple((key, hashable(params.get(key))) for key in _PARAMS)


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1, precision=None,
                         preferred_element_type=None):
    """Drop-in for `jax.lax.conv_general_dilated` (same arguments and result), fast inside CPU loops.

        >>> x, k = jnp.ones((8, 28, 28, 1)), jnp.ones((3, 3, 1, 32))
        >>> conv_general_dilated(x, k, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")).shape
        (8, 26, 26, 32)
    """
    if jax.default_backend() != "cpu":
        return lax.conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                                        dimension_numbers, feature_group_count, batch_group_count, precision,
                                        preferred_element_type)
    rank = lhs.ndim - 2
    if isinstance(padding, str):
        # Resolve "SAME"/"VALID" to explicit pairs now, so the parameters are plain, hashable numbers.
        lhs_spec, rhs_spec, _ = lax.conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
        in_shape = [lhs.shape[a] for a in lhs_spec[2:]]
        if lhs_dilation is not None:
            in_shape = [(n - 1) * d + 1 for n, d in zip(in_shape, lhs_dilation)]
        window = [rhs.shape[a] for a in rhs_spec[2:]]
        if rhs_dilation is not None:
            window = [(k - 1) * d + 1 for k, d in zip(window, rhs_dilation)]
        padding = lax.padtype_to_pads(in_shape, window, window_strides, padding)
    params = {"window_strides": tuple(window_strides), "padding": tuple(tuple(p) for p in padding),
              "lhs_dilation": tuple(lhs_dilation or (1,) * rank), "rhs_dilation": tuple(rhs_dilation or (1,) * rank),
              "dimension_numbers": lax.conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers),
              "feature_group_count": feature_group_count, "batch_group_count": batch_group_count,
              "precision": precision, "preferred_element_type": preferred_element_type}
    return _fast_conv(lhs, rhs, _freeze(params))
