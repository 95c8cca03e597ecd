"""Derivative rules, one module per family, registered in the tables of this module.

A rule is a template written as plain Python: its parameters are the cotangent of the output
(``dz``), the output (``z``) and the primitive's own parameters; each statement ``dx = ...``
says what flows into the adjoint of parameter ``x``, and ``dx[index] += ...`` flows into part of
it. Other assignments are temporaries. The reverse pass copies the body into generated code
with the call's arguments substituted, so a rule reads exactly like the code it produces::

    @adjoint(np.tanh)
    def tanh(dz, z, x):
        dx = dz * (1.0 - z * z)

Conditions on keyword arguments with constant values (``if axis is None:``) are decided when
the rule is instantiated, so the generated code contains only the branch that applies.
"""
import dataclasses
import inspect
import textwrap

import gast

from .. import syntax


@dataclasses.dataclass
class Rule:
    """The adjoint template of one primitive."""
    name: str
    params: list          # the primitive's parameters as the template names them
    defaults: dict        # parameter -> default expression (gast)
    vararg: str           # name of a *args parameter, or None
    output: str           # the template's name for the output
    cotangent: str        # the template's name for the output's cotangent
    body: list            # template statements (gast)
    source: str           # the template's text, for documentation and error messages
    family: str = ""      # the module that defines it: elementwise, reductions, ...
    zeros_for_missing: bool = False   # tangent rules: a missing tangent is zeros, not dropped
    keyword_only: tuple = ()          # parameters after `*args` (never filled by position)

    @property
    def differentiable(self):
        """Parameters that receive a contribution (adjoint rules) or whose tangent is used
        (tangent rules)."""
        found = []
        for stmt in _walk_statements(self.body):
            if self.cotangent is None:        # a tangent rule: `dz = ... dx ...`
                targets = [name[1:] for name in syntax.names_in(stmt)
                           if name.startswith("d") and name[1:] in self.params + [self.vararg]]
            else:
                targets = [_contribution_target(stmt, self)]
            for target in targets:
                if target and target not in found:
                    found.append(target)
        return found


ADJOINTS = {}          # id(primitive object) -> Rule
METHODS = {}           # method name (x.sum(...)) -> Rule, receiver first
ATTRIBUTES = {}        # attribute name (x.T) -> Rule
TANGENTS = {}          # the same three tables for tangent (forward-mode) rules
TANGENT_METHODS = {}
TANGENT_ATTRIBUTES = {}
NONDIFFERENTIABLE = {}  # id(object) -> object: calls whose results carry no gradient
NONDIFFERENTIABLE_METHODS = set()
NONDIFFERENTIABLE_ATTRIBUTES = set()


def adjoint(*primitives, methods=(), attributes=()):
    """Register the decorated template as the adjoint rule of each primitive given."""
    def register(template):
        rule = parse_rule(template)
        for primitive in primitives:
            ADJOINTS[_key(primitive)] = rule
        for method in methods:
            METHODS[method] = rule
        for attribute in attributes:
            ATTRIBUTES[attribute] = rule
        return template
    return register


def tangent(*primitives, methods=(), attributes=(), zeros_for_missing=False):
    """Register the decorated template as the tangent rule of each primitive given.

    A tangent template's parameters are the output (``z``) and the primitive's parameters;
    each statement ``dz = ...`` is the output tangent's term for one input tangent ``dx``
    (terms of inputs without a tangent are left out, the others summed)::

        @tangent(np.tanh)
        def tanh(z, x):
            dz = dx * (1.0 - z * z)
    """
    def register(template):
        rule = parse_tangent(template)
        rule.zeros_for_missing = zeros_for_missing
        for primitive in primitives:
            TANGENTS[_key(primitive)] = rule
        for method in methods:
            TANGENT_METHODS[method] = rule
        for attribute in attributes:
            TANGENT_ATTRIBUTES[attribute] = rule
        return template
    return register


def nondifferentiable(*objects, methods=(), attributes=()):
    """Declare calls whose outputs carry no gradient (constructors, integer results, ...)."""
    for obj in objects:
        NONDIFFERENTIABLE[_key(obj)] = obj
    NONDIFFERENTIABLE_METHODS.update(methods)
    NONDIFFERENTIABLE_ATTRIBUTES.update(attributes)


def _key(obj):
    return id(obj)


def lookup(obj):
    """The Rule for a primitive object, or None."""
    return ADJOINTS.get(_key(obj))


def is_nondifferentiable(obj):
    return _key(obj) in NONDIFFERENTIABLE


