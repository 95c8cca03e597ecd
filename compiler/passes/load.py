"""load: fetch a live function's source, parse it with gast and bind its names.

Assumes: a Python function object. Guarantees: a ``gast.FunctionDef`` whose line numbers are
the lines of the original file, a ``Context`` holding the function's globals, closure cells and
defaults, and that no construct outside the supported subset (generators, ``async``,
``global``/``nonlocal``, ``try``, ``with``, nested definitions, ...) appears in the body:
those are refused here with ``file:line``.
"""
import builtins
import inspect
import linecache
import textwrap

import gast

from ..context import Context, Names, Source
from ..errors import DifferentiationError, refuse

# Node types that may appear in a function body, and what to say about the others.
_REFUSED = {
    gast.Yield: ("generators (`yield`) cannot be differentiated",
                 "return a list or an array instead of yielding values"),
    gast.YieldFrom: ("generators (`yield from`) cannot be differentiated",
                     "return a list or an array instead of yielding values"),
    gast.Await: ("`await` cannot be differentiated", "differentiate a synchronous function"),
    gast.AsyncFor: ("`async for` cannot be differentiated", "use a plain `for` loop"),
    gast.AsyncWith: ("`async with` cannot be differentiated", "use plain code"),
    gast.AsyncFunctionDef: ("`async def` cannot be differentiated", "use a plain `def`"),
    gast.Global: ("`global` declarations are not supported",
                  "pass the value in as an argument and return the new value"),
    gast.Nonlocal: ("`nonlocal` declarations are not supported",
                    "pass the value in as an argument and return the new value"),
    gast.Try: ("`try` blocks are not supported in differentiated code",
               "move the `try` outside the function you differentiate"),
    gast.With: ("`with` blocks are not supported in differentiated code",
                "move the `with` outside the function you differentiate"),
    gast.FunctionDef: ("functions defined inside a differentiated function are not supported",
                       "define the helper at module level and call it"),
    gast.ClassDef: ("classes defined inside a differentiated function are not supported",
                    "define the class at module level"),
    gast.Lambda: ("`lambda` is not supported inside a differentiated function",
                  "define a named helper function at module level"),
    gast.Import: ("`import` inside a differentiated function is not supported",
                  "import at module level"),
    gast.ImportFrom: ("`import` inside a differentiated function is not supported",
                      "import at module level"),
    gast.Delete: ("`del` is not supported in differentiated code", "drop the `del`"),
    gast.NamedExpr: ("the walrus operator `:=` is not supported",
                     "assign the value in a statement of its own"),
    gast.ListComp: ("list comprehensions are not supported yet",
                    "write the loop out with `for` and `append`"),
    gast.SetComp: ("set comprehensions are not supported", "write the loop out"),
    gast.DictComp: ("dict comprehensions are not supported yet", "write the loop out"),
    gast.GeneratorExp: ("generator expressions are not supported yet",
                        "write the loop out with `for` and `append`"),
    gast.Match: ("`match` statements are not supported", "use `if`/`elif`"),
    gast.Set: ("sets are not supported in differentiated code", "use a list or a tuple"),
}


def run(function, wrt=None, options=None):
    """Load ``function``; return its FunctionDef and a Context."""
    options = options or {}
    source = _source_of(function)
    filename, first_line, lines, text = source
    try:
        module = gast.parse(textwrap.dedent(text))
    except SyntaxError as exc:  # e.g. a lambda in the middle of a line
        raise DifferentiationError(
            f"cannot parse the source of {function.__qualname__}: {exc.msg}",
            filename=filename, lineno=first_line, source_line=lines[first_line - 1]
            if first_line <= len(lines) else "",
            hint="define the function with `def` at module level") from None
    tree = module.body[0] if module.body else None
    if not isinstance(tree, (gast.FunctionDef, gast.AsyncFunctionDef)) \
            or tree.name != function.__name__:
        raise DifferentiationError(
            f"{function.__qualname__} is not a function defined with `def`",
            filename=filename, lineno=first_line, source_line=_line(lines, first_line),
            hint="define the function with `def` (lambdas cannot be differentiated)")
    _shift_lines(tree, first_line - 1)
    tree.decorator_list = []
    context = Context(
        name=function.__name__,
        source=Source(filename, tree.lineno, lines),
        namespace=_namespace(function),
        params=[a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs],
        function=function,
        optimize=options.get("optimize", True),
    )
    if isinstance(tree, gast.AsyncFunctionDef):
        raise refuse(context, tree, "`async def` cannot be differentiated",
                     "differentiate a synchronous function")
    _check_supported(tree, context)
    context.locals = _local_names(tree)
    context.names = Names(_all_names(tree) | set(context.namespace.get("__builtins_used__", ())))
    return tree, context


