"""Adjoint rules of operators and elementwise functions (compiler/rules/elementwise.py).

Every registered primitive has a spec: its input domain (where it is smooth, so central
differences are a fair reference) and how many arguments it takes. Each spec is checked with
rg.grad against central differences in float64 on shapes drawn by hypothesis: Python floats,
0-d, 1-d, 2-d and 3-d arrays, and for binary functions NumPy broadcasting pairs.
"""
import dataclasses
import math
import operator

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import retrograd as rg
from retrograd import rules
from gradcheck import assert_close, check_gradient, numeric

SCALAR = None   # a shape meaning "a Python float"


# =============================================================================================
# input domains: each draws values of a shape (None: a Python float) where the function is
# smooth, well away from kinks and jumps
# =============================================================================================

def _draw(low, high):
    def domain(rng, shape):
        value = rng.uniform(low, high, size=shape if shape is not None else ())
        return float(value) if shape is None else value
    return domain


def _signed(low, high):
    """Values of either sign with magnitude in [low, high]."""
    def domain(rng, shape):
        size = shape if shape is not None else ()
        value = rng.choice([-1.0, 1.0], size=size) * rng.uniform(low, high, size=size)
        return float(value) if shape is None else value
    return domain


def _grid(offset):
    """Integers plus ``offset`` plus noise below 0.05: values from two grids with offsets
    0.25 and 0.75 are at least 0.4 apart, so max/min/comparisons have no ties."""
    def domain(rng, shape):
        size = shape if shape is not None else ()
        value = rng.integers(-2, 2, size=size) + offset + rng.uniform(-0.05, 0.05, size=size)
        return float(value) if shape is None else value
    return domain


def _condition(rng, shape):
    value = rng.random(size=shape if shape is not None else ()) < 0.5
    return bool(value) if shape is None else value


REAL = _draw(-1.5, 1.5)
POSITIVE = _draw(0.3, 2.0)
UNIT = _draw(-0.8, 0.8)             # arcsin, arccos, arctanh
ABOVE_ONE = _draw(1.2, 3.0)         # arccosh
BASE = _draw(1.5, 3.0)              # a logarithm's base, away from 1
NONZERO = _signed(0.3, 1.5)         # abs, reciprocal, cbrt, divisors
GRID_LOW = _grid(0.25)              # maximum/minimum/clip: never within 0.4 of GRID_HIGH
GRID_HIGH = _grid(0.75)
LOWER_BOUND = _draw(-0.55, -0.45)   # clip bounds: GRID_* values stay 0.15 away
UPPER_BOUND = _draw(0.45, 0.55)
DIVIDEND = _draw(0.1, 1.3)          # mod: with a DIVISOR in [1.4, 1.6], x / y stays in (0, 1)
DIVISOR = _draw(1.4, 1.6)
NEGATIVE_DIVIDEND = _draw(-1.3, -0.1)
CONDITION = _condition


# =============================================================================================
# the spec table
# =============================================================================================

@dataclasses.dataclass(frozen=True)
class Spec:
    """How to test one primitive: a domain per argument, which arguments to differentiate,
    and whether it takes Python numbers only (``math`` functions, builtin ``max``)."""
    name: str
    primitive: object
    domains: tuple
    wrt: tuple = None           # argument positions; None: all of them
    scalar_only: bool = False
    loss: object = None         # f(*args, weight) written with an operator; None: a call
    shapes: tuple = None        # argument shapes to draw from; None: by arity

    @property
    def arity(self):
        return len(self.domains)

    @property
    def positions(self):
        return self.wrt if self.wrt is not None else tuple(range(self.arity))


def _call_loss(primitive, arity):
    """f(*args, weight) = sum(primitive(*args) * weight): a non-trivial scalar."""
    if arity == 1:
        def loss(x, weight):
            return np.sum(primitive(x) * weight)
    elif arity == 2:
        def loss(x, y, weight):
            return np.sum(primitive(x, y) * weight)
    else:
        def loss(x, y, z, weight):
            return np.sum(primitive(x, y, z) * weight)
    return loss


# The operators, written as operators: `x + y` is a BinOp, not a call of operator.add.
def add_operator(x, y, weight):
    return np.sum((x + y) * weight)


def subtract_operator(x, y, weight):
    return np.sum((x - y) * weight)


def multiply_operator(x, y, weight):
    return np.sum((x * y) * weight)


