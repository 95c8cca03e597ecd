"""Load a Python file's functions without running the file.

The command line differentiates modules it must not execute (their top level may train a
model, write files or need a GPU). ``Loader.load(path)`` parses the file and builds real
function objects for its top-level ``def``s, each compiled on its own with the file's name and
line numbers (so ``inspect.getsource`` and error messages point into the file), in a namespace
holding the builtins and what the file's imports bind:

- library modules (``import numpy as np``, ``from numpy import tanh``) are imported normally;
- the user's own modules (found beside the file or in its package, not on ``sys.path``) are
  loaded statically in the same way, recursively;
- module-level values (``W = np.ones(3)``, classes, anything bound inside ``if``/``try``) are
  not computed: the namespace holds a ``Placeholder``, and generated code imports the real value
  from the source module when it runs. A plain alias (``act = np.tanh``) is followed.

Default values and annotations of the ``def``s are not evaluated either (placeholders too).
"""
import ast
import builtins
import copy
import dataclasses
import importlib
import os
import types

__all__ = ["Loader", "Placeholder", "StaticError", "StaticModule", "is_generator"]


class StaticError(Exception):
    """A problem with the input file itself (syntax, an import that cannot be found)."""

    def __init__(self, message, filename, lineno=None, col=None, source_line=None, hint=None):
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.source_line = source_line
        self.hint = hint


class Placeholder:
    """Stands for a module-level value that static loading does not compute."""

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __repr__(self):
        return f"<{self.module}.{self.name}: not evaluated (static loading)>"


@dataclasses.dataclass
class Binding:
    """How the file binds one top-level name."""
    kind: str           # 'import' | 'function' | 'value'
    lineno: int
    import_line: str = None   # for 'import': the statement that binds it in another module


@dataclasses.dataclass
class StaticModule:
    """One statically loaded file."""
    path: str                 # absolute path of the file
    name: str                 # dotted import name (``pkg.model``, or ``model`` beside it)
    root: str                 # the directory from which ``name`` is importable
    module: types.ModuleType  # its namespace: builtins, imports, functions, placeholders
    tree: ast.Module
    lines: list
    bindings: dict = dataclasses.field(default_factory=dict)   # name -> Binding
    definitions: dict = dataclasses.field(default_factory=dict)  # function name -> ast def

    @property
    def namespace(self):
        return self.module.__dict__

    def functions(self):
        """Top-level functions in source order: name -> function object (the last ``def``
        of a name wins, as when the file runs)."""
        return {name: self.namespace[name] for name, node in sorted(
            self.definitions.items(), key=lambda item: item[1].lineno)
            if self.bindings.get(name, Binding("", 0)).kind == "function"}

    def import_line(self, name):
        """The statement a generated module uses to get ``name`` as this file binds it."""
        binding = self.bindings.get(name)
        if binding is not None and binding.kind == "import":
            return binding.import_line
        return f"from {self.name} import {name}"

    def line(self, lineno):
        return self.lines[lineno - 1].rstrip("\n") if 1 <= (lineno or 0) <= len(self.lines) \
            else ""


def is_generator(node):
    """Does this ``def`` contain ``yield`` in its own body (not in nested functions)?"""
    stack = list(node.body)
    while stack:
        item = stack.pop()
        if isinstance(item, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(item))
    return False


