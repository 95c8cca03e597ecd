"""Rules of linear algebra: products, contractions, inverses, factorizations, norms.

Products of 2-d (or stacked) matrices read like the textbook: the adjoint of ``x`` in
``z = x @ y`` is ``dz @ y.T``, its tangent ``dx @ y + x @ dy``. Shapes NumPy treats specially
(1-d operands, broadcast batch axes, tensordot and einsum axes) are handled by ``rt`` helpers in
``runtime/linalg.py``. Those helpers are primitives of forward mode too (``rg.hessian`` runs it
through generated adjoint code), so their tangent rules close this module.
"""
import operator

import numpy as np

import retrograd.runtime as runtime

from . import adjoint, batch_tangent, tangent

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


@tangent(operator.matmul, np.matmul)
def matmul_tangent(z, x, y):
    dz = dx @ y
    dz = x @ dy


@batch_tangent(operator.matmul, np.matmul)
def matmul_batch(z, x, y):
    # matmul broadcasts leading axes: the directions pass through as a stack of matrices
    if np.ndim(x) >= 2 and np.ndim(y) >= 2:
        dz = lift(dx, z) @ y
        dz = x @ lift(dy, z)
    elif np.ndim(x) == 1 and np.ndim(y) == 2:
        dz = dx @ y
        dz = x @ dy
    elif np.ndim(x) == 2 and np.ndim(y) == 1:
        dz = dx @ y
        dz = dy @ x.T
    elif np.ndim(x) == 1 and np.ndim(y) == 1:
        dz = dx @ y
        dz = dy @ x
    else:   # a vector times a stack, or ranks known only at run time
        dz = each(dx @ y)
        dz = each(x @ dy)


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


@tangent(np.dot, methods=("dot",))
def dot_tangent(z, a, b):
    dz = np.dot(da, b)
    dz = np.dot(a, db)


@batch_tangent(np.dot, methods=("dot",))
def dot_batch(z, a, b):
    if np.ndim(a) == 2 and np.ndim(b) == 2:
        dz = da @ b
        dz = a @ db
    elif np.ndim(a) == 1 and np.ndim(b) == 2:
        dz = da @ b
        dz = a @ db
    elif np.ndim(a) == 2 and np.ndim(b) == 1:
        dz = da @ b
        dz = db @ a.T
    elif np.ndim(a) == 1 and np.ndim(b) == 1:
        dz = da @ b
        dz = db @ a
    elif np.ndim(a) == 0 or np.ndim(b) == 0:
        dz = lift(da, z) * b
        dz = a * lift(db, z)
    else:
        dz = each(np.dot(da, b))
        dz = each(np.dot(a, db))


@adjoint(np.inner)
def inner(dz, z, a, b):
    da = rt.inner_adjoint_left(dz, a, b)
    db = rt.inner_adjoint_right(dz, a, b)


@tangent(np.inner)
def inner_tangent(z, a, b):
    dz = np.inner(da, b)
    dz = np.inner(a, db)


@batch_tangent(np.inner)
def inner_batch(z, a, b):
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        dz = da @ b
        dz = db @ a
    else:
        dz = each(np.inner(da, b))
        dz = each(np.inner(a, db))


@adjoint(np.outer)
def outer(dz, z, a, b):
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        da = dz @ b
        db = a @ dz
    else:   # outer flattens its operands
        da = np.reshape(dz @ np.ravel(b), np.shape(a))
        db = np.reshape(np.ravel(a) @ dz, np.shape(b))


@tangent(np.outer)
def outer_tangent(z, a, b):
    dz = np.outer(da, b)
    dz = np.outer(a, db)


@batch_tangent(np.outer)
def outer_batch(z, a, b):
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        dz = da[:, :, None] * b
        dz = a[:, None] * db[:, None, :]
    else:
        dz = each(np.outer(da, b))
        dz = each(np.outer(a, db))


