"""Adjoints of linear algebra too long to inline: products, contractions, factorizations."""
import numpy as np


def transpose_last(a):
    """Swap the last two axes (the matrix transpose of a stack of matrices)."""
    return np.swapaxes(a, -1, -2)


def _sum_to_shape(g, shape):
    from .core import unbroadcast
    return unbroadcast(g, shape)


def matmul_adjoint_left(g, x, y):
    """Adjoint of ``x`` in ``x @ y`` (1-d operands handled as NumPy does)."""
    x_nd, y_nd = np.ndim(x), np.ndim(y)
    if y_nd == 1:
        result = np.multiply.outer(g, y) if x_nd > 1 else g * y
    elif x_nd == 1:
        result = y @ g if np.ndim(g) == 1 else np.sum(y @ np.expand_dims(g, -1), axis=tuple(
            range(np.ndim(g) - 1)))[..., 0] if False else np.matmul(y, np.expand_dims(g, -1))[..., 0]
        return _sum_to_shape(result, np.shape(x))
    else:
        result = np.matmul(g, transpose_last(y))
    return _sum_to_shape(result, np.shape(x))


def matmul_adjoint_right(g, x, y):
    """Adjoint of ``y`` in ``x @ y``."""
    x_nd, y_nd = np.ndim(x), np.ndim(y)
    if x_nd == 1:
        result = np.multiply.outer(x, g) if y_nd > 1 else g * x
    elif y_nd == 1:
        result = np.matmul(transpose_last(x), np.expand_dims(g, -1))[..., 0]
    else:
        result = np.matmul(transpose_last(x), g)
    return _sum_to_shape(result, np.shape(y))


