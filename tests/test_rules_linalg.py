"""Linear algebra rules (compiler/rules/linalg.py) against central differences in float64.

Every rule has at least one entry in ``SPECS``: a small function that calls the primitive and
reduces its result to a scalar that weighs each element differently (fixed random weights or
a non-linear ``sin``), so a misplaced or mis-transposed adjoint cannot pass. Shapes that vary
naturally (matmul's 1-d and batched operands, tensordot axes, solve's right-hand sides) are
drawn by hypothesis.
"""
import dataclasses
import inspect
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import retrograd as rg
from retrograd import rules
from gradcheck import check_gradient

RNG = np.random.default_rng(7)


def normal(*shape):
    return RNG.standard_normal(shape)


def invertible(n, batch=()):
    """A well-conditioned matrix (or stack of matrices)."""
    return normal(*batch, n, n) + 2.0 * n ** 0.5 * np.eye(n)


W4 = normal(4)
W34 = normal(3, 4)
W44 = normal(4, 4)
W244 = normal(2, 4, 4)
NEGATIVE_DET = invertible(4) * np.array([[-1.0], [1.0], [1.0], [1.0]])


@dataclasses.dataclass
class Case:
    function: object
    args: tuple
    wrt: object = 0

    @property
    def id(self):
        shapes = "-".join("x".join(map(str, np.shape(a))) or "s" for a in self.args)
        return f"{self.function.__name__}[{shapes}]"


# --- functions under test --------------------------------------------------------------------

def matmul_operator(x, y):
    return np.sum(np.sin(x @ y))


def matmul_function(x, y):
    return np.sum(np.sin(np.matmul(x, y)))


def dot_function(a, b):
    return np.sum(np.sin(np.dot(a, b)))


def dot_method(a, b):
    return np.sum(np.sin(a.dot(b)))


def inner_function(a, b):
    return np.sum(np.sin(np.inner(a, b)))


def outer_function(a, b):
    return np.sum(np.sin(np.outer(a, b)))


def tensordot_default(a, b):
    return np.sum(np.sin(np.tensordot(a, b)))


def tensordot_one_axis(a, b):
    return np.sum(np.sin(np.tensordot(a, b, axes=1)))


def tensordot_axis_lists(a, b):
    return np.sum(np.sin(np.tensordot(a, b, axes=([0, 2], [1, 0]))))


def tensordot_axis_pair(a, b):
    return np.sum(np.sin(np.tensordot(a, b, (1, 0))))


def einsum_matrix_product(a, b):
    return np.sum(np.sin(np.einsum("ij,jk->ik", a, b)))


def einsum_trace(a):
    return np.einsum("ii->", a) ** 2


def einsum_implicit_trace(a):
    return np.einsum("ii", a) ** 2


def einsum_diagonal(a):
    return np.sum(np.einsum("ii->i", a) * W4)


def einsum_transpose(a):
    return np.sum(np.einsum("ij->ji", a) * W34.T)


def einsum_implicit_transpose(a):
    return np.sum(np.einsum("ji", a) * W34.T)


def einsum_row_sums(a):
    return np.sum(np.sin(np.einsum("ij->i", a)))


def einsum_batch(a, b):
    return np.sum(np.sin(np.einsum("bij,bjk->bik", a, b)))


def einsum_implicit_product(a, b):
    return np.sum(np.sin(np.einsum("ij,jk", a, b)))


def einsum_ellipsis(a, b):
    return np.sum(np.sin(np.einsum("...ij,...jk->...ik", a, b)))


def einsum_bilinear(x, m, y):
    return np.einsum("i,ij,j->", x, m, y)


def einsum_partial_trace(a, v):
    return np.sum(np.sin(np.einsum("iij,j->", a, v)))


def trace_function(a):
    return np.trace(a) ** 2


def trace_offset_axes(a):
    return np.sum(np.trace(a, 1, axis1=1, axis2=2) ** 2)


def trace_method(a):
    return a.trace() ** 2