@adjoint(np.tensordot)
def tensordot(dz, z, a, b, axes=2):
    da = rt.tensordot_adjoint_left(dz, a, b, axes)
    db = rt.tensordot_adjoint_right(dz, a, b, axes)


@tangent(np.tensordot, batch="each")
def tensordot_tangent(z, a, b, axes=2):
    dz = np.tensordot(da, b, axes)
    dz = np.tensordot(a, db, axes)


@adjoint(np.einsum)
def einsum(dz, z, subscripts, *operands):
    doperands = rt.einsum_adjoint(dz, subscripts, operands)


@tangent(np.einsum, batch="each")
def einsum_tangent(z, subscripts, *operands):
    dz = rt.einsum_tangent(subscripts, operands, doperands)


@adjoint(np.trace, methods=("trace",))
def trace(dz, z, a, offset=0, axis1=0, axis2=1):
    if np.ndim(a) == 2 and offset == 0:
        da = dz * np.eye(np.shape(a)[0], np.shape(a)[1])
    else:
        da = rt.trace_adjoint(dz, a, offset, axis1, axis2)


@tangent(np.trace, methods=("trace",))
def trace_tangent(z, a, offset=0, axis1=0, axis2=1):
    if offset == 0 and axis1 == 0 and axis2 == 1:
        dz = np.trace(da)
    else:
        dz = np.trace(da, offset, axis1, axis2)


@batch_tangent(np.trace, methods=("trace",))
def trace_batch(z, a, offset=0, axis1=0, axis2=1):
    if offset == 0 and axis1 == 0 and axis2 == 1:
        dz = np.trace(da, axis1=1, axis2=2)
    else:
        dz = np.trace(da, offset, batch_axis(axis1, a), batch_axis(axis2, a))


@adjoint(np.diag)
def diag(dz, z, v, k=0):
    dv = rt.diag_adjoint(dz, v, k)


@tangent(np.diag, batch="each")
def diag_tangent(z, v, k=0):
    dz = np.diag(dv, k)


@adjoint(np.diagonal, methods=("diagonal",))
def diagonal(dz, z, a, offset=0, axis1=0, axis2=1):
    da = rt.diagonal_adjoint(dz, a, offset, axis1, axis2)


@tangent(np.diagonal, methods=("diagonal",))
def diagonal_tangent(z, a, offset=0, axis1=0, axis2=1):
    dz = np.diagonal(da, offset, axis1, axis2)


@batch_tangent(np.diagonal, methods=("diagonal",))
def diagonal_batch(z, a, offset=0, axis1=0, axis2=1):
    dz = np.diagonal(da, offset, batch_axis(axis1, a), batch_axis(axis2, a))


@adjoint(np.tril)
def tril(dz, z, m, k=0):
    dm = np.tril(dz, k)


@tangent(np.tril)
def tril_tangent(z, m, k=0):
    dz = np.tril(dm, k)


@batch_tangent(np.tril)
def tril_batch(z, m, k=0):
    if np.ndim(m) >= 2:      # tril works on the last two axes
        dz = np.tril(dm, k)
    else:
        dz = each(np.tril(dm, k))


@adjoint(np.triu)
def triu(dz, z, m, k=0):
    dm = np.triu(dz, k)


@tangent(np.triu)
def triu_tangent(z, m, k=0):
    dz = np.triu(dm, k)


@batch_tangent(np.triu)
def triu_batch(z, m, k=0):
    if np.ndim(m) >= 2:
        dz = np.triu(dm, k)
    else:
        dz = each(np.triu(dm, k))


@adjoint(np.linalg.inv)
def inv(dz, z, a):
    if np.ndim(a) == 2:
        da = -z.T @ dz @ z.T
    else:
        da = -rt.transpose_last(z) @ dz @ rt.transpose_last(z)


@tangent(np.linalg.inv, batch="lift")
def inv_tangent(z, a):
    dz = -z @ da @ z


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


