"""Adjoints and tangents of reductions too long to inline: products, extrema, cumulative
sums and products, and the builtin ``sum`` over a sequence; and ``broadcast_like``, which
gives an operand's tangent the shape of an elementwise result.

The ``*_adjoint_tangent`` helpers are the tangents of the adjoint helpers with respect to
their primal arguments: forward mode runs through generated adjoint code for second
derivatives, where the adjoint helpers are primitives like any NumPy function.
"""
import numpy as np

from .core import unbroadcast, unreduce

__all__ = ["prod_adjoint", "extremum_adjoint", "cumsum_adjoint", "cumprod_adjoint",
           "unreduce_sequence", "broadcast_like", "prod_tangent", "extremum_tangent",
           "cumprod_tangent", "prod_adjoint_tangent", "cumprod_adjoint_tangent"]


def prod_adjoint(g, x, axis, keepdims):
    """Adjoint of ``np.prod(x, axis, keepdims=...)``: ``g`` times the product of the other
    reduced elements, computed without dividing by ``x`` so that zeros are handled."""
    x = np.asarray(x, dtype=float)
    axes = tuple(range(x.ndim)) if axis is None else \
        tuple(a % x.ndim for a in np.atleast_1d(axis).tolist())
    return unreduce(g, x, axis, keepdims) * _product_of_others(x, axes)


def _product_of_others(x, axes):
    """For each element, the product of the other elements sharing its reduction slice."""
    if x.ndim == 0:
        return np.ones(())
    kept = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,))
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = (before * after).reshape(moved.shape)
    return np.transpose(others, np.argsort(kept + list(axes)))


def extremum_adjoint(g, z, x, axis, keepdims):
    """Adjoint of max/min: the cotangent is shared equally among tied extreme elements."""
    mask = np.asarray(x) == unreduce(z, x, axis, keepdims)
    count = np.sum(mask, axis=axis, keepdims=True)
    return unreduce(g, x, axis, keepdims) * mask / count


