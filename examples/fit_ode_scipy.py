"""Fit the four rates of a predator-prey model to noisy counts with SciPy's L-BFGS-B.

The model is integrated with a hand-written Runge-Kutta loop; retrograd differentiates the
whole simulation, and ``scipy.optimize.minimize(loss, x0, jac=rg.grad(loss),
method="L-BFGS-B")`` uses that exact gradient. Prints the fitted rates next to the true ones
and compares with L-BFGS-B on finite differences; saves fit_ode_scipy.png when matplotlib is
installed.
"""
import sys
import time

import numpy as np

import retrograd as rg

TRUE_RATES = np.array([1.1, 0.4, 0.4, 0.1])     # prey birth, predation, predator death, growth
INITIAL = np.array([10.0, 5.0])                  # prey, predators
DT, STEPS, EVERY = 0.05, 300, 10                 # integrate 15 time units, observe every 0.5


def lotka_volterra(state, rates):
    """d(prey, predator)/dt."""
    prey, predator = state[0], state[1]
    birth, predation, death, growth = rates[0], rates[1], rates[2], rates[3]
    return np.array([birth * prey - predation * prey * predator,
                     growth * prey * predator - death * predator])


def simulate(rates, initial, dt, steps, every):
    """Classic fourth-order Runge-Kutta; returns the states observed every ``every`` steps."""
    state = initial
    observed = [state]
    for step in range(1, steps + 1):
        k1 = lotka_volterra(state, rates)
        k2 = lotka_volterra(state + 0.5 * dt * k1, rates)
        k3 = lotka_volterra(state + 0.5 * dt * k2, rates)
        k4 = lotka_volterra(state + dt * k3, rates)
        state = state + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        if step % every == 0:
            observed.append(state)
    return np.stack(observed)


def loss(log_rates, counts):
    """Half the squared error between simulated and observed log-counts. Rates are optimised
    on a log scale, so they stay positive."""
    predicted = simulate(np.exp(log_rates), INITIAL, DT, STEPS, EVERY)
    return 0.5 * np.sum((np.log(predicted) - np.log(counts)) ** 2)


class Counter:
    """Counts calls of a function (to compare the cost of the two fits)."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args):
        self.calls += 1
        return self.function(*args)


def save_plot(counts, fitted, filename="fit_ode_scipy.png"):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    times = np.arange(len(counts)) * DT * EVERY
    figure, axes = plt.subplots(figsize=(7, 4))
    for column, (name, colour) in enumerate([("prey", "tab:blue"), ("predators", "tab:red")]):
        axes.plot(times, counts[:, column], "o", color=colour, label=f"{name} (observed)")
        axes.plot(times, fitted[:, column], "-", color=colour, label=f"{name} (fitted)")
    axes.set_xlabel("time")
    axes.set_ylabel("population")
    axes.legend()
    figure.tight_layout()
    figure.savefig(filename, dpi=100)
    print("saved", filename)


def main():
    try:
        from scipy.optimize import minimize
    except ImportError:
        print("scipy is not installed: this example needs scipy.optimize.minimize "
              "(pip install scipy). Nothing to do.")
        return 0

    rng = np.random.default_rng(0)
    clean = simulate(TRUE_RATES, INITIAL, DT, STEPS, EVERY)
    counts = clean * np.exp(0.05 * rng.standard_normal(clean.shape))   # 5% multiplicative noise
    start_rates = np.array([0.8, 0.3, 0.6, 0.15])
    x0 = np.log(start_rates)

    gradient = rg.grad(loss)
    print("gradient check at the start (max relative error):",
          f"{rg.check_grad(loss, x0, counts):.1e}")

    value, jac = Counter(loss), Counter(gradient)
    start = time.perf_counter()
    result = minimize(value, x0, args=(counts,), jac=jac, method="L-BFGS-B")
    elapsed = time.perf_counter() - start
    fitted_rates = np.exp(result.x)
    print(f"L-BFGS-B with rg.grad: {result.message}")
    print(f"  {value.calls} loss and {jac.calls} gradient evaluations, {elapsed:.2f} s, "
          f"final loss {result.fun:.4f}")
    print("  rate        true    start   fitted")
    for name, true, first, fitted in zip(["birth", "predation", "death", "growth"],
                                         TRUE_RATES, start_rates, fitted_rates):
        print(f"  {name:10s} {true:6.3f}  {first:6.3f}  {fitted:7.4f}")

    numeric = Counter(loss)
    start = time.perf_counter()
    fd_result = minimize(numeric, x0, args=(counts,), method="L-BFGS-B")
    print(f"L-BFGS-B with finite differences: {numeric.calls} loss evaluations, "
          f"{time.perf_counter() - start:.2f} s, final loss {fd_result.fun:.4f}")

    ok = np.allclose(fitted_rates, TRUE_RATES, rtol=0.1)
    print("fitted rates within 10% of the truth:", ok)
    save_plot(counts, simulate(fitted_rates, INITIAL, DT, STEPS, EVERY))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
