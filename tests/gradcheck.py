"""Shared checking utilities: gradients against central differences, in float64."""
import numpy as np

import retrograd as rg


def numeric(f, args, position, eps=1e-6):
    """Central-difference gradient of scalar ``f`` w.r.t. ``args[position]``."""
    return rg.numeric_gradient(f, args, position, eps)


def assert_close(got, expected, rtol=1e-5, atol=1e-7, path="gradient"):
    """Compare (nested) gradients leaf by leaf, with a message naming the leaf."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{path}: expected a dict, got {type(got).__name__}"
        assert set(got) == set(expected), f"{path}: keys {set(got)} != {set(expected)}"
        for key in expected:
            assert_close(got[key], expected[key], rtol, atol, f"{path}[{key!r}]")
        return
    if isinstance(expected, (list, tuple)):
        assert isinstance(got, type(expected)), \
            f"{path}: expected {type(expected).__name__}, got {type(got).__name__}"
        assert len(got) == len(expected), f"{path}: length {len(got)} != {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_close(g, e, rtol, atol, f"{path}[{i}]")
        return
    got_array, expected_array = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got_array.shape == expected_array.shape, \
        f"{path}: shape {got_array.shape} != {expected_array.shape}"
    np.testing.assert_allclose(got_array, expected_array, rtol=rtol, atol=atol, err_msg=path)


def check_gradient(f, *args, wrt=0, rtol=1e-5, atol=1e-7):
    """Assert that rg.grad(f, wrt) matches central differences at ``args``; return it."""
    got = rg.grad(f, wrt=wrt)(*args)
    positions = _positions(f, wrt)
    expected = [numeric(f, args, p) for p in positions]
    if isinstance(wrt, (tuple, list)):
        assert_close(tuple(got), tuple(expected), rtol, atol)
    else:
        assert_close(got, expected[0], rtol, atol)
    return got


def _positions(f, wrt):
    import inspect
    params = list(inspect.signature(f).parameters)
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    return [params.index(w) if isinstance(w, str) else w for w in items]
