"""forward: write the tangent (forward-mode) code of a normalized body.

Assumes: normalized statements (``normalize``), activity (``activity``; only ``varied``
matters here). Guarantees a ``Tangent``: the primal statements with, after each one, the
statements computing its tangent ``dy`` from the tangents of its inputs, built from the
tangent rules in ``retrograd.rules``. Control flow is kept as it is: a loop stays a loop, a
branch a branch, and nothing needs saving. Tangents known to be zero are not computed; where
control flow joins, a zero tangent is materialised as ``0.0`` (or zeros shaped like the value
when the code indexes it). Example::

    y = np.sin(x)            y = np.sin(x)
                     ->      dy = dx * np.cos(x)

Batched (``batched=True``): every tangent carries a leading axis of ``K`` directions, ``dx``
of shape ``(K,) + np.shape(x)``, built from the batched rules of ``retrograd.rules``; reads
and writes of parts become ``dx[:, i]``, zeros ``rt.batch.zeros_like(x, _k)``. A primitive
without a batched rule raises ``Unbatchable`` (the API then makes one pass per direction)::

    y = x[i] * w             _t1 = x[i]
                     ->      d_t1 = dx[:, i]
                             y = _t1 * w
                             dy = d_t1 * w
"""
import copy
import dataclasses
import inspect
import itertools
import operator

import gast

from .. import rules, syntax
from ..errors import refuse
from ..rules import Unbatchable  # noqa: F401 - raised here, caught by the API
from . import activity as activity_pass
from . import primitives, resolve
from . import ranks as ranks_pass

ZERO, NONZERO, OWNED = "zero", "nonzero", "owned"   # OWNED: an array no other name refers to
_COMMENT_SERIAL = itertools.count()


@dataclasses.dataclass
class HelperUse:
    """A user function called with arguments that carry tangents."""
    function: object
    wrt: tuple
    name: str
    ranks: tuple = ()


@dataclasses.dataclass
class Tangent:
    name: str
    args: object              # the original gast.arguments
    tangent_params: list      # names of the tangent parameters, one per wrt parameter
    body: list
    output: object
    output_tangent: object    # expression of the output's tangent
    helpers: list
    comments: dict


def run(tree, context, helper_names, batched=False):
    """``helper_names(function, wrt, ranks) -> name`` names helpers' tangent functions;
    ``batched`` writes code for tangents with a leading axis of directions."""
    return _Forward(tree, context, helper_names, batched).generate()


