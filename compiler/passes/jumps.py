"""jumps: restructure early ``return``, ``break``, ``continue`` and loop ``else`` clauses.

Assumes: a loaded FunctionDef. Guarantees: afterwards

* every ``break`` is the last statement executed in its loop iteration (statements that
  followed a conditional jump now sit in the other branch of its ``if``);
* no ``continue`` remains (in tail position it does nothing);
* no loop has an ``else`` clause (a ``_broke`` flag says whether the loop was left by
  ``break``);
* the function has one ``return``, its last statement: earlier returns assign ``_result``,
  and returns inside loops also set ``_returned`` and leave the loop.

So the reverse sweep only has to mirror ``if`` decisions and loop trip counts. Example::

    for i in range(n):                for i in range(n):
        if v[i] < 0:                      if v[i] < 0:
            continue          ->              pass
        s = s + v[i]                      else:
                                              s = s + v[i]
"""
import copy

import gast

from .. import syntax


def run(tree, context):
    lowering = _Lowering(context)
    body = lowering.block(tree.body, loop=None)
    tree.body = lowering.single_exit(body) or [gast.Pass()]
    return tree


class _Lowering:
    def __init__(self, context):
        self.context = context
        self.result = None      # name of the variable holding the return value
        self.returned = None    # name of the flag set by returns inside loops

    # --- blocks ------------------------------------------------------------------------

    def block(self, statements, loop):
        out = []
        for position, stmt in enumerate(statements):
            rest = statements[position + 1:]
            if isinstance(stmt, gast.If) and rest and _may_jump(stmt, in_loop=loop is not None):
                out.append(self._if_with_rest(stmt, rest, loop))
                return out
            if isinstance(stmt, (gast.For, gast.While)):
                returns_inside = _contains_return(stmt)
                before, lowered_loop, after = self._loop(stmt, loop)
                out.extend(before + [lowered_loop])
                tail = after + list(rest)
                if returns_inside:
                    leave = gast.Break() if loop is not None \
                        else gast.Return(value=syntax.name(self.result))
                    leave.lineno = stmt.lineno
                    check = gast.If(test=syntax.name(self.returned), body=[leave],
                                    orelse=self.block(tail, loop))
                    check.lineno = stmt.lineno
                    out.append(check)
                    return out
                out.extend(self.block(tail, loop))
                return out
            lowered = self.statement(stmt, loop)
            out.extend(lowered)
            if _always_jumps([stmt]):
                return out
        return out

    def _if_with_rest(self, stmt, rest, loop):
        body = stmt.body + ([] if _always_jumps(stmt.body) else copy.deepcopy(rest))
        orelse = stmt.orelse + ([] if _always_jumps(stmt.orelse) else copy.deepcopy(rest))
        body, orelse = self.block(body, loop), self.block(orelse, loop)
        if not body and orelse:
            new = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=stmt.test), body=orelse,
                          orelse=[])
        else:
            new = gast.If(test=stmt.test, body=body or [gast.Pass()], orelse=orelse)
        new.lineno = stmt.lineno
        return new

    # --- statements --------------------------------------------------------------------

    def statement(self, stmt, loop):
        if isinstance(stmt, gast.Return):
            return self._return(stmt, loop)
        if isinstance(stmt, gast.Continue):
            return []
        if isinstance(stmt, gast.If):
            stmt.body = self.block(stmt.body, loop) or [gast.Pass()]
            stmt.orelse = self.block(stmt.orelse, loop)
            return [stmt]
        return [stmt]

    def _return(self, stmt, loop):
        value = stmt.value if stmt.value is not None else syntax.const(None)
        if loop is None:
            node = gast.Return(value=value)
            node.lineno = stmt.lineno
            return [node]
        self._names()
        return syntax.set_line([
            syntax.assign(self.result, value),
            syntax.assign(self.returned, syntax.const(True)),
            gast.Break(),
        ], stmt.lineno)

    def _loop(self, stmt, outer):
        """(statements before the loop, the loop, raw statements to run after it)."""
        before, after = [], []
        if _contains_return(stmt):
            self._names()
            before.append(syntax.assign(self.returned, syntax.const(False), stmt.lineno))
        if stmt.orelse:
            if _breaks_of(stmt):
                broke = self.context.names.fresh("_broke")
                before.append(syntax.assign(broke, syntax.const(False), stmt.lineno))
                _flag_breaks(stmt.body, broke)
                check = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=syntax.name(broke)),
                                body=stmt.orelse, orelse=[])
                check.lineno = stmt.lineno
                after.append(check)
            else:
                after.extend(stmt.orelse)
            stmt.orelse = []
        stmt.body = self.block(stmt.body, loop=stmt) or [gast.Pass()]
        return before, stmt, after

    def _names(self):
        if self.result is None:
            self.result = self.context.names.reserve("_result")
            self.returned = self.context.names.reserve("_returned")

    # --- one exit ----------------------------------------------------------------------

    def single_exit(self, body):
        """Turn returns in tail position into assignments to one result variable."""
        returns = [n for s in body for n in syntax.walk(s) if isinstance(n, gast.Return)]
        if len(returns) == 1 and body and body[-1] is returns[0]:
            return body
        if not returns:
            body.append(gast.Return(value=syntax.const(None)))
            return body
        if self.result is None:
            self.result = self.context.names.reserve("_result")
        _returns_to_assignments(body, self.result)
        body.append(gast.Return(value=syntax.name(self.result)))
        body[-1].lineno = returns[-1].lineno
        return body


