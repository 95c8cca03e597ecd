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

Batched tangents (``rg.jvp(..., batched=True)``, ``rg.hessian``) carry a leading axis of
directions: ``dx`` has shape ``(K,) + np.shape(x)``. A tangent rule serves them in one of four
ways, declared beside it: ``batch="lift"`` (the template holds as written once each tangent is
lifted to the output's rank: pointwise rules), ``batch="same"`` (it holds as written),
``batch="each"`` (each term is applied per direction and the results stacked), or a batched
template of its own registered with ``@batch_tangent``. A primitive with none of these makes
the whole batched derivative fall back to one tangent pass per direction.
"""
import ast
import copy
import dataclasses
import inspect
import linecache
import textwrap
import weakref

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
    batch: str = None                 # batched rules: 'lift', 'same', 'each' or 'template'
    sequences: tuple = ()             # batched rules: parameters taking lists of tangents

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
BATCH_TANGENTS = {}    # the same three tables for batched tangent rules
BATCH_TANGENT_METHODS = {}
BATCH_TANGENT_ATTRIBUTES = {}
NONDIFFERENTIABLE = {}  # id(object) -> object: calls whose results carry no gradient
NONDIFFERENTIABLE_METHODS = set()
NONDIFFERENTIABLE_ATTRIBUTES = set()


def adjoint(*primitives, methods=(), attributes=()):
    """Register the decorated template as the adjoint rule of each primitive given."""
    def register(template):
        _register(parse_rule(template), primitives, methods, attributes, ADJOINTS, METHODS,
                  ATTRIBUTES)
        return template
    return register


def tangent(*primitives, methods=(), attributes=(), zeros_for_missing=False, batch=None):
    """Register the decorated template as the tangent rule of each primitive given.

    A tangent template's parameters are the output (``z``) and the primitive's parameters;
    each statement ``dz = ...`` is the output tangent's term for one input tangent ``dx``
    (terms of inputs without a tangent are left out, the others summed)::

        @tangent(np.tanh, batch="lift")
        def tanh(z, x):
            dz = dx * (1.0 - z * z)

    ``batch`` says how the template serves batched tangents ("lift", "same" or "each"; see
    the module docstring); leave it out when a ``@batch_tangent`` template is written beside.
    """
    def register(template):
        rule = parse_tangent(template)
        rule.zeros_for_missing = zeros_for_missing
        _register(rule, primitives, methods, attributes, TANGENTS, TANGENT_METHODS,
                  TANGENT_ATTRIBUTES)
        if batch is not None:
            assert batch in ("lift", "same", "each"), batch
            batched = dataclasses.replace(rule, batch=batch)
            _register(batched, primitives, methods, attributes, BATCH_TANGENTS,
                      BATCH_TANGENT_METHODS, BATCH_TANGENT_ATTRIBUTES)
        return template
    return register


def batch_tangent(*primitives, methods=(), attributes=(), zeros_for_missing=False,
                  sequences=()):
    """Register the decorated template as the batched tangent rule of each primitive given.

    It reads like a tangent template, but every tangent ``dx`` has a leading axis of
    directions. Three helpers are decided when the rule is instantiated, from the known
    ranks: ``lift(dx, z)`` (``dx[:, None]``-style axes so ``dx`` broadcasts as ``z`` does),
    ``batch_axis(axis, x)`` (the tangent's axis for ``axis`` of ``x``: ``0 -> 1``, ``None ->
    (1, ..., ndim)``) and ``each(expr)`` (``expr`` per direction, stacked)::

        @batch_tangent(np.sum)
        def sum_batch(z, x, axis=None):
            dz = np.sum(dx, axis=batch_axis(axis, x))

    ``sequences`` names parameters that take a list of arrays (``np.stack(arrays)``): their
    tangent stays a list of batched tangents.
    """
    def register(template):
        rule = parse_tangent(template)
        rule.zeros_for_missing = zeros_for_missing
        rule.batch = "template"
        rule.sequences = tuple(sequences)
        _register(rule, primitives, methods, attributes, BATCH_TANGENTS, BATCH_TANGENT_METHODS,
                  BATCH_TANGENT_ATTRIBUTES)
        return template
    return register


def _register(rule, primitives, methods, attributes, functions, method_table, attribute_table):
    for primitive in primitives:
        functions[_key(primitive)] = rule
    for method in methods:
        method_table[method] = rule
    for attribute in attributes:
        attribute_table[attribute] = rule


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
    source, tree = _template_tree(template)
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


_MODULE_DEFINITIONS = {}    # file -> (its lines, {first line: module-level ast.FunctionDef})


def _template_tree(template):
    """(source, gast FunctionDef) of a template, exactly as parsing its own dedented source
    would give them, but from one parse of its whole module (parsing each of the hundreds of
    templates on its own was most of the time ``import retrograd`` took)."""
    code = template.__code__
    if code.co_filename not in _MODULE_DEFINITIONS:
        lines = linecache.getlines(code.co_filename)
        try:
            module = ast.parse("".join(lines))
        except SyntaxError:
            module = ast.Module(body=[], type_ignores=[])
        _MODULE_DEFINITIONS[code.co_filename] = lines, {
            min([node.lineno] + [d.lineno for d in node.decorator_list]): node
            for node in module.body if isinstance(node, ast.FunctionDef)}
    lines, definitions = _MODULE_DEFINITIONS[code.co_filename]
    node = definitions.pop(code.co_firstlineno, None)
    if node is None or node.name != template.__name__:
        source = textwrap.dedent(inspect.getsource(template))
        return source, gast.parse(source).body[0]
    source = textwrap.dedent("".join(lines[code.co_firstlineno - 1:node.end_lineno]))
    tree = gast.ast_to_gast(node)
    for child in syntax.walk(tree):      # lines as in its own source (ast.increment_lineno)
        if "lineno" in child._attributes:
            child.lineno = getattr(child, "lineno", 0) + 1 - code.co_firstlineno
        if "end_lineno" in child._attributes and getattr(child, "end_lineno", 0) is not None:
            child.end_lineno = getattr(child, "end_lineno", 0) + 1 - code.co_firstlineno
    return source, tree


def parse_tangent(template):
    """Turn a tangent template function into a Rule (``cotangent`` is None)."""
    names, rest = _parse_template(template, lead=1)    # (z, *params)
    return Rule(template.__name__, rest["params"], rest["defaults"], rest["vararg"], names[0],
                None, rest["body"], rest["source"], rest["family"],
                keyword_only=rest["keyword_only"])


def instantiate_tangent(rule, bound, output, tangents, fresh, ranks=None, batch=None):
    """Specialise a tangent rule to one call.

    ``tangents`` maps parameters to the names (or tuples of names, for ``*args``) of their
    tangents, ``None`` where an argument has none. Returns (temporary statements, terms):
    the output tangent is the sum of the terms. For a batched rule, ``batch`` is a
    ``Batch``: how to make zero tangents and name the number of directions.
    """
    mapping = dict(bound)
    mapping[rule.output] = output
    mapping["__ranks__"] = dict(ranks or {})
    inactive = set()
    for param in rule.params + ([rule.vararg] if rule.vararg else []):
        tangent_node = tangents.get(param)
        if tangent_node is None and rule.zeros_for_missing and param in bound:
            mapping["d" + param] = batch.zeros(bound[param]) if batch is not None \
                else syntax.call("rt.zeros_like", [bound[param]])
        elif tangent_node is None:
            inactive.add("d" + param)
        else:
            mapping["d" + param] = tangent_node
    statements, terms = [], []
    body = rule.body if batch is None else _batch_body(rule)
    _tangent_block(rule, body, mapping, inactive, fresh, statements, terms, batch)
    return statements, terms


def _tangent_block(rule, body, mapping, inactive, fresh, statements, terms, batch=None):
    output_tangent = "d" + rule.output
    for stmt in body:
        if isinstance(stmt, gast.If):
            branch = stmt.body if _decide(stmt.test, mapping) else stmt.orelse
            _tangent_block(rule, branch, mapping, inactive, fresh, statements, terms, batch)
            continue
        assert isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name), \
            f"tangent rule {rule.name}: only assignments are supported"
        used = set(syntax.names_in(stmt.value))
        if used & inactive:
            continue
        if batch is not None:
            stmt = _BatchForms(rule, mapping, batch, fresh).visit(copy.deepcopy(stmt))
        if stmt.targets[0].id == output_tangent:
            terms.append(syntax.substitute(stmt.value, mapping))
        else:
            temp = stmt.targets[0].id
            mapping[temp] = fresh("_g")
            statements.append(syntax.substitute(stmt, mapping))


# --- batched tangents -------------------------------------------------------------------------

class Unbatchable(Exception):
    """A primitive (or a use of it) has no batched tangent rule: the caller falls back to one
    tangent pass per direction."""


@dataclasses.dataclass
class Batch:
    """What instantiating a batched rule needs from the forward pass."""
    zeros: object         # zeros(node) -> expression of zero batched tangents shaped like node
    size: object          # size() -> name of the number of directions


_BATCH_BODIES = {}


def _batch_body(rule):
    """The template a batched rule instantiates: "lift" wraps each tangent ``dx`` in
    ``lift(dx, z)``, "each" wraps each term in ``each(...)``; the others are as written."""
    key = id(rule)
    if key not in _BATCH_BODIES:
        tangents = {"d" + p for p in rule.params + ([rule.vararg] if rule.vararg else [])}
        output_tangent = "d" + rule.output

        class _Wrap(gast.NodeTransformer):
            def visit_Assign(self, node):
                if rule.batch == "each" and node.targets[0].id == output_tangent:
                    node.value = syntax.call(syntax.name("each"), [node.value])
                elif rule.batch == "lift":
                    node.value = self.visit(node.value)
                return node

            def visit_Name(self, node):
                if node.id in tangents and isinstance(node.ctx, gast.Load):
                    return syntax.call(syntax.name("lift"),
                                       [node, syntax.name(rule.output)])
                return node

        body = copy.deepcopy(rule.body)
        if rule.batch in ("lift", "each"):
            body = [_Wrap().visit(stmt) for stmt in body]
        _BATCH_BODIES[key] = (rule, body)
    return _BATCH_BODIES[key][1]


class _BatchForms(gast.NodeTransformer):
    """Decide ``lift``, ``batch_axis`` and ``each`` in one statement of a batched template,
    before its parameters are replaced by the call's arguments."""

    def __init__(self, rule, mapping, batch, fresh):
        self.rule = rule
        self.mapping = mapping
        self.ranks = mapping.get("__ranks__", {})
        self.batch = batch
        self.fresh = fresh

    def visit_Call(self, node):
        self.generic_visit(node)
        if not isinstance(node.func, gast.Name) or node.func.id not in (
                "lift", "batch_axis", "each"):
            return node
        return getattr(self, node.func.id)(*node.args)

    def lift(self, tangent, output):
        rank, output_rank = self.rank_of_tangent(tangent), self.ranks.get(output.id)
        if rank is None or output_rank is None:
            return syntax.call("rt.batch.lift", [tangent, output])
        if output_rank <= rank:
            return tangent
        index = [gast.Slice(lower=None, upper=None, step=None)] + \
            [syntax.const(None)] * (output_rank - rank)
        return gast.Subscript(value=tangent, slice=gast.Tuple(elts=index, ctx=gast.Load()),
                              ctx=gast.Load())

    def rank_of_tangent(self, tangent):
        if isinstance(tangent, gast.Name) and tangent.id.startswith("d"):
            return self.ranks.get(tangent.id[1:])
        return None

    def batch_axis(self, axis, value):
        node = self.mapping.get(axis.id, axis) if isinstance(axis, gast.Name) else axis
        rank = self.ranks.get(value.id) if isinstance(value, gast.Name) else None
        if isinstance(node, gast.Constant) and node.value is None and rank is not None:
            return gast.Tuple(elts=[syntax.const(a) for a in range(1, rank + 1)],
                              ctx=gast.Load()) if rank != 1 else syntax.const(1)
        if isinstance(node, gast.Constant) and isinstance(node.value, int) \
                and not isinstance(node.value, bool):
            return syntax.const(node.value + 1 if node.value >= 0 else node.value)
        if isinstance(node, gast.Tuple) and all(
                isinstance(e, gast.Constant) and type(e.value) is int for e in node.elts):
            return gast.Tuple(elts=[syntax.const(e.value + 1 if e.value >= 0 else e.value)
                                    for e in node.elts], ctx=gast.Load())
        return syntax.call("rt.batch.axis", [axis, value])

    def each(self, term):
        """``rt.batch.stack([term with dx[_j] for dx ... for _j in range(_k)])``."""
        direction = self.fresh("_j")
        vararg = "d" + self.rule.vararg if self.rule.vararg else None

        class _Pick(gast.NodeTransformer):
            def visit_Name(inner, node):
                if not node.id.startswith("d") or node.id[1:] not in self.rule.params + (
                        [self.rule.vararg] if self.rule.vararg else []):
                    return node
                if node.id == vararg:        # a tuple of tangents (None where inactive)
                    elts = [e if isinstance(e, gast.Constant) else gast.Subscript(
                        value=e, slice=syntax.name(direction), ctx=gast.Load())
                        for e in self.mapping[node.id].elts]
                    return gast.Tuple(elts=elts, ctx=gast.Load())
                if self.ranks.get(node.id[1:]) is not None:
                    return gast.Subscript(value=node, slice=syntax.name(direction),
                                          ctx=gast.Load())
                return syntax.call("rt.batch.pick", [node, syntax.name(direction)])

        term = _Pick().visit(term)
        loop = gast.comprehension(
            target=syntax.name(direction, gast.Store()),
            iter=syntax.call(syntax.name("range"), [syntax.name(self.batch.size())]),
            ifs=[], is_async=0)
        return syntax.call("rt.batch.stack", [gast.ListComp(elt=term, generators=[loop])])


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
    names, code = _condition(test)
    for ident in names:
        node = mapping.get(ident)
        if ident in ("np",) or ident in _CONDITION_BUILTINS:
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
        return bool(eval(code, dict(_CONDITION_BUILTINS), values))  # noqa: S307 - a rule's own condition
    except _Undecidable:
        return None


_CONDITIONS = weakref.WeakKeyDictionary()   # template condition -> (its names, compiled code)


def _condition(test):
    """The names a template condition reads and its compiled code, made once per condition
    (printing and compiling it is most of the cost of deciding it)."""
    found = _CONDITIONS.get(test)
    if found is None:
        found = _CONDITIONS[test] = (syntax.names_in(test),
                                     compile(_to_source(test), "<string>", "eval"))
    return found


# what a template condition may call: `isinstance(axis, int)` holds only for a constant
_CONDITION_BUILTINS = {"len": len, "isinstance": isinstance, "int": int, "tuple": tuple}


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
