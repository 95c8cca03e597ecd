"""dce: delete assignments whose values nobody reads.

Assumes: assembled derivative functions. Guarantees: no assignment to a plain name that is
never read, or that is overwritten later in its block before any read, when its value has
no side effects (arithmetic, indexing, NumPy and runtime calls); no ``x = x``. User calls
with possible side effects stay. Example::

    _t1 = x * y          (never read)   ->   (deleted)
    dx = _g1
    dx = _g1 + _g2                      ->   dx = _g1 + _g2
"""
import gast

from .. import syntax

_PURE_ROOTS = {"np", "rt", "math", "len", "range", "min", "max", "abs", "float", "int"}


def run(function):
    changed = True
    while changed:
        changed = _sweep(function.body, _used_names(function))
    return function


def _used_names(function):
    """Names read somewhere other than by their own ``x += ...`` counter updates."""
    used = set()
    for node in gast.walk(function):
        if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            used |= {n.id for n in gast.walk(node.value) if isinstance(n, gast.Name)}
        elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            used.add(node.id)
    return used


def _is_marker(stmt):
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant) \
        and isinstance(stmt.value.value, str) \
        and stmt.value.value.startswith("__retrograd_comment_")


def _empty(block):
    return all(isinstance(s, gast.Pass) or _is_marker(s) for s in block)


def _sweep(statements, used):
    changed = False
    keep = []
    for position, stmt in enumerate(statements):
        if _overwritten_before_read(stmt, statements[position + 1:]):
            changed = True
            continue
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id not in used and _pure(stmt.value):
            changed = True
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(stmt.value, gast.Name) and stmt.value.id == stmt.targets[0].id:
            changed = True
            continue
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name) \
                and stmt.target.id not in used and _pure(stmt.value):
            changed = True
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if block:
                changed |= _sweep(block, used)
                if not block:
                    block.append(gast.Pass())
        if isinstance(stmt, (gast.For, gast.If)) and _empty(stmt.body) \
                and _empty(getattr(stmt, "orelse", []) or []) \
                and _pure(stmt.iter if isinstance(stmt, gast.For) else stmt.test):
            changed = True
            continue
        keep.append(stmt)
    while keep and _is_marker(keep[-1]):   # a comment with nothing left to introduce
        keep.pop()
        changed = True
    statements[:] = keep
    return changed


def _overwritten_before_read(stmt, rest):
    """``x = <pure>`` whose value is replaced, later in the same block, before any read."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and _pure(stmt.value)):
        return False
    name = stmt.targets[0].id
    for later in rest:
        reads = {n.id for n in gast.walk(later) if isinstance(n, gast.Name)
                 and isinstance(n.ctx, gast.Load)}
        if isinstance(later, gast.AugAssign) and isinstance(later.target, gast.Name):
            reads.add(later.target.id)
        if name in reads:
            return False
        if isinstance(later, gast.Assign) and any(
                isinstance(t, gast.Name) and t.id == name for t in later.targets):
            return True
    return False


def _pure(value):
    for node in gast.walk(value):
        if isinstance(node, gast.Call):
            root = syntax.root_name(node.func)
            if root not in _PURE_ROOTS:
                return False
            if isinstance(node.func, gast.Attribute) and node.func.attr in ("pop", "append"):
                return False
    return True
