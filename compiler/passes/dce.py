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
    facts = _Facts()
    changed = True
    while changed:
        changed = _sweep(function.body, _live_names(function, facts), facts)
    return function


class _Facts:
    """What dce asks of each statement, computed once per run.

    Statements are never changed in place here (blocks only lose statements), so what a
    statement without a block of its own reads, defines or does stays true for the whole run;
    the reads of a statement with a block are gathered from its parts each time."""

    def __init__(self):
        self.cache = {}       # (question, id(node)) -> (node, answer); node kept alive

    def _ask(self, question, node, compute):
        key = (question, id(node))
        entry = self.cache.get(key)
        if entry is None or entry[0] is not node:
            entry = self.cache[key] = (node, compute(node))
        return entry[1]

    def reads(self, node):
        if _has_block(node):
            return _reads(node)
        return self._ask("reads", node, _reads)

    def defines(self, stmt):
        return self._ask("defines", stmt, _defines)

    def essential(self, stmt):
        return self._ask("essential", stmt, _essential)

    def pure(self, value):
        return self._ask("pure", value, _pure)

    def loads(self, node):
        """Names ``node`` (a statement) loads anywhere inside, like ``_load_names``."""
        if not _has_block(node):
            return self._ask("loads", node, _load_names)
        found = set()
        for field, value in gast.iter_fields(node):
            if field in ("body", "orelse"):
                for stmt in value:
                    found |= self.loads(stmt)
            else:
                found |= _load_names(value)
        return found


def _has_block(stmt):
    return hasattr(stmt, "body") and isinstance(stmt.body, list)


def _live_names(function, facts=None):
    """Names whose values a live statement reads: returns and effects are live, and so is
    every statement that defines or changes a live name (with the tests of the branches and
    loops around it)."""
    facts = facts or _Facts()
    arguments = function.args
    live = {a.id for a in arguments.args + arguments.kwonlyargs + arguments.posonlyargs}
    statements = list(_simple_statements(function.body, ()))
    for node in _compound_statements(function.body):  # loops and branches that stay whatever
        header = node.iter if isinstance(node, gast.For) else node.test     # their body
        if not facts.pure(header):
            live |= facts.reads(header)
    needs = []       # (kept whatever it computes, names it defines, names it and its tests read)
    for stmt, enclosing in statements:
        reads = facts.reads(stmt)
        if enclosing:
            reads = set(reads)
            for compound in enclosing:
                reads |= facts.reads(compound.test if isinstance(
                    compound, (gast.If, gast.While)) else compound.iter)
        needs.append((facts.essential(stmt), facts.defines(stmt), reads))
    changed = True
    while changed:
        changed = False
        for essential, defines, reads in needs:
            if not (essential or defines & live):
                continue
            if not reads <= live:
                live |= reads
                changed = True
    return live


def _compound_statements(statements):
    """Every ``if``, ``for`` and ``while`` in ``statements``, at any depth (what a walk over
    the function finds: expressions hold no statements)."""
    for stmt in statements:
        if isinstance(stmt, (gast.If, gast.While, gast.For)):
            yield stmt
        yield from _compound_statements(_nested_statements(stmt))


def _nested_statements(node):
    """The statements in ``node``'s blocks (and in those of its handlers and cases)."""
    for _, value in gast.iter_fields(node):
        for item in value if isinstance(value, list) else ():
            if isinstance(item, gast.stmt):
                yield item
            elif isinstance(item, gast.AST) and not isinstance(item, gast.expr):
                yield from _nested_statements(item)


def _simple_statements(statements, enclosing):
    for stmt in statements:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _simple_statements(stmt.body, enclosing + (stmt,))
            yield from _simple_statements(stmt.orelse, enclosing + (stmt,))
        else:
            yield stmt, enclosing


def _load_names(tree):
    if isinstance(tree, list):
        return set().union(*(_load_names(item) for item in tree))
    if not isinstance(tree, gast.AST):
        return set()
    return {n.id for n in syntax.walk(tree) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _reads(tree):
    names = _load_names(tree)
    if isinstance(tree, gast.AugAssign):
        names |= {n.id for n in syntax.walk(tree.target) if isinstance(n, gast.Name)}
    if isinstance(tree, gast.Assign):
        for target in tree.targets:
            if isinstance(target, gast.Subscript):
                names |= {n.id for n in syntax.walk(target) if isinstance(n, gast.Name)}
    return names


def _defines(stmt):
    """Names a statement assigns or changes in place."""
    found = set()
    if isinstance(stmt, gast.Assign):
        for target in stmt.targets:
            base = target
            while isinstance(base, gast.Subscript):
                base = base.value
            found |= {n.id for n in syntax.walk(base) if isinstance(n, gast.Name)}
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


def _sweep(statements, used, facts=None):
    facts = facts or _Facts()
    changed = False
    keep = []
    overwritten = _overwritten_before_read(statements, facts)
    for stmt in statements:
        if id(stmt) in overwritten:
            changed = True
            continue
        if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr)) \
                and not facts.essential(stmt) and not _is_marker(stmt) \
                and not (facts.defines(stmt) & used):
            changed = True
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(stmt.value, gast.Name) and stmt.value.id == stmt.targets[0].id:
            changed = True
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if block:
                changed |= _sweep(block, used, facts)
                if not block:
                    block.append(gast.Pass())
        if isinstance(stmt, (gast.For, gast.If, gast.While)) and _empty(stmt.body) \
                and _empty(getattr(stmt, "orelse", []) or []) \
                and facts.pure(stmt.iter if isinstance(stmt, gast.For) else stmt.test):
            changed = True
            continue
        keep.append(stmt)
    while keep and _is_marker(keep[-1]):   # a comment with nothing left to introduce
        keep.pop()
        changed = True
    statements[:] = keep
    return changed


def _overwritten_before_read(statements, facts):
    """ids of the statements ``x = <pure>`` whose value is replaced, later in the same block,
    before any read. One backward scan: ``fate[x]`` says whether the next statement that
    touches ``x`` overwrites it (True) or reads it (False); a read wins within one statement."""
    found = set()
    fate = {}
    for stmt in reversed(statements):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) \
                and fate.get(stmt.targets[0].id) is True and facts.pure(stmt.value):
            found.add(id(stmt))
        if isinstance(stmt, gast.Assign):
            for target in stmt.targets:
                if isinstance(target, gast.Name):
                    fate[target.id] = True
        for name in facts.loads(stmt):
            fate[name] = False
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            fate[stmt.target.id] = False
    return found


def _pure(value):
    for node in syntax.walk(value):
        if isinstance(node, gast.Call):
            root = syntax.root_name(node.func)
            if root not in _PURE_ROOTS:
                return False
            if isinstance(node.func, gast.Attribute) and node.func.attr in ("pop", "append"):
                return False
    return True
