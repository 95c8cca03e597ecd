"""reverse: write the primal sweep (with saves) and the adjoint sweep of a normalized body.

Assumes: normalized statements (``normalize``), activity (``activity``). Guarantees a
``Derivative``: the primal statements, then the adjoint statements that run backwards over
them, built from the derivative rules in ``retrograd.rules``. Adjoints follow three habits of
a careful hand-written adjoint:

* the adjoint of ``x`` is ``dx``; its first contribution is an assignment, later ones add,
  and an adjoint known to be zero is not materialised until control flow needs a value;
* a loop is reversed by a loop (``for i in reversed(range(n))``, or over a saved trip count
  when the loop can ``break`` or is a ``while``), a branch by an ``if`` on the saved decision;
* only values the adjoint reads and that are overwritten are saved (see ``saves``).

The pass runs twice: once without saves to learn what the adjoint reads, then for real.
"""
import copy
import dataclasses
import inspect
import itertools

import gast

from .. import rules, syntax
from ..errors import refuse
from . import activity as activity_pass
from . import primitives, resolve, saves
from . import ranks as ranks_pass

ZERO, OWNED, SHARED = "zero", "owned", "shared"
_COMMENT_SERIAL = itertools.count()


@dataclasses.dataclass
class HelperUse:
    """A user function called with active arguments: it gets derivative functions too."""
    function: object
    wrt: tuple             # names of its active parameters
    forward: str           # name of its primal-with-saves function
    backward: str          # name of its adjoint function
    ranks: tuple = ()      # (parameter, number of dimensions) known at the call site


@dataclasses.dataclass
class Derivative:
    name: str
    args: object                 # the original gast.arguments
    preamble: list               # stack creation, pre-initialisation
    primal: list
    seed: list                   # statements creating the output's adjoint (joint form)
    adjoint: list
    output: object               # the returned atom
    output_adjoint: str          # name of the output's adjoint variable
    gradients: list              # one expression per wrt parameter
    helpers: list                # HelperUse
    comments: dict               # marker -> comment text


def run(tree, context, helper_names):
    """``helper_names(function, wrt, ranks) -> (forward, backward)`` names helper
    derivatives (and asks for them to be compiled)."""
    dry_names = copy.deepcopy(context.names)
    dry = _Reverse(tree, context, saves.SavePlan(), dry_names, helper_names, dry=True)
    dry.generate()
    # A value the adjoint reads only for its shape (to undo broadcasting) is replaced by its
    # shape, so a loop saves a small tuple instead of keeping the whole array alive.
    in_loops = {stmt.targets[0].id for loop in _loops(tree.body)
                for stmt in _assignments(loop.body)}
    shape_names = {var: context.names.reserve("_shape" + ("" if var.startswith("_") else "_")
                                              + var)
                   for var in sorted(dry.shape_reads - dry.value_reads) if var in in_loops}
    reads = {stmt: {shape_names.get(v, v) for v in found} for stmt, found in dry.reads.items()}
    extra = {key: list(value) for key, value in dry.residual_assignments.items()}
    for stmt in _assignments(tree.body):
        if id(stmt) in extra and isinstance(stmt.value, gast.Call):
            # a helper's residual keeps its array arguments by reference: a later in-place
            # change of one must be undone before the helper's backward runs, as for a view
            reads.setdefault(id(stmt), set()).update(
                a.id for a in stmt.value.args
                if isinstance(a, gast.Name) and context.ranks.get(a.id) != 0)
    for stmt in _assignments(tree.body):
        var = stmt.targets[0].id
        if var in shape_names:
            extra.setdefault(id(stmt), []).append(shape_names[var])
    entry_shapes = {shape_names[p] for p in context.params if p in shape_names}
    save_plan = saves.plan(tree.body, set(context.params) | entry_shapes, reads, extra,
                           context.names, context.activity.active)
    final = _Reverse(tree, context, save_plan, context.names, helper_names, dry=False)
    final.loops_with_adjoint = dry.loops_with_adjoint
    final.shape_names = shape_names
    final.primal_names |= set(shape_names.values())
    return final.generate()


def _loops(statements):
    for stmt in statements:
        if isinstance(stmt, (gast.For, gast.While)):
            yield stmt
        for field in ("body", "orelse"):
            yield from _loops(getattr(stmt, field, []) or [])


def _assignments(statements):
    for stmt in statements:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            yield stmt
        for field in ("body", "orelse"):
            yield from _assignments(getattr(stmt, field, []) or [])


