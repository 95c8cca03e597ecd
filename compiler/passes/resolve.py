"""resolve: decide what every call in the function is.

Assumes: a loaded FunctionDef and its Context. Guarantees: ``context.resolution`` maps the
dotted text of every called global (``np.sin``, ``helper``, ``math.exp``) to a ``Callee``;
calls whose receiver is a local variable (``x.sum()``) are methods, looked up by name later.
Nothing is refused here: whether an unknown call matters depends on activity, decided later.
"""
import dataclasses
import inspect
import operator

import gast

from .. import rules, syntax


@dataclasses.dataclass(frozen=True)
class Callee:
    """What a call refers to."""
    kind: str          # 'rule' | 'nondifferentiable' | 'function' | 'custom' | 'unknown'
    obj: object
    text: str          # how the source spells it
    rule: object = None


# Custom rules registered by users: id(function) -> (function, adjoint, tangent)
CUSTOM = {}


def run(tree, context):
    resolution = {}
    for node in gast.walk(tree):
        if isinstance(node, gast.Call):
            text = syntax.dotted(node.func)
            root = syntax.root_name(node.func)
            if text is None or root in context.locals:
                continue
            if text not in resolution:
                resolution[text] = classify(_evaluate(text, context.namespace), text)
    context.resolution = resolution
    return tree


_MISSING = object()


def _evaluate(text, namespace):
    parts = text.split(".")
    value = namespace.get(parts[0], _MISSING)
    for part in parts[1:]:
        if value is _MISSING:
            break
        value = getattr(value, part, _MISSING)
    return value


def classify(obj, text):
    """The Callee for a called object."""
    if obj is _MISSING:
        return Callee("unknown", None, text)
    custom = CUSTOM.get(id(obj))
    if custom is not None:
        return Callee("custom", obj, text)
    rule = rules.lookup(obj) or rules.TANGENTS.get(id(obj))   # a primitive in either mode
    if rule is not None:
        return Callee("rule", obj, text, rule)
    if rules.is_nondifferentiable(obj):
        return Callee("nondifferentiable", obj, text)
    if isinstance(obj, type) and obj in (list, tuple, dict):
        return Callee("container", obj, text)
    if getattr(obj, "__retrograd__", None) is not None:
        return Callee("function", obj, text)
    if inspect.isfunction(obj):
        return Callee("function", obj, text)
    return Callee("unknown", obj, text)


# Operators as primitives: a BinOp or UnaryOp is a call of one of these.
BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
}
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos}
SYMBOL = {
    gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
    gast.MatMult: "@", gast.FloorDiv: "//", gast.Mod: "%", gast.USub: "-", gast.UAdd: "+",
}
