"""Tangent (forward-mode) rules of linear algebra (compiler/rules/linalg.py).

Every linalg primitive is checked in forward mode on functions that return its output itself
(so no other family's tangent rule is involved):

- against central differences: ``rg.jvp(f)(*args, tangent=t)`` is ``(f(x + h t) -
  f(x - h t)) / 2h`` for a random direction ``t``;
- against its adjoint rule (the dot-product test): ``<jvp(f)(x, v), w> == <v, pullback(w)>``
  for random ``v`` and ``w``, which ties each tangent rule to its adjoint rule exactly.

The runtime helpers that generated adjoint code calls (``rt.matmul_adjoint_left`` ...) are
primitives of forward mode too (``rg.hessian`` runs it through generated gradients); their
tangent rules are instantiated and run on their own against central differences.

The checking utilities at the top are shared with test_tangents_shape.py and
test_tangents_indexing.py.
"""
import ast
import dataclasses
import inspect
import itertools
import linecache
import operator
import re

import gast
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import retrograd as rg
import retrograd.runtime as runtime
from retrograd import rules, syntax

import test_rules_linalg

STEP = 1e-6
RNG = np.random.default_rng(17)
LEAD_HELPERS = {"unbroadcast", "unreduce", "reduce_like", "seed", "zeros_like", "copy", "add",
                "add_at", "like"}   # the lead's helpers, with rules in rules/runtime.py


# =============================================================================================
# checking utilities
# =============================================================================================

def normal(*shape):
    return RNG.standard_normal(shape)


def random_like(value):
    """A random value with the structure of ``value``: a float for a number, an array of the
    same shape for an array, the same containers around them."""
    if isinstance(value, dict):
        return {key: random_like(item) for key, item in value.items()}
    if isinstance(value, list):
        return [random_like(item) for item in value]
    if isinstance(value, tuple):
        return tuple(random_like(item) for item in value)
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value):
        return normal(*np.shape(value))
    return float(RNG.standard_normal())


def combine(operation, a, b):
    """``operation`` applied leaf by leaf to two values of the same structure."""
    if isinstance(a, dict):
        return {key: combine(operation, a[key], b[key]) for key in a}
    if isinstance(a, (list, tuple)):
        return [combine(operation, u, v) for u, v in zip(a, b)]
    return operation(a, b)


def leaves(value):
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in leaves(value[key])]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item)]
    return [np.asarray(value, dtype=float)]


def inner(a, b):
    """The dot product of two values of the same structure."""
    return sum(float(np.sum(u * v)) for u, v in zip(leaves(a), leaves(b)))


def assert_leaves_close(got, expected, rtol=1e-5, atol=1e-7):
    got, expected = leaves(got), leaves(expected)
    assert len(got) == len(expected), f"{len(got)} leaves, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g.shape == e.shape, f"leaf {i}: shape {g.shape} != {e.shape}"
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"leaf {i}")


def central_difference(f, args, positions, directions, step=STEP):
    """``(f(x + h t) - f(x - h t)) / 2h``, moving the arguments at ``positions``."""
    plus, minus = list(args), list(args)
    for position, direction in zip(positions, directions):
        plus[position] = combine(lambda x, t: x + step * t, args[position], direction)
        minus[position] = combine(lambda x, t: x - step * t, args[position], direction)
    return combine(lambda p, m: (np.asarray(p, dtype=float) - np.asarray(m, dtype=float))
                   / (2 * step), f(*plus), f(*minus))