def _returns_to_assignments(statements, result):
    for position, stmt in enumerate(statements):
        if isinstance(stmt, gast.Return):
            is_self = isinstance(stmt.value, gast.Name) and stmt.value.id == result
            replacement = gast.Pass() if is_self else syntax.assign(result, stmt.value)
            replacement.lineno = stmt.lineno
            statements[position] = replacement
        for field in ("body", "orelse"):
            if hasattr(stmt, field):
                _returns_to_assignments(getattr(stmt, field), result)


def _always_jumps(statements):
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (gast.Return, gast.Raise, gast.Break, gast.Continue)):
        return True
    if isinstance(last, gast.If):
        return _always_jumps(last.body) and _always_jumps(last.orelse)
    return False


def _may_jump(stmt, in_loop):
    """Whether executing ``stmt`` may leave the enclosing block early."""
    for node in _walk_same_loop(stmt):
        if isinstance(node, (gast.Return, gast.Raise)):
            return True
        if in_loop and isinstance(node, (gast.Break, gast.Continue)):
            return True
    return any(isinstance(n, gast.Return) for n in syntax.walk(stmt))


def _walk_same_loop(stmt):
    """Nodes of ``stmt`` not inside a nested loop."""
    yield stmt
    for field in ("body", "orelse"):
        for child in getattr(stmt, field, []) or []:
            if isinstance(child, (gast.For, gast.While)):
                yield from (n for n in syntax.walk(child) if isinstance(n, (gast.Return, gast.Raise)))
                continue
            yield from _walk_same_loop(child)


def _contains_return(stmt):
    return any(isinstance(n, gast.Return) for n in syntax.walk(stmt))


def _breaks_of(loop):
    found = []
    for stmt in loop.body:
        found.extend(n for n in _walk_same_loop(stmt) if isinstance(n, gast.Break))
    return found


def _flag_breaks(statements, flag):
    for position in range(len(statements) - 1, -1, -1):
        stmt = statements[position]
        if isinstance(stmt, gast.Break):
            setter = syntax.assign(flag, syntax.const(True))
            setter.lineno = getattr(stmt, "lineno", None)
            statements.insert(position, setter)
        elif isinstance(stmt, gast.If):
            _flag_breaks(stmt.body, flag)
            _flag_breaks(stmt.orelse, flag)
