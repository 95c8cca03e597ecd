"""Adjoint and tangent rules of reductions: sum, mean, prod, max/min, var/std, cumulative
sums and products, and of the runtime helpers their adjoints call.

A reduction's cotangent has the reduced shape; ``rt.unreduce`` puts the reduced axes back
and spreads it over the input's shape. A reduction's tangent is the same reduction of the
input's tangent, weighted where the reduction is not linear.
"""
import builtins

import numpy as np

import retrograd.runtime as runtime

from . import adjoint, batch_tangent, tangent

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


@batch_tangent(np.sum, methods=("sum",))
def sum_batch(z, x, axis=None, dtype=None, keepdims=False):
    if not keepdims:
        dz = np.sum(dx, axis=batch_axis(axis, x))
    else:
        dz = np.sum(dx, axis=batch_axis(axis, x), keepdims=keepdims)


@adjoint(builtins.sum)
def builtin_sum(dz, z, x, start=0):
    dx = rt.unreduce_sequence(dz, x)
    dstart = rt.unbroadcast(dz, start)


@tangent(builtins.sum)
def builtin_sum_tangent(z, x, start=0):
    dz = sum(dx)
    dz = rt.broadcast_like(dstart, z)


@batch_tangent(builtins.sum, sequences=("x",))
def builtin_sum_batch(z, x, start=0):
    if np.ndim(x) >= 1:
        dz = np.sum(dx, axis=1)
    else:   # a list, or an array of rank known only at run time
        dz = rt.batch.builtin_sum(dx)
    dz = rt.batch.broadcast_like(dstart, z)


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


@batch_tangent(np.mean, methods=("mean",))
def mean_batch(z, x, axis=None, dtype=None, keepdims=False):
    if not keepdims:
        dz = np.mean(dx, axis=batch_axis(axis, x))
    else:
        dz = np.mean(dx, axis=batch_axis(axis, x), keepdims=keepdims)


@adjoint(np.prod, methods=("prod",))
def prod(dz, z, x, axis=None, dtype=None, keepdims=False):
    dx = rt.prod_adjoint(dz, x, axis, keepdims)


@tangent(np.prod, methods=("prod",), batch="each")
def prod_tangent(z, x, axis=None, dtype=None, keepdims=False):
    dz = rt.prod_tangent(dx, x, axis, keepdims)


@adjoint(np.max, np.amax, methods=("max",))
def max(dz, z, x, axis=None, keepdims=False):
    # Tied maxima share the cotangent equally.
    if axis is None and not keepdims:
        top = x == z
        dx = top * (dz / np.sum(top))
    elif keepdims is True:
        top = x == z
        dx = top * (dz / np.sum(top, axis=axis, keepdims=True))
    elif isinstance(axis, (int, tuple)):
        top = x == np.expand_dims(z, axis)
        dx = top * (np.expand_dims(dz, axis) / np.sum(top, axis=axis, keepdims=True))
    else:       # axis or keepdims known only at run time
        dx = rt.extremum_adjoint(dz, z, x, axis, keepdims)


