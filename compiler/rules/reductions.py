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
    dstart = rt.unbroadcast(dz, start)


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
    if axis is None and not keepdims:
        # Tied maxima share the cotangent equally.
        dx = dz * (x == z) / np.sum(x == z)
    else:
        dx = rt.extremum_adjoint(dz, z, x, axis, keepdims)


@adjoint(np.min, np.amin, methods=("min",))
def min(dz, z, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        dx = dz * (x == z) / np.sum(x == z)
    else:
        dx = rt.extremum_adjoint(dz, z, x, axis, keepdims)


@adjoint(np.var, methods=("var",))
def var(dz, z, x, axis=None, dtype=None, ddof=0, keepdims=False):
    if axis is None and not keepdims:
        if ddof == 0:
            dx = dz * 2.0 * (x - np.mean(x)) / np.size(x)
        else:
            dx = dz * 2.0 * (x - np.mean(x)) / (np.size(x) - ddof)
    elif ddof == 0:
        dx = rt.unreduce(dz, x, axis, keepdims) * 2.0 \
            * (x - np.mean(x, axis=axis, keepdims=True)) * (np.size(z) / np.size(x))
    else:
        dx = rt.unreduce(dz, x, axis, keepdims) * 2.0 \
            * (x - np.mean(x, axis=axis, keepdims=True)) / (np.size(x) / np.size(z) - ddof)


@adjoint(np.std, methods=("std",))
def std(dz, z, x, axis=None, dtype=None, ddof=0, keepdims=False):
    if axis is None and not keepdims:
        if ddof == 0:
            dx = dz * (x - np.mean(x)) / (z * np.size(x))
        else:
            dx = dz * (x - np.mean(x)) / (z * (np.size(x) - ddof))
    elif ddof == 0:
        dx = rt.unreduce(dz / z * (np.size(z) / np.size(x)), x, axis, keepdims) \
            * (x - np.mean(x, axis=axis, keepdims=True))
    else:
        dx = rt.unreduce(dz / (z * (np.size(x) / np.size(z) - ddof)), x, axis, keepdims) \
            * (x - np.mean(x, axis=axis, keepdims=True))


@adjoint(np.cumsum, methods=("cumsum",))
def cumsum(dz, z, x, axis=None, dtype=None):
    if np.ndim(x) == 1:
        dx = np.flip(np.cumsum(np.flip(dz)))
    else:
        dx = rt.cumsum_adjoint(dz, x, axis)


@adjoint(np.cumprod, methods=("cumprod",))
def cumprod(dz, z, x, axis=None, dtype=None):
    dx = rt.cumprod_adjoint(dz, z, x, axis)
