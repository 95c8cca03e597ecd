"""Tangent (forward-mode) rules of operators, elementwise functions and containers
(compiler/rules/elementwise.py, compiler/rules/containers.py).

Every primitive of the adjoint spec table in test_rules_elementwise.py is checked here in
forward mode, on the same input domains and the same shapes (Python floats, 0-d to 3-d
arrays, broadcasting pairs and triples), drawn by hypothesis:

- against central differences: ``rg.jvp(f)(*args, tangent=t)`` is ``(f(x + h t) -
  f(x - h t)) / 2h`` for a random direction ``t``;
- against the adjoint rule (the dot-product test): ``<jvp(f)(x, v), w> == <v, pullback(w)>``
  for random ``v`` and ``w``, which ties each tangent rule to its adjoint rule exactly.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import retrograd as rg
import retrograd.runtime as runtime
from retrograd import rules
from gradcheck import assert_close
from test_rules_elementwise import GRID_LOW, POSITIVE, SCALAR, SPECS, draw_arguments, \
    shapes_for

FAMILIES = ("elementwise", "containers")
STEP = 1e-6


# =============================================================================================
# the functions under test: each primitive's output itself (a vector, not a loss)
# =============================================================================================

def add_operator(x, y):
    return x + y


def subtract_operator(x, y):
    return x - y


def multiply_operator(x, y):
    return x * y


def divide_operator(x, y):
    return x / y


def power_operator(x, y):
    return x ** y


def negative_operator(x):
    return -x


def positive_operator(x):
    return +x


def modulo_operator(x, y):
    return x % y


OPERATORS = {"x + y": add_operator, "x - y": subtract_operator, "x * y": multiply_operator,
             "x / y": divide_operator, "x ** y": power_operator, "-x": negative_operator,
             "+x": positive_operator, "x % y": modulo_operator}

_FUNCTIONS = {}


def function_of(case):
    """``f(*args) = primitive(*args)``, built once per spec so derivatives are compiled once."""
    if case.name in OPERATORS:
        return OPERATORS[case.name]
    if case.name not in _FUNCTIONS:
        primitive = case.primitive
        if case.arity == 1:
            def f(x):
                return primitive(x)
        elif case.arity == 2:
            def f(x, y):
                return primitive(x, y)
        else:
            def f(x, y, z):
                return primitive(x, y, z)
        _FUNCTIONS[case.name] = f
    return _FUNCTIONS[case.name]


_SUMS = {}


def sum_of(case):
    """``np.sum(primitive(*args))``: its tangent is wrong unless the primitive's tangent has
    the output's shape (a tangent left unbroadcast would be summed too few times)."""
    if case.name not in _SUMS:
        inner = function_of(case)
        if case.arity == 1:
            def f(x):
                return np.sum(inner(x))
        elif case.arity == 2:
            def f(x, y):
                return np.sum(inner(x, y))
        else:
            def f(x, y, z):
                return np.sum(inner(x, y, z))
        _SUMS[case.name] = f
    return _SUMS[case.name]


# =============================================================================================
# checks
# =============================================================================================

def direction_like(value, rng):
    """A random tangent (or cotangent) with the structure of ``value``."""
    if isinstance(value, float):
        return float(rng.standard_normal())
    if isinstance(value, (list, tuple)):
        return type(value)(direction_like(v, rng) for v in value)
    return rng.standard_normal(np.shape(value))


def moved(value, direction, step):
    if isinstance(value, (list, tuple)):
        return type(value)(moved(v, d, step) for v, d in zip(value, direction))
    result = value + step * direction
    return float(result) if isinstance(value, float) else result


def central_difference(f, args, positions, directions, step=STEP):
    """``(f(x + h t) - f(x - h t)) / 2h``, moving the arguments at ``positions`` together."""
    def at(sign):
        new = list(args)
        for position, direction in zip(positions, directions):
            new[position] = moved(args[position], direction, sign * step)
        return f(*new)
    return tree_map(lambda plus, minus: (np.asarray(plus, dtype=float)
                                         - np.asarray(minus, dtype=float)) / (2 * step),
                    at(1.0), at(-1.0))


