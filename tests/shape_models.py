"""Functions whose gradients depend on broadcasting, for tests/test_pass_shapes.py."""
import numpy as np


def dense(w, b, x):
    return np.sum(np.tanh(x @ w + b) ** 2)


def column_scale(c, m):
    return np.sum(np.sin(m * c))            # c is (n, 1): broadcast across the columns


def row_softmax_loss(s, y):
    shifted = s - np.max(s, axis=1, keepdims=True)
    return -np.sum(y * (shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))))


def recurrent(h, w, xs):
    for t in range(len(xs)):
        h = np.tanh(h @ w + xs[t])
    return np.sum(h * h)


def ring(x, k):
    for step in range(5):
        x = x + 0.1 * (k * (np.roll(x, 1) - 2.0 * x + np.flip(np.flip(x))) - np.sin(x))
    return np.sum(x * x)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def row_max(m):
    return np.sum(np.max(m, axis=1) ** 2) + np.sum(np.min(m, axis=0, keepdims=True) ** 3)