@tangent(np.max, np.amax, methods=("max",))
def max_tangent(z, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        # The mean tangent of tied maxima, as their adjoints share the cotangent equally.
        dz = np.sum(dx * (x == z)) / np.sum(x == z)
    else:
        dz = rt.extremum_tangent(dx, z, x, axis, keepdims)


@batch_tangent(np.max, np.amax, np.min, np.amin, methods=("max", "min"))
def extremum_batch(z, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        dz = np.sum(dx * (x == z), axis=batch_axis(None, x)) / np.sum(x == z)
    else:
        dz = each(rt.extremum_tangent(dx, z, x, axis, keepdims))


@adjoint(np.min, np.amin, methods=("min",))
def min(dz, z, x, axis=None, keepdims=False):
    # Tied minima share the cotangent equally.
    if axis is None and not keepdims:
        low = x == z
        dx = low * (dz / np.sum(low))
    elif keepdims is True:
        low = x == z
        dx = low * (dz / np.sum(low, axis=axis, keepdims=True))
    elif isinstance(axis, (int, tuple)):
        low = x == np.expand_dims(z, axis)
        dx = low * (np.expand_dims(dz, axis) / np.sum(low, axis=axis, keepdims=True))
    else:       # axis or keepdims known only at run time
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


@batch_tangent(np.var, methods=("var",))
def var_batch(z, x, axis=None, dtype=None, ddof=0, keepdims=False):
    if axis is None and not keepdims:
        if ddof == 0:
            dz = 2.0 * np.mean((x - np.mean(x)) * dx, axis=batch_axis(None, x))
        else:
            dz = 2.0 * np.sum((x - np.mean(x)) * dx, axis=batch_axis(None, x)) \
                / (np.size(x) - ddof)
    elif ddof == 0:
        dz = 2.0 * np.mean((x - np.mean(x, axis=axis, keepdims=True)) * dx,
                           axis=batch_axis(axis, x), keepdims=keepdims)
    else:
        dz = 2.0 * np.sum((x - np.mean(x, axis=axis, keepdims=True)) * dx,
                          axis=batch_axis(axis, x), keepdims=keepdims) \
            / (np.size(x) / np.size(z) - ddof)


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


@batch_tangent(np.std, methods=("std",))
def std_batch(z, x, axis=None, dtype=None, ddof=0, keepdims=False):
    if axis is None and not keepdims:
        if ddof == 0:
            dz = np.mean((x - np.mean(x)) * dx, axis=batch_axis(None, x)) / z
        else:
            dz = np.sum((x - np.mean(x)) * dx, axis=batch_axis(None, x)) \
                / (z * (np.size(x) - ddof))
    elif ddof == 0:
        dz = np.mean((x - np.mean(x, axis=axis, keepdims=True)) * dx,
                     axis=batch_axis(axis, x), keepdims=keepdims) / z
    else:
        dz = np.sum((x - np.mean(x, axis=axis, keepdims=True)) * dx,
                    axis=batch_axis(axis, x), keepdims=keepdims) \
            / (z * (np.size(x) / np.size(z) - ddof))


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


@batch_tangent(np.cumsum, methods=("cumsum",))
def cumsum_batch(z, x, axis=None, dtype=None):
    # `axis == axis` is decidable only for a constant axis
    if axis is None:        # the cumulative sum of the flattened array
        dz = np.cumsum(np.reshape(dx, (-1, np.size(x))), axis=1)
    elif axis == axis:
        dz = np.cumsum(dx, axis=batch_axis(axis, x))
    else:
        dz = rt.batch.cumsum(dx, axis)


@adjoint(np.cumprod, methods=("cumprod",))
def cumprod(dz, z, x, axis=None, dtype=None):
    dx = rt.cumprod_adjoint(dz, z, x, axis)


@tangent(np.cumprod, methods=("cumprod",), batch="each")
def cumprod_tangent(z, x, axis=None, dtype=None):
    dz = rt.cumprod_tangent(dx, z, x, axis)


# --- the runtime helpers the adjoints above call ----------------------------------------------
# Each is linear in its cotangent argument ``g``; the output is ``out`` here, since ``z`` is a
# helper's own parameter.

@tangent(runtime.unreduce_sequence, batch="each")
def unreduce_sequence_tangent(out, g, x):
    dout = rt.unreduce_sequence(dg, x)


@tangent(runtime.prod_adjoint, batch="each")
def prod_adjoint_tangent(out, g, x, axis, keepdims):
    dout = rt.prod_adjoint(dg, x, axis, keepdims)
    dout = rt.prod_adjoint_tangent(g, x, dx, axis, keepdims)


@tangent(runtime.extremum_adjoint, batch="each")
def extremum_adjoint_tangent(out, g, z, x, axis, keepdims):
    # The mask of the extreme elements is constant where it is differentiable.
    dout = rt.extremum_adjoint(dg, z, x, axis, keepdims)


@tangent(runtime.cumsum_adjoint, batch="each")
def cumsum_adjoint_tangent(out, g, x, axis):
    dout = rt.cumsum_adjoint(dg, x, axis)


@tangent(runtime.cumprod_adjoint, batch="each")
def cumprod_adjoint_tangent(out, g, z, x, axis):
    # ``z`` is ``np.cumprod(x, axis)`` wherever generated code calls this: ``dx`` carries the
    # tangent of both.
    dout = rt.cumprod_adjoint(dg, z, x, axis)
    dout = rt.cumprod_adjoint_tangent(g, x, dx, axis)
