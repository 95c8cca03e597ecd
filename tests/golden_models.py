"""Representative functions whose generated derivative code is kept in tests/golden/."""
import math

import numpy as np

W = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]])


def rational(x, y):
    return (x * y + 1.0) / (x * x + y * y + 1.0)


def transcendental(x):
    return np.exp(np.sin(x)) + np.log(x * x + 2.0) * np.arctan(x)


def broadcast_bias(m, b):
    return np.sum(np.tanh(m + b) ** 2)


def row_norms(m):
    return np.sum(np.sqrt(np.sum(m * m, axis=1)))


def softplus(v):
    return np.sum(np.maximum(v, 0.0) + np.log1p(np.exp(-np.abs(v))))


def geometric(x):
    total = 0.0
    term = 1.0
    for k in range(8):
        total = total + term
        term = term * x
    return total


def until_threshold(x):
    steps = 0
    while x < 100.0:
        x = x * x + 1.0
        steps = steps + 1
    return x / (steps + 1.0)


def piecewise(x):
    if x < 0.0:
        return 0.5 * x
    elif x < 1.0:
        return x * x
    return 2.0 * x - 1.0


def masked_loop(v):
    out = 0.0
    for i in range(len(v)):
        if v[i] < 0.0:
            continue
        out = out + v[i] * i
        if out > 50.0:
            break
    return out


def affine(x, a, b=0.5):
    return a * x + b


def composed(x):
    return affine(np.sin(x), 2.0) * affine(x, x, b=1.0)


def running_mean(v):
    acc = np.zeros_like(v)
    acc[0] = v[0]
    for i in range(1, len(v)):
        acc[i] = 0.9 * acc[i - 1] + 0.1 * v[i]
    return np.sum(acc ** 2)


def pair_list(x):
    parts = []
    for k in range(3):
        parts.append(np.cos(x * k))
    a, b, c = parts
    return a + b * c


def mlp_loss(w1, w2, x, y):
    hidden = np.tanh(x @ w1)
    scores = hidden @ w2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(log_probs * y, axis=1))


def rnn(h, w, u, xs):
    for t in range(len(xs)):
        h = np.tanh(h @ w + xs[t] @ u)
    return np.sum(h * h)


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-10:
        x = 0.5 * (x + a / x)
    return x


def early_return_in_loop(v, x):
    s = 0.0
    for a in v:
        s = s + a * x
        if s > 1.0:
            return s * s
    return s


def dict_params(p, x):
    return np.sum(np.tanh(x @ p["w"] + p["b"]))


def scalar_math(x, y):
    return math.sin(x) * math.exp(y) + math.hypot(x, y)


def enumerate_zip(u, v):
    s = 0.0
    for i, (a, b) in enumerate(zip(u, v)):
        s = s + (i + 1) * a * b
    return s


GOLDEN = [
    ("rational", rational, (0.7, -0.4), (0, 1)),
    ("transcendental", transcendental, (0.9,), 0),
    ("broadcast_bias", broadcast_bias, (np.ones((4, 3)), np.ones(3)), (0, 1)),
    ("row_norms", row_norms, (np.ones((4, 3)),), 0),
    ("softplus", softplus, (np.ones(5),), 0),
    ("geometric", geometric, (0.6,), 0),
    ("until_threshold", until_threshold, (1.3,), 0),
    ("piecewise", piecewise, (0.4,), 0),
    ("masked_loop", masked_loop, (np.ones(6),), 0),
    ("composed", composed, (0.8,), 0),
    ("running_mean", running_mean, (np.ones(6),), 0),
    ("pair_list", pair_list, (0.3,), 0),
    ("mlp_loss", mlp_loss, (np.ones((3, 4)), np.ones((4, 2)), np.ones((5, 3)), np.ones((5, 2))),
     (0, 1)),
    ("rnn", rnn, (np.ones((2, 3)), np.ones((3, 3)), np.ones((4, 3)), np.ones((5, 2, 4))),
     (0, 1, 2)),
    ("newton_sqrt", newton_sqrt, (2.0,), 0),
    ("early_return_in_loop", early_return_in_loop, (np.ones(4), 0.45), (0, 1)),
    ("dict_params", dict_params, ({"w": np.ones((3, 2)), "b": np.ones(2)}, np.ones((4, 3))), 0),
    ("scalar_math", scalar_math, (0.3, 0.2), (0, 1)),
    ("enumerate_zip", enumerate_zip, (np.ones(3), np.ones(3)), (0, 1)),
]