@tangent(np.linalg.solve)
def solve_tangent(z, a, b):
    if np.ndim(a) == 2:
        dz = -np.linalg.solve(a, da @ z)
    else:   # a 1-d b is one vector for every matrix of the stack
        dz = rt.solve_tangent(da, z, a, b)
    dz = np.linalg.solve(a, db)


@batch_tangent(np.linalg.solve)
def solve_batch(z, a, b):
    if np.ndim(a) == 2 and np.ndim(b) == 1:     # a matrix of right-hand sides, one per row
        dz = -np.linalg.solve(a, (da @ z).T).T
        dz = np.linalg.solve(a, db.T).T
    elif np.ndim(a) == 2 and np.ndim(b) == 2:
        dz = -np.linalg.solve(a, da @ z)
        dz = np.linalg.solve(a, db)
    else:
        dz = each(rt.solve_tangent(da, z, a, b))
        dz = each(np.linalg.solve(a, db))


@adjoint(np.linalg.det)
def det(dz, z, a):
    if np.ndim(a) == 2:
        da = dz * z * np.linalg.inv(a).T
    else:
        da = (dz * z)[..., None, None] * rt.transpose_last(np.linalg.inv(a))


@tangent(np.linalg.det)
def det_tangent(z, a):
    if np.ndim(a) == 2:
        dz = z * np.trace(np.linalg.solve(a, da))
    else:
        dz = z * np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)


@batch_tangent(np.linalg.det)
def det_batch(z, a):
    if np.ndim(a) == 2:
        dz = z * np.trace(np.linalg.solve(a, da), axis1=1, axis2=2)
    else:
        dz = each(z * np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1))


@adjoint(np.linalg.slogdet)
def slogdet(dz, z, a):
    da = rt.slogdet_adjoint(dz, a)


@tangent(np.linalg.slogdet, batch="each")
def slogdet_tangent(z, a):
    # (sign, log|det|): the sign is piecewise constant
    dz = (np.zeros_like(z[0]), np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1))


@adjoint(np.linalg.norm)
def norm(dz, z, x, ord=None, axis=None, keepdims=False):
    dx = rt.norm_adjoint(dz, z, x, ord, axis, keepdims)


@tangent(np.linalg.norm, batch="each")
def norm_tangent(z, x, ord=None, axis=None, keepdims=False):
    dz = rt.norm_tangent(dx, z, x, ord, axis, keepdims)


@adjoint(np.linalg.cholesky)
def cholesky(dz, z, a, upper=False):
    if not upper:
        da = rt.cholesky_adjoint(dz, z)
    else:   # upper=True, or a flag known only at run time
        da = rt.cholesky_adjoint(dz, z, upper)


@tangent(np.linalg.cholesky, batch="each")
def cholesky_tangent(z, a, upper=False):
    if not upper:
        dz = rt.cholesky_tangent(da, z)
    else:
        dz = rt.cholesky_tangent(da, z, upper)


# --- tangents of the runtime helpers the adjoints above call -----------------------------------
# Most are linear in the cotangent ``g`` and in the primal operands they multiply it with;
# arguments read only for their shapes get no term.

@tangent(runtime.transpose_last, batch="same")
def transpose_last_tangent(z, a):
    dz = rt.transpose_last(da)


@tangent(runtime.matmul_adjoint_left, batch="each")
def matmul_adjoint_left_tangent(z, g, x, y):
    dz = rt.matmul_adjoint_left(dg, x, y)
    dz = rt.matmul_adjoint_left(g, x, dy)


@tangent(runtime.matmul_adjoint_right, batch="each")
def matmul_adjoint_right_tangent(z, g, x, y):
    dz = rt.matmul_adjoint_right(dg, x, y)
    dz = rt.matmul_adjoint_right(g, dx, y)


@tangent(runtime.dot_adjoint_left, batch="each")
def dot_adjoint_left_tangent(z, g, a, b):
    dz = rt.dot_adjoint_left(dg, a, b)
    dz = rt.dot_adjoint_left(g, a, db)