def divide_operator(x, y, weight):
    return np.sum((x / y) * weight)


def power_operator(x, y, weight):
    return np.sum((x ** y) * weight)


def negative_operator(x, weight):
    return np.sum(-x * weight)


def positive_operator(x, weight):
    return np.sum(+x * weight)


def modulo_operator(x, y, weight):
    return np.sum((x % y) * weight)


def spec(primitive, *domains, name=None, wrt=None, scalar_only=False, loss=None, shapes=None):
    if name is None:
        module = "math" if getattr(primitive, "__module__", "") == "math" else (
            "builtins" if getattr(primitive, "__module__", "") == "builtins" else "np")
        name = f"{module}.{primitive.__name__}"
    return Spec(name, primitive, tuple(domains), wrt, scalar_only, loss, shapes)


SPECS = [
    # operators and their NumPy names
    spec(operator.add, REAL, REAL, name="x + y", loss=add_operator),
    spec(operator.sub, REAL, REAL, name="x - y", loss=subtract_operator),
    spec(operator.mul, REAL, REAL, name="x * y", loss=multiply_operator),
    spec(operator.truediv, REAL, NONZERO, name="x / y", loss=divide_operator),
    spec(operator.pow, POSITIVE, REAL, name="x ** y", loss=power_operator),
    spec(operator.neg, REAL, name="-x", loss=negative_operator),
    spec(operator.pos, REAL, name="+x", loss=positive_operator),
    spec(operator.mod, DIVIDEND, DIVISOR, name="x % y", loss=modulo_operator),
    spec(np.add, REAL, REAL),
    spec(np.subtract, REAL, REAL),
    spec(np.multiply, REAL, REAL),
    spec(np.divide, REAL, NONZERO),                  # np.true_divide is the same ufunc
    spec(np.negative, REAL),
    spec(np.positive, REAL),
    spec(np.power, POSITIVE, REAL),
    spec(np.float_power, POSITIVE, REAL),
    spec(math.pow, POSITIVE, REAL, scalar_only=True),
    spec(np.mod, DIVIDEND, DIVISOR, name="np.mod"),   # np.remainder is the same ufunc
    spec(np.fmod, NEGATIVE_DIVIDEND, DIVISOR),
    # one argument
    spec(np.sin, REAL), spec(math.sin, REAL, scalar_only=True),
    spec(np.cos, REAL), spec(math.cos, REAL, scalar_only=True),
    spec(np.tan, UNIT), spec(math.tan, UNIT, scalar_only=True),
    spec(np.arcsin, UNIT), spec(math.asin, UNIT, scalar_only=True),
    spec(np.arccos, UNIT), spec(math.acos, UNIT, scalar_only=True),
    spec(np.arctan, REAL), spec(math.atan, REAL, scalar_only=True),
    spec(np.sinh, REAL), spec(math.sinh, REAL, scalar_only=True),
    spec(np.cosh, REAL), spec(math.cosh, REAL, scalar_only=True),
    spec(np.tanh, REAL), spec(math.tanh, REAL, scalar_only=True),
    spec(np.arcsinh, REAL), spec(math.asinh, REAL, scalar_only=True),
    spec(np.arccosh, ABOVE_ONE), spec(math.acosh, ABOVE_ONE, scalar_only=True),
    spec(np.arctanh, UNIT), spec(math.atanh, UNIT, scalar_only=True),
    spec(np.exp, REAL), spec(math.exp, REAL, scalar_only=True),
    spec(np.exp2, REAL),
    spec(np.expm1, REAL), spec(math.expm1, REAL, scalar_only=True),
    spec(np.log, POSITIVE),
    spec(math.log, POSITIVE, scalar_only=True),
    spec(math.log, POSITIVE, BASE, name="math.log(x, base)", scalar_only=True),
    spec(np.log2, POSITIVE), spec(math.log2, POSITIVE, scalar_only=True),
    spec(np.log10, POSITIVE), spec(math.log10, POSITIVE, scalar_only=True),
    spec(np.log1p, POSITIVE), spec(math.log1p, POSITIVE, scalar_only=True),
    spec(np.sqrt, POSITIVE), spec(math.sqrt, POSITIVE, scalar_only=True),
    spec(np.cbrt, NONZERO),
    spec(np.square, REAL),
    spec(np.abs, NONZERO, name="np.abs"),            # np.absolute is the same ufunc
    spec(np.fabs, NONZERO), spec(math.fabs, NONZERO, scalar_only=True),
    spec(abs, NONZERO),
    spec(np.reciprocal, NONZERO),
    spec(np.deg2rad, REAL), spec(np.radians, REAL),
    spec(math.radians, REAL, scalar_only=True),
    spec(np.rad2deg, REAL), spec(np.degrees, REAL),
    spec(math.degrees, REAL, scalar_only=True),
    spec(float, REAL, scalar_only=True),
    spec(np.float64, REAL, scalar_only=True),
    spec(np.asarray, REAL),
    spec(np.asanyarray, REAL),
    spec(np.array, REAL),
    # two or three arguments
    spec(np.arctan2, NONZERO, NONZERO), spec(math.atan2, NONZERO, NONZERO, scalar_only=True),
    spec(np.hypot, NONZERO, NONZERO), spec(math.hypot, NONZERO, NONZERO, scalar_only=True),
    spec(np.maximum, GRID_LOW, GRID_HIGH), spec(np.minimum, GRID_LOW, GRID_HIGH),
    spec(np.fmax, GRID_LOW, GRID_HIGH), spec(np.fmin, GRID_LOW, GRID_HIGH),
    spec(max, GRID_LOW, GRID_HIGH, scalar_only=True),
    spec(min, GRID_LOW, GRID_HIGH, scalar_only=True),
    spec(np.logaddexp, REAL, REAL), spec(np.logaddexp2, REAL, REAL),
    spec(np.where, CONDITION, REAL, REAL, wrt=(1, 2), shapes=(
        # not a condition broadcast against two scalars: see
        # test_where_with_an_array_condition_and_scalar_branches
        (SCALAR, SCALAR, SCALAR), ((4, 3), (4, 3), (4, 3)), ((4, 3), (4, 3), SCALAR),
        ((4, 1), (4, 3), (3,)), ((3,), (4, 3), (4, 1)), ((), (2, 3, 4), (3, 4)))),
    spec(np.clip, GRID_LOW, LOWER_BOUND, UPPER_BOUND),
]

