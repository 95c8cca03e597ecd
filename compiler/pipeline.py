"""The compiler's passes, in order, and the assembly of a derivative module.

    load -> resolve -> jumps -> normalize -> activity -> ranks -> aliases
         -> reverse (with saves) or forward -> copies -> broadcasts (reverse only) -> fold
         -> dce -> emit

``derive`` runs them for one function and, recursively, for every user function it calls
with active arguments (each callee's derivative is emitted once per set of active
parameters). The result is a ``Module``: its source text and the live functions compiled
from it.
"""
import builtins
import dataclasses
import inspect
import linecache
import re
import types

import gast
import numpy as np

import retrograd.runtime as rt

from . import rules, syntax
from .errors import DifferentiationError, InternalError
from .passes import (activity, aliases, broadcasts, copies, dce, emit, fold, forward, jumps, load,
                     normalize, ranks, resolve, reverse)

rules.load_families()

VERSION = "0.1.0"
PASSES = ("load", "resolve", "jumps", "normalize", "activity", "ranks", "aliases", "reverse",
          "copies", "fold", "dce", "emit")


@dataclasses.dataclass
class Unit:
    """One function's derivative code."""
    function: object
    wrt: tuple
    names: tuple           # the derivative function names it defines
    nodes: list            # gast FunctionDefs
    context: object
    comments: dict


@dataclasses.dataclass
class Module:
    """Derivative functions of one top-level function plus those of its helpers."""
    source: str
    functions: dict        # name -> the compiled derivative function
    entry: str             # name of the function the API calls (or forward name for split)
    backward: str = None
    cells: list = dataclasses.field(default_factory=list)   # (our cell, the original's cell)

    def refresh(self):
        """Copy closure variables' current values into the generated code's cells, so a
        derived closure sees what the original would see when called now. (Module globals
        need nothing: generated code reads the original module's globals directly.)"""
        for ours, theirs in self.cells:
            try:
                ours.cell_contents = theirs.cell_contents
            except ValueError:
                pass


class _Build:
    def __init__(self, options):
        self.options = options
        self.names = {}          # (function, wrt, ranks) -> (forward, backward) names
        self.pending = []
        self.taken = set()

    def unique(self, wanted):
        candidate, counter = wanted, 1
        while candidate in self.taken:
            counter += 1
            candidate = f"{wanted}_{counter}"
        self.taken.add(candidate)
        return candidate

    def helper_names(self, function, wrt, ranks=()):
        """Names of the forward/backward pair of a helper called in reverse-mode code."""
        key = (function, wrt, ranks, "split")
        if key not in self.names:
            base = function.__name__.lstrip("_") or "f"
            names = (self.unique(f"fwd_{base}"), self.unique(f"bwd_{base}"))
            self.names[key] = names
            self.pending.append((key, names))
        return self.names[key]

    def tangent_name(self, function, wrt, ranks=()):
        """Name of the tangent function of a helper called in forward-mode code."""
        return self._tangent_name(function, wrt, ranks, "jvp")

    def batched_tangent_name(self, function, wrt, ranks=()):
        """Name of the batched tangent function of a helper called in batched code."""
        return self._tangent_name(function, wrt, ranks, "jvp_batch")

    def _tangent_name(self, function, wrt, ranks, form):
        key = (function, wrt, ranks, form)
        if key not in self.names:
            base = function.__name__.lstrip("_") or "f"
            names = (self.unique(f"{form}_{base}"),)
            self.names[key] = names
            self.pending.append((key, names))
        return self.names[key][0]


def derive(function, wrt, form, options=None, param_kinds=None, param_ranks=None,
           same_shape=None, verbose=False, param_dims=None):
    """Compile the derivative of ``function`` w.r.t. parameter names ``wrt``.

    ``form`` is 'grad', 'value_and_grad' (joint functions), 'vjp' (forward/backward pair),
    'jvp' (tangent function) or 'jvp_batch' (tangent function for a batch of directions; raises
    ``rules.Unbatchable`` when some primitive has no batched rule). ``param_dims`` gives, per
    array parameter, a class per dimension (1 for a size of one; equal classes, equal sizes),
    which lets the ranks pass prove shapes and the code drop run-time broadcasting checks.
    """
    options = dict(options or {})
    build = _Build(options)
    top_name = _top_names(function, form, build)
    top = _compile_unit(function, wrt, form, top_name, build, param_kinds or {},
                        param_ranks or {}, verbose, same_shape or {}, param_dims or {})
    units = [top]
    while build.pending:
        key, names = build.pending.pop(0)
        function, wrt, ranks, form_of_helper = key
        units.append(_compile_unit(function, wrt, form_of_helper, names, build, {},
                                   dict(ranks), verbose))
    return _assemble(units, form, top_name)


