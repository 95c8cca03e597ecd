"""activity: which variables carry derivative information.

Assumes: a normalized body (see ``normalize``) and resolved calls. Guarantees:
``context.activity`` holds the variables that both depend on a ``wrt`` parameter (varied)
and influence the returned value (useful); only these get adjoints. The analysis is
flow-insensitive: a name is active if any of its assignments makes it so, which is
conservative (never misses a dependency) and cheap.
"""
import dataclasses

import gast

from .. import rules, syntax
from . import resolve

DIFFERENTIABLE_BINARY = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.MatMult, gast.Mod)


@dataclasses.dataclass
class Activity:
    varied: set
    useful: set
    output: object          # the returned atom (gast node)

    @property
    def active(self):
        return self.varied & self.useful

    def is_active(self, node):
        return isinstance(node, gast.Name) and node.id in self.active


def run(tree, context):
    flows = list(_flows(tree.body, context))
    output = _output(tree)
    varied = set(context.wrt)
    _propagate(flows, varied, forward=True)
    useful = {output.id} if isinstance(output, gast.Name) else set()
    _propagate(flows, useful, forward=False)
    context.activity = Activity(varied, useful, output)
    return tree


def _output(tree):
    last = tree.body[-1] if tree.body else None
    if isinstance(last, gast.Return):
        return last.value
    return syntax.const(None)


def _propagate(flows, marked, forward):
    changed = True
    while changed:
        changed = False
        for target, sources in flows:
            if forward and target not in marked and marked & sources:
                marked.add(target)
                changed = True
            elif not forward and target in marked and not sources <= marked:
                marked |= sources
                changed = True


def _flows(statements, context):
    """(target, names whose derivative flows into it) for every statement."""
    for stmt in statements:
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                yield target.id, set(differentiable_sources(stmt.value, context))
            elif isinstance(target, gast.Subscript):
                base = target.value.id
                yield base, {base} | set(_names(stmt.value))
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) \
                and syntax.dotted(stmt.value.func) == "rt.add_at" \
                and isinstance(stmt.value.args[0], gast.Name):
            base = stmt.value.args[0].id     # generated adjoint code: d[index] += g
            yield base, {base} | set(_names(stmt.value.args[2]))
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            func = stmt.value.func
            if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                    and func.attr in ("append", "extend", "insert"):
                base = func.value.id
                yield base, {base} | {n for a in stmt.value.args for n in _names(a)}
        elif isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _flows(stmt.body, context)
            yield from _flows(stmt.orelse, context)


def _names(node):
    return [node.id] if isinstance(node, gast.Name) else []


def differentiable_sources(value, context):
    """The names in a normalized right-hand side whose derivative reaches the result."""
    if isinstance(value, gast.Name):
        return [value.id]
    if isinstance(value, gast.BinOp):
        if isinstance(value.op, DIFFERENTIABLE_BINARY):
            return _names(value.left) + _names(value.right)
        return []
    if isinstance(value, gast.UnaryOp):
        return _names(value.operand) if isinstance(value.op, (gast.USub, gast.UAdd)) else []
    if isinstance(value, gast.Subscript):
        return _names(value.value)
    if isinstance(value, gast.Attribute):
        if isinstance(value.value, gast.Name) and value.value.id in context.locals:
            if value.attr in rules.NONDIFFERENTIABLE_ATTRIBUTES:
                return []
            return [value.value.id]
        return []
    if isinstance(value, (gast.Tuple, gast.List)):
        return [n for e in value.elts for n in _names(e)]
    if isinstance(value, gast.Dict):
        return [n for v in value.values for n in _names(v)]
    if isinstance(value, gast.Call):
        return _call_sources(value, context)
    return []   # constants, comparisons, boolean logic, strings


def _call_sources(call, context):
    args = [n for a in call.args for n in _names(a)] + \
        [n for k in call.keywords for n in _names(k.value)]
    func = call.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
            and func.value.id in context.locals:
        if func.attr in rules.NONDIFFERENTIABLE_METHODS:
            return []
        return [func.value.id] + args
    callee = lookup(context, call)
    if callee.kind == "nondifferentiable":
        return []
    if callee.kind == "rule":
        try:
            bound = rules.bind(callee.rule, call.args, {k.arg: k.value for k in call.keywords})
        except rules.BindingError:
            return args
        found = []
        for param in callee.rule.differentiable:
            node = bound.get(param)
            if isinstance(node, gast.Tuple):
                found.extend(n for e in node.elts for n in _names(e))
            elif node is not None:
                found.extend(_names(node))
        return found
    return args


def lookup(context, call):
    """The Callee of a call to a global (resolving names the normalizer introduced)."""
    text = syntax.dotted(call.func)
    callee = context.resolution.get(text)
    if callee is None:
        callee = resolve.classify(resolve._evaluate(text, context.namespace), text)
        context.resolution[text] = callee
    return callee