# Functions of Python numbers only (``math.*`` and the builtins) also exist under these names
# in the python-3.11 math module; test them where present.
for _name, _domain in (("exp2", REAL), ("cbrt", NONZERO)):
    if hasattr(math, _name):
        SPECS.append(spec(getattr(math, _name), _domain, scalar_only=True))

assert len({case.name for case in SPECS}) == len(SPECS), "spec names must be unique"

_LOSSES = {}


def loss_of(case):
    """The function under test for a spec, built once so compiled derivatives are reused."""
    if case.name not in _LOSSES:
        _LOSSES[case.name] = case.loss or _call_loss(case.primitive, case.arity)
    return _LOSSES[case.name]


# =============================================================================================
# shapes
# =============================================================================================

UNARY_SHAPES = [SCALAR, (), (5,), (4, 3), (2, 3, 4)]
BINARY_SHAPES = [
    (SCALAR, SCALAR), ((), ()), ((5,), (5,)),
    ((4, 3), SCALAR), (SCALAR, (4, 3)), ((), (3,)),
    ((4, 3), (3,)), ((4, 3), (4, 1)), ((1, 3), (4, 1)), ((2, 3, 4), (3, 4)),
]
TERNARY_SHAPES = [
    (SCALAR, SCALAR, SCALAR), ((4, 3), (4, 3), (4, 3)), ((4, 3), SCALAR, SCALAR),
    ((4, 3), (3,), (4, 1)), ((3,), (4, 1), SCALAR), ((2, 3, 4), (4,), (3, 1)),
]


def shapes_for(case):
    if case.shapes is not None:
        return list(case.shapes)
    if case.scalar_only:
        return [(SCALAR,) * case.arity]
    if case.arity == 1:
        return [(shape,) for shape in UNARY_SHAPES]
    return BINARY_SHAPES if case.arity == 2 else TERNARY_SHAPES


def output_shape(shapes):
    if all(shape is SCALAR for shape in shapes):
        return SCALAR
    return np.broadcast_shapes(*(shape or () for shape in shapes))


def weight_for(rng, shape):
    """A fixed random weight of the output's shape, so the loss is a non-trivial scalar."""
    if shape is SCALAR:
        return float(rng.uniform(0.5, 1.5))
    return rng.uniform(0.5, 1.5, size=shape)


