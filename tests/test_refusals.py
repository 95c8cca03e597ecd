"""Everything outside the supported subset is refused with DifferentiationError, pointing at the
file and line of the construct, quoting it, and saying what to do instead (DESIGN section 5)."""
import inspect
import re

import numpy as np
import pytest

import retrograd as rg
import refusal_cases as cases

SOURCE = inspect.getsource(cases).splitlines()


def line_of(marker):
    """The line of refusal_cases.py carrying ``# REFUSE: marker``."""
    for number, text in enumerate(SOURCE, start=1):
        if re.search(r"#\s*REFUSE(-DEF)?:\s*" + re.escape(marker), text):
            return number
    raise AssertionError(f"no line marked {marker!r}")


def refusal(function, *args, wrt=0):
    with pytest.raises(rg.DifferentiationError) as caught:
        rg.grad(function, wrt=wrt)(*args)
    return caught.value


@pytest.mark.parametrize("function, args, marker, words", [
    (cases.generator, (1.0,), "yield", "generator"),
    (cases.yield_from, (1.0,), "yield from", "generator"),
    (cases.global_write, (1.0,), "global", "global"),
    (cases.try_block, (1.0,), "try", "try"),
    (cases.with_block, (1.0,), "with", "with"),
    (cases.unknown_call, (1.5,), "math.gamma", "math.gamma"),
    (cases.unknown_method, (np.ones(3),), "conj", "conj"),
    (cases.walrus, (1.0,), "walrus", "walrus"),
    (cases.comprehension, (np.ones(3),), "list comprehensions", "comprehension"),
    (cases.lambda_inside, (1.0,), "lambda", "lambda"),
    (cases.star_call, (1.0, [np.ones(2), np.ones(2)]), "starred", "starred"),
    (cases.nested_subscript_assignment, (1.0,), "nested", "y[i, j]"),
    (cases.set_display, (1.0,), "sets", "set"),
], ids=lambda value: getattr(value, "__name__", None))
def test_construct_is_refused_at_its_line(function, args, marker, words):
    error = refusal(function, *args)
    assert error.filename.endswith("refusal_cases.py")
    assert error.lineno == line_of(marker)
    assert error.source_line.strip() == SOURCE[error.lineno - 1].strip()
    assert words.lower() in str(error).lower()
    assert error.hint, "a refusal says what to do instead"


def test_async_function_is_refused_at_its_definition():
    error = refusal(cases.coroutine, 1.0)
    assert error.lineno == line_of("async") - 1 and "async" in str(error)


def test_star_args_function_is_refused():
    error = refusal(cases.star_args, 1.0)
    assert "*args" in str(error) and error.filename.endswith("refusal_cases.py")


def test_nested_function_with_nonlocal_is_refused():
    error = refusal(cases.nonlocal_write, 1.0)
    assert error.filename.endswith("refusal_cases.py") and error.hint


def test_non_scalar_output_to_grad_is_refused():
    with pytest.raises(rg.DifferentiationError, match="scalar") as caught:
        rg.grad(cases.vector_output)(np.ones(3))
    assert "vjp" in str(caught.value) or "jacobian" in str(caught.value)


def test_wrt_on_an_integer_argument_is_refused():
    with pytest.raises(rg.DifferentiationError, match="integer") as caught:
        rg.grad(cases.integer_argument, wrt=1)(2.0, 3)
    assert caught.value.filename.endswith("refusal_cases.py")


def test_wrt_on_an_integer_array_is_refused():
    with pytest.raises(rg.DifferentiationError, match="integer"):
        rg.grad(cases.integer_argument, wrt=0)(np.arange(3), 2.0)


@pytest.mark.parametrize("wrt", [2, -3, "z", (0, 0), 1.5])
def test_bad_wrt_is_refused_when_the_derivative_is_made(wrt):
    with pytest.raises(rg.DifferentiationError) as caught:
        rg.grad(cases.integer_argument, wrt=wrt)
    assert "wrt" in str(caught.value)


@pytest.mark.parametrize("function", [np.sin, len, math_sqrt := __import__("math").sqrt])
def test_functions_without_python_source_are_refused(function):
    with pytest.raises(rg.DifferentiationError, match="source|signature") as caught:
        rg.grad(function)(1.0)
    assert "register_adjoint" in str(caught.value) or "def" in str(caught.value)


def test_lambda_target_is_refused():
    with pytest.raises(rg.DifferentiationError, match="lambda|def"):
        rg.grad(lambda x: x * x)(1.0)


def test_internal_failures_are_reported_as_differentiation_errors(monkeypatch):
    from retrograd.passes import normalize

    def broken(tree, context):
        raise KeyError("simulated bug")
    monkeypatch.setattr(normalize, "run", broken)

    def f(x):
        return x * 2.0
    with pytest.raises(rg.DifferentiationError, match="bug in retrograd") as caught:
        rg.grad(f)(1.0)
    assert caught.value.filename.endswith("test_refusals.py")
