"""Derivatives of functions that move elements around: splits, stacks, repeats, tiles, sorts.

Each adjoint helper takes the cotangent ``g`` of the output first and returns the adjoint of
one argument (or a list of adjoints, one per array of a sequence argument). Each tangent helper
(``*_tangent``, forward mode) returns the tangent of an output.
"""
import numpy as np

from .core import unbroadcast

__all__ = [
    "sum_like", "unstack_like", "split_like", "unstack", "hstack_adjoint", "vstack_adjoint",
    "transpose_adjoint", "cast_adjoint", "repeat_adjoint", "tile_adjoint", "roll_adjoint",
    "meshgrid_adjoint", "linspace_fractions", "sort_adjoint", "take_adjoint", "item_adjoint",
    "default_adjoint", "linspace_adjoint", "fill_adjoint", "cast_tangent", "fill_tangent",
    "linspace_tangent", "sort_tangent", "meshgrid_tangent",
]


def sum_like(g, x):
    """Sum ``g`` down to the shape of ``x`` (a value or a shape), undoing broadcasting: a
    Python number gets a Python float."""
    return unbroadcast(g, x)


def unstack_like(g, x):
    """Adjoint of ``np.array(x)`` for a (nested) list of values: split ``g`` like ``x``."""
    if isinstance(x, (list, tuple)):
        return [unstack_like(g[i], item) for i, item in enumerate(x)]
    return g


def split_like(g, arrays, axis):
    """Adjoint of ``np.concatenate(arrays, axis)``: the pieces of ``g``, one per array
    (``axis=None`` concatenates the flattened arrays)."""
    if axis is None:
        sizes = [np.size(a) for a in arrays]
        g = np.ravel(g)
        axis = 0
    else:
        sizes = [np.shape(a)[axis] for a in arrays]
    bounds = np.cumsum(sizes)[:-1]
    pieces = np.split(g, bounds, axis=axis)
    return [np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)]


def unstack(g, arrays, axis):
    """Adjoint of ``np.stack(arrays, axis)``: the slices of ``g`` along ``axis``."""
    return list(np.moveaxis(g, axis, 0))


def hstack_adjoint(g, arrays):
    """Adjoint of ``np.hstack(arrays)``: numbers and 1-d arrays are joined along axis 0,
    everything else along axis 1."""
    axis = 0 if np.ndim(arrays[0]) <= 1 else 1
    sizes = [np.shape(np.atleast_1d(a))[axis] for a in arrays]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return [np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)]


def vstack_adjoint(g, arrays):
    """Adjoint of ``np.vstack(arrays)``: numbers and 1-d arrays are rows."""
    rows = [np.shape(np.atleast_2d(a))[0] for a in arrays]
    pieces = np.split(g, np.cumsum(rows)[:-1], axis=0)
    return [np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)]