def diag_of_vector(v):
    return np.sum(np.sin(np.diag(v)) * W44)


def diag_of_vector_offset(v):
    return np.sum(np.sin(np.diag(v, 1)) * W44)


def diag_of_matrix(a):
    return np.sum(np.diag(a) * W4[:3])


def diag_of_matrix_offset(a):
    return np.sum(np.diag(a, k=-1) * W4[:3])


def diagonal_function(a):
    return np.sum(np.diagonal(a, 1, 0, 2) * W34)


def diagonal_method(a):
    return np.sum(a.diagonal(offset=-1) * W4[:3])


def tril_triu(a):
    return np.sum(np.tril(a) * W34) + np.sum(np.triu(a, 1) * W34 ** 2)


def inv_function(a):
    return np.sum(np.linalg.inv(a) * W44)


def inv_batched(a):
    return np.sum(np.linalg.inv(a) * W244)


def solve_function(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


def det_function(a):
    return np.linalg.det(a)


def det_batched(a):
    return np.sum(np.linalg.det(a) ** 2)


def slogdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet


def slogdet_indexed(a):
    result = np.linalg.slogdet(a)
    return 3.0 * result[1]


def norm_vector(x):
    return np.linalg.norm(x)


def norm_frobenius(x):
    return np.linalg.norm(x, "fro")


def norm_flattened(x):
    return np.linalg.norm(x)


def norm_axis(x):
    return np.sum(np.linalg.norm(x, axis=1) * W34[:, 0])


def norm_keepdims(x):
    return np.sum(np.linalg.norm(x, ord=3, axis=0, keepdims=True) * W4)


def cholesky_function(a):
    s = a @ a.T + 3 * np.eye(4)
    return np.sum(np.linalg.cholesky(s) * W44)


def cholesky_upper(a):
    s = a @ a.T + 3 * np.eye(4)
    return np.sum(np.linalg.cholesky(s, upper=True) * W44)


SPECS = {
    operator.matmul: ("@", [
        Case(matmul_operator, (normal(3, 4), normal(4, 5)), (0, 1)),
        Case(matmul_operator, (normal(4), normal(4, 5)), (0, 1)),
        Case(matmul_operator, (normal(3, 4), normal(4)), (0, 1)),
        Case(matmul_operator, (normal(4), normal(4)), (0, 1)),
        Case(matmul_operator, (normal(2, 3, 4), normal(4, 5)), (0, 1)),
        Case(matmul_operator, (normal(4), normal(2, 4, 5)), (0, 1)),
    ]),
    np.matmul: ("np.matmul(", [Case(matmul_function, (normal(2, 3, 4), normal(2, 4, 2)), (0, 1))]),
    np.dot: ("np.dot(", [
        Case(dot_function, (normal(3, 4), normal(4, 5)), (0, 1)),
        Case(dot_function, (normal(4), normal(4)), (0, 1)),
        Case(dot_function, (normal(2, 3, 4), normal(5, 4, 2)), (0, 1)),
        Case(dot_function, (normal(3, 4), normal(4)), (0, 1)),
        Case(dot_function, (0.7, normal(3)), (0, 1)),
    ]),
    np.inner: ("np.inner(", [
        Case(inner_function, (normal(4), normal(4)), (0, 1)),
        Case(inner_function, (normal(2, 3, 4), normal(5, 4)), (0, 1)),
    ]),
    np.outer: ("np.outer(", [Case(outer_function, (normal(2, 3), normal(4)), (0, 1))]),
    np.tensordot: ("np.tensordot(", [
        Case(tensordot_default, (normal(2, 3, 4), normal(3, 4, 5)), (0, 1)),
        Case(tensordot_one_axis, (normal(2, 3, 4), normal(4, 5)), (0, 1)),
        Case(tensordot_axis_lists, (normal(2, 3, 4), normal(4, 2, 5)), (0, 1)),
        Case(tensordot_axis_pair, (normal(2, 3, 4), normal(3, 5)), (0, 1)),
    ]),
    np.einsum: ("np.einsum(", [
        Case(einsum_matrix_product, (normal(3, 4), normal(4, 5)), (0, 1)),
        Case(einsum_trace, (normal(4, 4),)),
        Case(einsum_implicit_trace, (normal(4, 4),)),
        Case(einsum_diagonal, (normal(4, 4),)),
        Case(einsum_transpose, (normal(3, 4),)),
        Case(einsum_implicit_transpose, (normal(3, 4),)),
        Case(einsum_row_sums, (normal(3, 4),)),
        Case(einsum_batch, (normal(2, 3, 4), normal(2, 4, 5)), (0, 1)),
        Case(einsum_implicit_product, (normal(3, 4), normal(4, 5)), (0, 1)),
        Case(einsum_ellipsis, (normal(2, 3, 4), normal(4, 5)), (0, 1)),
        Case(einsum_bilinear, (normal(3), normal(3, 4), normal(4)), (0, 1, 2)),
        Case(einsum_partial_trace, (normal(3, 3, 4), normal(4)), (0, 1)),
    ]),
    np.trace: ("np.trace(", [
        Case(trace_function, (normal(4, 4),)),
        Case(trace_function, (normal(3, 5),)),
        Case(trace_offset_axes, (normal(2, 3, 4),)),
    ]),
    np.diag: ("np.diag(", [
        Case(diag_of_vector, (normal(4),)),
        Case(diag_of_vector_offset, (normal(3),)),
        Case(diag_of_matrix, (normal(3, 5),)),
        Case(diag_of_matrix_offset, (normal(4, 4),)),
    ]),
    np.diagonal: ("np.diagonal(", [Case(diagonal_function, (normal(4, 3, 5),))]),
    np.tril: ("np.tril(", [Case(tril_triu, (normal(3, 4),))]),
    np.triu: ("np.triu(", [Case(tril_triu, (normal(3, 4),))]),
    np.linalg.inv: ("np.linalg.inv(", [
        Case(inv_function, (invertible(4),)),
        Case(inv_batched, (invertible(4, (2,)),)),
    ]),
    np.linalg.solve: ("np.linalg.solve(", [
        Case(solve_function, (invertible(4), normal(4)), (0, 1)),
        Case(solve_function, (invertible(4), normal(4, 3)), (0, 1)),
        Case(solve_function, (invertible(4, (2,)), normal(2, 4, 3)), (0, 1)),
    ]),
    np.linalg.det: ("np.linalg.det(", [
        Case(det_function, (invertible(4),)),
        Case(det_batched, (invertible(3, (2,)),)),
    ]),
    np.linalg.slogdet: ("np.linalg.slogdet(", [
        Case(slogdet_unpacked, (NEGATIVE_DET,)),
        Case(slogdet_indexed, (invertible(3),)),
    ]),
    np.linalg.norm: ("np.linalg.norm(", [
        Case(norm_vector, (normal(5),)),
        Case(norm_frobenius, (normal(3, 4),)),
        Case(norm_flattened, (normal(2, 3, 4),)),
        Case(norm_axis, (normal(3, 4),)),
        Case(norm_keepdims, (normal(3, 4),)),
    ]),
    np.linalg.cholesky: ("np.linalg.cholesky(", [
        Case(cholesky_function, (normal(4, 4),)),
        Case(cholesky_upper, (normal(4, 4),)),
    ]),
}

METHOD_SPECS = {
    "dot": Case(dot_method, (normal(3, 4), normal(4, 2)), (0, 1)),
    "trace": Case(trace_method, (normal(4, 4),)),
    "diagonal": Case(diagonal_method, (normal(4, 4),)),
}

ALL_CASES = [case for _, cases in SPECS.values() for case in cases] + list(METHOD_SPECS.values())


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ALL_CASES])
def test_rule_matches_central_differences(case):
    check_gradient(case.function, *case.args, wrt=case.wrt)


