"""Rules of functions that move or copy elements without changing them.

The adjoint of a rearrangement is the inverse rearrangement (``reshape`` back, transpose by
the inverse permutation, ``flip`` again); the adjoint of a copy (``repeat``, ``tile``,
``broadcast_to``, ``full``) sums the copies. All of them are linear, so each tangent is the
same rearrangement applied to the tangent. Constructors whose fill value may carry a gradient
(``full``, ``linspace``, ``meshgrid``) are here; the others are in ``inactive``. The runtime
helpers the adjoints call are primitives of forward mode too; their tangent rules close this
module.
"""
import numpy as np

import retrograd.runtime as runtime

from . import adjoint, batch_tangent, tangent

rt = None


# --- same elements, new shape: the tangent takes the output's shape -------------------------

@adjoint(np.reshape)
def reshape(dz, z, a, shape=None, order="C", *, newshape=None, copy=None):
    if order == "C":
        da = np.reshape(dz, np.shape(a))
    else:
        da = np.reshape(dz, np.shape(a), order=order)


@tangent(np.reshape)
def reshape_tangent(z, a, shape=None, order="C", *, newshape=None, copy=None):
    if order == "C":
        dz = np.reshape(da, np.shape(z))
    else:
        dz = np.reshape(da, np.shape(z), order=order)


@batch_tangent(np.reshape)
def reshape_batch(z, a, shape=None, order="C", *, newshape=None, copy=None):
    if order == "C":
        dz = np.reshape(da, (-1,) + np.shape(z))
    else:
        dz = each(np.reshape(da, np.shape(z), order=order))


@adjoint(methods=("reshape",))
def reshape_method(dz, z, a, *shape):
    da = np.reshape(dz, np.shape(a))


@tangent(methods=("reshape",))
def reshape_method_tangent(z, a, *shape):
    dz = np.reshape(da, np.shape(z))


@batch_tangent(methods=("reshape",))
def reshape_method_batch(z, a, *shape):
    dz = np.reshape(da, (-1,) + np.shape(z))


@adjoint(np.ravel, methods=("ravel", "flatten"))
def ravel(dz, z, a, order="C"):
    if order == "C":
        da = np.reshape(dz, np.shape(a))
    else:
        da = np.reshape(dz, np.shape(a), order=order)


@tangent(np.ravel, methods=("ravel",))
def ravel_tangent(z, a, order="C"):
    if order == "C":
        dz = np.ravel(da)
    else:
        dz = np.ravel(da, order)


@batch_tangent(np.ravel, methods=("ravel", "flatten"))
def ravel_batch(z, a, order="C"):
    if order == "C":
        dz = np.reshape(da, (-1,) + np.shape(z))
    else:
        dz = each(np.ravel(da, order))


@tangent(methods=("flatten",))
def flatten_tangent(z, a, order="C"):
    # a copy, as the primal is: writing into it must not write into the tangent of ``a``
    if order == "C":
        dz = da.flatten()
    else:
        dz = da.flatten(order)


@adjoint(np.squeeze, methods=("squeeze",))
def squeeze(dz, z, a, axis=None):
    da = np.reshape(dz, np.shape(a))


@tangent(np.squeeze, methods=("squeeze",))
def squeeze_tangent(z, a, axis=None):
    dz = np.reshape(da, np.shape(z))


@batch_tangent(np.squeeze, methods=("squeeze",))
def squeeze_batch(z, a, axis=None):
    dz = np.reshape(da, (-1,) + np.shape(z))


@adjoint(np.expand_dims)
def expand_dims(dz, z, a, axis):
    da = np.reshape(dz, np.shape(a))


@tangent(np.expand_dims)
def expand_dims_tangent(z, a, axis):
    dz = np.reshape(da, np.shape(z))


@batch_tangent(np.expand_dims)
def expand_dims_batch(z, a, axis):
    dz = np.reshape(da, (-1,) + np.shape(z))


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd(dz, z, a):
    da = np.reshape(dz, np.shape(a))


