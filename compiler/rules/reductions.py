"""Adjoint rules of reductions: sum, mean, prod, max/min, var/std, cumulative sums.

A reduction's cotangent has the reduced shape; ``rt.unreduce`` puts the reduced axes back
and spreads it over the input's shape.
"""
import builtins

import numpy as np

from . import adjoint

rt = None


@adjoint(np.sum, methods=("sum",))
def sum(dz, z, x, axis=None, dtype=None, keepdims=False):
    if axis is None and not keepdims:
        dx = np.full(np.shape(x), dz)
    else:
        dx = rt.unreduce(dz, x, axis, keepdims)


@adjoint(builtins.sum)
def builtin_sum(dz, z, x, start=0):
    dx = rt.unreduce_sequence(dz, x)
    dstart = dz


@adjoint(np.mean, methods=("mean",))
def mean(dz, z, x, axis=None, dtype=None, keepdims=False):
    if axis is None and not keepdims:
        dx = np.full(np.shape(x), dz / np.size(x))
    else:
        dx = rt.unreduce(dz, x, axis, keepdims) * (np.size(z) / np.size(x))


@adjoint(np.prod, methods=("prod",))
def prod(dz, z, x, axis=None, dtype=None, keepdims=False):
    dx = rt.prod_adjoint(dz, x, axis, keepdims)


@adjoint(np.max, np.amax, methods=("max",))
def max(dz, z, x, axis=None, keepdims=False):
    dx = rt.extremum_adjoint(dz, z, x, axis, keepdims)


@adjoint(np.min, np.amin, methods=("min",))
def min(dz, z, x, axis=None, keepdims=False):
    dx = rt.extremum_adjoint(dz, z, x, axis, keepdims)


@adjoint(np.var, methods=("var",))
def var(dz, z, x, axis=None, dtype=None, ddof=0, keepdims=False):
    dx = rt.unreduce(dz, x, axis, keepdims) * (2.0 / (np.size(x) / np.size(z) - ddof)) \
        * (x - np.mean(x, axis=axis, keepdims=True))


@adjoint(np.std, methods=("std",))
def std(dz, z, x, axis=None, dtype=None, ddof=0, keepdims=False):
    dx = rt.unreduce(dz / (z * (np.size(x) / np.size(z) - ddof)), x, axis, keepdims) \
        * (x - np.mean(x, axis=axis, keepdims=True))


@adjoint(np.cumsum, methods=("cumsum",))
def cumsum(dz, z, x, axis=None, dtype=None):
    dx = rt.cumsum_adjoint(dz, x, axis)


@adjoint(np.cumprod, methods=("cumprod",))
def cumprod(dz, z, x, axis=None, dtype=None):
    dx = rt.cumprod_adjoint(dz, z, x, axis)
