"""The public API: grad, value_and_grad, vjp, source, check_grad, register_adjoint.

Derived functions are ordinary Python functions with the signature of the original; the
first call compiles the derivative (cached per function, wrt, form, options and the kinds
of the arguments: number/array versus list/tuple/dict), later calls run the generated code
directly.
"""
import functools
import inspect
import threading

import numpy as np

import retrograd.runtime as rt

from . import pipeline, rules
from .display import attach_display
from .errors import DifferentiationError
from .passes import resolve

_CACHE = {}
_LOCK = threading.RLock()


class _Spec:
    """What a derived function is: which function, which parameters, which form."""

    def __init__(self, function, wrt, form, options):
        self.inner = getattr(function, "__retrograd__", None)
        if self.inner is not None and self.inner.form not in ("grad", "jvp"):
            raise DifferentiationError(
                f"cannot differentiate the result of rg.{self.inner.form} again",
                hint="differentiate rg.grad(f) or rg.jvp(f), or the original function")
        self.function = function
        self.form = form
        self.options = dict(options)
        self.params, self.signature = _parameters(function)
        self.wrt_names, self.single = _resolve_wrt(function, self.params, wrt)
        self.positions = [self.params.index(n) for n in self.wrt_names]
        self._fast = {}
        self._kinds_by_shape = {}

    def module(self, kinds=None):
        """The compiled module for arguments of these kinds: per parameter, 'list', 'tuple',
        'dict', or (number of dimensions, a class per dimension) for numbers and arrays (see
        ``kinds``). Looked up in a per-function table first: this runs on every call."""
        kinds = kinds or tuple(None for _ in self.params)
        module = self._fast.get(kinds)
        if module is None:
            key = (self.function, self.wrt_names, self.form,
                   tuple(sorted(self.options.items())), kinds)
            with _LOCK:
                module = _CACHE.get(key)
                if module is None:
                    containers = {p: k for p, k in zip(self.params, kinds) if type(k) is str}
                    ranks = {p: k[0] for p, k in zip(self.params, kinds) if type(k) is tuple}
                    dims = {p: k[1] for p, k in zip(self.params, kinds)
                            if type(k) is tuple and k[1] is not None}
                    first = {}
                    same_shape = {p: first.setdefault(d, p) for p, d in dims.items() if d}
                    module = pipeline.derive(self.target(kinds), self.wrt_names, self.form,
                                             self.options, containers, ranks, same_shape,
                                             param_dims=dims)
                    _CACHE[key] = module
                self._fast[kinds] = module
        if module.cells:
            module.refresh()
        return module

    def target(self, kinds):
        """The Python function to compile: the original, or for a derived function (higher
        order) the generated code it runs for arguments of these kinds."""
        if self.inner is None:
            return self.function
        module = self.inner.module(kinds)
        return module.functions[module.entry]

    def bind(self, args, kwargs):
        if kwargs or len(args) != len(self.params):
            bound = self.signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = [bound.arguments[p] for p in self.params]
        else:
            values = args
        for position, name in zip(self.positions, self.wrt_names):
            _check_differentiable(values[position], name, self.function)
        return values

    def kinds(self, values):
        """``_kinds`` of these arguments, looked up by their types and shapes (every call)."""
        key = tuple([v.shape if type(v) is np.ndarray else type(v) for v in values])
        kinds = self._kinds_by_shape.get(key)
        if kinds is None:
            if len(self._kinds_by_shape) > 256:
                self._kinds_by_shape.clear()
            kinds = self._kinds_by_shape[key] = self._kinds(values)
        return kinds

    def _kinds(self, values):
        """Per argument: 'list', 'tuple', 'dict', None (unknown), or for a number or an array
        (ndim, dims) where dims names each dimension's size by a class: 1 for a size of one,
        else 2, 3, ... in order of first appearance across the arguments. Code compiled for
        these kinds knows which dimensions are equal and which broadcast, not the sizes: one
        compilation serves every batch size."""
        kinds, sizes = [], {1: 1}
        for value in values:
            kind = _KINDS.get(type(value), _KINDS)
            if kind is _KINDS:
                if isinstance(value, (np.ndarray, np.generic)):
                    kind = (value.ndim, tuple([sizes.setdefault(n, len(sizes) + 1)
                                               for n in value.shape]))
                else:
                    kind = None
            kinds.append(kind)
        return tuple(kinds)

    def shape_like(self, grads, values):
        if self.single:
            return _like(grads, values[self.positions[0]])
        if len(self.positions) == 1:      # wrt=(0,): generated code returns the bare gradient
            grads = (grads,)
        for g, p in zip(grads, self.positions):     # usually all have their form already
            value = values[p]
            kind = type(value)
            if not (kind is np.ndarray and type(g) is np.ndarray and g.shape == value.shape
                    or kind is float and type(g) is float):
                return tuple(_like(g, values[p]) for g, p in zip(grads, self.positions))
        return grads