class _Reverse:
    def __init__(self, tree, context, plan, names, helper_names, dry):
        self.tree = tree
        self.context = context
        self.activity = context.activity
        self.plan = plan
        self.names = names
        self.helper_names = helper_names
        self.dry = dry
        self.adjoint_names = {}
        self.reads = {}                 # id(stmt) -> primal names its adjoint reads
        self.residual_assignments = {}  # id(stmt) -> [residual name]
        self.residual_names = {}
        self.counters = {}              # id(loop) -> counter name
        self.helpers = []
        self.comments = {}
        self.kinds = context.kinds
        self.indexed = primitives.indexed_variables(tree)
        self.primal_names = set(context.locals)
        self.loop_depth = 0
        self.loop_depths = _loop_depths(tree.body, 0, {})
        self.loops_with_adjoint = set()
        self.counter_stacks = {}
        self.shape_names = {}           # var -> name of its saved shape (final run)
        self.shape_reads, self.value_reads = set(), set()   # what the adjoint reads, and how

    # --- naming ----------------------------------------------------------------------------

    def adj(self, var):
        if var not in self.adjoint_names:
            self.adjoint_names[var] = self.names.reserve("d" + var)
        return self.adjoint_names[var]

    def comment(self, line):
        text = self.context.source.line(line).strip()
        marker = f"__retrograd_comment_{next(_COMMENT_SERIAL)}__"
        self.comments[marker] = f"{syntax.short_filename(self.context.source.filename)}:{line}  {text}"
        return gast.Expr(value=syntax.const(marker))

    # --- driver ----------------------------------------------------------------------------

    def generate(self):
        body = self.tree.body
        output = self.activity.output
        primal = self.primal_block(body[:-1])
        out_adj = None
        seed = []
        state = {}
        if isinstance(output, gast.Name) and output.id in self.activity.active:
            out_adj = self.adj(output.id)
            if self.context.ranks.get(output.id) == 0:
                seed = [syntax.assign(out_adj, syntax.const(1.0))]
            else:
                seed = [syntax.assign(out_adj, syntax.call("rt.seed", [syntax.name(output.id)]))]
            state[output.id] = SHARED
        elif isinstance(output, gast.Name):
            out_adj = self.adj(output.id)
        adjoint = self.adjoint_block(body[:-1], state)
        gradients = []
        for param in self.context.wrt:
            if state.get(param, ZERO) == ZERO:
                gradients.append(syntax.call("rt.zeros_like", [syntax.name(param)]))
            else:
                gradients.append(syntax.name(self.adj(param)))
        preamble = [syntax.assign(self.plan.stacks[v], gast.List(elts=[], ctx=gast.Load()))
                    for v in sorted(self.plan.stacks, key=self.plan.stacks.get)]
        preamble += [syntax.assign(v, syntax.const(None)) for v in self.plan.preinit]
        preamble += [syntax.assign(s, gast.List(elts=[], ctx=gast.Load()))
                     for s in self._counter_stacks()]
        preamble += [syntax.assign(self.shape_names[p], syntax.call("np.shape", [syntax.name(p)]))
                     for p in self.context.params if p in self.shape_names]
        return Derivative(self.context.name, self.tree.args, preamble, primal, seed, adjoint,
                          output, out_adj, gradients, self.helpers, self.comments)

    def _counter_stacks(self):
        return sorted(set(self.counter_stacks.values()))

    # --- primal sweep ----------------------------------------------------------------------

    def primal_block(self, statements):
        out = []
        for stmt in statements:
            out.extend(self.primal_statement(stmt))
        return out

    def primal_statement(self, stmt):
        before, after = [], []
        for var in self.plan.push_before.get(id(stmt), []):
            before.append(self.push(var, syntax.name(var)))
        for var in self.plan.push_after.get(id(stmt), []):
            after.append(self.push(var, syntax.name(var)))
        if id(stmt) in self.plan.save_part:
            target = stmt.targets[0]
            part = gast.Subscript(value=syntax.name(target.value.id),
                                  slice=syntax.clone(target.slice), ctx=gast.Load())
            before.append(self.push(target.value.id, syntax.call("rt.copy", [part])))
        line = getattr(stmt, "lineno", None)
        if isinstance(stmt, gast.If):
            new = gast.If(test=stmt.test, body=self.primal_block(stmt.body) or [gast.Pass()],
                          orelse=self.primal_block(stmt.orelse))
            core = [new]
        elif isinstance(stmt, gast.For):
            core = self.primal_for(stmt)
        elif isinstance(stmt, gast.While):
            core = self.primal_while(stmt)
        elif isinstance(stmt, gast.Assign) and self._helper_call(stmt) is not None:
            core = [self.primal_helper_call(stmt)]
        else:
            core = [syntax.clone(stmt)]
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id in self.shape_names:
            var = stmt.targets[0].id
            core.append(syntax.assign(self.shape_names[var],
                                      syntax.call("np.shape", [syntax.name(var)])))
        return syntax.set_line(before + core + after, line)

    def push(self, var, value):
        stack = self.plan.stack(var)
        return gast.Expr(value=syntax.call(gast.Attribute(value=syntax.name(stack), attr="append",
                                                          ctx=gast.Load()), [value]))

    def pop(self, var, target=None):
        stack = self.plan.stack(var)
        value = syntax.call(gast.Attribute(value=syntax.name(stack), attr="pop",
                                           ctx=gast.Load()))
        return syntax.assign(target if target is not None else var, value)

    def _counter(self, loop):
        if id(loop) not in self.counters:
            self.counters[id(loop)] = self.names.fresh("_n")
        return self.counters[id(loop)]

    def _needs_counter(self, loop):
        if isinstance(loop, gast.While):
            return True
        return any(isinstance(n, gast.Break) for n in _same_loop_nodes(loop))

    def _counter_stack(self, loop):
        if id(loop) not in self.counter_stacks:
            self.counter_stacks[id(loop)] = self.names.reserve(
                "_stack_" + self._counter(loop).lstrip("_"))
        return self.counter_stacks[id(loop)]

    def _loop_has_adjoint(self, loop):
        return self.dry or id(loop) in self.loops_with_adjoint or self._saves_inside(loop)

    def _saves_inside(self, loop):
        """Whether the save plan restores anything inside ``loop`` (then its adjoint loop
        runs, if only to restore, and needs the trip count)."""
        plan = self.plan
        for node in syntax.walk(loop):
            if isinstance(node, gast.stmt) and node is not loop and (
                    id(node) in plan.push_before or id(node) in plan.push_after
                    or id(node) in plan.save_part or id(node) in plan.undo_append):
                return True
        return False

    def primal_for(self, loop):
        self.loop_depth += 1
        body = self.primal_block(loop.body)
        self.loop_depth -= 1
        new = gast.For(target=syntax.clone(loop.target), iter=syntax.clone(loop.iter),
                       body=body or [gast.Pass()], orelse=[], type_comment=None)
        if not (self._needs_counter(loop) and self._loop_has_adjoint(loop)):
            return [new]
        return self._counted(loop, new)

    def primal_while(self, loop):
        self.loop_depth += 1
        body = self.primal_block(loop.body)
        self.loop_depth -= 1
        new = gast.While(test=loop.test, body=body or [gast.Pass()], orelse=[])
        if not self._loop_has_adjoint(loop):
            return [new]
        return self._counted(loop, new)

    def _counted(self, loop, new):
        counter = self._counter(loop)
        new.body.insert(0, gast.AugAssign(target=syntax.name(counter, gast.Store()),
                                          op=gast.Add(), value=syntax.const(1)))
        out = [syntax.assign(counter, syntax.const(0)), new]
        if self.loop_depth > 0:
            stack = self._counter_stack(loop)
            out.append(gast.Expr(value=syntax.call(
                gast.Attribute(value=syntax.name(stack), attr="append", ctx=gast.Load()),
                [syntax.name(counter)])))
        return out

    # --- helper (user function) calls --------------------------------------------------------

    def _helper_call(self, stmt):
        value = stmt.value
        if not (isinstance(value, gast.Call) and isinstance(stmt.targets[0], gast.Name)):
            return None
        if stmt.targets[0].id not in self.activity.active:
            return None
        if _is_method(value, self.context):
            return None
        callee = activity_pass.lookup(self.context, value)
        if callee.kind != "function":
            return None
        function = callee.obj
        signature = inspect.signature(function)
        try:
            bound = signature.bind(*value.args, **{k.arg: k.value for k in value.keywords})
        except TypeError as exc:
            raise refuse(self.context, stmt, f"cannot call {callee.text}: {exc}") from None
        wrt = tuple(p for p, node in bound.arguments.items() if self.activity.is_active(node))
        if not wrt:
            return None
        return function, wrt, bound

    def _argument_ranks(self, bound):
        return tuple(sorted((param, primitives.rank(node, self.context.ranks))
                            for param, node in bound.arguments.items()
                            if primitives.rank(node, self.context.ranks) is not None))

    def residual(self, stmt):
        if id(stmt) not in self.residual_names:
            name = self.names.fresh("_saved")
            self.residual_names[id(stmt)] = name
            self.residual_assignments[id(stmt)] = [name]
            self.primal_names.add(name)
        return self.residual_names[id(stmt)]

    def _helper_use(self, function, wrt, ranks=()):
        for use in self.helpers:
            if use.function is function and use.wrt == wrt and use.ranks == ranks:
                return use
        forward, backward = self.helper_names(function, wrt, ranks)
        use = HelperUse(function, wrt, forward, backward, ranks)
        self.helpers.append(use)
        return use

    def primal_helper_call(self, stmt):
        function, wrt, bound = self._helper_call(stmt)
        use = self._helper_use(function, wrt, self._argument_ranks(bound))
        call = syntax.clone(stmt.value)
        call.func = syntax.name(use.forward)
        target = gast.Tuple(elts=[syntax.name(stmt.targets[0].id, gast.Store()),
                                  syntax.name(self.residual(stmt), gast.Store())],
                            ctx=gast.Store())
        return gast.Assign(targets=[target], value=call, type_comment=None)

    # --- adjoint sweep ---------------------------------------------------------------------

    def adjoint_block(self, statements, state, block=None):
        out = []
        for var in self.plan.pop_at_block.get(id(statements), []):
            out.append(self.pop(var))
        recomputed = self.plan.recompute.get(id(statements), [])
        for stmt in statements:
            if any(stmt is r for r in recomputed):
                out.append(syntax.clone(stmt))
        last_line = None
        for stmt in reversed(statements):
            code = self.adjoint_statement(stmt, state)
            if not code:
                continue
            line = getattr(stmt, "lineno", None)
            if line is not None and line != last_line and not isinstance(
                    stmt, (gast.If, gast.For, gast.While)):
                out.append(self.comment(line))
            last_line = line if not isinstance(stmt, (gast.If, gast.For, gast.While)) else None
            out.extend(code)
        return out

    def adjoint_statement(self, stmt, state):
        code = []
        reads_before = self._reads_marker()
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                code = self.adjoint_assign(stmt, target.id, state)
            else:
                code = self.adjoint_setitem(stmt, state)
        elif isinstance(stmt, gast.Expr):
            code = self.adjoint_expression(stmt, state)
        elif isinstance(stmt, gast.If):
            code = self.adjoint_if(stmt, state)
        elif isinstance(stmt, (gast.For, gast.While)):
            code = self.adjoint_loop(stmt, state)
        elif isinstance(stmt, (gast.Break, gast.Raise, gast.Assert, gast.Pass)):
            code = []
        else:
            raise refuse(self.context, stmt, f"cannot differentiate a "
                         f"`{type(stmt).__name__}` statement")
        for var in self.plan.push_before.get(id(stmt), []):
            code.append(self.pop(var))
        self._record_reads(stmt, code, reads_before)
        return code

    def _reads_marker(self):
        return None

    def _record_reads(self, stmt, code, _marker):
        if self.shape_names:
            _read_shapes(code, self.shape_names)
        if not self.dry:
            return        # only the dry run's reads are used (to plan the saves)
        if not isinstance(stmt, (gast.If, gast.For, gast.While)):
            found = self._primal_reads_of(code)
        else:
            found = self._control_reads(stmt, code)
        if found:
            self.reads.setdefault(id(stmt), set()).update(found)

    def _primal_reads_of(self, code):
        found = set()
        adjoint_names = set(self.adjoint_names.values())
        shape_positions = {id(n) for node in code for n in _shape_arguments(node)}
        for node in code:
            for sub in syntax.walk(node):
                if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) \
                        and sub.id in self.primal_names and sub.id not in adjoint_names:
                    found.add(sub.id)
                    (self.shape_reads if id(sub) in shape_positions else
                     self.value_reads).add(sub.id)
        return found

    def _control_reads(self, stmt, code):
        if not code:
            return set()
        if isinstance(stmt, gast.If):
            return {stmt.test.id} if isinstance(stmt.test, gast.Name) else set()
        if isinstance(stmt, gast.For):
            return {n.id for n in syntax.walk(stmt.iter) if isinstance(n, gast.Name)
                    and n.id in self.primal_names}
        return set()

    # assignments -----------------------------------------------------------------------

    def adjoint_assign(self, stmt, var, state):
        if var not in self.activity.active:
            return []
        code = []
        if state.get(var, ZERO) != ZERO:
            code = self.rule_adjoint(stmt, var, state)
        state[var] = ZERO
        return code

    def rule_adjoint(self, stmt, var, state):
        value = stmt.value
        dz = self.adj(var)
        active = self.activity.active
        if not activity_pass.differentiable_sources(value, self.context) \
                and not isinstance(value, gast.Call):
            return []     # constants, comparisons: nothing flows back
        if isinstance(value, gast.Name):
            out = []
            if value.id in active:
                self.contribute(value.id, syntax.name(dz), state, out)
            return out
        if isinstance(value, (gast.Tuple, gast.List)):
            out = []
            for position, elt in enumerate(value.elts):
                if isinstance(elt, gast.Name) and elt.id in active:
                    item = gast.Subscript(value=syntax.name(dz), slice=syntax.const(position),
                                          ctx=gast.Load())
                    self.contribute(elt.id, item, state, out)
            return out
        if isinstance(value, gast.Dict):
            out = []
            for key, elt in zip(value.keys, value.values):
                if isinstance(elt, gast.Name) and elt.id in active:
                    item = gast.Subscript(value=syntax.name(dz), slice=syntax.clone(key),
                                          ctx=gast.Load())
                    self.contribute(elt.id, item, state, out)
            return out
        if isinstance(value, gast.Call):
            helper = self._helper_call(stmt)
            if helper is not None:
                return self.helper_adjoint(stmt, var, helper, state)
            callee = None if _is_method(value, self.context) else \
                activity_pass.lookup(self.context, value)
            if callee is not None and callee.kind == "nondifferentiable":
                return []
            if callee is not None and callee.kind in ("function", "unknown") and not any(
                    self.activity.is_active(a) for a in list(value.args)
                    + [k.value for k in value.keywords]):
                return []        # a call on constants: its result carries no gradient
            if callee is not None and callee.kind == "custom":
                return self.custom_adjoint(stmt, var, callee, state)
            if callee is not None and callee.kind == "container":
                out = []
                if value.args and isinstance(value.args[0], gast.Name) \
                        and value.args[0].id in active:
                    self.contribute(value.args[0].id, syntax.name(dz), state, out)
                return out
        rule, args, keywords, what = self.rule_for(stmt, value)
        try:
            bound = rules.bind(rule, args, keywords)
        except rules.BindingError as exc:
            raise refuse(self.context, stmt, f"{what}: {exc}",
                         "call it with the arguments NumPy documents, or register a rule "
                         "with rg.register_adjoint") from None
        wanted = set()
        for param, node in bound.items():
            if param == rule.vararg:
                if any(self.activity.is_active(e) for e in node.elts):
                    wanted.add(param)
            elif self.activity.is_active(node):
                wanted.add(param)
        known = {param: primitives.rank(node, self.context.ranks) for param, node in bound.items()}
        known = {param: rank for param, rank in known.items() if rank is not None}
        if self.context.ranks.get(var) is not None:
            known[rule.output] = self.context.ranks[var]
        temps, contributions = rules.instantiate(rule, bound, syntax.name(var),
                                                 syntax.name(dz), wanted, self.names.fresh,
                                                 known)
        for contribution in contributions:
            contribution.value = self.without_needless_unbroadcast(
                contribution, bound, rule, var)
            contribution.value = self.shape_from_parameter(contribution.value)
        temps = [self.shape_from_parameter(t) for t in temps]
        out = list(temps)
        for contribution in contributions:
            node = bound[contribution.param]
            if contribution.param == rule.vararg:
                holder = self.names.fresh("_g")
                out.append(syntax.assign(holder, contribution.value))
                for position, elt in enumerate(node.elts):
                    if self.activity.is_active(elt):
                        item = gast.Subscript(value=syntax.name(holder),
                                              slice=syntax.const(position), ctx=gast.Load())
                        self.contribute(elt.id, item, state, out)
                continue
            if isinstance(node, (gast.Tuple, gast.List)):
                holder = self.names.fresh("_g")
                out.append(syntax.assign(holder, contribution.value))
                for position, elt in enumerate(node.elts):
                    if self.activity.is_active(elt):
                        item = gast.Subscript(value=syntax.name(holder),
                                              slice=syntax.const(position), ctx=gast.Load())
                        self.contribute(elt.id, item, state, out)
                continue
            self.contribute(node.id, contribution.value, state, out, contribution.index)
        return out

    def without_needless_unbroadcast(self, contribution, bound, rule, var):
        """``rt.unbroadcast(g, x)`` is ``g`` when no operand can have been broadcast against
        ``x``: every other operand is a scalar, or ``x`` and the result both are."""
        value = contribution.value
        if not (isinstance(value, gast.Call) and syntax.dotted(value.func) == "rt.unbroadcast"):
            return value
        ranks = self.context.ranks
        others = [node for param, node in bound.items()   # everything that may broadcast
                  if param != contribution.param and param != rule.vararg]
        other_ranks = [primitives.rank(node, ranks) for node in others]
        own = primitives.rank(bound[contribution.param], ranks)
        if (others and all(r == 0 for r in other_ranks)) or (own == 0 and ranks.get(var) == 0):
            return value.args[0]
        if own == 0 and ranks.get(var) not in (0, None):
            return _sum(value.args[0])          # a number's share is the total
        node = bound[contribution.param]
        own_shape = self.context.shapes.get(node.id) if isinstance(node, gast.Name) else None
        if own_shape is not None and own_shape == self.context.shapes.get(var):
            return value.args[0]
        return _static_unbroadcast(value, ranks_pass.dims_of(own_shape),
                                   ranks_pass.dims_of(self.context.shapes.get(var)))

    def shape_from_parameter(self, tree):
        """``np.shape(t)`` where ``t`` provably has a parameter's shape reads the parameter's
        shape instead, so ``t`` need not be kept (``np.sum(x * x)``: no ``x * x`` saved)."""
        if not any(isinstance(node, gast.Attribute) and node.attr in ("shape", "size")
                   for node in syntax.walk(tree)):
            return tree       # no np.shape(...) or np.size(...) to rewrite
        shapes, params = self.context.shapes, list(self.context.params)

        class _Rewrite(gast.NodeTransformer):
            def visit_Call(self, node):
                self.generic_visit(node)
                what = syntax.dotted(node.func)
                if what in ("np.shape", "np.size") and len(node.args) == 1 \
                        and isinstance(node.args[0], gast.Name):
                    symbol = shapes.get(node.args[0].id)
                    if symbol == "scalar":
                        return gast.Tuple(elts=[], ctx=gast.Load()) if what == "np.shape" \
                            else syntax.const(1)
                    if ranks_pass.dims_of(symbol) is not None:
                        alike = [p for p in params if shapes.get(p) == symbol]
                        if alike:
                            node.args[0] = syntax.name(alike[0])
                        elif what == "np.size":
                            return _size_from_parameters(node, ranks_pass.dims_of(symbol),
                                                         params, shapes)
                        return node
                    if isinstance(symbol, tuple) and symbol[0] == "param" \
                            and symbol[1] in params and shapes.get(symbol[1]) == symbol:
                        node.args[0] = syntax.name(symbol[1])
                return node
        return _Rewrite().visit(tree)

    def rule_for(self, stmt, value):
        """(rule, positional argument nodes, keyword nodes, description) for a right-hand side."""
        primitive = primitives.describe(stmt, value, self.context)
        rule = primitives.rule_of(primitive, "adjoint", self.context, stmt)
        return rule, primitive.args, primitive.keywords, primitive.what

    def helper_adjoint(self, stmt, var, helper, state):
        function, wrt, bound = helper
        use = self._helper_use(function, wrt, self._argument_ranks(bound))
        residual = self.residual(stmt)
        parts = [self.names.fresh("_g") for _ in wrt]
        call = syntax.call(syntax.name(use.backward), [syntax.name(residual),
                                                       syntax.name(self.adj(var))])
        target = gast.Tuple(elts=[syntax.name(p, gast.Store()) for p in parts],
                            ctx=gast.Store())
        out = [gast.Assign(targets=[target], value=call, type_comment=None)]
        for param, part in zip(wrt, parts):
            self.contribute(bound.arguments[param].id, syntax.name(part), state, out)
        return out

    def custom_adjoint(self, stmt, var, callee, state):
        value = stmt.value
        if resolve.CUSTOM[id(callee.obj)][1] is None:
            raise refuse(self.context, stmt, f"`{callee.text}` has a custom tangent rule but no "
                         "custom adjoint", "register one with rg.register_adjoint")
        rule_name = self.names.reserve(f"{callee.obj.__name__}_adjoint")
        self.context.generated_names[rule_name] = resolve.CUSTOM[id(callee.obj)][1]
        result = self.names.fresh("_g")
        call = syntax.call(syntax.name(rule_name), [syntax.name(self.adj(var)),
                                                    syntax.name(var)] + list(value.args))
        out = [syntax.assign(result, call)]
        if len(value.args) == 1:
            parts = [syntax.name(result)]
        else:
            parts = [gast.Subscript(value=syntax.name(result), slice=syntax.const(i),
                                    ctx=gast.Load()) for i in range(len(value.args))]
        for arg, part in zip(value.args, parts):
            if self.activity.is_active(arg):
                self.contribute(arg.id, part, state, out)
        return out

    def adjoint_setitem(self, stmt, state):
        target = stmt.targets[0]
        base = target.value.id
        code = []
        if base in self.activity.active and state.get(base, ZERO) != ZERO:
            d = self.adj(base)
            value = stmt.value
            later = None
            if self.activity.is_active(value):
                part = gast.Subscript(value=syntax.name(d), slice=syntax.clone(target.slice),
                                      ctx=gast.Load())
                scalar = self.context.ranks.get(value.id) == 0 and self.kinds.is_array(base)
                if not scalar:
                    part = syntax.call("rt.copy", [part])   # a view: zeroed just below
                if value.id == base:
                    # x[i:j] = x: the part flows into all of x, after the part is zeroed
                    later = self.names.fresh("_g")
                    code.append(syntax.assign(later, part))
                else:
                    self.contribute(value.id, part, state, code, fresh=scalar)
            self._own(base, state, code)
            zero = gast.Assign(targets=[gast.Subscript(value=syntax.name(d),
                                                       slice=syntax.clone(target.slice),
                                                       ctx=gast.Store())],
                               value=syntax.const(0.0), type_comment=None)
            code.append(zero)
            if later is not None:
                self.contribute(base, syntax.name(later), state, code)
        if id(stmt) in self.plan.save_part:
            restore = gast.Assign(targets=[gast.Subscript(value=syntax.name(base),
                                                          slice=syntax.clone(target.slice),
                                                          ctx=gast.Store())],
                                  value=syntax.call(gast.Attribute(
                                      value=syntax.name(self.plan.stack(base)), attr="pop",
                                      ctx=gast.Load())), type_comment=None)
            code.append(restore)
        return code

    def adjoint_expression(self, stmt, state):
        call = stmt.value
        if not isinstance(call, gast.Call):
            return []
        func = call.func
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and func.value.id in self.context.locals and func.attr == "append":
            base = func.value.id
            code = []
            if base in self.activity.active and state.get(base, ZERO) != ZERO:
                self._own(base, state, code)
                popped = syntax.call(gast.Attribute(value=syntax.name(self.adj(base)),
                                                    attr="pop", ctx=gast.Load()))
                arg = call.args[0]
                if self.activity.is_active(arg):
                    self.contribute(arg.id, popped, state, code)
                else:
                    code.append(gast.Expr(value=popped))
            if id(stmt) in self.plan.undo_append:
                code.append(gast.Expr(value=syntax.call(gast.Attribute(
                    value=syntax.name(base), attr="pop", ctx=gast.Load()))))
            return code
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and func.value.id in self.activity.active and func.attr not in (
                    "append",) and func.attr in ("extend", "insert", "update", "pop", "sort",
                                                 "reverse", "clear", "remove", "fill"):
            raise refuse(self.context, stmt,
                         f"`.{func.attr}()` on a value that carries a gradient is not supported",
                         "build a new list or array instead of changing it in place")
        return []

    # control flow -------------------------------------------------------------------------

    def adjoint_if(self, stmt, state):
        body_state, else_state = dict(state), dict(state)
        body = self.adjoint_block(stmt.body, body_state)
        orelse = self.adjoint_block(stmt.orelse, else_state)
        merged = self.merge(body_state, else_state, body, orelse)
        state.clear()
        state.update(merged)
        if not body and not orelse:
            return []
        if not body:
            test = gast.UnaryOp(op=gast.Not(), operand=syntax.clone(stmt.test))
            return [gast.If(test=test, body=orelse, orelse=[])]
        return [gast.If(test=syntax.clone(stmt.test), body=body, orelse=orelse)]

    def join(self, var, a, b):
        """The status of an adjoint where two paths meet (zeros get materialised)."""
        if a == b:
            return a
        materialized = OWNED if self._materializes_array(var) else SHARED
        a = materialized if a == ZERO else a
        b = materialized if b == ZERO else b
        return OWNED if a == b == OWNED else SHARED

    def merge(self, first, second, first_code, second_code):
        merged = {}
        for var in sorted(set(first) | set(second)):
            a, b = first.get(var, ZERO), second.get(var, ZERO)
            if a == b:
                merged[var] = a
                continue
            if a == ZERO:
                first_code.append(self.materialize(var))
                a = OWNED if self._materializes_array(var) else SHARED
            if b == ZERO:
                second_code.append(self.materialize(var))
                b = OWNED if self._materializes_array(var) else SHARED
            merged[var] = OWNED if a == b == OWNED else SHARED
        return merged

    def _materializes_array(self, var):
        """Whether a zero adjoint is made as an array of its own (updated in place later)
        rather than the scalar 0.0."""
        return var in self.indexed or self.context.ranks.get(var) != 0   # unknown: its kind

    def materialize(self, var):
        if self._materializes_array(var):
            value = syntax.call("rt.zeros_like", [syntax.name(var)])
        else:
            value = syntax.const(0.0)
        return syntax.assign(self.adj(var), value)

    def adjoint_loop(self, loop, state):
        # The adjoint statuses at the top of the reversed body are a fixed point: passes over
        # the body (from the statuses so far, each pass undone) until they stop changing. The
        # pass that confirms the fixed point is the body's code, kept rather than written again.
        entry = dict(state)
        top = dict(entry)
        kept = None
        for _ in range(5):
            checkpoint = self._checkpoint()
            before = self._materialize_entering(top, entry)
            trial = dict(top)
            body = self.adjoint_block(loop.body, trial)
            new_top = dict(top)
            for var in set(trial) | set(top):
                new_top[var] = self.join(var, top.get(var, ZERO), trial.get(var, ZERO))
            if new_top == top:
                kept = before, body, trial
                break
            self._restore(checkpoint)
            top = new_top
        if kept is None:
            before = self._materialize_entering(top, entry)
            body_state = dict(top)
            body = self.adjoint_block(loop.body, body_state)
        else:
            before, body, body_state = kept
        for var in sorted(top):
            if top[var] != ZERO and body_state.get(var, ZERO) == ZERO:
                body.append(self.materialize(var))
        if not body:
            state.update(entry)
            return []
        self.loops_with_adjoint.add(id(loop))
        state.clear()
        state.update(top)
        return before + self.reverse_loop(loop, body)

    def _materialize_entering(self, top, entry):
        """Adjoints zero where the reversed loop starts but not at the top of its body."""
        return [self.materialize(var) for var in sorted(top)
                if top[var] != ZERO and entry.get(var, ZERO) == ZERO]

    def _checkpoint(self):
        """What a pass over a loop body changes, to undo a pass that is only a trial."""
        return (copy.deepcopy(self.names.__dict__), dict(self.adjoint_names), dict(self.comments),
                dict(self.counters), dict(self.counter_stacks), dict(self.residual_names),
                dict(self.reads), list(self.helpers))

    def _restore(self, checkpoint):
        self.names.__dict__ = checkpoint[0]
        self.adjoint_names, self.comments, self.counters, self.counter_stacks, \
            self.residual_names, self.reads, self.helpers = checkpoint[1:]

    def reverse_loop(self, loop, body):
        out = []
        counted = self._needs_counter(loop) or isinstance(loop, gast.While)
        if counted:
            counter = self._counter(loop)
            if self.loop_depth_of(loop) > 0:
                out.append(syntax.assign(counter, syntax.call(gast.Attribute(
                    value=syntax.name(self._counter_stack(loop)), attr="pop",
                    ctx=gast.Load()))))
        if isinstance(loop, gast.While):
            iterator = syntax.call("range", [syntax.name(self._counter(loop))])
            target = syntax.name("_", gast.Store())
        else:
            iterator = syntax.clone(loop.iter)
            if counted:
                iterator = gast.Subscript(value=iterator,
                                          slice=gast.Slice(None, syntax.name(
                                              self._counter(loop)), None), ctx=gast.Load())
            iterator = syntax.call("reversed", [iterator])
            target = syntax.clone(loop.target)
        out.append(gast.For(target=target, iter=iterator, body=body, orelse=[],
                            type_comment=None))
        return out

    def loop_depth_of(self, loop):
        return self.loop_depths.get(id(loop), 0)

    # contributions ----------------------------------------------------------------------

    def contribute(self, var, value, state, out, index=None, fresh=False):
        """Add ``value`` to the adjoint of ``var`` (or to its part ``index``)."""
        d = self.adj(var)
        status = state.get(var, ZERO)
        if index is None:
            if status == ZERO:
                out.append(syntax.assign(d, value))
                aliases = set() if fresh else _may_alias(value)
                state[var] = SHARED if aliases or not (fresh or _fresh(value)) else OWNED
                for primal, adjoint in self.adjoint_names.items():
                    if adjoint in aliases and state.get(primal, ZERO) != ZERO:
                        state[primal] = SHARED
            else:
                if status == OWNED and self.kinds.numeric(var) and self.context.ranks.get(var):
                    # an array nobody else refers to: accumulate in place, no new allocation
                    out.append(gast.AugAssign(target=syntax.name(d, gast.Store()), op=gast.Add(),
                                              value=value))
                    return
                if self.kinds.numeric(var):
                    total = gast.BinOp(left=syntax.name(d), op=gast.Add(), right=value)
                else:
                    total = syntax.call("rt.add", [syntax.name(d), value])
                out.append(syntax.assign(d, total))
                state[var] = OWNED
            return
        if status == ZERO:
            out.append(syntax.assign(d, syntax.call("rt.zeros_like", [syntax.name(var)])))
        elif status == SHARED:
            out.append(syntax.assign(d, syntax.call("rt.copy", [syntax.name(d)])))
        state[var] = OWNED
        if self.kinds.is_array(var) and self.kinds.basic_index(index):
            out.append(gast.AugAssign(target=gast.Subscript(value=syntax.name(d), slice=index,
                                                            ctx=gast.Store()),
                                      op=gast.Add(), value=value))
        else:
            out.append(gast.Expr(value=syntax.call("rt.add_at", [syntax.name(d),
                                                                 _index_value(index), value])))

    def _own(self, var, state, out):
        if state.get(var, ZERO) == SHARED:
            d = self.adj(var)
            out.append(syntax.assign(d, syntax.call("rt.copy", [syntax.name(d)])))
            state[var] = OWNED


