"""The ``retrograd`` command line (also ``python -m retrograd``).

Commands:
  transpile PATH...     write derivative modules (static: the input is read, never run)
  show FILE.py:FUNC     print the derivative code of one function (static too)
  check FILE.py:FUNC    compare its gradient with central differences at random inputs
                        (this one imports the module)
"""
import argparse
import ast
import dataclasses
import importlib.util
import inspect
import os
import sys

from . import static, transpile
from .errors import DifferentiationError

_SUFFIX = {"reverse": "_grad", "forward": "_jvp"}


class _Failure(Exception):
    """A user-facing error already located: (filename, line, column, message, source, hint)."""

    def __init__(self, message, filename=None, lineno=None, col=None, source_line=None,
                 hint=None):
        super().__init__(message)
        self.message, self.filename, self.lineno = message, filename, lineno
        self.col, self.source_line, self.hint = col, source_line, hint


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130


# -- arguments ------------------------------------------------------------------------------

def _parser():
    parser = argparse.ArgumentParser(
        prog="retrograd", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Source-to-source automatic differentiation for Python and NumPy: "
                    "writes the derivative code of your functions as plain Python.",
        epilog="examples:\n  retrograd transpile model.py -o model_grad.py\n"
               "  retrograd show model.py:loss\n  retrograd check model.py:loss --shape w=3x4\n\n"
               "Run `retrograd COMMAND --help` for the options of each command.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    text = commands.add_parser(
        "transpile", help="write derivative modules of Python files",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write a module holding grad_f (reverse mode) or jvp_f (forward mode) "
                    "for each function f,\nplus the derivatives of the helpers it calls. The "
                    "input is read, never run: imports\nof libraries are followed, the user's "
                    "own modules are read statically, and module-level\nvalues are imported "
                    "from the source module when the output runs.",
        epilog="examples:\n"
               "  retrograd transpile model.py                  # writes model_grad.py beside "
               "it\n"
               "  retrograd transpile model.py -o out.py --function loss --wrt w\n"
               "  retrograd transpile src/ -o build/grads --keep-going   # mirrors the tree\n"
               "  retrograd transpile model.py --mode forward --standalone")
    text.add_argument("paths", nargs="+", metavar="PATH", help=".py files or directories")
    text.add_argument("-o", "--output", metavar="OUT",
                      help="output file (one input file) or directory (default: beside each "
                           "input, as NAME_grad.py or NAME_jvp.py)")
    text.add_argument("--function", action="append", metavar="NAME",
                      help="function to differentiate (repeatable; default: every public "
                           "top-level function)")
    _common(text)
    text.add_argument("--standalone", action="store_true",
                      help="copy the runtime helpers into the output so that it needs NumPy "
                           "only")
    text.add_argument("--force", action="store_true",
                      help="replace output files that retrograd did not generate")
    text.add_argument("--keep-going", action="store_true",
                      help="continue past functions and files that fail")
    text.set_defaults(run=_run_transpile)

    show = commands.add_parser(
        "show", help="print the derivative code of a function",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Print the module `transpile` would write for one function (highlighted "
                    "on a terminal\nwhen pygments is installed). The file is read, not run.",
        epilog="example:\n  retrograd show model.py:loss --wrt w --mode forward")
    show.add_argument("target", metavar="FILE.py:FUNC")
    _common(show)
    show.add_argument("--standalone", action="store_true", help="show the --standalone form")
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="highlight the code (default: auto, on a terminal)")
    show.set_defaults(run=_run_show)

    check = commands.add_parser(
        "check", help="check a gradient against central differences",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Import the module, draw random inputs (standard normal; scalars unless "
                    "--shape says\notherwise), and print for each argument the max relative "
                    "error between retrograd's\ngradient and central differences. Exits 1 "
                    "above the tolerance. Parameters with a default\nvalue keep it unless "
                    "named by --shape or --wrt.",
        epilog="example:\n  retrograd check model.py:loss --shape w=3x4 --shape x=4 "
               "--value n=3 --seed 1")
    check.add_argument("target", metavar="FILE.py:FUNC")
    check.add_argument("--shape", action="append", default=[], metavar="NAME=3x4",
                       help="shape of an array argument (repeatable; scalar by default)")
    check.add_argument("--value", action="append", default=[], metavar="NAME=VALUE",
                       help="a fixed, not checked, argument value (a Python literal, e.g. n=3)")
    check.add_argument("--wrt", action="append", metavar="NAME",
                       help="only check these parameters (repeatable)")
    check.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    check.add_argument("--tolerance", type=float, default=1e-5,
                       help="largest acceptable relative error (default 1e-5)")
    check.set_defaults(run=_run_check)
    return parser


def _common(command):
    command.add_argument("--wrt", action="append", metavar="NAME",
                         help="parameter to differentiate (repeatable; default: the first)")
    command.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                         help="reverse: grad_f (default); forward: jvp_f")
    command.add_argument("--no-optimize", dest="optimize", action="store_false",
                         help="skip the simplification passes")


# -- transpile ------------------------------------------------------------------------------

