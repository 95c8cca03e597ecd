"""Reverse mode through calls into user functions: same module, another module, keyword
arguments, defaults, tuple results, helpers in loops, closures and recursion."""
import numpy as np
import pytest

import helper_models
import helper_models as hm
import retrograd as rg
from gradcheck import assert_close, check_gradient, numeric
from helper_models import mse, poly, polar, scaled

V5 = np.array([0.3, -1.2, 0.8, 1.5, -0.4])
W5 = np.array([1.1, 0.2, -0.7, 0.5, 0.9])
M33 = np.array([[0.2, -0.5, 0.9],
                [1.1, 0.3, -0.8],
                [-0.4, 0.7, 0.6]])
X3 = np.array([0.5, -0.4, 0.2])


# =============================================================================================
# same module
# =============================================================================================

def square(a):
    return a * a


def sin_times(a, b):
    return np.sin(a) * b


def calls_same_module(x, y):
    return square(x) + sin_times(x * y, y)


def test_helper_in_same_module():
    check_gradient(calls_same_module, 0.7, -0.4, wrt=(0, 1))


def calls_helper_twice_mixed_activity(x, y):
    # once with an active argument, once with a constant
    return square(x) * square(3.0) + sin_times(2.0, x) + sin_times(x, 2.0) + y


def test_helper_called_with_active_and_inactive_arguments():
    check_gradient(calls_helper_twice_mixed_activity, 0.7, -0.4, wrt=(0, 1))


def chain_a(x):
    return chain_b(x) * x


def chain_b(x):
    return np.exp(chain_c(x))


def chain_c(x):
    return square(x) - x


def test_helper_chain_three_deep():
    check_gradient(chain_a, 0.7)


def helper_with_loop(v, x):
    s = 0.0
    for a in v:
        if a > 0:
            s = s + a * x
        else:
            s = s * x
    return s


def calls_helper_with_loop(v, x):
    return helper_with_loop(v, x) ** 2 + helper_with_loop(v * 2.0, x * x)


def test_helper_containing_loop_and_branch():
    check_gradient(calls_helper_with_loop, V5.copy(), 0.8, wrt=(0, 1))


def helper_early_return(x):
    if x > 1.0:
        return x * x
    return np.sin(x)


def calls_helper_early_return(x):
    return helper_early_return(x) + helper_early_return(x + 1.0)


def test_helper_with_early_return():
    check_gradient(calls_helper_early_return, 0.5)


def helper_inplace(v, x):
    y = np.zeros(len(v))
    for i in range(len(v)):
        y[i] = v[i] * x
    y[0] += x
    return y


def calls_helper_inplace(v, x):
    y = helper_inplace(v, x)
    return np.sum(y * y)


def test_helper_with_in_place_updates_returning_array():
    check_gradient(calls_helper_inplace, V5.copy(), 0.8, wrt=(0, 1))


def helper_unused_result(x):
    square(x)
    return x * 3.0


def test_helper_result_discarded():
    check_gradient(helper_unused_result, 0.7)


def nested_call_expression(x, y):
    return square(sin_times(square(x), y)) + square(square(y))


def test_nested_call_expressions():
    check_gradient(nested_call_expression, 0.7, -0.4, wrt=(0, 1))


# =============================================================================================
# another module
# =============================================================================================

def calls_other_module_attribute(x, w, b, target):
    pred = hm.dense(x, w, b)
    return hm.mse(pred, target)


def test_helper_from_other_module_by_attribute():
    target = np.array([0.1, 0.2, -0.3])
    check_gradient(calls_other_module_attribute, X3.copy(), M33.copy(),
                   np.array([0.1, 0.0, -0.1]), target, wrt=(0, 1, 2))


def calls_full_module_name(x, w):
    return np.sum(helper_models.dense(x, w, 0.0))


def test_helper_from_other_module_full_name():
    check_gradient(calls_full_module_name, X3.copy(), M33.copy(), wrt=(0, 1))


def calls_imported_names(x, coeffs):
    return poly(x, coeffs) + mse(x * np.ones(3), np.array([0.1, 0.2, 0.3]))


def test_helpers_imported_by_name():
    check_gradient(calls_imported_names, 0.7, [0.5, -1.0, 2.0], wrt=(0, 1))


