"""Shapes known dimension by dimension (ranks pass) and what they remove from generated code.

Derived functions are compiled per kind of argument, and an array's kind names each of its
dimensions by a class (1 for a size of one; equal classes for equal sizes). With those the
ranks pass proves shapes through broadcasting, matmul, reductions and indexing, so the
reverse pass writes the sums that undo broadcasting as plain ``np.sum`` calls (or nothing),
and saves no shapes in loops. Each test checks the printed code and the gradient.
"""
import re

import numpy as np
import pytest

import retrograd as rg
from gradcheck import check_gradient

import shape_models as models

RNG = np.random.default_rng(7)


def _code(f, *args, wrt=0):
    return rg.source(rg.grad(f, wrt=wrt), *args)


def test_bias_gradient_is_a_sum_over_rows():
    w, b, x = RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=(5, 3))
    code = _code(models.dense, w, b, x, wrt=(0, 1))
    assert re.search(r"db = np.sum\(d_t\d+, axis=0\)", code)
    assert "rt.unbroadcast" not in code
    check_gradient(models.dense, w, b, x, wrt=(0, 1))


def test_batch_of_one_is_compiled_apart_and_still_right():
    # a row of one broadcasts differently from a row of five: its own code, right gradients
    w, b = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    for batch in (1, 5):
        check_gradient(models.dense, w, b, RNG.normal(size=(batch, 3)), wrt=(0, 1))


def test_one_compilation_serves_every_batch_size():
    derived = rg.grad(models.dense, wrt=(0, 1))
    w, b = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    for batch in (2, 7, 30):
        derived(w, b, RNG.normal(size=(batch, 3)))
    assert len(derived.__retrograd__._fast) == 1


def test_equal_sizes_by_coincidence_are_right():
    # batch == hidden == inputs: every dimension has one class
    w, b, x = RNG.normal(size=(3, 3)), RNG.normal(size=3), RNG.normal(size=(3, 3))
    check_gradient(models.dense, w, b, x, wrt=(0, 1, 2))


def test_column_broadcast_sums_with_keepdims():
    c, m = RNG.normal(size=(4, 1)), RNG.normal(size=(4, 6))
    code = _code(models.column_scale, c, m, wrt=(0, 1))
    assert "np.sum(" in code and "axis=1, keepdims=True)" in code
    assert "rt.unbroadcast" not in code
    check_gradient(models.column_scale, c, m, wrt=(0, 1))


def test_keepdims_reductions_need_no_runtime_helpers():
    s, y = RNG.normal(size=(5, 3)), RNG.random(size=(5, 3))
    code = _code(models.row_softmax_loss, s, y)
    assert "rt." not in code.split("def ", 1)[1]
    check_gradient(models.row_softmax_loss, s, y)


def test_loop_saves_no_shapes_when_they_are_known():
    h, w, xs = RNG.normal(size=(2, 4)), RNG.normal(size=(4, 4)), RNG.normal(size=(6, 2, 4))
    code = _code(models.recurrent, h, w, xs, wrt=(0, 1))
    assert "_shape" not in code and "rt.unbroadcast" not in code
    check_gradient(models.recurrent, h, w, xs, wrt=(0, 1))


def test_shape_keeping_functions_keep_shapes_known():
    x = RNG.normal(size=7)
    code = _code(models.ring, x, 0.3, wrt=(0, 1))
    assert "_shape" not in code
    assert "dk = dk + np.sum(" in code          # a number's gradient is the total
    check_gradient(models.ring, x, 0.3, wrt=(0, 1))


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((1,), (5,)), ((2, 1, 3), (4, 1)),
                                    ((1, 1), (3, 2))])
def test_two_sided_broadcasting(shapes):
    a, b = (RNG.normal(size=s) for s in shapes)
    check_gradient(models.column_scale, a, b, wrt=(0, 1))


def test_spread_cotangent_is_not_materialised():
    # the sum's adjoint spreads a number over x's shape; exp's adjoint multiplies by an array
    # of that shape, which broadcasts the number itself (broadcasts pass)
    x = RNG.normal(size=6)
    code = _code(models.logsumexp, x)
    assert "np.full" not in code and "rt." not in code.split("def ", 1)[1]
    check_gradient(models.logsumexp, x)
    tied = np.array([1.0, 3.0, 3.0, -2.0])       # tied maxima share the cotangent
    assert np.allclose(rg.grad(models.logsumexp)(tied)[1:3], rg.grad(models.logsumexp)(tied)[2])


def test_extremum_adjoints_along_an_axis_are_inline():
    m = RNG.normal(size=(4, 5))
    code = _code(models.row_max, m)
    assert "extremum_adjoint" not in code and "np.expand_dims" in code
    check_gradient(models.row_max, m)


def test_forward_mode_broadcasts_only_where_shapes_differ():
    x = RNG.normal(size=7)
    code = rg.source(rg.jvp(models.ring, wrt=(0, 1)), x, 0.3)
    assert "broadcast_like" not in code
    s, y = RNG.normal(size=(5, 3)), RNG.random(size=(5, 3))
    code = rg.source(rg.jvp(models.row_softmax_loss), s, y)
    assert "broadcast_like" not in code
    direction = RNG.normal(size=(5, 3))
    _, derivative = rg.jvp(models.row_softmax_loss)(s, y, tangent=direction)
    assert np.isclose(derivative, np.sum(rg.grad(models.row_softmax_loss)(s, y) * direction))
