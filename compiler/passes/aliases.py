"""aliases: refuse in-place changes that another name would see.

Assumes: a normalized body, ranks, activity. Guarantees: no array is changed in place
(``x[i] = v``, ``x.append(v)``, ``x += v``) while another variable that refers to the same
object (``x = y``, ``v = y[i]``, a list holding it) is read elsewhere; and no helper that
changes its arguments in place is called for its side effect alone. retrograd follows values
through names, not objects shared between names, so those programs are refused with advice
instead of being differentiated wrongly. Example refused::

    z = y
    z[0] = x        # `y` changes too
    return np.sum(y)
"""

import gast

from .. import syntax
from ..errors import refuse
from . import activity as activity_pass
from . import primitives
from . import ranks as ranks_pass


def run(tree, context):
    pairs = _alias_pairs(tree, context)
    order = {id(stmt): position for position, stmt in enumerate(_statements(tree.body))}
    reads = _reads(tree)
    loops = _loops_around(tree, order)
    statements = {id(s): s for s in _statements(tree.body)}
    for stmt, name, how in _in_place_changes(tree, context):
        for partner, origin, relation in _sharing(name, pairs, order[id(stmt)], order):
            if how == "append" and relation != "same":
                continue     # appending to a list does not change the values it holds
            if _read_after(partner, stmt, reads, order) or _read_next_trip(
                    partner, order[id(origin)], loops.get(id(stmt), ()), reads, order,
                    statements):
                line = getattr(origin, "lineno", "?")
                other = f"`{partner}` (line {line})" if not partner.startswith("_") else \
                    f"what line {line} iterates over or reads"     # a temporary of ours
                raise refuse(
                    context, stmt,
                    f"`{name}` is changed in place here, but it is the same object as "
                    f"{other}, which is also used: retrograd cannot follow "
                    "a change through two names",
                    f"copy where the two names start to share the object (line {line}, e.g. "
                    f"`{_copy_hint(origin)}`), or write `{name} = {name} + ...` instead of "
                    "changing it in place")
    _check_mutating_calls(tree, context)
    return tree


def _alias_pairs(tree, context):
    """name -> [(other name, statement that made them share an object)]."""
    pairs = {}

    def link(a, b, stmt, relation="same"):
        if a == b:
            return
        back = {"same": "same", "holds": "held"}[relation]
        pairs.setdefault(a, []).append((b, stmt, relation, "up"))     # a was taken from b
        pairs.setdefault(b, []).append((a, stmt, back, "down"))

    def held_by(container):
        return [b for b, _, relation, way in pairs.get(container, [])
                if relation == "holds" and way == "up"]

    for stmt in _statements(tree.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            target, value = stmt.targets[0].id, stmt.value
            if context.ranks.get(target) == 0:
                continue
            if isinstance(value, gast.Name) and value.id in context.locals:
                if context.ranks.get(value.id) != 0:     # numbers are never changed in place
                    link(target, value.id, stmt)
            elif isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                    and held_by(value.value.id):
                for held in held_by(value.value.id):     # an array taken out of a container
                    link(target, held, stmt)
            elif isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                    and context.ranks.get(value.value.id) not in (0, None) \
                    and _element_rank(value, context) != 0:
                link(target, value.value.id, stmt)      # a view of an array (not an element)
            elif isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                    and context.ranks.get(value.value.id) is None \
                    and not target.startswith("_") and any(
                        isinstance(n, gast.Slice) for n in syntax.walk(value.slice)):
                # a slice of a value of unknown rank: a view if it is an array. (A temporary
                # of ANF is read by the next statement only; generated code keeps its views
                # consistent itself.)
                link(target, value.value.id, stmt)
            elif _view_of(value, context) is not None:
                link(target, _view_of(value, context), stmt)
            elif isinstance(value, gast.Call):
                for argument in _returned_arguments(value, context):
                    link(target, argument, stmt)         # a helper that returns its argument
            elif isinstance(value, (gast.List, gast.Tuple)):
                for elt in value.elts:
                    if isinstance(elt, gast.Name) and context.ranks.get(elt.id) != 0:
                        link(target, elt.id, stmt, "holds")
            elif isinstance(value, gast.Dict):
                for elt in value.values:
                    if isinstance(elt, gast.Name) and context.ranks.get(elt.id) != 0:
                        link(target, elt.id, stmt, "holds")
        elif _is_method_call(stmt, "append"):
            base, arg = stmt.value.func.value.id, stmt.value.args[0]
            if isinstance(arg, gast.Name) and context.ranks.get(arg.id) != 0:
                link(base, arg.id, stmt, "holds")
    return pairs


def _view_of(value, context):
    """The name of the array ``value`` may be a view of (``np.flip(a)``, ``a.T``,
    ``a.reshape(2, 2)``), or None."""
    if not isinstance(value, (gast.Attribute, gast.Call)):
        return None
    base = primitives.view_base(value)
    if isinstance(base, gast.Name) and base.id in context.locals \
            and context.ranks.get(base.id) != 0:
        return base.id
    return None


def _returned_arguments(call, context):
    """Names passed to a user function that it may return (or return a view of)."""
    callee = activity_pass.lookup(context, call)
    if callee.kind != "function":
        return []
    positions = _returned_parameters(callee.obj)
    return [a.id for i, a in enumerate(call.args) if i in positions
            and isinstance(a, gast.Name) and context.ranks.get(a.id) != 0]


def _returned_parameters(function):
    """Positions of the parameters ``function`` may return as they are (``return p``,
    ``return p[1:]``, ``q = p; return q``), from its source; all of them if it is unreadable."""
    tree = syntax.function_tree(function)
    if tree is None:
        return set(range(64))
    params = [a.id for a in tree.args.posonlyargs + tree.args.args]
    names = {p: {p} for p in params}            # local name -> parameters it may be
    for node in syntax.walk(tree):
        if isinstance(node, gast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], gast.Name):
            source_name = _base_name(node.value)
            if source_name in names:
                names.setdefault(node.targets[0].id, set()).update(names[source_name])
    returned = set()
    for node in syntax.walk(tree):
        if isinstance(node, gast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, gast.Tuple) else [node.value]
            for value in values:
                returned |= names.get(_base_name(value), set())
    return {params.index(p) for p in returned}


