"""ranks: how many dimensions each variable has, where the code and the arguments tell.

Assumes: a normalized body, resolved calls, and ``context.param_ranks`` (from the values a
derived function was first called with; empty when unknown, as for the command line).
Guarantees: ``context.ranks`` maps names to an ``int`` number of dimensions (0 for Python and
NumPy scalars) or ``None`` when unknown. Flow-insensitive: a name whose assignments disagree
is unknown. ``context.shapes`` names shapes by symbols: two values with the same symbol have
the same shape (see ``shapes`` below). The reverse pass uses both to leave out
``unbroadcast`` where no broadcasting can have happened, which also spares the saves those
calls would need.
"""
import functools
import math

import gast
import numpy as np

from .. import rules, syntax
from . import activity


def run(tree, context):
    ranks = _global_numbers(tree, context)
    ranks.update({p: context.param_ranks.get(p) for p in context.params})
    assigned = {}
    ints = set()
    for node in syntax.walk(tree):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            assigned.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
            ints.add(node.target.id)
            ranks[node.target.id] = 0
    context.tuples = {name: values[0] for name, values in assigned.items()
                      if len(values) == 1 and isinstance(values[0], (gast.Tuple, gast.List))}
    context.tuples.update({name: values[0] for name, values in assigned.items()
                           if len(values) == 1 and isinstance(values[0], gast.Call)})
    context.tuple_ranks = {}      # id(helper call) -> ranks of the tuple it returns
    # Optimistic fixpoint: start from "no information" so that loops (``total = total + t``)
    # settle on a rank; a name whose assignments disagree becomes unknown (None).
    for name in assigned:
        if name not in context.params:
            ranks[name] = _NOTHING
    for _ in range(10):
        changed = False
        for name, values in assigned.items():
            # a parameter the body reassigns has the rank of its argument and of every value
            # assigned to it, or none
            new = context.param_ranks.get(name) if name in context.params else _NOTHING
            for value in values:
                new = _join(new, _rank(value, ranks, ints, context))
            if new != ranks.get(name):
                ranks[name] = new
                changed = True
        if not changed:
            break
    for name, rank in ranks.items():
        if rank is _NOTHING:
            ranks[name] = None
    context.ranks = ranks
    context.shapes = shapes(tree, context, ranks, ints)
    context.kinds = Kinds(tree, context)
    return tree


class _Nothing:
    """No assignment seen yet (the bottom of the lattice)."""

    def __repr__(self):
        return "nothing"


_NOTHING = _Nothing()


def _join(a, b):
    if a is _NOTHING:
        return b
    if b is _NOTHING:
        return a
    return a if a == b else None


def rank_of(node, ranks):
    if isinstance(node, gast.Constant):
        return 0 if isinstance(node.value, (int, float, complex, bool)) else None
    if isinstance(node, gast.Name):
        return ranks.get(node.id)
    return None


def _global_numbers(tree, context):
    """Module-level names read by the function that hold plain numbers now: rank 0 (the code
    generated for them assumes they stay numbers)."""
    found = {}
    for node in syntax.walk(tree):
        if isinstance(node, gast.Name) and node.id not in context.locals:
            value = context.namespace.get(node.id)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found[node.id] = 0
    return found


def _rank(value, ranks, ints, context):
    if isinstance(value, (gast.Constant, gast.Name)):
        return rank_of(value, ranks)
    if _is_stack_pop(value):
        return _NOTHING    # restores a value saved earlier: its rank comes from elsewhere
    if isinstance(value, gast.BinOp):
        left, right = rank_of(value.left, ranks), rank_of(value.right, ranks)
        if left is _NOTHING or right is _NOTHING:
            return _NOTHING
        if left is None or right is None:
            return None
        if isinstance(value.op, gast.MatMult):
            return _matmul(left, right)
        return max(left, right)
    if isinstance(value, gast.UnaryOp):
        return rank_of(value.operand, ranks) if not isinstance(value.op, gast.Not) else 0
    if isinstance(value, gast.Subscript):
        element = _tuple_element(value, ranks, context)
        if element is not None:
            return element
        base = rank_of(value.value, ranks)
        return base if base is _NOTHING else _index(base, value.slice, ranks, ints)
    if isinstance(value, gast.Attribute):
        if value.attr == "T" and isinstance(value.value, gast.Name):
            return ranks.get(value.value.id)
        return None
    if isinstance(value, gast.Call):
        return _call(value, ranks, context)
    return None


