"""normalize: lower the body to one operation per statement.

Assumes: jumps have been lowered (see ``jumps``). Guarantees that afterwards every statement is

* ``y = a``, ``y = a op b``, ``y = op a``, ``y = f(a, ..., k=b)``, ``y = a.m(...)``,
  ``y = a.attr``, ``y = a[index]``, ``y = (a, b)`` / ``[a, b]`` / ``{k: a}``, where ``a, b`` are
  names, constants or module-level references and the index is built from those (plus
  integer arithmetic such as ``v[i - 1]``); ``y`` never appears on its own right-hand side;
* ``y = <condition>`` where the condition (comparison, ``and``/``or``/``not``) is kept whole:
  it carries no gradient;
* ``x[index] = a``, ``a.append(b)`` and other expression statements over atoms;
* ``if c:`` on a name, ``while <condition>:`` (condition kept whole), ``for i in range(a, b, c):``
  (loops over sequences, ``enumerate``, ``zip``, ``reversed`` and ``dict.items()`` become
  index loops), ``break``, ``raise``, ``assert``, and one final ``return a``.

Example::

    y = np.sin(x * w) + b            _t1 = x * w
                             ->      _t2 = np.sin(_t1)
                                     y = _t2 + b
"""
import gast

from .. import syntax
from ..errors import refuse


def run(tree, context):
    tree.body = _Normalizer(context, tree).block(tree.body) or [gast.Pass()]
    return tree