def _top_names(function, form, build):
    base = function.__name__
    if form == "vjp":
        return build.unique(f"fwd_{base}"), build.unique(f"bwd_{base}")
    if form in ("jvp", "jvp_batch"):
        return (build.unique(f"{form}_{base}"),)
    prefix = "grad" if form == "grad" else "value_and_grad"
    return (build.unique(f"{prefix}_{base}"),)


def _compile_unit(function, wrt, form, names, build, param_kinds, param_ranks, verbose,
                  same_shape=None, param_dims=None):
    tree, context = load.run(function, options=build.options)
    context.names.taken |= build.taken
    context.wrt = tuple(wrt)
    context.param_kinds = dict(param_kinds)
    context.param_ranks = dict(param_ranks)
    context.same_shape = dict(same_shape or {})
    context.param_dims = dict(param_dims or {})
    try:
        tree = _run_passes(tree, context, build, verbose)
        if form == "jvp":
            tangent = forward.run(tree, context, build.tangent_name)
        elif form == "jvp_batch":
            tangent = forward.run(tree, context, build.batched_tangent_name, batched=True)
        else:
            derivative = reverse.run(tree, context, build.helper_names)
    except (DifferentiationError, rules.Unbatchable):
        raise
    except Exception as exc:  # an internal failure: report it against the user's code
        raise InternalError(
            f"internal error while differentiating {context.name}: "
            f"{type(exc).__name__}: {exc}", filename=context.source.filename,
            lineno=context.source.first_line,
            source_line=context.source.line(context.source.first_line),
            hint="this is a bug in retrograd; please report it with this function") from exc
    tangent_form = form in ("jvp", "jvp_batch")
    if not tangent_form and context.optimize:
        copies.propagate(derivative.adjoint)
    if tangent_form:
        nodes = [emit.tangent_function(tangent, names[0])]
        comments = tangent.comments
    elif form == "vjp" or form == "split":
        residuals = _residuals(derivative, context)
        derivative.preamble += [syntax.assign(v, syntax.const(None))
                                for v in _possibly_undefined(derivative, residuals)]
        nodes = list(emit.split(derivative, names[0], names[1], residuals))
    else:
        nodes = [emit.joint(derivative, names[0], with_value=(form == "value_and_grad"))]
    if not tangent_form:
        comments = derivative.comments
    if context.optimize:
        if not tangent_form:
            nodes = [broadcasts.run(copies.fold_temporaries(node), context) for node in nodes]
        nodes = [dce.run(fold.run(copies.fold_temporaries(node))) for node in nodes]
    build.taken |= set(names)
    return Unit(function, tuple(wrt), tuple(names), nodes, context, comments)


def _run_passes(tree, context, build, verbose):
    for step in (resolve, jumps, normalize, activity, ranks, aliases):
        tree = step.run(tree, context)
        if verbose:
            print(f"--- after {step.__name__.rsplit('.', 1)[-1]} ---")
            print(emit.to_source(tree, {}))
    return tree


def _residuals(derivative, context):
    """Primal names the backward function reads, in a stable order."""
    adjoint_side = set()
    for node in derivative.adjoint + [gast.Return(value=gast.Tuple(
            elts=derivative.gradients, ctx=gast.Load()))]:
        for sub in syntax.walk(node):
            if isinstance(sub, gast.Name):
                adjoint_side.add(sub.id)
    primal_side = set(context.params)
    for node in derivative.preamble + derivative.primal:
        for sub in syntax.walk(node):
            if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Store):
                primal_side.add(sub.id)
    order = context.params + sorted(primal_side - set(context.params))
    return [n for n in order if n in adjoint_side and n in primal_side]


