"""saves: the primal sweep keeps only values the reverse sweep reads and that would
otherwise be lost; a value assigned once outside loops is simply still there; a loop-local
value is pushed once per iteration and popped once when the adjoint enters the iteration.

Saving is planned by ``reverse``/``saves``, so it holds with ``optimize=False`` too. Every
model's gradient is checked against central differences.
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


def stacks(text):
    return sorted(set(re.findall(r"\b(_stack_\w+) = \[\]", text)))


def lines(text):
    return [line.strip() for line in text.splitlines()]


@BOTH
def test_a_value_assigned_once_outside_loops_is_not_saved(optimize):
    text = source(models.sine_squared, 0.4, optimize=optimize)
    assert "    dy = 2.0 * y * dz\n" in text          # the adjoint reads y ...
    assert "_stack" not in text                        # ... straight from the primal
    check_gradient(models.sine_squared, 0.4)


@BOTH
def test_a_value_computed_before_a_loop_and_read_inside_it_is_not_saved(optimize):
    text = source(models.weighted_loop, VECTOR, 3, optimize=optimize)
    assert "        dx += d_t1 * w\n" in text
    assert "_stack" not in text
    check_gradient(models.weighted_loop, VECTOR, 3)


@BOTH
def test_an_overwritten_value_the_adjoint_reads_is_saved_and_restored_once(optimize):
    text = source(models.squared_in_place, VECTOR, optimize=optimize)
    assert stacks(text) == ["_stack_y"]
    assert lines(text).count("_stack_y.append(y)") == 1
    assert lines(text).count("y = _stack_y.pop()") == 1
    # pushed after `y = np.sin(x)` and before y is overwritten; popped before `2.0 * y`
    primal = text.index("    y = np.sin(x)\n")
    push = text.index("_stack_y.append(y)")
    pop = text.index("y = _stack_y.pop()")
    assert primal < push < text.index("    # pass_models.py:98") < pop
    assert re.search(r"y = _stack_y\.pop\(\)\n    dy = 2\.0 \* y \* d", text)
    check_gradient(models.squared_in_place, VECTOR)


@BOTH
def test_an_overwritten_value_the_adjoint_does_not_read_is_not_saved(optimize):
    text = source(models.shifted_in_place, VECTOR, optimize=optimize)
    assert "_stack" not in text
    check_gradient(models.shifted_in_place, VECTOR)


@BOTH
def test_a_loop_local_value_is_pushed_and_popped_once_per_iteration(optimize):
    text = source(models.loop_local, VECTOR, 3, optimize=optimize)
    assert stacks(text) == ["_stack_t", "_stack_t1"]
    primal_loop = text[text.index("    for i in range(n):\n"):text.index("    ds = 1.0\n")]
    adjoint_loop = text[text.index("    for i in reversed(range(n)):\n"):]
    # one push each, right after the value is computed, inside the primal loop
    assert "        _t1 = x * i\n        _stack_t1.append(_t1)\n" \
        "        t = np.sin(_t1)\n        _stack_t.append(t)\n" in primal_loop
    # one pop each, first thing in the reversed loop's body
    assert adjoint_loop.startswith("    for i in reversed(range(n)):\n"
                                   "        _t1 = _stack_t1.pop()\n"
                                   "        t = _stack_t.pop()\n")
    for name in ("_stack_t", "_stack_t1"):
        assert text.count(f"{name}.append(") == 1 and text.count(f"{name}.pop()") == 1
    check_gradient(models.loop_local, VECTOR, 3)


@BOTH
def test_a_loop_counter_value_read_by_the_adjoint_is_saved_per_iteration(optimize):
    text = source(models.counted, 0.4, 3, optimize=optimize)
    assert stacks(text) == ["_stack_i"]
    assert lines(text).count("_stack_i.append(i)") == 1
    assert lines(text).count("i = _stack_i.pop()") == 1
    assert "    ds = 1.0\n" in text and "_stack_s" not in text   # s: not read by any adjoint
    check_gradient(models.counted, 0.4, 3)


def test_the_running_total_of_a_loop_is_never_saved():
    for function, args in [(models.running_total, (VECTOR, 3)), (models.loop_local, (VECTOR, 3)),
                           (models.weighted_loop, (VECTOR, 3))]:
        assert "_stack_s" not in source(function, *args, optimize=False)
        check_gradient(function, *args)