def parse_rule(template):
    """Turn an adjoint template function into a Rule."""
    names, rest = _parse_template(template, lead=2)    # (dz, z, *params)
    return Rule(template.__name__, rest["params"], rest["defaults"], rest["vararg"], names[1],
                names[0], rest["body"], rest["source"], rest["family"],
                keyword_only=rest["keyword_only"])


def _parse_template(template, lead):
    """(the ``lead`` leading parameter names, the rest of what a Rule needs) of a template."""
    source = textwrap.dedent(inspect.getsource(template))
    tree = gast.parse(source).body[0]
    args = tree.args
    names = [a.id for a in args.args]
    params = names[lead:]
    defaults = dict(zip(params[len(params) - len(args.defaults):], args.defaults))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        params.append(arg.id)
        if default is not None:
            defaults[arg.id] = default
    body = [s for s in tree.body
            if not (isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant))]
    return names[:lead], {
        "params": params, "defaults": defaults, "body": body, "source": source,
        "vararg": args.vararg.id if args.vararg is not None else None,
        "family": template.__module__.rsplit(".", 1)[-1],
        "keyword_only": tuple(a.id for a in args.kwonlyargs)}


def parse_tangent(template):
    """Turn a tangent template function into a Rule (``cotangent`` is None)."""
    names, rest = _parse_template(template, lead=1)    # (z, *params)
    return Rule(template.__name__, rest["params"], rest["defaults"], rest["vararg"], names[0],
                None, rest["body"], rest["source"], rest["family"],
                keyword_only=rest["keyword_only"])


def instantiate_tangent(rule, bound, output, tangents, fresh, ranks=None):
    """Specialise a tangent rule to one call.

    ``tangents`` maps parameters to the names (or tuples of names, for ``*args``) of their
    tangents, ``None`` where an argument has none. Returns (temporary statements, terms):
    the output tangent is the sum of the terms.
    """
    mapping = dict(bound)
    mapping[rule.output] = output
    mapping["__ranks__"] = dict(ranks or {})
    inactive = set()
    for param in rule.params + ([rule.vararg] if rule.vararg else []):
        tangent_node = tangents.get(param)
        if tangent_node is None and rule.zeros_for_missing and param in bound:
            mapping["d" + param] = syntax.call("rt.zeros_like", [bound[param]])
        elif tangent_node is None:
            inactive.add("d" + param)
        else:
            mapping["d" + param] = tangent_node
    statements, terms = [], []
    _tangent_block(rule, rule.body, mapping, inactive, fresh, statements, terms)
    return statements, terms


def _tangent_block(rule, body, mapping, inactive, fresh, statements, terms):
    output_tangent = "d" + rule.output
    for stmt in body:
        if isinstance(stmt, gast.If):
            branch = stmt.body if _decide(stmt.test, mapping) else stmt.orelse
            _tangent_block(rule, branch, mapping, inactive, fresh, statements, terms)
            continue
        assert isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name), \
            f"tangent rule {rule.name}: only assignments are supported"
        used = set(syntax.names_in(stmt.value))
        if used & inactive:
            continue
        if stmt.targets[0].id == output_tangent:
            terms.append(syntax.substitute(stmt.value, mapping))
        else:
            temp = stmt.targets[0].id
            mapping[temp] = fresh("_g")
            statements.append(syntax.substitute(stmt, mapping))


def _walk_statements(body):
    for stmt in body:
        yield stmt
        if isinstance(stmt, gast.If):
            yield from _walk_statements(stmt.body)
            yield from _walk_statements(stmt.orelse)


