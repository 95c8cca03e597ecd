"""Adjoint rules of functions that move elements around without changing them."""
import numpy as np

from . import adjoint

rt = None


@adjoint(np.reshape)
def reshape(dz, z, a, newshape=None, order="C", shape=None):
    da = np.reshape(dz, np.shape(a))


@adjoint(methods=("reshape",))
def reshape_method(dz, z, a, *shape):
    da = np.reshape(dz, np.shape(a))


@adjoint(np.ravel, methods=("ravel", "flatten"))
def ravel(dz, z, a):
    da = np.reshape(dz, np.shape(a))


@adjoint(np.squeeze, methods=("squeeze",))
def squeeze(dz, z, a, axis=None):
    da = np.reshape(dz, np.shape(a))


@adjoint(np.expand_dims)
def expand_dims(dz, z, a, axis):
    da = np.reshape(dz, np.shape(a))


@adjoint(np.transpose, attributes=("T",))
def transpose(dz, z, a, axes=None):
    if axes is None:
        da = np.transpose(dz)
    else:
        da = np.transpose(dz, np.argsort(axes))


@adjoint(methods=("transpose",))
def transpose_method(dz, z, a, *axes):
    da = rt.transpose_adjoint(dz, axes)


@adjoint(np.swapaxes, methods=("swapaxes",))
def swapaxes(dz, z, a, axis1, axis2):
    da = np.swapaxes(dz, axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis(dz, z, a, source, destination):
    da = np.moveaxis(dz, destination, source)


@adjoint(np.concatenate)
def concatenate(dz, z, arrays, axis=0):
    darrays = rt.split_like(dz, arrays, axis)


@adjoint(np.stack)
def stack(dz, z, arrays, axis=0):
    darrays = rt.unstack(dz, arrays, axis)


@adjoint(np.hstack)
def hstack(dz, z, tup):
    dtup = rt.split_like(dz, tup, 0 if np.ndim(tup[0]) == 1 else 1)


@adjoint(np.vstack)
def vstack(dz, z, tup):
    dtup = rt.vstack_adjoint(dz, tup)


@adjoint(np.flip)
def flip(dz, z, m, axis=None):
    dm = np.flip(dz, axis)


@adjoint(np.repeat, methods=("repeat",))
def repeat(dz, z, a, repeats, axis=None):
    da = rt.repeat_adjoint(dz, a, repeats, axis)


@adjoint(np.tile)
def tile(dz, z, A, reps):
    dA = rt.tile_adjoint(dz, A, reps)


@adjoint(np.broadcast_to)
def broadcast_to(dz, z, array, shape):
    darray = rt.unbroadcast(dz, array)


@adjoint(methods=("copy", "astype"))
def copy_method(dz, z, a, *args):
    da = dz


@adjoint(np.copy)
def copy(dz, z, a):
    da = dz
