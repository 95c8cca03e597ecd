"""Indexing rules (compiler/rules/indexing.py) against central differences in float64.

Reading ``x[index]`` sends the cotangent back into ``dx[index]``; integer arrays with repeated
entries read an element several times, so their contributions must accumulate. Every form of
index NumPy and Python accept is checked, in the syntax a user writes (``SPECS``) and as index
objects drawn by hypothesis.
"""
import dataclasses
import inspect
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import retrograd as rg
from retrograd import rules
from gradcheck import check_gradient

RNG = np.random.default_rng(5)


def normal(*shape):
    return RNG.standard_normal(shape)


W3 = normal(3)
W34 = normal(3, 4)
REPEATED = np.array([3, 3, 0, 3])


@dataclasses.dataclass
class Case:
    function: object
    args: tuple
    wrt: object = 0

    @property
    def id(self):
        keys = [sorted(a) for a in self.args if isinstance(a, dict)]
        return self.function.__name__ + (f"{keys}" if keys else "")


# --- arrays --------------------------------------------------------------------------------

def integer(x):
    return x[2] * x[0] ** 2


def negative_integer(x):
    return x[-1] * x[-3] ** 2


def slice_with_step(x):
    return np.sum(np.sin(x[1:5:2]))


def reversed_slice(x):
    return np.sum(np.sin(x[::-1]) * np.arange(6))


def negative_step_bounds(x):
    return np.sum(np.sin(x[-2:0:-2]) * W3[:2])


def ellipsis(x):
    return np.sum(np.sin(x[..., 1]) * W34[:, 0])


def new_axis(x):
    return np.sum(np.sin(x[:, None, 1:]) * x[0, 1:])


def none_and_ellipsis(x):
    return np.sum(np.sin(x[None, ..., None]) * W34[:, :, None])


def integer_array(x):
    return np.sum(np.sin(x[np.array([0, 2, 1])]) * W3)


def repeated_integer_array(x):
    return np.sum(np.sin(x[REPEATED]))


def repeated_integer_list(x):
    return np.sum(np.sin(x[[0, 2, 2, 1]]))


def boolean_mask(x):
    return np.sum(np.sin(x[x > 0]))


def row_then_slice(x):
    return np.sum(np.sin(x[1, 2:4]))


def paired_integer_arrays(x):
    return np.sum(np.sin(x[np.array([0, 1, 1]), np.array([2, 2, 3])]))


def slice_and_integer_list(x):
    return np.sum(np.sin(x[1:, [0, 0, 3]]))


def mask_and_slice(x):
    return np.sum(np.sin(x[x[:, 0] > 0, 1:]))


def chained(x):
    return np.sum(np.sin(x[1][2:]))


def integer_then_ellipsis_step(x):
    return np.sum(np.sin(x[0, ..., ::2]))


def ellipsis_and_repeated_array(x):
    return np.sum(np.sin(x[..., np.array([1, 1, 0])]))


def position_from_argmax(x):
    return x[np.argmax(x)] * 2.0 + np.sum(x)


def computed_position(x):
    n = 2
    return x[n] * x[n - 1]


def loop_position(x):
    total = 0.0
    for i in range(1, len(x)):
        total = total + x[i] * x[i - 1]
    return total


def index_tuple_variable(x):
    where = (slice(None), 1)
    return np.sum(np.sin(x[where]))


# --- lists, tuples and dicts ---------------------------------------------------------------

def list_of_numbers(xs):
    return xs[0] * xs[1] + xs[-1] ** 2


def list_of_arrays(xs):
    return np.sum(xs[0] * xs[1]) + np.sum(np.sin(xs[2][1:]))


def slice_of_list(xs):
    return np.sum(xs[1:][0] * 3.0) + np.sum(xs[::2][1] ** 2)


def unpacked(xs):
    a, b = xs
    return np.sum(a * b) + xs[0][1]


def dict_of_arrays(p):
    return np.sum(p["w"] * p["b"]) + p["w"][0]


def dict_get(p):
    return np.sum(p.get("w") ** 2) + np.sum(p.get("b", 0.0))


def dict_get_default(p, scale):
    return np.sum(p["w"] * p.get("scale", scale))