def calls_helper_that_calls_helper(x, w):
    return np.sum(hm.layer_chain(x, w))


def test_other_module_helper_calling_its_own_helpers_and_from_imports():
    check_gradient(calls_helper_that_calls_helper, X3.copy(), M33.copy(), wrt=(0, 1))


def calls_helper_reading_module_constant(x):
    return scaled(x)


def test_other_module_helper_reading_module_global():
    check_gradient(calls_helper_reading_module_constant, 0.7)


# =============================================================================================
# keyword arguments and defaults
# =============================================================================================

def with_defaults(a, b=2.0, c=0.5):
    return a * b + np.sin(c * a)


def calls_keywords(x, y):
    return (with_defaults(x) + with_defaults(x, c=y) + with_defaults(b=y, a=x)
            + with_defaults(x, y, c=x))


def test_keyword_arguments_and_defaults_of_helper():
    check_gradient(calls_keywords, 0.7, -0.4, wrt=(0, 1))


def calls_other_module_keywords(x, y):
    return scaled(x, shift=y) + scaled(x, scale=y) + scaled(shift=x * y, x=y)


def test_keyword_arguments_into_other_module():
    check_gradient(calls_other_module_keywords, 0.7, -0.4, wrt=(0, 1))


def top_level_defaults(x, scale=3.0, n=2):
    s = x
    for _ in range(n):
        s = np.sin(s) * scale
    return s


def test_top_level_default_values_used():
    check_gradient(top_level_defaults, 0.7)


def test_top_level_keyword_call():
    g = rg.grad(top_level_defaults)(0.7, n=3, scale=1.5)
    expected = numeric(lambda x: top_level_defaults(x, n=3, scale=1.5), (0.7,), 0)
    assert_close(g, expected)


def test_top_level_wrt_keyword_parameter():
    g = rg.grad(top_level_defaults, wrt="scale")(0.7, scale=1.5)
    expected = numeric(lambda s: top_level_defaults(0.7, scale=s), (1.5,), 0)
    assert_close(g, expected)


def keyword_only(x, *, k=2.0):
    return x ** 3 * k


def calls_keyword_only(x, y):
    return keyword_only(x, k=y) + keyword_only(y)


def test_keyword_only_parameters():
    check_gradient(calls_keyword_only, 0.7, -0.4, wrt=(0, 1))


# =============================================================================================
# helpers returning tuples and containers
# =============================================================================================

def min_max(a, b):
    return a * b, a + b


def calls_tuple_helper(x, y):
    p, s = min_max(x, y)
    q = min_max(s, p)
    return p * s + q[0] - q[1] * x


def test_helper_returning_tuple():
    check_gradient(calls_tuple_helper, 0.7, -0.4, wrt=(0, 1))


def calls_polar(r, theta):
    u, v = polar(r, theta)
    return u * u + 3.0 * v


def test_helper_from_other_module_returning_tuple():
    check_gradient(calls_polar, 1.3, 0.4, wrt=(0, 1))


def make_params(x):
    return {"w": x * 2.0, "b": np.sin(x)}


def calls_dict_helper(x):
    p = make_params(x)
    return p["w"] * p["b"] + p["b"]


def test_helper_returning_dict():
    check_gradient(calls_dict_helper, 0.7)


def make_list(x, n):
    out = []
    for i in range(n):
        out.append(x ** (i + 1))
    return out


def calls_list_helper(x):
    items = make_list(x, 4)
    return items[0] * items[3] + items[2]


def test_helper_returning_list():
    check_gradient(calls_list_helper, 0.7)


def sum_params(params):
    w, b = params
    return np.sum(w) * b


def calls_with_tuple_argument(w, b):
    return sum_params((w, b * b)) + sum_params([w * w, b])


def test_helper_taking_tuple_and_list_arguments():
    check_gradient(calls_with_tuple_argument, W5.copy(), 0.6, wrt=(0, 1))


def loss_params(params, x):
    h = hm.dense(x, params["w"], params["b"])
    return hm.mse(h, np.zeros(3))


def test_dict_parameter_passed_through_to_helpers():
    params = {"w": M33.copy(), "b": np.array([0.1, 0.0, -0.1])}
    g = check_gradient(loss_params, params, X3.copy())
    assert isinstance(g, dict)