def tree_map(function, *trees):
    if isinstance(trees[0], (list, tuple)):
        return type(trees[0])(tree_map(function, *parts) for parts in zip(*trees))
    return function(*trees)


def inner(a, b):
    """<a, b> summed over (nested) leaves."""
    if isinstance(a, (list, tuple)):
        return sum(inner(u, v) for u, v in zip(a, b))
    return float(np.sum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float)))


def jvp(f, args, positions, directions):
    """(value, tangent) of ``f`` at ``args`` along ``directions`` of the ``positions``."""
    wrt = positions[0] if len(positions) == 1 else tuple(positions)
    tangent = directions[0] if len(positions) == 1 else tuple(directions)
    return rg.jvp(f, wrt=wrt)(*args, tangent=tangent)


def check_against_differences(f, args, positions, rng, rtol=1e-5, atol=1e-7):
    directions = [direction_like(args[p], rng) for p in positions]
    value, tangent = jvp(f, args, positions, directions)
    assert_close(value, f(*args), rtol=1e-12, atol=1e-12, path="value")
    assert_close(tangent, central_difference(f, args, positions, directions), rtol, atol,
                 path="tangent")
    return tangent


def check_dot_product(f, args, positions, rng):
    """<J v, w> == <v, J^T w>: forward mode against reverse mode, to rounding."""
    directions = [direction_like(args[p], rng) for p in positions]
    value, tangent = jvp(f, args, positions, directions)
    wrt = positions[0] if len(positions) == 1 else tuple(positions)
    _, pullback = rg.vjp(f, wrt=wrt)(*args)
    cotangent = direction_like(value, rng)
    gradients = pullback(cotangent)
    gradients = [gradients] if len(positions) == 1 else list(gradients)
    forward = inner(tangent, cotangent)
    reverse = sum(inner(v, g) for v, g in zip(directions, gradients))
    scale = sum(float(np.sum(np.abs(np.asarray(v, dtype=float)))) for v in directions) \
        * float(np.max(np.abs(cotangent))) + 1.0
    assert abs(forward - reverse) <= 1e-10 * scale, (forward, reverse)


# =============================================================================================
# every rule against central differences and against its adjoint rule
# =============================================================================================

def _draw_case(data, case):
    shapes = data.draw(st.sampled_from(shapes_for(case)), label="shapes")
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    rng = np.random.default_rng(seed)
    return draw_arguments(case, shapes, rng), rng


# `x % y` with a Python float on the left is the float's own `%` (see the adjoint tests).
VECTOR_SPECS = [c for c in SPECS if c.name != "x % y"]


@pytest.mark.parametrize("case", VECTOR_SPECS, ids=lambda c: c.name)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_tangent_matches_central_differences(case, data):
    args, rng = _draw_case(data, case)
    check_against_differences(function_of(case), args, case.positions, rng)


@pytest.mark.parametrize("case", VECTOR_SPECS, ids=lambda c: c.name)
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_tangent_agrees_with_the_adjoint_rule(case, data):
    args, rng = _draw_case(data, case)
    check_dot_product(function_of(case), args, case.positions, rng)


@pytest.mark.parametrize("case", [c for c in VECTOR_SPECS if not c.scalar_only],
                         ids=lambda c: c.name)
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_tangent_has_the_shape_of_the_output(case, data):
    args, rng = _draw_case(data, case)
    check_against_differences(sum_of(case), args, case.positions, rng)


def test_modulo_operator():
    case = next(c for c in SPECS if c.name == "x % y")
    rng = np.random.default_rng(3)
    args = draw_arguments(case, ((5,), SCALAR), rng)
    check_against_differences(modulo_operator, args, (0, 1), rng)
    check_dot_product(modulo_operator, args, (0, 1), rng)