def _positions(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


def _directions(args, wrt, directions):
    found = [random_like(args[p]) for p in _positions(wrt)]
    return directions(*found) if directions is not None else found


def _tangent(wrt, directions):
    return tuple(directions) if isinstance(wrt, tuple) else directions[0]


def check_tangent(f, *args, wrt=0, directions=None, rtol=1e-5, atol=1e-7):
    """Assert that ``rg.jvp(f, wrt)`` matches central differences in a random direction
    (``directions(*random)`` may shape it, e.g. make it symmetric)."""
    moves = _directions(args, wrt, directions)
    value, derivative = rg.jvp(f, wrt=wrt)(*args, tangent=_tangent(wrt, moves))
    expected = central_difference(f, args, _positions(wrt), moves)
    assert_leaves_close(derivative, expected, rtol, atol)


def check_dot_product(f, *args, wrt=0, directions=None):
    """Assert ``<jvp(f)(x, v), w> == <v, pullback(w)>`` for random ``v`` and ``w``: the tangent
    rule and the adjoint rule describe the same derivative."""
    moves = _directions(args, wrt, directions)
    value, derivative = rg.jvp(f, wrt=wrt)(*args, tangent=_tangent(wrt, moves))
    cotangent = random_like(value)
    _, pullback = rg.vjp(f, wrt=wrt)(*args)
    gradients = pullback(cotangent)
    gradients = gradients if isinstance(wrt, tuple) else (gradients,)
    forward = inner(derivative, cotangent)
    reverse = sum(inner(move, gradient) for move, gradient in zip(moves, gradients))
    assert np.isclose(forward, reverse, rtol=1e-9, atol=1e-11), (forward, reverse)


def tangent_by_rule(helper, args, tangents):
    """Run the tangent rule of ``helper`` on ``args`` as the forward pass instantiates it:
    ``tangents`` holds one tangent per positional argument (``None`` for none). Returns the
    output tangent and the generated statements."""
    rule = rules.TANGENTS[id(helper)]
    namespace = {"np": np, "rt": runtime, "out": helper(*args)}
    call_args = []
    for i, arg in enumerate(args):
        namespace[f"arg{i}"] = arg
        call_args.append(syntax.name(f"arg{i}"))
    bound = rules.bind(rule, call_args, {})
    positional = [p for p in rule.params if p not in rule.keyword_only]
    tangent_names = {}
    for i, (param, tangent) in enumerate(zip(positional, tangents)):
        if tangent is not None:
            namespace[f"tangent{i}"] = tangent
            tangent_names[param] = syntax.name(f"tangent{i}")
    counter = itertools.count(1)
    temps, terms = rules.instantiate_tangent(rule, bound, syntax.name("out"), tangent_names,
                                             lambda stem: f"{stem}{next(counter)}")
    total = terms[0]
    for term in terms[1:]:
        total = gast.BinOp(left=total, op=gast.Add(), right=term)
    module = gast.Module(body=temps + [syntax.assign("result", total)], type_ignores=[])
    source = ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(module)))
    exec(compile(source, f"<tangent rule of {helper.__name__}>", "exec"), namespace)
    return namespace["result"], source


@dataclasses.dataclass
class HelperCase:
    """A runtime helper called on ``args``, moved along the arguments at ``moving``."""
    helper: object
    args: tuple
    moving: tuple
    directions: object = None      # (*random directions) -> directions, e.g. symmetric ones

    @property
    def id(self):
        shapes = "-".join("x".join(map(str, np.shape(a))) or "s" for a in self.args
                          if isinstance(a, np.ndarray))
        return f"{self.helper.__name__}[{shapes}]"


def check_helper_tangent(case, rtol=1e-5, atol=1e-7):
    """The tangent rule of a runtime helper against central differences, and the terms of
    its arguments one at a time (each must be right on its own)."""
    moves = [random_like(case.args[p]) for p in case.moving]
    if case.directions is not None:
        moves = case.directions(*moves)
    for subset in [case.moving] + [(p,) for p in case.moving]:
        tangents = [None] * len(case.args)
        for position, move in zip(case.moving, moves):
            if position in subset:
                tangents[position] = move
        got, source = tangent_by_rule(case.helper, case.args, tangents)
        expected = central_difference(case.helper, case.args, subset,
                                      [m for p, m in zip(case.moving, moves) if p in subset])
        try:
            assert_leaves_close(got, expected, rtol, atol)
        except AssertionError as error:
            raise AssertionError(f"moving arguments {subset}:\n{source}\n{error}") from None


def rt_calls(rule):
    """The names of the ``rt`` helpers an adjoint template calls."""
    return set(re.findall(r"\brt\.(\w+)\(", rule.source))


def missing_tangent_rules(family):
    """Primitives, methods and attributes of ``family`` with an adjoint rule but no tangent
    rule, and the runtime helpers its adjoints call that have neither a tangent rule nor a
    declaration as constant."""
    rules.load_families()
    missing = sorted({rule.name for key, rule in rules.ADJOINTS.items()
                      if rule.family == family and key not in rules.TANGENTS})
    missing += sorted(f".{name}()" for name, rule in rules.METHODS.items()
                      if rule.family == family and name not in rules.TANGENT_METHODS)
    missing += sorted(f".{name}" for name, rule in rules.ATTRIBUTES.items()
                      if rule.family == family and name not in rules.TANGENT_ATTRIBUTES)
    missing += sorted(f"rt.{name}" for name in helpers_called(family)
                      if id(getattr(runtime, name)) not in rules.TANGENTS
                      and not rules.is_nondifferentiable(getattr(runtime, name)))
    return missing