# =============================================================================================
# helpers inside loops
# =============================================================================================

def calls_step_in_loop(x, rate, n):
    s = x
    for _ in range(n):
        s = hm.step(s, rate)
    return s


def test_helper_called_in_loop():
    check_gradient(calls_step_in_loop, 2.0, 0.3, 6, wrt=(0, 1))


def calls_helper_in_while(x):
    s = x
    k = 0
    while square(s) < 20.0:
        s = sin_times(s, 1.0) + square(s) + x
        k += 1
    return s * k


def test_helper_called_in_while_condition_and_body():
    check_gradient(calls_helper_in_while, 0.6)


def calls_helper_in_branch_in_loop(v, w):
    total = 0.0
    for a, b in zip(v, w):
        if a > 0:
            total = total + square(a * b)
        else:
            total = total + sin_times(a, b)
    return total


def test_helper_called_in_branch_in_loop():
    check_gradient(calls_helper_in_branch_in_loop, V5.copy(), W5.copy(), wrt=(0, 1))


def rnn(xs, w, u):
    h = np.zeros(3)
    for x in xs:
        h = hm.dense(x, w, h @ u)
    return np.sum(h ** 2)


def test_recurrent_network_helper_in_loop():
    xs = np.array([[0.5, -0.4, 0.2], [0.1, 0.3, -0.2], [-0.6, 0.2, 0.9]])
    check_gradient(rnn, xs, M33.copy(), M33.T.copy() * 0.5, wrt=(0, 1, 2))


# =============================================================================================
# closures
# =============================================================================================

def test_closure_reads_enclosing_scalar():
    scale = 3.0

    def f(x):
        return scale * x ** 2 + np.sin(scale * x)
    check_gradient(f, 0.7)


def test_closure_reads_enclosing_array():
    weights = np.array([0.5, -1.0, 2.0, 0.3, 0.1])

    def f(v):
        s = 0.0
        for a, w in zip(v, weights):
            s = s + w * a * a
        return s
    check_gradient(f, V5.copy())


def test_closure_calls_enclosing_function():
    offset = 0.5

    def inner(a):
        return np.tanh(a + offset)

    def f(x, y):
        return inner(x) * inner(y * x)
    check_gradient(f, 0.7, -0.4, wrt=(0, 1))


def test_closure_helper_in_loop():
    decay = 0.9

    def update(s, x):
        return decay * s + x * np.cos(s)

    def f(x):
        s = 0.0
        for _ in range(5):
            s = update(s, x)
        return s
    check_gradient(f, 0.7)


def test_closure_from_factory():
    def make_loss(target):
        def loss(w):
            return np.sum((w - target) ** 2 * w)
        return loss
    loss_a = make_loss(np.array([1.0, 2.0]))
    loss_b = make_loss(np.array([-1.0, 0.5]))
    w = np.array([0.3, -0.4])
    ga = check_gradient(loss_a, w)
    gb = check_gradient(loss_b, w)
    assert not np.allclose(ga, gb), "closures over different cells share one cached derivative"


def test_closure_sees_updated_cell_value():
    scale = 2.0

    def f(x):
        return scale * x * x
    g1 = rg.grad(f)(1.0)
    scale = 5.0
    g2 = rg.grad(f)(1.0)
    assert_close(g1, 4.0)
    assert_close(g2, 10.0)


def test_lambda_helper_supported_or_refused_cleanly():
    cube = lambda a: a * a * a  # noqa: E731

    def f(x):
        return cube(x) + x
    try:
        check_gradient(f, 0.7)
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


# =============================================================================================
# recursion
# =============================================================================================

def rpow(x, n):
    if n == 0:
        return 1.0
    return x * rpow(x, n - 1)


def test_recursive_power():
    got = check_gradient(rpow, 0.7, 5)
    assert_close(got, 5 * 0.7 ** 4)


def rsum_squares(items):
    if len(items) == 0:
        return 0.0
    return items[0] ** 2 + rsum_squares(items[1:])


def test_recursive_sum_over_list():
    g = check_gradient(rsum_squares, [0.5, -1.0, 2.0])
    assert isinstance(g, list)


