"""The command line: transpile a model module into a gradient module, then import and use it.

From the repository root, runs

    python -m retrograd transpile examples/models/logistic.py --function loss -o OUT.py

(OUT in a temporary folder), prints the file it wrote, imports it like any other module (it
needs only NumPy and ``retrograd.runtime``, not the compiler), checks ``grad_loss`` against
``rg.grad`` and trains the model with it. Then the same with ``--standalone``: a module that
needs NumPy only. Saves command_line.png when matplotlib is installed.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join("examples", "models", "logistic.py")      # relative to ROOT
MODELS = os.path.join(ROOT, "examples", "models")


def transpile(output, *options):
    """Run the command line (from the repository root); returns the completed process."""
    arguments = ["-m", "retrograd", "transpile", MODEL, "--function", "loss", "-o", output,
                 *options]
    print("$ python", " ".join(arguments))
    return subprocess.run([sys.executable, *arguments], capture_output=True, text=True,
                          cwd=ROOT)


def import_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compiler_free(path):
    """True if importing the generated module (in a fresh interpreter) loads no compiler
    module: generated code needs only NumPy and retrograd.runtime."""
    probe = ("import importlib.util, sys\n"
             f"sys.path.insert(0, {MODELS!r})\n"
             f"spec = importlib.util.spec_from_file_location('generated', {path!r})\n"
             "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
             "loaded = [m for m in sys.modules if m.startswith('retrograd') and "
             "not m.startswith('retrograd.runtime') and m != 'retrograd']\n"
             "print(','.join(loaded))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=os.path.dirname(path))
    return result.returncode == 0 and result.stdout.strip() == ""


def standalone_gradient(path, w, x, y, degree, l2):
    """``grad_loss`` of a module written with ``--standalone``, run in a fresh interpreter in
    which ``import retrograd`` fails: such a module needs NumPy only."""
    probe = ("import importlib.util, json, sys\n"
             "import numpy as np\n"
             "sys.modules['retrograd'] = None\n"
             f"sys.path.insert(0, {MODELS!r})\n"
             f"spec = importlib.util.spec_from_file_location('standalone', {path!r})\n"
             "module = importlib.util.module_from_spec(spec)\n"
             "spec.loader.exec_module(module)\n"
             "w, x, y, degree, l2 = json.loads(sys.stdin.read())\n"
             "g = module.grad_loss(np.array(w), np.array(x), np.array(y), degree, l2)\n"
             "print(json.dumps(g.tolist()))\n")
    payload = json.dumps([w.tolist(), x.tolist(), y.tolist(), degree, l2])
    result = subprocess.run([sys.executable, "-c", probe], input=payload, capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    return np.array(json.loads(result.stdout))


def save_plot(w, x, y, degree, filename="command_line.png"):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    from logistic import features
    grid = np.linspace(-2.0, 2.0, 200)
    probability = 1.0 / (1.0 + np.exp(-(features(grid, degree) @ w)))
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(x, y + 0.02 * np.random.default_rng(0).standard_normal(len(y)), ".", alpha=0.5,
              label="labels (jittered)")
    axes.plot(grid, probability, label="fitted P(y = 1 | x)")
    axes.set_xlabel("x")
    axes.legend()
    figure.tight_layout()
    figure.savefig(filename, dpi=100)
    print("saved", filename)


def main():
    with tempfile.TemporaryDirectory() as folder:
        output = os.path.join(folder, "logistic_grad.py")
        result = transpile(output)
        if result.returncode != 0:
            print(result.stdout + result.stderr)
            return 1
        with open(output) as file:
            lines = file.read().splitlines()
        print(f"it wrote {os.path.basename(output)}, {len(lines)} lines:\n")
        print("\n".join("    " + line if line else "" for line in lines))
        print()

        # The generated module imports what it uses from the model (here `features`), so the
        # model's folder goes on the path first, as it would in a project.
        sys.path.insert(0, MODELS)
        generated = import_file("logistic_grad", output)
        print("the generated module imports without the compiler:", compiler_free(output))

        import logistic
        import retrograd as rg

        rng = np.random.default_rng(0)
        x = rng.uniform(-2.0, 2.0, 400)
        y = (np.abs(x) < 1.0).astype(float)          # class 1 inside the interval (-1, 1)
        flip = rng.uniform(size=x.size) < 0.1
        y[flip] = 1.0 - y[flip]                      # 10% label noise
        degree, l2 = 4, 1e-4
        w = np.zeros(degree + 1)

        same = np.allclose(generated.grad_loss(w + 0.1, x, y, degree, l2),
                           rg.grad(logistic.loss)(w + 0.1, x, y, degree, l2))
        print("grad_loss from the file equals rg.grad(loss):", same)

        for step in range(3001):
            w = w - 0.2 * generated.grad_loss(w, x, y, degree, l2)
            if step % 1000 == 0:
                print(f"  step {step:4d}  loss {logistic.loss(w, x, y, degree, l2):.4f}")
        z = logistic.features(x, degree) @ w
        accuracy = np.mean((z > 0) == (y > 0.5))
        print(f"training accuracy {accuracy:.1%} (10% of the labels are flipped)")

        standalone = os.path.join(folder, "logistic_grad_standalone.py")
        result = transpile(standalone, "--standalone")
        if result.returncode != 0:
            print(result.stdout + result.stderr)
            return 1
        agrees = np.allclose(standalone_gradient(standalone, w, x, y, degree, l2),
                             generated.grad_loss(w, x, y, degree, l2))
        print("with --standalone it runs without retrograd installed, same gradient:", agrees)
        save_plot(w, x, y, degree)
    return 0 if same and agrees else 1


if __name__ == "__main__":
    sys.exit(main())