def helpers_called(family):
    """The runtime helpers (not the lead's) that the adjoint rules of ``family`` call."""
    rules.load_families()
    every = list(rules.ADJOINTS.values()) + list(rules.METHODS.values()) \
        + list(rules.ATTRIBUTES.values())
    return sorted({name for rule in every if rule.family == family
                   for name in rt_calls(rule)} - LEAD_HELPERS)


def helper_tangent_rules_are_used(case):
    """``rg.jvp`` of a function calling the helper applies the helper's tangent rule (rather
    than differentiating the helper's own source) and matches central differences."""
    arguments = ", ".join(f"a{i}" for i in range(len(case.args)))
    namespace = {"rt": runtime}
    source = f"def call_helper({arguments}):\n    return rt.{case.helper.__name__}({arguments})\n"
    filename = f"<helper {case.helper.__name__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    function = namespace["call_helper"]
    code = rg.source(rg.jvp(function, wrt=case.moving), *case.args)
    assert f"def jvp_{case.helper.__name__}" not in code, code
    check_tangent(function, *case.args, wrt=case.moving, directions=case.directions)


# =============================================================================================
# the functions under test: each primitive's output itself
# =============================================================================================

def invertible(n, batch=()):
    """A well-conditioned matrix (or stack of matrices)."""
    return normal(*batch, n, n) + 2.0 * n ** 0.5 * np.eye(n)


def positive_definite(n, batch=()):
    a = normal(*batch, n, n)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def symmetric(*directions):
    """Symmetric directions: ``cholesky`` reads one triangle, so only symmetric moves are
    moves of the matrix it factorizes."""
    return [0.5 * (d + np.swapaxes(d, -1, -2)) for d in directions]


NEGATIVE_DET = invertible(4) * np.array([[-1.0], [1.0], [1.0], [1.0]])


@dataclasses.dataclass
class Case:
    function: object
    args: tuple
    wrt: object = 0
    directions: object = None

    @property
    def id(self):
        shapes = "-".join("x".join(map(str, np.shape(a))) or "s" for a in self.args
                          if not isinstance(a, (str, bool)))
        return f"{self.function.__name__}[{shapes}]"


def matmul_operator(x, y):
    return x @ y


def matmul_function(x, y):
    return np.matmul(x, y)


def dot_function(a, b):
    return np.dot(a, b)


def dot_method(a, b):
    return a.dot(b)


def inner_function(a, b):
    return np.inner(a, b)


def outer_function(a, b):
    return np.outer(a, b)


def tensordot_default(a, b):
    return np.tensordot(a, b)


def tensordot_one_axis(a, b):
    return np.tensordot(a, b, axes=1)


def tensordot_axis_lists(a, b):
    return np.tensordot(a, b, axes=([0, 2], [1, 0]))


def tensordot_axis_pair(a, b):
    return np.tensordot(a, b, (1, 0))


def einsum_matrix_product(a, b):
    return np.einsum("ij,jk->ik", a, b)


def einsum_trace(a):
    return np.einsum("ii->", a)


def einsum_implicit_trace(a):
    return np.einsum("ii", a)


def einsum_diagonal(a):
    return np.einsum("ii->i", a)


def einsum_implicit_transpose(a):
    return np.einsum("ji", a)


def einsum_row_sums(a):
    return np.einsum("ij->i", a)


def einsum_batch(a, b):
    return np.einsum("bij,bjk->bik", a, b)


def einsum_ellipsis(a, b):
    return np.einsum("...ij,...jk->...ik", a, b)


def einsum_bilinear(x, m, y):
    return np.einsum("i,ij,j->", x, m, y)


def einsum_partial_trace(a, v):
    return np.einsum("iij,j->i", a, v)


def trace_function(a):
    return np.trace(a)


def trace_offset_axes(a):
    return np.trace(a, 1, axis1=1, axis2=2)


def trace_method(a):
    return a.trace()


def diag_of_vector(v):
    return np.diag(v)


def diag_of_vector_offset(v):
    return np.diag(v, 1)


def diag_of_matrix(a):
    return np.diag(a)


def diag_of_matrix_offset(a):
    return np.diag(a, k=-1)


def diagonal_function(a):
    return np.diagonal(a, 1, 0, 2)


def diagonal_method(a):
    return a.diagonal(offset=-1)


def tril_function(a):
    return np.tril(a)


