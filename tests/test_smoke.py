import numpy as np

from gradcheck import check_gradient


def rational(x, y):
    return (x * y + 1.0) / (x * x + y * y + 1.0)


def test_rational_both_arguments():
    check_gradient(rational, 0.7, -0.4, wrt=(0, 1))


def test_broadcast_against_row_and_column():
    def f(m, row, col):
        return np.sum(np.tanh(m * row + col) ** 2)
    rng = np.random.default_rng(1)
    check_gradient(f, rng.standard_normal((4, 3)), rng.standard_normal(3),
                   rng.standard_normal((4, 1)), wrt=(0, 1, 2))
