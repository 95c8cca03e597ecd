"""copies: copy propagation (``propagate``) and nesting of read-once temporaries
(``fold_temporaries``).

Each part runs alone on small parsed code, with the exact printed result checked and the
code before and after run side by side; then the whole compiler is run on tiny models and
its optimized gradients are checked against central differences.
"""
import re
import textwrap

import gast
import numpy as np

import retrograd as rg
from retrograd.passes import copies, emit

import pass_models as models
from gradcheck import check_gradient

VECTOR = np.array([0.3, -0.2, 0.5])


def function_of(source):
    return gast.parse(textwrap.dedent(source)).body[0]


def propagated(source):
    """(text before, text after copy propagation of the function's body)."""
    function = function_of(source)
    before = emit.to_source(function, {})
    copies.propagate(function.body)
    return before, emit.to_source(function, {})


def nested(source):
    """(text before, text after fold_temporaries)."""
    function = function_of(source)
    before = emit.to_source(function, {})
    return before, emit.to_source(copies.fold_temporaries(function), {})


def body(text):
    return [line[4:] for line in text.rstrip().splitlines()[1:]]


def run_text(text, *args):
    scope = {"np": np}
    exec(compile(text, "<copies test>", "exec"), scope)   # noqa: S102 - test's own code
    return scope["f"](*args)


# --- propagate ----------------------------------------------------------------------------

def test_reads_of_a_copy_read_the_original():
    before, after = propagated("""
        def f(dout, i):
            d_t4 = dout
            d_t3 = d_t4
            d_t2 = d_t3 * i
            return d_t2
    """)
    assert body(after) == ["d_t4 = dout", "d_t3 = dout", "d_t2 = dout * i", "return d_t2"]
    assert run_text(after, 2.0, 3.0) == run_text(before, 2.0, 3.0) == 6.0


def test_a_copy_back_to_the_source_disappears():
    _, after = propagated("""
        def f(ds):
            d_t3 = ds
            ds = d_t3
            return ds
    """)
    assert body(after) == ["d_t3 = ds", "return ds"]


def test_propagation_stops_where_the_source_is_rebound():
    before, after = propagated("""
        def f(a, g):
            b = a
            c = b * 2.0
            a = g
            d = b + a
            return c, d
    """)
    assert body(after) == ["b = a", "c = a * 2.0", "a = g", "d = b + g", "return c, d"]
    assert run_text(after, 1.0, 5.0) == run_text(before, 1.0, 5.0) == (2.0, 6.0)


def test_propagation_stops_where_the_copy_is_rebound():
    _, after = propagated("""
        def f(a, g):
            b = a
            b = b + g
            return b * 2.0
    """)
    assert body(after) == ["b = a", "b = a + g", "return b * 2.0"]


def test_propagation_enters_a_loop_that_rebinds_neither_name():
    _, after = propagated("""
        def f(a, n):
            b = a
            s = 0.0
            for i in range(n):
                s = s + b
            return s
    """)
    assert body(after)[2:4] == ["for i in range(n):", "    s = s + a"]


def test_propagation_does_not_enter_a_loop_that_rebinds_the_source():
    before, after = propagated("""
        def f(a, n):
            b = a
            for i in range(n):
                a = a + b
            return a
    """)
    assert body(after) == ["b = a", "for i in range(n):", "    a = a + b", "return a"]
    assert run_text(after, 1.0, 3) == run_text(before, 1.0, 3) == 4.0


def test_propagation_does_not_leave_the_block_of_the_copy():
    _, after = propagated("""
        def f(a, flag):
            b = 0.0
            if flag:
                b = a
            return b
    """)
    assert body(after) == ["b = 0.0", "if flag:", "    b = a", "return b"]


def test_generated_copy_chain_collapses():
    raw = rg.source(rg.grad(models.copy_chain, optimize=False), 0.4)
    optimized = rg.source(rg.grad(models.copy_chain), 0.4)
    assert "    da = db\n" in raw and "    dx = da\n" in raw
    assert "    dx = db\n" in optimized
    assert "da" not in optimized.replace("def grad", "")
    check_gradient(models.copy_chain, 0.4)


def test_generated_self_copies_of_a_loop_adjoint_disappear():
    raw = rg.source(rg.grad(models.running_total, optimize=False), VECTOR, 3)
    optimized = rg.source(rg.grad(models.running_total), VECTOR, 3)
    assert "        d_t3 = ds\n        ds = d_t3\n" in raw
    assert "d_t3" not in optimized and "ds = ds" not in optimized
    check_gradient(models.running_total, VECTOR, 3)


