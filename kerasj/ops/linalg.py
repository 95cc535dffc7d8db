"""Linear-algebra ops of `keras.ops` (`keras.ops.linalg`), on `jax.numpy.linalg` / `jax.scipy.linalg`.

    >>> from kerasj import ops
    >>> ops.det(jnp.eye(3) * 2.0)
    Array(8., dtype=float32)
"""
import jax
import jax.numpy as jnp

from kerasj.ops.core import _t
from kerasj.ops.core import jvp  # noqa: F401  (keras.ops.linalg.jvp is the same op)
from kerasj.ops.numpy import norm  # noqa: F401  (keras.ops.linalg.norm is the same op)


def inv(x):
    """Inverse of the square matrix (or batch of matrices) `x`."""
    return jnp.linalg.inv(_t(x))


def det(x):
    """Determinant of `x`."""
    return jnp.linalg.det(_t(x))


def logdet(x):
    """`log(det(x))` of a positive-definite `x`."""
    return jnp.linalg.slogdet(_t(x))[1]


def solve(a, b):
    """`x` with `a @ x = b`."""
    return jnp.linalg.solve(_t(a), _t(b))


def solve_triangular(a, b, lower=False):
    """`x` with `a @ x = b` for triangular `a`."""
    return jax.scipy.linalg.solve_triangular(_t(a), _t(b), lower=lower)


def lstsq(a, b, rcond=None):
    """Least-squares solution of `a @ x = b`."""
    return jnp.linalg.lstsq(_t(a), _t(b), rcond=rcond)[0]


def qr(x, mode="reduced"):
    """`(q, r)` QR decomposition of `x`; `mode` is "reduced" or "complete"."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: `mode` must be 'reduced' or 'complete'; received {mode!r}.")
    return tuple(jnp.linalg.qr(_t(x), mode=mode))


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition `(u, s, vh)` of `x` (just `s` if not `compute_uv`)."""
    out = jnp.linalg.svd(_t(x), full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


def eigh(x):
    """`(eigenvalues, eigenvectors)` of the symmetric/Hermitian `x`, eigenvalues ascending."""
    return tuple(jnp.linalg.eigh(_t(x)))


def eig(x):
    """`(eigenvalues, eigenvectors)` of the square `x` (complex; CPU only in JAX)."""
    return tuple(jnp.linalg.eig(_t(x)))


def cholesky(x, upper=False):
    """Cholesky factor of the positive-definite `x`: lower `L` with `L @ L.T = x` (or its transpose if `upper`)."""
    factor = jnp.linalg.cholesky(_t(x))
    return jnp.swapaxes(factor, -1, -2).conj() if upper else factor


def cholesky_inverse(x, upper=False):
    """Inverse of `A` given its Cholesky factor `x` (lower, or upper if `upper`)."""
    x = _t(x)
    lower = jnp.swapaxes(x, -1, -2).conj() if upper else x
    return jnp.linalg.inv(lower @ jnp.swapaxes(lower, -1, -2).conj())


def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse of `x`."""
    return jnp.linalg.pinv(_t(x), rtol=rcond)


def matrix_rank(x, tol=None):
    """Rank of the matrix `x`."""
    return jnp.linalg.matrix_rank(_t(x), rtol=tol)


def lu_factor(x):
    """`(lu, pivots)` LU factorisation of `x` (`jax.scipy.linalg.lu_factor`)."""
    return tuple(jax.scipy.linalg.lu_factor(_t(x)))