def test_every_linalg_rule_has_a_spec():
    rules.load_families()
    covered = {id(primitive) for primitive in SPECS}
    missing = sorted({rule.name for key, rule in rules.ADJOINTS.items()
                      if rule.family == "linalg" and key not in covered})
    assert not missing, f"linalg rules without a spec in SPECS: {missing}"
    missing_methods = sorted(name for name, rule in rules.METHODS.items()
                             if rule.family == "linalg" and name not in METHOD_SPECS)
    assert not missing_methods, f"linalg methods without a spec: {missing_methods}"
    missing_attributes = sorted(name for name, rule in rules.ATTRIBUTES.items()
                                if rule.family == "linalg")
    assert not missing_attributes, f"linalg attributes without a spec: {missing_attributes}"


@pytest.mark.parametrize("primitive", list(SPECS), ids=lambda p: SPECS[p][0])
def test_each_spec_calls_its_primitive(primitive):
    spelling, cases = SPECS[primitive]
    for case in cases:
        assert spelling in inspect.getsource(case.function), \
            f"{case.function.__name__} does not call {spelling}"


# --- norms: every order NumPy computes -----------------------------------------------------

def norm_with(x, order, axis, keepdims, weights):
    return np.sum(np.linalg.norm(x, order, axis, keepdims) * weights)


