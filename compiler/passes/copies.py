"""copies: propagate copies so generated code does not shuffle values between names.

Assumes: generated statements (an adjoint sweep, or a whole derivative function).
Guarantees: after ``a = b`` (two plain names), later reads of ``a`` in the same block read
``b`` for as long as neither name is rebound; the copy itself is left for ``dce`` to delete
once nothing reads ``a``; ``b = b`` disappears. And a temporary computed only to be copied
(``t = x + y; ...pushes...; x = t``) is computed in place (``x = x + y``). Example::

    d_t4 = dout                          d_t3 = dout
    dout = d_t4              ->          d_t2 = dout * i
    d_t3 = d_t4
    d_t2 = d_t3 * i
"""
import gast

from .. import syntax


def propagate(statements):
    """Copy propagation over a statement list (recursively into nested blocks)."""
    _block(statements)
    return statements


def _block(statements):
    position = 0
    while position < len(statements):
        stmt = statements[position]
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner:
                _block(inner)
        copy = _copy(stmt)
        if copy is not None:
            _forward(statements, position + 1, *copy)
        position += 1
    statements[:] = [s for s in statements if not _self_assignment(s)] or [gast.Pass()]


def _copy(stmt):
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Name) \
            and stmt.targets[0].id != stmt.value.id:
        return stmt.targets[0].id, stmt.value.id
    return None


def _forward(statements, start, copy_name, source):
    """Replace reads of ``copy_name`` by ``source`` until either is rebound."""
    for stmt in statements[start:]:
        if _self_assignment(stmt):
            continue
        assigned = _assigned_names(stmt)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            if copy_name in assigned or source in assigned:
                return
            _replace_loads(stmt, copy_name, source)
            continue
        _replace_loads(stmt, copy_name, source)
        if _self_assignment(stmt):
            continue
        if copy_name in assigned or source in assigned:
            return


def _replace_loads(stmt, old, new):
    for node in syntax.walk(stmt):
        if isinstance(node, gast.Name) and node.id == old and isinstance(node.ctx, gast.Load):
            node.id = new


def _assigned_names(stmt):
    names = set()
    for node in syntax.walk(stmt):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            names.add(node.id)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            names.add(node.target.id)
    return names


def _self_assignment(stmt):
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
        and isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Name) \
        and stmt.targets[0].id == stmt.value.id


_PURE_ROOTS = {"np", "rt", "math", "len", "range", "min", "max", "abs", "float", "int",
               "reversed", "slice"}


def fold_temporaries(function):
    """Nest temporaries read once into the statement that reads them.

    ``t = E; <statements that neither read t nor assign what E reads>; ... t ...`` becomes
    ``... E ...`` when ``t`` is a generated name (``_t1``, ``d_t1``) stored and read exactly
    once and ``E`` has no side effects, so the primal reads like the source it came from.
    """
    changed = True
    while changed:
        loads, stores = _counts(function)
        changed = _fold_block(function.body, loads, stores)
    return function


def _counts(function):
    loads, stores = {}, {}
    for node in syntax.walk(function):
        if isinstance(node, gast.Name):
            table = loads if isinstance(node.ctx, gast.Load) else stores
            table[node.id] = table.get(node.id, 0) + 1
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            loads[node.target.id] = loads.get(node.target.id, 0) + 1
    return loads, stores


def _fold_block(statements, loads, stores):
    changed = False
    for stmt in statements:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if inner:
                changed |= _fold_block(inner, loads, stores)
    position = 0
    while position < len(statements):
        stmt = statements[position]
        temp = _temporary_definition(stmt, loads, stores)
        if temp is not None:
            reads = {n.id for n in syntax.walk(stmt.value) if isinstance(n, gast.Name)}
            for later in statements[position + 1:]:
                uses = _uses(later, temp)
                if uses:
                    if uses == 1 and _substitute(later, temp, stmt.value):
                        del statements[position]
                        changed = True
                        position -= 1
                    break
                if _assigned_names(later) & (reads | {temp}) or _has_effects(later):
                    break
        position += 1
    return changed


def _temporary_definition(stmt, loads, stores):
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name):
        name = stmt.targets[0].id
        if (name.startswith("_t") or name.startswith("d_t") or name.startswith("_g")) \
                and loads.get(name) == 1 and stores.get(name) == 1 and _pure(stmt.value):
            return name
    return None


def _uses(stmt, name):
    """How many times ``stmt`` (with the blocks and the test it holds) mentions ``name``;
    a substitution happens only where ``_substitutable_parts`` allows."""
    return sum(1 for n in syntax.walk(stmt) if isinstance(n, gast.Name) and n.id == name)


def _substitutable_parts(stmt):
    """The parts of ``stmt`` evaluated once, when control reaches it. Not a ``while`` test:
    it runs again after every iteration, when what the temporary read may have changed."""
    if isinstance(stmt, gast.While):
        return []
    if isinstance(stmt, gast.If):
        return [stmt.test]
    if isinstance(stmt, gast.For):
        return [stmt.iter]
    return [stmt]


def _substitute(stmt, name, value):
    import copy as _copy
    for part in _substitutable_parts(stmt):
        if isinstance(part, gast.Name) and part.id == name and part is not stmt:
            # the whole test or iterable: ``if _t1:``, ``for i in _t1:``
            setattr(stmt, "iter" if isinstance(stmt, gast.For) else "test",
                    _copy.deepcopy(value))
            return True
        for node in syntax.walk(part):
            for field, child in gast.iter_fields(node):
                if isinstance(child, gast.Name) and child.id == name \
                        and isinstance(child.ctx, gast.Load):
                    setattr(node, field, _copy.deepcopy(value))
                    return True
                if isinstance(child, list):
                    for index, item in enumerate(child):
                        if isinstance(item, gast.Name) and item.id == name \
                                and isinstance(item.ctx, gast.Load):
                            child[index] = _copy.deepcopy(value)
                            return True
    return False


def _pure(value):
    for node in syntax.walk(value):
        if isinstance(node, gast.Call):
            root = None
            func = node.func
            while isinstance(func, gast.Attribute):
                func = func.value
            if isinstance(func, gast.Name):
                root = func.id
            if root not in _PURE_ROOTS:
                return False
            if isinstance(node.func, gast.Attribute) and node.func.attr in ("pop", "append"):
                return False
    return True


def _has_effects(stmt):
    """Statements a pure expression may not move across: anything calling user code or
    mutating containers other than our stacks."""
    for node in syntax.walk(stmt):
        if isinstance(node, gast.Call):
            func = node.func
            if isinstance(func, gast.Attribute) and func.attr in ("append", "pop") \
                    and isinstance(func.value, gast.Name) and func.value.id.startswith("_stack"):
                continue
            root = func
            while isinstance(root, gast.Attribute):
                root = root.value
            if not (isinstance(root, gast.Name) and root.id in _PURE_ROOTS):
                return True
        if isinstance(node, (gast.Subscript,)) and isinstance(node.ctx, gast.Store):
            return True
        if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Subscript):
            return True
    return False