def test_recursive_sum_over_array():
    check_gradient(rsum_squares, V5.copy())


def rfact_poly(x, n):
    # recursion through a loop body
    if n <= 1:
        return x
    s = 0.0
    for k in range(2):
        s = s + rfact_poly(x * 0.5, n - 1)
    return s * np.sin(x)


def test_recursion_inside_loop():
    check_gradient(rfact_poly, 0.9, 3)


def is_even_sum(x, n):
    if n == 0:
        return x
    return is_odd_sum(x * 1.1, n - 1) + x


def is_odd_sum(x, n):
    if n == 0:
        return x * x
    return is_even_sum(np.sin(x), n - 1)


def test_mutual_recursion():
    check_gradient(is_even_sum, 0.7, 4)


def caller_of_recursion(x):
    return rpow(x, 3) + rpow(x * 2.0, 2)


def test_recursive_helper_called_from_another_function():
    check_gradient(caller_of_recursion, 0.7)


# =============================================================================================
# a derived function used by the caller (decorator forms)
# =============================================================================================

def test_decorator_form_on_loop_function():
    @rg.grad
    def g(x):
        s = x
        for i in range(3):
            s = s * x + i
        return s
    expected = numeric(lambda x: ((x * x) * x + 1) * x + 2, (0.7,), 0)
    assert_close(g(0.7), expected)


def test_decorator_form_with_wrt():
    @rg.grad(wrt="y")
    def g(x, y):
        total = 0.0
        for a in (x, y, x * y):
            total = total + a * a
        return total
    assert_close(g(0.7, -0.4), 2 * -0.4 + 2 * (0.7 * -0.4) * 0.7)


# =============================================================================================
# harder cases
# =============================================================================================

SCALE = 2.0
TABLE = np.array([0.5, -1.0, 2.0, 0.3, 0.1])


def reads_module_globals(v):
    s = 0.0
    for a, t in zip(v, TABLE):
        s = s + SCALE * a * t * a
    return s


def test_reads_module_global_constants_in_loop():
    check_gradient(reads_module_globals, V5.copy())


def test_module_global_rebound_after_first_call():
    global SCALE
    old = SCALE
    try:
        g1 = rg.grad(reads_module_globals)(V5.copy())
        SCALE = 5.0
        g2 = rg.grad(reads_module_globals)(V5.copy())
        assert_close(g2, g1 * 2.5)
    finally:
        SCALE = old


def helper_return_in_loop(v, limit):
    s = 0.0
    for a in v:
        s = s + a * a
        if s > limit:
            return s
    return -s


def calls_return_in_loop_helper_in_loop(v, x):
    total = 0.0
    for k in range(3):
        total = total + helper_return_in_loop(v * x, 0.5 + k)
    return total


def test_helper_with_return_in_loop_called_in_loop():
    check_gradient(calls_return_in_loop_helper_in_loop, V5.copy(), 0.9, wrt=(0, 1))


def helper_default_array(v, weights=np.array([1.0, 2.0, 3.0, 4.0, 5.0])):
    return np.sum(v * weights)


def calls_default_array(v):
    return helper_default_array(v) ** 2 + helper_default_array(v, weights=v)


def test_helper_with_array_default():
    check_gradient(calls_default_array, V5.copy())


def divide_and_conquer(v):
    if len(v) == 1:
        return v[0] ** 2
    h = len(v) // 2
    return divide_and_conquer(v[:h]) * 0.5 + divide_and_conquer(v[h:])


def test_recursion_divide_and_conquer_on_slices():
    check_gradient(divide_and_conquer, V5.copy())


def test_deep_recursion():
    got = check_gradient(rpow, 1.01, 60)
    assert_close(got, 60 * 1.01 ** 59)


def apply_fn(fn, x):
    return fn(x) * x


def calls_higher_order(x):
    return apply_fn(square, x) + apply_fn(np.sin, x)


def test_function_passed_as_argument_supported_or_refused_cleanly():
    try:
        check_gradient(calls_higher_order, 0.7)
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


def local_function_alias(x, flag):
    fn = square if flag else np.exp
    return fn(x) * 2.0


