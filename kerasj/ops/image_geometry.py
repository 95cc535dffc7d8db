"""Geometric and structural image ops of `keras.ops.image` (re-exported from `kerasj.ops.image`):
projective warps, elastic distortion, scale-and-translate resampling, Sobel edges, SSIM and 3D patches.

    >>> from kerasj import ops
    >>> ops.image.sobel_edges(jnp.ones((1, 4, 4, 1))).shape
    (1, 4, 4, 1, 2)
"""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj import random
from kerasj.ops.conv_math import conv as _conv
from kerasj.ops.core import _t
from kerasj.ops.image import _format, _to_nhwc, map_coordinates

_ORDERS = {"nearest": 0, "bilinear": 1}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_SCALE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3", "lanczos5")


def _order(interpolation, op):
    if interpolation not in _ORDERS:
        raise ValueError(f"{op}: `interpolation` must be one of {list(_ORDERS)}; received {interpolation!r}.")
    return _ORDERS[interpolation]


def _depthwise(x, kernel, padding):
    """Each channel of NHWC `x` correlated with the 2D `kernel` (zero padding for "same")."""
    channels = x.shape[-1]
    weights = jnp.broadcast_to(kernel[:, :, None, None], (*kernel.shape, 1, channels)).astype(x.dtype)
    return _conv(x, weights, data_format="channels_last", padding=padding, groups=channels)


def _gaussian_1d(size, sigma, dtype):
    x = jnp.arange(size, dtype=dtype) - (size - 1) / 2.0
    weights = jnp.exp(-0.5 * (x / sigma) ** 2)
    return weights / jnp.sum(weights)


# -- projective warp ------------------------------------------------------------------------------------
def compute_homography_matrix(start_points, end_points):
    """The 8 projective coefficients `[a0, a1, a2, b0, b1, b2, c0, c1]` (shape `(batch, 8)`) that map each
    of the 4 `end_points` onto its `start_points` partner (`(batch, 4, 2)` arrays of `(x, y)`):

        x_start = (a0 x + a1 y + a2) / (c0 x + c1 y + 1),  y_start = (b0 x + b1 y + b2) / (c0 x + c1 y + 1)

    found by solving the 8 linear equations the 4 point pairs give.
    """
    sx, sy = start_points[..., 0], start_points[..., 1]
    ex, ey = end_points[..., 0], end_points[..., 1]
    zeros, ones = jnp.zeros_like(ex), jnp.ones_like(ex)
    x_rows = jnp.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = jnp.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    system = jnp.concatenate([x_rows, y_rows], axis=-2)
    target = jnp.concatenate([sx, sy], axis=-1)[..., None]
    return jnp.linalg.solve(system, target)[..., 0]


def _check_points(points, name):
    if points.ndim not in (2, 3) or points.shape[-2:] != (4, 2):
        raise ValueError(f"perspective_transform: `{name}` must have shape (4, 2) or (batch, 4, 2); "
                         f"received shape {points.shape}.")


def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format=None):
    """`images` warped so that the 4 `start_points` (corners `(x, y)`, shape `(4, 2)` or `(batch, 4, 2)`)
    land on `end_points`; pixels that come from outside the input get `fill_value`.

        >>> corners = jnp.array([[0.0, 0], [3, 0], [0, 3], [3, 3]])
        >>> out = perspective_transform(jnp.ones((4, 4, 1)), corners, corners)   # the identity
    """
    order = _order(interpolation, "perspective_transform")
    start_points, end_points = _t(start_points), _t(end_points)
    _check_points(start_points, "start_points")
    _check_points(end_points, "end_points")
    if start_points.shape != end_points.shape:
        raise ValueError("perspective_transform: `start_points` and `end_points` must have the same shape; "
                         f"received {start_points.shape} and {end_points.shape}.")
    x, restore = _to_nhwc(images, data_format, "perspective_transform")
    batch, height, width, _ = x.shape
    coeffs = compute_homography_matrix(start_points.astype("float32").reshape(-1, 4, 2),
                                       end_points.astype("float32").reshape(-1, 4, 2))
    coeffs = jnp.broadcast_to(coeffs, (batch, 8))
    cols, rows = jnp.meshgrid(jnp.arange(width, dtype="float32"), jnp.arange(height, dtype="float32"))

    def warp_one(image, c):
        denominator = c[6] * cols + c[7] * rows + 1.0
        src_cols = (c[0] * cols + c[1] * rows + c[2]) / denominator
        src_rows = (c[3] * cols + c[4] * rows + c[5]) / denominator

        def warp_channel(channel):
            return map_coordinates(channel, [src_rows, src_cols], order, "constant", fill_value)
        return jax.vmap(warp_channel, in_axes=-1, out_axes=-1)(image)

    return restore(jax.vmap(warp_one)(x, coeffs))


