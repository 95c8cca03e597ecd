"""Tangent (forward-mode) rules of reductions and of the runtime helpers their adjoints call
(compiler/rules/reductions.py, runtime/reductions.py).

Every reduction of the adjoint spec table in test_rules_reductions.py is checked here in
forward mode, as a function and as an array method, over the same shapes, axes, ``keepdims``
and ``ddof`` drawn by hypothesis, against central differences and against its adjoint rule
(the dot-product test ``<jvp(f)(x, v), w> == <v, pullback(w)>``). Options passed at run time
exercise each template's general branch; the literal forms of test_rules_reductions.py
exercise the branches decided at compile time.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import retrograd as rg
import retrograd.runtime as runtime
from retrograd import rules
from gradcheck import assert_close
from test_rules_reductions import DISTINCT43, FACTORS43, LITERAL_FORMS, M43, SPECS, W3, W43, \
    distinct, reduction_case
from test_tangents_elementwise import check_against_differences, check_dot_product, \
    direction_like, STEP

FAMILY = "reductions"


# =============================================================================================
# the functions under test: each reduction's output itself
# =============================================================================================

_FUNCTIONS = {}


def function_of(case):
    """``f(x, *options) = reduction(x, **options)``, options given at run time."""
    if case.name in _FUNCTIONS:
        return _FUNCTIONS[case.name]
    primitive = case.primitive
    if case.ddof:
        def f(x, axis, keepdims, ddof):
            return primitive(x, axis=axis, keepdims=keepdims, ddof=ddof)
    elif case.keepdims:
        def f(x, axis, keepdims):
            return primitive(x, axis=axis, keepdims=keepdims)
    else:
        def f(x, axis):
            return primitive(x, axis=axis)
    _FUNCTIONS[case.name] = f
    return f


def sum_method(x, axis, keepdims):
    return x.sum(axis=axis, keepdims=keepdims)


def mean_method(x, axis, keepdims):
    return x.mean(axis=axis, keepdims=keepdims)


def prod_method(x, axis, keepdims):
    return x.prod(axis=axis, keepdims=keepdims)


def max_method(x, axis, keepdims):
    return x.max(axis=axis, keepdims=keepdims)


def min_method(x, axis, keepdims):
    return x.min(axis=axis, keepdims=keepdims)


def var_method(x, axis, keepdims, ddof):
    return x.var(axis=axis, keepdims=keepdims, ddof=ddof)


def std_method(x, axis, keepdims, ddof):
    return x.std(axis=axis, keepdims=keepdims, ddof=ddof)


def cumsum_method(x, axis):
    return x.cumsum(axis=axis)


def cumprod_method(x, axis):
    return x.cumprod(axis=axis)


METHODS = {"sum": sum_method, "mean": mean_method, "prod": prod_method, "max": max_method,
           "min": min_method, "var": var_method, "std": std_method, "cumsum": cumsum_method,
           "cumprod": cumprod_method}


def _draw(data, case, as_method):
    shape, options, seed = data.draw(reduction_case(case, as_method))
    rng = np.random.default_rng(seed)
    return [case.domain(rng, shape), *options.values()], rng


# =============================================================================================
# every rule against central differences and against its adjoint rule, options at run time
# =============================================================================================

@pytest.mark.parametrize("case", SPECS, ids=lambda c: c.name)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_tangent_matches_central_differences(case, data):
    args, rng = _draw(data, case, False)
    check_against_differences(function_of(case), args, (0,), rng)


@pytest.mark.parametrize("case", SPECS, ids=lambda c: c.name)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_tangent_agrees_with_the_adjoint_rule(case, data):
    args, rng = _draw(data, case, False)
    check_dot_product(function_of(case), args, (0,), rng)


@pytest.mark.parametrize("case", [c for c in SPECS if c.method], ids=lambda c: f"x.{c.method}")
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_method_tangent_matches_central_differences_and_the_adjoint(case, data):
    args, rng = _draw(data, case, True)
    check_against_differences(METHODS[case.method], args, (0,), rng)
    check_dot_product(METHODS[case.method], args, (0,), rng)


@pytest.mark.parametrize("f, x", LITERAL_FORMS,
                         ids=[f"{f.__name__}-{np.shape(x)}" for f, x in LITERAL_FORMS])
def test_reduction_with_literal_options(f, x):
    rng = np.random.default_rng(3)
    check_against_differences(f, [x], (0,), rng)
    check_dot_product(f, [x], (0,), rng)


def sum_with_literal_keepdims(x):
    return np.sum(x, axis=1, keepdims=True)


def mean_with_literal_keepdims(x):
    return np.mean(x, axis=(0, 1), keepdims=True)


def cumsum_all(x):
    return np.cumsum(x)


def test_reduction_tangent_keeps_the_reduced_shape():
    for f, x in ((sum_with_literal_keepdims, M43), (mean_with_literal_keepdims, M43),
                 (cumsum_all, M43)):
        value, tangent = rg.jvp(f)(x, tangent=np.ones_like(x))
        assert isinstance(tangent, np.ndarray) and tangent.shape == np.shape(value), f.__name__


# =============================================================================================
# zeros in products, ties in extrema
# =============================================================================================

def prod_rows(x):
    return np.prod(x, axis=1)


def prod_all(x):
    return np.prod(x)


def cumprod_columns(x):
    return np.cumprod(x, axis=0)


def cumprod_flat(x):
    return np.cumprod(x)


@pytest.mark.parametrize("zeros", [[(0, 0)], [(1, 2), (3, 0)], [(2, 0), (2, 1)]],
                         ids=["one zero", "zeros in two rows", "two zeros in a row"])
@pytest.mark.parametrize("f", [prod_rows, prod_all, cumprod_columns, cumprod_flat],
                         ids=lambda f: f.__name__)
def test_products_with_zeros(f, zeros):
    x = FACTORS43.copy()
    for index in zeros:
        x[index] = 0.0
    rng = np.random.default_rng(5)
    tangent = check_against_differences(f, [x], (0,), rng)
    assert np.all(np.isfinite(tangent))
    check_dot_product(f, [x], (0,), rng)


TIED = np.array([[0.3, 0.9, 0.9], [0.2, 0.1, 0.2], [0.5, 0.5, 0.5], [0.1, 0.2, 0.3]])


def max_rows(x):
    return np.max(x, axis=1)


def min_columns_keepdims(x):
    return x.min(axis=0, keepdims=True)


def max_all(x):
    return np.max(x)


@pytest.mark.parametrize("f", [max_rows, min_columns_keepdims, max_all],
                         ids=lambda f: f.__name__)
def test_tied_extrema_agree_with_the_adjoint(f):
    """At a tie the rules take the same subgradient: the adjoint shares the cotangent among
    the tied elements, the tangent is the mean of their tangents."""
    check_dot_product(f, [TIED], (0,), np.random.default_rng(7))


def test_tied_maxima_give_the_mean_tangent():
    direction = np.arange(12.0).reshape(4, 3)
    _, tangent = rg.jvp(max_rows)(TIED, tangent=direction)
    assert_close(tangent, np.array([1.5, 4.0, 7.0, 11.0]))


# =============================================================================================
# the builtin sum and reductions of lists
# =============================================================================================

def builtin_sum_of_floats(x, y):
    return sum([x, y, x * y])


def builtin_sum_of_arrays(a, b):
    return sum([a, b, a * b])


def builtin_sum_of_mixed(a, s):
    return sum([a, s, s * s, a[0]])


def builtin_sum_with_start(a, s):
    return sum((a, a * a), s)


def builtin_sum_with_a_scalar_start(a, s):
    return sum([a * a, a], s * 2.0)


def builtin_sum_over_rows(x, y):
    return sum(x * y)


def numpy_reductions_of_a_list(x, y):
    return np.array([np.sum([x, y * y, x * y]), np.mean([x, y]), np.max([x, y * y, 0.3]),
                     np.amin([x, y * y, 0.3]), np.var([x, y * y, 0.3]),
                     np.std([x, y * y, 0.3], ddof=1), np.prod([x, y * y, 0.3])])


def cumulative_of_a_list(x, y):
    return np.cumsum([x, y * y, 0.3]) + np.cumprod([x, y * y, 0.3])


SEQUENCE_FORMS = [
    (builtin_sum_of_floats, (0.7, -1.2)),
    (builtin_sum_of_arrays, (M43, W43 - 1.0)),
    (builtin_sum_of_mixed, (M43, 0.4)),
    (builtin_sum_with_start, (M43, W3)),
    (builtin_sum_with_a_scalar_start, (M43, 0.4)),
    (builtin_sum_over_rows, (M43, W3)),
    (numpy_reductions_of_a_list, (0.7, -1.1)),
    (cumulative_of_a_list, (0.7, -1.1)),
]


@pytest.mark.parametrize("f, args", SEQUENCE_FORMS,
                         ids=[f.__name__ for f, _ in SEQUENCE_FORMS])
def test_reduction_of_a_sequence(f, args):
    rng = np.random.default_rng(11)
    check_against_differences(f, list(args), (0, 1), rng)
    check_dot_product(f, list(args), (0, 1), rng)


def builtin_sum_with_an_active_start(x, s):
    return sum([x * x, 2.0], s)


def test_builtin_sum_with_an_active_start():
    rng = np.random.default_rng(43)
    check_against_differences(builtin_sum_with_an_active_start, [0.7, -0.4], (0, 1), rng)
    check_dot_product(builtin_sum_with_an_active_start, [0.7, -0.4], (0, 1), rng)


def builtin_sum_spread_from_its_start(a, s):
    return np.sum(sum((a, a * a), s))


def test_builtin_sum_spreads_the_tangent_of_its_start():
    """Only the start varies and it is broadcast against the items: its tangent counts once
    per element of the result."""
    rng = np.random.default_rng(47)
    check_against_differences(builtin_sum_spread_from_its_start, [M43, W3], (1,), rng)


def test_builtin_sum_of_a_list_argument():
    def f(values):
        return sum(values) * 2.0
    _, tangent = rg.jvp(f)([0.5, 1.5, -0.3], tangent=[1.0, 2.0, 3.0])
    assert tangent == 12.0


# =============================================================================================
# the runtime helpers the adjoint rules call: forward mode through derivatives
# =============================================================================================

def prod_adjoint_of(g, x):
    return runtime.prod_adjoint(g, x, 1, False)


def prod_adjoint_of_all(g, x):
    return runtime.prod_adjoint(g, x, None, False)


def extremum_adjoint_of(g, x):
    return runtime.extremum_adjoint(g, np.max(x, axis=0), x, 0, False)


def cumsum_adjoint_of(g, x):
    return runtime.cumsum_adjoint(g, x, 1)


def cumprod_adjoint_of(g, x):
    return runtime.cumprod_adjoint(g, np.cumprod(x, axis=0), x, 0)


def cumprod_adjoint_flat(g, x):
    return runtime.cumprod_adjoint(g, np.cumprod(x), x, None)


def unreduce_sequence_of(g, x):
    return runtime.unreduce_sequence(g * 1.0, [x, x * x])


WITH_ZERO = FACTORS43.copy()
WITH_ZERO[1, 1] = 0.0
W4 = np.array([0.5, -1.0, 1.5, 0.7])
HELPER_FORMS = [
    pytest.param(prod_adjoint_of, (W4, FACTORS43), id="prod_adjoint"),
    pytest.param(prod_adjoint_of, (W4, WITH_ZERO), id="prod_adjoint-zero"),
    pytest.param(prod_adjoint_of_all, (0.7, WITH_ZERO), id="prod_adjoint-all"),
    pytest.param(extremum_adjoint_of, (W3, DISTINCT43), id="extremum_adjoint"),
    pytest.param(cumsum_adjoint_of, (W43, M43), id="cumsum_adjoint"),
    pytest.param(cumprod_adjoint_of, (W43, FACTORS43), id="cumprod_adjoint"),
    pytest.param(cumprod_adjoint_of, (W43, WITH_ZERO), id="cumprod_adjoint-zero"),
    pytest.param(cumprod_adjoint_flat, (np.arange(12.0), WITH_ZERO), id="cumprod_adjoint-flat"),
    pytest.param(unreduce_sequence_of, (W3, M43), id="unreduce_sequence"),
]


@pytest.mark.parametrize("f, args", HELPER_FORMS)
def test_adjoint_helper_tangent_matches_central_differences(f, args):
    """Each helper in the direction of both its cotangent and its primal argument."""
    check_against_differences(f, list(args), (0, 1), np.random.default_rng(13))


def test_prod_adjoint_tangent_helper_matches_central_differences():
    """The helper behind prod_adjoint's rule, called directly (with zeros in ``x``)."""
    rng = np.random.default_rng(17)
    for axis, keepdims in ((None, False), (1, False), ((0, 1), True), (-1, True)):
        x = WITH_ZERO.copy()
        x[2, 0] = 0.0
        g = rng.standard_normal(np.shape(np.prod(x, axis=axis, keepdims=keepdims)))
        direction = rng.standard_normal(x.shape)
        expected = (runtime.prod_adjoint(g, x + STEP * direction, axis, keepdims)
                    - runtime.prod_adjoint(g, x - STEP * direction, axis, keepdims)) / (2 * STEP)
        assert_close(runtime.prod_adjoint_tangent(g, x, direction, axis, keepdims), expected)


