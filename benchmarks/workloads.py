"""The benchmark workloads: each a forward program, its hand-written NumPy adjoint, and inputs.

The forward programs are plain Python/NumPy functions, written as a user would write them and
differentiated by retrograd as they are. The hand-written adjoints are what an expert would write
for exactly the same program: the same loop structure, per-step values saved in Python lists, the
chain rule applied operation by operation (contributions summed, no algebra across operations
that a compiler cannot know, such as the softmax cross-entropy shortcut or dropping the
gradient of the max in a stabilised logsumexp), but no dead computations, no helper calls and no
copies. Each adjoint returns its gradients in the form ``rg.grad(forward, wrt)`` returns them.

The same forward source runs under autograd, JAX and PyTorch by rebinding its global ``np``
(see ``rebind``), so every tool differentiates literally the same program.
"""
import types
from dataclasses import dataclass, field

import numpy as np

STEPS = 100        # time steps of the scalar loop and of the simulation
RNN_STEPS = 20


# --- scalar loop --------------------------------------------------------------------------

def scalar_loop(x, a):
    y = x
    for step in range(100):
        y = a * y + 0.1 * np.sin(y)
    return np.sum(y * y)


def scalar_loop_adjoint(x, a):
    ys = []
    y = x
    for step in range(100):
        ys.append(y)
        y = a * y + 0.1 * np.sin(y)
    dy = 2.0 * y
    da = 0.0
    scalar = np.ndim(x) == 0        # the expert writes `da += dy * y` when y is a number
    for step in reversed(range(100)):
        y = ys[step]
        da += dy * y if scalar else np.sum(dy * y)
        dy = dy * a + dy * 0.1 * np.cos(y)
    return dy, da


def scalar_loop_inputs(size, rng):
    if size == "small":
        return (0.3, 0.9)
    return (rng.normal(size=50_000), 0.9)


# --- two-layer MLP with softmax cross-entropy -------------------------------------------------

def mlp(w1, b1, w2, b2, x, y):
    hidden = np.tanh(x @ w1 + b1)
    scores = hidden @ w2 + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(log_probs * y, axis=1))


def mlp_adjoint(w1, b1, w2, b2, x, y):
    hidden = np.tanh(x @ w1 + b1)
    scores = hidden @ w2 + b2
    top = np.max(scores, axis=1, keepdims=True)
    shifted = scores - top
    exps = np.exp(shifted)
    sums = np.sum(exps, axis=1, keepdims=True)
    # -mean over rows of the row sums of log_probs * y
    dlog_probs = y * (-1.0 / y.shape[0])
    # log_probs = shifted - log(sum(exp(shifted)))
    dsums = -np.sum(dlog_probs, axis=1, keepdims=True) / sums
    dshifted = dlog_probs + dsums * exps
    # shifted = scores - max(scores): the max shares its adjoint among tied entries
    dtop = -np.sum(dshifted, axis=1, keepdims=True)
    is_top = scores == top
    dscores = dshifted + is_top * (dtop / np.sum(is_top, axis=1, keepdims=True))
    # scores = hidden @ w2 + b2
    db2 = np.sum(dscores, axis=0)
    dw2 = hidden.T @ dscores
    dhidden = dscores @ w2.T
    # hidden = tanh(x @ w1 + b1)
    dpre = dhidden * (1.0 - hidden * hidden)
    db1 = np.sum(dpre, axis=0)
    dw1 = x.T @ dpre
    return dw1, db1, dw2, db2


def mlp_inputs(size, rng):
    batch, inputs, hidden, classes = (8, 4, 16, 3) if size == "small" else (256, 512, 512, 10)
    w1 = rng.normal(size=(inputs, hidden)) / np.sqrt(inputs)
    b1 = 0.1 * rng.normal(size=hidden)
    w2 = rng.normal(size=(hidden, classes)) / np.sqrt(hidden)
    b2 = 0.1 * rng.normal(size=classes)
    x = rng.normal(size=(batch, inputs))
    y = np.eye(classes)[rng.integers(0, classes, batch)]
    return (w1, b1, w2, b2, x, y)


# --- RNN over 20 steps --------------------------------------------------------------------------

def rnn(w, u, h, xs):
    for t in range(len(xs)):
        h = np.tanh(h @ w + xs[t] @ u)
    return np.sum(h * h)


def rnn_adjoint(w, u, h, xs):
    hs = []
    for t in range(len(xs)):
        hs.append(h)
        h = np.tanh(h @ w + xs[t] @ u)
    dh = 2.0 * h
    dw = np.zeros_like(w)
    du = np.zeros_like(u)
    for t in reversed(range(len(xs))):
        dpre = dh * (1.0 - h * h)
        h = hs[t]
        dw += h.T @ dpre
        du += xs[t].T @ dpre
        dh = dpre @ w.T
    return dw, du