class _Forward:
    def __init__(self, tree, context, helper_names, batched=False):
        self.batched = batched
        self.size_name = None        # batched code: the name of the number of directions
        self.tree = tree
        self.context = context
        self.varied = context.activity.varied
        self.names = context.names
        self.helper_names = helper_names
        self.tangent_names = {}
        self.helpers = []
        self.comments = {}
        self.indexed = primitives.indexed_variables(tree)
        self.written = _written_in_parts(tree)
        self.positions = {}          # id(stmt) -> (block, position, enclosing statement)
        _index_positions(tree.body, None, self.positions)

    def d(self, var):
        if var not in self.tangent_names:
            self.tangent_names[var] = self.names.reserve("d" + var)
        return self.tangent_names[var]

    def is_varied(self, node):
        return isinstance(node, gast.Name) and node.id in self.varied

    def comment(self, line):
        text = self.context.source.line(line).strip()
        marker = f"__retrograd_comment_t{next(_COMMENT_SERIAL)}__"
        where = syntax.short_filename(self.context.source.filename)
        self.comments[marker] = f"{where}:{line}  {text}"
        return gast.Expr(value=syntax.const(marker))

    def generate(self):
        state = {param: NONZERO for param in self.context.wrt}
        chosen = tangent_parameters(self.context.function, self.context.wrt)
        for param in self.context.wrt:
            self.names.taken.add(chosen[param])
            self.tangent_names[param] = chosen[param]
        tangent_params = [chosen[param] for param in self.context.wrt]
        body = self.block(self.tree.body[:-1], state)
        output = self.tree.body[-1].value
        if isinstance(output, gast.Name) and state.get(output.id, ZERO) != ZERO:
            output_tangent = syntax.name(self.d(output.id))
        else:
            output_tangent = self.zero_like(output)
        if self.size_name is not None:
            first = self.context.wrt[0]
            measure = "len" if self.known_array(first) else "rt.batch.size"
            body.insert(0, syntax.assign(self.size_name, syntax.call(
                measure, [syntax.name(chosen[first])])))
        return Tangent(self.context.name, self.tree.args, tangent_params, body, output,
                       output_tangent, self.helpers, self.comments)

    # --- blocks and statements ---------------------------------------------------------

    def block(self, statements, state):
        out = []
        last_line = None
        for stmt in statements:
            code = self.statement(stmt, state)
            tangent_code = code[1:] if code and code[0] is _PRIMAL else None
            line = getattr(stmt, "lineno", None)
            if tangent_code is not None:
                primal = [self.primal(stmt)]
                if tangent_code and line is not None and line != last_line:
                    out.append(self.comment(line))
                    last_line = line
                out.extend(primal + tangent_code)
            else:
                out.extend(code)
                last_line = None
        return out

    def primal(self, stmt):
        if isinstance(stmt, gast.Assign) and getattr(stmt, "_helper", None) is not None:
            return stmt._helper
        return copy.deepcopy(stmt)

    def statement(self, stmt, state):
        """[_PRIMAL, *tangent statements] for simple statements; whole code for compound."""
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                return [_PRIMAL] + self.assign(stmt, target.id, state)
            return self.setitem(stmt, state)
        if isinstance(stmt, gast.Expr):
            return self.expression(stmt, state)
        if isinstance(stmt, gast.If):
            return self.branch(stmt, state)
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt, state)
        if isinstance(stmt, (gast.Break, gast.Raise, gast.Assert, gast.Pass)):
            return [copy.deepcopy(stmt)]
        raise refuse(self.context, stmt, f"cannot differentiate a `{type(stmt).__name__}` "
                     "statement")

    def assign(self, stmt, var, state):
        value = stmt.value
        if var not in self.varied:
            state[var] = ZERO
            return []
        terms, code = self.terms(stmt, var, value, state)
        if not terms:
            state[var] = ZERO
            return code
        total = terms[0]
        for term in terms[1:]:
            total = gast.BinOp(left=total, op=gast.Add(), right=term)
        state[var] = OWNED if isinstance(total, (gast.BinOp, gast.UnaryOp)) else NONZERO
        return code + [syntax.assign(self.d(var), total)]

    def tangent_of(self, node, state):
        """The tangent expression of an atom, or None if it is zero."""
        if isinstance(node, gast.Name) and node.id in self.varied \
                and state.get(node.id, ZERO) != ZERO:
            return syntax.name(self.d(node.id))
        return None

    def zero_like(self, node):
        if self.batched:
            return syntax.call("rt.batch.zeros_like", [copy.deepcopy(node),
                                                       syntax.name(self.batch_size())])
        return syntax.call("rt.zeros_like", [copy.deepcopy(node)])

    # --- batched tangents --------------------------------------------------------------

    def batch_size(self):
        if self.size_name is None:
            self.size_name = self.names.fresh("_k")
        return self.size_name

    def known_array(self, var):
        """Whether ``var`` surely holds a number or an array (not a list, tuple or dict)."""
        return self.context.ranks.get(var) is not None

    def is_container(self, node):
        kinds = self.context.kinds
        return isinstance(node, (gast.List, gast.Tuple, gast.Dict)) or (
            isinstance(node, gast.Name) and kinds is not None
            and kinds.kinds.get(node.id) in ("list", "tuple", "dict"))

    def batched_index(self, base, index):
        """``index`` with a leading ``:`` for the directions, where that reads or writes the
        same part of every direction (else None: a run-time helper decides)."""
        if not (isinstance(base, gast.Name) and self.known_array(base.id)):
            return None
        kinds = self.context.kinds
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        groups = []       # positions of integer and array parts: NumPy moves a split group
        for position, part in enumerate(parts):
            if isinstance(part, gast.Slice) or (isinstance(part, gast.Constant)
                                                and part.value in (None, Ellipsis)):
                continue
            if kinds.basic_index(part):
                groups.append((position, False))
            elif isinstance(part, gast.Name) and self.known_array(part.id) \
                    or isinstance(part, (gast.List, gast.Constant)):
                groups.append((position, True))
            else:
                return None     # perhaps a tuple of indices
        if any(is_array for _, is_array in groups):
            positions = [p for p, _ in groups]
            if positions != list(range(positions[0], positions[0] + len(positions))):
                return None
        return gast.Tuple(elts=[gast.Slice(lower=None, upper=None, step=None)]
                          + [copy.deepcopy(p) for p in parts], ctx=gast.Load())

    def batched_read(self, base, index, tangent):
        if self.is_container(base):
            return gast.Subscript(value=tangent, slice=copy.deepcopy(index), ctx=gast.Load())
        where = self.batched_index(base, index)
        if where is None:
            read = syntax.call("rt.batch.getitem", [tangent, _index_value(index)])
        else:
            read = gast.Subscript(value=tangent, slice=where, ctx=gast.Load())
        # One element is a number, a copy; its batched tangent is a view of the directions,
        # which a later write into the array would change: copy it.
        result_rank = ranks_pass._index(self.context.ranks.get(base.id), index,
                                        self.context.ranks, self.context.kinds.ints)
        if base.id in self.written and (result_rank is None or result_rank == 0):
            read = syntax.call("rt.copy", [read])
        return read

    def batched_write(self, base, index, value, value_tangent):
        """``dx[:, index] = dv`` (or a helper where shapes are known only at run time)."""
        tangent = syntax.name(self.d(base.id))
        if self.is_container(base):
            where = copy.deepcopy(index)
        else:
            where = self.batched_index(base, index)
            slot = ranks_pass._index(self.context.ranks.get(base.id), index,
                                     self.context.ranks, self.context.kinds.ints)
            if where is None or slot is None or slot != primitives.rank(
                    value, self.context.ranks):
                return syntax.assign(self.d(base.id), syntax.call("rt.batch.setitem", [
                    tangent, _index_value(index), value_tangent]))
        return gast.Assign(targets=[gast.Subscript(value=tangent, slice=where,
                                                   ctx=gast.Store())],
                           value=value_tangent, type_comment=None)

    def batch_rule(self, primitive, stmt):
        """The batched rule of a primitive, or ``Unbatchable``."""
        tables = {"function": rules.BATCH_TANGENTS, "method": rules.BATCH_TANGENT_METHODS,
                  "attribute": rules.BATCH_TANGENT_ATTRIBUTES}
        key = id(primitive.key) if primitive.table == "function" else primitive.key
        rule = tables[primitive.table].get(key)
        if rule is None:
            raise Unbatchable(f"{primitive.what} has no batched tangent rule "
                              f"(line {getattr(stmt, 'lineno', '?')})")
        return rule

    def terms(self, stmt, var, value, state):
        """(terms of the tangent of ``var``, statements computing temporaries)."""
        if isinstance(value, gast.Name):
            tangent = self.tangent_of(value, state)
            return ([tangent] if tangent is not None else []), []
        if isinstance(value, (gast.Tuple, gast.List)):
            tangents = [self.tangent_of(e, state) for e in value.elts]
            if all(t is None for t in tangents):
                return [], []
            elts = [t if t is not None else self.zero_like(e)
                    for t, e in zip(tangents, value.elts)]
            return [type(value)(elts=elts, ctx=gast.Load())], []
        if isinstance(value, gast.Dict):
            tangents = [self.tangent_of(v, state) for v in value.values]
            if all(t is None for t in tangents):
                return [], []
            values = [t if t is not None else self.zero_like(v)
                      for t, v in zip(tangents, value.values)]
            return [gast.Dict(keys=copy.deepcopy(value.keys), values=values)], []
        if isinstance(value, gast.Call) and primitives.is_method(value, self.context) \
                and value.func.attr == "pop" and not value.args \
                and isinstance(value.func.value, gast.Name):
            tangent = self.tangent_of(value.func.value, state)      # stacks in generated code
            return ([syntax.call(gast.Attribute(value=tangent, attr="pop", ctx=gast.Load()))]
                    if tangent is not None else []), []
        if not activity_pass.differentiable_sources(value, self.context):
            return [], []
        if isinstance(value, gast.Call) and not primitives.is_method(value, self.context):
            callee = activity_pass.lookup(self.context, value)
            if callee.kind == "nondifferentiable":
                return [], []
            if callee.kind == "function":
                return self.helper_call(stmt, var, value, callee, state)
            if callee.kind == "custom":
                if self.batched:
                    raise Unbatchable(f"`{callee.text}` has a user tangent rule")
                return self.custom_call(stmt, var, value, callee, state)
            if callee.kind == "container":
                tangent = self.tangent_of(value.args[0], state) if value.args else None
                if tangent is None:
                    return [], []
                if self.batched and not self.is_container(value.args[0]):
                    return [syntax.call("rt.batch.container", [
                        syntax.name(callee.text), tangent, copy.deepcopy(value.args[0])])], []
                return [syntax.call(syntax.name(callee.text), [tangent])], []
        primitive = primitives.describe(stmt, value, self.context)
        rule = primitives.rule_of(primitive, "tangent", self.context, stmt)
        if self.batched and primitive.key is operator.getitem:
            tangent = self.tangent_of(primitive.args[0], state)
            return ([self.batched_read(primitive.args[0], primitive.args[1], tangent)]
                    if tangent is not None else []), []
        try:
            bound = rules.bind(rule, primitive.args, primitive.keywords)
        except rules.BindingError as exc:
            raise refuse(self.context, stmt, f"{primitive.what}: {exc}") from None
        if self.batched:
            rule = self.batch_rule(primitive, stmt)
            try:
                bound = rules.bind(rule, primitive.args, primitive.keywords)
            except rules.BindingError as exc:
                raise Unbatchable(f"{primitive.what}: {exc}") from None
        tangents = {}
        for param, node in bound.items():
            if param == rule.vararg:
                parts = [self.tangent_of(e, state) for e in node.elts]
                if any(p is not None for p in parts):
                    tangents[param] = gast.Tuple(
                        elts=[p if p is not None else syntax.const(None) for p in parts],
                        ctx=gast.Load())
            else:
                tangent = self.tangent_of(node, state)
                if tangent is not None:
                    tangents[param] = tangent
        ranks = {p: primitives.rank(n, self.context.ranks) for p, n in bound.items()}
        ranks = {p: r for p, r in ranks.items() if r is not None}
        if self.context.ranks.get(var) is not None:
            ranks[rule.output] = self.context.ranks[var]
        if not self.batched:
            temps, terms = rules.instantiate_tangent(rule, bound, syntax.name(var), tangents,
                                                     self.names.fresh, ranks)
            return [self.without_needless_broadcast(t, var, bound, tangents) for t in terms], \
                temps
        converted = []
        if rule.batch == "template":     # lists of tangents passed as arrays become arrays
            for param, tangent in list(tangents.items()):
                node = bound[param]
                if param not in rule.sequences and param != rule.vararg and not (
                        isinstance(node, gast.Name) and self.known_array(node.id)):
                    stacked = self.names.fresh("_b")
                    converted.append(syntax.assign(stacked, syntax.call(
                        "rt.batch.array", [tangent])))
                    tangents[param] = syntax.name(stacked)
        batch = rules.Batch(zeros=self.zero_like, size=self.batch_size)
        temps, terms = rules.instantiate_tangent(rule, bound, syntax.name(var), tangents,
                                                 self.names.fresh, ranks, batch)
        return terms, converted + temps

    def without_needless_broadcast(self, term, var, bound, tangents):
        """``rt.broadcast_like(dx, z)`` is ``dx`` when some operand with a tangent provably
        has the shape of ``z`` (shape symbols of the ranks pass): its term has that shape, and
        the terms are summed into one expression, which broadcasts the others."""
        shapes = self.context.shapes
        target = shapes.get(var)
        if target is None or not any(
                isinstance(bound.get(param), gast.Name) and shapes.get(bound[param].id) == target
                for param in tangents):
            return term

        class _Drop(gast.NodeTransformer):
            def visit_Call(self, node):
                self.generic_visit(node)
                if syntax.dotted(node.func) == "rt.broadcast_like" and len(node.args) == 2 \
                        and isinstance(node.args[1], gast.Name) and node.args[1].id == var:
                    return node.args[0]
                return node
        return _Drop().visit(term)

    def helper_call(self, stmt, var, value, callee, state):
        function = callee.obj
        try:
            bound = inspect.signature(function).bind(
                *value.args, **{k.arg: k.value for k in value.keywords})
        except TypeError as exc:
            raise refuse(self.context, stmt, f"cannot call {callee.text}: {exc}") from None
        wrt = tuple(p for p, node in bound.arguments.items()
                    if self.tangent_of(node, state) is not None)
        if not wrt:
            return [], []
        ranks = tuple(sorted((p, primitives.rank(n, self.context.ranks)) for p, n in
                             bound.arguments.items() if primitives.rank(n, self.context.ranks) is not None))
        name = self.helper_names(function, wrt, ranks)
        if not any(u.name == name for u in self.helpers):
            self.helpers.append(HelperUse(function, wrt, name, ranks))
        tangent_var = self.names.fresh("_d")
        call = copy.deepcopy(value)
        call.func = syntax.name(name)
        call.keywords = list(call.keywords) + [
            gast.keyword(arg=self.helper_tangent_param(function, p),
                         value=self.tangent_of(bound.arguments[p], state)) for p in wrt]
        target = gast.Tuple(elts=[syntax.name(var, gast.Store()),
                                  syntax.name(tangent_var, gast.Store())], ctx=gast.Store())
        stmt._helper = syntax.set_line([gast.Assign(targets=[target], value=call,
                                                    type_comment=None)],
                                       getattr(stmt, "lineno", None))[0]
        return [syntax.name(tangent_var)], []

    def helper_tangent_param(self, function, param):
        return tangent_parameters(function, (param,))[param]

    def custom_call(self, stmt, var, value, callee, state):
        rule = resolve.CUSTOM[id(callee.obj)][2]
        if rule is None:
            raise refuse(self.context, stmt, f"`{callee.text}` has a custom adjoint but no "
                         "custom tangent rule", "register one with rg.register_tangent")
        rule_name = self.names.reserve(f"{callee.obj.__name__}_tangent")
        self.context.generated_names[rule_name] = rule
        tangents = [self.tangent_of(a, state) or syntax.const(0.0) for a in value.args]
        call = syntax.call(syntax.name(rule_name),
                           [gast.Tuple(elts=tangents, ctx=gast.Load()), syntax.name(var)]
                           + [copy.deepcopy(a) for a in value.args])
        return [call], []

    def setitem(self, stmt, state):
        target = stmt.targets[0]
        base = target.value.id
        code = [copy.deepcopy(stmt)]
        value_tangent = self.tangent_of(stmt.value, state)
        if base not in self.varied:
            return code
        if state.get(base, ZERO) == ZERO:
            if value_tangent is None:
                return code
            code.insert(0, syntax.assign(self.d(base), self.zero_like(syntax.name(base))))
            state[base] = OWNED
        elif state[base] != OWNED:     # written in place below: it must not be shared
            code.insert(0, syntax.assign(self.d(base), syntax.call(
                "rt.copy", [syntax.name(self.d(base))])))
            state[base] = OWNED
        new_value = value_tangent if value_tangent is not None else \
            self.zero_like(stmt.value)
        if self.batched:
            code.append(self.batched_write(target.value, target.slice, stmt.value, new_value))
            return code
        code.append(gast.Assign(targets=[gast.Subscript(value=syntax.name(self.d(base)),
                                                        slice=copy.deepcopy(target.slice),
                                                        ctx=gast.Store())],
                                value=new_value, type_comment=None))
        return code

    def expression(self, stmt, state):
        call = stmt.value
        code = [copy.deepcopy(stmt)]
        if isinstance(call, gast.Call) and syntax.dotted(call.func) == "rt.add_at" \
                and isinstance(call.args[0], gast.Name):
            return code + self.add_at(call, state)
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) \
                and isinstance(call.func.value, gast.Name) and call.func.attr == "append" \
                and call.func.value.id in self.context.locals:
            base = call.func.value.id
            if base not in self.varied:
                return code
            tangent = self.tangent_of(call.args[0], state)
            if state.get(base, ZERO) == ZERO:
                if tangent is None:
                    return code
                code.insert(0, syntax.assign(self.d(base), self.zero_like(syntax.name(base))))
                state[base] = NONZERO
            item = tangent if tangent is not None else self.zero_like(call.args[0])
            code.append(gast.Expr(value=syntax.call(gast.Attribute(
                value=syntax.name(self.d(base)), attr="append", ctx=gast.Load()), [item])))
        return code

    def add_at(self, call, state):
        """``rt.add_at(d, index, g)`` in generated adjoint code: the same on the tangents."""
        base = call.args[0].id
        tangent = self.tangent_of(call.args[2], state)
        if tangent is None or base not in self.varied:
            return []
        code = []
        if state.get(base, ZERO) == ZERO:
            code.append(syntax.assign(self.d(base), self.zero_like(syntax.name(base))))
        elif state[base] != OWNED:
            code.append(syntax.assign(self.d(base), syntax.call(
                "rt.copy", [syntax.name(self.d(base))])))
        state[base] = OWNED
        if self.batched:
            code.append(syntax.assign(self.d(base), syntax.call("rt.batch.add_at", [
                syntax.name(self.d(base)), _index_value(call.args[1]), tangent])))
            return code
        code.append(gast.Expr(value=syntax.call("rt.add_at", [
            syntax.name(self.d(base)), copy.deepcopy(call.args[1]), tangent])))
        return code

    # --- control flow ------------------------------------------------------------------

    def branch(self, stmt, state):
        body_state, else_state = dict(state), dict(state)
        body = self.block(stmt.body, body_state)
        orelse = self.block(stmt.orelse, else_state)
        live = self.read_outside(stmt)     # only tangents read after the branch need a value
        before = self.defined_before(stmt)
        for var in sorted(set(body_state) | set(else_state)):
            a, b = body_state.get(var, ZERO), else_state.get(var, ZERO)
            if a != b and ZERO in (a, b) and var in live:
                branch, source = (body, stmt.body) if a == ZERO else (orelse, stmt.orelse)
                defined = var in before or var in _surely_assigned(source)
                branch.append(self.materialize(var, defined=defined))
            if a == b:
                state[var] = a
            elif ZERO not in (a, b) or var in live:
                state[var] = NONZERO
            else:
                state[var] = ZERO
        return [gast.If(test=copy.deepcopy(stmt.test), body=body or [gast.Pass()],
                        orelse=orelse)]

    def read_outside(self, stmt):
        """Names that may be read after ``stmt`` finishes: in the statements that follow it,
        in its block and the blocks around it, and anywhere in a loop around it."""
        found = set()
        node = stmt
        while True:
            block, position, parent = self.positions[id(node)]
            for later in block[position + 1:]:
                found |= _loads(later)
            if parent is None:
                return found
            if isinstance(parent, (gast.For, gast.While)):   # the next iteration reads these
                found |= _upward_exposed(parent.body) | _loads(
                    parent.iter if isinstance(parent, gast.For) else parent.test)
            node = parent

    def defined_before(self, stmt):
        """Names certainly assigned when ``stmt`` starts (parameters, earlier assignments in
        the blocks around it, enclosing loop variables)."""
        found = set(self.context.params)
        node = stmt
        while True:
            block, position, parent = self.positions[id(node)]
            for earlier in block[:position]:
                found |= _surely_assigned([earlier])
            if parent is None:
                return found
            if isinstance(parent, gast.For) and isinstance(parent.target, gast.Name):
                found.add(parent.target.id)
            node = parent

    def materialize(self, var, defined=True):
        """A zero tangent for ``var``: zeros shaped like its value where that value exists
        (so matrix products, reshapes and indexing work on it), else the scalar 0.0."""
        shaped = defined and (var in self.indexed or self.context.ranks.get(var) != 0
                              or self.batched)
        value = self.zero_like(syntax.name(var)) if shaped else syntax.const(0.0)
        return syntax.assign(self.d(var), value)

    def loop(self, stmt, state):
        entry = dict(state)
        top = dict(entry)
        for _ in range(5):
            trial = dict(top)
            saved = copy.deepcopy(self.names.__dict__), dict(self.tangent_names), \
                dict(self.comments), list(self.helpers), self.size_name
            self.block(stmt.body, trial)
            self.names.__dict__ = saved[0]
            self.tangent_names, self.comments, self.helpers = saved[1], saved[2], saved[3]
            self.size_name = saved[4]
            new_top = {var: _join(top.get(var, ZERO), trial.get(var, ZERO))
                       for var in set(top) | set(trial)}
            if new_top == top:
                break
            top = new_top
        # Only tangents read before they are written in an iteration (loop-carried), or read
        # after the loop, need a value on entry and at the end of each iteration.
        carried = _upward_exposed(stmt.body) | self.read_outside(stmt)
        exposed = _upward_exposed(stmt.body)      # these have a value before the loop
        before = [self.materialize(v, defined=v in exposed) for v in sorted(top)
                  if top[v] != ZERO and entry.get(v, ZERO) == ZERO and v in carried]
        body_state = dict(top)
        body = self.block(stmt.body, body_state)
        body += [self.materialize(v) for v in sorted(top)
                 if top[v] != ZERO and body_state.get(v, ZERO) == ZERO and v in carried]
        for var in top:
            if var not in carried and entry.get(var, ZERO) == ZERO:
                top[var] = ZERO if body_state.get(var, ZERO) == ZERO else top[var]
        state.clear()
        state.update(top)
        new = copy.copy(stmt)
        new.body = body or [gast.Pass()]
        return before + [new]


