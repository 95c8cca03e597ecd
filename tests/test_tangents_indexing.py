"""Tangent (forward-mode) rules of indexing (compiler/rules/indexing.py): the tangent of
``x[index]`` is ``dx[index]``, for arrays, lists, tuples and dicts.

Each rule is checked on functions returning what they read, against central differences and
against its adjoint rule (the dot-product test ``<jvp(f)(x, v), w> == <v, pullback(w)>``,
which here proves that repeated indices accumulate in the adjoint exactly as often as they are
read); indices of every form are drawn by hypothesis. The checking utilities live in
test_tangents_linalg.py.
"""
import dataclasses
import inspect
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import retrograd as rg
import retrograd.runtime as runtime
from retrograd import rules

import test_rules_indexing
from test_tangents_linalg import HelperCase, check_dot_product, \
    check_helper_tangent, check_tangent, helper_tangent_rules_are_used, helpers_called, \
    hessian_vector_products_of_adjoint_specs, missing_tangent_rules, normal

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
    return x[2]


def negative_integer(x):
    return x[-1]


def slice_with_step(x):
    return x[1:5:2]


def reversed_slice(x):
    return x[::-1]


def ellipsis(x):
    return x[..., 1]


def new_axis(x):
    return x[:, None, 1:]


def repeated_integer_array(x):
    return x[REPEATED]


def repeated_integer_list(x):
    return x[[0, 2, 2, 1]]


def boolean_mask(x):
    return x[x > 0]


def paired_integer_arrays(x):
    return x[np.array([0, 1, 1]), np.array([2, 2, 3])]


def slice_and_integer_list(x):
    return x[1:, [0, 0, 3]]


def chained(x):
    return x[1][2:]


def loop_of_reads(x):
    rows = []
    for i in range(len(x) - 1, -1, -1):
        rows.append(x[i])
    return np.stack(rows)


def index_tuple_variable(x):
    where = (slice(None), 1)
    return x[where]


# --- lists, tuples and dicts ---------------------------------------------------------------

def list_of_numbers(xs):
    return xs[1]


def list_of_arrays(xs):
    return xs[2][1:]


def slice_of_list(xs):
    return xs[1:]


def dict_of_arrays(p):
    return p["w"]


def nested_containers(p):
    return p["layers"][1][0]


def dict_get(p):
    return p.get("w")


def dict_get_default(p, scale):
    return p.get("scale", scale)


def take_function(x):
    return np.take(x, [0, 2, 2])


def take_axis(x):
    return np.take(x, np.array([3, 0, 3]), axis=1)


def take_method(x):
    return x.take([1, 1], axis=0)


def item_flat(x):
    return x.item(2)


def item_tuple(x):
    return x.item((1, 3))


def item_arguments(x):
    return x.item(2, 1)


SPECS = {
    operator.getitem: ("[", [
        Case(integer, (normal(6),)), Case(negative_integer, (normal(6),)),
        Case(slice_with_step, (normal(6),)), Case(reversed_slice, (normal(6),)),
        Case(ellipsis, (normal(3, 4),)), Case(new_axis, (normal(3, 4),)),
        Case(repeated_integer_array, (normal(4),)), Case(repeated_integer_list, (normal(4),)),
        Case(boolean_mask, (normal(6),)), Case(paired_integer_arrays, (normal(3, 5),)),
        Case(slice_and_integer_list, (normal(3, 5),)), Case(chained, (normal(3, 5),)),
        Case(loop_of_reads, (normal(5),)), Case(index_tuple_variable, (normal(3, 5),)),
        Case(list_of_numbers, ([1.1, 0.4, -0.3],)),
        Case(list_of_arrays, ([normal(3), normal(3), normal(4)],)),
        Case(list_of_arrays, ((normal(3), normal(3), normal(4)),)),
        Case(slice_of_list, ([normal(3), normal(2), normal(3)],)),
        Case(dict_of_arrays, ({"w": normal(3), "b": normal(3)},)),
        Case(nested_containers, ({"layers": [normal(2, 2), normal(3, 2)], "x": normal(2)},)),
    ]),
    np.take: ("np.take(", [Case(take_function, (normal(3, 4),)),
                           Case(take_axis, (normal(3, 4),))]),
}

METHOD_SPECS = {
    "get": [Case(dict_get, ({"w": normal(3), "b": normal(3)},)),
            Case(dict_get_default, ({"w": normal(3)}, 0.7), (0, 1)),
            Case(dict_get_default, ({"w": normal(3)}, 0.7), 1),
            Case(dict_get_default, ({"w": normal(3), "scale": 1.3}, 0.7), (0, 1)),
            Case(dict_get_default, ({"w": normal(3), "scale": 1.3}, 0.7), 1),
            Case(dict_get_default, ({"w": normal(3), "scale": 1.3}, 0.7), 0)],
    "take": [Case(take_method, (normal(3, 4),))],
    "item": [Case(item_flat, (normal(3, 4),)), Case(item_tuple, (normal(3, 4),)),
             Case(item_arguments, (normal(3, 4),))],
}

ALL_CASES = [case for _, cases in SPECS.values() for case in cases] + \
    [case for cases in METHOD_SPECS.values() for case in cases]
CASE_PARAMETERS = [pytest.param(c, id=c.id) for c in ALL_CASES]


