"""Adjoint and tangent rules of arithmetic operators and elementwise NumPy / math functions.

Binary operators broadcast, so each contribution to an adjoint is summed back to its operand's
shape with ``rt.unbroadcast``; a tangent that passes through unchanged (``x + y``) is spread
to the result's shape with ``rt.broadcast_like`` unless the other operands are scalars. Unary
functions keep shapes, so their rules are one line each.
"""
import math
import operator

import numpy as np

import retrograd.runtime as runtime

from . import adjoint, batch_tangent, tangent

# Written so that the generated code names numpy `np` and the runtime `rt`.
rt = None


def _math(name):
    """``math.<name>`` if this Python has it (``exp2`` and ``cbrt`` arrived in 3.11)."""
    return tuple(f for f in (getattr(math, name, None),) if f is not None)


# --- arithmetic operators -------------------------------------------------------------------

@adjoint(operator.add, np.add)
def add(dz, z, x, y):
    dx = rt.unbroadcast(dz, x)
    dy = rt.unbroadcast(dz, y)


@tangent(operator.add, np.add)
def add_tangent(z, x, y):
    if np.ndim(y) == 0:         # then x has the shape of z
        dz = dx
    else:
        dz = rt.broadcast_like(dx, z)
    if np.ndim(x) == 0:
        dz = dy
    else:
        dz = rt.broadcast_like(dy, z)


@batch_tangent(operator.add, np.add)
def add_batch(z, x, y):
    if np.ndim(y) == 0:
        dz = dx
    else:
        dz = rt.batch.broadcast_like(dx, z)
    if np.ndim(x) == 0:
        dz = dy
    else:
        dz = rt.batch.broadcast_like(dy, z)


@adjoint(operator.sub, np.subtract)
def subtract(dz, z, x, y):
    dx = rt.unbroadcast(dz, x)
    dy = rt.unbroadcast(-dz, y)


@tangent(operator.sub, np.subtract)
def subtract_tangent(z, x, y):
    if np.ndim(y) == 0:
        dz = dx
    else:
        dz = rt.broadcast_like(dx, z)
    if np.ndim(x) == 0:
        dz = -dy
    else:
        dz = -rt.broadcast_like(dy, z)


@batch_tangent(operator.sub, np.subtract)
def subtract_batch(z, x, y):
    if np.ndim(y) == 0:
        dz = dx
    else:
        dz = rt.batch.broadcast_like(dx, z)
    if np.ndim(x) == 0:
        dz = -dy
    else:
        dz = -rt.batch.broadcast_like(dy, z)


@adjoint(operator.mul, np.multiply)
def multiply(dz, z, x, y):
    dx = rt.unbroadcast(dz * y, x)
    dy = rt.unbroadcast(dz * x, y)


@tangent(operator.mul, np.multiply, batch="lift")
def multiply_tangent(z, x, y):
    dz = dx * y
    dz = x * dy


@adjoint(operator.truediv, np.divide, np.true_divide)
def divide(dz, z, x, y):
    dx = rt.unbroadcast(dz / y, x)
    dy = rt.unbroadcast(-dz * z / y, y)


@tangent(operator.truediv, np.divide, np.true_divide, batch="lift")
def divide_tangent(z, x, y):
    dz = dx / y
    dz = -dy * z / y


@adjoint(operator.neg, np.negative)
def negative(dz, z, x):
    dx = -dz


@tangent(operator.neg, np.negative, batch="lift")
def negative_tangent(z, x):
    dz = -dx


@adjoint(operator.pos, np.positive)
def positive(dz, z, x):
    dx = dz


@tangent(operator.pos, np.positive, batch="lift")
def positive_tangent(z, x):
    dz = dx


@adjoint(operator.pow, np.power, np.float_power, math.pow)
def power(dz, z, x, y):
    if y == 2:
        dx = rt.unbroadcast(2.0 * x * dz, x)
    else:
        dx = rt.unbroadcast(dz * y * x ** (y - 1), x)
    # `x == x` is decidable only for a constant base, as in `2.0 ** y`.
    if x == x and x > 0:
        dy = rt.unbroadcast(dz * z * np.log(x), y)
    else:
        # 0 ** y is flat in y for y > 0; a negative base has no derivative in y (nan).
        dy = rt.unbroadcast(dz * z * np.log(np.where(x == 0, 1.0, x)), y)