def _tuple_element(value, ranks, context):
    """The rank of ``t[i]`` where ``t`` is a literal tuple or what a helper returns as a
    tuple (``s0, s1 = h(x)`` after ANF), or None."""
    if not (isinstance(value.value, gast.Name) and isinstance(value.slice, gast.Constant)
            and type(value.slice.value) is int):
        return None
    source = getattr(context, "tuples", {}).get(value.value.id)
    index = value.slice.value
    if isinstance(source, (gast.Tuple, gast.List)):
        elts = source.elts
        return rank_of(elts[index], ranks) if -len(elts) <= index < len(elts) else None
    if isinstance(source, gast.Call):
        found = context.tuple_ranks.get(id(source))
        if found is not None and -len(found) <= index < len(found):
            return found[index]
    return None


def _is_stack_pop(value):
    """``_stack_x.pop()`` in generated adjoint code (being differentiated again)."""
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr == "pop" and not value.args \
        and isinstance(value.func.value, gast.Name) \
        and value.func.value.id.startswith("_stack_")


def _matmul(left, right):
    if left == 1 and right == 1:
        return 0
    if left == 1:
        return right - 1
    if right == 1:
        return left - 1
    return max(left, right)


def _index(base, index, ranks, ints):
    if base is None:
        return None
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    rank = base
    for part in parts:
        if isinstance(part, gast.Slice):
            continue
        if isinstance(part, gast.Constant):
            if part.value is None:
                rank += 1
            elif part.value is Ellipsis:
                continue
            elif isinstance(part.value, int):
                rank -= 1
            else:
                return None
        elif isinstance(part, gast.Name) and (part.id in ints or ranks.get(part.id) == 0):
            rank -= 1
        elif isinstance(part, (gast.BinOp, gast.UnaryOp)) and all(
                (isinstance(n, gast.Name) and (n.id in ints or ranks.get(n.id) == 0))
                or (isinstance(n, gast.Constant) and isinstance(n.value, int))
                for n in syntax.walk(part) if isinstance(n, (gast.Name, gast.Constant))):
            rank -= 1
        else:
            return None
    return rank if rank >= 0 else None


