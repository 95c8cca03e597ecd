"""A small neural network learns to separate two interleaved spirals.

The model, the loss and the training loop are plain NumPy; retrograd writes the gradient of the
loss with respect to a dict of parameters, and we train with gradient descent plus momentum.
Prints the loss as it falls and the final accuracy; saves spiral_classifier.png when matplotlib
is installed.
"""
import time

import numpy as np

import retrograd as rg


def two_spirals(points_per_class, noise, rng):
    """Points on two interleaved spirals, labelled 0 and 1."""
    turns = np.sqrt(rng.uniform(0.0, 1.0, points_per_class)) * 3.0 * np.pi
    arm = np.stack([turns * np.cos(turns), turns * np.sin(turns)], axis=1) / (3.0 * np.pi)
    x = np.concatenate([arm, -arm]) + noise * rng.standard_normal((2 * points_per_class, 2))
    y = np.concatenate([np.zeros(points_per_class), np.ones(points_per_class)])
    return x, y


def predict(params, x):
    """Probability of class 1 for each row of ``x``: a two-hidden-layer tanh network."""
    hidden = x
    for layer in ("1", "2"):
        hidden = np.tanh(hidden @ params["w" + layer] + params["b" + layer])
    logits = hidden @ params["w_out"] + params["b_out"]
    return 1.0 / (1.0 + np.exp(-logits))


def loss(params, x, y, weight_decay):
    """Mean binary cross-entropy plus an L2 penalty on the weights."""
    p = np.clip(predict(params, x), 1e-7, 1.0 - 1e-7)
    cross_entropy = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    penalty = 0.0
    for name in ("w1", "w2", "w_out"):
        penalty = penalty + np.sum(params[name] ** 2)
    return cross_entropy + weight_decay * penalty


def init_params(hidden, rng):
    return {
        "w1": rng.standard_normal((2, hidden)) * 1.5, "b1": np.zeros(hidden),
        "w2": rng.standard_normal((hidden, hidden)) / np.sqrt(hidden), "b2": np.zeros(hidden),
        "w_out": rng.standard_normal(hidden) / np.sqrt(hidden), "b_out": 0.0,
    }


def train(params, x, y, steps=2000, learning_rate=0.3, momentum=0.9, weight_decay=1e-5):
    loss_and_gradient = rg.value_and_grad(loss)      # gradient w.r.t. params, a dict like params
    velocity = {name: np.zeros_like(value) for name, value in params.items()}
    history = []
    for step in range(steps):
        value, gradient = loss_and_gradient(params, x, y, weight_decay)
        for name in params:
            velocity[name] = momentum * velocity[name] - learning_rate * gradient[name]
            params[name] = params[name] + velocity[name]
        history.append(value)
        if step % 400 == 0 or step == steps - 1:
            print(f"  step {step:5d}  loss {value:.4f}  accuracy {accuracy(params, x, y):.1%}")
    return params, history


def accuracy(params, x, y):
    return float(np.mean((predict(params, x) > 0.5) == (y > 0.5)))


def save_plot(params, x, y, history, filename="spiral_classifier.png"):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    grid = np.linspace(-1.3, 1.3, 200)
    gx, gy = np.meshgrid(grid, grid)
    probability = predict(params, np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    left.contourf(gx, gy, probability, levels=20, cmap="RdBu_r", alpha=0.6)
    left.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu_r", s=8, edgecolors="k", linewidths=0.2)
    left.set_title("decision surface")
    left.set_aspect("equal")
    right.semilogy(history)
    right.set_xlabel("step")
    right.set_ylabel("loss")
    right.set_title("training loss")
    figure.tight_layout()
    figure.savefig(filename, dpi=100)
    print("saved", filename)


def main():
    rng = np.random.default_rng(0)
    x, y = two_spirals(200, noise=0.02, rng=rng)
    params = init_params(hidden=24, rng=rng)
    print("gradient check (max relative error vs central differences):",
          f"{rg.check_grad(loss, params, x[:20], y[:20], 1e-3):.1e}")
    print(f"training a 2-24-24-1 tanh network on {len(x)} spiral points")
    start = time.perf_counter()
    params, history = train(params, x, y)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    print(f"final training accuracy: {accuracy(params, x, y):.1%}")
    x_test, y_test = two_spirals(200, noise=0.02, rng=np.random.default_rng(1))
    print(f"accuracy on fresh points: {accuracy(params, x_test, y_test):.1%}")
    save_plot(params, x, y, history)


if __name__ == "__main__":
    main()
