import numpy as np


def softplus(x):
    return np.log1p(np.exp(x))
