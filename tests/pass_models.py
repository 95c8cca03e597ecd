"""Small functions whose derivative code shows one optimisation each (tests/test_pass_*.py).

They live in a file because the compiler reads their source; each is as short as the
behaviour it demonstrates allows.
"""
import numpy as np


# --- activity -------------------------------------------------------------------------------

def mixed_inputs(x, y):
    a = np.sin(x)
    b = np.cos(y)        # depends on y only: inactive when differentiating w.r.t. x
    c = y * 3.0          # likewise
    unused = np.exp(x)   # depends on x but never reaches the result
    return a * b + c


def through_floor(x):
    k = np.floor(x)      # piecewise constant: no derivative flows through it
    return np.sum(x * k)


def counted(x, n):
    i = 0
    s = 0.0
    while i < n:         # an integer counter carries no derivative
        s = s + np.sin(x) * i
        i = i + 1
    return s


# --- copies and dead code -------------------------------------------------------------------

def copy_chain(x):
    a = x
    b = a
    c = b * b
    return c


def two_sums(x):
    h = np.tanh(x)
    return np.sum(h * h) + np.sum(h)


def running_total(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sum(x * x)
    return s


def cube(x):
    return x ** 3


def alternating(x, k):
    return x * (-1.0) ** k


# --- adjoint accumulation ---------------------------------------------------------------------

def sine_squared(x):
    y = np.sin(x)
    z = y * y
    return z


def used_twice(x):
    y = x * 2.0
    a = y
    return np.sum(a * y)


def sin_cos(x):
    return np.sin(x) * np.cos(x)


def self_plus_square(x):
    y = x + x * x
    return np.sum(y)


def weighted_loop(x, n):
    w = np.sin(x)
    s = 0.0
    for i in range(n):
        s = s + np.sum(w * x)
    return s


# --- saves ------------------------------------------------------------------------------------

def squared_in_place(x):
    y = np.sin(x)
    y = y * y            # overwrites y, and its adjoint reads the old y
    return np.sum(y)


def shifted_in_place(x):
    y = x * 2.0
    y = y + 1.0          # overwrites y, but its adjoint reads nothing
    return np.sum(y)


def loop_local(x, n):
    s = 0.0
    for i in range(n):
        t = np.sin(x * i)
        s = s + np.sum(t * t)
    return s