def triu_offset(a):
    return np.triu(a, 1)


def inv_function(a):
    return np.linalg.inv(a)


def solve_function(a, b):
    return np.linalg.solve(a, b)


def det_function(a):
    return np.linalg.det(a)


def slogdet_function(a):
    return np.linalg.slogdet(a)


def slogdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet


def norm_function(x):
    return np.linalg.norm(x)


def norm_with(x, order, axis, keepdims):
    return np.linalg.norm(x, order, axis, keepdims)


def cholesky_function(a):
    return np.linalg.cholesky(a)


def cholesky_upper(a):
    return np.linalg.cholesky(a, upper=True)


def cholesky_flag(a, upper):
    return np.linalg.cholesky(a, upper=upper)


SPECS = {
    operator.matmul: ("@", [
        Case(matmul_operator, (normal(3, 4), normal(4, 5)), (0, 1)),
        Case(matmul_operator, (normal(4), normal(4, 5)), (0, 1)),
        Case(matmul_operator, (normal(3, 4), normal(4)), (0, 1)),
        Case(matmul_operator, (normal(4), normal(4)), (0, 1)),
        Case(matmul_operator, (normal(2, 3, 4), normal(4, 5)), (0, 1)),
        Case(matmul_operator, (normal(4), normal(2, 4, 5)), 1),
    ]),
    np.matmul: ("np.matmul(", [Case(matmul_function, (normal(2, 3, 4), normal(2, 4, 2)), (0, 1))]),
    np.dot: ("np.dot(", [
        Case(dot_function, (normal(3, 4), normal(4, 5)), (0, 1)),
        Case(dot_function, (normal(4), normal(4)), (0, 1)),
        Case(dot_function, (normal(2, 3, 4), normal(5, 4, 2)), (0, 1)),
        Case(dot_function, (normal(3, 4), normal(4)), 0),
        Case(dot_function, (0.7, normal(3)), (0, 1)),
    ]),
    np.inner: ("np.inner(", [
        Case(inner_function, (normal(4), normal(4)), (0, 1)),
        Case(inner_function, (normal(2, 3, 4), normal(5, 4)), (0, 1)),
    ]),
    np.outer: ("np.outer(", [Case(outer_function, (normal(2, 3), normal(4)), (0, 1)),
                             Case(outer_function, (normal(3), normal(4)), 1)]),
    np.tensordot: ("np.tensordot(", [
        Case(tensordot_default, (normal(2, 3, 4), normal(3, 4, 5)), (0, 1)),
        Case(tensordot_one_axis, (normal(2, 3, 4), normal(4, 5)), (0, 1)),
        Case(tensordot_axis_lists, (normal(2, 3, 4), normal(4, 2, 5)), (0, 1)),
        Case(tensordot_axis_pair, (normal(2, 3, 4), normal(3, 5)), 0),
    ]),
    np.einsum: ("np.einsum(", [
        Case(einsum_matrix_product, (normal(3, 4), normal(4, 5)), (0, 1)),
        Case(einsum_matrix_product, (normal(3, 4), normal(4, 5)), 1),
        Case(einsum_trace, (normal(4, 4),)),
        Case(einsum_implicit_trace, (normal(4, 4),)),
        Case(einsum_diagonal, (normal(4, 4),)),
        Case(einsum_implicit_transpose, (normal(3, 4),)),
        Case(einsum_row_sums, (normal(3, 4),)),
        Case(einsum_batch, (normal(2, 3, 4), normal(2, 4, 5)), (0, 1)),
        Case(einsum_ellipsis, (normal(2, 3, 4), normal(4, 5)), (0, 1)),
        Case(einsum_bilinear, (normal(3), normal(3, 4), normal(4)), (0, 1, 2)),
        Case(einsum_bilinear, (normal(3), normal(3, 4), normal(4)), (0, 2)),
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
    np.tril: ("np.tril(", [Case(tril_function, (normal(3, 4),))]),
    np.triu: ("np.triu(", [Case(triu_offset, (normal(3, 4),))]),
    np.linalg.inv: ("np.linalg.inv(", [
        Case(inv_function, (invertible(4),)),
        Case(inv_function, (invertible(3, (2,)),)),
    ]),
    np.linalg.solve: ("np.linalg.solve(", [
        Case(solve_function, (invertible(4), normal(4)), (0, 1)),
        Case(solve_function, (invertible(4), normal(4, 3)), (0, 1)),
        Case(solve_function, (invertible(4, (2,)), normal(2, 4, 3)), (0, 1)),
        Case(solve_function, (invertible(3, (2,)), normal(3)), (0, 1)),
        Case(solve_function, (invertible(3), normal(2, 3, 2)), 0),
    ]),
    np.linalg.det: ("np.linalg.det(", [
        Case(det_function, (invertible(4),)),
        Case(det_function, (invertible(3, (2,)),)),
    ]),
    np.linalg.slogdet: ("np.linalg.slogdet(", [
        Case(slogdet_function, (NEGATIVE_DET,)),
        Case(slogdet_function, (invertible(3, (2,)),)),
        Case(slogdet_unpacked, (invertible(3),)),
    ]),
    np.linalg.norm: ("np.linalg.norm(", [
        Case(norm_function, (normal(5),)),
        Case(norm_function, (normal(2, 3, 4),)),
    ]),
    np.linalg.cholesky: ("np.linalg.cholesky(", [
        Case(cholesky_function, (positive_definite(4),), directions=symmetric),
        Case(cholesky_function, (positive_definite(3, (2,)),), directions=symmetric),
        Case(cholesky_upper, (positive_definite(4),), directions=symmetric),
        Case(cholesky_flag, (positive_definite(3), True), directions=symmetric),
        Case(cholesky_flag, (positive_definite(3), False), directions=symmetric),
    ]),
}

METHOD_SPECS = {
    "dot": [Case(dot_method, (normal(3, 4), normal(4, 2)), (0, 1))],
    "trace": [Case(trace_method, (normal(4, 4),))],
    "diagonal": [Case(diagonal_method, (normal(4, 4),))],
}

ALL_CASES = [case for _, cases in SPECS.values() for case in cases] + \
    [case for cases in METHOD_SPECS.values() for case in cases]
CASE_PARAMETERS = [pytest.param(c, id=c.id) for c in ALL_CASES]


@pytest.mark.parametrize("case", CASE_PARAMETERS)
def test_tangent_matches_central_differences(case):
    check_tangent(case.function, *case.args, wrt=case.wrt, directions=case.directions)


@pytest.mark.parametrize("case", CASE_PARAMETERS)
def test_tangent_agrees_with_adjoint(case):
    check_dot_product(case.function, *case.args, wrt=case.wrt, directions=case.directions)


def test_every_linalg_rule_has_a_tangent_rule():
    missing = missing_tangent_rules("linalg")
    assert not missing, f"linalg rules without a tangent rule: {missing}"


def test_every_linalg_tangent_rule_has_a_spec():
    rules.load_families()
    covered = {id(primitive) for primitive in SPECS}
    missing = sorted({rule.name for key, rule in rules.TANGENTS.items()
                      if rule.family == "linalg" and key not in covered
                      and key not in {id(case.helper) for case in HELPER_CASES}})
    assert not missing, f"linalg tangent rules without a spec: {missing}"
    missing_methods = sorted(name for name, rule in rules.TANGENT_METHODS.items()
                             if rule.family == "linalg" and name not in METHOD_SPECS)
    assert not missing_methods, f"linalg tangent methods without a spec: {missing_methods}"


@pytest.mark.parametrize("primitive", list(SPECS), ids=lambda p: SPECS[p][0])
def test_each_spec_calls_its_primitive(primitive):
    spelling, cases = SPECS[primitive]
    for case in cases:
        assert spelling in inspect.getsource(case.function), \
            f"{case.function.__name__} does not call {spelling}"


# --- norms: every order NumPy computes -----------------------------------------------------

NORMS = [
    (None, None, False, (5,)), (2, None, False, (5,)), (1, None, False, (5,)),
    (3, None, False, (5,)), (0.5, None, False, (5,)), (np.inf, None, False, (5,)),
    (-np.inf, None, False, (5,)), (2, 1, False, (3, 4)), (1, 0, True, (3, 4)),
    (None, -1, True, (2, 3, 4)), ("fro", None, False, (3, 4)), ("nuc", None, False, (3, 4)),
    (2, None, False, (3, 4)), (-2, None, False, (4, 3)), (1, None, False, (3, 4)),
    (-1, None, False, (3, 4)), (np.inf, None, False, (3, 4)), (-np.inf, None, False, (3, 4)),
    ("fro", (0, 2), False, (3, 2, 4)), ("nuc", (2, 0), True, (3, 2, 4)),
    (2, (1, 2), False, (2, 3, 4)), (None, None, True, (3, 4)),
]
NORM_IDS = [f"ord={o}-axis={a}-keepdims={k}-{s}" for o, a, k, s in NORMS]


@pytest.mark.parametrize("order,axis,keepdims,shape", NORMS, ids=NORM_IDS)
def test_norm_tangent_of_every_order(order, axis, keepdims, shape):
    x = normal(*shape)
    check_tangent(norm_with, x, order, axis, keepdims)
    check_dot_product(norm_with, x, order, axis, keepdims)


# --- shapes drawn by hypothesis --------------------------------------------------------------

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


@settings(max_examples=25, deadline=None)
@given(matmul_operands())
def test_matmul_tangent_of_any_shapes(shapes):
    x, y = normal(*shapes[0]), normal(*shapes[1])
    check_tangent(matmul_operator, x, y, wrt=(0, 1))
    check_dot_product(matmul_operator, x, y, wrt=(0, 1))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 3), st.integers(0, 3), st.integers(1, 3))
