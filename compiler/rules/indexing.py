"""Adjoint rules of indexing: reading part of an array, list, tuple or dict.

The adjoint of a read is a write: the cotangent of ``x[index]`` is added into ``dx[index]``
(repeated integer indices accumulate). Writing part of an array (``x[i] = v``) is a statement,
not a call; the reverse pass handles it where it handles every other assignment.
"""
import operator

import numpy as np

from . import adjoint

rt = None


@adjoint(operator.getitem)
def getitem(dz, z, x, index):
    dx[index] += dz


@adjoint(methods=("get",))
def dict_get(dz, z, x, key, default=None):
    dx[key] += dz
    ddefault = rt.default_adjoint(dz, x, key)


@adjoint(np.take, methods=("take",))
def take(dz, z, a, indices, axis=None):
    da = rt.take_adjoint(dz, a, indices, axis)


@adjoint(methods=("item",))
def item(dz, z, a, *index):
    da = rt.item_adjoint(dz, a, index)