# -- elastic distortion ---------------------------------------------------------------------------------
def keras_seed_key(seed):
    """A JAX key from `seed` the way keras.random reads it: an int gives the raw key [seed, 0]."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return jnp.array([int(seed) % 2**32, 0], dtype="uint32")
    return random.draw_key(seed)


def elastic_displace(images, alpha, sigma, kernel_size, interpolation, fill_mode, fill_value, key, data_format):
    """The elastic warp with a given Gaussian `kernel_size`, so `sigma` and `alpha` may be traced values
    (RandomElasticTransform draws them inside a compiled step)."""
    order = _order(interpolation, "elastic_transform")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"elastic_transform: `fill_mode` must be one of {list(_FILL_MODES)}; "
                         f"received {fill_mode!r}.")
    x, restore = _to_nhwc(images, data_format, "elastic_transform")
    batch, height, width, _ = x.shape
    # As in Keras 3.15, one normal draw serves both axes, so the displacement lies along the diagonal.
    noise = jax.random.normal(key, (batch, height, width), dtype=x.dtype) * sigma
    weights = _gaussian_1d(kernel_size, sigma, x.dtype)
    smooth = _depthwise(noise[..., None], jnp.outer(weights, weights), "same")[..., 0]
    rows, cols = jnp.meshgrid(jnp.arange(height, dtype=x.dtype), jnp.arange(width, dtype=x.dtype),
                              indexing="ij")
    src_rows, src_cols = rows + alpha * smooth, cols + alpha * smooth

    def warp_one(image, r, c):
        def warp_channel(channel):
            return map_coordinates(channel, [r, c], order, fill_mode, fill_value)
        return jax.vmap(warp_channel, in_axes=-1, out_axes=-1)(image)

    return restore(jax.vmap(warp_one)(x, src_rows, src_cols).astype(x.dtype))


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                      seed=None, data_format=None):
    """`images` distorted by a smooth random displacement field: Gaussian noise of standard deviation
    `sigma`, blurred by a Gaussian of the same `sigma` (kernel size `int(6 sigma) | 1`), scaled by `alpha`.
    Float images only. `seed`: an int (Keras's draws for that seed), a key, a SeedGenerator or None.

        >>> elastic_transform(jnp.ones((1, 8, 8, 1)), alpha=2.0, sigma=1.0, seed=0).shape
        (1, 8, 8, 1)
    """
    kernel_size = int(6 * float(sigma)) | 1
    return elastic_displace(_t(images), alpha, sigma, kernel_size, interpolation, fill_mode, fill_value,
                            keras_seed_key(seed), data_format)


# -- resampling -----------------------------------------------------------------------------------------
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """`images` resampled to `output_shape`: along each axis of `spatial_dims`, output coordinate `o` reads
    input coordinate `(o - translation) / scale` (pixel centres at half-integers), filtered by `method`
    ("linear"/"bilinear"/"trilinear", "cubic"/"bicubic"/"tricubic", "lanczos3", "lanczos5"), with
    anti-aliasing when downsampling if `antialias`.

        >>> scale_and_translate(jnp.ones((4, 4)), (8, 8), jnp.array([2.0, 2.0]), jnp.zeros(2), (0, 1),
        ...                     "linear").shape
        (8, 8)
    """
    if method not in _SCALE_METHODS:
        raise ValueError(f"scale_and_translate: `method` must be one of {list(_SCALE_METHODS)}; "
                         f"received {method!r}.")
    return jax.image.scale_and_translate(_t(images), tuple(output_shape), tuple(spatial_dims), _t(scale),
                                         _t(translation), method, antialias)


# -- edges and similarity -------------------------------------------------------------------------------
def sobel_edges(images, data_format=None):
    """Sobel gradients of a batch of images: shape `images.shape + (2,)`, the last axis holding the
    vertical (d/d row) then the horizontal (d/d column) response, with zero padding at the border.

        >>> sobel_edges(jnp.ones((1, 3, 3, 1)))[0, 1, 1, 0]   # flat inside
        Array([0., 0.], dtype=float32)
    """
    x = _t(images)
    if x.ndim != 4:
        raise ValueError(f"sobel_edges: `images` must be rank 4 (a batch of images); received shape {x.shape}.")
    first = _format(data_format, "sobel_edges") == "channels_first"
    x = jnp.transpose(x, (0, 2, 3, 1)) if first else x
    smooth, diff = np.array([1.0, 2.0, 1.0]), np.array([-1.0, 0.0, 1.0])
    edges = [_depthwise(x, jnp.asarray(np.outer(a, b)), "same") for a, b in ((diff, smooth), (smooth, diff))]
    edges = [jnp.transpose(e, (0, 3, 1, 2)) if first else e for e in edges]
    return jnp.stack(edges, axis=-1)


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """The structural similarity of `image1` and `image2` (one value per image, or a scalar for single
    images): the mean over valid `filter_size` windows (Gaussian weights, `filter_sigma`) and channels of

        (2 mu1 mu2 + c1)(2 cov12 + c2) / ((mu1^2 + mu2^2 + c1)(var1 + var2 + c2)),

    with `c1 = (k1 max_val)^2` and `c2 = (k2 max_val)^2`. The result has `image1`'s dtype.

        >>> ssim(jnp.ones((16, 16, 1)), jnp.ones((16, 16, 1)))
        Array(1., dtype=float32)
    """
    image1, image2 = _t(image1), _t(image2)
    dtype = image1.dtype
    compute = jnp.result_type(dtype, jnp.float32) if not jnp.issubdtype(dtype, jnp.floating) else dtype
    x1, restore = _to_nhwc(image1.astype(compute), data_format, "ssim")
    x2, _ = _to_nhwc(image2.astype(compute), data_format, "ssim")
    weights = _gaussian_1d(filter_size, filter_sigma, compute)
    kernel = jnp.outer(weights, weights)

    def blur(v):
        return _depthwise(v, kernel, "valid")
    mu1, mu2 = blur(x1), blur(x2)
    var1, var2, cov = blur(x1 * x1) - mu1 * mu1, blur(x2 * x2) - mu2 * mu2, blur(x1 * x2) - mu1 * mu2
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    ssim_map = (2.0 * mu1 * mu2 + c1) * (2.0 * cov + c2) / ((mu1 * mu1 + mu2 * mu2 + c1) * (var1 + var2 + c2))
    per_image = jnp.mean(ssim_map, axis=(1, 2, 3))
    return (per_image[0] if image1.ndim == 3 else per_image).astype(dtype)


# -- patches --------------------------------------------------------------------------------------------
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of `size` (int or `(d, h, w)`) from 4D (one volume) or 5D (a batch) `volumes`, flattened into
    the channel axis in (depth, row, column, channel) order.

        >>> extract_patches_3d(jnp.ones((1, 4, 4, 4, 2)), 2).shape
        (1, 2, 2, 2, 16)
    """
    x = _t(volumes)
    if x.ndim not in (4, 5):
        raise ValueError(f"extract_patches_3d: `volumes` must be rank 4 (one volume) or 5 (batch); received "
                         f"shape {x.shape}.")
    if isinstance(size, int):
        size = (size,) * 3
    if len(size) != 3:
        raise TypeError(f"extract_patches_3d: `size` must be an int or a tuple of 3 ints; received {size!r}.")
    strides = tuple(size) if strides is None else ((strides,) * 3 if isinstance(strides, int) else tuple(strides))
    if len(strides) != 3:
        raise ValueError(f"extract_patches_3d: `strides` must be an int or a tuple of 3 ints; received {strides!r}.")
    dilation = (dilation_rate,) * 3 if isinstance(dilation_rate, int) else tuple(dilation_rate)
    data_format = _format(data_format, "extract_patches_3d")
    single = x.ndim == 4
    x = x[None] if single else x
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    # A convolution with a one-hot kernel copies every voxel of a window to its own output channel.
    eye = np.eye(int(np.prod(size)) * channels, dtype=np.float32)
    kernel = jnp.asarray(eye.reshape(*size, channels, -1), x.dtype)
    out = _conv(x, kernel, data_format=data_format, strides=strides, padding=padding, dilation_rate=dilation)
    return out[0] if single else out