def _call(call, ranks, context):
    if isinstance(call.func, gast.Attribute) and syntax.root_name(call.func) in context.locals:
        method = call.func.attr
        rule = rules.METHODS.get(method)
        if rule is None:
            return None
        args = [call.func.value] + list(call.args)
    else:
        callee = activity.lookup(context, call)
        if callee.kind == "nondifferentiable":
            if callee.obj in (len, int, round, float) or getattr(callee.obj, "__module__", "") \
                    == "math":
                return 0
            if callee.obj.__name__ in ("zeros_like", "ones_like", "empty_like", "full_like") \
                    and call.args:
                return rank_of(call.args[0], ranks)
            if isinstance(callee.obj, np.ufunc) and callee.obj.nin == len(call.args) \
                    and not call.keywords:
                found = [rank_of(a, ranks) for a in call.args]    # np.floor(x): x's rank
                if _NOTHING in found:
                    return _NOTHING
                return None if None in found else max(found)
            return None
        if callee.kind == "function":
            position = _returns_parameter(callee.obj)    # `def h(p): ...; return p`
            if position is not None and position < len(call.args):
                return rank_of(call.args[position], ranks)
            if call.keywords or any(isinstance(a, gast.Starred) for a in call.args):
                return None
            arg_ranks = tuple(rank_of(a, ranks) for a in call.args)
            if _NOTHING in arg_ranks:
                return _NOTHING
            result = helper_rank(callee.obj, arg_ranks)
            if isinstance(result, tuple):             # a tuple of values: no rank itself
                context.tuple_ranks[id(call)] = result
                return None
            return result
        if callee.kind != "rule":
            return None
        if getattr(callee.obj, "__module__", None) == "math" or callee.obj is float:
            return 0
        rule = callee.rule
        args = list(call.args)
    try:
        bound = rules.bind(rule, args, {k.arg: k.value for k in call.keywords})
    except rules.BindingError:
        return None
    arg_ranks = {p: rank_of(n, ranks) for p, n in bound.items() if not isinstance(n, gast.Tuple)}
    if any(r is _NOTHING for r in arg_ranks.values()):
        return _NOTHING
    family, name = rule.family, rule.name
    if family == "elementwise":
        operands = [arg_ranks.get(p) for p in rule.differentiable + (
            ["condition"] if "condition" in bound else [])]
        if name == "array" or any(r is None for r in operands):
            return None
        return max(operands) if operands else None
    if family == "reductions":
        x = arg_ranks.get("x")
        axis, keepdims = bound.get("axis"), bound.get("keepdims")
        if name == "builtin_sum":           # sum(v): over the first axis (or a list)
            start = arg_ranks.get("start", 0)
            return None if x is None or start is None else max(x - 1, start)
        if _constant(axis) and axis.value is None and _constant(keepdims) \
                and not keepdims.value and name not in ("cumsum", "cumprod"):
            return 0                    # a total of anything is a number
        if x is None or not _constant(axis) or not _constant(keepdims):
            return None
        if name in ("cumsum", "cumprod"):
            return 1 if axis.value is None else x
        if keepdims.value:
            return x
        if axis.value is None:
            return 0
        return x - 1
    if family == "linalg":
        if name == "matmul":
            x, y = arg_ranks.get("x"), arg_ranks.get("y")
            return None if x is None or y is None else _matmul(x, y)
        if name == "dot":
            a, b = arg_ranks.get("a"), arg_ranks.get("b")
            if a is None or b is None:
                return None
            return max(a, b) if 0 in (a, b) else a + b - 2
        if name == "outer":
            return 2
        if name == "det":
            a = arg_ranks.get("a")
            return None if a is None else a - 2
        if name in ("inv", "cholesky"):
            return arg_ranks.get("a")
        if name == "solve":
            return arg_ranks.get("b")
        if name == "norm":
            axis, keepdims = bound.get("axis"), bound.get("keepdims")
            if _constant(axis) and axis.value is None and _constant(keepdims) \
                    and not keepdims.value:
                return 0
        return None
    if family == "shape":
        if name in ("transpose", "swapaxes", "moveaxis", "flip", "fliplr", "flipud", "roll",
                    "copy", "copy_method", "astype"):
            return arg_ranks.get(rule.params[0])
        if name == "sort":
            axis = bound.get("axis")
            return 1 if _constant(axis) and axis.value is None else arg_ranks.get("a")
        if name == "ravel":
            return 1
        if name in ("reshape", "reshape_method"):
            shape = bound.get("shape") if name == "reshape" else bound.get(rule.vararg)
            if isinstance(shape, gast.Tuple) and len(shape.elts) == 1 \
                    and name == "reshape_method":
                shape = shape.elts[0]       # a.reshape((2, 2)) as well as a.reshape(2, 2)
            if isinstance(shape, gast.Name):
                shape = context.tuples.get(shape.id, shape)     # the tuple ANF named
            if isinstance(shape, (gast.Tuple, gast.List)):
                return len(shape.elts)
            if isinstance(shape, gast.Constant) and type(shape.value) is int:
                return 1
        pieces = bound.get(rule.params[0])
        if isinstance(pieces, gast.Name):
            pieces = context.tuples.get(pieces.id)      # the tuple ANF named
        if name in ("concatenate", "stack") and isinstance(pieces, (gast.Tuple, gast.List)):
            pieces = {rank_of(e, ranks) for e in pieces.elts}
            if len(pieces) != 1 or None in pieces or _NOTHING in pieces:
                return _NOTHING if _NOTHING in pieces else None
            rank = pieces.pop()
            axis = bound.get("axis")
            if name == "concatenate" and _constant(axis) and axis.value is None:
                return 1                        # flattened first
            return rank + 1 if name == "stack" else (rank if rank > 0 else None)
        return None
    return None


