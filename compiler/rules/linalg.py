"""Adjoint rules of linear algebra: products, contractions, inverses, factorizations, norms.

Products of 2-d (or stacked) matrices read like the textbook: the adjoint of ``x`` in
``z = x @ y`` is ``dz @ y.T``. Shapes NumPy treats specially (1-d operands, broadcast batch
axes, tensordot and einsum axes) are handled by ``rt`` helpers in ``runtime/linalg.py``.
"""
import operator

import numpy as np

from . import adjoint

rt = None


@adjoint(operator.matmul, np.matmul)
def matmul(dz, z, x, y):
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        dx = dz @ y.T
        dy = x.T @ dz
    elif np.ndim(x) == 2 and np.ndim(y) == 1:
        dx = np.outer(dz, y)
        dy = dz @ x
    elif np.ndim(x) == 1 and np.ndim(y) == 2:
        dx = y @ dz
        dy = np.outer(x, dz)
    elif np.ndim(x) == 1 and np.ndim(y) == 1:
        dx = dz * y
        dy = dz * x
    else:   # stacks of matrices: batch axes broadcast
        dx = rt.matmul_adjoint_left(dz, x, y)
        dy = rt.matmul_adjoint_right(dz, x, y)


@adjoint(np.dot, methods=("dot",))
def dot(dz, z, a, b):
    if np.ndim(a) == 2 and np.ndim(b) == 2:
        da = dz @ b.T
        db = a.T @ dz
    elif np.ndim(a) == 1 and np.ndim(b) == 1:
        da = dz * b
        db = dz * a
    else:
        da = rt.dot_adjoint_left(dz, a, b)
        db = rt.dot_adjoint_right(dz, a, b)


@adjoint(np.inner)
def inner(dz, z, a, b):
    da = rt.inner_adjoint_left(dz, a, b)
    db = rt.inner_adjoint_right(dz, a, b)


@adjoint(np.outer)
def outer(dz, z, a, b):
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        da = dz @ b
        db = a @ dz
    else:   # outer flattens its operands
        da = np.reshape(dz @ np.ravel(b), np.shape(a))
        db = np.reshape(np.ravel(a) @ dz, np.shape(b))


@adjoint(np.tensordot)
def tensordot(dz, z, a, b, axes=2):
    da = rt.tensordot_adjoint_left(dz, a, b, axes)
    db = rt.tensordot_adjoint_right(dz, a, b, axes)


@adjoint(np.einsum)
def einsum(dz, z, subscripts, *operands):
    doperands = rt.einsum_adjoint(dz, subscripts, operands)


@adjoint(np.trace, methods=("trace",))
def trace(dz, z, a, offset=0, axis1=0, axis2=1):
    if np.ndim(a) == 2 and offset == 0:
        da = dz * np.eye(*np.shape(a))
    else:
        da = rt.trace_adjoint(dz, a, offset, axis1, axis2)


@adjoint(np.diag)
def diag(dz, z, v, k=0):
    dv = rt.diag_adjoint(dz, v, k)


@adjoint(np.diagonal, methods=("diagonal",))
def diagonal(dz, z, a, offset=0, axis1=0, axis2=1):
    da = rt.diagonal_adjoint(dz, a, offset, axis1, axis2)


@adjoint(np.tril)
def tril(dz, z, m, k=0):
    dm = np.tril(dz, k)


@adjoint(np.triu)
def triu(dz, z, m, k=0):
    dm = np.triu(dz, k)


@adjoint(np.linalg.inv)
def inv(dz, z, a):
    if np.ndim(a) == 2:
        da = -z.T @ dz @ z.T
    else:
        da = -rt.transpose_last(z) @ dz @ rt.transpose_last(z)


@adjoint(np.linalg.solve)
def solve(dz, z, a, b):
    if np.ndim(a) == 2 and np.ndim(b) == 1:
        g = np.linalg.solve(a.T, dz)
        da = -np.outer(g, z)
        db = g
    elif np.ndim(a) == 2 and np.ndim(b) == 2:
        g = np.linalg.solve(a.T, dz)
        da = -g @ z.T
        db = g
    else:   # stacks of systems: batch axes broadcast
        g = rt.solve_transposed(a, dz, b)
        da = rt.solve_adjoint_matrix(g, z, a, b)
        db = rt.sum_like(g, b)


@adjoint(np.linalg.det)
def det(dz, z, a):
    if np.ndim(a) == 2:
        da = dz * z * np.linalg.inv(a).T
    else:
        da = (dz * z)[..., None, None] * rt.transpose_last(np.linalg.inv(a))


@adjoint(np.linalg.slogdet)
def slogdet(dz, z, a):
    da = rt.slogdet_adjoint(dz, a)


@adjoint(np.linalg.norm)
def norm(dz, z, x, ord=None, axis=None, keepdims=False):
    dx = rt.norm_adjoint(dz, z, x, ord, axis, keepdims)


@adjoint(np.linalg.cholesky)
def cholesky(dz, z, a, upper=False):
    if upper:
        da = rt.cholesky_adjoint(rt.transpose_last(dz), rt.transpose_last(z))
    else:
        da = rt.cholesky_adjoint(dz, z)
