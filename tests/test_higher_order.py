"""Forward mode, derivatives of derivatives, Hessians, HVPs and Jacobians, on programs with
loops and branches, against finite differences of gradients and against reverse mode."""
import numpy as np
import pytest

import retrograd as rg
from gradcheck import assert_close

RNG = np.random.default_rng(7)
V = RNG.uniform(0.2, 0.9, 4)
M = RNG.standard_normal((3, 4))


def looped(v):
    total = 0.0
    for i in range(len(v)):
        if v[i] > 0.5:
            total = total + np.sin(v[i]) * v[i]
        else:
            total = total + v[i] ** 3
    return total * total


def with_while(x):
    steps = 0
    y = x
    while y < 4.0:
        y = y * 1.5 + x * x
        steps = steps + 1
    return y * np.log(x + 1.0) + steps


def helper(a, b):
    return np.tanh(a) * b


def with_helper(v):
    out = 0.0
    for i in range(3):
        out = out + helper(v[i], v[i + 1])
    return out ** 2


def vector_valued(v):
    y = v * 1.0
    for k in range(2):
        y = np.sin(y) * v + np.cumsum(y)
    return M @ y


def numeric_jacobian(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(np.shape(f(x)) + x.shape)


@pytest.mark.parametrize("f", [looped, with_helper], ids=lambda f: f.__name__)
def test_hessian_matches_finite_differences_of_the_gradient(f):
    expected = numeric_jacobian(rg.grad(f), V)
    assert_close(rg.hessian(f)(V), expected, rtol=1e-4, atol=1e-6)


def test_hessian_of_a_scalar_function_with_a_while_loop():
    gradient = rg.grad(with_while)
    h = 1e-5
    expected = (gradient(1.3 + h) - gradient(1.3 - h)) / (2 * h)
    assert_close(rg.hessian(with_while)(1.3), expected, rtol=1e-4)


@pytest.mark.parametrize("f", [looped, with_helper], ids=lambda f: f.__name__)
def test_hvp_matches_the_hessian_times_a_vector(f):
    direction = RNG.standard_normal(V.shape)
    assert_close(rg.hvp(f)(V, direction), rg.hessian(f)(V) @ direction, rtol=1e-6)


def test_grad_of_grad_matches_finite_differences():
    second = rg.grad(rg.grad(with_while))
    first = rg.grad(with_while)
    h = 1e-5
    assert_close(second(1.3), (first(1.3 + h) - first(1.3 - h)) / (2 * h), rtol=1e-4)


def test_jvp_of_grad_is_a_hessian_vector_product():
    direction = RNG.standard_normal(V.shape)
    _, product = rg.jvp(rg.grad(looped))(V, tangent=direction)
    assert_close(product, numeric_jacobian(rg.grad(looped), V) @ direction, rtol=1e-4)


def two_inputs(x, y):
    z = x * y
    while np.sum(z * z) < 10.0:
        z = z * 1.5 + np.sin(y)
    return np.sum(z ** 2) + np.sum(x * y * y)


@pytest.mark.parametrize("f", [looped, with_helper], ids=lambda f: f.__name__)
def test_grad_of_jvp_is_the_gradient_of_the_directional_derivative(f):
    direction = RNG.standard_normal(V.shape)
    directional = rg.jvp(f)

    def along(v):
        return directional(v, tangent=direction)[1]
    assert_close(rg.grad(directional)(V, tangent=direction), numeric_jacobian(along, V),
                 rtol=1e-4, atol=1e-6)


def test_grad_of_jvp_with_respect_to_another_parameter():
    x, y = RNG.uniform(0.2, 0.9, 3), RNG.uniform(0.2, 0.9, 3)
    direction = RNG.standard_normal(3)
    directional = rg.jvp(two_inputs, wrt=0)

    def along(y_):
        return directional(x, y_, tangent=direction)[1]
    assert_close(rg.grad(directional, wrt=1)(x, y, tangent=direction),
                 numeric_jacobian(along, y), rtol=1e-4, atol=1e-6)


def test_grad_of_jvp_refuses_a_vector_valued_function():
    with pytest.raises(rg.DifferentiationError, match="scalar"):
        rg.grad(rg.jvp(vector_valued))(V, tangent=V)


@pytest.mark.parametrize("mode", ["forward", "reverse", None])
def test_jacobian_matches_finite_differences(mode):
    assert_close(rg.jacobian(vector_valued, mode=mode)(V), numeric_jacobian(vector_valued, V),
                 rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", [looped, with_helper, vector_valued], ids=lambda f: f.__name__)
def test_forward_and_reverse_mode_agree_by_the_dot_product_test(f):
    # <J v, w> == <v, J^T w> for random v (input direction) and w (output cotangent)
    v = RNG.standard_normal(V.shape)
    value, derivative = rg.jvp(f)(V, tangent=v)
    w = RNG.standard_normal(np.shape(value)) if np.ndim(value) else 1.3
    _, pullback = rg.vjp(f)(V)
    assert np.isclose(np.sum(np.asarray(derivative) * w), np.sum(v * pullback(w)), rtol=1e-9)


def test_jvp_through_loops_matches_central_differences():
    v = RNG.standard_normal(V.shape)
    _, derivative = rg.jvp(looped)(V, tangent=v)
    h = 1e-6
    assert_close(derivative, (looped(V + h * v) - looped(V - h * v)) / (2 * h), rtol=1e-5)


def test_jvp_with_several_parameters_takes_a_tuple_of_tangents():
    def f(x, y):
        return np.sum(np.sin(x) * y)
    x, y = np.array([0.1, 0.2]), np.array([1.0, 2.0])
    tx, ty = np.array([1.0, 0.0]), np.array([0.5, 0.5])
    _, derivative = rg.jvp(f, wrt=(0, 1))(x, y, tangent=(tx, ty))
    assert_close(derivative, np.sum(np.cos(x) * tx * y + np.sin(x) * ty))


def test_source_shows_forward_mode_code():
    text = rg.source(rg.jvp(looped), V)
    assert "def jvp_looped(v, *, dv):" in text and "for i in range(" in text