def test_function_chosen_at_run_time_supported_or_refused_cleanly():
    try:
        check_gradient(local_function_alias, 0.7, True)
        check_gradient(local_function_alias, 0.7, False)
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


def append_into(items, x):
    items.append(x * x)


def calls_mutating_helper(x):
    items = [x]
    append_into(items, x * 2.0)
    append_into(items, np.sin(x))
    return items[0] * items[1] + items[2]


def test_helper_mutating_list_argument_supported_or_refused_cleanly():
    try:
        check_gradient(calls_mutating_helper, 0.7)
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


def fill_in(y, i, value):
    y[i] = value
    return y


def calls_setitem_helper(v):
    y = np.zeros(3)
    for i in range(3):
        fill_in(y, i, v[i] * v[i + 1])
    return np.sum(y * y)


def test_helper_mutating_array_argument_supported_or_refused_cleanly():
    try:
        check_gradient(calls_setitem_helper, V5.copy())
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


def test_closure_defined_after_outer_variable_changes():
    scale = 1.0

    def f(x):
        return scale * np.sin(x)
    scale = 4.0
    check_gradient(f, 0.7)


def test_recursive_closure():
    def fact_poly(x, n):
        if n == 0:
            return 1.0
        return x * fact_poly(x, n - 1) + 1.0
    check_gradient(fact_poly, 0.7, 4)


def helper_while_break(x, limit):
    s = x
    while True:
        s = s * 1.3 + 0.1
        if s > limit:
            break
    return s


def calls_while_helper_with_keyword(x):
    return helper_while_break(limit=3.0, x=x) * helper_while_break(x * 0.5, 2.0)


def test_helper_with_while_break_called_by_keyword():
    check_gradient(calls_while_helper_with_keyword, 0.9)


def test_vjp_through_helper_returning_tuple():
    def f(r, theta):
        u, v = polar(r, theta)
        return np.array([u, v, u * v])
    w = np.array([0.5, -1.0, 2.0])
    value, pullback = rg.vjp(f, wrt=(0, 1))(1.3, 0.4)
    assert_close(value, f(1.3, 0.4))
    gr, gt = pullback(w)
    weighted = lambda r, t: np.sum(w * f(r, t))  # noqa: E731
    assert_close(gr, numeric(weighted, (1.3, 0.4), 0))
    assert_close(gt, numeric(weighted, (1.3, 0.4), 1))


def test_long_loop_calling_a_helper_is_fast():
    import time

    def f(x, n):
        s = 1.0
        for _ in range(n):
            s = hm.step(s, x)
        return s
    start = time.perf_counter()
    got = rg.grad(f)(1e-5, 100_000)
    elapsed = time.perf_counter() - start
    expected = numeric(lambda x: f(x, 100_000), (1e-5,), 0, eps=1e-7)
    assert abs(got - expected) < 1e-4 * max(1.0, abs(expected)), (got, expected)
    assert elapsed < 5.0, f"100000 helper calls took {elapsed:.2f}s to differentiate"


from helper_models import dense as layer  # noqa: E402


def calls_aliased_import(x, w):
    return np.sum(layer(x, w, 0.2) ** 2)


def test_helper_imported_under_another_name():
    check_gradient(calls_aliased_import, X3.copy(), M33.copy(), wrt=(0, 1))


def calls_same_helper_scalar_and_array(x, v):
    return square(x) * np.sum(square(v)) + np.sum(square(v * x))


def test_same_helper_called_with_scalar_and_array():
    check_gradient(calls_same_helper_scalar_and_array, 0.7, V5.copy(), wrt=(0, 1))


def count_terms(v):
    return len(v) - 2


def calls_inactive_helper_for_bounds(v, x):
    s = 0.0
    for i in range(count_terms(v)):
        s = s * x + v[i]
    return s


def test_helper_returning_loop_bound():
    check_gradient(calls_inactive_helper_for_bounds, V5.copy(), 0.8, wrt=(0, 1))


def star_args_helper(*terms):
    total = 0.0
    for t in terms:
        total = total + t * t
    return total


def calls_star_args(x, y):
    return star_args_helper(x, y, x * y)


def test_helper_with_star_args_supported_or_refused_cleanly():
    try:
        check_gradient(calls_star_args, 0.7, -0.4, wrt=(0, 1))
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