def nested_containers(p):
    return np.sum(np.tanh(p["layers"][1] @ p["x"])) + p["layers"][0][1, 0]


def take_function(x):
    return np.sum(np.take(x, [0, 2, 2]) * W3) + np.sum(np.take(x, np.array([3, 0, 3]), axis=1) * W34[:, :3])


def take_method(x):
    return np.sum(x.take([1, 1], axis=0) * W34[:2])


def item_method(x):
    return x.item(2) * x.item(0) + x.item((1, 3)) ** 2


SPECS = {
    operator.getitem: ("[", [
        Case(integer, (normal(6),)), Case(negative_integer, (normal(6),)),
        Case(slice_with_step, (normal(6),)), Case(reversed_slice, (normal(6),)),
        Case(negative_step_bounds, (normal(6),)), Case(ellipsis, (normal(3, 4),)),
        Case(new_axis, (normal(3, 4),)), Case(none_and_ellipsis, (normal(3, 4),)),
        Case(integer_array, (normal(4),)), Case(repeated_integer_array, (normal(4),)),
        Case(repeated_integer_list, (normal(4),)), Case(boolean_mask, (normal(6),)),
        Case(row_then_slice, (normal(3, 5),)), Case(paired_integer_arrays, (normal(3, 5),)),
        Case(slice_and_integer_list, (normal(3, 5),)), Case(mask_and_slice, (normal(4, 3),)),
        Case(chained, (normal(3, 5),)), Case(integer_then_ellipsis_step, (normal(2, 3, 4),)),
        Case(ellipsis_and_repeated_array, (normal(2, 3),)),
        Case(position_from_argmax, (normal(5),)), Case(computed_position, (normal(5),)),
        Case(loop_position, (normal(5),)), Case(index_tuple_variable, (normal(3, 5),)),
        Case(list_of_numbers, ([1.1, 0.4, -0.3],)),
        Case(list_of_arrays, ([normal(3), normal(3), normal(4)],)),
        Case(list_of_arrays, ((normal(3), normal(3), normal(4)),)),
        Case(slice_of_list, ([normal(3), normal(3), normal(3)],)),
        Case(unpacked, ((normal(3), normal(3)),)),
        Case(dict_of_arrays, ({"w": normal(3), "b": normal(3)},)),
        Case(nested_containers, ({"layers": [normal(2, 2), normal(3, 2)], "x": normal(2)},)),
    ]),
    np.take: ("np.take(", [Case(take_function, (normal(3, 4),))]),
}

METHOD_SPECS = {
    "get": [Case(dict_get, ({"w": normal(3), "b": normal(3)},)),
            Case(dict_get_default, ({"w": normal(3)}, 0.7), (0, 1)),
            Case(dict_get_default, ({"w": normal(3), "scale": 1.3}, 0.7), (0, 1))],
    "take": [Case(take_method, (normal(3, 4),))],
    "item": [Case(item_method, (normal(3, 4),))],
}

ALL_CASES = [case for _, cases in SPECS.values() for case in cases] + \
    [case for cases in METHOD_SPECS.values() for case in cases]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ALL_CASES])
def test_rule_matches_central_differences(case):
    check_gradient(case.function, *case.args, wrt=case.wrt)


def test_every_indexing_rule_has_a_spec():
    rules.load_families()
    covered = {id(primitive) for primitive in SPECS}
    missing = sorted({rule.name for key, rule in rules.ADJOINTS.items()
                      if rule.family == "indexing" and key not in covered})
    assert not missing, f"indexing rules without a spec in SPECS: {missing}"
    missing_methods = sorted(name for name, rule in rules.METHODS.items()
                             if rule.family == "indexing" and name not in METHOD_SPECS)
    assert not missing_methods, f"indexing methods without a spec: {missing_methods}"
    missing_attributes = sorted(name for name, rule in rules.ATTRIBUTES.items()
                                if rule.family == "indexing")
    assert not missing_attributes, f"indexing attributes without a spec: {missing_attributes}"


@pytest.mark.parametrize("primitive", list(SPECS), ids=lambda p: SPECS[p][0])
def test_each_spec_calls_its_primitive(primitive):
    spelling, cases = SPECS[primitive]
    for case in cases:
        assert spelling in inspect.getsource(case.function), \
            f"{case.function.__name__} does not call {spelling}"