def test_dot_tangent_of_any_ranks(rank_a, rank_b, size):
    a_shape = tuple(range(2, 2 + rank_a))
    if rank_b >= 2:
        b_shape = (size,) * (rank_b - 2) + (a_shape[-1] if a_shape else 2, 3)
    else:
        b_shape = (a_shape[-1],) * rank_b if a_shape else (3,) * rank_b
    a = normal(*a_shape) if a_shape else 0.6
    b = normal(*b_shape) if b_shape else -1.3
    check_tangent(dot_function, a, b, wrt=(0, 1))
    check_dot_product(dot_function, a, b, wrt=(0, 1))


def tensordot_with(a, b, axes):
    return np.tensordot(a, b, axes)


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


@settings(max_examples=25, deadline=None)
@given(tensordot_operands())
def test_tensordot_tangent_of_any_axes(operands):
    a_shape, b_shape, axes = operands
    a, b = normal(*a_shape), normal(*b_shape)
    check_tangent(tensordot_with, a, b, axes, wrt=(0, 1))
    check_dot_product(tensordot_with, a, b, axes, wrt=(0, 1))


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.sampled_from([None, 1, 3]), st.sampled_from([(), (2,)]))
def test_solve_tangent_of_any_right_hand_side(n, columns, batch):
    a = invertible(n, batch)
    b = normal(*batch, n) if columns is None else normal(*batch, n, columns)
    if columns is None and batch:
        b = normal(n)    # one vector for every matrix of the stack
    check_tangent(solve_function, a, b, wrt=(0, 1))
    check_dot_product(solve_function, a, b, wrt=(0, 1))