_IN_PROGRESS = set()


@functools.lru_cache(maxsize=256)
def helper_rank(function, arg_ranks):
    """The rank of what user function ``function`` returns for arguments of these ranks (by
    running the passes up to this one on it), or None when unknown or not one rank."""
    from . import jumps, load, normalize, resolve
    key = (function, arg_ranks)
    if key in _IN_PROGRESS:
        return None                             # recursion: no rank
    _IN_PROGRESS.add(key)
    try:
        tree, context = load.run(function)
        context.param_ranks = {p: r for p, r in zip(context.params, arg_ranks) if r is not None}
        for step in (resolve, jumps, normalize):
            tree = step.run(tree, context)
        run(tree, context)
        found = {_returned_rank(node.value, context)
                 for node in syntax.walk(tree) if isinstance(node, gast.Return)}
        return found.pop() if len(found) == 1 else None
    except Exception:                           # noqa: BLE001 - refused there, reported later
        return None
    finally:
        _IN_PROGRESS.discard(key)


def _returned_rank(value, context):
    """The rank of a returned atom; for a tuple (``return a, b`` after ANF: a name bound to
    a tuple), a Python tuple of its elements' ranks."""
    if isinstance(value, gast.Name) and isinstance(context.tuples.get(value.id), gast.Tuple):
        value = context.tuples[value.id]
    if isinstance(value, gast.Tuple):
        return tuple(rank_of(e, context.ranks) for e in value.elts)
    return rank_of(value, context.ranks) if value is not None else None


@functools.lru_cache(maxsize=256)
def _returns_parameter(function):
    """The position of the parameter every ``return`` of ``function`` returns unchanged (it
    never assigns that name), or None."""
    tree = syntax.function_tree(function)
    if tree is None:
        return None
    params = [a.id for a in tree.args.posonlyargs + tree.args.args]
    returned = set()
    for node in syntax.walk(tree):
        if isinstance(node, gast.Return):
            returned.add(node.value.id if isinstance(node.value, gast.Name) else None)
        elif isinstance(node, (gast.Assign, gast.AugAssign, gast.For)) and any(
                isinstance(t, gast.Name) and t.id in params for t in syntax.walk(
                    node.targets[0] if isinstance(node, gast.Assign) else node.target)):
            return None
    if len(returned) != 1 or None in returned or next(iter(returned)) not in params:
        return None
    return params.index(returned.pop())


def _constant(node):
    return isinstance(node, gast.Constant)


_ = math


# --- shapes -------------------------------------------------------------------------------
#
# Beyond ranks, the pass tracks which values provably have the same shape: a shape is named
# by a symbol ("scalar", a parameter's name, or an operation over symbols such as
# ("matmul", "x", "w")); equal symbols mean equal shapes. Unknown is None.

def shapes(tree, context, ranks, ints=frozenset()):
    symbols = {}
    for param in context.params:
        rank = ranks.get(param)
        alike = context.same_shape.get(param, param)   # arguments called with equal shapes
        dims = context.param_dims.get(param)
        if dims is not None and len(dims) == rank:
            symbols[param] = _dims(dims)                # the classes of its dimensions
            continue
        symbols[param] = "scalar" if rank == 0 else (("param", alike) if rank is not None
                                                     else None)
    assigned = {}
    for node in syntax.walk(tree):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            assigned.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
            symbols[node.target.id] = "scalar"
    initial = dict(symbols)
    for name in assigned:
        if name not in context.params:
            symbols[name] = _NOTHING
    for _ in range(10):
        changed = False
        for name, values in assigned.items():
            new = initial[name] if name in context.params else _NOTHING
            for value in values:
                new = _join(new, _symbol(value, symbols, ranks, context, ints))
            if ranks.get(name) == 0 and new is not _NOTHING:
                new = "scalar"
            if new != symbols.get(name):
                symbols[name] = new
                changed = True
        if not changed:
            break
    return {k: (None if v is _NOTHING else v) for k, v in symbols.items()}