@tangent(runtime.dot_adjoint_right, batch="each")
def dot_adjoint_right_tangent(z, g, a, b):
    dz = rt.dot_adjoint_right(dg, a, b)
    dz = rt.dot_adjoint_right(g, da, b)


@tangent(runtime.inner_adjoint_left, batch="each")
def inner_adjoint_left_tangent(z, g, a, b):
    dz = rt.inner_adjoint_left(dg, a, b)
    dz = rt.inner_adjoint_left(g, a, db)


@tangent(runtime.inner_adjoint_right, batch="each")
def inner_adjoint_right_tangent(z, g, a, b):
    dz = rt.inner_adjoint_right(dg, a, b)
    dz = rt.inner_adjoint_right(g, da, b)


@tangent(runtime.tensordot_adjoint_left, batch="each")
def tensordot_adjoint_left_tangent(z, g, a, b, axes):
    dz = rt.tensordot_adjoint_left(dg, a, b, axes)
    dz = rt.tensordot_adjoint_left(g, a, db, axes)


@tangent(runtime.tensordot_adjoint_right, batch="each")
def tensordot_adjoint_right_tangent(z, g, a, b, axes):
    dz = rt.tensordot_adjoint_right(dg, a, b, axes)
    dz = rt.tensordot_adjoint_right(g, da, b, axes)


# a list of adjoints: one term, since lists would concatenate under ``+``
@tangent(runtime.einsum_adjoint, zeros_for_missing=True, batch="each")
def einsum_adjoint_tangent(z, g, subscripts, operands, optimize=False):
    dz = rt.einsum_adjoint_tangent(g, dg, subscripts, operands, doperands, optimize)


@tangent(runtime.trace_adjoint, batch="each")
def trace_adjoint_tangent(z, g, a, offset, axis1, axis2):
    dz = rt.trace_adjoint(dg, a, offset, axis1, axis2)


@tangent(runtime.diag_adjoint, batch="each")
def diag_adjoint_tangent(z, g, v, k):
    dz = rt.diag_adjoint(dg, v, k)


@tangent(runtime.diagonal_adjoint, batch="each")
def diagonal_adjoint_tangent(z, g, a, offset, axis1, axis2):
    dz = rt.diagonal_adjoint(dg, a, offset, axis1, axis2)


@tangent(runtime.solve_transposed, batch="each")
def solve_transposed_tangent(z, a, g, b):
    dz = rt.solve_transposed(a, dg, b)
    dz = rt.solve_transposed_tangent(da, z, a, b)


@tangent(runtime.solve_adjoint_matrix, batch="each")
def solve_adjoint_matrix_tangent(z, adjoint_b, x, a, b):
    dz = rt.solve_adjoint_matrix(dadjoint_b, x, a, b)
    dz = rt.solve_adjoint_matrix(adjoint_b, dx, a, b)


@tangent(runtime.slogdet_adjoint, batch="each")
def slogdet_adjoint_tangent(z, g, a):
    dz = rt.slogdet_adjoint(dg, a)
    dz = rt.slogdet_adjoint_tangent(g, a, da)


@tangent(runtime.norm_adjoint, batch="each")
def norm_adjoint_tangent(out, g, z, x, ord, axis, keepdims):
    dout = rt.norm_adjoint(dg, z, x, ord, axis, keepdims)
    dout = rt.norm_adjoint_tangent(g, z, x, ord, axis, keepdims, dz=dz)
    dout = rt.norm_adjoint_tangent(g, z, x, ord, axis, keepdims, dx=dx)


@tangent(runtime.cholesky_adjoint, batch="each")
def cholesky_adjoint_tangent(z, g, l, upper=False):
    dz = rt.cholesky_adjoint(dg, l, upper)
    dz = rt.cholesky_adjoint_tangent(g, l, dl, upper)