def _base_name(node):
    """``p`` for ``p``, ``p[...]`` (a view of p when the index is a slice) and ``p.T``."""
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _copy_hint(origin):
    """``b = a.copy()`` for the statement ``b = a`` that made two names share an object."""
    target = origin.targets[0].id if isinstance(origin, gast.Assign) \
        and isinstance(origin.targets[0], gast.Name) else None
    if target is None or target.startswith("_"):
        return "np.copy(...)"          # a temporary of the compiler's: no name to show
    if isinstance(origin.value, gast.Name) and not origin.value.id.startswith("_"):
        return f"{target} = {origin.value.id}.copy()"
    return f"{target} = np.copy(...)"


def _sharing(name, pairs, before, order):
    """(other name, statement that linked it, relation) for every name that may be the same
    object as ``name`` through links made before position ``before``: the names it was taken
    from (``name = t``, ``t = a``: the chain a conditional expression leaves after ANF), and
    every name taken from those in turn. A name taken from either of two objects (``t = a if
    c else v``) links each of them to ``t``, not ``a`` to ``v``."""
    def linked(current, direction):
        for partner, origin, relation, way in pairs.get(current, []):
            if order[id(origin)] < before and way == direction:
                yield partner, origin, relation

    found, seen = [], {name}

    def walk(starts, direction):
        frontier = list(starts)
        while frontier:
            for partner, origin, relation in linked(frontier.pop(), direction):
                if relation == "same" and partner not in seen:
                    seen.add(partner)
                    found.append((partner, origin, relation))
                    frontier.append(partner)

    walk([name], "up")                               # what `name` was taken from
    walk([name] + [p for p, _, _ in found], "down")   # and everything taken from those
    for member in [name] + [p for p, _, _ in found]:
        for direction in ("up", "down"):
            for partner, origin, relation in linked(member, direction):
                if relation != "same" and partner not in seen:
                    seen.add(partner)                # a list holding one of them
                    found.append((partner, origin, relation))
    return found


def _element_rank(subscript, context):
    """The rank of ``x[index]`` (0 for a single element, which is a copy, not a view)."""
    ints = {n for n, r in context.ranks.items() if r == 0} | context.kinds.ints
    return ranks_pass._index(context.ranks.get(subscript.value.id), subscript.slice,
                             context.ranks, ints)


