"""Adjoint rules of functions that move or copy elements without changing them.

The adjoint of a rearrangement is the inverse rearrangement (``reshape`` back, transpose by
the inverse permutation, ``flip`` again); the adjoint of a copy (``repeat``, ``tile``,
``broadcast_to``, ``full``) sums the copies. Constructors whose fill value may carry a gradient
(``full``, ``linspace``, ``meshgrid``) are here; the others are in ``inactive``.
"""
import numpy as np

from . import adjoint

rt = None


# --- same elements, new shape --------------------------------------------------------------

@adjoint(np.reshape)
def reshape(dz, z, a, shape=None, order="C", *, newshape=None, copy=None):
    if order == "C":
        da = np.reshape(dz, np.shape(a))
    else:
        da = np.reshape(dz, np.shape(a), order=order)


@adjoint(methods=("reshape",))
def reshape_method(dz, z, a, *shape):
    da = np.reshape(dz, np.shape(a))


@adjoint(np.ravel, methods=("ravel", "flatten"))
def ravel(dz, z, a, order="C"):
    if order == "C":
        da = np.reshape(dz, np.shape(a))
    else:
        da = np.reshape(dz, np.shape(a), order=order)


@adjoint(np.squeeze, methods=("squeeze",))
def squeeze(dz, z, a, axis=None):
    da = np.reshape(dz, np.shape(a))


@adjoint(np.expand_dims)
def expand_dims(dz, z, a, axis):
    da = np.reshape(dz, np.shape(a))


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd(dz, z, a):
    da = np.reshape(dz, np.shape(a))


# --- same elements, new order --------------------------------------------------------------

@adjoint(np.transpose, attributes=("T",))
def transpose(dz, z, a, axes=None):
    if axes is None:
        da = np.transpose(dz)
    else:
        da = rt.transpose_adjoint(dz, axes)


@adjoint(methods=("transpose",))
def transpose_method(dz, z, a, *axes):
    da = rt.transpose_adjoint(dz, axes)


@adjoint(np.swapaxes, methods=("swapaxes",))
def swapaxes(dz, z, a, axis1, axis2):
    da = np.swapaxes(dz, axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis(dz, z, a, source, destination):
    da = np.moveaxis(dz, destination, source)


@adjoint(np.flip)
def flip(dz, z, m, axis=None):
    dm = np.flip(dz, axis)


@adjoint(np.fliplr)
def fliplr(dz, z, m):
    dm = np.flip(dz, 1)


@adjoint(np.flipud)
def flipud(dz, z, m):
    dm = np.flip(dz, 0)


@adjoint(np.roll)
def roll(dz, z, a, shift, axis=None):
    da = rt.roll_adjoint(dz, shift, axis)


@adjoint(np.sort)
def sort(dz, z, a, axis=-1, kind=None, order=None, *, stable=None):
    da = rt.sort_adjoint(dz, a, axis)


# --- joining and splitting -----------------------------------------------------------------

@adjoint(np.concatenate)
def concatenate(dz, z, arrays, axis=0):
    darrays = rt.split_like(dz, arrays, axis)


@adjoint(np.stack)
def stack(dz, z, arrays, axis=0):
    darrays = rt.unstack(dz, arrays, axis)


@adjoint(np.hstack)
def hstack(dz, z, tup):
    dtup = rt.hstack_adjoint(dz, tup)


@adjoint(np.vstack)
def vstack(dz, z, tup):
    dtup = rt.vstack_adjoint(dz, tup)


# --- copies: the adjoint sums them ---------------------------------------------------------

@adjoint(np.repeat, methods=("repeat",))
def repeat(dz, z, a, repeats, axis=None):
    da = rt.repeat_adjoint(dz, a, repeats, axis)


@adjoint(np.tile)
def tile(dz, z, A, reps):
    dA = rt.tile_adjoint(dz, A, reps)


@adjoint(np.broadcast_to)
def broadcast_to(dz, z, array, shape):
    darray = rt.sum_like(dz, array)


@adjoint(np.full)
def full(dz, z, shape, fill_value, dtype=None, order="C"):
    dfill_value = rt.sum_like(dz, fill_value)


@adjoint(np.full_like)
def full_like(dz, z, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    dfill_value = rt.sum_like(dz, fill_value)


@adjoint(np.linspace)
def linspace(dz, z, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    t = rt.linspace_fractions(dz, num, endpoint, axis)
    dstart = rt.sum_like(np.sum(dz * (1.0 - t), axis=axis), start)
    dstop = rt.sum_like(np.sum(dz * t, axis=axis), stop)


@adjoint(np.meshgrid)
def meshgrid(dz, z, *xi, copy=True, sparse=False, indexing="xy"):
    dxi = rt.meshgrid_adjoint(dz, xi, indexing)


@adjoint(np.copy)
def copy(dz, z, a):
    da = dz


@adjoint(methods=("copy",))
def copy_method(dz, z, a, order="C"):
    da = dz


@adjoint(methods=("astype",))
def astype(dz, z, a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    da = rt.cast_adjoint(dz, a, dtype)
