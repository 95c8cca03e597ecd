"""A model module for examples/command_line.py: logistic regression on polynomial features.

``retrograd transpile examples/models/logistic.py --function loss`` writes ``grad_loss``, the
gradient of ``loss`` with respect to the weights, into a module of its own.
"""
import numpy as np


def features(x, degree):
    """Columns 1, x, x**2, ..., x**degree."""
    columns = [np.ones_like(x)]
    for power in range(1, degree + 1):
        columns.append(x ** power)
    return np.stack(columns, axis=1)


def log_sigmoid(z):
    """log(1 / (1 + exp(-z))), without overflow for large |z|."""
    return -np.logaddexp(0.0, -z)


def loss(w, x, y, degree, l2):
    """Mean negative log-likelihood of labels ``y`` (0 or 1) plus an L2 penalty."""
    z = features(x, degree) @ w
    likelihood = y * log_sigmoid(z) + (1.0 - y) * log_sigmoid(-z)
    return -np.mean(likelihood) + l2 * np.sum(w ** 2)