def test_cumprod_adjoint_tangent_helper_matches_central_differences():
    """The helper behind cumprod_adjoint's rule, called directly (with zeros in ``x``)."""
    rng = np.random.default_rng(19)
    for x in (FACTORS43, WITH_ZERO):
        for axis in (None, 0, 1, -1):
            g = rng.standard_normal(np.cumprod(x, axis=axis).shape)
            direction = rng.standard_normal(x.shape)

            def adjoint(v):
                return runtime.cumprod_adjoint(g, np.cumprod(v, axis=axis), v, axis)
            expected = (adjoint(x + STEP * direction) - adjoint(x - STEP * direction)) \
                / (2 * STEP)
            assert_close(runtime.cumprod_adjoint_tangent(g, x, direction, axis), expected)


def reductions_model(x):
    return (np.sum(np.sin(x), axis=0) @ W3 + np.mean(x * x) + np.max(x, axis=1) @ W4
            + np.var(x, axis=0, ddof=1) @ W3 + np.std(x) + np.sum(np.cumsum(x, axis=1) * W43))


def products_model(x):
    return np.prod(x, axis=1) @ W4 + np.sum(np.cumprod(x, axis=0) * W43)


@pytest.mark.parametrize("f, x", [
    (reductions_model, DISTINCT43), (products_model, FACTORS43),
], ids=["sum-mean-max-var-std-cumsum", "prod-cumprod"])
def test_hessian_vector_product_through_the_adjoint_code(f, x):
    """Forward mode over generated adjoint code: jvp(grad(f)) against differences of
    grad(f)."""
    rng = np.random.default_rng(23)
    direction = direction_like(x, rng)
    gradient = rg.grad(f)
    _, tangent = rg.jvp(gradient)(x, tangent=direction)
    expected = (gradient(x + STEP * direction) - gradient(x - STEP * direction)) / (2 * STEP)
    assert_close(tangent, expected, rtol=1e-5, atol=1e-7)


