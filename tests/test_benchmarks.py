"""The benchmark workloads: retrograd's gradient equals the hand-written adjoint (small size).

Nothing is timed here; `python benchmarks/run.py` does the timing.
"""
import os
import sys

import numpy as np
import pytest

import retrograd as rg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))
import workloads  # noqa: E402


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("workload", workloads.WORKLOADS, ids=lambda w: w.name)
def test_retrograd_gradient_equals_hand_written_adjoint(workload):
    args = workloads.make_inputs(workload, "small")
    got = _as_tuple(rg.grad(workload.forward, wrt=workload.wrt)(*args))
    want = _as_tuple(workload.adjoint(*args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("workload", workloads.WORKLOADS, ids=lambda w: w.name)
def test_hand_written_adjoint_matches_finite_differences(workload):
    args = workloads.make_inputs(workload, "small")
    want = _as_tuple(workload.adjoint(*args))
    for position, gradient in zip(workloads.positions(workload), want):
        numeric = rg.numeric_gradient(workload.forward, args, position)
        np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7)


def test_compile_target_is_differentiated_correctly():
    args = workloads.compile_target_inputs(np.random.default_rng(0))
    assert rg.check_grad(workloads.fresh_compile_target(), *args) < 1e-5
