"""Derivatives of linear algebra too long to inline: products, contractions, factorizations.

Each adjoint helper takes the cotangent ``g`` of the output first, then what the rule needs of
the primal values, and returns the adjoint of one argument with that argument's shape. Each
tangent helper (``*_tangent``, forward mode) returns the tangent of an output. Helpers whose
adjoint is nonlinear in the primal values (slogdet, norm, cholesky) have a tangent of their
own too, because forward mode runs through generated adjoint code (``rg.hessian``).
"""
import numpy as np

from .core import unbroadcast

__all__ = [
    "transpose_last", "matmul_adjoint_left", "matmul_adjoint_right", "dot_adjoint_left",
    "dot_adjoint_right", "inner_adjoint_left", "inner_adjoint_right",
    "tensordot_adjoint_left", "tensordot_adjoint_right", "einsum_adjoint", "trace_adjoint",
    "diag_adjoint", "diagonal_adjoint", "solve_transposed", "solve_adjoint_matrix",
    "slogdet_adjoint", "norm_adjoint", "cholesky_adjoint",
    "einsum_tangent", "solve_tangent", "norm_tangent", "cholesky_tangent",
    "einsum_adjoint_tangent", "solve_transposed_tangent", "slogdet_adjoint_tangent",
    "norm_adjoint_tangent", "cholesky_adjoint_tangent",
]


def transpose_last(a):
    """Swap the last two axes (the matrix transpose of a stack of matrices)."""
    return np.swapaxes(a, -1, -2)


# --- products ------------------------------------------------------------------------------

def matmul_adjoint_left(g, x, y):
    """Adjoint of ``x`` in ``x @ y``: ``g @ y.T``, with 1-d operands promoted as NumPy does
    (a 1-d ``x`` is a row, a 1-d ``y`` a column) and broadcast batch axes summed."""
    if np.ndim(x) >= 2 and np.ndim(y) >= 2:
        return unbroadcast(np.matmul(g, transpose_last(y)), np.shape(x))
    g, _, y_matrix = _as_matrices(g, x, y)
    result = np.matmul(g, transpose_last(y_matrix))
    if np.ndim(x) == 1:
        result = result[..., 0, :]
    return unbroadcast(result, np.shape(x))


def matmul_adjoint_right(g, x, y):
    """Adjoint of ``y`` in ``x @ y``: ``x.T @ g``, promoted like ``matmul_adjoint_left``."""
    if np.ndim(x) >= 2 and np.ndim(y) >= 2:
        return unbroadcast(np.matmul(transpose_last(x), g), np.shape(y))
    g, x_matrix, _ = _as_matrices(g, x, y)
    result = np.matmul(transpose_last(x_matrix), g)
    if np.ndim(y) == 1:
        result = result[..., 0]
    return unbroadcast(result, np.shape(y))


def _as_matrices(g, x, y):
    """``g``, ``x`` and ``y`` of ``x @ y`` with a 1-d ``x`` made a row and a 1-d ``y`` a
    column (and ``g`` given the axes their products have)."""
    if np.ndim(y) == 1:
        g = np.expand_dims(g, -1)
        y = y[:, None]
    if np.ndim(x) == 1:
        g = np.expand_dims(g, -2)
        x = x[None, :]
    return g, x, y


def dot_adjoint_left(g, a, b):
    """Adjoint of ``a`` in ``np.dot(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, np.shape(a))
    if np.ndim(b) == 1:
        return np.multiply.outer(g, b)
    # dot(a, b)[i..., j..., m] = sum_k a[i..., k] b[j..., k, m]: contract g's j..., m with b's
    b_other = tuple(range(np.ndim(b) - 2)) + (np.ndim(b) - 1,)
    g_other = tuple(range(np.ndim(a) - 1, np.ndim(g)))
    return np.tensordot(g, b, axes=(g_other, b_other))


def dot_adjoint_right(g, a, b):
    """Adjoint of ``b`` in ``np.dot(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, np.shape(b))
    lead = tuple(range(np.ndim(a) - 1))     # g starts with a's leading axes: contract them
    contracted = np.tensordot(a, g, axes=(lead, lead))    # axes (k, j..., m)
    if np.ndim(b) == 1:
        return contracted
    return np.moveaxis(contracted, 0, -2)                  # b's axes (j..., k, m)


