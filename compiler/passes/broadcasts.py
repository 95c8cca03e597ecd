"""broadcasts: drop explicit broadcasts that the surrounding elementwise operation does anyway.

Adjoints of reductions spread a cotangent back over the reduced array's shape
(``np.full(np.shape(x), g)``, ``rt.unreduce(g, x, axis, keepdims)``); the next adjoint
usually multiplies that by an array of the same shape (``exp``'s adjoint: ``... * z``). NumPy
broadcasting spreads ``g`` by itself then, without the extra array::

    dx = np.full(np.shape(x), dz / total) * e        ->   dx = dz / total * e
    dx = rt.unreduce(g, e, 1, True) * e              ->   dx = g * e
    dx = rt.unreduce(g, e, 1, False) * e             ->   dx = np.expand_dims(g, 1) * e

Assumes: assembled derivative functions whose primal names carry shape symbols
(``context.shapes``, from the ranks pass). Guarantees: a broadcast ``B(g, x)`` is removed only
from an elementwise ``B(g, x) op y`` (or ``y op B(g, x)``) where ``y`` provably has the shape
of ``x``: the result's values and shape are unchanged, since ``g`` broadcasts to ``x``'s shape
by construction. A spread of a spread of a number is one spread.
"""
import gast
import numpy as np

from .. import rules, syntax

_ELEMENTWISE = (gast.Add, gast.Sub, gast.Mult, gast.Div)


def run(function, context):
    return _Broadcasts(context.shapes).visit(function)


class _Broadcasts(gast.NodeTransformer):
    def __init__(self, shapes):
        self.shapes = shapes

    def visit_Call(self, node):
        self.generic_visit(node)
        # rt.unreduce(np.full(S, c), x, ...) with a number c is np.full(np.shape(x), c)
        if syntax.dotted(node.func) == "rt.unreduce" and len(node.args) >= 2:
            inner = node.args[0]
            if _is_full(inner) and self.symbol(inner.args[1]) == "scalar":
                return syntax.call(syntax.expr("np.full"), [
                    syntax.call(syntax.expr("np.shape"), [node.args[1]]), inner.args[1]])
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, _ELEMENTWISE):
            return node
        for side, other in (("left", node.right), ("right", node.left)):
            spread = self.spread(getattr(node, side))
            if spread is None:
                continue
            value, shape = spread
            target = self.symbol(other)
            if target is not None and target == shape:
                setattr(node, side, value)
                break
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.USub) and _is_full(node.operand):
            # -np.full(S, g) is np.full(S, -g): the spread stays outermost for visit_BinOp
            full = node.operand
            full.args[1] = gast.UnaryOp(op=gast.USub(), operand=full.args[1])
            return full
        return node

    def spread(self, node):
        """(what is spread, the shape symbol it is spread to) for an explicit broadcast
        ``np.full(np.shape(x), g)`` / ``rt.unreduce(g, x, axis, keepdims)``, else None."""
        if _is_full(node):
            shape = node.args[0]
            if isinstance(shape, gast.Call) and syntax.dotted(shape.func) == "np.shape" \
                    and len(shape.args) == 1:
                return node.args[1], self.symbol(shape.args[0])
            if isinstance(shape, gast.Tuple) and not shape.elts:
                return node.args[1], "scalar"
            return None
        if isinstance(node, gast.Call) and syntax.dotted(node.func) == "rt.unreduce" \
                and len(node.args) == 4 and not node.keywords:
            g, like, axis, keepdims = node.args
            if not isinstance(keepdims, gast.Constant):
                return None
            if keepdims.value is True:
                return g, self.symbol(like)
            if _constant_axis(axis):
                return syntax.call(syntax.expr("np.expand_dims"), [g, axis]), self.symbol(like)
        return None

    def symbol(self, node):
        """The shape symbol of an expression (see ranks.shapes), or None."""
        if isinstance(node, gast.Constant):
            return "scalar" if isinstance(node.value, (int, float)) else None
        if isinstance(node, gast.Name):
            return self.shapes.get(node.id)
        if isinstance(node, gast.UnaryOp):
            return self.symbol(node.operand)
        if isinstance(node, gast.BinOp) and isinstance(node.op, _ELEMENTWISE):
            left, right = self.symbol(node.left), self.symbol(node.right)
            if left == "scalar":
                return right
            if right == "scalar" or left == right:
                return left
            return None
        if isinstance(node, gast.Call) and syntax.dotted(node.func) in ("np.size", "np.ndim"):
            return "scalar"
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Call) \
                and syntax.dotted(node.value.func) == "np.shape" \
                and isinstance(node.slice, gast.Constant):
            return "scalar"                          # np.shape(x)[0]: a number
        if isinstance(node, gast.Call) and len(node.args) == 1 and not node.keywords \
                and _elementwise(syntax.dotted(node.func)):
            return self.symbol(node.args[0])        # np.sin(x) has the shape of x
        return None


def _elementwise(dotted):
    """Whether ``np.<name>`` is a one-argument elementwise function with a derivative rule."""
    if not dotted or not dotted.startswith("np.") or dotted.count(".") != 1:
        return False
    rule = rules.lookup(getattr(np, dotted[3:], None))
    return rule is not None and rule.family == "elementwise" and len(rule.params) == 1


def _is_full(node):
    return isinstance(node, gast.Call) and syntax.dotted(node.func) == "np.full" \
        and len(node.args) == 2 and not node.keywords


def _constant_axis(axis):
    if isinstance(axis, gast.Constant):
        return type(axis.value) is int
    return isinstance(axis, gast.Tuple) and all(
        isinstance(e, gast.Constant) and type(e.value) is int for e in axis.elts)
