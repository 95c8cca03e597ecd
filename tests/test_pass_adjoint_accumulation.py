"""Adjoint accumulation (reverse pass): the first contribution to an adjoint is an
assignment, not ``dx = zeros; dx += ...``; later contributions add in place (``+=``) only to an
array no other name refers to; a zero adjoint is materialised only where a loop needs a value.

These are decisions of ``reverse``, not of the optional passes, so they hold with
``optimize=False`` too. Every model's gradient is checked against central differences.
"""
import re

import numpy as np
import pytest

import retrograd as rg

import pass_models as models
from gradcheck import check_gradient

VECTOR = np.array([0.3, -0.2, 0.5])
BOTH = pytest.mark.parametrize("optimize", [False, True], ids=["raw", "optimized"])


def source(function, *args, optimize=True):
    return rg.source(rg.grad(function, optimize=optimize), *args)


def zero_initialisations(text):
    return re.findall(r"^\s*(d\w+) = (?:0\.0|rt\.zeros_like\(\w+\)|np\.zeros\w*\(.*\))$",
                      text, re.M)


@BOTH
def test_the_only_contribution_is_an_assignment(optimize):
    text = source(models.sine_squared, 0.4, optimize=optimize)
    assert "    dy = 2.0 * y * dz\n" in text
    assert "    dx = dy * np.cos(x)\n" in text
    assert zero_initialisations(text) == []
    assert "+=" not in text and "dy = dy +" not in text
    check_gradient(models.sine_squared, 0.4)


@BOTH
def test_straight_line_code_never_starts_an_adjoint_at_zero(optimize):
    for function, args in [(models.used_twice, (VECTOR,)), (models.sin_cos, (0.4,)),
                           (models.two_sums, (VECTOR,)), (models.self_plus_square, (VECTOR,))]:
        assert zero_initialisations(source(function, *args, optimize=optimize)) == []
        check_gradient(function, *args)


@BOTH
def test_a_second_contribution_to_an_owned_array_is_added_in_place(optimize):
    text = source(models.used_twice, VECTOR, optimize=optimize)
    assert "    dy = d_t1 * a\n" in text            # first: an assignment of a new array
    assert "    dy += da\n" in text                 # second: in place
    check_gradient(models.used_twice, VECTOR)


def test_in_place_addition_with_a_nested_expression():
    text = source(models.two_sums, VECTOR)
    assert re.search(r"^    dh = np\.full\(np\.shape\(x\), d_t4\)\n"
                     r"    dh \+= 2\.0 \* h \* \S.*$", text, re.M)
    check_gradient(models.two_sums, VECTOR)


@pytest.mark.parametrize("optimize, second", [
    (False, "    dx = dx + d_t1 * np.cos(x)\n"),
    (True, "    dx = dx + d_t3 * _t2 * np.cos(x)\n")], ids=["raw", "optimized"])
def test_a_scalar_adjoint_is_added_with_a_new_binding(optimize, second):
    """Floats are immutable: ``dx = dx + g`` is all there is (and it is cheap)."""
    text = source(models.sin_cos, 0.4, optimize=optimize)
    assert second in text
    assert "dx +=" not in text
    check_gradient(models.sin_cos, 0.4)


def test_an_adjoint_that_shares_its_array_is_not_changed_in_place():
    """``dx = dy`` makes both names one array: adding in place to ``dx`` would change
    ``dy`` (and ``d_t1``, read on the same line) too."""
    raw = source(models.self_plus_square, VECTOR, optimize=False)
    assert "    dx = dy\n    d_t1 = dy\n    dx = dx + 2.0 * x * d_t1\n" in raw
    optimized = source(models.self_plus_square, VECTOR)
    assert "    dx = dy + 2.0 * x * dy\n" in optimized
    assert "+=" not in raw + optimized
    check_gradient(models.self_plus_square, VECTOR)


@BOTH
def test_a_loop_gets_a_zero_adjoint_before_it_and_adds_in_place_inside(optimize):
    text = source(models.weighted_loop, VECTOR, 3, optimize=optimize)
    assert "    dw = rt.zeros_like(w)\n    dx = rt.zeros_like(x)\n" \
        "    for i in reversed(range(n)):\n" in text
    assert "        dw += d_t1 * x\n        dx += d_t1 * w\n" in text
    assert "    dx += dw * np.cos(x)\n" in text      # after the loop: still in place
    assert zero_initialisations(text) == ["dw", "dx"]
    check_gradient(models.weighted_loop, VECTOR, 3)


@BOTH
def test_a_scalar_zero_before_a_loop_is_the_float_zero(optimize):
    text = source(models.counted, 0.4, 3, optimize=optimize)
    assert "    dx = 0.0\n    for _ in range(_n1):\n" in text
    assert zero_initialisations(text) == ["dx"]
    check_gradient(models.counted, 0.4, 3)