def inner_adjoint_left(g, a, b):
    """Adjoint of ``a`` in ``np.inner(a, b)`` (contraction over both last axes)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, np.shape(a))
    b_lead = tuple(range(np.ndim(b) - 1))
    g_b_axes = tuple(range(np.ndim(a) - 1, np.ndim(g)))
    return np.tensordot(g, b, axes=(g_b_axes, b_lead))


def inner_adjoint_right(g, a, b):
    """Adjoint of ``b`` in ``np.inner(a, b)``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, np.shape(b))
    a_lead = tuple(range(np.ndim(a) - 1))
    return np.tensordot(g, a, axes=(a_lead, a_lead))


def _tensordot_axes(a, b, axes):
    """The contracted axes of ``a`` and ``b`` as two lists of non-negative ints, paired."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        return list(range(np.ndim(a) - n, np.ndim(a))), list(range(n))
    a_axes, b_axes = axes
    a_axes = [a_axes] if np.ndim(a_axes) == 0 else list(a_axes)
    b_axes = [b_axes] if np.ndim(b_axes) == 0 else list(b_axes)
    return [int(i) % np.ndim(a) for i in a_axes], [int(i) % np.ndim(b) for i in b_axes]


def tensordot_adjoint_left(g, a, b, axes):
    """Adjoint of ``a`` in ``np.tensordot(a, b, axes)``."""
    a_axes, b_axes = _tensordot_axes(a, b, axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    g_b_free = list(range(len(a_free), np.ndim(g)))
    # contracting g with b over b's free axes leaves (a_free..., b's contracted axes in
    # increasing order); each of those is paired with one of a's contracted axes
    result = np.tensordot(g, b, axes=(g_b_free, b_free))
    order = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
    return np.transpose(result, np.argsort(order))


def tensordot_adjoint_right(g, a, b, axes):
    """Adjoint of ``b`` in ``np.tensordot(a, b, axes)``."""
    a_axes, b_axes = _tensordot_axes(a, b, axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    g_a_free = list(range(len(a_free)))
    result = np.tensordot(a, g, axes=(a_free, g_a_free))
    order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return np.transpose(result, np.argsort(order))


# --- einsum --------------------------------------------------------------------------------

def einsum_adjoint(g, subscripts, operands, optimize=False):
    """Adjoints of every operand of ``np.einsum(subscripts, *operands)``.

    The adjoint of operand k is the einsum of ``g`` with the other operands onto operand k's
    letters; letters only operand k has (summed away) are broadcast back, repeated letters
    (diagonals, traces) are written onto the diagonal, broadcast axes are summed.
    """
    specs, output = _einsum_specs(subscripts, operands)
    adjoints = []
    for position, spec in enumerate(specs):
        operand = operands[position]
        others = [s for i, s in enumerate(specs) if i != position]
        other_operands = [o for i, o in enumerate(operands) if i != position]
        letters = "".join(dict.fromkeys(spec))
        reachable = set(output).union(*others)
        kept = "".join(c for c in letters if c in reachable)
        expression = ",".join([output] + others) + "->" + kept
        partial = np.einsum(expression, g, *other_operands, optimize=optimize)
        sizes = _letter_sizes(spec, np.shape(operand), [output] + others,
                              [np.shape(g)] + [np.shape(o) for o in other_operands])
        if kept != letters:   # letters summed inside this operand alone
            missing = [i for i, c in enumerate(letters) if c not in kept]
            partial = np.broadcast_to(np.expand_dims(partial, missing),
                                      [sizes[c] for c in letters])
        if letters != spec:
            partial = _onto_diagonal(partial, spec, letters, sizes)
        adjoints.append(np.array(unbroadcast(partial, np.shape(operand)), copy=True))
    return adjoints


def _einsum_specs(subscripts, operands):
    """Input specs and output spec with ellipses replaced by letters and an implicit output
    made explicit (NumPy's rule: broadcast axes, then letters used once, alphabetically)."""
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    specs = inputs.split(",")
    if not arrow:
        single = sorted(c for c in set(inputs.replace(",", "").replace(".", ""))
                        if inputs.count(c) == 1)
        output = ("..." if "..." in inputs else "") + "".join(single)
    if "..." in text:
        used = set(text)
        spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 if c not in used]
        widths = [np.ndim(o) - (len(s) - 3) for s, o in zip(specs, operands) if "..." in s]
        width = max(widths, default=0)
        broadcast = "".join(spare[:width])
        specs = [s.replace("...", broadcast[width - (np.ndim(o) - (len(s) - 3)):])
                 for s, o in zip(specs, operands)]
        output = output.replace("...", broadcast)
    return specs, output