def symbol_of(node, symbols):
    if isinstance(node, gast.Constant):
        return "scalar" if isinstance(node.value, (int, float, complex, bool)) else None
    if isinstance(node, gast.Name):
        return symbols.get(node.id)
    return None


# A shape known dimension by dimension is ("dims", (c0, c1, ...)): each c a class of sizes
# (1 for a size of one; equal classes, equal sizes), from the classes of the arguments'
# dimensions (``context.param_dims``). Broadcasting, matmul and reductions work on them exactly.

def _dims(classes):
    return "scalar" if not classes else ("dims", tuple(classes))


def dims_of(symbol):
    """The dimension classes of a symbol, or None when they are not known."""
    if symbol == "scalar":
        return ()
    if isinstance(symbol, tuple) and symbol[0] == "dims":
        return symbol[1]
    return None


def _broadcast_dims(a, b):
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None                 # does not broadcast (an error at run time)
        out.append(y if x == 1 else x)
    return _dims(reversed(out))


def _matmul_dims(a, b):
    if not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return "scalar"
    if len(a) == 1:
        return _dims(b[:-2] + b[-1:])
    if len(b) == 1:
        return _dims(a[:-1])
    batch = _broadcast_dims(a[:-2], b[:-2])
    if batch is None:
        return None
    return _dims(dims_of(batch) + (a[-2], b[-1]))


def _reduce_dims(classes, axis, keepdims):
    """The classes after reducing over constant ``axis`` (None: all), or None."""
    n = len(classes)
    if axis is None:
        axes = set(range(n))
    else:
        try:
            axes = {a % n if -n <= a < n else None for a in (
                axis if isinstance(axis, tuple) else (axis,))}
        except TypeError:
            return None
        if None in axes:
            return None
    if keepdims:
        return _dims(tuple(1 if i in axes else c for i, c in enumerate(classes)))
    return _dims(tuple(c for i, c in enumerate(classes) if i not in axes))


def _broadcast(a, b):
    if a is _NOTHING or b is _NOTHING:
        return _NOTHING
    if a is None or b is None:
        return None
    if a == b:
        return a
    if dims_of(a) is not None and dims_of(b) is not None:
        return _broadcast_dims(dims_of(a), dims_of(b))
    if b == "scalar" or _kept_from(b) == a:
        return a
    if a == "scalar" or _kept_from(a) == b:
        return b
    return None


def _kept_from(symbol):
    """The shape a keepdims reduction's result broadcasts back to, if it is one."""
    return symbol[2] if isinstance(symbol, tuple) and symbol[0] == "kept" else None


_ELEMENTWISE_BINARY = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.FloorDiv,
                       gast.Mod)


# shape-family rules whose result has the shape of their first argument
_SAME_SHAPE = {"flip", "fliplr", "flipud", "roll", "copy", "copy_method", "astype"}


