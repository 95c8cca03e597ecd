"""Small helpers for building and reading gast trees, shared by every pass."""
import collections
import copy
import functools

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
    return clone(_parsed_expression(source))


@functools.lru_cache(maxsize=256)
def _parsed_expression(source):
    """The passes name the same few functions (``np.shape``, ``rt.unbroadcast``) very often:
    each is parsed once and copied."""
    return gast.parse(source).body[0].value


def stmts(source):
    """Parse statements."""
    return gast.parse(source).body


_ATOMS = (str, int, float, complex, bool, bytes, type(None), type(Ellipsis))


def clone(tree):
    """A deep copy of a gast tree (or a list of trees): ``copy.deepcopy`` for the node types
    and values found in trees, without its memo and reduce protocol (several times faster;
    the passes copy subtrees very often)."""
    if isinstance(tree, gast.AST):
        new = tree.__class__.__new__(tree.__class__)
        new.__dict__.update({key: clone(value) for key, value in tree.__dict__.items()})
        return new
    if isinstance(tree, list):
        return [clone(item) for item in tree]
    if isinstance(tree, _ATOMS):
        return tree
    if isinstance(tree, tuple) and all(isinstance(item, _ATOMS) for item in tree):
        return tree
    return copy.deepcopy(tree)


def substitute(tree, mapping):
    """Copy ``tree`` replacing each Name whose id is in ``mapping`` by a copy of the given node
    (or a Name with the given string id), keeping the context of the replaced name."""
    if isinstance(tree, list):
        return [_substituted(t, mapping) for t in tree]
    return _substituted(tree, mapping)


def _substituted(tree, mapping):
    """A copy of ``tree`` with the names in ``mapping`` (None: none) replaced, and every call's
    ``*`` of a literal tuple spliced: ``f(*(a, b))`` -> ``f(a, b)`` (a template's ``*args``
    filled with a literal tuple). Replacements are copied, not substituted again."""
    if isinstance(tree, gast.AST):
        if mapping is not None and isinstance(tree, gast.Name) and tree.id in mapping:
            new = mapping[tree.id]
            if isinstance(new, str):
                return name(new, clone(tree.ctx))
            new = _substituted(new, None)
            if isinstance(new, gast.Name):
                new.ctx = clone(tree.ctx)
            return new
        new = tree.__class__.__new__(tree.__class__)
        new.__dict__.update({key: _substituted(value, mapping)
                             for key, value in tree.__dict__.items()})
        if isinstance(new, gast.Call):
            args = []
            for arg in new.args:
                if isinstance(arg, gast.Starred) and isinstance(arg.value, (gast.Tuple, gast.List)):
                    args.extend(arg.value.elts)
                else:
                    args.append(arg)
            new.args = args
        return new
    if isinstance(tree, list):
        return [_substituted(item, mapping) for item in tree]
    return clone(tree)


def walk(tree):
    """Every node of ``tree``, breadth first: ``gast.walk``, in the same order, with less
    overhead per node (the passes walk trees a great deal)."""
    todo = collections.deque([tree])
    while todo:
        node = todo.popleft()
        for field in node._fields:
            try:
                value = getattr(node, field)
            except AttributeError:
                continue
            if isinstance(value, gast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend([item for item in value if isinstance(item, gast.AST)])
        yield node


def names_in(tree, ctx=None):
    """The ids of all Names in ``tree`` (optionally only those with a Load or Store context)."""
    found = []
    for node in walk(tree) if not isinstance(tree, list) else _walk_all(tree):
        if isinstance(node, gast.Name) and (ctx is None or isinstance(node.ctx, ctx)):
            found.append(node.id)
    return found


def _walk_all(trees):
    for tree in trees:
        yield from walk(tree)


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
        _set_line(node, line)
    return nodes


def _set_line(node, line):
    if isinstance(node, gast.stmt) and getattr(node, "lineno", None) is None:
        node.lineno = line
    for field in node._fields:           # expressions hold no statements: not entered
        value = getattr(node, field, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, gast.AST) and not isinstance(item, gast.expr):
                    _set_line(item, line)
        elif isinstance(value, gast.AST) and not isinstance(value, gast.expr):
            _set_line(value, line)


def short_filename(filename):
    """``model.py`` for a path; for generated code (``<retrograd: grad_f of /x/model.py>``)
    the file it was generated from, marked: ``model.py (grad_f)``."""
    import os
    import re
    match = re.match(r"<retrograd: (.*) of (.*)>$", filename)
    if match:
        return f"{short_filename(match.group(2))} ({match.group(1)})"
    return os.path.basename(filename)


@functools.lru_cache(maxsize=256)
def function_tree(function):
    """The parsed ``def`` of a Python function, for a quick look at a helper's body (shared:
    do not change it), or None when it has no readable source."""
    import inspect
    import textwrap
    try:
        tree = gast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    return tree if isinstance(tree, gast.FunctionDef) else None