def _letter_sizes(spec, shape, other_specs, other_shapes):
    sizes = {}
    for specs, shapes in ((other_specs, other_shapes), ([spec], [shape])):
        for letters, dims in zip(specs, shapes):
            for c, n in zip(letters, dims):
                if sizes.get(c, 1) == 1:
                    sizes[c] = n
    return sizes


def _onto_diagonal(partial, spec, letters, sizes):
    """Place ``partial`` (one axis per distinct letter) on the diagonal an operand with
    repeated letters (``"ii"``) reads from; every other element gets zero."""
    result = np.zeros([sizes[c] for c in spec], dtype=partial.dtype)
    index = []
    for c in spec:
        position = letters.index(c)
        shape = [1] * len(letters)
        shape[position] = sizes[c]
        index.append(np.arange(sizes[c]).reshape(shape))
    result[tuple(index)] = partial
    return result


# --- traces and diagonals ------------------------------------------------------------------

def trace_adjoint(g, a, offset, axis1, axis2):
    """Adjoint of ``np.trace``: ``g`` on the traced diagonal of every matrix, zero elsewhere."""
    shape = np.shape(a)
    axis1, axis2 = axis1 % len(shape), axis2 % len(shape)
    eye = np.eye(shape[axis1], shape[axis2], k=offset)
    rest = [i for i in range(len(shape)) if i not in (axis1, axis2)]
    eye = np.expand_dims(eye, tuple(range(2, len(shape))))       # (n1, n2, 1, ...)
    eye = np.moveaxis(eye, (0, 1), (axis1, axis2))
    g = np.reshape(g, [shape[i] if i in rest else 1 for i in range(len(shape))])
    return eye * g


