"""Adjoint rules of reductions (compiler/rules/reductions.py, runtime/reductions.py).

Every registered reduction has a spec: its input domain and which options it takes. Each is
checked with rg.grad against central differences in float64, as a function (``np.sum(x, ...)``)
and as an array method (``x.sum(...)``), over shapes, axes, ``keepdims`` and ``ddof`` drawn by
hypothesis. Options passed at run time exercise each template's general branch; functions
below that spell the options as literals exercise the branches decided at compile time.
"""
import builtins
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import retrograd as rg
from retrograd import rules
from gradcheck import assert_close, check_gradient

SCALAR = None   # a shape meaning "a Python float"


# =============================================================================================
# input domains
# =============================================================================================

def real(rng, shape):
    value = rng.uniform(-1.5, 1.5, size=shape if shape is not None else ())
    return float(value) if shape is None else value


def factors(rng, shape):
    """Magnitudes in [0.6, 1.4] of either sign: products of many stay moderate."""
    size = shape if shape is not None else ()
    value = rng.choice([-1.0, 1.0], size=size) * rng.uniform(0.6, 1.4, size=size)
    return float(value) if shape is None else value


def distinct(rng, shape):
    """Values at least 0.2 apart, so maxima and minima have no ties."""
    if shape is None:
        return float(rng.uniform(-1.0, 1.0))
    count = int(np.prod(shape))
    values = rng.permutation(count) * 0.3 - 0.15 * count + rng.uniform(-0.05, 0.05, count)
    return values.reshape(shape)


# =============================================================================================
# the spec table
# =============================================================================================

@dataclasses.dataclass(frozen=True)
class Spec:
    """How to test one reduction: its domain and the options it accepts."""
    name: str
    primitive: object
    domain: object
    method: str = None          # the ndarray method with the same rule
    keepdims: bool = True       # accepts keepdims=
    ddof: bool = False          # accepts ddof=
    cumulative: bool = False    # output has the input's size (cumsum, cumprod)


SPECS = [
    Spec("np.sum", np.sum, real, "sum"),
    Spec("np.mean", np.mean, real, "mean"),
    Spec("np.prod", np.prod, factors, "prod"),
    Spec("np.max", np.max, distinct, "max"),
    Spec("np.amax", np.amax, distinct),
    Spec("np.min", np.min, distinct, "min"),
    Spec("np.amin", np.amin, distinct),
    Spec("np.var", np.var, real, "var", ddof=True),
    Spec("np.std", np.std, real, "std", ddof=True),
    Spec("np.cumsum", np.cumsum, real, "cumsum", keepdims=False, cumulative=True),
    Spec("np.cumprod", np.cumprod, factors, "cumprod", keepdims=False, cumulative=True),
]
BY_NAME = {case.name: case for case in SPECS}

_LOSSES = {}


def loss_of(case):
    """f(x, weight, options) = sum(reduction(x, **options) * weight), built once so compiled
    derivatives are reused. Options are run-time values here."""
    if case.name in _LOSSES:
        return _LOSSES[case.name]
    primitive = case.primitive
    if case.ddof:
        def loss(x, weight, axis, keepdims, ddof):
            return np.sum(primitive(x, axis=axis, keepdims=keepdims, ddof=ddof) * weight)
    elif case.keepdims:
        def loss(x, weight, axis, keepdims):
            return np.sum(primitive(x, axis=axis, keepdims=keepdims) * weight)
    else:
        def loss(x, weight, axis):
            return np.sum(primitive(x, axis=axis) * weight)
    _LOSSES[case.name] = loss
    return loss


# The same as methods: `x.sum(...)` is looked up by method name, not by the function.
def sum_method(x, weight, axis, keepdims):
    return np.sum(x.sum(axis=axis, keepdims=keepdims) * weight)


def mean_method(x, weight, axis, keepdims):
    return np.sum(x.mean(axis=axis, keepdims=keepdims) * weight)


def prod_method(x, weight, axis, keepdims):
    return np.sum(x.prod(axis=axis, keepdims=keepdims) * weight)


def max_method(x, weight, axis, keepdims):
    return np.sum(x.max(axis=axis, keepdims=keepdims) * weight)


