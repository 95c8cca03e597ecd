"""Rules of indexing: reading part of an array, list, tuple or dict.

The adjoint of a read is a write: the cotangent of ``x[index]`` is added into ``dx[index]``
(repeated integer indices accumulate). The tangent of a read is the same read of the tangent,
``dx[index]`` (batched: ``dx[:, index]``). Writing part of an array (``x[i] = v``) is a statement, not a call; the reverse
and forward passes handle it where they handle every other assignment.
"""
import operator

import numpy as np

import retrograd.runtime as runtime

from . import adjoint, batch_tangent, tangent

rt = None


@adjoint(operator.getitem)
def getitem(dz, z, x, index):
    dx[index] += dz


@tangent(operator.getitem)
def getitem_tangent(z, x, index):
    dz = dx[index]


# The forward pass writes ``dx[:, index]`` itself where that reads the same part of every
# direction; this rule is the general case.
@batch_tangent(operator.getitem, sequences=("x",))
def getitem_batch(z, x, index):
    dz = rt.batch.getitem(dx, index)


@adjoint(methods=("get",))
def dict_get(dz, z, x, key, default=None):
    dx[key] += dz
    ddefault = rt.default_adjoint(dz, x, key)


# one term, so that a missing tangent reads as zeros rather than dropping a branch
@tangent(methods=("get",), zeros_for_missing=True, batch="same")
def dict_get_tangent(z, x, key, default=None):
    if default is None:
        dz = dx.get(key, 0.0)
    else:
        dz = dx[key] if key in x else ddefault


@adjoint(np.take, methods=("take",))
def take(dz, z, a, indices, axis=None):
    da = rt.take_adjoint(dz, a, indices, axis)


@tangent(np.take, methods=("take",))
def take_tangent(z, a, indices, axis=None):
    dz = np.take(da, indices, axis)


@batch_tangent(np.take, methods=("take",))
def take_batch(z, a, indices, axis=None):
    if axis is None:      # reads the flattened array
        dz = each(np.take(da, indices, axis))
    else:
        dz = np.take(da, indices, batch_axis(axis, a))


@adjoint(methods=("item",))
def item(dz, z, a, *index):
    da = rt.item_adjoint(dz, a, index)


@tangent(methods=("item",))
def item_tangent(z, a, *index):
    dz = da.item(*index)


@batch_tangent(methods=("item",))
def item_batch(z, a, *index):
    dz = rt.batch.item(da, index)


# --- tangents of the runtime helpers the adjoints above call: each is linear in ``g`` ------

@tangent(runtime.take_adjoint, batch="each")
def take_adjoint_tangent(z, g, a, indices, axis):
    dz = rt.take_adjoint(dg, a, indices, axis)


@tangent(runtime.item_adjoint, batch="each")
def item_adjoint_tangent(z, g, a, index):
    dz = rt.item_adjoint(dg, a, index)


@tangent(runtime.default_adjoint, batch="each")
def default_adjoint_tangent(z, g, mapping, key):
    dz = rt.default_adjoint(dg, mapping, key)
