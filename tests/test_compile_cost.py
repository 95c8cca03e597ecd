"""Compile latency guards that cannot be flaky: they count work, not time.

The first call of ``rg.grad(f)`` compiles ``f``; its latency (benchmarks/README.md, "compile
latency") is kept well under 100 ms by not doing the same work twice. Each test here counts
one kind of repeated work on a small input, so a change that brings it back fails at once,
whatever the machine's load.
"""
import textwrap

import gast
import numpy as np

import retrograd as rg
from retrograd import rules, syntax
from retrograd.passes import dce, reverse


def accumulate(x, a):
    y = x
    for step in range(4):
        y = a * y + np.sin(y)
    return np.sum(y * y)


def test_each_loop_body_is_written_at_most_twice_per_sweep(monkeypatch):
    """The reversed loop body is written once per fixed-point pass; the pass that confirms the
    fixed point is kept as the code (not written a third time). Two sweeps (one to learn what
    the adjoint reads, one for real) make at most four."""
    passes = []
    original = reverse._Reverse.adjoint_block

    def counting(self, statements, state, *args, **kwargs):
        if not any(isinstance(s, gast.For) for s in statements):     # the loop's body
            passes.append(id(statements))
        return original(self, statements, state, *args, **kwargs)

    monkeypatch.setattr(reverse._Reverse, "adjoint_block", counting)
    function = _fresh(accumulate)
    gradient = rg.grad(function, wrt=(0, 1))(0.3, 0.9)
    assert len(passes) == 4 and len(set(passes)) == 1, passes      # was 6: 3 per sweep
    assert np.allclose(gradient, _numeric(accumulate, 0.3, 0.9), rtol=1e-5)


def test_dead_code_elimination_is_linear_in_block_length(monkeypatch):
    """Each statement's reads are found once per run (not once per earlier statement)."""
    length = 120
    lines = ["def f(x):", "    t0 = x"]
    lines += [f"    t{i} = t{i - 1} * 2.0" for i in range(1, length)]
    lines += ["    t0 = x + 1.0", f"    return t{length - 1}"]
    function = gast.parse(textwrap.dedent("\n".join(lines))).body[0]
    walks = []
    original_walk, original_gast_walk = syntax.walk, gast.walk
    monkeypatch.setattr(syntax, "walk", lambda tree: walks.append(1) or original_walk(tree))
    monkeypatch.setattr(gast, "walk", lambda tree: walks.append(1) or original_gast_walk(tree))
    dce.run(function)
    assert len(function.body) == length + 2
    assert len(walks) <= 6 * length, len(walks)    # a quadratic scan makes ~length**2 / 2


def test_rule_conditions_are_printed_once(monkeypatch):
    """A template's ``if`` is printed and compiled once, then reused for every instantiation."""
    rg.grad(_fresh(accumulate))(0.3, 0.9)
    printed = []
    original = rules._to_source
    monkeypatch.setattr(rules, "_to_source", lambda node: printed.append(1) or original(node))
    rg.grad(_fresh(accumulate))(0.3, 0.9)
    assert printed == []


def _fresh(function):
    """A new function object with the same code, so retrograd's cache cannot hit."""
    import types
    return types.FunctionType(function.__code__, function.__globals__, function.__name__,
                              function.__defaults__, function.__closure__)


def _numeric(function, x, a, step=1e-6):
    return ((function(x + step, a) - function(x - step, a)) / (2 * step),
            (function(x, a + step) - function(x, a - step)) / (2 * step))