NORMS = [
    (None, None, False, (5,)), (2, None, False, (5,)), (1, None, False, (5,)),
    (3, None, False, (5,)), (0.5, None, False, (5,)), (np.inf, None, False, (5,)),
    (-np.inf, None, False, (5,)), (2, 1, False, (3, 4)), (1, 0, True, (3, 4)),
    (None, -1, True, (2, 3, 4)), ("fro", None, False, (3, 4)), ("nuc", None, False, (3, 4)),
    (2, None, False, (3, 4)), (-2, None, False, (4, 3)), (1, None, False, (3, 4)),
    (-1, None, False, (3, 4)), (np.inf, None, False, (3, 4)), (-np.inf, None, False, (3, 4)),
    ("fro", (0, 2), False, (3, 2, 4)), ("nuc", (2, 0), True, (3, 2, 4)), (2, (1, 2), False, (2, 3, 4)),
]


@pytest.mark.parametrize("order,axis,keepdims,shape", NORMS,
                         ids=[f"ord={o}-axis={a}-keepdims={k}-{s}" for o, a, k, s in NORMS])
def test_norm_of_every_order(order, axis, keepdims, shape):
    x = normal(*shape)
    weights = normal(*np.shape(np.linalg.norm(x, order, axis, keepdims)))
    check_gradient(norm_with, x, order, axis, keepdims, weights)


def test_norm_of_zero_vector_has_zero_subgradient():
    assert np.all(rg.grad(norm_vector)(np.zeros(3)) == 0.0)


# --- shapes drawn by hypothesis --------------------------------------------------------------

def weighted_matmul(x, y, w):
    return np.sum(np.sin(x @ y) * w)


@st.composite
def matmul_operands(draw):
    """Shapes NumPy's matmul accepts: 1-d operands, and batch axes that broadcast."""
    size = st.integers(1, 4)
    m, k, n = draw(size), draw(size), draw(size)
    batch = draw(st.lists(st.integers(2, 3), max_size=2))

    def batch_of_operand():
        kept = batch[len(batch) - draw(st.integers(0, len(batch))):]
        return tuple(1 if draw(st.booleans()) else b for b in kept)

    x_shape = (k,) if draw(st.booleans()) else batch_of_operand() + (m, k)
    y_shape = (k,) if draw(st.booleans()) else batch_of_operand() + (k, n)
    return x_shape, y_shape


@settings(max_examples=30, deadline=None)
@given(matmul_operands())
def test_matmul_of_any_shapes(shapes):
    x_shape, y_shape = shapes
    x, y = normal(*x_shape), normal(*y_shape)
    w = normal(*np.shape(x @ y))
    check_gradient(weighted_matmul, x, y, w, wrt=(0, 1))