@tangent(operator.pow, np.power, np.float_power, math.pow, batch="lift")
def power_tangent(z, x, y):
    if y == 2:
        dz = 2.0 * x * dx
    else:
        dz = dx * y * x ** (y - 1)
    if x == x and x > 0:
        dz = dy * z * np.log(x)
    else:
        dz = dy * z * np.log(np.where(x == 0, 1.0, x))


# --- one-argument functions ------------------------------------------------------------------

@adjoint(np.sin, math.sin)
def sin(dz, z, x):
    dx = dz * np.cos(x)


@tangent(np.sin, math.sin, batch="lift")
def sin_tangent(z, x):
    dz = dx * np.cos(x)


@adjoint(np.cos, math.cos)
def cos(dz, z, x):
    dx = -dz * np.sin(x)


@tangent(np.cos, math.cos, batch="lift")
def cos_tangent(z, x):
    dz = -dx * np.sin(x)


@adjoint(np.tan, math.tan)
def tan(dz, z, x):
    dx = dz * (1.0 + z * z)


@tangent(np.tan, math.tan, batch="lift")
def tan_tangent(z, x):
    dz = dx * (1.0 + z * z)


@adjoint(np.arcsin, math.asin)
def arcsin(dz, z, x):
    dx = dz / np.sqrt(1.0 - x * x)


@tangent(np.arcsin, math.asin, batch="lift")
def arcsin_tangent(z, x):
    dz = dx / np.sqrt(1.0 - x * x)


@adjoint(np.arccos, math.acos)
def arccos(dz, z, x):
    dx = -dz / np.sqrt(1.0 - x * x)


@tangent(np.arccos, math.acos, batch="lift")
def arccos_tangent(z, x):
    dz = -dx / np.sqrt(1.0 - x * x)


@adjoint(np.arctan, math.atan)
def arctan(dz, z, x):
    dx = dz / (1.0 + x * x)


@tangent(np.arctan, math.atan, batch="lift")
def arctan_tangent(z, x):
    dz = dx / (1.0 + x * x)


@adjoint(np.sinh, math.sinh)
def sinh(dz, z, x):
    dx = dz * np.cosh(x)


@tangent(np.sinh, math.sinh, batch="lift")
def sinh_tangent(z, x):
    dz = dx * np.cosh(x)


@adjoint(np.cosh, math.cosh)
def cosh(dz, z, x):
    dx = dz * np.sinh(x)


@tangent(np.cosh, math.cosh, batch="lift")
def cosh_tangent(z, x):
    dz = dx * np.sinh(x)


@adjoint(np.tanh, math.tanh)
def tanh(dz, z, x):
    dx = dz * (1.0 - z * z)


@tangent(np.tanh, math.tanh, batch="lift")
def tanh_tangent(z, x):
    dz = dx * (1.0 - z * z)


@adjoint(np.arcsinh, math.asinh)
def arcsinh(dz, z, x):
    dx = dz / np.sqrt(x * x + 1.0)


@tangent(np.arcsinh, math.asinh, batch="lift")
def arcsinh_tangent(z, x):
    dz = dx / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh, math.acosh)
def arccosh(dz, z, x):
    dx = dz / np.sqrt(x * x - 1.0)


@tangent(np.arccosh, math.acosh, batch="lift")
def arccosh_tangent(z, x):
    dz = dx / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh, math.atanh)
def arctanh(dz, z, x):
    dx = dz / (1.0 - x * x)


@tangent(np.arctanh, math.atanh, batch="lift")
def arctanh_tangent(z, x):
    dz = dx / (1.0 - x * x)


@adjoint(np.exp, math.exp)
def exp(dz, z, x):
    dx = dz * z


@tangent(np.exp, math.exp, batch="lift")
def exp_tangent(z, x):
    dz = dx * z


@adjoint(np.exp2, *_math("exp2"))
def exp2(dz, z, x):
    dx = dz * z * np.log(2.0)


@tangent(np.exp2, *_math("exp2"), batch="lift")
def exp2_tangent(z, x):
    dz = dx * z * np.log(2.0)


@adjoint(np.expm1, math.expm1)
def expm1(dz, z, x):
    dx = dz * (z + 1.0)