def min_method(x, weight, axis, keepdims):
    return np.sum(x.min(axis=axis, keepdims=keepdims) * weight)


def var_method(x, weight, axis, keepdims, ddof):
    return np.sum(x.var(axis=axis, keepdims=keepdims, ddof=ddof) * weight)


def std_method(x, weight, axis, keepdims, ddof):
    return np.sum(x.std(axis=axis, keepdims=keepdims, ddof=ddof) * weight)


def cumsum_method(x, weight, axis):
    return np.sum(x.cumsum(axis=axis) * weight)


def cumprod_method(x, weight, axis):
    return np.sum(x.cumprod(axis=axis) * weight)


METHOD_LOSSES = {"sum": sum_method, "mean": mean_method, "prod": prod_method,
                 "max": max_method, "min": min_method, "var": var_method, "std": std_method,
                 "cumsum": cumsum_method, "cumprod": cumprod_method}


# =============================================================================================
# shapes and options
# =============================================================================================

SHAPES = [SCALAR, (), (5,), (4, 3), (2, 3, 4)]


def axes_for(shape):
    """Reduction axes valid for a shape: None, single (also negative) axes, tuples."""
    ndim = 0 if shape is None else len(shape)
    found = [None]
    if ndim >= 1:
        found += [0, -1]
    if ndim >= 2:
        found += [1, (0, 1), (-1, 0)]
    if ndim >= 3:
        found += [(0, 2), (0, 1, 2)]
    return found


def shapes_for(case, as_method):
    shapes = SHAPES
    if as_method:
        # The central-difference reference passes a 0-d array's perturbations as floats.
        shapes = [s for s in shapes if s]
    if case.cumulative:
        shapes = [s for s in shapes if s != ()]
    if case.name == "np.std":
        # the standard deviation of one number is 0 = sqrt(0), where sqrt has no derivative
        shapes = [s for s in shapes if s]
    return shapes


@st.composite
def reduction_case(draw, case, as_method):
    shape = draw(st.sampled_from(shapes_for(case, as_method)), label="shape")
    axes = [a for a in axes_for(shape) if not (case.cumulative and isinstance(a, tuple))]
    axis = draw(st.sampled_from(axes), label="axis")
    options = {"axis": axis}
    if case.keepdims:
        options["keepdims"] = draw(st.booleans(), label="keepdims")
    if case.ddof:
        counted = _reduced_count(shape, axis)
        options["ddof"] = draw(st.sampled_from([0, 1] if counted > 1 else [0]), label="ddof")
    if shape is SCALAR and (axis is not None or options.get("keepdims")):
        options = {"axis": None, **({"keepdims": False} if case.keepdims else {}),
                   **({"ddof": 0} if case.ddof else {})}
    seed = draw(st.integers(0, 2 ** 16), label="seed")
    return shape, options, seed


def _reduced_count(shape, axis):
    shape = shape or ()
    if axis is None:
        return int(np.prod(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes]))


def check_case(case, as_method, shape, options, seed):
    rng = np.random.default_rng(seed)
    x = case.domain(rng, shape)
    output = case.primitive(x, **options)
    weight = rng.uniform(0.5, 1.5, size=np.shape(output))
    f = METHOD_LOSSES[case.method] if as_method else loss_of(case)
    gradient = check_gradient(f, x, weight, *options.values())
    assert_structure(gradient, x)
    return gradient


def assert_structure(gradient, argument):
    if isinstance(argument, float):
        assert isinstance(gradient, float), f"expected a float, got {type(gradient).__name__}"
    elif argument.ndim == 0:
        # 0-d arrays: see test_zero_dimensional_argument_gets_an_array_gradient (elementwise)
        assert np.shape(gradient) == ()
    else:
        assert isinstance(gradient, np.ndarray), \
            f"expected an ndarray, got {type(gradient).__name__}"
        assert gradient.shape == argument.shape and gradient.dtype.kind == "f"


# =============================================================================================
# the rules against central differences, options at run time
# =============================================================================================

@pytest.mark.parametrize("case", SPECS, ids=lambda c: c.name)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_reduction_function_matches_central_differences(case, data):
    shape, options, seed = data.draw(reduction_case(case, False))
    check_case(case, False, shape, options, seed)