def diag_adjoint(g, v, k):
    """Adjoint of ``np.diag(v, k)``: it builds a matrix from a vector, or reads a diagonal."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, v, k, 0, 1)


def diagonal_adjoint(g, a, offset, axis1, axis2):
    """Adjoint of ``np.diagonal(a, offset, axis1, axis2)``, whose diagonal is its last axis."""
    result = np.zeros(np.shape(a), dtype=np.result_type(g, float))
    view = np.moveaxis(result, (axis1, axis2), (-2, -1))
    length = np.shape(g)[-1]
    rows = np.arange(length) + max(-offset, 0)
    cols = np.arange(length) + max(offset, 0)
    view[..., rows, cols] = g
    return result


# --- inverses and factorizations -------------------------------------------------------------

def solve_transposed(a, g, b):
    """``solve(a.T, g)``: the adjoint of ``b`` in ``x = solve(a, b)`` before broadcasting is
    undone (a 1-d ``b`` is one vector for every matrix of a stack)."""
    if np.ndim(b) == 1 and np.ndim(a) > 2:
        return np.linalg.solve(transpose_last(a), g[..., None])[..., 0]
    return np.linalg.solve(transpose_last(a), g)


def solve_adjoint_matrix(adjoint_b, x, a, b):
    """Adjoint of ``a`` in ``x = solve(a, b)`` given ``solve(a.T, g)``: ``-adjoint_b @ x.T``."""
    if np.ndim(b) == 1:
        result = -adjoint_b[..., :, None] * x[..., None, :]
    else:
        result = -np.matmul(adjoint_b, transpose_last(x))
    return unbroadcast(result, np.shape(a))


def slogdet_adjoint(g, a):
    """Adjoint of ``a`` in ``sign, logdet = slogdet(a)``: only ``logdet`` carries a gradient,
    ``d logdet / d a = inv(a).T``."""
    logdet_adjoint = np.asarray(g[1])
    return logdet_adjoint[..., None, None] * transpose_last(np.linalg.inv(a))


def cholesky_adjoint(g, l, upper=False):
    """Adjoint of ``a`` in ``l = cholesky(a, upper=upper)`` (Murray 2016), symmetrised:
    ``cholesky`` reads only one triangle, so the symmetric part is the gradient over symmetric
    matrices. With ``upper``, ``l`` is the upper factor ``L.T`` and ``g`` its cotangent."""
    if upper:
        g, l = transpose_last(g), transpose_last(l)
    phi = np.tril(transpose_last(l) @ g)
    phi = phi - 0.5 * np.eye(l.shape[-1]) * phi
    inverse = np.linalg.inv(l)
    s = transpose_last(inverse) @ phi @ inverse
    return 0.5 * (s + transpose_last(s))


# --- norms ---------------------------------------------------------------------------------

def norm_adjoint(g, z, x, ord, axis, keepdims):
    """Adjoint of ``np.linalg.norm(x, ord, axis, keepdims)`` for every vector and matrix norm
    NumPy computes. Where a norm is not differentiable (zero vector, ties of a max) the
    gradient is a subgradient: zero, or shared equally between the tied elements."""
    x = np.asarray(x)
    matrix, axes = _norm_axes(x, ord, axis)
    if not keepdims:
        g = np.expand_dims(g, axes)
        z = np.expand_dims(z, axes)
    if ord is None or (ord == "fro" and matrix) or (ord == 2 and not matrix):
        return g * x / np.where(z == 0, 1.0, z)
    if not matrix:
        return g * _vector_norm_gradient(x, z, ord, axes[0])
    if ord == "nuc" or ord in (2, -2):
        return g * _spectral_gradient(x, ord, axes)
    rows, cols = axes
    if ord in (1, -1):      # largest (smallest) column sum of |x|
        sums = np.sum(np.abs(x), axis=rows, keepdims=True)
        chosen = _ties(sums, z, cols)
    elif ord in (np.inf, -np.inf):   # largest (smallest) row sum of |x|
        sums = np.sum(np.abs(x), axis=cols, keepdims=True)
        chosen = _ties(sums, z, rows)
    else:
        raise ValueError(f"invalid norm order {ord!r} for matrices")
    return g * np.sign(x) * chosen


def _norm_axes(x, ord, axis):
    """(is it a matrix norm, the reduced axes) as ``np.linalg.norm`` decides them."""
    if axis is None:
        if ord is not None and x.ndim == 2:
            return True, (0, 1)
        return False, tuple(range(x.ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axes = tuple(int(a) % x.ndim for a in axes)
    return len(axes) == 2, axes


def _ties(values, extreme, axis):
    """Where ``values`` equals ``extreme`` along ``axis``, divided by how many do."""
    chosen = (values == extreme).astype(float)
    return chosen / np.sum(chosen, axis=axis, keepdims=True)


def _vector_norm_gradient(x, z, ord, axis):
    if ord in (np.inf, -np.inf):
        return np.sign(x) * _ties(np.abs(x), z, axis)
    if ord == 0:            # the count of non-zero elements: piecewise constant
        return np.zeros(x.shape)
    if ord == 1:
        return np.sign(x)
    p = float(ord)
    safe = np.where(z == 0, 1.0, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        gradient = np.sign(x) * np.abs(x) ** (p - 1) / safe ** (p - 1)
    return np.where(np.isfinite(gradient), gradient, 0.0)


def _spectral_gradient(x, ord, axes):
    """Gradient of the nuclear norm (``U @ Vt``) or of the largest or smallest singular
    value (``u v^T`` of that singular pair), for matrices on ``axes``."""
    matrices = np.moveaxis(x, axes, (-2, -1))
    u, _, vt = np.linalg.svd(matrices, full_matrices=False)
    if ord == "nuc":
        gradient = u @ vt
    else:
        k = 0 if ord == 2 else -1
        gradient = u[..., :, k, None] * vt[..., k, None, :]
    return np.moveaxis(gradient, (-2, -1), axes)


# --- tangents (forward mode) -----------------------------------------------------------------

def einsum_tangent(subscripts, operands, tangents):
    """Tangent of ``np.einsum(subscripts, *operands)``: one einsum per operand that has a
    tangent (``None`` where it has none), with that operand replaced by its tangent."""
    total = 0.0
    for position, tangent in enumerate(tangents):
        if tangent is None:
            continue
        replaced = list(operands)
        replaced[position] = tangent
        total = total + np.einsum(subscripts, *replaced)
    return total


def solve_tangent(da, x, a, b):
    """Tangent of ``x = solve(a, b)`` along ``a``: ``-solve(a, da @ x)`` (a 1-d ``b`` is one
    vector for every matrix of a stack, and so is each row of ``x``)."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, np.matmul(da, x[..., None]))[..., 0]
    return -np.linalg.solve(a, np.matmul(da, x))