@tangent(np.expm1, math.expm1, batch="lift")
def expm1_tangent(z, x):
    dz = dx * (z + 1.0)


@adjoint(np.log)
def log(dz, z, x):
    dx = dz / x


@tangent(np.log, batch="lift")
def log_tangent(z, x):
    dz = dx / x


@adjoint(math.log)
def math_log(dz, z, x, base=None):
    if base is None:
        dx = dz / x
    else:
        dx = dz / (x * np.log(base))
        dbase = -dz * z / (base * np.log(base))


@tangent(math.log, batch="lift")
def math_log_tangent(z, x, base=None):
    if base is None:
        dz = dx / x
    else:
        dz = dx / (x * np.log(base))
        dz = -dbase * z / (base * np.log(base))


@adjoint(np.log2, math.log2)
def log2(dz, z, x):
    dx = dz / (x * np.log(2.0))


@tangent(np.log2, math.log2, batch="lift")
def log2_tangent(z, x):
    dz = dx / (x * np.log(2.0))


@adjoint(np.log10, math.log10)
def log10(dz, z, x):
    dx = dz / (x * np.log(10.0))


@tangent(np.log10, math.log10, batch="lift")
def log10_tangent(z, x):
    dz = dx / (x * np.log(10.0))


@adjoint(np.log1p, math.log1p)
def log1p(dz, z, x):
    dx = dz / (1.0 + x)


@tangent(np.log1p, math.log1p, batch="lift")
def log1p_tangent(z, x):
    dz = dx / (1.0 + x)


@adjoint(np.sqrt, math.sqrt)
def sqrt(dz, z, x):
    dx = dz / (2.0 * z)


@tangent(np.sqrt, math.sqrt, batch="lift")
def sqrt_tangent(z, x):
    dz = dx / (2.0 * z)


@adjoint(np.cbrt, *_math("cbrt"))
def cbrt(dz, z, x):
    dx = dz / (3.0 * z * z)


@tangent(np.cbrt, *_math("cbrt"), batch="lift")
def cbrt_tangent(z, x):
    dz = dx / (3.0 * z * z)


@adjoint(np.square)
def square(dz, z, x):
    dx = 2.0 * x * dz


@tangent(np.square, batch="lift")
def square_tangent(z, x):
    dz = 2.0 * x * dx


@adjoint(np.abs, np.absolute, abs, math.fabs, np.fabs)
def absolute(dz, z, x):
    dx = dz * np.sign(x)


@tangent(np.abs, np.absolute, abs, math.fabs, np.fabs, batch="lift")
def absolute_tangent(z, x):
    dz = dx * np.sign(x)


@adjoint(np.reciprocal)
def reciprocal(dz, z, x):
    dx = -dz * z * z


@tangent(np.reciprocal, batch="lift")
def reciprocal_tangent(z, x):
    dz = -dx * z * z


@adjoint(np.deg2rad, np.radians, math.radians)
def deg2rad(dz, z, x):
    dx = dz * (np.pi / 180.0)


@tangent(np.deg2rad, np.radians, math.radians, batch="lift")
def deg2rad_tangent(z, x):
    dz = dx * (np.pi / 180.0)


@adjoint(np.rad2deg, np.degrees, math.degrees)
def rad2deg(dz, z, x):
    dx = dz * (180.0 / np.pi)


@tangent(np.rad2deg, np.degrees, math.degrees, batch="lift")
def rad2deg_tangent(z, x):
    dz = dx * (180.0 / np.pi)


@adjoint(float, np.float64)
def identity(dz, z, x):
    dx = dz


@tangent(float)
def float_tangent(z, x):
    dz = float(dx)


@batch_tangent(float)
def float_batch(z, x):
    dz = np.reshape(dx, (-1,))      # x holds one number: one per direction


@tangent(np.float64, batch="lift")
def float64_tangent(z, x):
    dz = np.float64(dx)


@adjoint(np.array)
def array(dz, z, x, dtype=None, copy=True):
    if np.ndim(x) == np.ndim(z):   # a number or an array: ranks are not known for lists
        dx = dz
    else:
        dx = rt.unstack_like(dz, x)


@tangent(np.array)
def array_tangent(z, x, dtype=None, copy=True):
    if dtype is None:
        dz = np.array(dx)
    else:
        dz = np.array(dx, dtype=dtype)


