"""fold: evaluate arithmetic on constants at compile time.

Assumes: assembled derivative functions. Guarantees: no operator applied to two numeric
constants, and no negated constant, remains; operands that are not constants are never
touched (so no object identity or dtype changes). Example::

    dx = 2.0 * x * (1.0 * 3.0)   ->   dx = 2.0 * x * 3.0
    y = x ** (2 - 1)             ->   y = x ** 1
"""
import operator

import gast

_BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow,
}


def run(function):
    return _Fold().visit(function)


class _Fold(gast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        apply = _BINARY.get(type(node.op))
        if apply is not None and _number(node.left) and _number(node.right):
            try:
                value = apply(node.left.value, node.right.value)
            except (ArithmeticError, ValueError):
                return node
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and abs(value) < 1e15:
                return gast.Constant(value=value, kind=None)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.USub) and _number(node.operand):
            return gast.Constant(value=-node.operand.value, kind=None)
        return node


def _number(node):
    return isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool)