# =============================================================================================
# control flow with these rules
# =============================================================================================

def normalise_until_small(x, steps):
    total = 0.0
    for k in range(steps):
        spread = np.max(x, axis=1, keepdims=True) - np.min(x, axis=1, keepdims=True)
        if np.mean(spread) > 1.0:
            x = np.cumsum(x, axis=1) * 0.2 + np.prod(x, axis=0) / (2.0 + k)
        else:
            x = (x - np.mean(x, axis=0)) / np.std(x, axis=0, ddof=1)
        total = total + np.var(x) * np.sum(x[0])
    return total + np.sum(x * x)


def branch_spreads(x, steps):
    spreads = []
    for k in range(steps):
        spread = np.max(x, axis=1, keepdims=True) - np.min(x, axis=1, keepdims=True)
        spreads.append(float(np.mean(spread)))
        if spreads[-1] > 1.0:
            x = np.cumsum(x, axis=1) * 0.2 + np.prod(x, axis=0) / (2.0 + k)
        else:
            x = (x - np.mean(x, axis=0)) / np.std(x, axis=0, ddof=1)
    return np.array(spreads)


def test_forward_mode_through_a_loop_with_a_branch():
    x = distinct(np.random.default_rng(0), (4, 3)) * 0.1
    spreads = branch_spreads(x, 5)
    assert np.any(spreads > 1.0) and np.any(spreads < 1.0), "inputs must take both branches"
    assert np.all(np.abs(spreads - 1.0) > 0.1), "inputs must stay away from the jump"
    rng = np.random.default_rng(29)
    check_against_differences(normalise_until_small, [x, 5], (0,), rng, rtol=1e-5,
                              atol=1e-6)
    check_dot_product(normalise_until_small, [x, 5], (0,), rng)