def _is_method(call, context):
    func = call.func
    return isinstance(func, gast.Attribute) and syntax.root_name(func) in context.locals


_VIEWS = {"rt.unbroadcast", "np.reshape", "np.transpose", "np.swapaxes", "np.moveaxis",
          "np.broadcast_to", "np.squeeze", "np.expand_dims", "np.ravel", "np.asarray",
          "np.flip"}
_FRESH = {"rt.copy", "rt.zeros_like", "np.full", "np.zeros", "np.array"}


def _may_alias(value):
    """Names whose object ``value`` may be (or view): assigning it shares that object."""
    if isinstance(value, gast.Name):
        return {value.id}
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
        return {value.value.id}
    if isinstance(value, gast.Attribute) and isinstance(value.value, gast.Name):
        return {value.value.id}
    if isinstance(value, gast.Call):
        text = syntax.dotted(value.func)
        if text in _VIEWS and value.args:
            return _may_alias(value.args[0])
        if isinstance(value.func, gast.Attribute) and value.func.attr in (
                "reshape", "transpose", "ravel", "squeeze", "view"):
            return _may_alias(value.func.value)
    return set()


def _fresh(value):
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Constant)):
        return True
    if isinstance(value, gast.Call):
        text = syntax.dotted(value.func)
        return text in _FRESH or (text or "").startswith("np.") and text not in _VIEWS
    return False


