"""What batched tangent code (``rg.jvp(..., batched=True)``, ``rg.hessian``) calls at run time.

A batched tangent of a value of shape ``S`` has shape ``(K,) + S``: one tangent per row, for
``K`` directions pushed through the code at once. A tangent of a list, tuple or dict is the
same container of batched tangents. Generated code writes the common cases inline
(``dx[:, i]``, ``np.sum(dx, axis=1)``); these helpers cover the rest: shapes known only at
run time, and operations whose batched form is not a one-liner. Plain NumPy only.
"""
import numpy as np

__all__ = [
    "size", "zeros_like", "lift", "axis", "broadcast_like", "array", "stack", "pick",
    "unbroadcast", "unreduce", "getitem", "setitem", "add_at", "container", "transpose",
    "cumsum", "builtin_sum", "item", "hstack", "vstack", "unstack_like", "like",
]


def size(tangent):
    """The number of directions ``K`` of a batched tangent (of any structure)."""
    if isinstance(tangent, (list, tuple)):
        for item in tangent:
            found = size(item)
            if found is not None:
                return found
        return None
    if isinstance(tangent, dict):
        return size(list(tangent.values()))
    return len(tangent)


def zeros_like(x, k):
    """Zero batched tangents of ``x``: ``k`` zero rows shaped like each array or number."""
    if isinstance(x, (list, tuple)):
        return [zeros_like(v, k) for v in x]
    if isinstance(x, dict):
        return {key: zeros_like(v, k) for key, v in x.items()}
    return np.zeros((k,) + np.shape(x))


def lift(tangent, z):
    """A batched tangent with axes of length 1 inserted after the batch axis, so that it has
    the rank of ``z`` plus one and broadcasts against ``z`` as its value does."""
    tangent = array(tangent)
    missing = np.ndim(z) + 1 - tangent.ndim
    if missing <= 0:
        return tangent
    return np.reshape(tangent, tangent.shape[:1] + (1,) * missing + tangent.shape[1:])


def axis(axis, x):
    """The axis (or axes) of a batched tangent that ``axis`` names in ``x``; ``None`` (all
    axes of ``x``) is every axis after the batch axis. Negative axes are unchanged."""
    if axis is None:
        return tuple(range(1, np.ndim(x) + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(a + 1 if a >= 0 else a for a in axis)
    return axis + 1 if axis >= 0 else axis


def broadcast_like(tangent, z):
    """The batched tangent of one operand of an elementwise operation, spread to the shape of
    its result ``z``: ``(K,) + np.shape(z)``."""
    tangent = lift(tangent, z)
    shape = tangent.shape[:1] + np.shape(z)
    if tangent.shape == shape:
        return tangent
    return np.array(np.broadcast_to(tangent, shape), dtype=float)


def array(tangent, dtype=None):
    """A batched tangent as one array: nested lists and tuples of batched tangents (the
    tangent of ``np.array([a, b])``) are stacked after the batch axis."""
    if isinstance(tangent, (list, tuple)):
        tangent = np.stack([array(t) for t in tangent], axis=1)
    return np.asarray(tangent, dtype=dtype)


def stack(tangents):
    """Stack the tangents of single directions into one batched tangent (leaf by leaf)."""
    first = tangents[0]
    if isinstance(first, (list, tuple)):
        return type(first)(stack([t[i] for t in tangents]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: stack([t[key] for t in tangents]) for key in first}
    return np.stack([np.asarray(t, dtype=float) for t in tangents])


def pick(tangent, j):
    """Direction ``j`` of a batched tangent (of any structure)."""
    if isinstance(tangent, (list, tuple)):
        return type(tangent)(pick(t, j) for t in tangent)
    if isinstance(tangent, dict):
        return {key: pick(t, j) for key, t in tangent.items()}
    return tangent[j]


def unbroadcast(g, x):
    """``rt.unbroadcast`` of every direction: sum the batched ``g`` down to ``(K,)`` plus the
    shape of ``x`` (a shape tuple, an array or a Python number)."""
    shape = x if type(x) is tuple else getattr(x, "shape", None)
    g = np.asarray(g)
    k = g.shape[:1]
    if shape is None:                   # a Python number: one float per direction
        return np.sum(np.reshape(g, k + (-1,)), axis=1)
    if g.shape[1:] == shape:
        return g
    extra = g.ndim - 1 - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(1, extra + 1)))
    axes = tuple(i + 1 for i, n in enumerate(shape) if n == 1 and g.shape[i + 1] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    if g.shape[1:] != shape:
        g = np.broadcast_to(g, k + shape)
    return g


def unreduce(g, x, axis=None, keepdims=False):
    """``rt.unreduce`` of every direction: spread the batched tangent of a reduction of ``x``
    over ``axis`` back to ``(K,)`` plus the shape of ``x``."""
    shape = np.shape(x)
    g = np.asarray(g)
    if axis is None and not keepdims:
        g = np.reshape(g, g.shape[:1] + (1,) * len(shape))
    elif not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) + 1 for a in axes))
    return np.broadcast_to(g, g.shape[:1] + shape)


def _batched_index(index):
    """``index`` for a batched array with the batch axis moved last: the implicit trailing
    slice keeps it apart from any integer-array indices."""
    parts = index if isinstance(index, tuple) else (index,)
    if any(p is Ellipsis for p in parts):
        return parts + (slice(None),)
    return parts + (Ellipsis, slice(None))