@pytest.mark.parametrize("case", [c for c in SPECS if c.method], ids=lambda c: f"x.{c.method}")
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_reduction_method_matches_central_differences(case, data):
    shape, options, seed = data.draw(reduction_case(case, True))
    check_case(case, True, shape, options, seed)


def test_every_reduction_has_a_spec():
    rules.load_families()
    tested = {id(case.primitive) for case in SPECS} | {id(builtins.sum)}  # builtin: below
    missing = sorted(rule.name for key, rule in rules.ADJOINTS.items()
                     if rule.family == "reductions" and key not in tested)
    assert not missing, f"reduction rules without a spec in SPECS: {missing}"


def test_every_reduction_method_has_a_spec():
    rules.load_families()
    methods = {name for name, rule in rules.METHODS.items() if rule.family == "reductions"}
    tested = {case.method for case in SPECS if case.method} & set(METHOD_LOSSES)
    assert methods <= tested, f"reduction methods without a spec: {sorted(methods - tested)}"


# =============================================================================================
# options spelled as literals: the branches a template decides at compile time
# =============================================================================================

rng_ = np.random.default_rng(5)
M43 = rng_.uniform(-1.5, 1.5, size=(4, 3))
T234 = rng_.uniform(-1.5, 1.5, size=(2, 3, 4))
V5 = rng_.uniform(-1.5, 1.5, size=5)
W4, W3 = rng_.uniform(0.5, 1.5, size=4), rng_.uniform(0.5, 1.5, size=3)
W41 = rng_.uniform(0.5, 1.5, size=(4, 1))
W43 = rng_.uniform(0.5, 1.5, size=(4, 3))
W5 = rng_.uniform(0.5, 1.5, size=5)
DISTINCT43 = distinct(rng_, (4, 3))
FACTORS43 = factors(rng_, (4, 3))
FACTORS5 = factors(rng_, 5)


def sum_all(x):
    return np.sum(x) * 2.0


def sum_method_all(x):
    return x.sum() * 2.0


def sum_axis0(x):
    return np.sum(x, axis=0) @ W3


def sum_method_keepdims(x):
    return np.sum(x.sum(axis=1, keepdims=True) * W41)


def sum_positional_axis(x):
    return np.sum(x, 1) @ W4


def sum_axis_tuple(x):
    return np.sum(np.sum(x, axis=(0, 2)) * W3)


def mean_all(x):
    return np.mean(x) * 2.0


def mean_method_axis(x):
    return x.mean(axis=-1) @ W4


def mean_keepdims_all(x):
    return np.sum(np.mean(x, keepdims=True) * 3.0)


def prod_all(x):
    return np.prod(x) * 2.0


def prod_method_axis(x):
    return x.prod(axis=0) @ W3


def max_all(x):
    return np.max(x) * 2.0


def max_method_keepdims(x):
    return np.sum(x.max(axis=1, keepdims=True) * W41)


def amin_axis(x):
    return np.amin(x, axis=0) @ W3


def min_method_all(x):
    return x.min() * 2.0


def var_all(x):
    return np.var(x) * 2.0


def var_method_ddof(x):
    return x.var(ddof=1) * 2.0


def var_axis(x):
    return np.var(x, axis=0) @ W3


def var_axis_ddof(x):
    return np.var(x, axis=1, ddof=1) @ W4


def std_all(x):
    return np.std(x) * 2.0


def std_method_ddof(x):
    return x.std(ddof=1) * 2.0


def std_axis(x):
    return np.std(x, axis=0) @ W3


def std_axis_ddof_keepdims(x):
    return np.sum(x.std(axis=1, ddof=1, keepdims=True) * W41)


def cumsum_vector(v):
    return np.sum(np.cumsum(v) * W5)


def cumsum_method_matrix(x):
    return np.sum(x.cumsum() * np.arange(1.0, 13.0))


def cumsum_axis(x):
    return np.sum(np.cumsum(x, axis=1) * W43)


def cumprod_vector(v):
    return np.cumprod(v) @ W5