def _possibly_undefined(derivative, residuals):
    defined = set()
    for node in derivative.preamble + derivative.primal:
        if isinstance(node, gast.Assign):
            for target in node.targets:
                defined |= {n.id for n in syntax.walk(target) if isinstance(n, gast.Name)}
    params = {a.id for a in derivative.args.args + derivative.args.posonlyargs +
              derivative.args.kwonlyargs}
    return [r for r in residuals if r not in defined and r not in params]


def _assemble(units, form, top_names):
    top = units[0]
    filename = top.context.source.filename
    comments = {}
    for unit in units:
        comments.update(unit.comments)
    texts = {unit.names: [emit.to_source(node, comments) for node in unit.nodes]
             for unit in units}
    body = "\n".join(t for unit in units for t in texts[unit.names])
    header = (f'"""Derivative of {top.context.name} ({syntax.short_filename(filename)}), '
              f'generated by retrograd {VERSION}."""\n'
              + ("import numpy as np\n" if re.search(r"\bnp\.", body) else "")
              + ("import retrograd.runtime as rt\n" if re.search(r"\brt\.", body) else ""))
    source = header + "\n\n" + "\n\n".join(
        t.rstrip() + "\n" for unit in units for t in texts[unit.names])
    code_name = f"<retrograd: {'/'.join(top_names)} of {filename}>"
    linecache.cache[code_name] = (len(source), None, source.splitlines(True), code_name)
    derived_names = [name for unit in units for name in unit.names]
    functions, cells = {}, []
    for unit in units:
        made = _instantiate(unit, texts[unit.names], source, code_name, derived_names)
        functions.update(made)
        original = inspect.unwrap(unit.function)
        for name, cell in zip(original.__code__.co_freevars, original.__closure__ or ()):
            for function in made.values():
                target = _cell(function, name)
                if target is not None:
                    cells.append((target, cell))
    for function in functions.values():     # calls between derivative functions
        for name in function.__code__.co_freevars:
            if name in functions:
                _cell(function, name).cell_contents = functions[name]
    entry = top.names[0]
    backward = top.names[1] if len(top.names) > 1 else None
    module = Module(source, functions, entry, backward, cells)
    module.refresh()
    return module


def _instantiate(unit, texts, source, code_name, derived_names):
    """Create a unit's functions so they read the user's module globals live.

    The generated functions are defined inside a factory whose parameters are the names our
    code adds (``np``, ``rt``, other derivative functions, custom rules, closure variables);
    everything else resolves in the user's module, as it would in the original function.
    """
    original = inspect.unwrap(unit.function)
    own = {"np": np, "rt": rt}
    own.update(unit.context.generated_names)
    for name in derived_names:
        own.setdefault(name, None)
    for name in original.__code__.co_freevars:
        own.setdefault(name, None)
    parameters = sorted(own)
    # The unit's functions, cut from the listing itself so every line number matches it.
    lines = source.splitlines()
    starts = [source[:source.find("\ndef " + name + "(") + 1].count("\n") for name in unit.names]
    line, end = min(starts), max(starts)
    end += 1
    while end < len(lines) and not lines[end].startswith("def "):
        end += 1
    body = _indent("\n".join(lines[line:end]))
    factory_source = ("\n" * max(line - 1, 0) + f"def __retrograd_factory__({', '.join(parameters)}):\n"
                      + body + f"\n    return {{{', '.join(f'{n!r}: {n}' for n in unit.names)}}}\n")
    scratch = {"__builtins__": builtins}
    exec(compile(factory_source, code_name, "exec"), scratch)  # noqa: S102 - our own code
    factory = types.FunctionType(scratch["__retrograd_factory__"].__code__, original.__globals__,
                                 "__retrograd_factory__")
    return factory(*[own[name] for name in parameters])


def _indent(text):
    return "\n".join(("    " + line) if line.strip() else line for line in text.splitlines())


def _cell(function, name):
    try:
        return function.__closure__[function.__code__.co_freevars.index(name)]
    except (ValueError, TypeError):
        return None