def rnn_inputs(size, rng):
    batch, hidden, inputs = (1, 8, 4) if size == "small" else (64, 256, 128)
    w = rng.normal(size=(hidden, hidden)) / np.sqrt(hidden)
    u = rng.normal(size=(inputs, hidden)) / np.sqrt(inputs)
    h = np.zeros((batch, hidden))
    xs = rng.normal(size=(RNN_STEPS, batch, inputs))
    return (w, u, h, xs)


# --- data-dependent while -----------------------------------------------------------------------

def while_decay(x, rate):
    total = 0.0
    while np.sum(x * x) > 1e-3:
        x = rate * x + 0.01 * np.sin(x)
        total = total + np.sum(np.cos(x))
    return total


def while_decay_adjoint(x, rate):
    xs = []
    while np.sum(x * x) > 1e-3:
        xs.append(x)
        x = rate * x + 0.01 * np.sin(x)
    dx = np.zeros_like(x)
    for i in reversed(range(len(xs))):
        dx -= np.sin(x)                 # total += sum(cos(x)), with dtotal = 1
        x = xs[i]
        dx = dx * rate + dx * 0.01 * np.cos(x)
    return dx


def while_decay_inputs(size, rng):
    n = 4 if size == "small" else 50_000
    return (rng.normal(size=n), 0.9)


# --- logsumexp ----------------------------------------------------------------------------------

def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_adjoint(x):
    m = np.max(x)
    exps = np.exp(x - m)
    total = np.sum(exps)
    dx = exps * (1.0 / total)           # through log, sum and exp
    dm = 1.0 - np.sum(dx)               # m is added once and subtracted from every x
    is_top = x == m
    dx += is_top * (dm / np.sum(is_top))
    return dx


def logsumexp_inputs(size, rng):
    return (rng.normal(size=10 if size == "small" else 1_000_000),)


# --- simulation: a ring of coupled nonlinear oscillators, 100 explicit steps -----------------

def oscillators(x, v, k):
    for step in range(100):
        coupling = np.roll(x, 1) + np.roll(x, -1) - 2.0 * x
        accel = k * coupling - np.sin(x) - 0.1 * v
        v = v + 0.01 * accel
        x = x + 0.01 * v
    return np.sum(x * x) + np.sum(v * v)


def oscillators_adjoint(x, v, k):
    xs = []
    couplings = []
    for step in range(100):
        coupling = np.roll(x, 1) + np.roll(x, -1) - 2.0 * x
        accel = k * coupling - np.sin(x) - 0.1 * v
        xs.append(x)
        couplings.append(coupling)
        v = v + 0.01 * accel
        x = x + 0.01 * v
    dx = 2.0 * x
    dv = 2.0 * v
    dk = 0.0
    for step in reversed(range(100)):
        x = xs[step]
        # x = x + 0.01 * v
        dv = dv + 0.01 * dx
        # v = v + 0.01 * accel
        daccel = 0.01 * dv
        # accel = k * coupling - sin(x) - 0.1 * v
        dk += np.sum(daccel * couplings[step])
        dcoupling = k * daccel
        dx = dx - daccel * np.cos(x)
        dv = dv - 0.1 * daccel
        # coupling = roll(x, 1) + roll(x, -1) - 2 x
        dx = dx + np.roll(dcoupling, -1) + np.roll(dcoupling, 1) - 2.0 * dcoupling
    return dx, dv, dk


def oscillators_inputs(size, rng):
    n = 8 if size == "small" else 20_000
    return (rng.normal(size=n), rng.normal(size=n), 0.5)


# --- the table ----------------------------------------------------------------------------------

@dataclass
class Workload:
    """One benchmark program: what it is, how to differentiate it by hand, and its inputs."""
    name: str
    description: str
    forward: object
    adjoint: object
    inputs: object                 # inputs(size, rng) -> tuple of arguments
    wrt: object = 0
    no_jit: str = ""               # why jax.jit cannot be timed on this program, if it cannot
    sizes: dict = field(default_factory=dict)   # size -> a short description of the inputs