class _Normalizer:
    def __init__(self, context, tree):
        self.context = context
        self.names = context.names
        self.line = None
        self.dict_names = {node.targets[0].id for node in syntax.walk(tree)
                           if isinstance(node, gast.Assign) and len(node.targets) == 1
                           and isinstance(node.targets[0], gast.Name)
                           and (isinstance(node.value, gast.Dict) or (
                               isinstance(node.value, gast.Call)
                               and syntax.dotted(node.value.func) == "dict"))}

    def temp(self):
        name = self.names.fresh("_t")
        self.context.locals.add(name)
        return name

    def block(self, statements):
        out = []
        for stmt in statements:
            self.line = getattr(stmt, "lineno", self.line)
            new = self.statement(stmt)
            out.extend(syntax.set_line(new, self.line))
        return out

    # --- statements ----------------------------------------------------------------------

    def statement(self, stmt):
        out = []
        if isinstance(stmt, gast.Assign):
            if len(stmt.targets) == 1:
                self.assign_to(stmt.targets[0], stmt.value, out)
            else:
                value = self.atom(stmt.value, out)
                for target in stmt.targets:
                    self.assign_to(target, value, out)
        elif isinstance(stmt, gast.AnnAssign):
            if stmt.value is not None:
                self.assign_to(stmt.target, stmt.value, out)
        elif isinstance(stmt, gast.AugAssign):
            self.augmented(stmt, out)
        elif isinstance(stmt, gast.Expr):
            if not isinstance(stmt.value, gast.Constant):
                out.append(gast.Expr(value=self.simple(stmt.value, out)))
        elif isinstance(stmt, gast.If):
            test = self.condition(stmt.test, out)
            node = gast.If(test=test, body=self.block(stmt.body) or [gast.Pass()],
                           orelse=self.block(stmt.orelse))
            out.append(node)
        elif isinstance(stmt, gast.While):
            out.append(gast.While(test=stmt.test, body=self.block(stmt.body) or [gast.Pass()],
                                  orelse=[]))
        elif isinstance(stmt, gast.For):
            self.for_loop(stmt, out)
        elif isinstance(stmt, gast.Return):
            out.append(gast.Return(value=self.atom(stmt.value, out)))
        elif isinstance(stmt, (gast.Break, gast.Raise, gast.Assert)):
            out.append(stmt)
        elif isinstance(stmt, gast.Pass):
            pass
        else:
            raise refuse(self.context, stmt,
                         f"`{type(stmt).__name__}` statements are not supported here")
        return out

    def condition(self, test, out):
        """Name the decision of an ``if`` so the reverse sweep can replay it."""
        if isinstance(test, gast.Name):
            return test
        name = self.names.fresh("_cond")
        self.context.locals.add(name)
        out.append(syntax.assign(name, test))
        return syntax.name(name)

    def assign_to(self, target, value, out):
        if isinstance(target, gast.Name):
            simple = self.simple(value, out)
            if isinstance(simple, gast.Name) and simple.id == target.id:
                return                       # `x = x` does nothing
            if not syntax.is_atom(simple) and target.id in syntax.names_in(simple):
                temp = self.temp()
                out.append(syntax.assign(temp, simple))
                simple = syntax.name(temp)
            out.append(syntax.assign(syntax.name(target.id, gast.Store()), simple))
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.unpack(target, value, out)
        elif isinstance(target, gast.Subscript):
            base = target.value
            if isinstance(base, gast.Subscript):
                raise refuse(self.context, self.line_node(),
                             "assignment into part of a part (`y[i][j] = v`) is not supported",
                             "for arrays write `y[i, j] = v`; for nested lists rebuild the inner "
                             "list and assign it (`row = y[i]; ...; y[i] = row`)")
            if not (isinstance(base, gast.Name) and base.id in self.context.locals):
                raise refuse(self.context, self.line_node(),
                             "assignment into part of a global or an attribute is not supported",
                             "copy the value into a local variable first")
            index = self.index(target.slice, out)
            atom = self.atom(value, out)
            out.append(gast.Assign(targets=[gast.Subscript(value=syntax.name(base.id),
                                                           slice=index, ctx=gast.Store())],
                                   value=atom, type_comment=None))
        else:
            raise refuse(self.context, self.line_node(),
                         f"assignment to {type(target).__name__.lower()} targets is not "
                         "supported", "assign to a local variable")

    def unpack(self, target, value, out):
        elts = target.elts
        starred = [i for i, e in enumerate(elts) if isinstance(e, gast.Starred)]
        if starred:
            self.unpack_starred(elts, starred[0], value, out)
            return
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(elts):
            atoms = [self.atom(v, out) for v in value.elts]
            targets = {n for e in elts for n in syntax.names_in(e)}
            safe = []
            for atom in atoms:   # `a, b = b, a`: copy what a target would overwrite
                if isinstance(atom, gast.Name) and atom.id in targets:
                    temp = self.temp()
                    out.append(syntax.assign(temp, atom))
                    atom = syntax.name(temp)
                safe.append(atom)
            for elt, atom in zip(elts, safe):
                self.assign_to(elt, atom, out)
            return
        source = self.atom(value, out)
        for position, elt in enumerate(elts):
            item = gast.Subscript(value=source, slice=syntax.const(position), ctx=gast.Load())
            self.assign_to(elt, item, out)

    def unpack_starred(self, elts, position, value, out):
        """``a, *rest, b = seq``: ``a = seq[0]``, ``rest = list(seq[1:-1])``, ``b = seq[-1]``."""
        source = self.atom(value, out)
        after = len(elts) - position - 1
        for index, elt in enumerate(elts[:position]):
            self.assign_to(elt, self.item(source, syntax.const(index)), out)
        upper = syntax.const(-after) if after else None
        middle = gast.Subscript(value=source, slice=gast.Slice(syntax.const(position), upper,
                                                               None), ctx=gast.Load())
        part = self.atom(middle, out)
        self.assign_to(elts[position].value, syntax.call(syntax.name("list"), [part]), out)
        for offset, elt in enumerate(elts[position + 1:]):
            self.assign_to(elt, self.item(source, syntax.const(offset - after)), out)

    def augmented(self, stmt, out):
        target = stmt.target
        if isinstance(target, gast.Name):
            # On an array, `x += v` changes it in place; `aliases` checks no other name sees it.
            self.context.inplace_updates.append((target.id, stmt.lineno))
            self.assign_to(target, gast.BinOp(left=syntax.name(target.id), op=stmt.op,
                                              right=stmt.value), out)
        elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            index = self.index(target.slice, out)
            old = self.temp()
            out.append(syntax.assign(old, gast.Subscript(value=syntax.name(target.value.id),
                                                         slice=index, ctx=gast.Load())))
            new = self.temp()
            out.append(syntax.assign(new, gast.BinOp(left=syntax.name(old), op=stmt.op,
                                                     right=self.atom(stmt.value, out))))
            out.append(gast.Assign(targets=[gast.Subscript(value=syntax.name(target.value.id),
                                                           slice=index, ctx=gast.Store())],
                                   value=syntax.name(new), type_comment=None))
        else:
            raise refuse(self.context, stmt, "augmented assignment to this target is not "
                         "supported", "assign to a local variable or `x[i]`")

    # --- loops -----------------------------------------------------------------------------

    def for_loop(self, stmt, out):
        iterator, target = stmt.iter, stmt.target
        # Python evaluates the iterable once; names the body rebinds are copied first.
        self.rebound = {n.id for s in stmt.body for n in syntax.walk(s)
                        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        if self.global_callee(iterator) is range:
            if not isinstance(target, gast.Name):
                raise refuse(self.context, stmt, "a `range` loop needs a single loop variable")
            args = [self.stable(self.atom(a, out), out) for a in iterator.args]
            loop = self.range_loop(target.id, args)
            loop.body = self.block(stmt.body) or [gast.Pass()]
            out.append(loop)
            return
        length, element = self.view(iterator, out)
        if isinstance(target, gast.Tuple) and len(target.elts) == 2 \
                and isinstance(target.elts[0], gast.Name) \
                and self.global_callee(iterator) is enumerate and not self._enumerate_start(
                    iterator):
            index = target.elts[0].id           # `for i, x in enumerate(xs)`: loop over i
            self.context.locals.add(index)
            header = []
            self.assign_to(target.elts[1], element(syntax.name(index)).elts[1], header)
        else:
            index = self.loop_index()
            header = []
            self.assign_to(target, element(syntax.name(index)), header)
        loop = self.range_loop(index, [self.atom(length, out)])
        loop.body = header + (self.block(stmt.body) or [gast.Pass()])
        out.append(loop)

    def view(self, iterator, out):
        """(length expression, element(index) -> expression) for what a loop iterates over:
        sequences are indexed, so the reverse sweep can send each element's adjoint back."""
        callee = self.global_callee(iterator)
        if callee is range:
            sequence = self.stable(self.atom(iterator, out), out)
            return syntax.call("len", [sequence]), lambda i: self.item(sequence, i)
        if callee is enumerate:
            length, inner = self.view(iterator.args[0], out)
            start = self._enumerate_start(iterator)
            start = self.atom(start, out) if start is not None else None

            def element(i):
                counter = i if start is None else gast.BinOp(left=i, op=gast.Add(), right=start)
                return gast.Tuple(elts=[counter, inner(i)], ctx=gast.Load())
            return length, element
        if callee is zip:
            views = [self.view(a, out) for a in iterator.args]
            lengths = [self.atom(length, out) for length, _ in views]
            length = lengths[0] if len(lengths) == 1 else syntax.call("min", lengths)
            return length, lambda i: gast.Tuple(elts=[e(i) for _, e in views], ctx=gast.Load())
        if callee is reversed:
            length, inner = self.view(iterator.args[0], out)
            length = self.atom(length, out)
            last = self.atom(gast.BinOp(left=length, op=gast.Sub(), right=syntax.const(1)), out)
            return length, lambda i: inner(gast.BinOp(left=last, op=gast.Sub(), right=i))
        dict_view = self.dict_view(iterator)
        if dict_view is not None or self.is_dict(iterator):
            view, mapping = dict_view if dict_view is not None else ("keys", iterator)
            mapping = self.atom(mapping, out)
            keys = self.atom(syntax.call("list", [mapping]), out)
            if view == "keys":
                return syntax.call("len", [keys]), lambda i: self.item(keys, i)
            if view == "values":
                return syntax.call("len", [keys]), \
                    lambda i: self.item(mapping, None, self.item(keys, i))
            return syntax.call("len", [keys]), lambda i: gast.Tuple(
                elts=[self.item(keys, i), self.item(mapping, None, self.item(keys, i))],
                ctx=gast.Load())
        sequence = self.stable(self.atom(iterator, out), out)
        return syntax.call("len", [sequence]), lambda i: self.item(sequence, i)

    def stable(self, atom, out):
        """``atom``, or a copy of it taken now if the loop body rebinds that name."""
        if isinstance(atom, gast.Name) and atom.id in getattr(self, "rebound", ()):
            temp = self.temp()
            out.append(syntax.assign(temp, atom))
            return syntax.name(temp)
        return atom

    def _enumerate_start(self, call):
        if len(call.args) > 1:
            return call.args[1]
        for keyword in call.keywords:
            if keyword.arg == "start":
                return keyword.value
        return None

    def is_dict(self, node):
        """Whether a name certainly holds a dict (a dict argument, or assigned a dict)."""
        if not isinstance(node, gast.Name):
            return False
        if self.context.param_kinds.get(node.id) == "dict":
            return True
        return node.id in self.dict_names

    def range_loop(self, index, args):
        self.context.locals.add(index)
        return gast.For(target=syntax.name(index, gast.Store()),
                        iter=syntax.call(syntax.name("range"), args),
                        body=[], orelse=[], type_comment=None)

    def loop_index(self):
        name = self.names.fresh("_i")
        self.context.locals.add(name)
        return name

    def sequence(self, expr, out):
        return self.atom(expr, out)

    def item(self, sequence, index, key=None):
        slice_ = index if key is None else key
        if isinstance(slice_, str):
            slice_ = syntax.name(slice_)
        return gast.Subscript(value=sequence, slice=slice_, ctx=gast.Load())

    def dict_view(self, iterator):
        if isinstance(iterator, gast.Call) and not iterator.args \
                and isinstance(iterator.func, gast.Attribute) \
                and iterator.func.attr in ("items", "keys", "values") \
                and syntax.root_name(iterator.func.value) in self.context.locals:
            return iterator.func.attr, iterator.func.value
        return None

    def global_callee(self, expr):
        if isinstance(expr, gast.Call):
            text = syntax.dotted(expr.func)
            root = syntax.root_name(expr.func)
            if text is not None and root not in self.context.locals:
                callee = self.context.resolution.get(text)
                return callee.obj if callee is not None else None
        return None

    # --- expressions -----------------------------------------------------------------------

    def atom(self, expr, out):
        simple = self.simple(expr, out)
        if self.is_atom(simple):
            return simple
        temp = self.temp()
        out.append(syntax.assign(temp, simple))
        return syntax.name(temp)

    def is_atom(self, node):
        if isinstance(node, gast.Constant):
            return True
        if isinstance(node, gast.Name):
            return True
        if isinstance(node, gast.Attribute):
            root = syntax.root_name(node)
            return root is not None and root not in self.context.locals
        return False

    def simple(self, expr, out):
        """One operation over atoms."""
        if isinstance(expr, (gast.Name, gast.Constant)):
            return expr
        if isinstance(expr, gast.Attribute):
            if self.is_atom(expr):
                return expr
            return gast.Attribute(value=self.atom(expr.value, out), attr=expr.attr,
                                  ctx=gast.Load())
        if isinstance(expr, gast.BinOp):
            return gast.BinOp(left=self.atom(expr.left, out), op=expr.op,
                              right=self.atom(expr.right, out))
        if isinstance(expr, gast.UnaryOp):
            if isinstance(expr.op, gast.Not):
                return expr
            if isinstance(expr.operand, gast.Constant) and isinstance(expr.op, gast.USub) \
                    and isinstance(expr.operand.value, (int, float, complex)):
                return syntax.const(-expr.operand.value)
            return gast.UnaryOp(op=expr.op, operand=self.atom(expr.operand, out))
        if isinstance(expr, gast.Compare):
            return expr
        if isinstance(expr, gast.BoolOp):
            return self.bool_op(expr, out)
        if isinstance(expr, gast.Call):
            return self.call(expr, out)
        if isinstance(expr, gast.Subscript):
            return gast.Subscript(value=self.atom(expr.value, out),
                                  slice=self.index(expr.slice, out), ctx=gast.Load())
        if isinstance(expr, (gast.Tuple, gast.List)):
            return type(expr)(elts=[self.atom(e, out) for e in expr.elts], ctx=gast.Load())
        if isinstance(expr, gast.Dict):
            if any(k is None for k in expr.keys):
                raise refuse(self.context, self.line_node(), "`**` in dict displays is not "
                             "supported", "build the dict key by key")
            return gast.Dict(keys=[self.atom(k, out) for k in expr.keys],
                             values=[self.atom(v, out) for v in expr.values])
        if isinstance(expr, gast.IfExp):
            temp = self.temp()
            body, orelse = [], []
            self.assign_to(syntax.name(temp, gast.Store()), expr.body, body)
            self.assign_to(syntax.name(temp, gast.Store()), expr.orelse, orelse)
            test = self.condition(expr.test, out)
            out.append(syntax.set_line([gast.If(test=test, body=body, orelse=orelse)],
                                       self.line)[0])
            return syntax.name(temp)
        if isinstance(expr, (gast.JoinedStr, gast.FormattedValue)):
            return expr
        raise refuse(self.context, self.line_node(),
                     f"`{type(expr).__name__}` expressions are not supported")

    def bool_op(self, expr, out):
        """``a or b`` as a value: the operand Python would return, chosen by ``if``."""
        temp = self.temp()
        self.assign_to(syntax.name(temp, gast.Store()), expr.values[0], out)
        for value in expr.values[1:]:
            body = []
            self.assign_to(syntax.name(temp, gast.Store()), value, body)
            test = syntax.name(temp) if isinstance(expr.op, gast.And) else \
                gast.UnaryOp(op=gast.Not(), operand=syntax.name(temp))
            cond = self.condition(test, out)
            node = gast.If(test=cond, body=body, orelse=[])
            out.append(syntax.set_line([node], self.line)[0])
        return syntax.name(temp)

    def call(self, expr, out):
        func = expr.func
        if isinstance(func, gast.Attribute) and not self.is_atom(func):
            func = gast.Attribute(value=self.atom(func.value, out), attr=func.attr,
                                  ctx=gast.Load())
        elif not (isinstance(func, gast.Name) or self.is_atom(func)):
            func = self.atom(func, out)
        args = [self.atom(a, out) for a in expr.args]
        keywords = [gast.keyword(arg=k.arg, value=self.atom(k.value, out))
                    for k in expr.keywords]
        if any(k.arg is None for k in keywords):
            raise refuse(self.context, self.line_node(), "`**kwargs` in calls is not supported",
                         "pass keyword arguments by name")
        return gast.Call(func=func, args=args, keywords=keywords)

    def index(self, index, out):
        if isinstance(index, gast.Slice):
            return gast.Slice(*(None if part is None else self.atom(part, out)
                                for part in (index.lower, index.upper, index.step)))
        if isinstance(index, gast.Tuple):
            return gast.Tuple(elts=[self.index(e, out) for e in index.elts], ctx=gast.Load())
        if self.is_index_arithmetic(index):
            return index      # `v[i - 1]` stays readable; it carries no gradient
        return self.atom(index, out)

    def is_index_arithmetic(self, node):
        """Integer arithmetic on names and constants, as in ``x[2 * i + 1]``."""
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub, gast.Mult,
                                                                 gast.FloorDiv, gast.Mod)):
            return all(self.is_index_arithmetic(n) for n in (node.left, node.right))
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            return self.is_index_arithmetic(node.operand)
        if isinstance(node, gast.Constant):
            return isinstance(node.value, int) and not isinstance(node.value, bool)
        return isinstance(node, gast.Name)

    def line_node(self):
        node = gast.Pass()
        node.lineno = self.line
        return node
