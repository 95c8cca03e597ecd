"""Adjoint and tangent rules of reductions: sum, mean, prod, max/min, var/std, cumulative
sums and products, and of the runtime helpers their adjoints call.

A reduction's cotangent has the reduced shape; ``rt.unreduce`` puts the reduced axes back
and spreads it over the input's shape. A reduction's tangent is the same reduction of the
input's tangent, weighted where the reduction is not linear.
"""
import builtins

import numpy as np

import retrograd.runtime as runtime

from . import adjoint, tangent

rt = None


@adjoint(np.sum, methods=("sum",))
def sum(dz, z, x, axis=None, dtype=None, keepdims=False):
    if axis is None and not keepdims:
        dx = np.full(np.shape(x), dz)
    else:
        dx = rt.unreduce(dz, x, axis, keepdims)


@tangent(np.sum, methods=("sum",))
def sum_tangent(z, x, axis=None, dtype=None, keepdims=False):
    if axis is None and not keepdims:
        dz = np.sum(dx)
    elif not keepdims:
        dz = np.sum(dx, axis=axis)
    else:
        dz = np.sum(dx, axis=axis, keepdims=keepdims)


@adjoint(builtins.sum)
def builtin_sum(dz, z, x, start=0):
    dx = rt.unreduce_sequence(dz, x)
    dstart = rt.unbroadcast(dz, start)


@tangent(builtins.sum)
def builtin_sum_tangent(z, x, start=0):
    dz = sum(dx)
    dz = rt.broadcast_like(dstart, z)


@adjoint(np.mean, methods=("mean",))
def mean(dz, z, x, axis=None, dtype=None, keepdims=False):
    if axis is None and not keepdims:
        dx = np.full(np.shape(x), dz / np.size(x))
    else:
        dx = rt.unreduce(dz, x, axis, keepdims) * (np.size(z) / np.size(x))


@tangent(np.mean, methods=("mean",))
def mean_tangent(z, x, axis=None, dtype=None, keepdims=False):
    if axis is None and not keepdims:
        dz = np.mean(dx)
    elif not keepdims:
        dz = np.mean(dx, axis=axis)
    else:
        dz = np.mean(dx, axis=axis, keepdims=keepdims)


@adjoint(np.prod, methods=("prod",))
def prod(dz, z, x, axis=None, dtype=None, keepdims=False):
    dx = rt.prod_adjoint(dz, x, axis, keepdims)


@tangent(np.prod, methods=("prod",))
def prod_tangent(z, x, axis=None, dtype=None, keepdims=False):
    dz = rt.prod_tangent(dx, x, axis, keepdims)


@adjoint(np.max, np.amax, methods=("max",))
def max(dz, z, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        # Tied maxima share the cotangent equally.
        dx = dz * (x == z) / np.sum(x == z)
    else:
        dx = rt.extremum_adjoint(dz, z, x, axis, keepdims)


@tangent(np.max, np.amax, methods=("max",))
def max_tangent(z, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        # The mean tangent of tied maxima, as their adjoints share the cotangent equally.
        dz = np.sum(dx * (x == z)) / np.sum(x == z)
    else:
        dz = rt.extremum_tangent(dx, z, x, axis, keepdims)


@adjoint(np.min, np.amin, methods=("min",))
def min(dz, z, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        dx = dz * (x == z) / np.sum(x == z)
    else:
        dx = rt.extremum_adjoint(dz, z, x, axis, keepdims)


@tangent(np.min, np.amin, methods=("min",))
def min_tangent(z, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        dz = np.sum(dx * (x == z)) / np.sum(x == z)
    else:
        dz = rt.extremum_tangent(dx, z, x, axis, keepdims)


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


@tangent(np.var, methods=("var",))
def var_tangent(z, x, axis=None, dtype=None, ddof=0, keepdims=False):
    # The deviations sum to zero, so the tangent of the mean drops out.
    if axis is None and not keepdims:
        if ddof == 0:
            dz = 2.0 * np.mean((x - np.mean(x)) * dx)
        else:
            dz = 2.0 * np.sum((x - np.mean(x)) * dx) / (np.size(x) - ddof)
    elif ddof == 0:
        dz = 2.0 * np.mean((x - np.mean(x, axis=axis, keepdims=True)) * dx, axis=axis,
                           keepdims=keepdims)
    else:
        dz = 2.0 * np.sum((x - np.mean(x, axis=axis, keepdims=True)) * dx, axis=axis,
                          keepdims=keepdims) / (np.size(x) / np.size(z) - ddof)


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


@tangent(np.std, methods=("std",))
def std_tangent(z, x, axis=None, dtype=None, ddof=0, keepdims=False):
    if axis is None and not keepdims:
        if ddof == 0:
            dz = np.mean((x - np.mean(x)) * dx) / z
        else:
            dz = np.sum((x - np.mean(x)) * dx) / (z * (np.size(x) - ddof))
    elif ddof == 0:
        dz = np.mean((x - np.mean(x, axis=axis, keepdims=True)) * dx, axis=axis,
                     keepdims=keepdims) / z
    else:
        dz = np.sum((x - np.mean(x, axis=axis, keepdims=True)) * dx, axis=axis,
                    keepdims=keepdims) / (z * (np.size(x) / np.size(z) - ddof))


@adjoint(np.cumsum, methods=("cumsum",))
def cumsum(dz, z, x, axis=None, dtype=None):
    if np.ndim(x) == 1:
        dx = np.flip(np.cumsum(np.flip(dz)))
    else:
        dx = rt.cumsum_adjoint(dz, x, axis)


@tangent(np.cumsum, methods=("cumsum",))
def cumsum_tangent(z, x, axis=None, dtype=None):
    if axis is None:
        dz = np.cumsum(dx)
    else:
        dz = np.cumsum(dx, axis=axis)


@adjoint(np.cumprod, methods=("cumprod",))
def cumprod(dz, z, x, axis=None, dtype=None):
    dx = rt.cumprod_adjoint(dz, z, x, axis)


@tangent(np.cumprod, methods=("cumprod",))
def cumprod_tangent(z, x, axis=None, dtype=None):
    dz = rt.cumprod_tangent(dx, z, x, axis)


# --- the runtime helpers the adjoints above call ----------------------------------------------
# Each is linear in its cotangent argument ``g``; the output is ``out`` here, since ``z`` is a
# helper's own parameter.

@tangent(runtime.unreduce_sequence)
def unreduce_sequence_tangent(out, g, x):
    dout = rt.unreduce_sequence(dg, x)


@tangent(runtime.prod_adjoint)
def prod_adjoint_tangent(out, g, x, axis, keepdims):
    dout = rt.prod_adjoint(dg, x, axis, keepdims)
    dout = rt.prod_adjoint_tangent(g, x, dx, axis, keepdims)


@tangent(runtime.extremum_adjoint)
def extremum_adjoint_tangent(out, g, z, x, axis, keepdims):
    # The mask of the extreme elements is constant where it is differentiable.
    dout = rt.extremum_adjoint(dg, z, x, axis, keepdims)


@tangent(runtime.cumsum_adjoint)
def cumsum_adjoint_tangent(out, g, x, axis):
    dout = rt.cumsum_adjoint(dg, x, axis)


@tangent(runtime.cumprod_adjoint)
def cumprod_adjoint_tangent(out, g, z, x, axis):
    # ``z`` is ``np.cumprod(x, axis)`` wherever generated code calls this: ``dx`` carries the
    # tangent of both.
    dout = rt.cumprod_adjoint(dg, z, x, axis)
    dout = rt.cumprod_adjoint_tangent(g, x, dx, axis)