@pytest.mark.parametrize("shapes", [((4, 1), (4, 3)), ((3,), (2, 4, 3)), (SCALAR, (5,))],
                         ids=str)
@pytest.mark.parametrize("f", [add_operator, subtract_operator, modulo_operator, np.fmod],
                         ids=lambda f: getattr(f, "__name__", str(f)))
def test_a_lone_tangent_of_a_broadcast_operand_is_spread_over_the_output(f, shapes):
    """Only ``x`` varies and ``y`` has the larger shape: ``dz`` is not ``dx`` itself."""
    rng = np.random.default_rng(5)
    x = GRID_LOW(rng, shapes[0])
    y = POSITIVE(rng, shapes[1]) + 1.0
    tangent = check_against_differences(summed_over(f), [x, y], (0,), rng)
    assert np.shape(tangent) == ()


_LONE = {}


def summed_over(f):
    """np.sum(f(x, y)) as a def (retrograd differentiates functions with source)."""
    if f not in _LONE:
        def summed(x, y):
            return np.sum(f(x, y))
        _LONE[f] = summed
    return _LONE[f]


# =============================================================================================
# branches of templates decided at compile time: constant operands and missing arguments
# =============================================================================================

rng_ = np.random.default_rng(11)
M43 = GRID_LOW(rng_, (4, 3))
P43 = POSITIVE(rng_, (4, 3))
CONDITION = rng_.random((4, 3)) < 0.5


def square_by_power(x):
    return x ** 2


def cube_by_power(x):
    return x ** 3


def exponential_by_power(x):
    return 2.0 ** x


def power_of_zero(y):
    return np.zeros((4, 3)) ** y


def clip_method(a):
    return a.clip(-0.5, 0.5)


def clip_below_only(a):
    return np.clip(a, -0.5, None)


def clip_above_only(a):
    return np.clip(a, None, 0.5)


def clip_by_row(a, high):
    return np.clip(a, -0.5, high)


def logarithm_with_constant_base(x):
    return math.log(x, 2.0)


def where_with_a_constant_branch(x):
    return np.where(CONDITION, x, 0.0)


def where_with_a_constant_first_branch(y):
    return np.where(CONDITION, 1.5, y)


def where_with_an_inactive_array(x):
    return np.where(CONDITION, P43, x[0])


def where_with_scalar_branches(x, y):
    return np.where(CONDITION, x, y)


def add_a_constant(x):
    return x + 1.0


def subtract_from_a_row(x, row):
    return row - x


CONSTANT_FORMS = [
    (square_by_power, (M43,), (0,)), (cube_by_power, (M43,), (0,)),
    (exponential_by_power, (M43,), (0,)), (power_of_zero, (P43,), (0,)),
    (clip_method, (M43,), (0,)), (clip_below_only, (M43,), (0,)),
    (clip_above_only, (M43,), (0,)),
    (clip_by_row, (M43, np.array([[0.4], [0.6], [0.5], [0.45]])), (0, 1)),
    (logarithm_with_constant_base, (1.7,), (0,)),
    (where_with_a_constant_branch, (M43,), (0,)),
    (where_with_a_constant_first_branch, (M43,), (0,)),
    (where_with_an_inactive_array, (M43,), (0,)),
    (where_with_scalar_branches, (0.4, -0.3), (0, 1)),
    (add_a_constant, (M43,), (0,)),
    (subtract_from_a_row, (0.3, np.array([0.1, 0.2, 0.3])), (0,)),
]


@pytest.mark.parametrize("f, args, positions", CONSTANT_FORMS,
                         ids=[f.__name__ for f, _, _ in CONSTANT_FORMS])
def test_branch_decided_at_compile_time(f, args, positions):
    rng = np.random.default_rng(13)
    check_against_differences(f, list(args), positions, rng)
    check_dot_product(f, list(args), positions, rng)


