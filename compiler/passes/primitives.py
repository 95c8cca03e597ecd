"""What primitive a normalized right-hand side applies, and its derivative rules.

Shared by the reverse and forward passes: an operator, an indexing, an attribute, a method or
a function call is described once as a ``Primitive``, then looked up in the adjoint or the
tangent tables of ``retrograd.rules``; a missing rule is a located refusal.
"""
import dataclasses
import operator

import gast
import numpy as np

from .. import rules, syntax
from ..rules import containers
from ..errors import refuse
from . import activity, resolve


@dataclasses.dataclass
class Primitive:
    table: str            # 'function' | 'method' | 'attribute'
    key: object           # the primitive object, or the method / attribute name
    args: list
    keywords: dict
    what: str             # how to name it in an error message


def describe(stmt, value, context):
    """The Primitive a right-hand side applies (or a located refusal)."""
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult) \
            and isinstance(value.left, gast.Name) and isinstance(value.right, gast.Name) \
            and value.left.id == value.right.id:
        return Primitive("function", np.square, [value.left], {}, "operator `*`")
    if isinstance(value, gast.BinOp) and context.kinds is not None and (
            context.kinds.container(value.left) or context.kinds.container(value.right)):
        if isinstance(value.op, gast.Add):
            return Primitive("function", containers.concatenate_sequences,
                             [value.left, value.right], {}, "`+` on lists or tuples")
        raise refuse(context, stmt, "this operator on a list or tuple that carries a gradient "
                     "is not supported", "build the list with `+` or `append`")
    if isinstance(value, gast.BinOp):
        what = f"operator `{resolve.SYMBOL.get(type(value.op), '?')}`"
        primitive = resolve.BINARY.get(type(value.op))
        if primitive is None:
            raise refuse(context, stmt, f"{what} has no derivative rule")
        return Primitive("function", primitive, [value.left, value.right], {}, what)
    if isinstance(value, gast.UnaryOp):
        primitive = resolve.UNARY.get(type(value.op))
        if primitive is None:
            raise refuse(context, stmt, "this unary operator has no derivative rule")
        return Primitive("function", primitive, [value.operand], {}, "unary operator")
    if isinstance(value, gast.Subscript):
        return Primitive("function", operator.getitem, [value.value, value.slice], {},
                         "indexing")
    if isinstance(value, gast.Attribute):
        return Primitive("attribute", value.attr, [value.value], {}, f"`.{value.attr}`")
    if isinstance(value, gast.Call):
        keywords = {k.arg: k.value for k in value.keywords}
        if is_method(value, context):
            method = value.func.attr
            return Primitive("method", method, [value.func.value] + list(value.args),
                             keywords, f"`.{method}()`")
        callee = activity.lookup(context, value)
        if callee.kind == "rule":
            return Primitive("function", callee.obj, list(value.args), keywords,
                             f"`{callee.text}`")
        raise refuse(context, stmt,
                     f"`{callee.text}` has no derivative rule and is called on a value that "
                     "carries a gradient",
                     "use a NumPy function retrograd knows, define the computation as a Python "
                     "function, or register a rule with rg.register_adjoint")
    raise refuse(context, stmt, "cannot differentiate this expression")


_TABLES = {
    "adjoint": {"function": rules.ADJOINTS, "method": rules.METHODS,
                "attribute": rules.ATTRIBUTES},
    "tangent": {"function": rules.TANGENTS, "method": rules.TANGENT_METHODS,
                "attribute": rules.TANGENT_ATTRIBUTES},
}


def rule_of(primitive, kind, context, stmt):
    """The adjoint or tangent Rule of a Primitive (or a located refusal)."""
    table = _TABLES[kind][primitive.table]
    key = id(primitive.key) if primitive.table == "function" else primitive.key
    rule = table.get(key)
    if rule is None:
        mode = "derivative" if kind == "adjoint" else "forward-mode (tangent)"
        raise refuse(context, stmt, f"{primitive.what} has no {mode} rule",
                     "use a NumPy function retrograd knows, or register a rule with "
                     f"rg.register_{kind}")
    return rule


def is_method(call, context):
    func = call.func
    return isinstance(func, gast.Attribute) and syntax.root_name(func) in context.locals


def rank(node, ranks):
    """The number of dimensions of an atom: 0 for numeric constants, else from ``ranks``."""
    if isinstance(node, gast.Constant):
        return 0 if isinstance(node.value, (int, float, complex, bool)) else None
    if isinstance(node, gast.Name):
        return ranks.get(node.id)
    return None


def indexed_variables(tree):
    """Variables whose derivative is read or written in parts (``x[i]``, ``x.append(v)``):
    their zero derivatives must be real containers, not the scalar 0.0."""
    found = set()
    for node in gast.walk(tree):
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name):
            found.add(node.value.id)
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                and node.func.attr == "append" and isinstance(node.func.value, gast.Name):
            found.add(node.func.value.id)
    return found


# calls and attributes whose result may share memory with their first argument / receiver
VIEW_FUNCTIONS = {"np.flip", "np.fliplr", "np.flipud", "np.reshape", "np.transpose",
                  "np.swapaxes", "np.moveaxis", "np.ravel", "np.squeeze", "np.expand_dims",
                  "np.broadcast_to", "np.asarray", "np.asanyarray", "np.diagonal",
                  "np.atleast_1d", "np.atleast_2d", "np.atleast_3d", "np.real", "np.imag",
                  "np.rot90"}
VIEW_METHODS = {"reshape", "ravel", "transpose", "squeeze", "view", "diagonal", "swapaxes"}
VIEW_ATTRIBUTES = {"T", "real", "imag", "flat"}


def view_base(value):
    """The expression whose memory ``value`` may share: ``x`` for ``x``, ``x[...]``, ``x.T``,
    ``np.flip(x)``, ``x.reshape(...)``; None for anything that makes a new array."""
    if isinstance(value, gast.Name):
        return value
    if isinstance(value, gast.Subscript):
        return value.value
    if isinstance(value, gast.Attribute) and value.attr in VIEW_ATTRIBUTES:
        return value.value
    if isinstance(value, gast.Call) and value.args and syntax.dotted(value.func) in VIEW_FUNCTIONS:
        return value.args[0]
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
            and value.func.attr in VIEW_METHODS:
        return value.func.value
    return None
