"""Adjoint rules of indexing: reading part of an array, list, tuple or dict.

Writing part of an array (``x[i] = v``) is a statement, not a call; the reverse pass handles
it where it handles every other assignment.
"""
import operator

from . import adjoint

rt = None


@adjoint(operator.getitem)
def getitem(dz, z, x, index):
    dx[index] += dz


@adjoint(methods=("get",))
def dict_get(dz, z, x, key, default=None):
    dx[key] += dz