def transpose_adjoint(g, axes):
    """Adjoint of ``np.transpose(x, axes)`` and of ``x.transpose(*axes)``: transpose back by
    the inverse permutation (negative axes allowed)."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    if axes is None or len(axes) == 0:
        return np.transpose(g)
    return np.transpose(g, np.argsort(np.mod(axes, len(axes))))


def cast_adjoint(g, x, dtype):
    """Adjoint of ``x.astype(dtype)``: ``g`` for a floating (or complex) result; an integer or
    boolean result is piecewise constant, so nothing flows back."""
    if np.dtype(dtype).kind in "fc":
        return g
    return np.zeros(np.shape(x))


def repeat_adjoint(g, a, repeats, axis):
    """Adjoint of ``np.repeat(a, repeats, axis)``: each element receives the sum of its
    copies (``repeats`` may be one count or one per element, zeros included)."""
    shape = np.shape(a)
    if axis is None:
        g, axis, length = np.ravel(g), 0, int(np.prod(shape))
    else:
        axis = axis % len(shape)
        length = shape[axis]
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:
        count = int(np.ravel(repeats)[0])
        split = np.shape(g)[:axis] + (length, count) + np.shape(g)[axis + 1:]
        return np.reshape(np.sum(np.reshape(g, split), axis=axis + 1), shape)
    owner = np.repeat(np.arange(length), repeats)      # the element each copy came from
    result = np.zeros(np.shape(g)[:axis] + (length,) + np.shape(g)[axis + 1:])
    np.add.at(np.moveaxis(result, axis, 0), owner, np.moveaxis(g, axis, 0))
    return np.reshape(result, shape)


def tile_adjoint(g, a, reps):
    """Adjoint of ``np.tile(a, reps)``: the sum of the tiles."""
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


def roll_adjoint(g, shift, axis):
    """Adjoint of ``np.roll(a, shift, axis)``: roll back."""
    return np.roll(g, np.negative(shift), axis)


def meshgrid_adjoint(g, arrays, indexing):
    """Adjoints of ``np.meshgrid(*arrays, indexing=...)``: each input receives its grid's
    cotangent summed over every other axis. Grids nobody read have the cotangent 0.0."""
    count = len(arrays)
    result = []
    for i, (grid, array) in enumerate(zip(g, arrays)):
        axis = i
        if indexing == "xy" and count > 1 and i < 2:
            axis = 1 - i
        if np.ndim(grid) == 0:
            result.append(np.zeros(np.shape(array)) + grid)
            continue
        others = tuple(j for j in range(np.ndim(grid)) if j != axis)
        result.append(np.reshape(np.sum(grid, axis=others), np.shape(array)))
    return result


def linspace_fractions(g, num, endpoint, axis):
    """Where each sample of ``np.linspace(start, stop, num, endpoint, axis=axis)`` lies between
    ``start`` (0) and ``stop`` (1), shaped to multiply ``g``."""
    fractions = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    axis = axis % np.ndim(g)
    return np.reshape(fractions, (-1,) + (1,) * (np.ndim(g) - axis - 1))


def linspace_adjoint(g, z, start, stop, num, endpoint, retstep, dtype, axis):
    """Adjoints of ``start`` and ``stop`` in ``z = np.linspace(start, stop, num, endpoint,
    retstep, dtype, axis=axis)`` in general: with ``retstep``, ``z`` and ``g`` are (samples,
    step) pairs, the step being ``(stop - start) / divisions``; integer samples are piecewise
    constant in their ends."""
    step_cotangent = 0.0
    if retstep:
        (g, step_cotangent), z = g, z[0]
    if np.ndim(g) == 0:       # nobody read the samples
        g = np.zeros(np.shape(z)) + g
    if dtype is not None:
        g = cast_adjoint(g, z, dtype)
    t = linspace_fractions(g, num, endpoint, axis)
    divisions = num - 1 if endpoint else num
    step_part = np.divide(step_cotangent, divisions) if divisions else 0.0
    start_adjoint = np.sum(g * (1.0 - t), axis=axis) - step_part
    stop_adjoint = np.sum(g * t, axis=axis) + step_part
    return sum_like(start_adjoint, start), sum_like(stop_adjoint, stop)


def sort_adjoint(g, a, axis):
    """Adjoint of ``np.sort(a, axis)``: send each sorted element's cotangent back to where it
    came from."""
    if axis is None:
        order = np.argsort(np.ravel(a), kind="stable")
        result = np.zeros(np.size(a))
        result[order] = g
        return np.reshape(result, np.shape(a))
    order = np.argsort(a, axis=axis, kind="stable")
    result = np.zeros(np.shape(a))
    np.put_along_axis(result, order, g, axis=axis)
    return result


def take_adjoint(g, a, indices, axis):
    """Adjoint of ``np.take(a, indices, axis)``: repeated indices accumulate."""
    if axis is None:
        result = np.zeros(np.size(a))
        np.add.at(result, indices, g)
        return np.reshape(result, np.shape(a))
    axis = axis % np.ndim(a)
    result = np.zeros(np.shape(a))
    index = (slice(None),) * axis + (indices,)
    np.add.at(result, index, g)
    return result


def item_adjoint(g, a, index):
    """Adjoint of ``a.item(*index)``: ``g`` at the one element read (a flat index, a tuple of
    indices, or none for a one-element array)."""
    result = np.zeros(np.shape(a))
    if len(index) == 1 and isinstance(index[0], tuple):
        index = index[0]
    if len(index) == 0:
        result[...] = g
    elif len(index) == 1:
        result.flat[index[0]] = g
    else:
        result[index] = g
    return result


def default_adjoint(g, mapping, key):
    """Adjoint of ``default`` in ``mapping.get(key, default)``: ``g`` when the key is missing
    (the default was returned), else nothing."""
    return 0.0 if key in mapping else g


def fill_adjoint(g, z, fill_value):
    """Adjoint of ``fill_value`` in ``z = np.full(shape, fill_value)`` (or ``full_like``):
    the sum of the copies, or nothing when ``z`` is an integer or boolean array (truncating
    the fill value is piecewise constant)."""
    if np.asarray(z).dtype.kind not in "fc":
        g = np.zeros(np.shape(g))
    return sum_like(g, fill_value)


def cast_tangent(dx, dtype):
    """Tangent of ``x.astype(dtype)``: a copy of ``dx`` (as the cast is) for a floating (or
    complex) result; an integer or boolean result is piecewise constant."""
    if np.dtype(dtype).kind in "fc":
        return np.array(dx, dtype=dtype)
    return np.zeros(np.shape(dx))


def fill_tangent(dfill_value, z):
    """Tangent of ``z = np.full(shape, fill_value)`` (or ``full_like``): the fill value's
    tangent everywhere, or zeros when ``z`` is an integer or boolean array."""
    if np.asarray(z).dtype.kind not in "fc":
        return np.zeros(np.shape(z))
    return np.full(np.shape(z), dfill_value)


def linspace_tangent(dstart, dstop, num, endpoint, retstep, dtype, axis):
    """Tangent of ``np.linspace(start, stop, num, endpoint, retstep, dtype, axis=axis)``: the
    samples (and step) between the ends' tangents; integer samples are piecewise constant."""
    result = np.linspace(dstart, dstop, num, endpoint, retstep, axis=axis)
    if dtype is None or np.dtype(dtype).kind in "fc":
        return result
    if retstep:
        return np.zeros(np.shape(result[0])), result[1]
    return np.zeros(np.shape(result))


def sort_tangent(da, a, axis):
    """Tangent of ``np.sort(a, axis)``: ``da`` in the order that sorts ``a``."""
    if axis is None:
        return np.ravel(da)[np.argsort(np.ravel(a), kind="stable")]
    return np.take_along_axis(da, np.argsort(a, axis=axis, kind="stable"), axis=axis)


def meshgrid_tangent(tangents, arrays, sparse, indexing):
    """Tangents of ``np.meshgrid(*arrays, sparse=sparse, indexing=indexing)``: the grids of
    the tangents (``None`` where an array has none)."""
    filled = [np.zeros(np.shape(a)) if t is None else np.broadcast_to(t, np.shape(a))
              for t, a in zip(tangents, arrays)]
    return np.meshgrid(*filled, sparse=sparse, indexing=indexing)