@tangent(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd_tangent(z, a):
    dz = np.reshape(da, np.shape(z))


@batch_tangent(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd_batch(z, a):
    dz = np.reshape(da, (-1,) + np.shape(z))


# --- same elements, new order --------------------------------------------------------------

@adjoint(np.transpose, attributes=("T",))
def transpose(dz, z, a, axes=None):
    if axes is None:
        da = np.transpose(dz)
    else:
        da = rt.transpose_adjoint(dz, axes)


@tangent(np.transpose, attributes=("T",))
def transpose_tangent(z, a, axes=None):
    if axes is None:
        dz = np.transpose(da)
    else:
        dz = np.transpose(da, axes)


@batch_tangent(np.transpose, attributes=("T",))
def transpose_batch(z, a, axes=None):
    if axes is None and np.ndim(a) == 2:
        dz = np.swapaxes(da, 1, 2)
    elif axes is None and np.ndim(a) <= 1:
        dz = da
    else:
        dz = rt.batch.transpose(da, axes)


@adjoint(methods=("transpose",))
def transpose_method(dz, z, a, *axes):
    da = rt.transpose_adjoint(dz, axes)


@tangent(methods=("transpose",))
def transpose_method_tangent(z, a, *axes):
    dz = da.transpose(*axes)


@batch_tangent(methods=("transpose",))
def transpose_method_batch(z, a, *axes):
    dz = rt.batch.transpose(da, axes)


@adjoint(np.swapaxes, methods=("swapaxes",))
def swapaxes(dz, z, a, axis1, axis2):
    da = np.swapaxes(dz, axis1, axis2)


@tangent(np.swapaxes, methods=("swapaxes",))
def swapaxes_tangent(z, a, axis1, axis2):
    dz = np.swapaxes(da, axis1, axis2)


@batch_tangent(np.swapaxes, methods=("swapaxes",))
def swapaxes_batch(z, a, axis1, axis2):
    dz = np.swapaxes(da, batch_axis(axis1, a), batch_axis(axis2, a))


@adjoint(np.moveaxis)
def moveaxis(dz, z, a, source, destination):
    da = np.moveaxis(dz, destination, source)


@tangent(np.moveaxis)
def moveaxis_tangent(z, a, source, destination):
    dz = np.moveaxis(da, source, destination)


@batch_tangent(np.moveaxis)
def moveaxis_batch(z, a, source, destination):
    dz = np.moveaxis(da, batch_axis(source, a), batch_axis(destination, z))


@adjoint(np.flip)
def flip(dz, z, m, axis=None):
    dm = np.flip(dz, axis)


@tangent(np.flip)
def flip_tangent(z, m, axis=None):
    dz = np.flip(dm, axis)


@batch_tangent(np.flip)
def flip_batch(z, m, axis=None):
    dz = np.flip(dm, batch_axis(axis, m))


@adjoint(np.fliplr)
def fliplr(dz, z, m):
    dm = np.flip(dz, 1)


@tangent(np.fliplr)
def fliplr_tangent(z, m):
    dz = np.fliplr(dm)


@batch_tangent(np.fliplr)
def fliplr_batch(z, m):
    dz = np.flip(dm, 2)


@adjoint(np.flipud)
def flipud(dz, z, m):
    dm = np.flip(dz, 0)


@tangent(np.flipud)
def flipud_tangent(z, m):
    dz = np.flipud(dm)


@batch_tangent(np.flipud)
def flipud_batch(z, m):
    dz = np.flip(dm, 1)


@adjoint(np.roll)
def roll(dz, z, a, shift, axis=None):
    da = rt.roll_adjoint(dz, shift, axis)


@tangent(np.roll)
def roll_tangent(z, a, shift, axis=None):
    dz = np.roll(da, shift, axis)


@batch_tangent(np.roll)
def roll_batch(z, a, shift, axis=None):
    if axis is None:      # rolls the flattened array
        dz = each(np.roll(da, shift))
    else:
        dz = np.roll(da, shift, batch_axis(axis, a))


@adjoint(np.sort)
def sort(dz, z, a, axis=-1, kind=None, order=None, *, stable=None):
    da = rt.sort_adjoint(dz, a, axis)


@tangent(np.sort, batch="each")
def sort_tangent(z, a, axis=-1, kind=None, order=None, *, stable=None):
    dz = rt.sort_tangent(da, a, axis)


# --- joining and splitting: the tangent of a list of arrays is a list -----------------------

@adjoint(np.concatenate)
def concatenate(dz, z, arrays, axis=0):
    darrays = rt.split_like(dz, arrays, axis)


@tangent(np.concatenate)
def concatenate_tangent(z, arrays, axis=0):
    dz = np.concatenate(darrays, axis)


@batch_tangent(np.concatenate, sequences=("arrays",))
def concatenate_batch(z, arrays, axis=0):
    if axis is None:
        dz = each(np.concatenate(darrays, axis))
    else:
        dz = np.concatenate(darrays, batch_axis(axis, z))


@adjoint(np.stack)
def stack(dz, z, arrays, axis=0):
    darrays = rt.unstack(dz, arrays, axis)


@tangent(np.stack)
def stack_tangent(z, arrays, axis=0):
    dz = np.stack(darrays, axis)


@batch_tangent(np.stack, sequences=("arrays",))
def stack_batch(z, arrays, axis=0):
    dz = np.stack(darrays, batch_axis(axis, z))


@adjoint(np.hstack)
def hstack(dz, z, tup):
    dtup = rt.hstack_adjoint(dz, tup)


@tangent(np.hstack)
def hstack_tangent(z, tup):
    dz = np.hstack(dtup)


@batch_tangent(np.hstack, sequences=("tup",))
def hstack_batch(z, tup):
    dz = rt.batch.hstack(dtup)


@adjoint(np.vstack)
def vstack(dz, z, tup):
    dtup = rt.vstack_adjoint(dz, tup)


@tangent(np.vstack)
def vstack_tangent(z, tup):
    dz = np.vstack(dtup)


@batch_tangent(np.vstack, sequences=("tup",))
def vstack_batch(z, tup):
    dz = rt.batch.vstack(dtup)


# --- copies: the adjoint sums them ---------------------------------------------------------

@adjoint(np.repeat, methods=("repeat",))
def repeat(dz, z, a, repeats, axis=None):
    da = rt.repeat_adjoint(dz, a, repeats, axis)


@tangent(np.repeat, methods=("repeat",))
def repeat_tangent(z, a, repeats, axis=None):
    dz = np.repeat(da, repeats, axis)


@batch_tangent(np.repeat, methods=("repeat",))
def repeat_batch(z, a, repeats, axis=None):
    if axis is None:      # repeats the flattened array
        dz = each(np.repeat(da, repeats, axis))
    else:
        dz = np.repeat(da, repeats, batch_axis(axis, a))


@adjoint(np.tile)
def tile(dz, z, A, reps):
    dA = rt.tile_adjoint(dz, A, reps)


@tangent(np.tile, batch="each")
def tile_tangent(z, A, reps):
    dz = np.tile(dA, reps)


@adjoint(np.broadcast_to)
def broadcast_to(dz, z, array, shape):
    darray = rt.sum_like(dz, array)


@tangent(np.broadcast_to)
def broadcast_to_tangent(z, array, shape):
    dz = np.broadcast_to(darray, shape)


@batch_tangent(np.broadcast_to)
def broadcast_to_batch(z, array, shape):
    dz = rt.batch.broadcast_like(darray, z)


@adjoint(np.full)
def full(dz, z, shape, fill_value, dtype=None, order="C"):
    if dtype is None:
        dfill_value = rt.sum_like(dz, fill_value)
    else:   # an integer array does not move with its fill value
        dfill_value = rt.fill_adjoint(dz, z, fill_value)


@tangent(np.full)
def full_tangent(z, shape, fill_value, dtype=None, order="C"):
    if dtype is None:
        dz = np.full(shape, dfill_value)
    else:
        dz = rt.fill_tangent(dfill_value, z)


@batch_tangent(np.full)
def full_batch(z, shape, fill_value, dtype=None, order="C"):
    if dtype is None:
        dz = rt.batch.broadcast_like(dfill_value, z)
    else:
        dz = each(rt.fill_tangent(dfill_value, z))


@adjoint(np.full_like)
def full_like(dz, z, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    dfill_value = rt.fill_adjoint(dz, z, fill_value)


@tangent(np.full_like, batch="each")
def full_like_tangent(z, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    dz = rt.fill_tangent(dfill_value, z)


@adjoint(np.linspace)
def linspace(dz, z, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if dtype is None and not retstep:
        t = rt.linspace_fractions(dz, num, endpoint, axis)
        dstart = rt.sum_like(np.sum(dz * (1.0 - t), axis=axis), start)
        dstop = rt.sum_like(np.sum(dz * t, axis=axis), stop)
    else:   # integer samples, (samples, step) pairs, or flags known only at run time
        ends = rt.linspace_adjoint(dz, z, start, stop, num, endpoint, retstep, dtype, axis)
        dstart = ends[0]
        dstop = ends[1]


# linspace is linear in (start, stop) together: a missing tangent is a zero end
@tangent(np.linspace, zeros_for_missing=True, batch="each")
def linspace_tangent(z, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if dtype is None:
        dz = np.linspace(dstart, dstop, num, endpoint, retstep, axis=axis)
    else:
        dz = rt.linspace_tangent(dstart, dstop, num, endpoint, retstep, dtype, axis)


@adjoint(np.meshgrid)
def meshgrid(dz, z, *xi, copy=True, sparse=False, indexing="xy"):
    dxi = rt.meshgrid_adjoint(dz, xi, indexing)


@tangent(np.meshgrid, batch="each")
def meshgrid_tangent(z, *xi, copy=True, sparse=False, indexing="xy"):
    dz = rt.meshgrid_tangent(dxi, xi, sparse, indexing)


@adjoint(np.copy)
def copy(dz, z, a):
    da = dz


@tangent(np.copy, batch="same")
def copy_tangent(z, a):
    dz = np.copy(da)


@adjoint(methods=("copy",))
def copy_method(dz, z, a, order="C"):
    da = dz


@tangent(methods=("copy",), batch="same")
def copy_method_tangent(z, a, order="C"):
    dz = rt.copy(da)      # arrays, lists and dicts alike


@adjoint(methods=("astype",))
def astype(dz, z, a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    da = rt.cast_adjoint(dz, a, dtype)


@tangent(methods=("astype",), batch="same")
def astype_tangent(z, a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    dz = rt.cast_tangent(da, dtype)


# --- tangents of the runtime helpers the adjoints above call: each is linear in ``g`` ------

@tangent(runtime.sum_like, batch="each")
def sum_like_tangent(z, g, x):
    dz = rt.sum_like(dg, x)


@tangent(runtime.split_like, batch="each")
def split_like_tangent(z, g, arrays, axis):
    dz = rt.split_like(dg, arrays, axis)


@tangent(runtime.unstack, batch="each")
def unstack_tangent(z, g, arrays, axis):
    dz = rt.unstack(dg, arrays, axis)


@tangent(runtime.unstack_like)
def unstack_like_tangent(z, g, x):
    dz = rt.unstack_like(dg, x)


@batch_tangent(runtime.unstack_like)
def unstack_like_batch(z, g, x):
    dz = rt.batch.unstack_like(dg, x)


@tangent(runtime.hstack_adjoint, batch="each")
def hstack_adjoint_tangent(z, g, arrays):
    dz = rt.hstack_adjoint(dg, arrays)


@tangent(runtime.vstack_adjoint, batch="each")
def vstack_adjoint_tangent(z, g, arrays):
    dz = rt.vstack_adjoint(dg, arrays)


@tangent(runtime.transpose_adjoint, batch="each")
def transpose_adjoint_tangent(z, g, axes):
    dz = rt.transpose_adjoint(dg, axes)


@tangent(runtime.cast_adjoint, batch="each")
def cast_adjoint_tangent(z, g, x, dtype):
    dz = rt.cast_adjoint(dg, x, dtype)


@tangent(runtime.repeat_adjoint, batch="each")
def repeat_adjoint_tangent(z, g, a, repeats, axis):
    dz = rt.repeat_adjoint(dg, a, repeats, axis)


@tangent(runtime.tile_adjoint, batch="each")
def tile_adjoint_tangent(z, g, a, reps):
    dz = rt.tile_adjoint(dg, a, reps)


@tangent(runtime.roll_adjoint, batch="each")
def roll_adjoint_tangent(z, g, shift, axis):
    dz = rt.roll_adjoint(dg, shift, axis)


@tangent(runtime.meshgrid_adjoint, batch="each")
def meshgrid_adjoint_tangent(z, g, arrays, indexing):
    dz = rt.meshgrid_adjoint(dg, arrays, indexing)


@tangent(runtime.sort_adjoint, batch="each")
def sort_adjoint_tangent(z, g, a, axis):
    dz = rt.sort_adjoint(dg, a, axis)


@tangent(runtime.linspace_adjoint, batch="each")
def linspace_adjoint_tangent(z, g, samples, start, stop, num, endpoint, retstep, dtype, axis):
    dz = rt.linspace_adjoint(dg, samples, start, stop, num, endpoint, retstep, dtype, axis)


@tangent(runtime.fill_adjoint, batch="each")
def fill_adjoint_tangent(out, g, z, fill_value):
    dout = rt.fill_adjoint(dg, z, fill_value)