def cumprod_method_axis(x):
    return np.sum(x.cumprod(axis=0) * W43)


LITERAL_FORMS = [
    (sum_all, M43), (sum_all, 0.7), (sum_method_all, T234), (sum_axis0, M43),
    (sum_method_keepdims, M43), (sum_positional_axis, M43), (sum_axis_tuple, T234),
    (mean_all, M43), (mean_method_axis, M43), (mean_keepdims_all, T234),
    (prod_all, FACTORS43), (prod_method_axis, FACTORS43),
    (max_all, DISTINCT43), (max_method_keepdims, DISTINCT43), (amin_axis, DISTINCT43),
    (min_method_all, DISTINCT43),
    (var_all, M43), (var_method_ddof, M43), (var_axis, M43), (var_axis_ddof, M43),
    (std_all, M43), (std_method_ddof, M43), (std_axis, M43), (std_axis_ddof_keepdims, M43),
    (cumsum_vector, V5), (cumsum_method_matrix, M43), (cumsum_axis, M43),
    (cumprod_vector, FACTORS5), (cumprod_method_axis, FACTORS43),
]


@pytest.mark.parametrize("f, x", LITERAL_FORMS,
                         ids=[f"{f.__name__}-{np.shape(x)}" for f, x in LITERAL_FORMS])
def test_reduction_with_literal_options(f, x):
    gradient = check_gradient(f, np.copy(x) if isinstance(x, np.ndarray) else x)
    assert_structure(gradient, x)


# =============================================================================================
# products with zeros, cumulative products with zeros
# =============================================================================================

def prod_rows(x):
    return np.prod(x, axis=1) @ W4


@pytest.mark.parametrize("zeros", [[(0, 0)], [(1, 2), (3, 0)], [(2, 0), (2, 1)]],
                         ids=["one zero", "zeros in two rows", "two zeros in a row"])
def test_prod_with_zeros(zeros):
    x = FACTORS43.copy()
    for index in zeros:
        x[index] = 0.0
    check_gradient(prod_rows, x)
    check_gradient(prod_all, x)


def cumprod_columns(x):
    return np.sum(np.cumprod(x, axis=0) * W43)


@pytest.mark.parametrize("f", [cumprod_columns, cumprod_method_axis, cumprod_vector],
                         ids=lambda f: f.__name__)
def test_cumprod_with_zeros(f):
    x = (FACTORS5 if f is cumprod_vector else FACTORS43).copy()
    x[1] = 0.0
    x[-1] = 0.0
    gradient = check_gradient(f, x)
    assert np.all(np.isfinite(gradient))


def cumprod_all(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, 13.0))


def test_cumprod_over_the_flattened_array_with_a_zero():
    x = FACTORS43.copy()
    x[2, 1] = 0.0
    check_gradient(cumprod_all, x)


# =============================================================================================
# the builtin sum, and reductions of lists
# =============================================================================================

def builtin_sum_of_floats(x, y):
    return sum([x, y, x * y])


def builtin_sum_of_arrays(a, b):
    return np.sum(sum([a, b, a * b]) * W43)


def builtin_sum_of_mixed(a, s):
    return np.sum(sum([a, s, s * s, a[0]]) * W43)


def builtin_sum_with_start(a, s):
    return np.sum(sum((a, a * a), s) * W43)


def builtin_sum_over_rows(x):
    return sum(x) @ W3


def numpy_sum_of_a_list(x, y):
    return np.sum([x, y * y, x * y]) + np.mean([x, y])


