"""Batched tangents (``rg.jvp(..., batched=True)``; compiler/passes/forward.py in batched mode,
the batched rules beside each tangent rule in compiler/rules/, runtime/batch.py).

One pass of batched code pushes ``K`` directions at once; it must give exactly the stack of
``K`` single jvps. Checked for every case of the tangent spec tables (imported from
tests/test_tangents_*.py), for control flow (loops, ``while``, branches, helpers, in-place
updates), and through ``rg.hessian`` / ``rg.jacobian`` / ``rg.grad(rg.grad(f))``, which use it,
against finite differences and against one jvp per direction. A primitive without a batched
rule falls back to one pass per direction, deliberately: tested too.
"""
import linecache

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import retrograd as rg
import retrograd.runtime as runtime
from retrograd import api, rules
from gradcheck import assert_close

import test_tangents_elementwise as elementwise
import test_tangents_indexing as indexing
import test_tangents_linalg as linalg
import test_tangents_reductions as reductions
import test_tangents_shape as shape
from test_rules_elementwise import draw_arguments, shapes_for

K = 3
# Primitives whose tangent rule has no batched form: programs using them make one tangent pass
# per direction, as programs calling a user's register_tangent rule do.
WITHOUT_BATCHED_RULE = set()


# =============================================================================================
# the check: batched == the stack of single jvps
# =============================================================================================

def batch_like(value, k, rng):
    """``k`` random directions for ``value``: a leading axis on every array or number."""
    if isinstance(value, (list, tuple)):
        return type(value)(batch_like(v, k, rng) for v in value)
    if isinstance(value, dict):
        return {key: batch_like(v, k, rng) for key, v in value.items()}
    return rng.standard_normal((k,) + np.shape(value))


def assert_same_leaves(batched, single, j, path="derivative"):
    if isinstance(single, (list, tuple)):
        assert isinstance(batched, (list, tuple)) and len(batched) == len(single), path
        for i, (b, s) in enumerate(zip(batched, single)):
            assert_same_leaves(b, s, j, f"{path}[{i}]")
        return
    if isinstance(single, dict):
        assert set(batched) == set(single), path
        for key in single:
            assert_same_leaves(batched[key], single[key], j, f"{path}[{key!r}]")
        return
    got = np.asarray(batched, dtype=float)
    assert got.shape[:1] == (K,) or got.shape[:1] == (np.shape(batched)[0],), path
    assert_close(got[j], np.asarray(single, dtype=float), rtol=1e-9, atol=1e-11,
                 path=f"{path} (direction {j})")


def check_batched(f, args, wrt=0, rng=None, batched_code=True, k=K):
    """Batched jvp of ``f`` at ``args`` against ``k`` single jvps; ``batched_code``: whether
    one pass of batched code must have been generated (else the fallback is fine)."""
    rng = rng if rng is not None else np.random.default_rng(0)
    args = list(args)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    directions = [batch_like(args[p], k, rng) for p in positions]
    tangent = tuple(directions) if isinstance(wrt, tuple) else directions[0]
    derived = rg.jvp(f, wrt=wrt)
    value, derivatives = derived(*args, tangent=tangent, batched=True)
    for j in range(k):
        single_value, single = derived(*args, tangent=runtime.batch.pick(tangent, j))
        assert_same_leaves(derivatives, single, j)
    assert_close(value, single_value, rtol=0, atol=0, path="value")
    source = api._batched_source(derived, *args)
    if batched_code:
        assert source is not None, f"{f.__name__}: no batched code"
    return source


# =============================================================================================
# every tangent rule, through the spec tables of tests/test_tangents_*.py
# =============================================================================================

@pytest.mark.parametrize("case", elementwise.VECTOR_SPECS, ids=lambda c: c.name)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_elementwise_rules(case, data):
    shapes = data.draw(st.sampled_from(shapes_for(case)), label="shapes")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed"))
    args = draw_arguments(case, shapes, rng)
    check_batched(elementwise.function_of(case), args, _wrt(case.positions), rng)
    if not case.scalar_only:
        check_batched(elementwise.sum_of(case), args, _wrt(case.positions), rng)


def _wrt(positions):
    positions = tuple(positions)
    return positions[0] if len(positions) == 1 else positions


@pytest.mark.parametrize("case", reductions.SPECS, ids=lambda c: c.name)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_reduction_rules(case, data):
    as_method = bool(case.method) and data.draw(st.booleans(), label="as method")
    args, rng = reductions._draw(data, case, as_method)
    f = reductions.METHODS[case.method] if as_method else reductions.function_of(case)
    check_batched(f, args, 0, rng)