TIE = np.array([[0.5, -0.3, 1.2], [0.7, 0.7, -1.0]])


def tied_maximum(x, y):
    return np.maximum(x, y)


def tied_minimum(x, y):
    return np.minimum(x, y)


def tied_fmax(x, y):
    return np.fmax(x, y)


def tied_fmin(x, y):
    return np.fmin(x, y)


def tied_builtin_max(x, y):
    return max(x, y)


def tied_builtin_min(x, y):
    return min(x, y)


def tied_clip(a, low, high):
    return np.clip(a, low, high)


TIES = [
    (tied_maximum, (TIE, TIE.copy())), (tied_minimum, (TIE, TIE.copy())),
    (tied_fmax, (TIE, TIE.copy())), (tied_fmin, (TIE, TIE.copy())),
    (tied_maximum, (TIE, 0.7)), (tied_minimum, (0.7, TIE)),
    (tied_builtin_max, (0.4, 0.4)), (tied_builtin_min, (0.4, 0.4)),
    (tied_clip, (TIE, -0.3, 0.7)),
]


@pytest.mark.parametrize("f, args", TIES, ids=[f"{f.__name__}-{np.ndim(a[1])}" for f, a in TIES])
def test_ties_take_the_adjoint_rule_s_subgradient(f, args):
    """Where operands tie the function has no derivative; the tangent must pick the same
    side as the adjoint, which the dot-product test sees exactly."""
    positions = tuple(range(len(args)))
    check_dot_product(f, list(args), positions, np.random.default_rng(41))


def test_clip_keeps_only_the_unclipped_tangents():
    _, tangent = rg.jvp(clip_method)(M43, tangent=np.ones((4, 3)))
    inside = (M43 > -0.5) & (M43 < 0.5)
    assert inside.any() and (~inside).any(), "choose inputs on both sides"
    assert np.array_equal(tangent, inside.astype(float))


def test_power_of_a_negative_base_has_no_tangent_in_the_exponent():
    def f(x, y):
        return x ** y
    with np.errstate(invalid="ignore"):
        _, tangent = rg.jvp(f, wrt=1)(np.array([-2.0, 2.0]), np.array([2.0, 2.0]),
                                      tangent=np.ones(2))
    assert np.isnan(tangent[0]) and np.isfinite(tangent[1])


def forward_lines(f, *args, wrt=0):
    """The generated tangent code's statements, without the header and comments."""
    text = rg.source(rg.jvp(f, wrt=wrt), *args)
    body = text.split("\ndef ", 1)[1]
    return [line.strip() for line in body.splitlines()[1:]
            if line.strip() and not line.strip().startswith("#")]


def test_constant_operand_emits_no_broadcast():
    text = " ".join(forward_lines(add_a_constant, M43))
    assert "broadcast_like" not in text and "zeros" not in text, text


@pytest.mark.parametrize("f", [where_with_a_constant_branch, where_with_a_constant_first_branch],
                         ids=lambda f: f.__name__)
def test_constant_branch_of_where_emits_a_zero(f):
    text = " ".join(forward_lines(f, M43))
    assert "zeros_like" not in text and "0.0" in text, text


def test_square_by_power_emits_two_x():
    text = " ".join(forward_lines(square_by_power, M43))
    assert "2.0 * x * dx" in text and "2 - 1" not in text, text


def test_scalar_rule_emits_no_runtime_helper():
    def f(x):
        return math.sin(x) * 3.0
    text = " ".join(forward_lines(f, 0.4))
    assert "rt." not in text and "np.cos(x)" in text, text


# =============================================================================================
# lists: building arrays from active scalars, concatenation, the helper np.array's adjoint calls
# =============================================================================================

def array_of_scalars(x, y):
    return np.array([[x, y * x], [1.0, y]])


