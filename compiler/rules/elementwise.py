"""Adjoint rules of arithmetic operators and elementwise NumPy / math functions.

Binary operators broadcast, so each contribution is summed back to its operand's shape with
``rt.unbroadcast``. Unary functions keep shapes, so their rules are one line each.
"""
import math
import operator

import numpy as np

from . import adjoint

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


@adjoint(operator.sub, np.subtract)
def subtract(dz, z, x, y):
    dx = rt.unbroadcast(dz, x)
    dy = rt.unbroadcast(-dz, y)


@adjoint(operator.mul, np.multiply)
def multiply(dz, z, x, y):
    dx = rt.unbroadcast(dz * y, x)
    dy = rt.unbroadcast(dz * x, y)


@adjoint(operator.truediv, np.divide, np.true_divide)
def divide(dz, z, x, y):
    dx = rt.unbroadcast(dz / y, x)
    dy = rt.unbroadcast(-dz * z / y, y)


@adjoint(operator.neg, np.negative)
def negative(dz, z, x):
    dx = -dz


@adjoint(operator.pos, np.positive)
def positive(dz, z, x):
    dx = dz


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


# --- one-argument functions ------------------------------------------------------------------

@adjoint(np.sin, math.sin)
def sin(dz, z, x):
    dx = dz * np.cos(x)


@adjoint(np.cos, math.cos)
def cos(dz, z, x):
    dx = -dz * np.sin(x)


@adjoint(np.tan, math.tan)
def tan(dz, z, x):
    dx = dz * (1.0 + z * z)


@adjoint(np.arcsin, math.asin)
def arcsin(dz, z, x):
    dx = dz / np.sqrt(1.0 - x * x)


@adjoint(np.arccos, math.acos)
def arccos(dz, z, x):
    dx = -dz / np.sqrt(1.0 - x * x)


@adjoint(np.arctan, math.atan)
def arctan(dz, z, x):
    dx = dz / (1.0 + x * x)


@adjoint(np.sinh, math.sinh)
def sinh(dz, z, x):
    dx = dz * np.cosh(x)


@adjoint(np.cosh, math.cosh)
def cosh(dz, z, x):
    dx = dz * np.sinh(x)


@adjoint(np.tanh, math.tanh)
def tanh(dz, z, x):
    dx = dz * (1.0 - z * z)


@adjoint(np.arcsinh, math.asinh)
def arcsinh(dz, z, x):
    dx = dz / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh, math.acosh)
def arccosh(dz, z, x):
    dx = dz / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh, math.atanh)
def arctanh(dz, z, x):
    dx = dz / (1.0 - x * x)


@adjoint(np.exp, math.exp)
def exp(dz, z, x):
    dx = dz * z


@adjoint(np.exp2, *_math("exp2"))
def exp2(dz, z, x):
    dx = dz * z * np.log(2.0)


@adjoint(np.expm1, math.expm1)
def expm1(dz, z, x):
    dx = dz * (z + 1.0)


@adjoint(np.log)
def log(dz, z, x):
    dx = dz / x


@adjoint(math.log)
def math_log(dz, z, x, base=None):
    if base is None:
        dx = dz / x
    else:
        dx = dz / (x * np.log(base))
        dbase = -dz * z / (base * np.log(base))


@adjoint(np.log2, math.log2)
def log2(dz, z, x):
    dx = dz / (x * np.log(2.0))


@adjoint(np.log10, math.log10)
def log10(dz, z, x):
    dx = dz / (x * np.log(10.0))


@adjoint(np.log1p, math.log1p)
def log1p(dz, z, x):
    dx = dz / (1.0 + x)


@adjoint(np.sqrt, math.sqrt)
def sqrt(dz, z, x):
    dx = dz / (2.0 * z)


@adjoint(np.cbrt, *_math("cbrt"))
def cbrt(dz, z, x):
    dx = dz / (3.0 * z * z)


@adjoint(np.square)
def square(dz, z, x):
    dx = 2.0 * x * dz


@adjoint(np.abs, np.absolute, abs, math.fabs, np.fabs)
def absolute(dz, z, x):
    dx = dz * np.sign(x)