@pytest.mark.parametrize("case", CASE_PARAMETERS)
def test_tangent_matches_central_differences(case):
    check_tangent(case.function, *case.args, wrt=case.wrt)


@pytest.mark.parametrize("case", CASE_PARAMETERS)
def test_tangent_agrees_with_adjoint(case):
    check_dot_product(case.function, *case.args, wrt=case.wrt)


def test_every_indexing_rule_has_a_tangent_rule():
    missing = missing_tangent_rules("indexing")
    assert not missing, f"indexing rules without a tangent rule: {missing}"


def test_every_indexing_tangent_rule_has_a_spec():
    rules.load_families()
    covered = {id(primitive) for primitive in SPECS} | {id(c.helper) for c in HELPER_CASES}
    missing = sorted({rule.name for key, rule in rules.TANGENTS.items()
                      if rule.family == "indexing" and key not in covered})
    assert not missing, f"indexing tangent rules without a spec: {missing}"
    missing_methods = sorted(name for name, rule in rules.TANGENT_METHODS.items()
                             if rule.family == "indexing" and name not in METHOD_SPECS)
    assert not missing_methods, f"indexing tangent methods without a spec: {missing_methods}"


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


# --- indices drawn by hypothesis -----------------------------------------------------------

def read(x, index):
    return x[index]


@st.composite
def basic_indices(draw):
    """An array shape and a basic index: integers (negative too), slices with any step,
    ``None`` and at most one ``Ellipsis``."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    parts, axis = [], 0
    used_ellipsis = False
    # after an ellipsis the remaining parts index the trailing axes: draw one for each
    while axis < len(shape) and (used_ellipsis or draw(st.booleans())):
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
            axis = len(shape) - draw(st.integers(0, len(shape) - axis))
    return shape, tuple(parts)


@settings(max_examples=30, deadline=None)
@given(basic_indices())
def test_tangent_of_a_basic_index_of_any_form(shape_and_index):
    shape, index = shape_and_index
    x = normal(*shape)
    check_tangent(read, x, index)
    check_dot_product(read, x, index)


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


@settings(max_examples=30, deadline=None)
@given(advanced_indices())
def test_tangent_of_an_advanced_index_of_any_form(shape_and_index):
    shape, index = shape_and_index
    x = normal(*shape)
    check_tangent(read, x, index)
    check_dot_product(read, x, index)


# --- the runtime helpers of the adjoints -------------------------------------------------------

HELPER_CASES = [
    HelperCase(runtime.take_adjoint, (normal(3), normal(3, 4), [0, 2, 2], None), (0,)),
    HelperCase(runtime.take_adjoint, (normal(3, 3), normal(3, 4), np.array([3, 0, 3]), 1),
               (0,)),
    HelperCase(runtime.item_adjoint, (0.7, normal(3, 4), (2,)), (0,)),
    HelperCase(runtime.item_adjoint, (0.7, normal(3, 4), ((1, 3),)), (0,)),
    HelperCase(runtime.item_adjoint, (0.7, normal(1, 1), ()), (0,)),
    HelperCase(runtime.default_adjoint, (normal(3), {"w": normal(3)}, "scale"), (0,)),
    HelperCase(runtime.default_adjoint, (normal(3), {"scale": normal(3)}, "scale"), (0,)),
]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in HELPER_CASES])
def test_helper_tangent_matches_central_differences(case):
    check_helper_tangent(case)


def test_every_indexing_helper_has_a_spec():
    covered = {case.helper.__name__ for case in HELPER_CASES}
    missing = [name for name in helpers_called("indexing") if name not in covered]
    assert not missing, f"runtime helpers of indexing adjoints without a spec: {missing}"


def test_forward_mode_applies_helper_tangent_rules():
    for case in HELPER_CASES:
        helper_tangent_rules_are_used(case)


def test_hessian_vector_products_through_every_indexing_adjoint():
    hessian_vector_products_of_adjoint_specs(test_rules_indexing.ALL_CASES)


def write_into_a_sum(x, c):
    y = x + c
    y[0] = 0.0
    return np.stack([x, y])


def test_writing_into_an_array_leaves_the_tangent_of_its_source_alone():
    x, direction = normal(3), normal(3)
    kept = direction.copy()
    _, derivative = rg.jvp(write_into_a_sum)(x, 1.0, tangent=direction)
    np.testing.assert_array_equal(direction, kept)
    np.testing.assert_allclose(derivative, [kept, [0.0, kept[1], kept[2]]])


# --- generated code ------------------------------------------------------------------------

def test_tangent_of_a_read_is_the_same_read():
    code = rg.source(rg.jvp(slice_with_step), normal(6))
    assert "dx[1:5:2]" in code, code
    code = rg.source(rg.jvp(paired_integer_arrays), normal(3, 5))
    assert "rt." not in code, code


def test_dict_get_reads_the_tangent_of_the_entry():
    code = rg.source(rg.jvp(dict_get), {"w": normal(3)})
    assert "dp.get('w', 0.0)" in code, code
    code = rg.source(rg.jvp(dict_get_default, wrt=(0, 1)), {"w": normal(3)}, 0.5)
    assert "dp['scale'] if 'scale' in p else dscale" in code, code