@batch_tangent(np.array, sequences=("x",))
def array_batch(z, x, dtype=None, copy=True):
    if np.ndim(x) == np.ndim(z) and dtype is None:
        dz = np.array(dx)
    elif np.ndim(x) == np.ndim(z):
        dz = np.array(dx, dtype=dtype)
    else:   # nested lists: the directions stay first
        dz = rt.batch.array(dx, dtype)


@adjoint(np.asarray, np.asanyarray)
def asarray(dz, z, a, dtype=None):
    if np.ndim(a) == np.ndim(z):
        da = dz
    else:
        da = rt.unstack_like(dz, a)


@tangent(np.asarray, np.asanyarray)
def asarray_tangent(z, a, dtype=None):
    if dtype is None:
        dz = np.asarray(da)
    else:
        dz = np.asarray(da, dtype=dtype)


@batch_tangent(np.asarray, np.asanyarray, sequences=("a",))
def asarray_batch(z, a, dtype=None):
    if np.ndim(a) == np.ndim(z) and dtype is None:
        dz = np.asarray(da)
    else:
        dz = rt.batch.array(da, dtype)


@tangent(runtime.unstack_like)
def unstack_like_tangent(out, g, x):
    dout = rt.unstack_like(dg, x)


# --- two-argument functions ------------------------------------------------------------------

@adjoint(np.arctan2, math.atan2)
def arctan2(dz, z, y, x):
    dy = rt.unbroadcast(dz * x / (x * x + y * y), y)
    dx = rt.unbroadcast(-dz * y / (x * x + y * y), x)


@tangent(np.arctan2, math.atan2, batch="lift")
def arctan2_tangent(z, y, x):
    dz = dy * x / (x * x + y * y)
    dz = -dx * y / (x * x + y * y)


@adjoint(np.hypot, math.hypot)
def hypot(dz, z, x, y):
    dx = rt.unbroadcast(dz * x / z, x)
    dy = rt.unbroadcast(dz * y / z, y)


@tangent(np.hypot, math.hypot, batch="lift")
def hypot_tangent(z, x, y):
    dz = dx * x / z
    dz = dy * y / z


@adjoint(np.maximum)
def maximum(dz, z, x, y):
    dx = rt.unbroadcast(dz * (x >= y), x)
    dy = rt.unbroadcast(dz * (x < y), y)


@tangent(np.maximum, batch="lift")
def maximum_tangent(z, x, y):
    dz = dx * (x >= y)
    dz = dy * (x < y)


@adjoint(np.minimum)
def minimum(dz, z, x, y):
    dx = rt.unbroadcast(dz * (x <= y), x)
    dy = rt.unbroadcast(dz * (x > y), y)


@tangent(np.minimum, batch="lift")
def minimum_tangent(z, x, y):
    dz = dx * (x <= y)
    dz = dy * (x > y)


@adjoint(np.fmax, np.fmin)
def fmax(dz, z, x, y):
    # The output is whichever operand is not NaN; ties go to x.
    dx = rt.unbroadcast(dz * (z == x), x)
    dy = rt.unbroadcast(dz * (z != x), y)


@tangent(np.fmax, np.fmin, batch="lift")
def fmax_tangent(z, x, y):
    dz = dx * (z == x)
    dz = dy * (z != x)


@adjoint(np.logaddexp)
def logaddexp(dz, z, x, y):
    dx = rt.unbroadcast(dz * np.exp(x - z), x)
    dy = rt.unbroadcast(dz * np.exp(y - z), y)


@tangent(np.logaddexp, batch="lift")
def logaddexp_tangent(z, x, y):
    dz = dx * np.exp(x - z)
    dz = dy * np.exp(y - z)


@adjoint(np.logaddexp2)
def logaddexp2(dz, z, x, y):
    dx = rt.unbroadcast(dz * np.exp2(x - z), x)
    dy = rt.unbroadcast(dz * np.exp2(y - z), y)


@tangent(np.logaddexp2, batch="lift")
def logaddexp2_tangent(z, x, y):
    dz = dx * np.exp2(x - z)
    dz = dy * np.exp2(y - z)


@adjoint(operator.mod, np.mod, np.remainder)
def mod(dz, z, x, y):
    # x % y == x - y * floor(x / y): slope 1 in x between the jumps.
    dx = rt.unbroadcast(dz, x)
    dy = rt.unbroadcast(-dz * np.floor_divide(x, y), y)


