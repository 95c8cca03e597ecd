"""The public API's contract: forms, structure of gradients, caching, threads, custom rules,
and the documented conventions at points where a function has no derivative."""
import threading

import numpy as np
import pytest

import retrograd as rg
from gradcheck import assert_close, check_gradient


def loss(w, x, y=2.0):
    return np.sum(np.tanh(x @ w) * y)


X = np.random.default_rng(0).standard_normal((4, 3))
W = np.random.default_rng(1).standard_normal(3)


def test_derived_function_keeps_the_signature_and_defaults():
    import inspect
    derived = rg.grad(loss)
    assert list(inspect.signature(derived).parameters) == ["w", "x", "y"]
    assert_close(derived(W, X), derived(W, X, 2.0))
    assert_close(derived(W, x=X, y=3.0), 1.5 * derived(W, X))


def test_compiling_twice_is_cached():
    from retrograd import api
    derived = rg.grad(loss)
    derived(W, X)
    size = len(api._CACHE)
    rg.grad(loss)(W, X)
    assert len(api._CACHE) == size


def test_value_and_grad_agrees_with_grad():
    value, gradient = rg.value_and_grad(loss)(W, X)
    assert_close(value, loss(W, X))
    assert_close(gradient, rg.grad(loss)(W, X))


def test_vjp_pullback_can_be_called_twice():
    def vector(v):
        out = v * 1.0
        for i in range(3):
            out = np.sin(out) + v
        return out
    value, pullback = rg.vjp(vector)(W)
    first, second = pullback(np.ones(3)), pullback(np.ones(3))
    assert_close(first, second)
    assert_close(value, vector(W))


def test_decorator_forms():
    @rg.grad
    def square_grad(x):
        return x * x

    @rg.grad(wrt="b")
    def second_grad(a, b):
        return a * b * b
    assert_close(square_grad(3.0), 6.0)
    assert_close(second_grad(2.0, 3.0), 12.0)


def test_gradients_have_the_structure_of_their_arguments():
    def f(params, x):
        return np.sum(params["w"] * x) + params["b"][0] * params["b"][1]
    params = {"w": np.ones(3), "b": (2.0, 5.0)}
    gradient = rg.grad(f)(params, np.arange(3.0))
    assert set(gradient) == {"w", "b"} and isinstance(gradient["b"], tuple)
    assert_close(gradient["w"], np.arange(3.0))
    assert_close(gradient["b"], (5.0, 2.0))


def test_unused_arguments_get_zero_gradients_of_their_shape():
    def f(x, unused):
        return x * 2.0
    gx, gu = rg.grad(f, wrt=(0, 1))(1.0, np.ones((2, 2)))
    assert gx == 2.0 and isinstance(gu, np.ndarray) and gu.shape == (2, 2) and not gu.any()


def test_many_threads_compile_once_and_agree():
    def threaded(v):
        total = 0.0
        for i in range(len(v)):
            total = total + np.sin(v[i]) * i
        return total
    from retrograd import api
    derived = rg.grad(threaded)
    results, errors = [], []
    compiles = []
    original = api.pipeline.derive

    def counting(*args, **kwargs):
        compiles.append(1)
        return original(*args, **kwargs)
    api.pipeline.derive = counting
    try:
        def work():
            try:
                results.append(derived(np.linspace(0.1, 1.0, 5)))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        threads = [threading.Thread(target=work) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        api.pipeline.derive = original
    assert not errors
    assert len(compiles) == 1
    for result in results:
        assert_close(result, np.cos(np.linspace(0.1, 1.0, 5)) * np.arange(5))


# --- custom rules -------------------------------------------------------------------------

def hard_round(x):
    return np.round(x)


@rg.register_adjoint(hard_round)
def straight_through(dout, out, x):
    return dout


@rg.register_tangent(hard_round)
def hard_round_tangent(dargs, out, x):
    return dargs[0]


def uses_hard_round(x):
    return np.sum(hard_round(x * 3.0) * x)


def test_registered_adjoint_takes_precedence_over_the_body():
    x = np.array([0.2, 0.7, -1.4])
    got = rg.grad(uses_hard_round)(x)
    # straight-through: d/dx [round(3x) * x] = 3 * x + round(3x)
    assert_close(got, 3.0 * x + np.round(3.0 * x))


def test_registered_tangent_is_used_by_forward_mode():
    x = np.array([0.2, 0.7, -1.4])
    direction = np.array([1.0, -2.0, 0.5])
    _, derivative = rg.jvp(uses_hard_round)(x, tangent=direction)
    assert_close(derivative, np.dot(3.0 * x + np.round(3.0 * x), direction))


# --- conventions at non-differentiable points ----------------------------------------------

def test_abs_at_zero_has_zero_derivative():
    assert rg.grad(lambda_free_abs)(0.0) == 0.0


def lambda_free_abs(x):
    return abs(x)


def test_max_reduction_shares_the_gradient_among_ties():
    def f(v):
        return np.max(v)
    assert_close(rg.grad(f)(np.array([1.0, 3.0, 3.0])), np.array([0.0, 0.5, 0.5]))


def test_maximum_gives_ties_to_the_first_argument():
    def f(x, y):
        return np.maximum(x, y)
    assert rg.grad(f, wrt=(0, 1))(2.0, 2.0) == (1.0, 0.0)


def test_clip_passes_the_gradient_at_its_bounds():
    def f(x):
        return np.sum(np.clip(x, -1.0, 1.0))
    assert_close(rg.grad(f)(np.array([-1.0, 0.0, 1.0, 2.0])), np.array([1.0, 1.0, 1.0, 0.0]))


def test_where_sends_the_gradient_to_the_chosen_branch_only():
    def f(x):
        return np.sum(np.where(x > 0.0, x * x, -x))
    assert_close(rg.grad(f)(np.array([-1.0, 0.0, 2.0])), np.array([-1.0, -1.0, 4.0]))


def test_check_grad_reports_small_error_for_correct_gradients():
    assert rg.check_grad(loss, W, X) < 1e-6


def test_check_gradient_helper_catches_a_wrong_rule():
    def wrong(x):
        return np.sum(np.round(x * 3.0) * x)
    # the true gradient of a piecewise-constant factor is not what central differences see
    # across a jump: x = 0.5 / 3 sits exactly on one
    with pytest.raises(AssertionError):
        check_gradient(wrong, np.array([0.5 / 3.0, 0.4]))


def softsign(x):
    return x / (1.0 + abs(x))


def test_checked_rule_is_accepted_when_right():
    @rg.register_adjoint(softsign, check=True)
    def softsign_adjoint(dout, out, x):
        return dout / (1.0 + abs(x)) ** 2

    def f(x):
        return softsign(x * 2.0)
    assert_close(rg.grad(f)(0.3), 2.0 / (1.0 + 0.6) ** 2)


def scaled(x, y):
    return x * y * 3.0


def test_checked_rule_is_refused_when_wrong():
    with pytest.raises(rg.DifferentiationError, match="disagrees") as caught:
        @rg.register_adjoint(scaled, check=True)
        def scaled_adjoint(dout, out, x, y):
            return dout * y, dout * x          # forgot the 3.0
    assert "argument `x`" in str(caught.value)