_PRIMAL = object()   # marks "emit the primal statement here"


def _written_in_parts(tree):
    """Variables whose elements are assigned (``x[i] = v``, ``rt.add_at(x, i, v)``)."""
    found = set()
    for node in syntax.walk(tree):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Subscript) \
                and isinstance(node.targets[0].value, gast.Name):
            found.add(node.targets[0].value.id)
        if isinstance(node, gast.Call) and syntax.dotted(node.func) == "rt.add_at" \
                and node.args and isinstance(node.args[0], gast.Name):
            found.add(node.args[0].id)
    return found


def _index_value(index):
    """An index as a value to pass to a function: ``1:`` becomes ``slice(1, None)``."""
    if isinstance(index, gast.Slice):
        return syntax.call("slice", [copy.deepcopy(part) if part is not None else
                                     syntax.const(None)
                                     for part in (index.lower, index.upper, index.step)])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_value(e) for e in index.elts], ctx=gast.Load())
    return copy.deepcopy(index)


def tangent_parameters(function, wrt):
    """``{param: name of its tangent parameter}``: ``dx`` for ``x`` unless the function
    already uses that name. Callers and the function's own tangent code agree on it."""
    code = inspect.unwrap(function).__code__
    taken = set(code.co_varnames) | set(code.co_names) | set(code.co_freevars) \
        | set(code.co_cellvars)
    chosen = {}
    for param in wrt:
        name = "d" + param
        while name in taken:
            name += "_"
        taken.add(name)
        chosen[param] = name
    return chosen