class Loader:
    """Loads files statically; each file once (imports between user modules share them)."""

    def __init__(self):
        self.modules = {}      # absolute path -> StaticModule

    def load(self, path):
        path = os.path.abspath(path)
        if path in self.modules:
            return self.modules[path]
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise StaticError(f"cannot read the file: {exc.strerror}", path) from None
        lines = text.splitlines(True)
        try:
            tree = ast.parse(text, filename=path)
        except SyntaxError as exc:
            raise StaticError(f"invalid syntax: {exc.msg}", path, exc.lineno, exc.offset,
                              exc.text.rstrip("\n") if exc.text else None) from None
        name, root = _module_name(path)
        module = types.ModuleType(name)
        module.__dict__.update({"__builtins__": builtins, "__file__": path,
                                "__retrograd_default__": Placeholder(name, "<default>")})
        static = StaticModule(path, name, root, module, tree, lines)
        self.modules[path] = static
        for statement in tree.body:
            self._bind(static, statement)
        return static

    # -- top-level statements ------------------------------------------------------------

    def _bind(self, static, statement):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                self._import(static, statement, alias)
        elif isinstance(statement, ast.ImportFrom):
            self._import_from(static, statement)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            static.namespace[statement.name] = _compile_function(statement, static)
            static.bindings[statement.name] = Binding("function", statement.lineno)
            static.definitions[statement.name] = statement
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None \
                and _dotted(statement.value) is not None:
            value = _follow(_dotted(statement.value), static.namespace)
            for name in _stored_names(statement):
                if value is None or isinstance(value, Placeholder):
                    value = Placeholder(static.name, name)
                static.namespace[name] = value
                static.bindings[name] = Binding("value", statement.lineno)
        else:   # assignments, classes, and anything bound inside if/try/for/with blocks
            for name in _stored_names(statement):
                static.namespace[name] = Placeholder(static.name, name)
                static.bindings[name] = Binding("value", statement.lineno)

    def _import(self, static, statement, alias):
        dotted = alias.name
        user = self._find_user(static, dotted)
        if user is None:
            target = self._library(static, statement, dotted)
            top = self._library(static, statement, dotted.split(".")[0])
        else:
            target = self._load_user_chain(static, statement, dotted)
            top = self._load_user_chain(static, statement, dotted.split(".")[0])
        if alias.asname:
            static.namespace[alias.asname] = target
            line = (f"from {dotted.rpartition('.')[0]} import {dotted.rpartition('.')[2]} as "
                    f"{alias.asname}" if "." in dotted and user is not None else
                    f"import {dotted} as {alias.asname}")
            static.bindings[alias.asname] = Binding("import", statement.lineno, line)
        else:
            first = dotted.split(".")[0]
            static.namespace[first] = top
            static.bindings[first] = Binding("import", statement.lineno, f"import {dotted}")

    def _import_from(self, static, statement):
        base = _absolute_module(static, statement)
        if base is None:
            raise self._error(static, statement, "relative import beyond the top-level package")
        user = self._find_user(static, base, relative=statement.level > 0)
        if user is None and statement.level > 0:
            raise self._error(static, statement, f"cannot find module {base!r}")
        module = self._load_user_chain(static, statement, base) if user is not None \
            else self._library(static, statement, base)
        for alias in statement.names:
            if alias.name == "*":
                names = getattr(module, "__all__", None) or [
                    n for n in vars(module) if not n.startswith("_")]
                for name in names:
                    static.namespace[name] = getattr(module, name, Placeholder(base, name))
                    static.bindings[name] = Binding("import", statement.lineno,
                                                    f"from {base} import {name}")
                continue
            value = getattr(module, alias.name, None)
            if value is None:
                submodule = f"{base}.{alias.name}"
                if user is not None and self._find_user(static, submodule, relative=True):
                    value = self._load_user_chain(static, statement, submodule)
                elif user is None:
                    try:
                        value = importlib.import_module(submodule)
                    except ImportError:
                        raise self._error(static, statement, f"cannot import name "
                                          f"{alias.name!r} from {base!r}") from None
                else:
                    raise self._error(static, statement, f"{base} has no top-level name "
                                      f"{alias.name!r}")
            bound = alias.asname or alias.name
            static.namespace[bound] = value
            text = alias.name if not alias.asname else f"{alias.name} as {alias.asname}"
            static.bindings[bound] = Binding("import", statement.lineno,
                                             f"from {base} import {text}")

    # -- finding modules -------------------------------------------------------------------

    def _roots(self, static):
        here = os.path.dirname(static.path)
        return [here] if here == static.root else [here, static.root]

    def _find_user(self, static, dotted, relative=False):
        """The file of a user module ``dotted`` (absolute name), or None for a library."""
        roots = [static.root] if relative else self._roots(static)
        for root in roots:
            base = os.path.join(root, *dotted.split("."))
            for candidate in (base + ".py", os.path.join(base, "__init__.py")):
                if os.path.isfile(candidate):
                    return candidate
        return None

    def _load_user_chain(self, static, statement, dotted):
        """Load a user module and its parent packages; return the innermost module object."""
        parts = dotted.split(".")
        parent = None
        for count in range(1, len(parts) + 1):
            name = ".".join(parts[:count])
            found = self._find_user(static, name)
            if found is None:
                raise self._error(static, statement, f"cannot find module {name!r}")
            loaded = self.load(found).module
            if parent is not None:
                setattr(parent, parts[count - 1], loaded)
            parent = loaded
        return parent

    def _library(self, static, statement, dotted):
        try:
            return importlib.import_module(dotted)
        except Exception as exc:  # any failure of a library import is the user's to fix
            raise self._error(static, statement, f"cannot import {dotted}: {exc}") from None

    def _error(self, static, node, message):
        return StaticError(message, static.path, node.lineno, node.col_offset + 1,
                           static.line(node.lineno))


def _module_name(path):
    """(dotted name, root directory) of a file, following ``__init__.py`` upwards."""
    directory, filename = os.path.split(path)
    stem = os.path.splitext(filename)[0]
    parts = [] if stem == "__init__" else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    return ".".join(parts) or stem, directory


def _absolute_module(static, statement):
    if statement.level == 0:
        return statement.module
    package = static.name.split(".")
    if not static.path.endswith("__init__.py"):
        package = package[:-1]
    package = package[:len(package) - (statement.level - 1)]
    if not package:
        return None
    return ".".join(package + ([statement.module] if statement.module else []))


def _compile_function(node, static):
    """The function object of one top-level ``def``, without running anything else.

    Decorators, defaults and annotations are not evaluated: decorators are dropped, defaults
    become placeholders (the signature keeps its shape), annotations are removed."""
    node = copy.deepcopy(node)
    node.decorator_list = []
    node.returns = None
    arguments = node.args
    for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs + [
            arguments.vararg, arguments.kwarg]:
        if arg is not None:
            arg.annotation = None
    placeholder = ast.Name(id="__retrograd_default__", ctx=ast.Load())
    arguments.defaults = [ast.copy_location(copy.copy(placeholder), d)
                          for d in arguments.defaults]
    arguments.kw_defaults = [None if d is None else ast.copy_location(copy.copy(placeholder), d)
                             for d in arguments.kw_defaults]
    code = compile(ast.Module(body=[node], type_ignores=[]), static.path, "exec")
    scratch = {}
    exec(code, static.namespace, scratch)  # noqa: S102 - defines the function, runs nothing
    return scratch[node.name]


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def _follow(dotted, namespace):
    parts = dotted.split(".")
    value = namespace.get(parts[0])
    if value is None and hasattr(builtins, parts[0]):
        value = getattr(builtins, parts[0])
    for part in parts[1:]:
        if value is None or isinstance(value, Placeholder):
            return None
        value = getattr(value, part, None)
    return value


def _stored_names(statement):
    """Names a top-level statement may bind (anywhere inside it, except nested scopes)."""
    names = []
    stack = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return sorted(set(names))