@dataclasses.dataclass
class _Job:
    path: str            # input file
    output: str          # output file
    display: str         # the input's name in headers


@dataclasses.dataclass
class _Tally:
    files: int = 0
    functions: int = 0
    written: int = 0
    unchanged: int = 0
    errors: int = 0


def _run_transpile(args):
    tally = _Tally()
    try:
        jobs = _jobs(args)
    except _Failure as failure:
        _report(failure)
        return 1
    loader = static.Loader()
    inputs = [job.path for job in jobs]
    found = set()
    for job in jobs:
        try:
            _transpile_one(job, args, loader, inputs, tally, found)
        except (_Failure, static.StaticError, DifferentiationError,
                transpile.OutputError) as failure:
            _report(failure)
            tally.errors += 1
            if not args.keep_going:
                break
    else:
        for name in args.function or ():
            if name not in found:
                _report(_Failure(f"no top-level function {name!r} in "
                                 f"{', '.join(args.paths)}"))
                tally.errors += 1
    print(f"retrograd: {tally.functions} function(s) in {tally.files} file(s); "
          f"{tally.written} written, {tally.unchanged} unchanged, {tally.errors} error(s)")
    return 1 if tally.errors else 0


def _jobs(args):
    jobs = []
    to_directory = args.output is not None and (
        len(args.paths) > 1 or os.path.isdir(args.output) or args.output.endswith(os.sep)
        or any(os.path.isdir(p) for p in args.paths))
    suffix = _SUFFIX[args.mode]
    for path in args.paths:
        if os.path.isdir(path):
            base = os.path.basename(os.path.normpath(os.path.abspath(path)))
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders
                                       if not d.startswith(".") and d != "__pycache__")
                for filename in sorted(files):
                    file = os.path.join(folder, filename)
                    if not filename.endswith(".py") or transpile.is_generated(file):
                        continue
                    relative = os.path.relpath(file, path)
                    stem = os.path.splitext(relative)[0] + suffix + ".py"
                    output = os.path.join(args.output or path, stem)
                    jobs.append(_Job(file, output, os.path.join(base, relative)))
        elif os.path.isfile(path):
            if not path.endswith(".py"):
                raise _Failure("not a Python file (expected NAME.py)", path)
            stem = os.path.splitext(os.path.basename(path))[0] + suffix + ".py"
            if args.output is None:
                output = os.path.join(os.path.dirname(path), stem)
            elif to_directory:
                output = os.path.join(args.output, stem)
            else:
                output = args.output
            jobs.append(_Job(path, output, os.path.basename(path)))
        else:
            raise _Failure("no such file or directory", path)
    return jobs


def _transpile_one(job, args, loader, inputs, tally, found):
    source = loader.load(job.path)
    requests = _requests(source, args, found, explicit_file=not os.path.isdir(
        args.paths[0]) and len(args.paths) == 1)
    if not requests:
        return
    tally.files += 1
    failures = []

    def keep_going(exc):
        failures.append(exc)
    text, made = transpile.module_text(
        source, requests, args.mode, args.optimize, args.standalone, job.display, loader,
        on_error=keep_going if args.keep_going else None)
    for failure in failures:
        _report(failure)
    tally.errors += len(failures)
    tally.functions += len(made)
    if not made:
        return
    if transpile.write(job.output, text, inputs, args.force):
        tally.written += 1
        print(f"wrote {job.output} ({', '.join(derived for _, derived in made)})")
    else:
        tally.unchanged += 1


def _requests(source, args, found, explicit_file=True):
    """The functions of ``source`` to differentiate, with their ``wrt`` parameters."""
    functions = source.functions()
    requests = []
    wanted = args.function or [n for n in functions if not n.startswith("_")]
    explicit = bool(args.function)
    for name in wanted:
        if name not in functions:
            if explicit and explicit_file:
                raise _Failure(f"no top-level function {name!r}", source.path)
            continue
        found.add(name)
        node = source.definitions[name]
        params = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        if not explicit:
            reason = _not_a_candidate(node, params)
            if reason:
                _report(_Failure(f"skipping {name}: {reason}", source.path, node.lineno,
                                 node.col_offset + 1), kind="note")
                continue
        if args.wrt:
            wrt = [p for p in args.wrt if p in params]    # each function: those it has
            if not wrt and explicit:
                raise _Failure(f"{name} has none of the --wrt parameters (its parameters: "
                               f"{', '.join(params) or 'none'})", source.path, node.lineno,
                               node.col_offset + 1, source.line(node.lineno))
            if not wrt:
                _report(_Failure(f"skipping {name}: it has none of the --wrt parameters",
                                 source.path, node.lineno, node.col_offset + 1), kind="note")
                continue
        elif params:
            wrt = params[:1]
        else:
            raise _Failure(f"{name} has no parameters to differentiate", source.path,
                           node.lineno, node.col_offset + 1, source.line(node.lineno))
        requests.append(transpile.Request(name, tuple(wrt)))
    return requests


