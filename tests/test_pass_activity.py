"""activity: only variables that depend on a ``wrt`` input *and* reach the result get
derivative work.

The analysis runs alone (load -> resolve -> jumps -> normalize -> activity, as in
``pipeline``) and its result is checked; then the generated code is checked for the absence
of adjoints of inactive values, and its gradient against central differences.
"""
import re

import numpy as np

import retrograd as rg
from retrograd import pipeline  # noqa: F401 - registers the derivative rules
from retrograd.passes import activity, jumps, load, normalize, resolve

import pass_models as models
from gradcheck import check_gradient

VECTOR = np.array([0.3, -0.2, 0.5])
USER_NAMES = {"x", "y", "a", "b", "c", "unused", "k", "i", "s", "n"}


def analysed(function, wrt):
    tree, context = load.run(function)
    context.wrt = tuple(wrt)
    for step in (resolve, jumps, normalize, activity):
        tree = step.run(tree, context)
    return context.activity


def user(names):
    return set(names) & USER_NAMES


def adjoints_in(text):
    """Names assigned in generated code that look like adjoints of user variables."""
    return {match for match in re.findall(r"^\s*(d\w+) (?:\+)?= ", text, re.M)}


def test_varied_values_are_those_computed_from_the_wrt_input():
    result = analysed(models.mixed_inputs, ["x"])
    assert user(result.varied) == {"x", "a", "unused"}


def test_useful_values_are_those_that_reach_the_result():
    result = analysed(models.mixed_inputs, ["x"])
    assert user(result.useful) == {"x", "y", "a", "b", "c"}


def test_active_values_are_both_varied_and_useful():
    result = analysed(models.mixed_inputs, ["x"])
    assert user(result.active) == {"x", "a"}
    assert result.is_active(result.output)          # the returned temporary


def test_activity_follows_the_wrt_choice():
    result = analysed(models.mixed_inputs, ["y"])
    assert user(result.active) == {"y", "b", "c"}


def test_a_piecewise_constant_call_stops_activity():
    result = analysed(models.through_floor, ["x"])
    assert "k" in result.useful
    assert "k" not in result.varied


def test_an_integer_counter_is_not_active():
    result = analysed(models.counted, ["x"])
    assert user(result.active) == {"x", "s"}
    assert "i" in result.useful and "i" not in result.varied


# --- in generated code --------------------------------------------------------------------

def test_no_adjoints_for_values_that_do_not_depend_on_wrt():
    for optimize in (False, True):
        text = rg.source(rg.grad(models.mixed_inputs, optimize=optimize), 0.4, 0.7)
        assert adjoints_in(text) <= {"dx", "da", "d_t1", "d_t2"}, text
        assert "    da = d_t1 * b\n" in text or "    da = d_t2 * b\n" in text
    check_gradient(models.mixed_inputs, 0.4, 0.7)


def test_no_adjoints_for_the_other_input_when_wrt_changes():
    text = rg.source(rg.grad(models.mixed_inputs, wrt="y"), 0.4, 0.7)
    assert "dx" not in adjoints_in(text) and "da" not in adjoints_in(text)
    assert {"dy", "db"} <= adjoints_in(text)
    check_gradient(models.mixed_inputs, 0.4, 0.7, wrt="y")


def test_no_adjoint_through_a_piecewise_constant_call():
    for optimize in (False, True):
        text = rg.source(rg.grad(models.through_floor, optimize=optimize), VECTOR)
        assert "dk" not in adjoints_in(text)
        assert "np.floor(x)" in text        # its value is still read by the adjoint of x * k
    check_gradient(models.through_floor, VECTOR)


def test_no_adjoint_for_an_integer_counter():
    for optimize in (False, True):
        text = rg.source(rg.grad(models.counted, optimize=optimize), 0.4, 3)
        assert adjoints_in(text) & {"di", "dn"} == set()
    check_gradient(models.counted, 0.4, 3)


def test_no_derivative_work_at_all_for_an_unused_input():
    text = rg.source(rg.grad(models.mixed_inputs, wrt=("x", "y")), 0.4, 0.7)
    assert adjoints_in(text) == {"dx", "dy", "da", "db", "d_t2"}
    assert "pass_models.py:15" not in text          # no adjoint block for `unused = ...`
    assert "    dy = d_t2 * 3.0\n" in text           # the adjoint of `c = y * 3.0`
    check_gradient(models.mixed_inputs, 0.4, 0.7, wrt=("x", "y"))
