"""Functions retrograd must refuse, each with the construct on a known line (see the tests)."""
import math

import numpy as np

COUNTER = 0


def generator(x):
    yield x * 2.0  # REFUSE: yield


def yield_from(x):
    yield from [x]  # REFUSE: yield from


async def coroutine(x):
    return x  # REFUSE-DEF: async


def global_write(x):
    global COUNTER  # REFUSE: global
    COUNTER = 1
    return x * 2.0


def nonlocal_write(x):
    total = 0.0

    def inner(y):
        nonlocal total
        total = y
    inner(x)
    return x  # (refused at the nested def)


def try_block(x):
    try:  # REFUSE: try
        y = x * 2.0
    except ValueError:
        y = x
    return y


def with_block(x):
    with open("/dev/null") as handle:  # REFUSE: with
        handle.read()
    return x * 2.0


def unknown_call(x):
    y = math.gamma(x)  # REFUSE: math.gamma
    return y * 2.0


def unknown_method(x):
    y = x.conj().real  # REFUSE: conj
    return np.sum(y)


def vector_output(v):
    return v * 2.0


def walrus(x):
    if (y := x * 2.0) > 1.0:  # REFUSE: walrus
        return y
    return x


def comprehension(v):
    return sum([a * a for a in v])  # REFUSE: list comprehensions


def lambda_inside(x):
    square = lambda a: a * a  # noqa: E731  # REFUSE: lambda
    return square(x)


def star_args(*values):  # REFUSE-DEF: *args
    return values[0] * 2.0


def star_call(x, values):
    return np.add(*values) * x  # REFUSE: starred


def integer_argument(x, n):
    return x * n


def nested_subscript_assignment(x):
    y = [[0.0, 0.0], [0.0, 0.0]]
    y[1][0] = x  # REFUSE: nested
    return y[1][0] * 2.0


def set_display(x):
    s = {x, 2.0}  # REFUSE: sets
    return x * len(s)