def cumsum_adjoint(g, x, axis):
    """Adjoint of ``np.cumsum(x, axis)``: the reversed cumulative sum of ``g``."""
    if axis is None:
        return np.reshape(np.flip(np.cumsum(np.flip(np.ravel(g)))), np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def cumprod_adjoint(g, z, x, axis):
    """Adjoint of ``z = np.cumprod(x, axis)``: element i receives the sum over j >= i of
    ``g[j] * z[j] / x[i]``; where ``x`` has zeros, a recurrence without division is used."""
    if axis is None:
        return np.reshape(cumprod_adjoint(np.ravel(g), np.ravel(z), np.ravel(x), 0),
                          np.shape(x))
    x = np.asarray(x, dtype=float)
    if np.all(x != 0):
        return np.flip(np.cumsum(np.flip(g * z, axis), axis), axis) / x
    # dx[i] = prod(x[:i]) * r[i] with r[n-1] = g[n-1] and r[i] = g[i] + x[i+1] * r[i+1].
    g = np.moveaxis(np.broadcast_to(g, x.shape), axis, 0)
    moved = np.moveaxis(x, axis, 0)
    r = np.empty_like(moved)
    r[-1] = g[-1]
    for i in range(len(moved) - 2, -1, -1):
        r[i] = g[i] + moved[i + 1] * r[i + 1]
    before = np.cumprod(np.concatenate([np.ones_like(moved[:1]), moved[:-1]]), 0)
    return np.moveaxis(before * r, 0, axis)


def unreduce_sequence(g, x):
    """Adjoint of the builtin ``sum`` over a list/tuple (or an array's first axis)."""
    if isinstance(x, (list, tuple)):
        return [unbroadcast(g, item) for item in x]
    return np.broadcast_to(g, np.shape(x)).copy()


# --- tangents ----------------------------------------------------------------------------

def broadcast_like(t, z):
    """The tangent ``t`` of one operand of an elementwise operation, broadcast to the shape
    of its result ``z`` (a fresh array, so it may be updated in place)."""
    shape = np.shape(z)
    if np.shape(t) == shape:
        return t
    return np.array(np.broadcast_to(t, shape), dtype=float)


def prod_tangent(t, x, axis, keepdims):
    """Tangent of ``np.prod(x, axis, keepdims=...)`` in the direction ``t``: each element's
    tangent times the product of the other reduced elements (no division, so zeros are
    handled)."""
    x = np.asarray(x, dtype=float)
    return np.sum(t * _product_of_others(x, _axes(x, axis)), axis=axis, keepdims=keepdims)


def extremum_tangent(t, z, x, axis, keepdims):
    """Tangent of max/min: the mean of the tangents of the tied extreme elements (the
    adjoint shares the cotangent among them equally)."""
    mask = np.asarray(x) == unreduce(z, x, axis, keepdims)
    return np.sum(t * mask, axis=axis, keepdims=keepdims) \
        / np.sum(mask, axis=axis, keepdims=keepdims)


def cumprod_tangent(t, z, x, axis):
    """Tangent of ``z = np.cumprod(x, axis)``: ``dz[i] = dz[i-1] * x[i] + z[i-1] * t[i]``,
    which is ``z * cumsum(t / x)`` when ``x`` has no zeros."""
    if axis is None:
        return cumprod_tangent(np.ravel(np.broadcast_to(t, np.shape(x))), np.ravel(z),
                               np.ravel(x), 0)
    x = np.asarray(x, dtype=float)
    t = np.broadcast_to(t, x.shape)
    if np.all(x != 0):
        return z * np.cumsum(t / x, axis)
    moved, tangent = np.moveaxis(x, axis, 0), np.moveaxis(t, axis, 0)
    before = _exclusive_cumprod(moved)
    out = np.empty_like(moved)
    out[0] = tangent[0]
    for i in range(1, len(moved)):
        out[i] = out[i - 1] * moved[i] + before[i] * tangent[i]
    return np.moveaxis(out, 0, axis)


def prod_adjoint_tangent(g, x, dx, axis, keepdims):
    """Tangent of ``prod_adjoint(g, x, axis, keepdims)`` in ``x`` along ``dx`` (it is linear
    in ``g``): ``g`` spread over ``x`` times the tangent of the product of the others."""
    x = np.asarray(x, dtype=float)
    dx = np.broadcast_to(dx, x.shape)
    return unreduce(g, x, axis, keepdims) * _product_of_others_tangent(x, dx, _axes(x, axis))


def cumprod_adjoint_tangent(g, x, dx, axis):
    """Tangent of ``cumprod_adjoint(g, np.cumprod(x, axis), x, axis)`` in ``x`` along ``dx``:
    its caller's ``z`` is always the cumulative product of ``x``, so ``dx`` carries the
    tangent of both. Differentiates the recurrence of ``cumprod_adjoint`` (exact with zeros).
    """
    if axis is None:
        return np.reshape(cumprod_adjoint_tangent(np.ravel(g), np.ravel(x),
                                                  np.ravel(np.broadcast_to(dx, np.shape(x))),
                                                  0), np.shape(x))
    x = np.asarray(x, dtype=float)
    g = np.moveaxis(np.broadcast_to(g, x.shape), axis, 0)
    moved = np.moveaxis(x, axis, 0)
    tangent = np.moveaxis(np.broadcast_to(dx, x.shape), axis, 0)
    # adjoint[i] = before[i] * r[i], r[n-1] = g[n-1], r[i] = g[i] + x[i+1] * r[i+1]
    r, dr = np.empty_like(moved), np.zeros_like(moved)
    r[-1] = g[-1]
    for i in range(len(moved) - 2, -1, -1):
        r[i] = g[i] + moved[i + 1] * r[i + 1]
        dr[i] = tangent[i + 1] * r[i + 1] + moved[i + 1] * dr[i + 1]
    before = _exclusive_cumprod(moved)
    dbefore = _exclusive_cumprod_tangent(moved, tangent)
    return np.moveaxis(dbefore * r + before * dr, 0, axis)


def _axes(x, axis):
    """The reduced axes of ``x`` as non-negative integers."""
    if axis is None:
        return tuple(range(x.ndim))
    return tuple(a % x.ndim for a in np.atleast_1d(axis).tolist())


def _exclusive_cumprod(moved):
    """``before[i] = prod(moved[:i])`` along the first axis."""
    return np.cumprod(np.concatenate([np.ones_like(moved[:1]), moved[:-1]]), 0)


def _exclusive_cumprod_tangent(moved, tangent):
    """The tangent of ``_exclusive_cumprod(moved)`` along ``tangent``, without division."""
    before = _exclusive_cumprod(moved)
    out = np.zeros_like(moved)
    for i in range(1, len(moved)):
        out[i] = out[i - 1] * moved[i - 1] + before[i - 1] * tangent[i - 1]
    return out


def _product_of_others_tangent(x, dx, axes):
    """The tangent of ``_product_of_others(x, axes)`` along ``dx``: with ``before`` and
    ``after`` the products of the elements before and after each one in its slice, the
    tangent of ``before * after`` by their recurrences (exact with zeros)."""
    if x.ndim == 0:
        return np.zeros(())
    kept = [a for a in range(x.ndim) if a not in axes]
    order = kept + list(axes)

    def flat_first(a):      # the reduced elements of each slice along the first axis
        moved = np.transpose(a, order)
        return np.moveaxis(moved.reshape(moved.shape[:len(kept)] + (-1,)), -1, 0), moved.shape

    values, shape = flat_first(x)
    tangents, _ = flat_first(dx)
    before, dbefore = _exclusive_cumprod(values), _exclusive_cumprod_tangent(values, tangents)
    after = np.flip(_exclusive_cumprod(np.flip(values, 0)), 0)
    dafter = np.flip(_exclusive_cumprod_tangent(np.flip(values, 0), np.flip(tangents, 0)), 0)
    others = np.moveaxis(dbefore * after + before * dafter, 0, -1).reshape(shape)
    return np.transpose(others, np.argsort(order))