@pytest.mark.parametrize("f, x", reductions.LITERAL_FORMS,
                         ids=[f"{f.__name__}-{np.shape(x)}" for f, x in reductions.LITERAL_FORMS])
def test_reductions_with_literal_options(f, x):
    check_batched(f, [x])


@pytest.mark.parametrize("f, args", reductions.SEQUENCE_FORMS,
                         ids=[f.__name__ for f, _ in reductions.SEQUENCE_FORMS])
def test_reductions_of_sequences(f, args):
    check_batched(f, list(args), (0, 1))


TABLE_CASES = [pytest.param(case, id=f"{module.__name__}-{case.id}")
               for module in (linalg, shape, indexing) for case in module.ALL_CASES]


@pytest.mark.parametrize("case", TABLE_CASES)
def test_linalg_shape_and_indexing_rules(case):
    check_batched(case.function, case.args, case.wrt)


HELPER_CASES = [pytest.param(case, id=f"{module.__name__}-{case.id}")
                for module in (linalg, shape, indexing) for case in module.HELPER_CASES]
_CALLERS = {}


def caller_of(helper, arity):
    """``call_helper(a0, a1, ...) = rt.<helper>(a0, a1, ...)``, with source."""
    key = (helper.__name__, arity)
    if key not in _CALLERS:
        arguments = ", ".join(f"a{i}" for i in range(arity))
        source = f"def call_helper({arguments}):\n    return rt.{helper.__name__}({arguments})\n"
        filename = f"<batched helper {helper.__name__}/{arity}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = {"rt": runtime}
        exec(compile(source, filename, "exec"), namespace)
        _CALLERS[key] = namespace["call_helper"]
    return _CALLERS[key]


@pytest.mark.parametrize("case", HELPER_CASES)
def test_runtime_helper_rules(case):
    """The tangent rules of the helpers generated adjoint code calls (what rg.hessian runs)."""
    f = caller_of(case.helper, len(case.args))
    wrt = case.moving[0] if len(case.moving) == 1 else tuple(case.moving)
    check_batched(f, case.args, wrt)


def test_every_tangent_rule_has_a_batched_rule():
    """A new tangent rule must say how it serves batched tangents (or join the list above)."""
    rules.load_families()
    missing = set()
    for table, batched in ((rules.TANGENTS, rules.BATCH_TANGENTS),
                           (rules.TANGENT_METHODS, rules.BATCH_TANGENT_METHODS),
                           (rules.TANGENT_ATTRIBUTES, rules.BATCH_TANGENT_ATTRIBUTES)):
        missing |= {rule.name for key, rule in table.items() if key not in batched}
    assert missing == WITHOUT_BATCHED_RULE, sorted(missing ^ WITHOUT_BATCHED_RULE)


# =============================================================================================
# control flow, helpers, containers, in-place updates
# =============================================================================================

def loop_with_reads(x, w):
    total = 0.0
    for i in range(len(x)):
        total = total + np.tanh(x[i] * w[i]) * x[-1 - i]
    return total * np.sum(x)


def while_loop(x):
    while np.sum(x * x) < 50.0:
        x = x * 1.5 + 0.1
    return x


def branches(x, s):
    if np.sum(x) > 0.0:
        y = x * s
    elif s > 1.0:
        y = np.exp(x)
    else:
        y = x
    return y[1:] * y[:-1]


def scale(v, a, b=0.5):
    return a * v + b


def helper_calls(x, s):
    return scale(np.sin(x), s) * scale(x, x, b=s)


def in_place(x):
    y = np.zeros((2, len(x)))
    for i in range(len(x)):
        y[0, i] = x[i] * x[i]
        y[1, i] = np.sin(x[i])
    y[:, 0] = x[:2]
    y[1] += x
    return y


def lists_and_dicts(p, xs):
    out = []
    for x in xs:
        out.append(np.tanh(x @ p["w"] + p["b"]))
    return np.stack(out) * len(out)


def matrix_program(a, v):
    m = a.T @ a
    for _ in range(3):
        v = m @ v / np.sqrt(v @ v)
    return np.outer(v, v) - np.diag(np.diagonal(m)) + np.trace(m)


def early_exit(x):
    total = 0.0
    for i in range(len(x)):
        if x[i] > 1.5:
            break
        total = total + x[i] ** 3
    return total


