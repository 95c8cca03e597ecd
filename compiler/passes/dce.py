"""dce: delete assignments whose values nobody reads.

Assumes: assembled derivative functions. Guarantees: no assignment to a plain name that is
never read, when its value has no side effects (arithmetic, indexing, NumPy and runtime
calls). User calls with possible side effects stay. Example::

    _t1 = x * y          (never read)   ->   (deleted)
"""
import gast

from .. import syntax

_PURE_ROOTS = {"np", "rt", "math", "len", "range", "min", "max", "abs", "float", "int"}


def run(function):
    changed = True
    while changed:
        used = {n.id for n in gast.walk(function) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load)}
        changed = _sweep(function.body, used)
    return function


def _sweep(statements, used):
    changed = False
    keep = []
    for stmt in statements:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id not in used and _pure(stmt.value):
            changed = True
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(stmt.value, gast.Name) and stmt.value.id == stmt.targets[0].id:
            changed = True
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if block:
                changed |= _sweep(block, used)
                if not block:
                    block.append(gast.Pass())
        keep.append(stmt)
    statements[:] = keep
    return changed


def _pure(value):
    for node in gast.walk(value):
        if isinstance(node, gast.Call):
            root = syntax.root_name(node.func)
            if root not in _PURE_ROOTS:
                return False
            if isinstance(node.func, gast.Attribute) and node.func.attr in ("pop", "append"):
                return False
    return True