def _not_a_candidate(node, params):
    if static.is_generator(node):
        return "generators cannot be differentiated"
    if isinstance(node, ast.AsyncFunctionDef):
        return "`async def` cannot be differentiated"
    if node.decorator_list:
        return "decorated functions are skipped (name it with --function to differentiate " \
               "its body)"
    if not params:
        return "it has no parameters"
    return None


# -- show -----------------------------------------------------------------------------------

def _run_show(args):
    try:
        path, name = _target(args.target)
        loader = static.Loader()
        source = loader.load(path)
        args.function = [name]
        requests = _requests(source, args, set())
        text, _ = transpile.module_text(source, requests, args.mode, args.optimize,
                                        args.standalone, os.path.basename(path), loader)
    except (_Failure, static.StaticError, DifferentiationError) as failure:
        _report(failure)
        return 1
    sys.stdout.write(_highlight(text, args.color))
    return 0


def _highlight(text, color):
    wanted = color == "always" or (color == "auto" and sys.stdout.isatty()
                                   and not os.environ.get("NO_COLOR")
                                   and os.environ.get("TERM") != "dumb")
    if not wanted:
        return text
    try:
        import pygments
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return text
    return pygments.highlight(text, PythonLexer(), TerminalFormatter())


def _target(spec):
    path, _, name = spec.rpartition(":")
    if not path or not name or not name.isidentifier():
        raise _Failure(f"expected FILE.py:FUNCTION, got {spec!r}")
    if not os.path.isfile(path):
        raise _Failure("no such file", path)
    return path, name


# -- check ----------------------------------------------------------------------------------

def _run_check(args):
    import numpy as np

    import retrograd as rg
    try:
        path, name = _target(args.target)
        function = _import_function(path, name)
        signature = inspect.signature(function)
        shapes = dict(_shape(text) for text in args.shape)
        values = dict(_value(text) for text in args.value)
        rng = np.random.default_rng(args.seed)
        arguments, checked = [], []
        for parameter in signature.parameters.values():
            pname = parameter.name
            if pname in values:
                arguments.append(values[pname])
                continue
            if parameter.default is not parameter.empty and pname not in shapes \
                    and pname not in (args.wrt or ()):
                arguments.append(parameter.default)
                continue
            shape = shapes.get(pname, ())
            arguments.append(rng.standard_normal(shape) if shape
                             else float(rng.standard_normal()))
            if not args.wrt or pname in args.wrt:
                checked.append((len(arguments) - 1, pname))
        for pname in list(shapes) + list(values) + list(args.wrt or ()):
            if pname not in signature.parameters:
                raise _Failure(f"{name} has no parameter {pname!r}", path)
        worst = 0.0
        for position, pname in checked:
            error = rg.check_grad(function, *arguments, wrt=position)
            print(f"{pname}: max relative error {error:.2e}")
            worst = max(worst, error)
    except (_Failure, static.StaticError, DifferentiationError) as failure:
        _report(failure)
        return 1
    verdict = "ok" if worst <= args.tolerance else "FAILED"
    print(f"{verdict}: {len(checked)} argument(s) of {name}, max relative error {worst:.2e} "
          f"(tolerance {args.tolerance:.0e})")
    return 0 if worst <= args.tolerance else 1


def _import_function(path, name):
    module_name = "_retrograd_check_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec.loader.exec_module(module)
    function = getattr(module, name, None)
    if not inspect.isfunction(function):
        raise _Failure(f"no top-level function {name!r}", path)
    return function


def _shape(text):
    name, _, dims = text.partition("=")
    try:
        return name, tuple(int(d) for d in dims.lower().split("x") if d)
    except ValueError:
        raise _Failure(f"--shape expects NAME=3x4, got {text!r}") from None


def _value(text):
    name, _, literal = text.partition("=")
    try:
        return name, ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        raise _Failure(f"--value expects NAME=LITERAL (e.g. n=3), got {text!r}") from None


# -- errors ---------------------------------------------------------------------------------

def _report(failure, kind="error"):
    """``file:line:col: error: message``, the source line with a caret, and the hint."""
    filename = getattr(failure, "filename", None)
    lineno = getattr(failure, "lineno", None)
    source_line = getattr(failure, "source_line", None)
    col = getattr(failure, "col", None)
    message = getattr(failure, "message", None) or str(failure)
    if col is None and source_line:
        col = len(source_line) - len(source_line.lstrip()) + 1
    location = ""
    if filename:
        location = _display(filename) + ":"
        if lineno:
            location += f"{lineno}:" + (f"{col}:" if col else "")
        location += " "
    lines = [f"{location}{kind}: {message}"]
    if source_line:
        lines.append("    " + source_line.rstrip())
        if col:
            lines.append("    " + " " * (col - 1) + "^")
    hint = getattr(failure, "hint", None)
    if hint:
        lines.append(f"  hint: {hint}")
    print("\n".join(lines), file=sys.stderr)


def _display(filename):
    relative = os.path.relpath(filename) if os.path.isabs(filename) else filename
    return filename if relative.startswith("..") else relative
