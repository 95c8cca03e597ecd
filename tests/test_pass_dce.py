"""dce: computations nobody needs are deleted; results and effects stay.

The pass runs alone on small parsed functions (the exact printed result is checked, and the
code before and after is run side by side), and inside the compiler on tiny models whose
optimized gradients are checked against central differences.
"""
import textwrap

import gast
import numpy as np

import retrograd as rg
from retrograd.passes import dce, emit

import pass_models as models
from gradcheck import check_gradient

VECTOR = np.array([0.3, -0.2, 0.5])


def eliminated(source):
    """(text before, text after dead-code elimination)."""
    function = gast.parse(textwrap.dedent(source)).body[0]
    before = emit.to_source(function, {})
    return before, emit.to_source(dce.run(function), {})


def body(text):
    return [line[4:] for line in text.rstrip().splitlines()[1:]]


def run_text(text, *args, **scope):
    scope.update(np=np)
    exec(compile(text, "<dce test>", "exec"), scope)   # noqa: S102 - test's own code
    return scope["f"](*args)


def test_an_unread_value_is_deleted():
    before, after = eliminated("""
        def f(x, y):
            _t1 = x * y
            return x + y
    """)
    assert body(after) == ["return x + y"]
    assert run_text(after, 2.0, 3.0) == run_text(before, 2.0, 3.0)


def test_a_value_overwritten_before_any_read_is_deleted():
    before, after = eliminated("""
        def f(x, y):
            dx = y
            dx = y + x
            return dx
    """)
    assert body(after) == ["dx = y + x", "return dx"]
    assert run_text(after, 2.0, 3.0) == run_text(before, 2.0, 3.0)


def test_a_value_read_by_its_own_overwrite_stays():
    _, after = eliminated("""
        def f(x, y):
            dx = y
            dx = dx + x
            return dx
    """)
    assert body(after) == ["dx = y", "dx = dx + x", "return dx"]


def test_a_running_total_that_only_feeds_itself_goes_with_its_loop():
    before, after = eliminated("""
        def f(x, n):
            s = 0.0
            for i in range(n):
                s = s + x
            return x * 2.0
    """)
    assert body(after) == ["return x * 2.0"]
    assert run_text(after, 1.5, 3) == run_text(before, 1.5, 3)


def test_a_self_assignment_is_deleted():
    _, after = eliminated("""
        def f(x):
            x = x
            return x
    """)
    assert body(after) == ["return x"]


def test_a_save_that_nothing_pops_is_deleted():
    _, after = eliminated("""
        def f(x, flag):
            _stack_y = []
            _stack_y.append(x)
            if flag:
                y = x * 2.0
            return x
    """)
    assert body(after) == ["return x"]


def test_calls_of_user_code_and_changes_to_parameters_stay():
    before, after = eliminated("""
        def f(x, log):
            log.append(x[0])
            record(x)
            x[1] = 1.0
            t = np.sin(x)
            return 0.0
    """)
    assert body(after) == ["log.append(x[0])", "record(x)", "x[1] = 1.0", "return 0.0"]
    calls = []
    log, array = [], np.array([3.0, 4.0])
    assert run_text(after, array, log, record=calls.append) == 0.0
    assert log == [3.0] and calls == [array] and array[1] == 1.0


def test_a_loop_whose_test_calls_user_code_stays_with_an_empty_body():
    _, after = eliminated("""
        def f(x):
            t = 0.0
            while keep_going(x):
                t = t + 1.0
            return x
    """)
    assert body(after) == ["while keep_going(x):", "    pass", "return x"]


def test_a_mutated_local_that_is_read_stays():
    before, after = eliminated("""
        def f(x):
            d = np.zeros(3)
            d[0] = x
            unused = np.zeros(3)
            unused[1] = x
            return d
    """)
    assert body(after) == ["d = np.zeros(3)", "d[0] = x", "return d"]
    np.testing.assert_array_equal(run_text(after, 2.0), run_text(before, 2.0))


# --- inside the compiler ---------------------------------------------------------------------

def test_values_that_never_reach_the_gradient_are_deleted():
    raw = rg.source(rg.grad(models.mixed_inputs, optimize=False), 0.4, 0.7)
    optimized = rg.source(rg.grad(models.mixed_inputs), 0.4, 0.7)
    for line in ("    unused = np.exp(x)\n", "    c = y * 3.0\n", "    a = np.sin(x)\n",
                 "    _t2 = _t1 + c\n"):
        assert line in raw
        assert line not in optimized
    assert "    b = np.cos(y)\n" in optimized        # the adjoint of `a * b` reads it
    check_gradient(models.mixed_inputs, 0.4, 0.7)


def test_a_primal_loop_whose_values_the_adjoint_does_not_read_is_deleted():
    raw = rg.source(rg.grad(models.running_total, optimize=False), VECTOR, 3)
    optimized = rg.source(rg.grad(models.running_total), VECTOR, 3)
    assert "    for i in range(n):\n" in raw
    assert "    for i in range(n):\n" not in optimized
    assert "    for i in reversed(range(n)):\n" in optimized
    check_gradient(models.running_total, VECTOR, 3)


def test_a_primal_loop_that_the_adjoint_reads_from_stays():
    raw = rg.source(rg.grad(models.loop_local, optimize=False), VECTOR, 3)
    optimized = rg.source(rg.grad(models.loop_local), VECTOR, 3)
    assert "    for i in range(n):\n        _t1 = x * i\n" in optimized
    assert "    s = 0.0\n" in raw and "        s = _t4\n" in raw
    # the running total inside it goes
    assert not [line for line in optimized.splitlines() if line.strip().startswith("s = ")]
    check_gradient(models.loop_local, VECTOR, 3)


def test_value_and_grad_keeps_the_value_that_grad_drops():
    optimized = rg.source(rg.value_and_grad(models.mixed_inputs), 0.4, 0.7)
    assert "    c = y * 3.0\n" in optimized
    assert "unused" not in optimized
    value, gradient = rg.value_and_grad(models.mixed_inputs)(0.4, 0.7)
    assert value == models.mixed_inputs(0.4, 0.7)
    assert abs(gradient - np.cos(0.4) * np.cos(0.7)) < 1e-12
