"""Calls whose results carry no gradient: constructors, shapes, integer and boolean results.

Their arguments may be active; the result is treated as a constant.
"""
import builtins
import math

import numpy as np

from . import nondifferentiable

nondifferentiable(
    # constructors
    np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like,
    np.full_like, np.arange, np.linspace, np.logspace, np.eye, np.identity, np.tri,
    np.meshgrid, np.indices,
    # shapes and sizes
    np.shape, np.ndim, np.size, builtins.len, builtins.range, builtins.isinstance, builtins.type,
    # integer, boolean and sorting results
    np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.searchsorted,
    np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.sign,
    np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal, np.any, np.all,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.floor_divide, np.mod, np.remainder, np.count_nonzero, np.unique,
    builtins.int, builtins.bool, builtins.round, builtins.print, builtins.str, builtins.repr,
    builtins.enumerate, builtins.zip, builtins.sorted,
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose,
    np.random.default_rng, np.random.rand, np.random.randn, np.random.normal,
    np.random.uniform, np.random.seed,
    methods=("argmax", "argmin", "argsort", "nonzero", "any", "all", "tolist", "item_index",
             "keys", "__len__"),
    attributes=("shape", "ndim", "size", "dtype", "itemsize", "nbytes"),
)

import operator  # noqa: E402

nondifferentiable(operator.floordiv, operator.mod, operator.not_, operator.eq)