def norm_tangent(dx, z, x, ord, axis, keepdims):
    """Tangent of ``z = np.linalg.norm(x, ord, axis, keepdims)``: the gradient of the norm
    (as ``norm_adjoint`` defines it, subgradients included) against ``dx``."""
    _, axes = _norm_axes(np.asarray(x), ord, axis)
    gradient = norm_adjoint(np.ones(np.shape(z)), z, x, ord, axis, keepdims)
    return np.sum(gradient * dx, axis=axes, keepdims=keepdims)


def cholesky_tangent(da, l, upper=False):
    """Tangent of ``l = cholesky(a, upper=upper)``: ``L Phi(L^-1 sym(da) L^-T)``, where ``Phi``
    keeps the lower triangle and halves the diagonal. Only the symmetric part of ``da`` moves
    the factor, as in ``cholesky_adjoint``."""
    lower = transpose_last(l) if upper else l
    inverse = np.linalg.inv(lower)
    symmetric = 0.5 * (da + transpose_last(da))
    phi = np.tril(inverse @ symmetric @ transpose_last(inverse))
    phi = phi - 0.5 * np.eye(lower.shape[-1]) * phi
    result = lower @ phi
    return transpose_last(result) if upper else result


def einsum_adjoint_tangent(g, dg, subscripts, operands, doperands, optimize=False):
    """Tangent of ``einsum_adjoint(g, subscripts, operands)``: it is linear in ``g`` and in
    every operand but the one whose adjoint it computes."""
    adjoints = einsum_adjoint(dg, subscripts, operands, optimize)
    for position, tangent in enumerate(doperands):
        if not np.any(tangent):
            continue
        replaced = list(operands)
        replaced[position] = tangent
        moved = einsum_adjoint(g, subscripts, replaced, optimize)
        adjoints = [a if k == position else a + m
                    for k, (a, m) in enumerate(zip(adjoints, moved))]
    return adjoints


def solve_transposed_tangent(da, w, a, b):
    """Tangent of ``w = solve_transposed(a, g, b)`` along ``a``: ``-solve(a.T, da.T @ w)``."""
    if np.ndim(b) == 1:
        product = np.matmul(transpose_last(da), w[..., None])[..., 0]
    else:
        product = np.matmul(transpose_last(da), w)
    return -solve_transposed(a, product, b)


def slogdet_adjoint_tangent(g, a, da):
    """Tangent of ``slogdet_adjoint(g, a)`` along ``a``: ``d inv(a) = -inv(a) da inv(a)``."""
    inverse = np.linalg.inv(a)
    logdet_adjoint = np.asarray(g[1])
    return -logdet_adjoint[..., None, None] * transpose_last(inverse @ da @ inverse)


def cholesky_adjoint_tangent(g, l, dl, upper=False):
    """Tangent of ``cholesky_adjoint(g, l, upper)`` along the factor ``l``."""
    if upper:
        g, l, dl = transpose_last(g), transpose_last(l), transpose_last(dl)
    half_diagonal = 0.5 * np.eye(l.shape[-1])
    phi = np.tril(transpose_last(l) @ g)
    phi = phi - half_diagonal * phi
    dphi = np.tril(transpose_last(dl) @ g)
    dphi = dphi - half_diagonal * dphi
    inverse = np.linalg.inv(l)
    dinverse = -inverse @ dl @ inverse
    ds = transpose_last(dinverse) @ phi @ inverse + transpose_last(inverse) @ dphi @ inverse \
        + transpose_last(inverse) @ phi @ dinverse
    return 0.5 * (ds + transpose_last(ds))