def asarray_of_list(values):
    return np.asarray(values) ** 2


def concatenated(x, y):
    parts = [x, np.sin(y)] + [y * x]
    return np.asarray(parts) * 2.0


def concatenated_with_a_constant_list(x):
    parts = [1.0, 2.0] + [np.sin(x), x]
    return np.array(parts)


def tuple_concatenation(x, y):
    parts = (x,) + (y, x * y)
    return np.array(parts)


def float_of_a_zero_dimensional_array(x):
    return float(np.sin(x)) * 2.0


def float64_of_a_float(x):
    return np.float64(x * x)


LIST_FORMS = [
    (array_of_scalars, (0.7, -1.1), (0, 1)),
    (asarray_of_list, ([0.5, -1.5, 2.0],), (0,)),
    (concatenated, (0.7, -1.1), (0, 1)),
    (concatenated_with_a_constant_list, (0.3,), (0,)),
    (tuple_concatenation, (0.7, -1.1), (0, 1)),
    (float_of_a_zero_dimensional_array, (np.array(0.4),), (0,)),
    (float64_of_a_float, (0.4,), (0,)),
]


@pytest.mark.parametrize("f, args, positions", LIST_FORMS,
                         ids=[f.__name__ for f, _, _ in LIST_FORMS])
def test_values_built_from_lists(f, args, positions):
    rng = np.random.default_rng(17)
    check_against_differences(f, list(args), positions, rng)
    check_dot_product(f, list(args), positions, rng)


def test_concatenation_tangent_is_a_list_the_length_of_the_result():
    def f(x):
        return [x] + [2.0, x * x]
    _, tangent = rg.jvp(f)(0.5, tangent=1.0)
    assert tangent == [1.0, 0.0, 1.0]


# =============================================================================================
# runtime helpers in generated code: forward mode through derivatives
# =============================================================================================

def unstack_like_of(g, x):
    return runtime.unstack_like(g, x)


def broadcast_like_of(t, z):
    return runtime.broadcast_like(t, z)


def test_unstack_like_helper_is_linear_in_its_cotangent():
    rng = np.random.default_rng(19)
    g = rng.standard_normal((2, 3))
    x = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    check_against_differences(unstack_like_of, [g, x], (0,), rng)


@pytest.mark.parametrize("shapes", [((3,), (4, 3)), ((4, 1), (4, 3)), ((), (2, 3)),
                                    ((4, 3), (4, 3))], ids=str)
def test_broadcast_like_helper_is_linear_in_its_tangent(shapes):
    rng = np.random.default_rng(23)
    t, z = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    check_against_differences(broadcast_like_of, [t, z], (0,), rng)


def test_broadcast_like_gives_a_writable_array_of_the_output_shape():
    spread = runtime.broadcast_like(np.ones(3), np.zeros((2, 3)))
    spread[0, 0] = 5.0
    assert spread.shape == (2, 3) and spread.sum() == 10.0


def elementwise_chain(x, y):
    return np.sum(np.tanh(x * y) + np.log1p(np.exp(x)) / (1.0 + y * y)
                  + np.maximum(x, 0.25) * np.sqrt(np.abs(y)) + np.arctan2(y, 1.0 + x))


def test_hessian_vector_product_through_the_adjoint_code():
    """Forward mode over generated adjoint code: jvp(grad(f)) against differences of
    grad(f)."""
    rng = np.random.default_rng(29)
    x, y = rng.uniform(0.3, 1.2, 4), rng.uniform(0.3, 1.2, 4)
    direction = rng.standard_normal(4)
    gradient = rg.grad(elementwise_chain)
    _, tangent = rg.jvp(gradient)(x, y, tangent=direction)
    expected = (gradient(x + STEP * direction, y) - gradient(x - STEP * direction, y)) \
        / (2 * STEP)
    assert_close(tangent, expected, rtol=1e-5, atol=1e-7)


