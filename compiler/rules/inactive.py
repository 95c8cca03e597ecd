"""Calls whose results carry no gradient: constructors, shapes, integer and boolean results.

Their arguments may be active; the result is treated as a constant. Only functions whose
result is constant in their differentiable arguments belong here (piecewise-constant functions
such as ``floor`` included). A function whose result moves with an argument (``full`` with
an active fill value, ``sorted``, ``np.mod``, ``x.tolist()``) must not be listed: it either has
a rule or is refused, never silently given a zero gradient.
"""
import builtins
import math
import operator

import numpy as np

import retrograd.runtime as runtime

from . import nondifferentiable

nondifferentiable(
    # constructors whose values do not depend on their arguments' values
    np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like,
    np.arange, np.eye, np.identity, np.tri, np.indices,
    runtime.linspace_fractions,     # generated adjoint code: depends on its cotangent's shape
    np.tril_indices, np.triu_indices, np.diag_indices,
    np.random.default_rng, np.random.rand, np.random.randn, np.random.seed,
    # shapes, sizes and types
    np.shape, np.ndim, np.size, builtins.len, builtins.range, builtins.isinstance, builtins.type,
    # integer and boolean results, positions, sorting orders
    np.argmax, np.argmin, np.argsort, np.argpartition, np.nonzero, np.flatnonzero,
    np.searchsorted, np.unravel_index, np.ravel_multi_index, np.count_nonzero,
    np.isnan, np.isinf, np.isfinite, np.isneginf, np.isposinf, np.signbit, np.isin,
    np.isclose, np.allclose, np.array_equal, np.any, np.all,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    builtins.int, builtins.bool, builtins.print, builtins.str, builtins.repr,
    math.isnan, math.isinf, math.isfinite, math.isclose, math.factorial, math.comb,
    operator.not_, operator.eq,
    # piecewise constant: zero derivative wherever one exists
    np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.sign,
    np.floor_divide, builtins.round, math.floor, math.ceil, math.trunc, operator.floordiv,
    methods=("argmax", "argmin", "argsort", "argpartition", "nonzero", "searchsorted",
             "any", "all", "keys", "__len__"),
    attributes=("shape", "ndim", "size", "dtype", "itemsize", "nbytes"),
)
