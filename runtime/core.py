"""The helpers every generated adjoint may call: broadcasting, zeros, accumulation.

Each is small and fast on its common path, because generated code calls them inside loops.
"""
import numpy as np


__all__ = [  # the names generated code uses
    "DifferentiationError", "unbroadcast", "unreduce", "reduce_like", "seed", "zeros_like",
    "add", "add_at", "like", "copy",
]


class DifferentiationError(Exception):
    """A function, or a use of it, that retrograd cannot differentiate.

    Carries ``filename``, ``lineno`` and ``source_line`` of the offending construct when known.
    It lives in the runtime so that generated code can raise it without the compiler.
    """

    def __init__(self, message, filename=None, lineno=None, source_line=None, hint=None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.source_line = source_line
        self.hint = hint
        super().__init__(self._render())

    def _render(self):
        text = self.message
        if self.filename is not None and self.lineno is not None:
            text = f"{self.filename}:{self.lineno}: {text}"
        if self.source_line:
            text += f"\n    {self.source_line.strip()}"
        if self.hint:
            text += f"\n  {self.hint}"
        return text


def unbroadcast(g, x):
    """Sum ``g`` down to the shape of ``x``, undoing NumPy broadcasting.

    ``x`` is the primal operand (or its shape); scalars (Python numbers) receive a Python
    float so gradients keep the type of their argument.
    """
    shape = x if type(x) is tuple else getattr(x, "shape", None)
    gshape = getattr(g, "shape", ())
    if shape is None:  # a Python number
        return float(np.sum(g)) if gshape else g
    if gshape == shape:
        return g
    extra = len(gshape) - len(shape)
    if extra:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    if g.shape != shape:
        g = np.broadcast_to(g, shape)
    return g


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the gradient of a reduction over ``axis`` back to the shape of ``x``."""
    shape = np.shape(x)
    if not keepdims and axis is not None:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def reduce_like(g, target, axis=None, keepdims=False):
    """Sum ``g`` over ``axis`` to the shape of ``target`` (the adjoint of ``unreduce``)."""
    total = np.sum(g, axis=axis, keepdims=keepdims)
    return np.reshape(total, np.shape(target)) if np.ndim(target) else float(np.sum(total))


def seed(out):
    """The cotangent 1.0 for a scalar output; refuse anything else."""
    if type(out) is float or np.ndim(out) == 0:
        return 1.0
    if isinstance(out, np.ndarray) and out.size == 1:
        return np.ones_like(out, dtype=float)
    raise DifferentiationError(
        f"grad needs a scalar output, but the function returned {_describe(out)}",
        hint="use rg.vjp (pullback with a cotangent) or rg.jacobian for non-scalar outputs")


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a value of type {type(value).__name__}"


def zeros_like(x):
    """A zero adjoint with the structure of ``x``: 0.0 for numbers, zero arrays, containers."""
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, dtype=x.dtype if x.dtype.kind in "fc" else float)
    if isinstance(x, (list, tuple)):
        return [zeros_like(v) for v in x]
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    return 0.0


def add(a, b):
    """Add two adjoints that may be containers (lists, tuples, dicts) leaf by leaf."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return [add(u, v) for u, v in zip(a, b)]
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = add(out[k], v) if k in out else v
        return out
    return a + b


def add_at(dx, index, g):
    """``dx[index] += g`` for an owned adjoint ``dx``: repeated integer indices accumulate,
    list and dict elements are rebound rather than updated in place."""
    if isinstance(dx, np.ndarray):
        if _is_fancy(index):
            np.add.at(dx, index, g)
        else:
            dx[index] += g
    elif isinstance(index, slice):
        dx[index] = [add(u, v) for u, v in zip(dx[index], g)]
    elif isinstance(dx, dict) and index not in dx:
        dx[index] = g
    else:
        dx[index] = add(dx[index], g)
    return dx


def _is_fancy(index):
    if isinstance(index, tuple):
        return any(_is_fancy(i) for i in index)
    return isinstance(index, (list, np.ndarray))


def like(g, x):
    """Give the adjoint ``g`` the structure of the argument ``x`` (tuples stay tuples)."""
    if isinstance(x, tuple):
        g = [0.0] * len(x) if _is_zero(g) else g
        return tuple(like(u, v) for u, v in zip(g, x))
    if isinstance(x, list):
        g = [0.0] * len(x) if _is_zero(g) else g
        return [like(u, v) for u, v in zip(g, x)]
    if isinstance(x, dict):
        g = {} if _is_zero(g) else g
        return {k: like(g.get(k, 0.0), v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        if _is_zero(g) or np.shape(g) != x.shape or not isinstance(g, np.ndarray):
            return np.asarray(np.zeros(x.shape, dtype=float) + g)
        return g
    if isinstance(x, float) and np.ndim(g) == 0:
        return float(g)
    if isinstance(g, np.ndarray) and g.ndim == 0:
        return float(g)
    return g


def _is_zero(g):
    return type(g) is float and g == 0.0


def copy(value):
    """A copy that may be updated in place without touching ``value`` (arrays and the top
    level of containers)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, np.generic):
        return value.copy()
    return value
