"""Adjoints of functions that move elements around: splits, stacks, repeats, tiles."""
import numpy as np


def unstack_like(g, x):
    """Adjoint of ``np.array(x)`` for a (nested) list of values: split ``g`` like ``x``."""
    if isinstance(x, (list, tuple)):
        return [unstack_like(g[i], item) for i, item in enumerate(x)]
    return g


def split_like(g, arrays, axis):
    """Adjoint of ``np.concatenate(arrays, axis)``: the pieces of ``g``."""
    sizes = [np.shape(a)[axis] if np.ndim(a) else 1 for a in arrays]
    bounds = np.cumsum(sizes)[:-1]
    pieces = np.split(g, bounds, axis=axis)
    return [np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)]


def unstack(g, arrays, axis):
    """Adjoint of ``np.stack(arrays, axis)``."""
    return [np.take(g, i, axis=axis) for i in range(len(arrays))]


def vstack_adjoint(g, tup):
    rows = [np.shape(np.atleast_2d(a))[0] for a in tup]
    bounds = np.cumsum(rows)[:-1]
    return [np.reshape(p, np.shape(a)) for p, a in zip(np.split(g, bounds, axis=0), tup)]


def transpose_adjoint(g, axes):
    """Adjoint of ``x.transpose(*axes)``."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = axes[0]
    if not axes or axes == (None,):
        return np.transpose(g)
    return np.transpose(g, np.argsort(axes))


def repeat_adjoint(g, a, repeats, axis):
    shape = np.shape(a)
    if axis is None:
        flat = np.ravel(g)
        counts = np.broadcast_to(repeats, (int(np.prod(shape)),))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return np.reshape(np.add.reduceat(flat, starts) if len(flat) else np.zeros(shape), shape)
    axis = axis % len(shape)
    counts = np.broadcast_to(repeats, (shape[axis],))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.add.reduceat(g, starts, axis=axis)


def tile_adjoint(g, a, reps):
    shape = np.shape(a)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    ndim = max(len(shape), len(reps))
    full_shape = (1,) * (ndim - len(shape)) + tuple(shape)
    full_reps = (1,) * (ndim - len(reps)) + reps
    split = []
    for r, s in zip(full_reps, full_shape):
        split.extend([r, s])
    g = np.reshape(g, split)
    g = np.sum(g, axis=tuple(range(0, 2 * ndim, 2)))
    return np.reshape(g, shape)