def _shape_arguments(tree):
    """Names read only for their shape: ``rt.unbroadcast(g, x)``'s ``x``, ``np.shape(x)``."""
    for node in syntax.walk(tree):
        if isinstance(node, gast.Call) and len(node.args) >= 1:
            text = syntax.dotted(node.func)
            if text == "rt.unbroadcast" and len(node.args) == 2 \
                    and isinstance(node.args[1], gast.Name):
                yield node.args[1]
            elif text == "np.shape" and isinstance(node.args[0], gast.Name):
                yield node.args[0]


def _read_shapes(code, shape_names):
    """Point shape reads at the saved shapes: ``rt.unbroadcast(g, _shape_x)``, ``_shape_x``."""
    class _Rewrite(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            text = syntax.dotted(node.func)
            if text == "np.shape" and len(node.args) == 1 and isinstance(node.args[0], gast.Name) \
                    and node.args[0].id in shape_names:
                return syntax.name(shape_names[node.args[0].id])
            if text == "rt.unbroadcast" and len(node.args) == 2 \
                    and isinstance(node.args[1], gast.Name) and node.args[1].id in shape_names:
                node.args[1] = syntax.name(shape_names[node.args[1].id])
            return node
    for position, node in enumerate(code):
        if any(isinstance(name, gast.Name) and name.id in shape_names
               for name in syntax.walk(node)):
            code[position] = _Rewrite().visit(node)


def _index_value(index):
    """An index as an ordinary expression (``1:3`` becomes ``slice(1, 3, None)``), so it can
    be passed to a function."""
    if isinstance(index, gast.Slice):
        parts = [p if p is not None else syntax.const(None)
                 for p in (index.lower, index.upper, index.step)]
        return syntax.call("slice", parts)
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_value(e) for e in index.elts], ctx=gast.Load())
    return index