def dot_adjoint_left(g, a, b):
    """Adjoint of ``a`` in ``np.dot(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return _sum_to_shape(g * b, np.shape(a))
    if np.ndim(b) == 1:
        return np.multiply.outer(g, b)
    # dot(a, b)[i..., j...] = sum_k a[i..., k] b[j..., k, m]
    b_axes = list(range(np.ndim(b)))
    contract_g = tuple(range(np.ndim(a) - 1, np.ndim(g)))
    contract_b = tuple(b_axes[:-2] + b_axes[-1:])
    return np.tensordot(g, b, axes=(contract_g, contract_b))


def dot_adjoint_right(g, a, b):
    """Adjoint of ``b`` in ``np.dot(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return _sum_to_shape(g * a, np.shape(b))
    if np.ndim(a) == 1:
        if np.ndim(b) == 1:
            return g * a
        return np.moveaxis(np.multiply.outer(a, g), 0, -2) if np.ndim(b) > 1 else g * a
    lead = np.ndim(a) - 1
    contracted = np.tensordot(a, g, axes=(tuple(range(lead)), tuple(range(lead))))
    # contracted has axes (k, j..., m); b has axes (j..., k, m)
    if np.ndim(b) == 1:
        return contracted
    return np.moveaxis(contracted, 0, -2)


def inner_adjoint_left(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return _sum_to_shape(g * b, np.shape(a))
    lead_a = np.ndim(a) - 1
    b_axes = tuple(range(np.ndim(b) - 1))
    g_axes = tuple(range(lead_a, np.ndim(g)))
    result = np.tensordot(g, b, axes=(g_axes, b_axes))
    return np.reshape(result, np.shape(a))


def inner_adjoint_right(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return _sum_to_shape(g * a, np.shape(b))
    lead_a = np.ndim(a) - 1
    a_axes = tuple(range(lead_a))
    g_axes = tuple(range(lead_a))
    result = np.tensordot(g, a, axes=(g_axes, a_axes))   # (b lead..., k)
    return np.reshape(result, np.shape(b))


def _tensordot_axes(a, b, axes):
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        return list(range(np.ndim(a) - n, np.ndim(a))), list(range(n))
    a_axes, b_axes = axes
    a_axes = [a_axes] if np.ndim(a_axes) == 0 else list(a_axes)
    b_axes = [b_axes] if np.ndim(b_axes) == 0 else list(b_axes)
    return [x % np.ndim(a) for x in a_axes], [x % np.ndim(b) for x in b_axes]


def tensordot_adjoint_left(g, a, b, axes):
    a_axes, b_axes = _tensordot_axes(a, b, axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    g_b_axes = list(range(len(a_free), np.ndim(g)))
    result = np.tensordot(g, b, axes=(g_b_axes, b_free))   # axes: a_free..., b_axes...
    order = a_free + a_axes
    return np.transpose(result, np.argsort(order))


def tensordot_adjoint_right(g, a, b, axes):
    a_axes, b_axes = _tensordot_axes(a, b, axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    g_a_axes = list(range(len(a_free)))
    result = np.tensordot(a, g, axes=(a_free, g_a_axes))   # axes: a_axes..., b_free...
    order = b_axes + b_free
    return np.transpose(result, np.argsort(order))


def einsum_adjoint(g, subscripts, operands):
    """Adjoints of every operand of ``np.einsum(subscripts, *operands)`` (explicit ``->``)."""
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    specs = inputs.split(",")
    if not _:
        letters = sorted(c for c in set(inputs.replace(",", "")) if inputs.count(c) == 1)
        output = "".join(letters)
    results = []
    for position, spec in enumerate(specs):
        others = [s for i, s in enumerate(specs) if i != position]
        other_ops = [o for i, o in enumerate(operands) if i != position]
        # letters of this operand that appear nowhere else are summed: broadcast back
        wanted = "".join(dict.fromkeys(spec))
        available = set(output) | set("".join(others))
        missing = [c for c in wanted if c not in available]
        expr = ",".join([output] + others) + "->" + "".join(c for c in wanted if c not in missing)
        partial = np.einsum(expr, g, *other_ops)
        if missing:
            shape = [np.shape(operands[position])[spec.index(c)] for c in wanted]
            partial = np.broadcast_to(np.expand_dims(partial, [wanted.index(c) for c in missing]),
                                      shape)
        if len(wanted) != len(spec):   # repeated letters (diagonals)
            full = np.zeros(np.shape(operands[position]))
            np.einsum(spec + "->" + wanted, full)[...] = partial
            partial = full
        results.append(np.array(partial, dtype=float))
    return results


def trace_adjoint(g, a, offset, axis1, axis2):
    shape = np.shape(a)
    eye = np.eye(shape[axis1], shape[axis2], k=offset)
    eye = np.moveaxis(np.expand_dims(eye, tuple(range(2, len(shape)))), (0, 1), (axis1, axis2))
    g = np.expand_dims(g, (axis1, axis2)) if np.ndim(g) else g
    return eye * g


def diag_adjoint(g, v, k):
    if np.ndim(v) == 1:
        return np.diag(g, k)
    out = np.zeros(np.shape(v))
    n = len(g)
    rows = np.arange(n) + max(-k, 0)
    cols = np.arange(n) + max(k, 0)
    out[rows, cols] = g
    return out


def solve_adjoint_matrix(adjoint_b, x):
    """Adjoint of ``a`` in ``x = solve(a, b)`` given the adjoint of ``b``."""
    if np.ndim(x) == np.ndim(adjoint_b) and np.ndim(x) >= 2:
        return -np.matmul(adjoint_b, transpose_last(x))
    return -np.multiply.outer(adjoint_b, x) if np.ndim(x) == 1 else \
        -adjoint_b[..., :, None] * x[..., None, :]


def slogdet_adjoint(g, a):
    """Adjoint of ``a`` in ``sign, logdet = slogdet(a)``: only ``logdet`` carries a gradient."""
    glog = g[1]
    return np.asarray(glog)[..., None, None] * transpose_last(np.linalg.inv(a))


def norm_adjoint(g, z, x, ord, axis, keepdims):
    """Adjoint of ``np.linalg.norm`` for vector 2-norms and the Frobenius norm (and other
    vector p-norms)."""
    if ord not in (None, 2, "fro") and not (isinstance(ord, (int, float)) and np.ndim(x) == 1):
        raise NotImplementedError(f"the adjoint of norm with ord={ord!r}")
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        axes = tuple(a % np.ndim(x) for a in axes)
        g = np.expand_dims(g, axes)
        z = np.expand_dims(z, axes)
    if ord in (None, 2, "fro"):
        return g * x / np.where(z == 0, 1.0, z)
    p = float(ord)
    return g * np.sign(x) * np.abs(x) ** (p - 1) / np.where(z == 0, 1.0, z) ** (p - 1)


def cholesky_adjoint(g, l):
    """Adjoint of ``a`` in ``l = cholesky(a)`` (Murray 2016), symmetrised."""
    phi = np.tril(transpose_last(l) @ g)
    phi = phi - 0.5 * np.eye(l.shape[-1]) * phi
    inv_l = np.linalg.inv(l)
    s = transpose_last(inv_l) @ phi @ inv_l
    return 0.5 * (s + transpose_last(s))