# --- the runtime helpers of the adjoints -------------------------------------------------------

A34, B45, G35, G235 = normal(3, 4), normal(4, 5), normal(3, 5), normal(2, 3, 5)
SPD = positive_definite(4)
L_FACTOR = np.linalg.cholesky(SPD)
U_FACTOR = np.linalg.cholesky(SPD, upper=True)
SYSTEM, RIGHT = invertible(4), normal(4, 3)
STACK = invertible(3, (2,))


def _norm_case(x, order, axis, keepdims):
    """``norm_adjoint(g, z, x, ...)``, moved along ``g``, ``z`` and ``x`` on their own (only along
    ``g`` where the adjoint picks the elements equal to the norm: moving ``z`` or ``x`` alone
    breaks the tie; ``test_norm_adjoint_tangent_as_forward_mode_meets_it`` moves them
    together)."""
    z = np.linalg.norm(x, order, axis, keepdims)
    ties = order in (np.inf, -np.inf) or (order in (1, -1) and np.ndim(x) > 1
                                          and (axis is None or np.ndim(axis) == 1))
    return HelperCase(runtime.norm_adjoint, (normal(*np.shape(z)), z, x, order, axis, keepdims),
                      (0,) if ties else (0, 1, 2))


HELPER_CASES = [
    HelperCase(runtime.transpose_last, (normal(2, 3, 4),), (0,)),
    HelperCase(runtime.matmul_adjoint_left, (G235, A34, B45), (0, 2)),
    HelperCase(runtime.matmul_adjoint_left, (normal(2, 5), normal(4), normal(2, 4, 5)), (0, 2)),
    HelperCase(runtime.matmul_adjoint_right, (G235, A34, B45), (0, 1)),
    HelperCase(runtime.matmul_adjoint_right, (normal(2, 3), normal(2, 3, 4), normal(4)), (0, 1)),
    HelperCase(runtime.dot_adjoint_left, (normal(2, 3, 5, 2), normal(2, 3, 4), normal(5, 4, 2)),
               (0, 2)),
    HelperCase(runtime.dot_adjoint_left, (normal(3), 0.7, normal(3)), (0, 2)),
    HelperCase(runtime.dot_adjoint_right, (normal(2, 3, 5, 2), normal(2, 3, 4), normal(5, 4, 2)),
               (0, 1)),
    HelperCase(runtime.dot_adjoint_right, (normal(3), normal(3, 4), normal(4)), (0, 1)),
    HelperCase(runtime.inner_adjoint_left, (normal(2, 3, 5), normal(2, 3, 4), normal(5, 4)),
               (0, 2)),
    HelperCase(runtime.inner_adjoint_right, (normal(2, 3, 5), normal(2, 3, 4), normal(5, 4)),
               (0, 1)),
    HelperCase(runtime.tensordot_adjoint_left,
               (normal(3, 5), normal(2, 3, 4), normal(4, 2, 5), ([0, 2], [1, 0])), (0, 2)),
    HelperCase(runtime.tensordot_adjoint_right,
               (normal(3, 5), normal(2, 3, 4), normal(4, 2, 5), ([0, 2], [1, 0])), (0, 1)),
    HelperCase(runtime.einsum_adjoint,
               (normal(3, 5), "ij,jk->ik", (normal(3, 4), normal(4, 5))), (0, 2)),
    HelperCase(runtime.einsum_adjoint,
               (normal(3), "iij,j->i", (normal(3, 3, 4), normal(4))), (0, 2)),
    HelperCase(runtime.einsum_adjoint,
               (1.3, "i,ij,j->", (normal(3), normal(3, 4), normal(4))), (2,)),
    HelperCase(runtime.trace_adjoint, (normal(2), normal(2, 3, 4), 1, 1, 2), (0,)),
    HelperCase(runtime.diag_adjoint, (normal(4, 4), normal(4), 0), (0,)),
    HelperCase(runtime.diag_adjoint, (normal(3), normal(4, 4), -1), (0,)),
    HelperCase(runtime.diagonal_adjoint, (normal(3, 4), normal(4, 3, 5), 1, 0, 2), (0,)),
    HelperCase(runtime.solve_transposed, (SYSTEM, normal(4, 3), RIGHT), (0, 1)),
    HelperCase(runtime.solve_transposed, (SYSTEM, normal(4), normal(4)), (0, 1)),
    HelperCase(runtime.solve_transposed, (STACK, normal(2, 3), normal(3)), (0, 1)),
    HelperCase(runtime.solve_adjoint_matrix,
               (normal(4, 3), normal(4, 3), SYSTEM, RIGHT), (0, 1)),
    HelperCase(runtime.solve_adjoint_matrix,
               (normal(2, 3), normal(2, 3), STACK, normal(3)), (0, 1)),
    HelperCase(runtime.sum_like, (normal(2, 3, 4), normal(3, 1)), (0,)),
    HelperCase(runtime.slogdet_adjoint, ((0.4, 1.3), SYSTEM), (0, 1)),
    HelperCase(runtime.slogdet_adjoint, ((normal(2), normal(2)), STACK), (0, 1)),
    HelperCase(runtime.cholesky_adjoint, (normal(4, 4), L_FACTOR), (0, 1)),
    HelperCase(runtime.cholesky_adjoint, (normal(4, 4), U_FACTOR, True), (0, 1)),
    HelperCase(runtime.cholesky_adjoint, (normal(2, 3, 3), np.linalg.cholesky(
        positive_definite(3, (2,)))), (0, 1)),
] + [_norm_case(normal(*shape), order, axis, keepdims)
     for order, axis, keepdims, shape in NORMS]