def norm_adjoint_tangent(g, z, x, ord, axis, keepdims, dz=None, dx=None):
    """Tangent of ``norm_adjoint(g, z, x, ord, axis, keepdims)`` along the norm ``z`` (given
    ``dz``) or along ``x`` (given ``dx``), each treated as an argument of its own. Subgradients
    that are piecewise constant (ties of a max, ``ord`` 0 and 1) have zero tangents."""
    x = np.asarray(x)
    matrix, axes = _norm_axes(x, ord, axis)
    if not keepdims:
        g = np.expand_dims(g, axes)
        z = np.expand_dims(z, axes)
        dz = None if dz is None else np.expand_dims(dz, axes)
    nonzero = z != 0
    safe = np.where(nonzero, z, 1.0)
    if ord is None or (ord == "fro" and matrix) or (ord == 2 and not matrix):
        if dx is not None:
            return g * dx / safe
        return np.where(nonzero, -g * x * dz / (safe * safe), 0.0)
    if not matrix and ord not in (np.inf, -np.inf, 0, 1):
        p = float(ord)
        with np.errstate(divide="ignore", invalid="ignore"):
            gradient = np.sign(x) * np.abs(x) ** (p - 1) / safe ** (p - 1)
            if dx is not None:
                slope = (p - 1) * np.abs(x) ** (p - 2) / safe ** (p - 1)
                kept = np.isfinite(gradient) & np.isfinite(slope)
                return np.where(kept, g * slope * dx, 0.0)
            kept = np.isfinite(gradient) & nonzero
            return np.where(kept, -(p - 1) * g * gradient * dz / safe, 0.0)
    if matrix and dx is not None and (ord == "nuc" or ord in (2, -2)):
        return g * _spectral_gradient_tangent(x, dx, ord, axes)
    return np.zeros(x.shape)


def _spectral_gradient_tangent(x, dx, ord, axes):
    """Tangent of ``_spectral_gradient`` (the SVD's derivative, e.g. Townsend 2016): with
    ``P = U^T dx V``, the nuclear norm's ``U V^T`` moves by ``U [(P - P^T) / (s_i + s_j)] V^T``
    plus the parts of ``dx`` outside the singular subspaces; a single singular pair
    ``u_k v_k^T`` by the derivatives of ``u_k`` and ``v_k``."""
    matrices = np.moveaxis(x, axes, (-2, -1))
    directions = np.moveaxis(dx, axes, (-2, -1))
    u, s, vt = np.linalg.svd(matrices, full_matrices=False)
    v = transpose_last(vt)
    ut_dx = transpose_last(u) @ directions                     # U^T dx
    dx_v = directions @ v                                      # dx V
    p = ut_dx @ v
    if ord == "nuc":
        inner = (p - transpose_last(p)) / (s[..., :, None] + s[..., None, :])
        outside_rows = (dx_v - u @ p) / s[..., None, :]        # (I - U U^T) dx V S^-1
        outside_cols = (ut_dx - p @ vt) / s[..., :, None]      # S^-1 U^T dx (I - V V^T)
        gradient = u @ inner @ vt + outside_rows @ vt + u @ outside_cols
    else:
        k = 0 if ord == 2 else s.shape[-1] - 1
        s_k = s[..., k, None]
        others = np.arange(s.shape[-1]) != k
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = np.where(others, s_k ** 2 - s ** 2, 1.0)
        p_ik, p_ki = p[..., :, k], p[..., k, :]
        u_coefficients = np.where(others, (p_ik * s_k + s * p_ki) / gap, 0.0)
        v_coefficients = np.where(others, (s * p_ik + p_ki * s_k) / gap, 0.0)
        du = (u @ u_coefficients[..., None])[..., 0] \
            + (dx_v[..., k] - (u @ p[..., :, k, None])[..., 0]) / s_k
        dv = (v @ v_coefficients[..., None])[..., 0] \
            + (ut_dx[..., k, :] - (v @ transpose_last(p)[..., :, k, None])[..., 0]) / s_k
        gradient = du[..., :, None] * vt[..., k, None, :] + u[..., :, k, None] * dv[..., None, :]
    return np.moveaxis(gradient, (-2, -1), axes)
