"""fold: evaluate arithmetic on constants at compile time.

Assumes: assembled derivative functions. Guarantees: no operator applied to two numeric
constants, and no negated constant, remains -- except a negative base of ``**``, kept as a
negation so it prints as ``(-1.0) ** k`` (a constant ``-1.0`` there prints as ``-1.0 ** k``,
which Python reads as ``-(1.0 ** k)``); operands that are not constants are never touched
(so no object identity or dtype changes); an integer power too large to compute quickly
(``2 ** 10 ** 10``) is left for run time. Example::

    dx = 2.0 * x * (1.0 * 3.0)   ->   dx = 2.0 * x * 3.0
    y = x ** (2 - 1)             ->   y = x ** 1
    y = -(1.0) ** k              ->   y = (-1.0) ** k
    dm = d + -np.sum(g)          ->   dm = d - np.sum(g)
    dv = dv + -da * 0.1          ->   dv = dv - da * 0.1
    dx = -da * 0.1               ->   dx = da * -0.1
    dh = 2.0 * h * 1.0           ->   dh = 2.0 * h
"""
import math
import operator

import gast

_BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow,
}


def run(function):
    return _AbsorbSigns().visit(_Fold().visit(function))


class _Fold(gast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (gast.Mult, gast.Div)) and _one(node.right) \
                and _floating(node.left):
            return node.left        # 2.0 * h * 1.0 is 2.0 * h: already a float
        if isinstance(node.op, gast.Mult) and _one(node.left) and _floating(node.right):
            return node.right
        if isinstance(node.op, (gast.Add, gast.Sub)) and _negation(node.right):
            # a + -b is a - b (IEEE subtraction is addition of the negation): one operation
            node.op = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
            node.right = node.right.operand
        elif isinstance(node.op, (gast.Mult, gast.Div)) and (
                _negation(node.left) and not _number(node.left.operand)
                or _negation(node.right) and not _number(node.right.operand)):
            # -a * b and a * -b are -(a * b): the sign moves out, to a sum or a constant
            # that takes it
            side = "left" if _negation(node.left) else "right"
            negation = getattr(node, side)
            setattr(node, side, negation.operand)
            moved = gast.UnaryOp(op=gast.USub(), operand=node)
            moved.came_from = (side, negation)   # where _AbsorbSigns may put it back (a
            return moved                         # bool mask on the other side has no `-`)
        apply = _BINARY.get(type(node.op))
        if apply is not None and _number(node.left) and _number(node.right) \
                and not _huge_power(node):
            try:
                value = apply(node.left.value, node.right.value)
            except (ArithmeticError, ValueError):
                return node
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and abs(value) < 1e15:
                return gast.Constant(value=value, kind=None)
        if isinstance(node.op, gast.Pow) and _number(node.left) \
                and math.copysign(1.0, node.left.value) < 0:
            node.left = gast.UnaryOp(op=gast.USub(),
                                     operand=gast.Constant(value=-node.left.value, kind=None))
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (gast.Add, gast.Sub)) and _negation(node.value):
            node.op = gast.Sub() if isinstance(node.op, gast.Add) else gast.Add()
            node.value = node.value.operand          # dx += -g  ->  dx -= g
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.USub) and _negation(node.operand):
            return node.operand.operand              # --a is a
        if isinstance(node.op, gast.USub) and _number(node.operand):
            return gast.Constant(value=-node.operand.value, kind=None)
        return node


class _AbsorbSigns(gast.NodeTransformer):
    """A sign left over (no sum took it) goes back where it reads best: ``-(a * 2.0)`` is
    ``a * -2.0`` (one operation), ``-(a * b / c)`` is ``-a * b / c``."""

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        inner = node.operand
        if not (isinstance(node.op, gast.USub) and isinstance(inner, gast.BinOp)
                and isinstance(inner.op, (gast.Mult, gast.Div))):
            return node
        came_from = getattr(node, "came_from", None)
        if _number(inner.right) and not isinstance(inner.right.value, int):
            inner.right = gast.Constant(value=-inner.right.value, kind=None)
        elif came_from is not None:
            side, negation = came_from
            negation.operand = getattr(inner, side)
            setattr(inner, side, self.visit_UnaryOp(negation))
        else:
            return node
        return inner


def _huge_power(node):
    """An integer power too large to fold anyway, whose exact value Python would spend
    unbounded time and memory computing (``2 ** 10 ** 10``)."""
    base, exponent = node.left.value, node.right.value
    if not (isinstance(node.op, gast.Pow) and isinstance(base, int)
            and isinstance(exponent, int)):
        return False
    return abs(base) > 1 and exponent * math.log2(abs(base)) > 64


def _one(node):
    return isinstance(node, gast.Constant) and type(node.value) is float and node.value == 1.0


def _floating(node):
    """Whether ``node`` certainly computes floats (times 1.0 changes nothing): a float
    constant, a true division, or arithmetic with a floating operand."""
    if isinstance(node, gast.Constant):
        return type(node.value) is float
    if isinstance(node, gast.UnaryOp):
        return _floating(node.operand)
    if isinstance(node, gast.BinOp):
        return isinstance(node.op, gast.Div) or (
            isinstance(node.op, (gast.Add, gast.Sub, gast.Mult))
            and (_floating(node.left) or _floating(node.right)))
    return False


def _negation(node):
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub)


def _number(node):
    return isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool)