@tangent(operator.mod, np.mod, np.remainder)
def mod_tangent(z, x, y):
    if np.ndim(y) == 0:
        dz = dx
    else:
        dz = rt.broadcast_like(dx, z)
    dz = -dy * np.floor_divide(x, y)


@batch_tangent(operator.mod, np.mod, np.remainder)
def mod_batch(z, x, y):
    if np.ndim(y) == 0:
        dz = dx
    else:
        dz = rt.batch.broadcast_like(dx, z)
    dz = -lift(dy, z) * np.floor_divide(x, y)


@adjoint(np.fmod)
def fmod(dz, z, x, y):
    dx = rt.unbroadcast(dz, x)
    dy = rt.unbroadcast(-dz * np.trunc(x / y), y)


@tangent(np.fmod)
def fmod_tangent(z, x, y):
    if np.ndim(y) == 0:
        dz = dx
    else:
        dz = rt.broadcast_like(dx, z)
    dz = -dy * np.trunc(x / y)


@batch_tangent(np.fmod)
def fmod_batch(z, x, y):
    if np.ndim(y) == 0:
        dz = dx
    else:
        dz = rt.batch.broadcast_like(dx, z)
    dz = -lift(dy, z) * np.trunc(x / y)


@adjoint(np.where)
def where(dz, z, condition, x, y):
    dx = rt.unbroadcast(np.where(condition, dz, 0.0), x)
    dy = rt.unbroadcast(np.where(condition, 0.0, dz), y)


@tangent(np.where, zeros_for_missing=True, batch="lift")
def where_tangent(z, condition, x, y):
    # `y == y` is decidable only for a constant, which has no tangent.
    if y == y:
        dz = np.where(condition, dx, 0.0)
    elif x == x:
        dz = np.where(condition, 0.0, dy)
    else:
        dz = np.where(condition, dx, dy)


@adjoint(np.clip, methods=("clip",))
def clip(dz, z, a, a_min=None, a_max=None):
    # A bound may be None; `z == a` marks the elements that passed through unclipped.
    da = rt.unbroadcast(dz * (z == a), a)
    da_min = rt.unbroadcast(dz * (a < a_min), a_min)
    da_max = rt.unbroadcast(dz * (a > a_max), a_max)


@tangent(np.clip, methods=("clip",))
def clip_tangent(z, a, a_min=None, a_max=None):
    dz = da * (z == a)
    # A mask of two operands has the result's shape when the third is a scalar (or None).
    if a_max is None or np.ndim(a_max) == 0:
        dz = da_min * (a < a_min)
    else:
        dz = rt.broadcast_like(da_min * (a < a_min), z)
    if a_min is None or np.ndim(a_min) == 0:
        dz = da_max * (a > a_max)
    else:
        dz = rt.broadcast_like(da_max * (a > a_max), z)


@batch_tangent(np.clip, methods=("clip",))
def clip_batch(z, a, a_min=None, a_max=None):
    dz = lift(da, z) * (z == a)
    dz = rt.batch.broadcast_like(lift(da_min, z) * (a < a_min), z)
    dz = rt.batch.broadcast_like(lift(da_max, z) * (a > a_max), z)


@adjoint(max)
def builtin_max(dz, z, x, y):
    dx = rt.unbroadcast(dz * (x >= y), x)
    dy = rt.unbroadcast(dz * (x < y), y)


@tangent(max, batch="lift")
def builtin_max_tangent(z, x, y):
    dz = dx * (x >= y)
    dz = dy * (x < y)


@adjoint(min)
def builtin_min(dz, z, x, y):
    dx = rt.unbroadcast(dz * (x <= y), x)
    dy = rt.unbroadcast(dz * (x > y), y)


@tangent(min, batch="lift")
def builtin_min_tangent(z, x, y):
    dz = dx * (x <= y)
    dz = dy * (x > y)


# The helper the rules above emit: linear in the tangent it spreads.
@tangent(runtime.broadcast_like)
def broadcast_like_tangent(out, t, z):
    dout = rt.broadcast_like(dt, z)


@batch_tangent(runtime.broadcast_like)
def broadcast_like_batch(out, t, z):
    dout = rt.batch.broadcast_like(dt, z)
