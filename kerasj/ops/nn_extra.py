"""Less common ops of `keras.ops.nn`: sliding-block extraction (`unfold`, im2col) and its adjoint (`fold`,
col2im), both on channels-first images as in Keras (and PyTorch), and `polar`. (Split from `nn.py` to keep
each file readable; `keras.ops.nn` offers them too.)

    >>> from kerasj import ops
    >>> ops.unfold(jnp.ones((1, 2, 3, 3)), kernel_size=2).shape
    (1, 8, 4)
"""
import jax
import jax.numpy as jnp
from jax import lax

from kerasj.ops.core import _t

# nn.py re-exports exactly this list.
__all__ = ["unfold", "fold", "polar"]


def _pair(value, name, op):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{op}: `{name}` must be an int or a tuple of two ints; received {name}={value!r}.")
    return pair


def _block_args(op, kernel_size, dilation, padding, stride):
    kernel, dilation = _pair(kernel_size, "kernel_size", op), _pair(dilation, "dilation", op)
    padding, stride = _pair(padding, "padding", op), _pair(stride, "stride", op)
    if min(kernel + dilation + stride) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: `kernel_size`, `dilation` and `stride` must be positive and `padding` "
                         f"non-negative; received kernel_size={kernel_size!r}, dilation={dilation!r}, "
                         f"stride={stride!r}, padding={padding!r}.")
    return kernel, dilation, padding, stride


def _unfold(x, kernel, dilation, padding, stride):
    x = jnp.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    # Output channels come out ordered (channel, kernel row, kernel column), the layout Keras documents.
    patches = lax.conv_general_dilated_patches(x, filter_shape=kernel, window_strides=stride, padding="VALID",
                                               rhs_dilation=dilation,
                                               dimension_numbers=("NCHW", "OIHW", "NCHW"))
    n, depth, out_h, out_w = patches.shape
    return patches.reshape(n, depth, out_h * out_w)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding `kernel_size` blocks of the channels-first batch `x` `(N, C, H, W)`, as columns:
    `(N, C * kH * kW, L)` with `L` the number of block positions.

        >>> unfold(jnp.arange(16.0).reshape(1, 1, 4, 4), kernel_size=2, stride=2)[0, :, 0]
        Array([0., 1., 4., 5.], dtype=float32)
    """
    x = _t(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: `x` must be a 4-D (N, C, H, W) tensor; received shape {x.shape}.")
    return _unfold(x, *_block_args("unfold", kernel_size, dilation, padding, stride))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum the blocks `x` `(N, C * kH * kW, L)` back into a channels-first `(N, C, oH, oW)` tensor (the
    reverse of `unfold`: overlapping entries add up).

        >>> ones = jnp.ones((1, 4, 4))
        >>> fold(ones, output_size=3, kernel_size=2)[0, 0]
        Array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]], dtype=float32)
    """
    x = _t(x)
    if x.ndim != 3:
        raise ValueError(f"fold: `x` must be a 3-D (N, C * kH * kW, L) tensor; received shape {x.shape}.")
    out_h, out_w = _pair(output_size, "output_size", "fold")
    kernel, dilation, padding, stride = _block_args("fold", kernel_size, dilation, padding, stride)
    n, depth, blocks = x.shape
    if depth % (kernel[0] * kernel[1]):
        raise ValueError(f"fold: the second axis of `x` ({depth}) must be a multiple of kH * kW "
                         f"({kernel[0] * kernel[1]}); received shape {x.shape}.")
    positions = [(size + 2 * pad - dil * (k - 1) - 1) // s + 1
                 for size, pad, dil, k, s in zip((out_h, out_w), padding, dilation, kernel, stride)]
    if positions[0] * positions[1] != blocks:
        raise ValueError(f"fold: `x` must hold {positions[0]} x {positions[1]} = {positions[0] * positions[1]} "
                         f"blocks for output_size={(out_h, out_w)}; received {blocks} (shape {x.shape}).")
    # fold is the adjoint of unfold (col2im of im2col), so transposing the linear map gives it exactly.
    image = jax.ShapeDtypeStruct((n, depth // (kernel[0] * kernel[1]), out_h, out_w), x.dtype)
    transpose = jax.linear_transpose(lambda img: _unfold(img, kernel, dilation, padding, stride), image)
    return transpose(x)[0]


def polar(abs_, angle):
    """The complex tensor `abs_ * exp(1j * angle)` from float magnitudes and phases.

        >>> polar(jnp.array([2.0]), jnp.array([0.0]))
        Array([2.+0.j], dtype=complex64)
    """
    abs_, angle = _t(abs_), _t(angle)
    for name, value in (("abs_", abs_), ("angle", angle)):
        if not jnp.issubdtype(value.dtype, jnp.floating):
            raise ValueError(f"polar: `{name}` must be a float tensor; received dtype {value.dtype}.")
    return lax.complex(abs_ * jnp.cos(angle), abs_ * jnp.sin(angle))