@pytest.mark.parametrize("method", list(METHOD_SPECS))
def test_each_method_spec_calls_its_method(method):
    for case in METHOD_SPECS[method]:
        assert f".{method}(" in inspect.getsource(case.function)


def test_repeated_indices_accumulate():
    gradient = rg.grad(repeated_integer_list)(np.zeros(4))
    np.testing.assert_array_equal(gradient, [1.0, 1.0, 2.0, 0.0])   # cos(0) per read


def test_gradient_of_a_list_is_a_list_of_the_same_kinds():
    xs = [normal(3), normal(3), normal(4)]
    gradient = rg.grad(list_of_arrays)(xs)
    assert isinstance(gradient, list) and [np.shape(g) for g in gradient] == [(3,), (3,), (4,)]
    gradient = rg.grad(unpacked)((normal(3), normal(3)))
    assert isinstance(gradient, tuple)


# --- indices drawn by hypothesis -----------------------------------------------------------

def read(x, index, w):
    return np.sum(np.sin(x[index]) * w)


@st.composite
def basic_indices(draw):
    """An array shape and a basic index: integers (negative too), slices with any step,
    ``None`` and at most one ``Ellipsis``."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    parts, axis = [], 0
    used_ellipsis = False
    while axis < len(shape) and draw(st.booleans()):
        kind = draw(st.sampled_from(["int", "slice", "none", "ellipsis"]))
        n = shape[axis]
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
            axis += 1
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n, n)))
            stop = draw(st.one_of(st.none(), st.integers(-n, n)))
            step = draw(st.one_of(st.none(), st.sampled_from([-2, -1, 1, 2, 3])))
            parts.append(slice(start, stop, step))
            axis += 1
        elif kind == "none":
            parts.append(None)
        elif not used_ellipsis:
            parts.append(Ellipsis)
            used_ellipsis = True
            # after `...` the remaining parts index the last axes: index each of them
            for n in shape[len(shape) - draw(st.integers(0, len(shape) - axis)):]:
                parts.append(draw(st.one_of(st.integers(-n, n - 1),
                                            st.builds(slice, st.none(), st.integers(-n, n)))))
            break
    return shape, tuple(parts)


@settings(max_examples=40, deadline=None)
@given(basic_indices())
def test_basic_index_of_any_form(shape_and_index):
    shape, index = shape_and_index
    x = normal(*shape)
    w = normal(*np.shape(x[index]))
    check_gradient(read, x, index, w)


@st.composite
def advanced_indices(draw):
    """An array shape and an index with integer arrays (repeats allowed, negative entries) or a
    boolean mask, alone or beside slices."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    kind = draw(st.sampled_from(["integers", "mask", "integers_and_slice", "mask_of_all"]))
    n = shape[0]
    if kind == "mask_of_all":
        mask = np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(shape)),
                                      max_size=int(np.prod(shape))))).reshape(shape)
        return shape, mask
    if kind == "mask":
        return shape, np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    rows = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))
    if kind == "integers":
        return shape, rows
    if len(shape) == 1:
        return shape, (rows, Ellipsis)
    columns = np.array(draw(st.lists(st.integers(0, shape[1] - 1), min_size=1, max_size=5)))
    return shape, (slice(None, None, draw(st.sampled_from([1, -1, 2]))), columns)


@settings(max_examples=40, deadline=None)
@given(advanced_indices())
def test_advanced_index_of_any_form(shape_and_index):
    shape, index = shape_and_index
    x = normal(*shape)
    w = normal(*np.shape(x[index]))
    check_gradient(read, x, index, w)


# --- generated code ------------------------------------------------------------------------

def test_basic_index_adjoint_updates_in_place():
    code = rg.source(rg.grad(slice_with_step), normal(6))
    assert "dx[1:5:2] +=" in code and "rt.add_at" not in code, code


def test_integer_array_adjoint_accumulates_with_add_at():
    code = rg.source(rg.grad(repeated_integer_array), normal(4))
    assert "rt.add_at(dx," in code, code