def draw_arguments(case, shapes, rng):
    return [domain(rng, shape) for domain, shape in zip(case.domains, shapes)]


def assert_structure(gradient, argument):
    """A gradient has its argument's structure: a float for a Python float, an array of the
    same shape with float dtype for an array."""
    if isinstance(argument, float):
        assert isinstance(gradient, float), f"expected a float, got {type(gradient).__name__}"
    elif argument.ndim == 0:
        # 0-d arrays: see test_zero_dimensional_argument_gets_an_array_gradient
        assert np.shape(gradient) == ()
    else:
        assert isinstance(gradient, np.ndarray), \
            f"expected an ndarray, got {type(gradient).__name__}"
        assert gradient.shape == argument.shape
        assert gradient.dtype.kind == "f"


def check_case(case, shapes, seed):
    rng = np.random.default_rng(seed)
    args = draw_arguments(case, shapes, rng)
    weight = weight_for(rng, output_shape(shapes))
    positions = case.positions
    if len(positions) == 1:   # see test_one_element_wrt_tuple_gives_a_one_element_tuple
        gradients = [check_gradient(loss_of(case), *args, weight, wrt=positions[0])]
    else:
        gradients = check_gradient(loss_of(case), *args, weight, wrt=positions)
    for gradient, position in zip(gradients, positions):
        assert_structure(gradient, args[position])


# =============================================================================================
# the rules against central differences
# =============================================================================================

@pytest.mark.parametrize("case", [c for c in SPECS if c.name != "x % y"], ids=lambda c: c.name)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_rule_matches_central_differences(case, data):
    shapes = data.draw(st.sampled_from(shapes_for(case)), label="shapes")
    seed = data.draw(st.integers(0, 2 ** 16), label="seed")
    check_case(case, shapes, seed)


def test_modulo_operator_matches_central_differences():
    check_case(next(c for c in SPECS if c.name == "x % y"), ((5,), SCALAR), seed=3)


def test_every_elementwise_primitive_has_a_spec():
    rules.load_families()
    tested = {id(case.primitive) for case in SPECS}
    missing = sorted(rule.name for key, rule in rules.ADJOINTS.items()
                     if rule.family == "elementwise" and key not in tested)
    assert not missing, f"elementwise rules without a spec in SPECS: {missing}"


def test_every_elementwise_method_has_a_test():
    rules.load_families()
    methods = {name for name, rule in rules.METHODS.items() if rule.family == "elementwise"}
    assert methods <= set(METHOD_CASES), \
        f"elementwise methods without a test: {sorted(methods - set(METHOD_CASES))}"


# =============================================================================================
# methods and calls with constant arguments (rule branches decided at compile time)
# =============================================================================================

W43 = np.random.default_rng(7).uniform(0.5, 1.5, size=(4, 3))
M43 = GRID_LOW(np.random.default_rng(8), (4, 3))


def clip_method(a):
    return np.sum(a.clip(-0.5, 0.5) * W43)


def clip_below_only(a):
    return np.sum(np.clip(a, -0.5, None) * W43)


def clip_above_only(a):
    return np.sum(np.clip(a, None, 0.5) * W43)


def clip_bounds_at_run_time(a, low, high):
    return np.sum(np.clip(a, low, high) * W43)


METHOD_CASES = {"clip": clip_method}


@pytest.mark.parametrize("f", [clip_method, clip_below_only, clip_above_only])
def test_clip_with_constant_or_missing_bounds(f):
    gradient = check_gradient(f, M43.copy())
    assert np.any(gradient == 0.0) and np.any(gradient != 0.0), "choose inputs on both sides"


def test_clip_with_a_bound_of_none_at_run_time():
    check_gradient(clip_bounds_at_run_time, M43.copy(), None, 0.5)
    check_gradient(clip_bounds_at_run_time, M43.copy(), -0.5, None)


def square_by_power(x):
    return np.sum(x ** 2 * W43)


def cube_by_power(x):
    return np.sum(x ** 3 * W43)


def root_by_power(x):
    return np.sum(x ** 0.5 * W43)


def exponential_by_power(x):
    return np.sum(2.0 ** x * W43)


def power_of_zero(y):
    return np.sum(np.zeros((4, 3)) ** y * W43)


