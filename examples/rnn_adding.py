"""A recurrent network, written as a Python ``for`` loop over time steps, learns the "adding
problem": each sequence holds random numbers and two markers, and the target is the sum of the
two marked numbers.

retrograd differentiates through the loop (backpropagation through time, written out as a
reversed loop in the generated code); the optimiser is Adam in a few lines of NumPy. Prints the
error against the best constant guess; saves rnn_adding.png when matplotlib is installed.
"""
import time

import numpy as np

import retrograd as rg


def adding_problem(batch, length, rng):
    """Inputs of shape (batch, length, 2): a random value and a 0/1 marker (two per sequence);
    targets: the sum of the two marked values."""
    values = rng.uniform(0.0, 1.0, (batch, length))
    markers = np.zeros((batch, length))
    for row in range(batch):
        markers[row, rng.choice(length, size=2, replace=False)] = 1.0
    inputs = np.stack([values, markers], axis=2)
    return inputs, np.sum(values * markers, axis=1)


def run_rnn(params, inputs):
    """A tanh recurrent network read over the sequence; returns one prediction per sequence."""
    w_in, w_rec, bias, w_out, b_out = params
    hidden = np.zeros((inputs.shape[0], w_rec.shape[0]))
    for t in range(inputs.shape[1]):
        hidden = np.tanh(inputs[:, t, :] @ w_in + hidden @ w_rec + bias)
    return hidden @ w_out + b_out


def loss(params, inputs, targets):
    return np.mean((run_rnn(params, inputs) - targets) ** 2)


def init_params(hidden, rng):
    return (rng.standard_normal((2, hidden)) * 0.5,
            np.linalg.qr(rng.standard_normal((hidden, hidden)))[0] * 0.9,  # near-orthogonal
            np.zeros(hidden),
            rng.standard_normal(hidden) / np.sqrt(hidden),
            0.0)


def adam(gradient_of, params, batches, steps, learning_rate=0.005, beta1=0.9, beta2=0.999):
    """Adam over a tuple of parameters; ``gradient_of(params, batch) -> (loss, gradients)``."""
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    history = []
    for step in range(1, steps + 1):
        value, grads = gradient_of(params, *batches(step))
        updated = []
        for i, (p, g) in enumerate(zip(params, grads)):
            first[i] = beta1 * first[i] + (1 - beta1) * g
            second[i] = beta2 * second[i] + (1 - beta2) * g * g
            m_hat, v_hat = first[i] / (1 - beta1 ** step), second[i] / (1 - beta2 ** step)
            updated.append(p - learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8))
        params = tuple(updated)
        history.append(value)
        if step % 500 == 0 or step == 1:
            print(f"  step {step:5d}  batch loss {value:.4f}")
    return params, history


def save_plot(history, baseline, filename="rnn_adding.png"):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.semilogy(history, label="RNN (training batches)")
    axes.axhline(baseline, color="k", linestyle="--", label="best constant guess")
    axes.set_xlabel("step")
    axes.set_ylabel("mean squared error")
    axes.legend()
    figure.tight_layout()
    figure.savefig(filename, dpi=100)
    print("saved", filename)


def main():
    rng = np.random.default_rng(0)
    length, hidden = 10, 24
    params = init_params(hidden, rng)
    train_inputs, train_targets = adding_problem(4096, length, rng)
    test_inputs, test_targets = adding_problem(1000, length, rng)
    baseline = float(np.var(test_targets))

    gradient_of = rg.value_and_grad(loss)        # gradients: a tuple shaped like params
    print("gradient check (max relative error vs central differences):",
          f"{rg.check_grad(loss, params, train_inputs[:8], train_targets[:8]):.1e}")

    def batches(step, size=128):
        start = (step * size) % len(train_inputs)
        return train_inputs[start:start + size], train_targets[start:start + size]

    print(f"training a {hidden}-unit RNN on sequences of length {length}")
    start = time.perf_counter()
    params, history = adam(gradient_of, params, batches, steps=3000)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    test_error = loss(params, test_inputs, test_targets)
    print(f"test mean squared error: {test_error:.4f} "
          f"(best constant guess: {baseline:.4f}, {baseline / test_error:.0f}x worse)")
    example = test_inputs[:1]
    print("one test sequence:", np.round(example[0, :, 0], 2))
    print("           marked:", example[0, :, 1].astype(int))
    print(f"target {test_targets[0]:.3f}, network says {run_rnn(params, example)[0]:.3f}")
    save_plot(history, baseline)


if __name__ == "__main__":
    main()