# =============================================================================================
# control flow with these rules
# =============================================================================================

def damped_iteration(x, y, n):
    state = x * 0.5
    total = 0.0
    for k in range(n):
        if np.sum(state) > 0.0:
            state = np.tanh(state * y) - np.maximum(state, 0.1) / (1.0 + k)
        else:
            state = np.sin(state) + np.log1p(y * y) * state ** 2
        total = total + np.exp(-state) * np.hypot(state, y)
    return np.where(total > 1.0, np.sqrt(total), total * total)


def branch_sums(x, y, n):
    """The value of ``np.sum(state)`` at each test of damped_iteration's branch."""
    state, sums = x * 0.5, []
    for k in range(n):
        sums.append(float(np.sum(state)))
        state = np.tanh(state * y) - np.maximum(state, 0.1) / (1.0 + k) if sums[-1] > 0.0 \
            else np.sin(state) + np.log1p(y * y) * state ** 2
    return np.array(sums)


def test_forward_mode_through_a_loop_with_a_branch():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, 5)
    y = rng.uniform(0.5, 1.0, 5)
    sums = branch_sums(x, y, 6)
    assert np.any(sums > 0.0) and np.any(sums < 0.0), "inputs must take both branches"
    assert np.all(np.abs(sums) > 0.05), "inputs must stay away from the branch's jump"
    check_against_differences(damped_iteration, [x, y, 6], (0, 1), rng)
    check_dot_product(damped_iteration, [x, y, 6], (0, 1), rng)


def scalar_recurrence(x, n):
    value = x
    for _ in range(n):
        if value > 1.0:
            value = math.sqrt(value) + math.atan(value)
        else:
            value = value * value + math.exp(-value)
    return value


@pytest.mark.parametrize("x", [0.3, 2.5])
def test_forward_mode_through_a_scalar_loop_with_a_branch(x):
    check_against_differences(scalar_recurrence, [x, 7], (0,), np.random.default_rng(37))


def affine_or_square(x):
    if x < 1.0:
        y = x * x
    else:
        y = 2.0 * x - 1.0       # its tangent is the tangent of 2.0 * x, passed through
    return np.sin(y)


@pytest.mark.parametrize("x", [0.4, 1.7])
def test_forward_mode_through_a_branch_whose_tangent_passes_through(x):
    check_against_differences(affine_or_square, [x], (0,), np.random.default_rng(53))


# =============================================================================================
# completeness
# =============================================================================================

def _rules_of(table, families=FAMILIES):
    return {key: rule for key, rule in table.items() if rule.family in families}


def test_every_primitive_with_an_adjoint_has_a_tangent():
    rules.load_families()
    missing = sorted(rule.name for key, rule in _rules_of(rules.ADJOINTS).items()
                     if key not in rules.TANGENTS)
    assert not missing, f"adjoint rules without a tangent rule: {missing}"


def test_every_method_and_attribute_with_an_adjoint_has_a_tangent():
    rules.load_families()
    missing = sorted(set(_rules_of(rules.METHODS)) - set(rules.TANGENT_METHODS)) + \
        sorted(set(_rules_of(rules.ATTRIBUTES)) - set(rules.TANGENT_ATTRIBUTES))
    assert not missing, f"methods/attributes without a tangent rule: {missing}"


def test_every_runtime_helper_the_adjoints_call_has_a_tangent():
    import re
    rules.load_families()
    called = {name for rule in _rules_of(rules.ADJOINTS).values()
              for name in re.findall(r"\brt\.(\w+)\(", rule.source)}
    assert called, "the adjoint templates call runtime helpers"
    missing = sorted(name for name in called if id(getattr(runtime, name)) not in rules.TANGENTS)
    assert not missing, f"runtime helpers without a tangent rule: {missing}"


def test_every_spec_has_a_function_under_test():
    assert {c.name for c in SPECS if c.loss is not None} == set(OPERATORS)