def _source_of(function):
    """(filename, first line, all file lines, function text) or a located refusal."""
    target = inspect.unwrap(function)
    if not inspect.isfunction(target):
        raise DifferentiationError(
            f"{getattr(function, '__name__', function)!r} has no Python source to differentiate "
            f"(it is a {type(function).__name__})",
            hint="differentiate a Python function defined with `def`; register a rule with "
                 "rg.register_adjoint for built-in or C functions")
    try:
        lines, first_line = inspect.getsourcelines(target)
    except (OSError, TypeError):
        raise DifferentiationError(
            f"the source of {target.__qualname__} is not available",
            filename=target.__code__.co_filename, lineno=target.__code__.co_firstlineno,
            hint="define the function in a file (functions typed into an interactive prompt "
                 "or created with exec have no source)") from None
    filename = target.__code__.co_filename
    all_lines = linecache.getlines(filename) or lines
    return filename, max(first_line, 1), all_lines, "".join(lines)


def _line(lines, lineno):
    return lines[lineno - 1] if 1 <= lineno <= len(lines) else ""


def _shift_lines(tree, offset):
    for node in gast.walk(tree):
        if hasattr(node, "lineno") and node.lineno is not None:
            node.lineno += offset
        if hasattr(node, "end_lineno") and node.end_lineno is not None:
            node.end_lineno += offset


def _namespace(function):
    """Globals, closure values and builtins, in the precedence Python uses."""
    target = inspect.unwrap(function)
    namespace = dict(vars(builtins))
    namespace.update(target.__globals__)
    if target.__closure__:
        for var, cell in zip(target.__code__.co_freevars, target.__closure__):
            try:
                namespace[var] = cell.cell_contents
            except ValueError:  # an empty cell: the variable is not bound yet
                pass
    return namespace


def _check_supported(tree, context):
    args = tree.args
    if args.vararg is not None or args.kwarg is not None:
        raise refuse(context, tree, "functions with *args or **kwargs are not supported",
                     "name every parameter explicitly")
    for node in gast.walk(tree):
        if node is tree:
            continue
        refusal = _REFUSED.get(type(node))
        if refusal is not None:
            message, hint = refusal
            raise refuse(context, node if hasattr(node, "lineno") else tree, message, hint)
        if isinstance(node, gast.Starred) and not _is_assignment_target(tree, node):
            raise refuse(context, _statement_holding(tree, node) or tree,
                         "starred expressions (`*x`) are not supported",
                         "index the sequence explicitly")


def _is_assignment_target(tree, starred):
    for node in gast.walk(tree):
        if isinstance(node, gast.Assign):
            for target in node.targets:
                if isinstance(target, (gast.Tuple, gast.List)) and any(
                        e is starred for e in target.elts):
                    return True
    return False


def _statement_holding(tree, target):
    for node in gast.walk(tree):
        if isinstance(node, gast.stmt) and node is not tree:
            if any(sub is target for sub in gast.walk(node)):
                holder = node
                for inner in gast.walk(node):
                    if isinstance(inner, gast.stmt) and any(s is target for s in gast.walk(inner)):
                        holder = inner
                return holder
    return None


def _local_names(tree):
    """Parameters and every name the body assigns (Python's rule for what is local)."""
    names = {a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs}
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            names.add(node.id)
    return names


def _all_names(tree):
    return {node.id for node in gast.walk(tree) if isinstance(node, gast.Name)}