def norm_adjoint_of_input(g, x, order, axis, keepdims):
    return runtime.norm_adjoint(g, np.linalg.norm(x, order, axis, keepdims), x, order, axis,
                                keepdims)


@pytest.mark.parametrize("order,axis,keepdims,shape", NORMS, ids=NORM_IDS)
def test_norm_adjoint_tangent_as_forward_mode_meets_it(order, axis, keepdims, shape):
    """In generated gradients the norm moves with its input: the tangent rule of
    ``norm_adjoint`` given ``dz = norm_tangent(dx)`` and ``dx`` is the derivative of
    ``x -> norm_adjoint(g, norm(x), x)``."""
    x = normal(*shape)
    z = np.linalg.norm(x, order, axis, keepdims)
    g, dg, dx = normal(*np.shape(z)), normal(*np.shape(z)), normal(*shape)
    dz = runtime.norm_tangent(dx, z, x, order, axis, keepdims)
    got, _ = tangent_by_rule(runtime.norm_adjoint, (g, z, x, order, axis, keepdims),
                             [dg, dz, dx, None, None, None])
    expected = central_difference(norm_adjoint_of_input, (g, x, order, axis, keepdims), (0, 1),
                                  [dg, dx])
    assert_leaves_close(got, expected)


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in HELPER_CASES])
def test_helper_tangent_matches_central_differences(case):
    check_helper_tangent(case)