# --- fold_temporaries -----------------------------------------------------------------------

def test_a_temporary_read_once_is_nested_into_its_reader():
    before, after = nested("""
        def f(x, y):
            _t1 = x + y
            z = _t1 * 2.0
            return z
    """)
    assert body(after) == ["z = (x + y) * 2.0", "return z"]
    assert run_text(after, 1.0, 2.0) == run_text(before, 1.0, 2.0) == 6.0


def test_a_temporary_read_twice_stays():
    _, after = nested("""
        def f(x):
            _t1 = np.sin(x)
            return _t1 * _t1
    """)
    assert body(after) == ["_t1 = np.sin(x)", "return _t1 * _t1"]


def test_a_user_variable_is_never_nested():
    _, after = nested("""
        def f(x):
            h = np.sin(x)
            return h * 2.0
    """)
    assert body(after) == ["h = np.sin(x)", "return h * 2.0"]


def test_a_temporary_is_not_moved_past_a_change_of_what_it_reads():
    before, after = nested("""
        def f(x):
            _t1 = x * 2.0
            x = x + 1.0
            return _t1 + x
    """)
    assert body(after) == ["_t1 = x * 2.0", "x = x + 1.0", "return _t1 + x"]
    assert run_text(after, 1.0) == run_text(before, 1.0) == 4.0


def test_a_temporary_is_not_moved_past_an_in_place_change():
    _, after = nested("""
        def f(x):
            _t1 = x * 2.0
            x[0] = 5.0
            return _t1
    """)
    assert body(after) == ["_t1 = x * 2.0", "x[0] = 5.0", "return _t1"]


def test_a_call_of_user_code_is_not_nested():
    _, after = nested("""
        def f(x):
            _t1 = helper(x)
            return _t1 * 2.0
    """)
    assert body(after) == ["_t1 = helper(x)", "return _t1 * 2.0"]


def test_a_temporary_is_nested_into_an_if_test_and_a_for_range():
    before, after = nested("""
        def f(x, n):
            _t1 = n * 2
            s = 0
            for i in range(_t1):
                s = s + i
            _t2 = s > x
            if _t2:
                s = -s
            return s
    """)
    assert body(after) == ["s = 0", "for i in range(n * 2):", "    s = s + i",
                           "if s > x:", "    s = -s", "return s"]
    assert run_text(after, 3, 2) == run_text(before, 3, 2) == -6


def test_a_temporary_is_not_nested_into_a_loop_body():
    _, after = nested("""
        def f(x, n):
            _t1 = np.exp(x)
            s = 0.0
            for i in range(n):
                s = s + _t1
            return s
    """)
    assert body(after)[0] == "_t1 = np.exp(x)"


def test_a_temporary_is_not_nested_into_a_while_test():
    """A ``while`` test runs after every iteration: nesting ``n * 2`` there would read the
    ``n`` the loop body changed, not the one the temporary saw."""
    before, after = nested("""
        def f(n):
            i = 0
            _t1 = n * 2
            while i < _t1:
                n = n - 1
                i = i + 1
            return i
    """)
    assert body(after) == ["i = 0", "_t1 = n * 2", "while i < _t1:", "    n = n - 1",
                           "    i = i + 1", "return i"]
    assert run_text(after, 5) == run_text(before, 5) == 10


def test_generated_adjoint_temporaries_are_nested():
    raw = rg.source(rg.grad(models.two_sums, optimize=False), VECTOR)
    optimized = rg.source(rg.grad(models.two_sums), VECTOR)
    assert "    d_t2 = d_t4\n" in raw and "    dh += 2.0 * h * d_t1\n" in raw
    assert re.search(r"^    dh \+= 2\.0 \* h \* \S", optimized, re.M)
    assert not re.search(r"\bd_t[123]\b", optimized)
    check_gradient(models.two_sums, VECTOR)


def test_generated_primal_temporaries_are_nested():
    raw = rg.source(rg.grad(models.through_floor, optimize=False), VECTOR)
    optimized = rg.source(rg.grad(models.through_floor), VECTOR)
    assert "    _t2 = np.sum(_t1)\n    d_t2 = 1.0\n" in raw     # a number: its seed is 1.0
    assert not re.search(r"\b_t2\b|\bd_t\d", optimized)
    check_gradient(models.through_floor, VECTOR)