def test_reduction_over_an_axis_of_a_tangent_zero_on_one_branch():
    """The zero tangent of the branch without one has the value's shape, so reducing it
    over an axis works."""
    def f(x, flag):
        if flag:
            y = x * 2.0
        else:
            y = np.ones((4, 3))
        return np.sum(y, axis=1)
    _, tangent = rg.jvp(f)(M43, False, tangent=np.ones((4, 3)))
    assert_close(tangent, np.zeros(4))


# =============================================================================================
# completeness
# =============================================================================================

def test_every_reduction_with_an_adjoint_has_a_tangent():
    rules.load_families()
    missing = sorted(rule.name for key, rule in rules.ADJOINTS.items()
                     if rule.family == FAMILY and key not in rules.TANGENTS)
    missing += sorted(name for name, rule in rules.METHODS.items()
                      if rule.family == FAMILY and name not in rules.TANGENT_METHODS)
    assert not missing, f"reductions without a tangent rule: {missing}"


def test_every_reduction_method_is_tested():
    rules.load_families()
    methods = {name for name, rule in rules.TANGENT_METHODS.items() if rule.family == FAMILY}
    assert methods <= set(METHODS), f"methods without a test: {sorted(methods - set(METHODS))}"


def test_every_runtime_helper_rule_is_tested():
    rules.load_families()
    helpers = {name for name in runtime.reductions.__all__
               if id(getattr(runtime, name)) in rules.TANGENTS
               and rules.TANGENTS[id(getattr(runtime, name))].family == FAMILY}
    tested = {param.id.split("-")[0] for param in HELPER_FORMS}
    assert helpers <= tested, f"helper rules without a test: {sorted(helpers - tested)}"