def test_every_linalg_helper_has_a_spec():
    covered = {case.helper.__name__ for case in HELPER_CASES}
    missing = [name for name in helpers_called("linalg")
               if name not in covered and not rules.is_nondifferentiable(getattr(runtime, name))]
    assert not missing, f"runtime helpers of linalg adjoints without a spec: {missing}"


def test_forward_mode_applies_helper_tangent_rules():
    for case in HELPER_CASES:
        helper_tangent_rules_are_used(case)


def product_after_a_branch(x, w, transposed):
    if transposed:
        h = x.T
    else:
        h = w
    return h @ w


def test_tangent_zero_on_one_branch_reaches_a_matrix_product():
    check_tangent(product_after_a_branch, normal(3, 3), normal(3, 3), True)
    check_tangent(product_after_a_branch, normal(3, 3), normal(3, 3), False)


# --- derivatives of derivatives: forward mode through generated gradients ----------------------

def sine_of_product(x, w):
    return np.sum(np.sin(x @ w))


def trace_of_square(a):
    return np.trace(a @ a)


def log_det_plus_inverse(a):
    return np.linalg.slogdet(a)[1] + np.sum(np.linalg.inv(a))


def check_hessian_vector_product(f, args, wrt=0):
    direction = random_like(args[wrt])
    got = rg.hvp(f, wrt=wrt)(*args, direction)
    gradient = rg.grad(f, wrt=wrt)
    expected = central_difference(gradient, args, (wrt,), [direction])
    assert_leaves_close(got, expected, rtol=1e-5, atol=1e-6)


def hessian_vector_products_of_adjoint_specs(cases):
    """``rg.hvp`` against central differences of ``rg.grad`` for every case of an adjoint spec
    table: forward mode runs through the generated gradient, so through every adjoint template
    of the family and every runtime helper it calls."""
    failures = []
    for case in cases:
        for position in _positions(case.wrt):
            if isinstance(case.args[position], (dict, list, tuple)):
                continue     # higher derivatives take arrays
            try:
                check_hessian_vector_product(case.function, case.args, position)
            except Exception as error:   # noqa: BLE001 - every failing case is reported
                first_line = str(error).splitlines()[0] if str(error) else ""
                failures.append(f"{case.id} wrt {position}: {type(error).__name__}: {first_line}")
    assert not failures, "\n".join(failures)


def test_hessian_vector_product_of_a_matrix_product():
    check_hessian_vector_product(sine_of_product, (normal(3, 4), normal(4, 2)))


def test_hessian_vector_product_of_a_trace():
    check_hessian_vector_product(trace_of_square, (normal(3, 3),))


def test_hessian_through_the_helpers_of_linalg_adjoints():
    check_hessian_vector_product(sine_of_product, (normal(2, 3, 4), normal(4, 2)))
    check_hessian_vector_product(log_det_plus_inverse, (invertible(3),))


def test_hessian_vector_products_through_every_linalg_adjoint():
    hessian_vector_products_of_adjoint_specs(test_rules_linalg.ALL_CASES)


# --- generated code ------------------------------------------------------------------------

def test_matrix_product_tangent_reads_like_the_textbook():
    code = rg.source(rg.jvp(matmul_operator, wrt=(0, 1)), normal(3, 4), normal(4, 5))
    assert "dx @ y + x @ dy" in code, code


def test_tangent_of_one_operand_has_one_term():
    code = rg.source(rg.jvp(matmul_operator, wrt=0), normal(3, 4), normal(4, 5))
    assert "dx @ y" in code and "dy" not in code, code


def test_inverse_tangent_reuses_the_inverse():
    code = rg.source(rg.jvp(inv_function), invertible(3))
    statements = [line for line in code.splitlines() if not line.strip().startswith("#")]
    assert sum(line.count("np.linalg.inv(") for line in statements) == 1, code