WORKLOADS = [
    Workload("scalar_loop", "y = a*y + 0.1*sin(y), 100 steps; gradient wrt x and a",
             scalar_loop, scalar_loop_adjoint, scalar_loop_inputs, wrt=(0, 1),
             sizes={"small": "x a float", "large": "x of 50,000"}),
    Workload("mlp", "tanh MLP, 2 layers, softmax cross-entropy; gradient wrt w1, b1, w2, b2",
             mlp, mlp_adjoint, mlp_inputs, wrt=(0, 1, 2, 3),
             sizes={"small": "batch 8, 4-16-3", "large": "batch 256, 512-512-10"}),
    Workload("rnn", "h = tanh(h @ w + x_t @ u), 20 steps; gradient wrt w, u",
             rnn, rnn_adjoint, rnn_inputs, wrt=(0, 1),
             sizes={"small": "batch 1, hidden 8, input 4", "large": "batch 64, hidden 256, input 128"}),
    Workload("while_decay", "while sum(x*x) > 1e-3: x = 0.9x + 0.01 sin(x); sum of cos(x)",
             while_decay, while_decay_adjoint, while_decay_inputs, wrt=0,
             no_jit="jax.jit cannot compile a Python `while` on traced values, and "
                    "lax.while_loop has no reverse-mode derivative",
             sizes={"small": "x of 4 (~45 trips)", "large": "x of 50,000 (~100 trips)"}),
    Workload("logsumexp", "max-stabilised logsumexp of a vector",
             logsumexp, logsumexp_adjoint, logsumexp_inputs, wrt=0,
             sizes={"small": "x of 10", "large": "x of 1,000,000"}),
    Workload("oscillators", "ring of coupled pendulums (np.roll), 100 Euler steps; wrt x, v, k",
             oscillators, oscillators_adjoint, oscillators_inputs, wrt=(0, 1, 2),
             no_jit="XLA compile time of the unrolled loop grows faster than linearly "
                    "(gradient of 20 steps: 17 s); 100 steps does not finish in minutes",
             sizes={"small": "8 oscillators", "large": "20,000 oscillators"}),
]

BY_NAME = {w.name: w for w in WORKLOADS}
SIZES = ("small", "large")


def make_inputs(workload, size, seed=0):
    """The arguments of ``workload`` at ``size`` ('small' or 'large'), from a fixed seed."""
    return workload.inputs(size, np.random.default_rng(seed))


def positions(workload):
    """The argument positions the gradient is taken with respect to, as a tuple."""
    return workload.wrt if isinstance(workload.wrt, tuple) else (workload.wrt,)


def rebind(function, numpy_like):
    """The same function (same code object) with its global ``np`` bound to ``numpy_like``:
    ``autograd.numpy``, ``jax.numpy`` or the PyTorch shim below."""
    namespace = dict(function.__globals__, np=numpy_like)
    return types.FunctionType(function.__code__, namespace, function.__name__,
                              function.__defaults__, function.__closure__)


class TorchNumpy:
    """The few NumPy functions the workloads use, on torch tensors (autograd-tracked)."""

    def __init__(self, torch):
        self.torch = torch
        for name in ("sin", "cos", "tanh", "exp", "log"):
            setattr(self, name, getattr(torch, name))

    def sum(self, x, axis=None, keepdims=False):
        return self.torch.sum(x) if axis is None else self.torch.sum(x, dim=axis, keepdim=keepdims)

    def mean(self, x, axis=None, keepdims=False):
        return self.torch.mean(x) if axis is None else self.torch.mean(x, dim=axis,
                                                                       keepdim=keepdims)

    def max(self, x, axis=None, keepdims=False):
        return self.torch.amax(x) if axis is None else self.torch.amax(x, dim=axis,
                                                                       keepdim=keepdims)

    def roll(self, x, shift, axis=None):
        return self.torch.roll(x, shift) if axis is None else self.torch.roll(x, shift, axis)


# --- compile latency ----------------------------------------------------------------------------

def compile_target(w, b, xs, targets, decay):
    """A 30-line loss with loops, a branch, a while and early exit: what `rg.grad` compiles."""
    h = np.zeros(w.shape[1])
    loss = 0.0
    for t in range(len(xs)):
        pre = xs[t] @ w + b
        h = np.tanh(pre + decay * h)
        err = h - targets[t]
        if t % 2 == 0:
            loss = loss + np.sum(err * err)
        else:
            loss = loss + 0.5 * np.sum(np.abs(err))
        if loss > 1e6:
            break
    scale = 1.0
    while scale * np.sum(h * h) > 1.0:
        scale = scale * 0.5
    penalty = 0.0
    for row in range(w.shape[0]):
        norm = np.sqrt(np.sum(w[row] * w[row]) + 1e-12)
        if norm > 1.0:
            penalty = penalty + (norm - 1.0) ** 2
    spread = np.max(h) - np.min(h)
    logits = h * scale
    shifted = logits - np.max(logits)
    normaliser = np.log(np.sum(np.exp(shifted)))
    entropy = -np.sum(np.exp(shifted - normaliser) * (shifted - normaliser))
    total = loss / len(xs) + 0.01 * penalty + 0.1 * spread
    return total - 0.05 * entropy


def compile_target_inputs(rng):
    w = rng.normal(size=(6, 5))
    return (w, rng.normal(size=5), rng.normal(size=(4, 6)), rng.normal(size=(4, 5)), 0.5)


def fresh_compile_target():
    """A new function object with compile_target's code, so retrograd's cache cannot hit."""
    return rebind(compile_target, np)