def _like(gradient, value):
    """The gradient with the type and structure of the argument (fast when it has them)."""
    kind = type(value)
    if kind is float and type(gradient) is float:
        return gradient
    if kind is np.ndarray and type(gradient) is np.ndarray and gradient.shape == value.shape:
        return gradient
    return rt.like(gradient, value)


_KINDS = {list: "list", tuple: "tuple", dict: "dict", float: (0, ()), int: (0, ()),
          bool: (0, ())}


def _parameters(function):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        raise DifferentiationError(
            f"{function!r} has no Python signature to differentiate",
            hint="differentiate a Python function defined with `def`") from None
    params = [p.name for p in signature.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return params, signature


def _where(function):
    code = getattr(function, "__code__", None)
    if code is None:
        return {}
    import linecache
    return {"filename": code.co_filename, "lineno": code.co_firstlineno,
            "source_line": linecache.getline(code.co_filename, code.co_firstlineno)}


def _resolve_wrt(function, params, wrt):
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise DifferentiationError(f"wrt must be a parameter position or name, not {item!r}",
                                       **_where(function))
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise DifferentiationError(
                    f"wrt={item} is out of range: {function.__name__} has {len(params)} "
                    f"parameter(s) ({', '.join(params)})", **_where(function),
                    hint="count parameters from 0, or name them: wrt='x'")
            names.append(params[item])
        else:
            if item not in params:
                raise DifferentiationError(
                    f"wrt={item!r} is not a parameter of {function.__name__} "
                    f"({', '.join(params)})", **_where(function))
            names.append(item)
    if len(set(names)) != len(names):
        raise DifferentiationError(f"wrt names a parameter twice: {wrt!r}", **_where(function))
    return tuple(names), single


def _check_differentiable(value, name, function):
    kind = type(value)
    if kind is float or kind is np.ndarray and value.dtype.kind == "f":
        return                         # the common case, on every call: fast
    if isinstance(value, (bool, int, np.integer, np.bool_)) or (
            isinstance(value, np.ndarray) and value.dtype.kind in "biu"):
        raise DifferentiationError(
            f"cannot differentiate with respect to `{name}`: it holds an integer or boolean "
            f"value ({value!r}), which carries no gradient", **_where(function),
            hint="pass a float (e.g. 2.0 or x.astype(float)) or differentiate with respect to "
                 "another parameter")


def _derived(function, spec, call):
    derived = functools.wraps(function)(call)   # no extra frame: this runs on every call
    derived.__retrograd__ = spec
    derived.__name__ = f"{spec.form}_{function.__name__}"
    derived.__qualname__ = derived.__name__
    del derived.__wrapped__            # the derived function is not the original...
    derived.__signature__ = spec.signature   # ...but takes the same arguments
    return attach_display(derived)


def grad(f=None, wrt=0, *, optimize=True):
    """The gradient of scalar-valued ``f`` with respect to the parameter(s) ``wrt``.

    ``wrt`` is a position, a name, or a tuple of them (then a tuple of gradients is returned).
    Usable as ``rg.grad(f)``, ``@rg.grad`` and ``@rg.grad(wrt=1)``.
    """
    if f is None:
        return lambda g: grad(g, wrt, optimize=optimize)
    inner = getattr(f, "__retrograd__", None)
    if inner is not None and inner.form == "jvp":
        return _grad_of_jvp(f, wrt, optimize)
    if inner is not None:
        return _grad_by_forward_mode(f, wrt, optimize)
    spec = _Spec(f, wrt, "grad", {"optimize": optimize})

    def call(*args, **kwargs):
        values = spec.bind(args, kwargs)
        module = spec.module(spec.kinds(values))
        return spec.shape_like(module.functions[module.entry](*values), values)
    return _derived(f, spec, call)


def value_and_grad(f=None, wrt=0, *, optimize=True):
    """Like ``grad``, but the derived function returns ``(f(...), gradient)``."""
    if f is None:
        return lambda g: value_and_grad(g, wrt, optimize=optimize)
    spec = _Spec(f, wrt, "value_and_grad", {"optimize": optimize})

    def call(*args, **kwargs):
        values = spec.bind(args, kwargs)
        module = spec.module(spec.kinds(values))
        value, grads = module.functions[module.entry](*values)
        return value, spec.shape_like(grads, values)
    return _derived(f, spec, call)


def vjp(f, wrt=0, *, optimize=True):
    """``rg.vjp(f)(*args) -> (value, pullback)``; ``pullback(cotangent)`` gives the gradient(s)
    of ``<cotangent, f(*args)>``, for outputs of any shape."""
    spec = _Spec(f, wrt, "vjp", {"optimize": optimize})

    def call(*args, **kwargs):
        values = spec.bind(args, kwargs)
        module = spec.module(spec.kinds(values))
        value, saved = module.functions[module.entry](*values)
        backward = module.functions[module.backward]

        def pullback(cotangent):
            fresh = tuple(list(s) if type(s) is list else s for s in saved)
            grads = backward(fresh, cotangent)
            return spec.shape_like(grads[0] if spec.single else grads, values)
        return value, pullback
    return _derived(f, spec, call)


def jvp(f, wrt=0, *, optimize=True):
    """Forward mode: ``rg.jvp(f, wrt)(*args, tangent=t) -> (f(*args), directional derivative)``.

    ``tangent`` has the structure of the ``wrt`` argument (a tuple of them for several).

    With ``batched=True``, ``tangent`` holds ``K`` directions along a leading axis (shape
    ``(K,) + x.shape`` for each array or number ``x``; the same container of such arrays for
    a list, tuple or dict) and the derivative has a leading axis of ``K`` too: one pass of
    generated code that pushes all directions through NumPy at once. Where some operation has
    no batched rule (e.g. a user ``register_tangent`` rule), it makes one pass per direction
    and stacks the results: the same numbers, more slowly."""
    spec = _Spec(f, wrt, "jvp", {"optimize": optimize})
    batch_spec = _Spec(f, wrt, "jvp_batch", {"optimize": optimize})
    from .passes.forward import tangent_parameters

    def call(*args, tangent, batched=False, **kwargs):
        values = spec.bind(args, kwargs)
        kinds = spec.kinds(values)
        tangents = (tangent,) if spec.single else tuple(tangent)
        if len(tangents) != len(spec.wrt_names):
            raise DifferentiationError(
                f"jvp of {f.__name__} needs {len(spec.wrt_names)} tangent(s), one per wrt "
                f"parameter ({', '.join(spec.wrt_names)}); got {len(tangents)}",
                **_where(f))
        names = tangent_parameters(spec.target(kinds), spec.wrt_names)
        if batched:
            return _batched_jvp(spec, batch_spec, values, kinds, tangents, names)
        module = spec.module(kinds)
        keywords = {names[p]: t for p, t in zip(spec.wrt_names, tangents)}
        value, derivative = module.functions[module.entry](*values, **keywords)
        return value, rt.like(derivative, value)
    return _derived(f, spec, call)


_UNBATCHABLE = {}     # (batched spec, kinds) -> why it has no batched code


def _batched_module(batch_spec, kinds):
    """The compiled batched tangent module for arguments of these kinds, or None when some
    primitive on the way has no batched rule (remembered, so it is not compiled again)."""
    key = (id(batch_spec), kinds)
    if key in _UNBATCHABLE:
        return None
    try:
        return batch_spec.module(kinds)
    except rules.Unbatchable as exc:
        _UNBATCHABLE[key] = (batch_spec, str(exc))
        return None


def _batched_jvp(spec, batch_spec, values, kinds, tangents, names):
    """``(value, derivatives)`` for a batch of directions: one pass of batched code, or where
    that cannot be generated, one pass of the tangent code per direction."""
    k = _directions(tangents)
    module = _batched_module(batch_spec, kinds) if k else None
    if module is not None:
        keywords = {names[p]: t for p, t in zip(spec.wrt_names, tangents)}
        value, derivative = module.functions[module.entry](*values, **keywords)
        return value, rt.batch.like(derivative, value, k)
    single = spec.module(kinds)
    value, derivatives = None, []
    for j in range(k):
        keywords = {names[p]: rt.batch.pick(t, j) for p, t in zip(spec.wrt_names, tangents)}
        value, derivative = single.functions[single.entry](*values, **keywords)
        derivatives.append(rt.like(derivative, value))
    if not derivatives:
        value = spec.target(kinds)(*values)
        return value, rt.batch.zeros_like(value, 0)
    return value, rt.batch.like(rt.batch.stack(derivatives), value, k)


def _directions(tangents):
    """The number of directions ``K`` of batched tangents (all leaves must agree)."""
    sizes = set()

    def visit(tangent):
        if isinstance(tangent, (list, tuple)):
            for item in tangent:
                visit(item)
        elif isinstance(tangent, dict):
            for item in tangent.values():
                visit(item)
        else:
            if np.ndim(tangent) == 0:
                raise DifferentiationError(
                    "batched=True needs tangents with a leading axis of directions, "
                    f"got {tangent!r}", hint="pass e.g. np.eye(x.size).reshape((-1,) + x.shape)")
            sizes.add(len(tangent))
    visit(tangents)
    if len(sizes) != 1:
        raise DifferentiationError(
            f"batched tangents disagree on the number of directions: {sorted(sizes)}")
    return sizes.pop()


def _batched_source(derived, *args):
    """The batched tangent module source of ``rg.jvp(f)`` for these arguments, or None when
    it falls back to one pass per direction."""
    spec = derived.__retrograd__
    batch_spec = _Spec(spec.function, spec.wrt_names if not spec.single else spec.wrt_names[0],
                       "jvp_batch", spec.options)
    module = _batched_module(batch_spec, spec.kinds(spec.bind(args, {})))
    return None if module is None else module.source


def _grad_by_forward_mode(f, wrt, optimize):
    """The gradient of a derived function (``rg.grad(rg.grad(f))``): forward mode through its
    generated code, one direction per element of each ``wrt`` argument."""
    params, _ = _parameters(f)
    names, single = _resolve_wrt(f, params, wrt)
    forward = jvp(f, wrt=names, optimize=optimize)

    def call(*args, **kwargs):
        spec = forward.__retrograd__
        values = spec.bind(args, kwargs)
        columns = _columns(forward, values, spec, names)
        grads = []
        for name, position in zip(names, spec.positions):
            x = values[position]
            derivatives = columns[name]
            if np.size(derivatives) != np.size(x):
                _scalar_output(derivatives[0], f)   # refuses a non-scalar output
            grads.append(float(np.reshape(derivatives, ())) if np.ndim(x) == 0
                         and not isinstance(x, np.ndarray)
                         else np.reshape(np.asarray(derivatives, dtype=float), np.shape(x)))
        return grads[0] if single else tuple(grads)
    return _derived(f, _Spec(f, wrt, "grad", {"optimize": optimize}), call)


def _grad_of_jvp(derived, wrt, optimize):
    """``rg.grad(rg.jvp(f, wrt=a), wrt=b)(*args, tangent=v)``: the gradient with respect to
    ``b`` of the directional derivative of scalar ``f`` along ``v`` (the Hessian times ``v``
    when ``a == b``). Second derivatives of a twice-differentiable function commute, so that
    is the derivative along ``v`` of the gradient with respect to ``b``: one forward pass over
    the generated gradient (forward-over-reverse), rather than one pass per element of ``b``."""
    inner = derived.__retrograd__
    f = inner.function
    params, _ = _parameters(f)
    names, single = _resolve_wrt(f, params, wrt)
    along = inner.wrt_names[0] if inner.single else inner.wrt_names
    forward = jvp(grad(f, wrt=names[0] if single else names, optimize=optimize), wrt=along,
                  optimize=optimize)

    def call(*args, tangent, **kwargs):     # (a non-scalar f is refused by its gradient)
        return forward(*args, tangent=tangent, **kwargs)[1]
    spec = _Spec(f, wrt, "grad", {"optimize": optimize})
    return _derived(f, spec, call)


def _columns(forward, values, spec, names):
    """{name: array whose row ``k`` is the directional derivative along unit vector ``k`` of
    that argument}: one batched forward pass over all unit vectors of all the arguments
    (which itself makes one pass per direction where batched code cannot be generated)."""
    sizes = []
    for name, position in zip(names, spec.positions):
        x = values[position]
        if isinstance(x, (list, tuple, dict)):
            raise DifferentiationError(
                f"higher derivatives with respect to a {type(x).__name__} argument (`{name}`) "
                "are not supported", hint="pass the values as one array")
        sizes.append(int(np.size(x)))
    total = sum(sizes)
    if total == 0:
        return {name: np.zeros((0,)) for name in names}
    tangents, offset = [], 0
    for size, position in zip(sizes, spec.positions):     # the unit vectors, block by block
        block = np.zeros((total, size))
        block[offset:offset + size] = np.eye(size)
        tangents.append(np.reshape(block, (total,) + np.shape(values[position])))
        offset += size
    _, derivatives = forward(*values, tangent=tangents[0] if spec.single else tuple(tangents),
                             batched=True)
    derivatives = np.asarray(derivatives, dtype=float)
    result, offset = {}, 0
    for name, size in zip(names, sizes):
        result[name] = derivatives[offset:offset + size]
        offset += size
    return result


def _scalar_output(value, f):
    if np.size(value) != 1:
        raise DifferentiationError(
            f"grad needs a scalar output, but {getattr(f, '__name__', f)} returns "
            f"{np.shape(value)}-shaped values", hint="use rg.jacobian for non-scalar outputs")
    return float(np.reshape(value, ()))


def hessian(f, wrt=0, *, optimize=True):
    """``rg.hessian(f)(x, ...)``: second derivatives of scalar ``f`` with respect to one
    parameter, by forward mode over the generated gradient (forward-over-reverse). The
    result has shape ``x.shape + x.shape`` (a float for a float ``x``)."""
    gradient = grad(f, wrt=wrt, optimize=optimize)
    return jacobian(gradient, wrt=wrt, optimize=optimize, mode="forward")


def hvp(f, wrt=0, *, optimize=True):
    """``rg.hvp(f)(x, ..., v)``: the Hessian of scalar ``f`` times ``v`` without forming it
    (one forward-mode pass over the generated gradient). ``v`` is the last argument."""
    gradient = grad(f, wrt=wrt, optimize=optimize)
    forward = jvp(gradient, wrt=wrt, optimize=optimize)

    @functools.wraps(f)
    def product(*args):
        *values, direction = args
        return forward(*values, tangent=direction)[1]
    return product


def jacobian(f, wrt=0, *, optimize=True, mode=None):
    """``rg.jacobian(f)(x, ...)``: the derivative of array-valued ``f`` with respect to one
    parameter, shaped ``f(x).shape + x.shape``. Built from forward-mode columns when the input
    is smaller than the output, else from reverse-mode rows (``mode`` forces either)."""
    if isinstance(wrt, (tuple, list)):
        raise DifferentiationError("rg.jacobian takes one wrt parameter",
                                   hint="call it once per parameter")
    forward = jvp(f, wrt=wrt, optimize=optimize)
    backward = vjp(f, wrt=wrt, optimize=optimize) if mode != "forward" else None

    @functools.wraps(f)
    def matrix(*args, **kwargs):
        spec = forward.__retrograd__
        values = spec.bind(args, kwargs)
        x = values[spec.positions[0]]
        value = f(*values)
        out_shape, in_shape = np.shape(value), np.shape(x)
        use_forward = mode == "forward" or (mode is None and np.size(x) <= np.size(value))
        if not use_forward:
            value, pullback = backward(*values)
        if use_forward:
            columns = _columns(forward, values, spec, spec.wrt_names)[spec.wrt_names[0]]
            stacked = np.moveaxis(np.reshape(columns, (-1,) + out_shape), 0, -1)
            result = np.reshape(stacked, out_shape + in_shape)
        else:
            rows = []
            for k in range(int(np.size(value))):
                cotangent = np.zeros(out_shape)
                cotangent.flat[k] = 1.0
                rows.append(np.asarray(pullback(cotangent if out_shape else 1.0), dtype=float))
            result = np.reshape(np.stack(rows), out_shape + in_shape)
        return float(result) if result.shape == () and not isinstance(x, np.ndarray) else result
    return matrix


def source(derived, *args):
    """The generated module source of a derived function (``rg.grad(f)`` and friends).

    With example arguments, the code specialised to their kinds (lists, tuples, dicts)."""
    spec = getattr(derived, "__retrograd__", None)
    if spec is None:
        raise DifferentiationError(
            f"{getattr(derived, '__name__', derived)!r} is not a derived function",
            hint="pass what rg.grad / rg.value_and_grad / rg.vjp returned")
    kinds = spec.kinds(spec.bind(args, {})) if args else None
    return spec.module(kinds).source


def check_grad(f, *args, wrt=0, eps=1e-6):
    """Max relative error between ``rg.grad(f, wrt)`` and central differences at ``args``."""
    got = grad(f, wrt)(*args)
    params, _ = _parameters(f)
    names, single = _resolve_wrt(f, params, wrt)
    got = (got,) if single else got
    worst = 0.0
    for name, g in zip(names, got):
        position = params.index(name)
        expected = numeric_gradient(f, args, position, eps)
        worst = max(worst, _relative_error(g, expected))
    return worst


def numeric_gradient(f, args, position, eps=1e-6):
    """Central-difference gradient of scalar ``f`` w.r.t. ``args[position]`` (number or array,
    or a list/tuple/dict of them)."""
    target = args[position]

    def evaluate(replacement):
        new = list(args)
        new[position] = replacement
        return float(f(*new))

    return _numeric(target, evaluate, eps)


def _numeric(value, evaluate, eps):
    if isinstance(value, (list, tuple)):
        out = []
        for i, item in enumerate(value):
            def rebuild(x, i=i):
                items = list(value)
                items[i] = x
                return evaluate(type(value)(items) if isinstance(value, tuple) else items)
            out.append(_numeric(item, rebuild, eps))
        return type(value)(out) if isinstance(value, tuple) else out
    if isinstance(value, dict):
        return {k: _numeric(v, lambda x, k=k: evaluate({**value, k: x}), eps)
                for k, v in value.items()}
    array = np.array(value, dtype=float)
    grad_ = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        plus, minus = array.copy(), array.copy()
        plus[index] += eps
        minus[index] -= eps
        up = evaluate(plus if array.shape else float(plus))
        down = evaluate(minus if array.shape else float(minus))
        grad_[index] = (up - down) / (2 * eps)
    return grad_ if array.shape else float(grad_)


def _relative_error(a, b):
    if isinstance(b, dict):
        return max([_relative_error(a[k], b[k]) for k in b] or [0.0])
    if isinstance(b, (list, tuple)):
        return max([_relative_error(x, y) for x, y in zip(a, b)] or [0.0])
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


def register_adjoint(function, *, check=False):
    """Register a user adjoint rule for ``function``; it takes precedence over its body.

    The rule receives ``(cotangent of the output, the output, *positional args)`` and returns
    one adjoint per positional argument (a tuple if there are several). With ``check=True``
    the rule is compared with central differences of ``function`` at random points in
    (0.1, 0.9) when it is registered, and refused if they disagree."""
    def register(rule):
        if check:
            _check_adjoint(function, rule)
        entry = resolve.CUSTOM.get(id(function), (function, None, None))
        resolve.CUSTOM[id(function)] = (function, rule, entry[2])
        with _LOCK:
            _CACHE.clear()
        return rule
    return register


def _check_adjoint(function, rule, points=3, tolerance=1e-5):
    params, _ = _parameters(function)
    rng = np.random.default_rng(0)
    for _ in range(points):
        args = [float(rng.uniform(0.1, 0.9)) for _ in params]
        out = function(*args)
        cotangent = np.ones_like(np.asarray(out, dtype=float)) if np.ndim(out) else 1.0
        adjoints = rule(cotangent, out, *args)
        adjoints = (adjoints,) if len(params) == 1 else tuple(adjoints)
        for position, adjoint_value in enumerate(adjoints):
            expected = numeric_gradient(lambda *a: float(np.sum(function(*a))), args, position)
            error = _relative_error(adjoint_value, expected)
            if error > tolerance:
                raise DifferentiationError(
                    f"the adjoint rule {rule.__name__} for {function.__name__} disagrees with "
                    f"central differences for argument `{params[position]}` at {args} "
                    f"(relative error {error:.1e})", **_where(rule),
                    hint="fix the rule, or register it without check=True if it is meant to "
                         "differ (e.g. a straight-through estimator)")


def register_tangent(function):
    """Register a user tangent (forward-mode) rule for ``function``.

    The rule receives ``(tangents of the positional args, the output, *positional args)``,
    with 0.0 for arguments without a tangent, and returns the output's tangent."""
    def register(rule):
        entry = resolve.CUSTOM.get(id(function), (function, None, None))
        resolve.CUSTOM[id(function)] = (function, entry[1], rule)
        with _LOCK:
            _CACHE.clear()
        return rule
    return register