def _contribution_target(stmt, rule):
    """The parameter a template statement contributes to, if it is ``dp = ...`` or
    ``dp[i] += ...``."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        target = stmt.targets[0].id
    elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Subscript) \
            and isinstance(stmt.target.value, gast.Name):
        target = stmt.target.value.id
    else:
        return None
    if target.startswith("d") and target[1:] in rule.params + [rule.vararg]:
        return target[1:]
    return None


@dataclasses.dataclass
class Contribution:
    """What one instantiated rule adds to the adjoint of one argument."""
    param: str
    value: object          # gast expression
    index: object = None   # gast expression: the contribution goes to adjoint[index]


class BindingError(Exception):
    """The call's arguments do not fit the rule's parameters."""


def bind(rule, args, keywords):
    """Map the rule's parameters to the call's argument expressions (defaults filled in)."""
    bound = {}
    params = rule.params
    positional = [p for p in params if p not in rule.keyword_only]
    if len(args) > len(positional) and rule.vararg is None:
        raise BindingError(f"takes at most {len(positional)} positional arguments")
    for param, value in zip(positional, args):
        bound[param] = value
    if rule.vararg is not None:
        extra = list(args[len(positional):])
        bound[rule.vararg] = gast.Tuple(elts=extra, ctx=gast.Load())
    for key, value in keywords.items():
        if key not in params:
            raise BindingError(f"argument `{key}=` is not supported")
        if key in bound:
            raise BindingError(f"argument `{key}` given twice")
        bound[key] = value
    for param in params:
        if param not in bound:
            if param not in rule.defaults:
                raise BindingError(f"missing argument `{param}`")
            bound[param] = rule.defaults[param]
    return bound


def instantiate(rule, bound, output, cotangent, wanted, fresh, ranks=None):
    """Specialise a rule to one call.

    ``bound`` maps parameters to argument expressions, ``output``/``cotangent`` are the names
    of the call's result and its adjoint, ``wanted`` the parameters whose adjoint is needed and
    ``fresh(stem)`` makes temporary names; ``ranks`` maps parameters to their known numbers of
    dimensions, so templates may branch on ``np.ndim(x)``. Returns (temporary statements,
    contributions).
    """
    mapping = dict(bound)
    mapping["__ranks__"] = dict(ranks or {})
    mapping[rule.output] = output
    mapping[rule.cotangent] = cotangent
    statements, contributions = [], []
    _instantiate_block(rule, rule.body, mapping, wanted, fresh, statements, contributions)
    return statements, contributions


def _instantiate_block(rule, body, mapping, wanted, fresh, statements, contributions):
    for stmt in body:
        if isinstance(stmt, gast.If):
            decided = _decide(stmt.test, mapping)
            # Undecidable conditions take the else branch, which must hold in general.
            branch = stmt.body if decided else stmt.orelse
            _instantiate_block(rule, branch, mapping, wanted, fresh, statements, contributions)
            continue
        param = _contribution_target(stmt, rule)
        if param is not None:
            if param not in wanted:
                continue
            if isinstance(stmt, gast.AugAssign):
                index = syntax.substitute(stmt.target.slice, mapping)
                contributions.append(Contribution(param, syntax.substitute(stmt.value, mapping),
                                                  index))
            else:
                contributions.append(Contribution(param, syntax.substitute(stmt.value, mapping)))
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            temp = stmt.targets[0].id
            mapping[temp] = fresh("_g")
            statements.append(syntax.substitute(stmt, mapping))
            continue
        raise AssertionError(f"rule {rule.name}: unsupported template statement")


def _decide(test, mapping):
    """Evaluate a template condition over constant arguments and known ranks, or None."""
    values = {"np": _RankOracle()}
    ranks = mapping.get("__ranks__", {})
    for ident in syntax.names_in(test):
        node = mapping.get(ident)
        if ident in ("np", "len"):
            continue
        if isinstance(node, gast.Constant):
            values[ident] = node.value
        elif ident in ranks:
            values[ident] = _Opaque(rank=ranks[ident])
        elif isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) for e in node.elts):
            values[ident] = tuple(e.value for e in node.elts)
        elif isinstance(node, gast.Tuple) or isinstance(node, gast.List):
            values[ident] = _Opaque(len(node.elts))
        else:
            values[ident] = _Opaque()
    try:
        source = _to_source(test)
        return bool(eval(source, {"len": len}, values))  # noqa: S307 - a rule's own condition
    except _Undecidable:
        return None


class _Undecidable(Exception):
    pass


class _Opaque:
    """A value known only at run time: any question about it is undecidable, except ``len``
    of a literal tuple, ``is None`` (it is not None) and ``np.ndim`` when the rank is known."""

    def __init__(self, length=None, rank=None):
        self.length = length
        self.rank = rank

    def __len__(self):
        if self.length is None:
            raise _Undecidable()
        return self.length

    def __bool__(self):
        raise _Undecidable()

    def __eq__(self, other):
        raise _Undecidable()

    __hash__ = object.__hash__


class _RankOracle:
    """Stands for ``np`` in template conditions: ``np.ndim(x)`` of an argument of known rank."""

    @staticmethod
    def ndim(value):
        if isinstance(value, _Opaque) and value.rank is not None:
            return value.rank
        if isinstance(value, (int, float, complex)):
            return 0
        raise _Undecidable()


def _to_source(node):
    import astor
    return astor.to_source(gast.gast_to_ast(gast.Expression(body=node))).strip()


def load_families():
    """Import every family module so their registrations run."""
    from . import (containers, elementwise, inactive, indexing, linalg, reductions,  # noqa: F401
                   runtime, shape)