def _join(a, b):
    return a if a == b else NONZERO


def _loads(tree):
    return {n.id for n in syntax.walk(tree) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _surely_assigned(statements):
    """Names every path through ``statements`` assigns (branches: both sides)."""
    found = set()
    for stmt in statements:
        if isinstance(stmt, gast.Assign):
            found |= {n.id for t in stmt.targets for n in syntax.walk(t)
                      if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        elif isinstance(stmt, gast.If):
            found |= _surely_assigned(stmt.body) & _surely_assigned(stmt.orelse)
    return found


def _index_positions(statements, parent, positions):
    for position, stmt in enumerate(statements):
        positions[id(stmt)] = (statements, position, parent)
        for field in ("body", "orelse"):
            _index_positions(getattr(stmt, field, []) or [], stmt, positions)


def _upward_exposed(statements):
    """Names that may be read in ``statements`` before being assigned there."""
    exposed, assigned = set(), set()
    for stmt in statements:
        if isinstance(stmt, gast.If):
            reads = {n.id for n in syntax.walk(stmt.test) if isinstance(n, gast.Name)}
            exposed |= reads - assigned
            inner = _upward_exposed(stmt.body) | _upward_exposed(stmt.orelse)
            exposed |= inner - assigned
            both = _assigned(stmt.body) & _assigned(stmt.orelse)
            assigned |= both
            continue
        if isinstance(stmt, (gast.For, gast.While)):
            header = _loads(stmt.iter if isinstance(stmt, gast.For) else stmt.test)
            inner = _upward_exposed(stmt.body)
            if isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name):
                inner.discard(stmt.target.id)
            exposed |= (header | inner) - assigned
            continue
        reads = {n.id for n in syntax.walk(stmt) if isinstance(n, gast.Name)
                 and isinstance(n.ctx, gast.Load)}
        if isinstance(stmt, gast.Assign) and not isinstance(stmt.targets[0], gast.Name):
            reads |= {n.id for n in syntax.walk(stmt.targets[0]) if isinstance(n, gast.Name)}
        exposed |= reads - assigned
        assigned |= {n.id for n in syntax.walk(stmt) if isinstance(n, gast.Name)
                     and isinstance(n.ctx, gast.Store)}
    return exposed


def _assigned(statements):
    return {n.id for s in statements for n in syntax.walk(s) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Store)}


