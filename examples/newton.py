"""Newton's method with second derivatives from retrograd.

1. Full Newton with ``rg.hessian`` on the Rosenbrock function, from its classic start: watch the
   gradient norm shrink quadratically in the last few steps.
2. Hessian-free Newton (Newton-CG) with ``rg.hvp``: the resting shape of a hanging chain of
   60 beads joined by springs, found by minimising its potential energy (a loop over the
   springs). Each conjugate-gradient step needs only a Hessian-vector product, computed by
   forward mode over the generated gradient, never the 120 x 120 Hessian.

Saves newton.png when matplotlib is installed.
"""
import sys

import numpy as np

import retrograd as rg


def rosenbrock(x):
    """The chained Rosenbrock function; its minimum is 0 at x = (1, 1, ..., 1)."""
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def spring(delta, rest_length, stiffness):
    """Elastic energy of a spring whose ends are ``delta`` apart."""
    stretch = np.sqrt(np.sum(delta ** 2)) - rest_length
    return 0.5 * stiffness * stretch ** 2


def chain_energy(beads, left, right, rest_length, stiffness, weight):
    """Potential energy of beads (rows of (x, y)) joined by springs in a chain whose two ends
    are pinned at ``left`` and ``right``: the springs' elastic energy plus gravity."""
    energy = spring(beads[0] - left, rest_length, stiffness)
    for i in range(len(beads) - 1):
        energy = energy + spring(beads[i + 1] - beads[i], rest_length, stiffness)
    energy = energy + spring(right - beads[-1], rest_length, stiffness)
    return energy + weight * np.sum(beads[:, 1])


def backtrack(f, x, args, step, slope, shrink=0.5):
    """Largest t in 1, 1/2, 1/4, ... with sufficient decrease (Armijo)."""
    t, fx = 1.0, f(x, *args)
    while f(x + t * step, *args) > fx + 1e-4 * t * slope and t > 1e-10:
        t *= shrink
    return t


def newton(f, x, iterations=50, tolerance=1e-10):
    """Damped Newton with the exact Hessian; returns the minimiser and the gradient norms."""
    gradient, hessian = rg.grad(f), rg.hessian(f)
    norms = []
    for iteration in range(iterations):
        g = gradient(x)
        norms.append(np.linalg.norm(g))
        if norms[-1] < tolerance:
            break
        step = np.linalg.solve(hessian(x), -g)
        if g @ step >= 0.0:                 # not a descent direction: fall back to -g
            step = -g
        x = x + backtrack(f, x, (), step, g @ step) * step
    return x, norms


def conjugate_gradient(hessian_times, b, iterations, tolerance):
    """Approximately solve H p = b using only products with H; stops early at negative
    curvature (then falls back to p = b, steepest descent, if no step was taken)."""
    p, r, d = np.zeros_like(b), b.copy(), b.copy()
    products = 0
    for _ in range(iterations):
        Hd = hessian_times(d)
        products += 1
        curvature = np.vdot(d, Hd)
        if curvature <= 0.0:
            break
        alpha = np.vdot(r, r) / curvature
        p = p + alpha * d
        r_next = r - alpha * Hd
        if np.linalg.norm(r_next) < tolerance:
            break
        d = r_next + (np.vdot(r_next, r_next) / np.vdot(r, r)) * d
        r = r_next
    return (p if np.any(p) else b), products


def newton_cg(f, x, args, iterations=50, tolerance=1e-8):
    """Truncated Newton: the Newton step solved by conjugate gradients on Hessian-vector
    products ``rg.hvp(f)(x, *args, v)``; returns the minimiser, the gradient norms and the
    number of Hessian-vector products used."""
    gradient, hvp = rg.grad(f), rg.hvp(f)
    norms, products = [], 0
    for iteration in range(iterations):
        g = gradient(x, *args)
        norms.append(np.linalg.norm(g))
        if norms[-1] < tolerance:
            break
        forcing = min(0.5, np.sqrt(norms[-1])) * norms[-1]    # solve more exactly near the end
        step, used = conjugate_gradient(lambda v: hvp(x, *args, v), -g, 10 * x.size, forcing)
        products += used
        x = x + backtrack(f, x, args, step, np.vdot(g, step)) * step
    return x, norms, products


def save_plot(curves, chain, filename="newton.png"):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, norms in curves.items():
        left.semilogy(norms, "o-", label=label)
    left.set_xlabel("Newton iteration")
    left.set_ylabel("gradient norm")
    left.legend()
    right.plot(chain[:, 0], chain[:, 1], "o-", markersize=3)
    right.set_title("hanging chain at rest")
    right.set_aspect("equal")
    figure.tight_layout()
    figure.savefig(filename, dpi=100)
    print("saved", filename)


def main():
    curves = {}
    x0 = np.array([-1.2, 1.0])
    print("1. Newton with rg.hessian on the Rosenbrock function, from", x0)
    x, norms = newton(rosenbrock, x0)
    for iteration, norm in enumerate(norms):
        print(f"   iteration {iteration:2d}  |gradient| = {norm:.3e}")
    print("   minimum found at", np.round(x, 8), f"f = {rosenbrock(x):.2e}")
    curves["Newton with rg.hessian: Rosenbrock"] = norms

    beads = 60
    left, right = np.array([0.0, 0.0]), np.array([1.0, 0.0])
    springs = beads + 1        # a chain of total rest length 0.8, stretched over a span of 1
    args = (left, right, 0.8 / springs, 2.0 * springs, 1.0 / beads)
    straight = np.stack([np.linspace(0.0, 1.0, beads + 2)[1:-1], np.zeros(beads)], axis=1)
    print(f"\n2. Newton-CG with rg.hvp: a hanging chain of {beads} beads "
          f"({2 * beads} coordinates), starting straight")
    chain, norms, products = newton_cg(chain_energy, straight, args)
    for iteration, norm in enumerate(norms):
        print(f"   iteration {iteration:2d}  |gradient| = {norm:.3e}")
    print(f"   {products} Hessian-vector products in all; the full Hessian would have "
          f"{(2 * beads) ** 2} entries")
    print(f"   energy {chain_energy(chain, *args):.6f}, lowest bead at "
          f"y = {np.min(chain[:, 1]):.4f}")
    curves[f"Newton-CG with rg.hvp: chain, {2 * beads}-d"] = norms
    save_plot(curves, chain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
