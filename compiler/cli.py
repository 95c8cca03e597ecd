"""The ``retrograd`` command line.

Commands:
  show FILE.py:FUNC     print the derivative code of a function
  check FILE.py:FUNC    compare its gradient with central differences at random inputs
"""
import argparse
import importlib.util
import os
import sys

import numpy as np


def _load_function(spec):
    path, _, name = spec.rpartition(":")
    if not path or not name:
        raise SystemExit(f"retrograd: expected FILE.py:FUNCTION, got {spec!r}")
    module_name = "_retrograd_cli_" + os.path.splitext(os.path.basename(path))[0]
    loader = importlib.util.spec_from_file_location(module_name, path)
    if loader is None:
        raise SystemExit(f"retrograd: cannot read {path}")
    module = importlib.util.module_from_spec(loader)
    sys.modules[module_name] = module
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    loader.loader.exec_module(module)
    try:
        return getattr(module, name)
    except AttributeError:
        raise SystemExit(f"retrograd: {path} defines no function {name!r}") from None


def _shape(text):
    name, _, dims = text.partition("=")
    return name, tuple(int(d) for d in dims.split("x") if d)


def main(argv=None):
    import retrograd as rg
    parser = argparse.ArgumentParser(
        prog="retrograd", description="Source-to-source automatic differentiation for "
        "Python and NumPy.",
        epilog="example: retrograd show model.py:loss")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print the gradient code of a function",
                               epilog="example: retrograd show model.py:loss")
    show.add_argument("target", help="FILE.py:FUNCTION")
    show.add_argument("--wrt", action="append", help="parameter to differentiate (repeatable)")
    check = commands.add_parser("check", help="check a gradient against finite differences",
                                epilog="example: retrograd check model.py:loss --shape w=3x4")
    check.add_argument("target", help="FILE.py:FUNCTION")
    check.add_argument("--shape", action="append", default=[], help="NAME=3x4 (scalar default)")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args(argv)
    try:
        function = _load_function(args.target)
        if args.command == "show":
            wrt = tuple(args.wrt) if args.wrt else 0
            print(rg.source(rg.grad(function, wrt=wrt)))
            return 0
        import inspect
        params = list(inspect.signature(function).parameters)
        shapes = dict(_shape(s) for s in args.shape)
        rng = np.random.default_rng(args.seed)
        values = [rng.standard_normal(shapes[p]) if shapes.get(p) else float(rng.standard_normal())
                  for p in params]
        worst = 0
        for position, name in enumerate(params):
            error = rg.check_grad(function, *values, wrt=position)
            print(f"{name}: max relative error {error:.2e}")
            worst = max(worst, error)
        return 0 if worst <= args.tolerance else 1
    except rg.DifferentiationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