def _loop_depths(statements, depth, found):
    for stmt in statements:
        if isinstance(stmt, (gast.For, gast.While)):
            found[id(stmt)] = depth
            _loop_depths(stmt.body, depth + 1, found)
        elif isinstance(stmt, gast.If):
            _loop_depths(stmt.body, depth, found)
            _loop_depths(stmt.orelse, depth, found)
    return found


def _same_loop_nodes(loop):
    for stmt in loop.body:
        yield from _walk_same(stmt)


def _walk_same(stmt):
    yield stmt
    if isinstance(stmt, gast.If):
        for child in stmt.body + stmt.orelse:
            yield from _walk_same(child)





def _static_unbroadcast(call, own, out):
    """``rt.unbroadcast(g, x)`` as the sums it amounts to, when the dimension classes of ``x``
    (``own``) and of the result ``g`` has the shape of (``out``) are known: ``np.sum(g,
    axis=0)`` for a bias added to every row, ``np.sum(g, axis=1, keepdims=True)`` for a column
    broadcast across. Else the call itself (it decides at run time)."""
    if own is None or out is None or len(own) > len(out):
        return call
    g = call.args[0]
    lead = len(out) - len(own)
    kept = tuple(i for i, c in enumerate(own) if c == 1 and out[lead + i] != 1)
    if lead:
        g = _sum(g, tuple(range(lead)))
    if kept:
        g = _sum(g, kept, keepdims=True)
    return g