@pytest.mark.parametrize("f, domain", [(square_by_power, REAL), (cube_by_power, REAL),
                                       (root_by_power, POSITIVE),
                                       (exponential_by_power, REAL),
                                       (power_of_zero, POSITIVE)],
                         ids=["x**2", "x**3 (negative x too)", "x**0.5", "2.0**x", "0.0**y"])
def test_power_with_a_constant_operand(f, domain):
    check_gradient(f, domain(np.random.default_rng(3), (4, 3)))


def test_power_of_a_negative_base_has_no_derivative_in_the_exponent():
    def f(x, y):
        return np.sum(x ** y)
    with np.errstate(invalid="ignore"):
        dy = rg.grad(f, wrt=1)(np.array([-2.0, 2.0]), np.array([2.0, 2.0]))
    assert np.isnan(dy[0]) and np.isfinite(dy[1])


def logarithm_with_constant_base(x):
    return math.log(x, 2.0)


def test_math_log_with_a_constant_base():
    check_gradient(logarithm_with_constant_base, 1.7)


# =============================================================================================
# operations that carry no gradient
# =============================================================================================

V6 = np.array([-1.3, -0.4, 0.3, 0.7, 1.1, 2.6])   # away from integers and multiples of 2
W6 = np.array([0.9, -1.2, 0.4, 1.5, -0.6, 1.1])


