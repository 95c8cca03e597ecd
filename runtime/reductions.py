"""Adjoints of reductions too long to inline: products, extrema, cumulative sums."""
import numpy as np


def prod_adjoint(g, x, axis, keepdims):
    from .core import unreduce
    x = np.asarray(x, dtype=float)
    if axis is None:
        flat = x.ravel()
        return np.reshape(_prod_others(flat, 0), x.shape) * g
    axes = axis
    product_others = _prod_others(x, axes)
    return unreduce(g, x, axis, keepdims) * product_others


def _prod_others(x, axis):
    """Product of all other elements along ``axis`` for each element (safe with zeros)."""
    x = np.moveaxis(x, axis, -1)
    left = np.cumprod(np.concatenate([np.ones(x.shape[:-1] + (1,)), x[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.concatenate(
        [np.ones(x.shape[:-1] + (1,)), np.flip(x, -1)[..., :-1]], -1), -1), -1)
    return np.moveaxis(left * right, -1, axis)


def extremum_adjoint(g, z, x, axis, keepdims):
    """Adjoint of max/min: the cotangent is shared equally among tied extreme elements."""
    from .core import unreduce
    z_full = unreduce(z, x, axis, keepdims)
    mask = (np.asarray(x) == z_full)
    count = np.sum(mask, axis=axis, keepdims=True)
    return unreduce(g, x, axis, keepdims) * mask / count


def cumsum_adjoint(g, x, axis):
    if axis is None:
        return np.reshape(np.flip(np.cumsum(np.flip(np.ravel(g)))), np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def cumprod_adjoint(g, z, x, axis):
    """Adjoint of ``cumprod``: sum over later outputs of g * z / x (x without zeros)."""
    if axis is None:
        return np.reshape(cumprod_adjoint(np.ravel(g), np.ravel(z), np.ravel(x), 0), np.shape(x))
    return np.flip(np.cumsum(np.flip(g * z, axis), axis), axis) / x


def unreduce_sequence(g, x):
    """Adjoint of the builtin ``sum`` over a list/tuple (or an array's first axis)."""
    if isinstance(x, (list, tuple)):
        return [g for _ in x]
    return np.broadcast_to(g, np.shape(x)).copy()