def _sum(g, axes=None, keepdims=False):
    """``np.sum(g, axis=axes, keepdims=...)``, negated outside when ``g`` is (``-np.sum(g)``:
    a negation of the small result rather than of the whole array)."""
    if isinstance(g, gast.UnaryOp) and isinstance(g.op, gast.USub):
        return gast.UnaryOp(op=gast.USub(), operand=_sum(g.operand, axes, keepdims))
    keywords = []
    if axes is not None:
        axis = syntax.const(axes[0]) if len(axes) == 1 else gast.Tuple(
            elts=[syntax.const(i) for i in axes], ctx=gast.Load())
        keywords.append(gast.keyword(arg="axis", value=axis))
    if keepdims:
        keywords.append(gast.keyword(arg="keepdims", value=syntax.const(True)))
    return syntax.call(syntax.expr("np.sum"), [g], keywords)


def _size_from_parameters(node, dims, params, shapes):
    """``np.size(t)`` as a product of parameters' dimensions when every dimension class of
    ``t`` is one of a parameter's (``np.shape(y)[0]`` for a batch of per-row values), so that
    ``t`` need not be computed at all; else ``node``."""
    wanted = [c for c in dims if c != 1]
    if not wanted:
        return syntax.const(1)
    for p in params:
        have = ranks_pass.dims_of(shapes.get(p))
        if have is None or not all(c in have for c in wanted):
            continue
        factors = [gast.Subscript(value=syntax.call(syntax.expr("np.shape"), [syntax.name(p)]),
                                  slice=syntax.const(have.index(c)), ctx=gast.Load())
                   for c in wanted]
        product = factors[0]
        for factor in factors[1:]:
            product = gast.BinOp(left=product, op=gast.Mult(), right=factor)
        return product
    return node