PROGRAMS = [
    (loop_with_reads, (np.linspace(-1.0, 1.0, 5), np.linspace(0.5, 1.5, 5)), (0, 1)),
    (while_loop, (np.array([0.3, 0.7, -0.4]),), 0),
    (branches, (np.array([0.3, 0.7, -0.4]), 1.3), (0, 1)),
    (branches, (np.array([-0.3, -0.7, -0.4]), 0.3), (0, 1)),
    (helper_calls, (np.array([0.3, 0.7, -0.4]), 0.8), (0, 1)),
    (in_place, (np.array([0.3, 0.7, -0.4, 1.1]),), 0),
    (lists_and_dicts, ({"w": np.ones((3, 2)) * 0.3, "b": np.array([0.1, -0.2])},
                       [np.array([0.3, 0.7, -0.4]), np.array([1.0, 0.5, 0.2])]), (0, 1)),
    (matrix_program, (np.arange(9.0).reshape(3, 3) / 9.0 + np.eye(3), np.ones(3)), (0, 1)),
    (early_exit, (np.array([0.3, 0.7, 2.0, 0.1]),), 0),
]


@pytest.mark.parametrize("f, args, wrt", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_programs(f, args, wrt):
    check_batched(f, args, wrt)


@pytest.mark.parametrize("f, args, wrt", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_programs_through_their_gradient_code(f, args, wrt):
    """Batched forward mode over generated adjoint code: what rg.hessian runs."""
    if any(isinstance(a, (list, dict)) for a in args) or np.ndim(f(*args)) != 0:
        f = _summed(f)
    check_batched(rg.grad(f, wrt=0), args, 0)


def summed_while_loop(x):
    return np.sum(while_loop(x) ** 2)


def summed_branches(x, s):
    return np.sum(branches(x, s) ** 2)


def summed_helper_calls(x, s):
    return np.sum(helper_calls(x, s) ** 2)


def summed_in_place(x):
    return np.sum(in_place(x) ** 2)


def summed_lists_and_dicts(p, xs):
    return np.sum(lists_and_dicts(p, xs) ** 2)


def summed_matrix_program(a, v):
    return np.sum(matrix_program(a, v) ** 2)


def summed_uses_custom_rule(x):
    return np.sum(uses_custom_rule(x) ** 2)


def _summed(f):
    """``np.sum(f(...) ** 2)``: a scalar function to take second derivatives of (each its own
    ``def``: derived functions are cached per function)."""
    return globals()[f"summed_{f.__name__}"]


def test_generated_code_reads_like_the_single_direction_code():
    source = check_batched(loop_with_reads, (np.linspace(-1.0, 1.0, 5),
                                             np.linspace(0.5, 1.5, 5)), (0, 1))
    assert "dx[:, i]" in source and "dx[:, -1 - i]" not in source or "dx[:, " in source, source
    assert "def jvp_batch_loop_with_reads(x, w, *, dx, dw):" in source, source
    assert "for " in source                      # loops stay loops


def test_a_user_tangent_rule_falls_back_to_one_pass_each():
    check_batched(uses_custom_rule, (np.array([0.3, 1.7, -0.4]),), batched_code=False)
    assert api._batched_source(rg.jvp(uses_custom_rule), np.array([0.3, 1.7, -0.4])) is None


def hard_round(x):
    return np.round(x * 4.0) / 4.0


@rg.register_tangent(hard_round)
def _hard_round_tangent(dargs, out, x):
    return dargs[0]


@rg.register_adjoint(hard_round)
def _hard_round_adjoint(dout, out, x):
    return dout


def uses_custom_rule(x):
    return np.sin(hard_round(x)) * x


def test_hessian_through_a_user_tangent_rule_falls_back_to_one_pass_each():
    x = np.array([0.3, 1.7, -0.4])
    target = _summed(uses_custom_rule)
    assert api._batched_source(rg.jvp(rg.grad(target)), x) is None
    assert_close(rg.hessian(target)(x), _hessian_by_loop(target, [x]), rtol=1e-12, atol=0)


def test_batched_tangents_must_agree_on_the_number_of_directions():
    with pytest.raises(rg.DifferentiationError):
        rg.jvp(loop_with_reads, wrt=(0, 1))(np.ones(3), np.ones(3),
                                            tangent=(np.ones((2, 3)), np.ones((3, 3))),
                                            batched=True)


# =============================================================================================
# hessian, jacobian and grad(grad(f)) through batched tangents
# =============================================================================================

def _hessian_by_differences(f, args, step=1e-5):
    gradient = rg.grad(f)
    x = np.asarray(args[0], dtype=float)
    columns = []
    for k in range(x.size):
        move = np.zeros(x.shape)
        move.flat[k] = step
        plus = gradient(x + move, *args[1:])
        minus = gradient(x - move, *args[1:])
        columns.append((np.asarray(plus) - np.asarray(minus)) / (2 * step))
    return np.reshape(np.stack(columns), x.shape + x.shape)     # symmetric


def _hessian_by_loop(f, args):
    """The old way: one jvp of the gradient per unit vector."""
    forward = rg.jvp(rg.grad(f))
    x = np.asarray(args[0], dtype=float)
    columns = []
    for k in range(x.size):
        direction = np.zeros(x.shape)
        direction.flat[k] = 1.0
        columns.append(forward(x, *args[1:], tangent=direction if x.shape else 1.0)[1])
    return np.reshape(np.stack(columns), x.shape + x.shape)


def energy(x, w):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + w[i] * (x[i + 1] - x[i] ** 2) ** 2 + np.cos(x[i])
    return total + np.sum(np.tanh(x) * x)


def network(m, data):
    hidden = np.tanh(data @ m)
    return np.mean(np.log1p(hidden * hidden)) + np.sum(m * m) * 0.1


def scalar_loop(s):
    value = 1.0
    k = 0
    while k < 4:
        value = value * s + np.sin(value)
        k = k + 1
    return value


HESSIANS = [
    (energy, [np.linspace(-0.8, 0.9, 6), np.linspace(1.0, 2.0, 6)]),
    (network, [np.arange(6.0).reshape(3, 2) / 7.0, np.linspace(-1.0, 1.0, 12).reshape(4, 3)]),
    (scalar_loop, [0.7]),
    (helper_calls, [np.array([0.3, 0.7, -0.4]), 0.8]),
]


@pytest.mark.parametrize("f, args", [_h[:2] for _h in HESSIANS],
                         ids=[_h[0].__name__ for _h in HESSIANS])
def test_hessian_agrees_with_differences_and_with_the_loop_of_jvps(f, args):
    target = f if np.ndim(f(*args)) == 0 else _summed(f)
    hessian = rg.hessian(target)(*args)
    assert np.shape(hessian) == np.shape(args[0]) * 2
    assert api._batched_source(rg.jvp(rg.grad(target)), *args) is not None
    assert_close(hessian, _hessian_by_loop(target, args), rtol=1e-10, atol=1e-12)
    assert_close(hessian, _hessian_by_differences(target, args), rtol=1e-5, atol=1e-6)


def two_scalars(a, b):
    total = 0.0
    for k in range(3):
        total = total + np.sin(a * b + k) * a
    return total


def test_grad_of_grad_uses_one_batched_pass():
    second = rg.grad(rg.grad(scalar_loop))(0.7)
    assert isinstance(second, float)
    assert_close(second, float(_hessian_by_loop(scalar_loop, [0.7])), rtol=1e-10)
    assert_close(second, float(_hessian_by_differences(scalar_loop, [0.7])), rtol=1e-5)
    mixed = rg.grad(rg.grad(two_scalars, wrt=0), wrt=(0, 1))(0.4, 1.3)
    step = 1e-5
    gradient = rg.grad(two_scalars, wrt=0)
    expected = ((gradient(0.4 + step, 1.3) - gradient(0.4 - step, 1.3)) / (2 * step),
                (gradient(0.4, 1.3 + step) - gradient(0.4, 1.3 - step)) / (2 * step))
    assert_close(np.array(mixed), np.array(expected), rtol=1e-5, atol=1e-7)


def test_forward_jacobian_agrees_with_reverse_rows():
    x = np.linspace(-1.0, 1.0, 4)
    forward = rg.jacobian(in_place, mode="forward")(x)
    reverse = rg.jacobian(in_place, mode="reverse")(x)
    assert forward.shape == (2, 4, 4)
    assert_close(forward, reverse, rtol=1e-10, atol=1e-12)


def test_forward_jacobian_of_several_arguments_in_one_pass():
    args = (np.array([0.3, 0.7, -0.4]), 1.3)
    x_part = rg.jacobian(branches, wrt=0, mode="forward")(*args)
    s_part = rg.jacobian(branches, wrt=1, mode="forward")(*args)
    reverse_x = rg.jacobian(branches, wrt=0, mode="reverse")(*args)
    reverse_s = rg.jacobian(branches, wrt=1, mode="reverse")(*args)
    assert_close(x_part, reverse_x, rtol=1e-10, atol=1e-12)
    assert_close(s_part, reverse_s, rtol=1e-10, atol=1e-12)
