"""Rules of the runtime helpers that generated derivative code calls.

Derived functions are themselves differentiable (``rg.jvp(rg.grad(f))``, ``rg.hessian``):
forward mode then runs through generated adjoint code, where ``rt.unbroadcast``,
``rt.unreduce``, ``rt.copy`` and ``rt.add`` are primitives like any NumPy function. Each is
linear in its first argument. ``rt.seed`` and ``rt.zeros_like`` are constants. Their batched
rules call the same helpers of ``rt.batch``, which treat the leading axis as the directions.
"""
import numpy as np

import retrograd.runtime as runtime

from . import adjoint, batch_tangent, nondifferentiable, tangent

rt = None

nondifferentiable(runtime.seed, runtime.zeros_like)


@adjoint(runtime.unbroadcast)
def unbroadcast(dz, z, g, x):
    dg = np.broadcast_to(dz, np.shape(g)).copy()


@tangent(runtime.unbroadcast)
def unbroadcast_tangent(z, g, x):
    dz = rt.unbroadcast(dg, x)


@batch_tangent(runtime.unbroadcast)
def unbroadcast_batch(z, g, x):
    dz = rt.batch.unbroadcast(dg, x)


@adjoint(runtime.unreduce)
def unreduce(dz, z, g, x, axis=None, keepdims=False):
    dg = rt.reduce_like(dz, g, axis, keepdims)


@tangent(runtime.unreduce)
def unreduce_tangent(z, g, x, axis=None, keepdims=False):
    dz = rt.unreduce(dg, x, axis, keepdims)


@batch_tangent(runtime.unreduce)
def unreduce_batch(z, g, x, axis=None, keepdims=False):
    dz = rt.batch.unreduce(dg, x, axis, keepdims)


@adjoint(runtime.copy)
def copy(dz, z, value):
    dvalue = dz


@tangent(runtime.copy, batch="same")
def copy_tangent(z, value):
    dz = rt.copy(dvalue)


@adjoint(runtime.add)
def add(dz, z, a, b):
    da = dz
    db = dz


@tangent(runtime.add, zeros_for_missing=True, batch="same")
def add_tangent(z, a, b):
    dz = rt.add(da, db)


@adjoint(runtime.like)
def like(dz, z, g, x):
    dg = dz


@tangent(runtime.like)
def like_tangent(z, g, x):
    dz = rt.like(dg, x)


@batch_tangent(runtime.like, sequences=("g",))
def like_batch(z, g, x):
    dz = rt.batch.like(dg, x)
