"""Adjoints of reductions too long to inline: products, extrema, cumulative sums and
products, and the builtin ``sum`` over a sequence."""
import numpy as np

from .core import unbroadcast, unreduce

__all__ = ["prod_adjoint", "extremum_adjoint", "cumsum_adjoint", "cumprod_adjoint",
           "unreduce_sequence"]


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