class Model:
    @staticmethod
    def forward(w, x):
        return np.tanh(x @ w)


def calls_static_method(w, x):
    return np.sum(Model.forward(w, x) ** 2)


def test_static_method_of_user_class_supported_or_refused_cleanly():
    try:
        check_gradient(calls_static_method, M33.copy(), X3.copy())
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


def rsum_accumulate(items, acc):
    if not items:
        return acc
    return rsum_accumulate(items[1:], acc + items[0] * items[0])


def test_tail_recursion_with_accumulator_over_tuple():
    check_gradient(rsum_accumulate, (0.5, -1.0, 2.0), 0.3, wrt=(0, 1))


def calls_setitem_helper_rebinding(v):
    y = np.zeros(3)
    for i in range(3):
        y = fill_in(y, i, v[i] * v[i + 1])
    return np.sum(y * y)


def test_helper_mutating_and_returning_its_array_argument():
    check_gradient(calls_setitem_helper_rebinding, V5.copy())


def fill_in_copy(y, i, value):
    y = y.copy()
    y[i] = value
    return y


def calls_copying_helper(v):
    y = np.zeros(3)
    for i in range(3):
        y = fill_in_copy(y, i, v[i] * v[i + 1])
    return np.sum(y * y)


def test_helper_updating_a_copy_of_its_argument():
    check_gradient(calls_copying_helper, V5.copy())


# =============================================================================================
# readability of generated modules with several functions
# =============================================================================================

import re  # noqa: E402

READABLE_CALLS = [
    (calls_step_in_loop, (2.0, 0.3, 6)),
    (calls_helper_with_loop, (V5.copy(), 0.8)),
    (calls_other_module_attribute, (X3.copy(), M33.copy(), np.array([0.1, 0.0, -0.1]),
                                    np.array([0.1, 0.2, -0.3]))),
    (rnn, (np.array([[0.5, -0.4, 0.2], [0.1, 0.3, -0.2]]), M33.copy(), M33.T.copy())),
    (caller_of_recursion, (0.7,)),
    (calls_return_in_loop_helper_in_loop, (V5.copy(), 0.9)),
    (calls_tuple_helper, (0.7, -0.4)),
]


@pytest.mark.parametrize("f, args", READABLE_CALLS, ids=[f.__name__ for f, _ in READABLE_CALLS])
def test_generated_module_with_helpers_is_readable(f, args):
    text = rg.source(rg.grad(f), *args)
    compile(text, f"<generated {f.__name__}>", "exec")
    pushed = set(re.findall(r"\b(_stack_\w+)\.append\(", text))
    popped = set(re.findall(r"\b(_stack_\w+)\.pop\(", text))
    assert pushed == popped, f"unmatched stacks: pushed-only {pushed - popped}, " \
                             f"popped-only {popped - pushed}"
    self_assign = [line for line in text.splitlines()
                   if re.fullmatch(r"\s*(\w+) = \1\s*", line)]
    assert not self_assign, f"self-assignments: {self_assign}"
    # the derivative of every helper actually used appears once
    names = re.findall(r"^def (\w+)\(", text, flags=re.M)
    assert len(names) == len(set(names)), f"duplicate definitions: {names}"


def sine_of(p, q):
    return np.sin(q) * p


def helper_argument_changed_after_the_call(x, v):
    a = v * 1.0
    total = np.sum(sine_of(x, a))      # the helper's backward needs `a` as it was here
    a[0] = 0.5
    return total + np.sum(a * a)


def test_array_passed_to_a_helper_and_changed_afterwards():
    # once silently wrong (random programs rp-036): the residual held `a` by reference
    check_gradient(helper_argument_changed_after_the_call, 0.7, np.array([0.1, 0.2, 0.3]),
                   wrt=(0, 1))


def float_result(p):
    return np.sin(p) + 1.0


def number_from_a_helper_updated(x, v):
    s = float_result(x)
    t = s
    s += x                    # a float: rebinding, not a change t would see
    return s * t + np.sum(v)


def test_number_returned_by_a_helper_is_not_an_alias():
    check_gradient(number_from_a_helper_updated, 0.7, np.array([0.1, 0.2]), wrt=(0, 1))