@pytest.mark.parametrize("f, args", [
    (builtin_sum_of_floats, (0.7, -1.2)),
    (builtin_sum_of_arrays, (M43, W43 - 1.0)),
    (builtin_sum_of_mixed, (M43, 0.4)),
    (builtin_sum_with_start, (M43, W3)),
    (numpy_sum_of_a_list, (0.7, -1.2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_builtin_sum_of_a_sequence(f, args):
    gradients = check_gradient(f, *[np.copy(a) if isinstance(a, np.ndarray) else a
                                    for a in args], wrt=(0, 1))
    for gradient, argument in zip(gradients, args):
        assert_structure(gradient, np.asarray(argument) if isinstance(argument, np.ndarray)
                         else argument)


WEIGHTS3 = np.array([1.0, -2.0, 3.0])


def max_of_list(a, b):
    return np.max([a, b * b, 0.3]) * 2.0


def amin_of_list(a, b):
    return np.amin([a, b * b, 0.3]) * 2.0


def var_of_list(a, b):
    return np.var([a, b * b, 0.3])


def std_of_list(a, b):
    return np.std([a, b * b, 0.3], ddof=1)


def prod_of_list(a, b):
    return np.prod([a, b * b, 0.3])


def mean_of_list(a, b):
    return np.mean([a, b * b, 0.3])


def cumsum_of_list(a, b):
    return np.sum(np.cumsum([a, b * b, 0.3]) * WEIGHTS3)


def cumprod_of_list(a, b):
    return np.sum(np.cumprod([a, b * b, 0.3]) * WEIGHTS3)


@pytest.mark.parametrize("f", [max_of_list, amin_of_list, var_of_list, std_of_list,
                               prod_of_list, mean_of_list, cumsum_of_list, cumprod_of_list],
                         ids=lambda f: f.__name__)
def test_reduction_of_a_list_of_active_scalars(f):
    check_gradient(f, 0.7, -1.1, wrt=(0, 1))


def spread_of_list(values):
    return np.var(values) + np.max(values) - np.min(values)


def test_reduction_of_a_list_argument_keeps_the_list():
    gradient = check_gradient(spread_of_list, [0.5, 1.7, -0.2])
    assert isinstance(gradient, list) and len(gradient) == 3


def test_builtin_sum_over_the_rows_of_an_array():
    check_gradient(builtin_sum_over_rows, M43.copy())


def test_builtin_sum_of_a_list_argument_keeps_the_list():
    def f(values):
        return sum(values) * 2.0
    gradient = rg.grad(f)([0.5, 1.5, -0.3])
    assert isinstance(gradient, list)
    assert_close(gradient, [2.0, 2.0, 2.0])


# =============================================================================================
# ties, accumulation and generated code
# =============================================================================================

def test_tied_maxima_share_the_cotangent():
    """max is not differentiable at a tie; the rule's subgradient splits the cotangent
    equally, so it still sums to the cotangent."""
    x = np.array([[0.3, 0.9, 0.9], [0.2, 0.1, 0.2], [0.5, 0.5, 0.5], [0.1, 0.2, 0.3]])
    gradient = rg.grad(max_method_keepdims)(x)
    assert_close(gradient.sum(axis=1), W41[:, 0])
    assert gradient[0, 0] == 0.0 and gradient[0, 1] == gradient[0, 2]
    assert gradient[2, 0] == gradient[2, 1] == gradient[2, 2]
    assert_close(rg.grad(max_all)(np.array([1.0, 1.0])), np.array([1.0, 1.0]))


def reduced_twice(x):
    return np.sum(x, axis=0) @ W3 + np.sum(x * x) + np.max(x, axis=1) @ W4 + x.mean()


def test_gradients_of_several_reductions_of_one_array_accumulate():
    check_gradient(reduced_twice, DISTINCT43.copy())


def adjoint_lines(f, *args):
    text = rg.source(rg.grad(f), *args)
    body = text.split("\ndef ", 1)[1]
    return [line.strip() for line in body.splitlines()[1:]
            if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("f", [var_all, std_all, var_axis, std_axis],
                         ids=lambda f: f.__name__)
def test_default_ddof_emits_no_subtraction_of_zero(f):
    lines = adjoint_lines(f, M43)
    assert not any("- 0)" in line for line in lines), lines


def cumsum_scaled(v):
    return np.sum(np.cumsum(v) * 2.0)


@pytest.mark.parametrize("f", [sum_all, mean_all, var_all, std_all, max_all, cumsum_scaled],
                         ids=lambda f: f.__name__)
def test_full_reduction_emits_no_runtime_helper(f):
    x = V5 if f is cumsum_scaled else DISTINCT43
    helpers = [line for line in adjoint_lines(f, x)
               if "rt." in line.replace("rt.seed(", "")]   # seeding is the pass's business
    assert not helpers, helpers
