"""Rules of operations on lists and tuples themselves (not on the numbers inside them)."""
from . import adjoint, nondifferentiable, tangent

rt = None


def concatenate_sequences(x, y):
    """What ``x + y`` means when ``x`` or ``y`` is a list or a tuple."""
    return x + y


def repeat_sequence(x, n):
    """What ``x * n`` means for a list or a tuple."""
    return x * n


@adjoint(concatenate_sequences)
def concatenate_sequences_adjoint(dz, z, x, y):
    dx = list(dz[:len(x)])
    dy = list(dz[len(x):])


@tangent(concatenate_sequences, zeros_for_missing=True, batch="same")
def concatenate_sequences_tangent(z, x, y):
    dz = list(dx) + list(dy)


nondifferentiable(repeat_sequence)
