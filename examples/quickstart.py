"""Quickstart: differentiate a function with a loop, print the gradient and the code retrograd
wrote for it, and check it against finite differences."""
import numpy as np

import retrograd as rg


def smooth_loss(w, x, y):
    """Squared error of a tiny model that is refined a few times in a loop."""
    prediction = np.tanh(x @ w)
    for step in range(3):
        prediction = prediction + 0.1 * np.sin(prediction)
    error = prediction - y
    return np.mean(error ** 2)


@rg.grad
def loss_gradient(w, x, y):
    return smooth_loss(w, x, y)


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3))
    y = rng.standard_normal(8)
    w = rng.standard_normal(3)

    dloss_dw = rg.grad(smooth_loss)          # gradient with respect to the first parameter
    print("loss:", smooth_loss(w, x, y))
    print("gradient:", dloss_dw(w, x, y))
    print("decorated form gives the same:", np.allclose(loss_gradient(w, x, y), dloss_dw(w, x, y)))
    print("max relative error vs central differences:",
          f"{rg.check_grad(smooth_loss, w, x, y):.1e}")
    print()
    print("The code retrograd generated for the gradient (rg.source(dloss_dw) returns it as a")
    print("string; rg.show prints it, highlighted in a terminal):")
    print()
    rg.show(dloss_dw, w, x, y)


if __name__ == "__main__":
    main()