def _symbol(value, symbols, ranks, context, ints=frozenset()):
    if isinstance(value, (gast.Constant, gast.Name)):
        return symbol_of(value, symbols)
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
        # every x[i] with an integer i has the shape of x without its first axis
        base = symbols.get(value.value.id)
        index = value.slice
        if base is _NOTHING:
            return _NOTHING
        if base is not None and base != "scalar" and (
                isinstance(index, gast.Name) and index.id in ints
                or isinstance(index, gast.Constant) and type(index.value) is int):
            if dims_of(base) is not None:
                return _dims(dims_of(base)[1:])
            return "scalar" if ranks.get(value.value.id) == 1 else ("item", base)
        return None
    if _is_stack_pop(value):
        return _NOTHING
    if isinstance(value, gast.BinOp):
        a, b = symbol_of(value.left, symbols), symbol_of(value.right, symbols)
        if isinstance(value.op, _ELEMENTWISE_BINARY):
            return _broadcast(a, b)
        if isinstance(value.op, gast.MatMult):
            if a is _NOTHING or b is _NOTHING:
                return _NOTHING
            if dims_of(a) is not None and dims_of(b) is not None:
                return _matmul_dims(dims_of(a), dims_of(b))
            return ("matmul", a, b) if a is not None and b is not None else None
        return None
    if isinstance(value, gast.UnaryOp):
        return symbol_of(value.operand, symbols)
    if isinstance(value, gast.Attribute):
        if value.attr == "T" and isinstance(value.value, gast.Name):
            inner = symbols.get(value.value.id)
            if dims_of(inner) is not None:
                return _dims(dims_of(inner)[::-1])
            return inner if inner in ("scalar", _NOTHING, None) else ("T", inner)
        return None
    if isinstance(value, gast.Call) and not (
            isinstance(value.func, gast.Attribute)
            and syntax.root_name(value.func) in context.locals):
        callee = activity.lookup(context, value)
        if callee.kind == "nondifferentiable" and getattr(callee.obj, "__name__", "") in (
                "zeros_like", "ones_like", "empty_like", "full_like") and value.args:
            return symbol_of(value.args[0], symbols)
        if callee.kind == "nondifferentiable" and isinstance(callee.obj, np.ufunc) \
                and callee.obj.nin == len(value.args) and not value.keywords:
            result = "scalar"                    # np.floor(x), np.sign(x): x's shape
            for arg in value.args:
                result = _broadcast(result, symbol_of(arg, symbols))
            return result
        if callee.kind != "rule":
            return None
        rule = callee.rule
        try:
            bound = rules.bind(rule, list(value.args), {k.arg: k.value for k in value.keywords})
        except rules.BindingError:
            return None
        if rule.family == "elementwise" and rule.name not in ("array",):
            operands = [symbol_of(bound[p], symbols) for p in rule.differentiable
                        if not isinstance(bound[p], gast.Tuple)]
            if "condition" in bound:
                operands.append(symbol_of(bound["condition"], symbols))
            result = "scalar"
            for symbol in operands:
                result = _broadcast(result, symbol)
            return result
        if rule.family == "shape" and rule.name in _SAME_SHAPE and rule.params:
            return symbol_of(bound[rule.params[0]], symbols)
        if rule.family == "shape" and rule.name == "sort" and not (
                _constant(bound.get("axis")) and bound["axis"].value is None):
            return symbol_of(bound["a"], symbols)
        if rule.family == "reductions":
            axis, keepdims = bound.get("axis"), bound.get("keepdims")
            inner = symbol_of(bound["x"], symbols) if "x" in bound else None
            if inner is _NOTHING:
                return _NOTHING
            if dims_of(inner) is not None and _constant(keepdims) \
                    and rule.name not in ("cumsum", "cumprod"):
                axes = axis.value if _constant(axis) else tuple(
                    e.value for e in axis.elts) if isinstance(axis, gast.Tuple) and all(
                    _constant(e) for e in axis.elts) else _NOTHING
                if axes is not _NOTHING:
                    return _reduce_dims(dims_of(inner), axes, keepdims.value)
            if _constant(axis) and axis.value is None and _constant(keepdims) \
                    and not keepdims.value and rule.name not in ("cumsum", "cumprod"):
                return "scalar"
            if _constant(keepdims) and keepdims.value is True and "x" in bound \
                    and rule.name not in ("cumsum", "cumprod"):
                inner = symbol_of(bound["x"], symbols)     # x's shape, the axes made 1
                axes = axis.value if _constant(axis) else tuple(
                    e.value for e in axis.elts) if isinstance(axis, gast.Tuple) and all(
                    _constant(e) for e in axis.elts) else _NOTHING
                if inner in (None, _NOTHING, "scalar") or axes is _NOTHING:
                    return inner if inner in (_NOTHING, "scalar") else None
                return ("kept", axes, inner)
            if rule.name in ("cumsum", "cumprod") and _constant(axis) and axis.value is not None:
                return symbol_of(bound["x"], symbols)
        return None
    return None