def getitem(tangent, index):
    """The batched tangent of ``x[index]``: the same read of every direction (lists, tuples
    and dicts of tangents are read as they are)."""
    if isinstance(tangent, (list, tuple, dict)):
        return tangent[index]
    moved = np.moveaxis(tangent, 0, -1)[_batched_index(index)]
    return np.moveaxis(moved, -1, 0)


def setitem(tangent, index, value):
    """``dx[index] = dv`` for every direction of the owned batched tangent ``dx``."""
    if isinstance(tangent, (list, dict)):
        tangent[index] = value
        return tangent
    moved = np.moveaxis(tangent, 0, -1)         # a view: writing into it writes the tangent
    value = np.asarray(value)
    slot = moved[_batched_index(index)]
    value = np.moveaxis(lift(value, slot[..., 0]), 0, -1)
    moved[_batched_index(index)] = value
    return tangent


def add_at(tangent, index, value):
    """``rt.add_at(dx, index, g)`` for every direction of the owned batched tangent ``dx``."""
    from .core import _is_fancy, add_at as add_at_unbatched
    if not isinstance(tangent, np.ndarray):
        return add_at_unbatched(tangent, index, value)  # a container: elements are rebound
    moved = np.moveaxis(tangent, 0, -1)
    where = _batched_index(index)
    value = np.moveaxis(lift(np.asarray(value), moved[where][..., 0]), 0, -1)
    if _is_fancy(index):
        np.add.at(moved, where, value)
    else:
        moved[where] += value
    return tangent


def container(kind, tangent, x):
    """The batched tangent of ``list(x)`` or ``tuple(x)``: for an array ``x``, one batched
    tangent per row."""
    if isinstance(x, np.ndarray):
        return kind(tangent[:, i] for i in range(len(x)))
    return kind(tangent)


def transpose(tangent, axes=None):
    """The batched tangent of ``np.transpose(x, axes)`` or ``x.transpose(*axes)``."""
    if isinstance(axes, tuple) and len(axes) == 1 and not np.isscalar(axes[0]):
        axes = axes[0]                  # x.transpose((1, 0))
    rank = np.ndim(tangent) - 1
    if axes is None or len(axes) == 0:
        order = tuple(range(rank, 0, -1))
    else:
        order = tuple(a % rank + 1 for a in axes)
    return np.transpose(tangent, (0,) + order)


def cumsum(tangent, axis):
    """The batched tangent of ``np.cumsum(x, axis)`` for an axis known only at run time."""
    if axis is None:
        return np.cumsum(np.reshape(tangent, (len(tangent), -1)), axis=1)
    return np.cumsum(tangent, axis=axis + 1 if axis >= 0 else axis)


def builtin_sum(tangent):
    """The batched tangent of ``sum(x)``: over the items of a list, or the first axis of an
    array."""
    if isinstance(tangent, (list, tuple)):
        items = [array(t) for t in tangent]
        rank = max(t.ndim for t in items) - 1
        return sum(lift(t, np.zeros((1,) * rank)) for t in items)
    return np.sum(tangent, axis=1)


def item(tangent, index):
    """The batched tangent of ``x.item(*index)``: one number per direction."""
    k = len(tangent)
    if len(index) == 0:
        return np.reshape(tangent, (k,))
    if len(index) == 1 and np.ndim(index[0]) == 0:
        return np.reshape(tangent, (k, -1))[:, index[0]]
    where = index[0] if len(index) == 1 else index
    return tangent[(slice(None),) + tuple(where)]


def hstack(tangents):
    """The batched tangent of ``np.hstack(arrays)``."""
    tangents = [lift(t, np.zeros((1,))) for t in tangents]     # numbers act as 1-d arrays
    return np.concatenate(tangents, axis=1 if tangents[0].ndim == 2 else 2)


def vstack(tangents):
    """The batched tangent of ``np.vstack(arrays)``."""
    tangents = [lift(t, np.zeros((1, 1))) for t in tangents]   # 1-d arrays act as rows
    return np.concatenate(tangents, axis=1)


def unstack_like(g, x):
    """The batched tangent of ``rt.unstack_like(g, x)``: rows of ``g`` back into the nesting
    of the list ``x``."""
    if isinstance(x, (list, tuple)):
        return [unstack_like(g[:, i], v) for i, v in enumerate(x)]
    return g


def like(tangent, value, k=None):
    """A batched tangent with the structure of ``value``: ``(k,) + np.shape(leaf)`` arrays,
    lists, tuples and dicts as in ``value`` (``k`` defaults to the tangent's own)."""
    if k is None:
        k = size(tangent)
    if isinstance(value, tuple):
        return tuple(like(t, v, k) for t, v in zip(tangent, value))
    if isinstance(value, list):
        return [like(t, v, k) for t, v in zip(tangent, value)]
    if isinstance(value, dict):
        return {key: like(tangent[key], v, k) for key, v in value.items()}
    shape = (k,) + np.shape(value)
    tangent = np.asarray(tangent, dtype=float)
    if tangent.shape != shape:
        tangent = np.array(np.broadcast_to(lift(tangent, value) if tangent.ndim else tangent,
                                           shape), dtype=float)
    return tangent
