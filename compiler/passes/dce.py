"""dce: delete computations whose values nobody needs.

Assumes: assembled derivative functions. Guarantees: every remaining statement contributes to
what the function returns or has an effect outside it: a value is live if a live statement
reads it (liveness, so a running total that only feeds itself goes, and with it the loop that
computed it), and assignments overwritten before any read go too; no ``x = x``. Statements
with possible side effects (calls of user functions, changes to parameters) stay. Example::

    _t1 = x * y          (never read)   ->   (deleted)
    dx = _g1
    dx = _g1 + _g2                      ->   dx = _g1 + _g2
"""
import gast

from .. import syntax

_PURE_ROOTS = {"np", "rt", "math", "len", "range", "min", "max", "abs", "float", "int",
               "reversed", "slice"}


def run(function):
    changed = True
    while changed:
        changed = _sweep(function.body, _live_names(function))
    return function


def _live_names(function):
    """Names whose values a live statement reads: returns and effects are live, and so is
    every statement that defines or changes a live name (with the tests of the branches and
    loops around it)."""
    arguments = function.args
    live = {a.id for a in arguments.args + arguments.kwonlyargs + arguments.posonlyargs}
    statements = list(_simple_statements(function.body, ()))
    for node in gast.walk(function):     # loops and branches that stay whatever their body
        if isinstance(node, (gast.If, gast.While, gast.For)):
            header = node.iter if isinstance(node, gast.For) else node.test
            if not _pure(header):
                live |= _reads(header)
    changed = True
    while changed:
        changed = False
        for stmt, enclosing in statements:
            if not (_essential(stmt) or _defines(stmt) & live):
                continue
            reads = _reads(stmt)
            for compound in enclosing:
                reads |= _reads(compound.test if isinstance(compound, (gast.If, gast.While))
                                else compound.iter)
            if not reads <= live:
                live |= reads
                changed = True
    return live


def _simple_statements(statements, enclosing):
    for stmt in statements:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _simple_statements(stmt.body, enclosing + (stmt,))
            yield from _simple_statements(stmt.orelse, enclosing + (stmt,))
        else:
            yield stmt, enclosing


def _reads(tree):
    names = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)
             and isinstance(n.ctx, gast.Load)}
    if isinstance(tree, gast.AugAssign):
        names |= {n.id for n in gast.walk(tree.target) if isinstance(n, gast.Name)}
    if isinstance(tree, gast.Assign):
        for target in tree.targets:
            if isinstance(target, gast.Subscript):
                names |= {n.id for n in gast.walk(target) if isinstance(n, gast.Name)}
    return names


def _defines(stmt):
    """Names a statement assigns or changes in place."""
    found = set()
    if isinstance(stmt, gast.Assign):
        for target in stmt.targets:
            base = target
            while isinstance(base, gast.Subscript):
                base = base.value
            found |= {n.id for n in gast.walk(base) if isinstance(n, gast.Name)}
        found |= _mutated_by_call(stmt.value)
    elif isinstance(stmt, gast.AugAssign):
        base = stmt.target
        while isinstance(base, gast.Subscript):
            base = base.value
        if isinstance(base, gast.Name):
            found.add(base.id)
    elif isinstance(stmt, gast.Expr):
        found |= _mutated_by_call(stmt.value)
    return found


def _mutated_by_call(value):
    """``x.append(v)``, ``x.pop()``, ``rt.add_at(x, ...)`` change the local ``x``."""
    if not isinstance(value, gast.Call):
        return set()
    func = value.func
    if isinstance(func, gast.Attribute) and func.attr in ("append", "pop") \
            and isinstance(func.value, gast.Name):
        return {func.value.id}
    if syntax.dotted(func) == "rt.add_at" and isinstance(value.args[0], gast.Name):
        return {value.args[0].id}
    return set()


def _essential(stmt):
    """Statements kept whatever they compute: results, control, effects outside."""
    if isinstance(stmt, (gast.Return, gast.Raise, gast.Assert, gast.Break, gast.Continue)):
        return True
    if isinstance(stmt, gast.Expr):
        if _is_marker(stmt):
            return False
        return not (_pure(stmt.value) or _mutated_by_call(stmt.value))
    if isinstance(stmt, gast.Assign):
        return not (_pure(stmt.value) or _mutated_by_call(stmt.value))
    return False


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
        if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr)) \
                and not _essential(stmt) and not _is_marker(stmt) \
                and not (_defines(stmt) & used):
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
        if isinstance(stmt, (gast.For, gast.If, gast.While)) and _empty(stmt.body) \
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