# --- kinds ------------------------------------------------------------------------------------

class Kinds:
    """What kind of value each variable holds, as far as the code shows: 'array' (NumPy
    arrays and numbers), 'list', 'tuple', 'dict' or unknown; and which names hold ints."""

    def __init__(self, tree, context):
        self.context = context
        kinds = {}
        for param in context.params:
            if param in context.param_kinds:
                kinds[param] = context.param_kinds[param]
            elif context.param_ranks.get(param) is not None:
                kinds[param] = "array"      # a number or an array of known rank
            else:
                kinds[param] = None         # unknown: generic (container-safe) code
        self.ints = set()
        assigned = {}
        for node in syntax.walk(tree):
            if isinstance(node, gast.For) and isinstance(node.target, gast.Name):
                self.ints.add(node.target.id)
            if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node.value)
        for _ in range(3):
            for var, values in assigned.items():
                found = {self._kind_of(v, kinds, context) for v in values}
                kinds[var] = found.pop() if len(found) == 1 else None
                if all(self._is_int(v) for v in values):
                    self.ints.add(var)
        self.kinds = kinds

    def _kind_of(self, value, kinds, context):
        if isinstance(value, gast.Name):
            return kinds.get(value.id, "array" if value.id not in context.locals else None)
        if isinstance(value, gast.List):
            return "list"
        if isinstance(value, gast.Tuple):
            return "tuple"
        if isinstance(value, gast.Dict):
            return "dict"
        if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Mult)):
            for side in (value.left, value.right):
                kind = kinds.get(side.id) if isinstance(side, gast.Name) else None
                if isinstance(side, gast.List) or kind == "list":
                    return "list"
                if isinstance(side, gast.Tuple) or kind == "tuple":
                    return "tuple"
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Constant)):
            return "array"
        if isinstance(value, gast.Call) and not _is_method_call(value, context):
            text = syntax.dotted(value.func) or ""
            if text in ("list",):
                return "list"
            if text.split(".")[0] in ("np", "numpy", "math"):
                return "array"
        if isinstance(value, gast.Attribute) and value.attr == "T":
            return "array"
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                and isinstance(value.func.value, gast.Name) \
                and kinds.get(value.func.value.id) == "array" \
                and value.func.attr in ("copy", "astype", "reshape", "ravel", "flatten",
                                        "transpose", "sum", "mean", "dot", "clip"):
            return "array"
        return None

    def _is_int(self, value):
        if isinstance(value, gast.Constant):
            return isinstance(value.value, int) and not isinstance(value.value, bool)
        if isinstance(value, gast.Call) and syntax.dotted(value.func) == "len":
            return True
        if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub,
                                                                   gast.Mult, gast.FloorDiv)):
            return all(self._is_int(v) or (isinstance(v, gast.Name) and v.id in self.ints)
                       for v in (value.left, value.right))
        return False

    def numeric(self, var):
        return self.kinds.get(var) == "array"

    def is_array(self, var):
        return self.kinds.get(var) == "array"

    def basic_index(self, index):
        if isinstance(index, gast.Constant):
            return index.value is None or index.value is Ellipsis or (
                isinstance(index.value, int) and not isinstance(index.value, bool))
        if isinstance(index, gast.Name):
            return index.id in self.ints
        if isinstance(index, (gast.BinOp, gast.UnaryOp)):
            return all(self.basic_index(n) for n in (
                [index.left, index.right] if isinstance(index, gast.BinOp) else [index.operand]))
        if isinstance(index, gast.Slice):
            return True
        if isinstance(index, gast.Tuple):
            return all(self.basic_index(e) for e in index.elts)
        return False


    def container(self, node):
        """Whether an atom certainly holds a list or a tuple."""
        return isinstance(node, gast.Name) and self.kinds.get(node.id) in ("list", "tuple") \
            or isinstance(node, (gast.List, gast.Tuple))


def _is_method_call(call, context):
    func = call.func
    return isinstance(func, gast.Attribute) and syntax.root_name(func) in context.locals