@adjoint(np.reciprocal)
def reciprocal(dz, z, x):
    dx = -dz * z * z


@adjoint(np.deg2rad, np.radians, math.radians)
def deg2rad(dz, z, x):
    dx = dz * (np.pi / 180.0)


@adjoint(np.rad2deg, np.degrees, math.degrees)
def rad2deg(dz, z, x):
    dx = dz * (180.0 / np.pi)


@adjoint(float, np.float64)
def identity(dz, z, x):
    dx = dz


@adjoint(np.array)
def array(dz, z, x, dtype=None, copy=True):
    if np.ndim(x) == np.ndim(z):   # a number or an array: ranks are not known for lists
        dx = dz
    else:
        dx = rt.unstack_like(dz, x)


@adjoint(np.asarray, np.asanyarray)
def asarray(dz, z, a, dtype=None):
    if np.ndim(a) == np.ndim(z):
        da = dz
    else:
        da = rt.unstack_like(dz, a)


# --- two-argument functions ------------------------------------------------------------------

@adjoint(np.arctan2, math.atan2)
def arctan2(dz, z, y, x):
    dy = rt.unbroadcast(dz * x / (x * x + y * y), y)
    dx = rt.unbroadcast(-dz * y / (x * x + y * y), x)


@adjoint(np.hypot, math.hypot)
def hypot(dz, z, x, y):
    dx = rt.unbroadcast(dz * x / z, x)
    dy = rt.unbroadcast(dz * y / z, y)


@adjoint(np.maximum)
def maximum(dz, z, x, y):
    dx = rt.unbroadcast(dz * (x >= y), x)
    dy = rt.unbroadcast(dz * (x < y), y)


@adjoint(np.minimum)
def minimum(dz, z, x, y):
    dx = rt.unbroadcast(dz * (x <= y), x)
    dy = rt.unbroadcast(dz * (x > y), y)


@adjoint(np.fmax, np.fmin)
def fmax(dz, z, x, y):
    # The output is whichever operand is not NaN; ties go to x.
    dx = rt.unbroadcast(dz * (z == x), x)
    dy = rt.unbroadcast(dz * (z != x), y)


@adjoint(np.logaddexp)
def logaddexp(dz, z, x, y):
    dx = rt.unbroadcast(dz * np.exp(x - z), x)
    dy = rt.unbroadcast(dz * np.exp(y - z), y)


@adjoint(np.logaddexp2)
def logaddexp2(dz, z, x, y):
    dx = rt.unbroadcast(dz * np.exp2(x - z), x)
    dy = rt.unbroadcast(dz * np.exp2(y - z), y)


@adjoint(operator.mod, np.mod, np.remainder)
def mod(dz, z, x, y):
    # x % y == x - y * floor(x / y): slope 1 in x between the jumps.
    dx = rt.unbroadcast(dz, x)
    dy = rt.unbroadcast(-dz * np.floor_divide(x, y), y)


@adjoint(np.fmod)
def fmod(dz, z, x, y):
    dx = rt.unbroadcast(dz, x)
    dy = rt.unbroadcast(-dz * np.trunc(x / y), y)


@adjoint(np.where)
def where(dz, z, condition, x, y):
    dx = rt.unbroadcast(np.where(condition, dz, 0.0), x)
    dy = rt.unbroadcast(np.where(condition, 0.0, dz), y)


@adjoint(np.clip, methods=("clip",))
def clip(dz, z, a, a_min=None, a_max=None):
    # A bound may be None; `z == a` marks the elements that passed through unclipped.
    da = rt.unbroadcast(dz * (z == a), a)
    da_min = rt.unbroadcast(dz * (a < a_min), a_min)
    da_max = rt.unbroadcast(dz * (a > a_max), a_max)


@adjoint(max)
def builtin_max(dz, z, x, y):
    dx = rt.unbroadcast(dz * (x >= y), x)
    dy = rt.unbroadcast(dz * (x < y), y)


@adjoint(min)
def builtin_min(dz, z, x, y):
    dx = rt.unbroadcast(dz * (x <= y), x)
    dy = rt.unbroadcast(dz * (x > y), y)