def floor_divide_operator(x):
    return np.sum((x // 2.0) * W6)


def floor(x):
    return np.sum(np.floor(x) * W6)


def ceil(x):
    return np.sum(np.ceil(x) * W6)


def rounding(x):
    return np.sum(np.round(x) * W6) + np.sum(np.rint(x) * W6) + np.sum(np.trunc(x) * W6)


def sign(x):
    return np.sum(np.sign(x) * W6)


def comparison_as_value(x):
    return np.sum((x > 0.5) * W6) + np.sum((x <= -1.0) * W6)


def boolean_logic(x):
    return np.sum(np.logical_and(x > 0.0, x < 1.0) * W6)


def floor_divide_function(x):
    return np.sum(np.floor_divide(x, 2.0) * W6)


def integer_conversion(x):
    return float(int(x)) * 3.0


@pytest.mark.parametrize("f", [floor_divide_operator, floor, ceil, rounding, sign,
                               comparison_as_value, boolean_logic, floor_divide_function],
                         ids=lambda f: f.__name__)
def test_piecewise_constant_operation_has_zero_gradient(f):
    gradient = check_gradient(f, V6.copy())
    assert isinstance(gradient, np.ndarray) and gradient.shape == V6.shape
    assert np.all(gradient == 0.0)


def test_integer_conversion_has_zero_gradient():
    gradient = check_gradient(integer_conversion, 1.7)
    assert isinstance(gradient, float) and gradient == 0.0


def floor_times_x(x):
    return np.sum(np.floor(x) * x * W6)


def test_piecewise_constant_factor_is_held_constant():
    gradient = check_gradient(floor_times_x, V6.copy())
    assert np.any(gradient != 0.0)


def floor_of_y_times_x(x, y):
    return np.sum(np.floor(y) * x)


def test_argument_reached_only_through_a_jump_gets_zeros_of_its_structure():
    dx, dy = check_gradient(floor_of_y_times_x, V6.copy(), 0.3, wrt=(0, 1))
    assert isinstance(dy, float) and dy == 0.0
    dx, dy = check_gradient(floor_of_y_times_x, V6.copy(), V6 * 0.5, wrt=(0, 1))
    assert isinstance(dy, np.ndarray) and dy.shape == V6.shape and np.all(dy == 0.0)


# =============================================================================================
# matrix products, relu-style uses, and structure
# =============================================================================================

def matmul_operator(a, b, weight):
    return np.sum((a @ b) * weight)


@pytest.mark.parametrize("shape_a, shape_b", [((3,), (3,)), ((4, 3), (3,)), ((3,), (3, 2)),
                                              ((4, 3), (3, 2)), ((2, 4, 3), (3, 2))])
def test_matmul_operator(shape_a, shape_b):
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    weight = rng.uniform(0.5, 1.5, size=np.matmul(a, b).shape)
    check_gradient(matmul_operator, a, b, weight, wrt=(0, 1))


def where_array_condition(x, y):
    return np.sum(np.where(W43 > 1.0, x, y) * W43)


def test_where_with_an_array_condition_and_scalar_branches():
    check_gradient(where_array_condition, 0.4, -0.3, wrt=(0, 1))


def array_of_scalars(x, y):
    return np.sum(np.array([[x, y * x], [1.0, y]]) * W43[:2, :2])


def asarray_of_scalars(x, y):
    return np.sum(np.asarray([x, x * y, 2.0]) * W43[0])


@pytest.mark.parametrize("f", [array_of_scalars, asarray_of_scalars], ids=lambda f: f.__name__)
def test_array_built_from_active_scalars(f):
    check_gradient(f, 0.7, -1.1, wrt=(0, 1))


def asarray_of_list(values):
    return np.sum(np.asarray(values) ** 2 * W43[0])


def test_asarray_of_a_list_argument_gives_a_list_gradient():
    gradient = check_gradient(asarray_of_list, [0.5, -1.5, 2.0])
    assert isinstance(gradient, list) and all(isinstance(g, float) for g in gradient)


def relu_by_builtin_max(x, y):
    return max(x * y, 0.0) + min(x, 2.0 * y)


@pytest.mark.parametrize("x, y", [(0.7, 1.3), (-0.7, 1.3), (1.9, 0.4)])
def test_builtin_max_and_min_with_a_constant(x, y):
    check_gradient(relu_by_builtin_max, x, y, wrt=(0, 1))


def test_zero_dimensional_argument_gets_an_array_gradient():
    def f(x):
        return np.sin(x) * 2.0
    gradient = rg.grad(f)(np.array(0.3))
    assert isinstance(gradient, np.ndarray) and gradient.shape == ()


def test_one_element_wrt_tuple_gives_a_one_element_tuple():
    def f(x):
        return np.sum(np.sin(x))
    gradients = rg.grad(f, wrt=(0,))(np.array([0.1, 0.2, 0.3]))
    assert isinstance(gradients, tuple) and len(gradients) == 1
    assert_close(gradients[0], np.cos(np.array([0.1, 0.2, 0.3])))


def test_python_float_argument_gets_a_float_gradient():
    def f(x, y):
        return np.sin(x) * np.exp(y) + math.hypot(x, y)
    dx, dy = rg.grad(f, wrt=(0, 1))(0.3, -0.2)
    assert isinstance(dx, float) and isinstance(dy, float)


# =============================================================================================
# generated code reads like a hand-written adjoint
# =============================================================================================

def adjoint_lines(f, *args, wrt=0):
    """The generated derivative's statements, without the header and comments."""
    text = rg.source(rg.grad(f, wrt=wrt), *args)
    body = text.split("\ndef ", 1)[1]
    return [line.strip() for line in body.splitlines()[1:]
            if line.strip() and not line.strip().startswith("#")]


def test_square_by_power_emits_two_x():
    lines = adjoint_lines(square_by_power, M43)
    assert any("2.0 * x" in line for line in lines), lines
    assert not any("2 - 1" in line for line in lines), lines


def test_constant_base_emits_its_logarithm():
    lines = adjoint_lines(exponential_by_power, M43)
    assert "np.log(2.0)" in "".join(line.strip() for line in lines), lines   # maybe wrapped
    assert not any("np.where" in line for line in lines), lines


@pytest.mark.parametrize("f", [clip_method, clip_above_only], ids=lambda f: f.__name__)
def test_clip_emits_one_mask_and_no_bound_of_none(f):
    text = " ".join(line for line in adjoint_lines(f, M43) if "clip(" not in line)
    assert text.count("== a)") == 1, text
    assert "None" not in text and ">=" not in text and "<=" not in text, text


def scalar_sine(x):
    return math.sin(x) * 3.0


def test_scalar_rule_emits_no_runtime_helper():
    lines = adjoint_lines(scalar_sine, 0.4)
    assert not any("rt." in line for line in lines), lines
    assert any("np.cos(x)" in line for line in lines), lines


def test_numeric_reference_is_not_trivial():
    """The weights make every loss depend on every element: the reference is non-zero."""
    case = next(c for c in SPECS if c.name == "np.sin")
    rng = np.random.default_rng(0)
    x, weight = REAL(rng, (4, 3)), weight_for(rng, (4, 3))
    reference = numeric(loss_of(case), (x, weight), 0)
    assert np.all(reference != 0.0)
    assert_close(rg.grad(loss_of(case))(x, weight), reference)