def _in_place_changes(tree, context):
    """(statement, changed name, 'setitem' | 'append' | 'augmented')."""
    for stmt in _statements(tree.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            yield stmt, stmt.targets[0].value.id, "setitem"
        elif _is_method_call(stmt, "append"):
            yield stmt, stmt.value.func.value.id, "append"
    updated = set()
    for name, line in context.inplace_updates:
        if context.ranks.get(name) != 0:
            updated.add((name, line))           # every `x += ...` of x, not just its first
    for stmt in _statements(tree.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and (stmt.targets[0].id, getattr(stmt, "lineno", None)) in updated:
            yield stmt, stmt.targets[0].id, "augmented"


def _read_after(name, change, reads, order):
    """Whether ``name`` is read in a statement after ``change`` in program order (its alias
    is then stale in the derivative code). Known gap (rp-049): a read earlier in a loop
    around ``change`` is also later, on the next trip; counting those refused valid
    programs whose loop merely iterates over the changed array, so it waits for a check
    that knows which reads the next trip's values feed."""
    position = order[id(change)]
    for stmt_id in reads.get(name, {}):
        if order.get(stmt_id, -1) > position:
            return True
    return False


def _read_next_trip(name, linked, loops, reads, order, statements):
    """Whether a loop around a change (``loops``: (first, last) positions) reads ``name``,
    linked before the loop (at ``linked``), in a way the next trip uses: the array a loop
    iterates over (``t = name[i]``, then ``t`` read) or any other read of it."""
    for first, last in loops:
        if first <= linked <= last:
            continue                # linked again on every trip, after the change
        body = [s for s in statements.values() if first < order[id(s)] <= last]
        loaded = {n.id for s in body for n in syntax.walk(s)
                  if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
        for stmt_id in reads.get(name, {}):
            if not first <= order.get(stmt_id, -1) <= last:
                continue
            read = statements[stmt_id]
            if isinstance(read, gast.Assign) and isinstance(read.targets[0], gast.Name) \
                    and isinstance(read.value, gast.Subscript) \
                    and read.targets[0].id not in loaded:
                continue            # an element the loop takes and never uses
            return True
    return False


def _loops_around(tree, order):
    """id(statement) -> [(first, last) order positions of each loop containing it]."""
    around = {}

    def visit(statements, enclosing):
        for stmt in statements:
            around[id(stmt)] = enclosing
            if isinstance(stmt, (gast.For, gast.While)):
                inner = list(_statements(stmt.body))
                last = max([order[id(s)] for s in inner] + [order[id(stmt)]])
                visit(stmt.body, enclosing + [(order[id(stmt)], last)])
                visit(stmt.orelse, enclosing)
            else:
                for field in ("body", "orelse"):
                    visit(getattr(stmt, field, []) or [], enclosing)
    visit(tree.body, [])
    return around


def _reads(tree):
    """name -> {id(statement reading it): ...}, for statements at any depth (a compound
    statement reads the names of its test or iterator)."""
    found = {}
    for stmt in _statements(tree.body):
        parts = [stmt.test] if isinstance(stmt, (gast.If, gast.While)) else \
            [stmt.iter] if isinstance(stmt, gast.For) else [stmt]
        for part in parts:
            for node in syntax.walk(part):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                    found.setdefault(node.id, {})[id(stmt)] = True
    return found


def _statements(statements):
    for stmt in statements:
        yield stmt
        for field in ("body", "orelse"):
            yield from _statements(getattr(stmt, field, []) or [])


def _is_method_call(stmt, method):
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) \
        and isinstance(stmt.value.func, gast.Attribute) and stmt.value.func.attr == method \
        and isinstance(stmt.value.func.value, gast.Name) and stmt.value.args


def _check_mutating_calls(tree, context):
    """A helper called only for its effect, with arguments that carry gradients, must not
    change those arguments: its derivative is taken through its return value."""
    varied = context.activity.varied
    for stmt in _statements(tree.body):
        if not (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)):
            continue
        call = stmt.value
        if isinstance(call.func, gast.Attribute):
            continue
        callee = activity_pass.lookup(context, call)
        if callee.kind != "function" or not any(
                isinstance(a, gast.Name) and a.id in varied for a in call.args):
            continue
        changed = _parameters_changed_in_place(callee.obj)
        if changed:
            raise refuse(context, stmt,
                         f"`{callee.text}` changes its argument `{changed[0]}` in place and its "
                         "result is not used: retrograd differentiates calls through what they "
                         "return",
                         f"return the changed value and assign it, e.g. "
                         f"`{changed[0]} = {callee.text}(...)`")


def _parameters_changed_in_place(function):
    tree = syntax.function_tree(function)
    if tree is None:
        return []
    params = {a.id for a in tree.args.args + tree.args.kwonlyargs + tree.args.posonlyargs}
    changed = []
    for node in syntax.walk(tree):
        target = None
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript):
            target = node.targets[0].value
        elif isinstance(node, gast.AugAssign):
            target = node.target.value if isinstance(node.target, gast.Subscript) \
                else node.target
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                and node.func.attr in ("append", "extend", "insert", "update", "pop"):
            target = node.func.value
        if isinstance(target, gast.Name) and target.id in params and target.id not in changed:
            changed.append(target.id)
    return changed
