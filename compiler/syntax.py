"""Small helpers for building and reading gast trees, shared by every pass."""
import copy

import gast

LOAD, STORE = gast.Load(), gast.Store()


def name(id_, ctx=None):
    return gast.Name(id=id_, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def const(value):
    return gast.Constant(value=value, kind=None)


def assign(target, value, line=None):
    if isinstance(target, str):
        target = name(target, gast.Store())
    node = gast.Assign(targets=[target], value=value, type_comment=None)
    if line is not None:
        node.lineno = line
    return node


def call(func, args=(), keywords=()):
    if isinstance(func, str):
        func = expr(func)
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


def expr(source):
    """Parse one expression."""
    return gast.parse(source).body[0].value


def stmts(source):
    """Parse statements."""
    return gast.parse(source).body


def substitute(tree, mapping):
    """Copy ``tree`` replacing each Name whose id is in ``mapping`` by a copy of the given node
    (or a Name with the given string id), keeping the context of the replaced name."""
    tree = copy.deepcopy(tree)

    class _Replace(gast.NodeTransformer):
        def visit_Name(self, node):
            if node.id not in mapping:
                return node
            new = mapping[node.id]
            if isinstance(new, str):
                return name(new, node.ctx)
            new = copy.deepcopy(new)
            if isinstance(new, gast.Name):
                new.ctx = node.ctx
            return new

    if isinstance(tree, list):
        return [_splice_starred(_Replace().visit(t)) for t in tree]
    return _splice_starred(_Replace().visit(tree))


def _splice_starred(tree):
    """``f(*(a, b))`` -> ``f(a, b)``: a template's ``*args`` filled with a literal tuple."""
    for node in gast.walk(tree):
        if isinstance(node, gast.Call):
            args = []
            for arg in node.args:
                if isinstance(arg, gast.Starred) and isinstance(arg.value, (gast.Tuple, gast.List)):
                    args.extend(arg.value.elts)
                else:
                    args.append(arg)
            node.args = args
    return tree


def names_in(tree, ctx=None):
    """The ids of all Names in ``tree`` (optionally only those with a Load or Store context)."""
    found = []
    for node in gast.walk(tree) if not isinstance(tree, list) else _walk_all(tree):
        if isinstance(node, gast.Name) and (ctx is None or isinstance(node.ctx, ctx)):
            found.append(node.id)
    return found


def _walk_all(trees):
    for tree in trees:
        yield from gast.walk(tree)


def dotted(node):
    """'np.linalg.norm' for an Attribute chain rooted at a Name, else None."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, gast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def root_name(node):
    while isinstance(node, gast.Attribute):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def is_atom(node):
    return isinstance(node, (gast.Name, gast.Constant))


def line_of(node):
    return getattr(node, "lineno", None)


def set_line(nodes, line):
    """Give every statement in ``nodes`` (recursively) the source line ``line`` if it has none."""
    for node in nodes:
        for sub in gast.walk(node):
            if isinstance(sub, gast.stmt) and getattr(sub, "lineno", None) is None:
                sub.lineno = line
    return nodes


def short_filename(filename):
    """``model.py`` for a path; for generated code (``<retrograd: grad_f of /x/model.py>``)
    the file it was generated from, marked: ``model.py (grad_f)``."""
    import os
    import re
    match = re.match(r"<retrograd: (.*) of (.*)>$", filename)
    if match:
        return f"{short_filename(match.group(2))} ({match.group(1)})"
    return os.path.basename(filename)