def weighted_dot(a, b, w):
    return np.sum(np.sin(np.dot(a, b)) * w)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 3), st.integers(0, 3), st.integers(1, 3))
def test_dot_of_any_ranks(rank_a, rank_b, size):
    a_shape = tuple(range(2, 2 + rank_a))
    if rank_b >= 2:
        b_shape = (size,) * (rank_b - 2) + (a_shape[-1] if a_shape else 2, 3)
    else:
        b_shape = (a_shape[-1],) * rank_b if a_shape else (3,) * rank_b
    a = normal(*a_shape) if a_shape else 0.6
    b = normal(*b_shape) if b_shape else -1.3
    w = normal(*np.shape(np.dot(a, b)))
    check_gradient(weighted_dot, a, b, w, wrt=(0, 1))


def weighted_tensordot(a, b, axes, w):
    return np.sum(np.sin(np.tensordot(a, b, axes)) * w)


@st.composite
def tensordot_operands(draw):
    """Two arrays and axes that pair some of ``a``'s axes, in any order, with ``b``'s."""
    a_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    count = draw(st.integers(0, len(a_shape)))
    if draw(st.booleans()):   # an int: a's last ``count`` axes with b's first
        free = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        return a_shape, a_shape[len(a_shape) - count:] + free, count
    a_axes = draw(st.permutations(range(len(a_shape))))[:count]
    b_ndim = count + draw(st.integers(0, 2))
    b_axes = draw(st.permutations(range(b_ndim)))[:count]
    b_shape = [draw(st.integers(1, 3)) for _ in range(b_ndim)]
    for i, j in zip(a_axes, b_axes):
        b_shape[j] = a_shape[i]
    negative = draw(st.booleans())
    a_axes = [i - len(a_shape) if negative else i for i in a_axes]
    return a_shape, tuple(b_shape), (list(a_axes), list(b_axes))


@settings(max_examples=30, deadline=None)
@given(tensordot_operands())
def test_tensordot_of_any_axes(operands):
    a_shape, b_shape, axes = operands
    a, b = normal(*a_shape), normal(*b_shape)
    w = normal(*np.shape(np.tensordot(a, b, axes)))
    check_gradient(weighted_tensordot, a, b, axes, w, wrt=(0, 1))


def weighted_solve(a, b, w):
    return np.sum(np.linalg.solve(a, b) * w)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.sampled_from([None, 1, 3]), st.sampled_from([(), (2,)]))
def test_solve_of_any_right_hand_side(n, columns, batch):
    a = invertible(n, batch)
    b = normal(*batch, n) if columns is None else normal(*batch, n, columns)
    if columns is None and batch:
        b = normal(n)    # one vector for every matrix of the stack
    w = normal(*np.shape(np.linalg.solve(a, b)))
    check_gradient(weighted_solve, a, b, w, wrt=(0, 1))


# --- generated code ------------------------------------------------------------------------

def test_inverse_adjoint_reuses_the_inverse():
    code = rg.source(rg.grad(inv_function), invertible(4))
    statements = [line for line in code.splitlines() if not line.strip().startswith("#")]
    assert sum(line.count("np.linalg.inv(") for line in statements) == 1, code
    assert "_t1.T @" in code


def test_matrix_product_adjoint_reads_like_the_textbook():
    code = rg.source(rg.grad(matmul_operator, wrt=(0, 1)), normal(3, 4), normal(4, 5))
    assert "@ y.T" in code and "x.T @" in code and "rt.matmul" not in code, code


def test_batched_matrix_product_adjoint_uses_the_runtime_helper():
    code = rg.source(rg.grad(matmul_operator, wrt=(0, 1)), normal(2, 3, 4), normal(4, 5))
    assert "rt.matmul_adjoint_left(" in code and "rt.matmul_adjoint_right(" in code, code
