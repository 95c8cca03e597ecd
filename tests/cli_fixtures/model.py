"""A small model for the command-line tests: a helper, a loop, a `while` with `and`, NumPy
names imported with `from numpy import ...`, a module-level constant and a user module."""
import numpy as np
from numpy import exp, tanh

from helpers import scale

WEIGHTS = np.linspace(0.5, 1.5, 3)


def layer(x, w):
    return tanh(x * w)


def loss(x, steps):
    total = 0.0
    for i in range(steps):
        total = total + np.sum(layer(x, WEIGHTS)) * 0.5
    k = 0
    while k < 4 and total < 50.0:
        total = total * 1.25 + exp(-total)
        k = k + 1
    return scale(total, 2.0)


def energy(x, y):
    return np.sum(x * x) * y + np.sum(tanh(x)) * y * y


def _private(x):
    return x * x
