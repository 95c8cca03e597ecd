"""Tangent (forward-mode) rules of shape functions and constructors with a differentiable fill
(compiler/rules/shape.py), and of the runtime helpers their adjoints call.

Each rule is checked on a function returning the primitive's output itself, against central
differences and against its adjoint rule (the dot-product test ``<jvp(f)(x, v), w> ==
<v, pullback(w)>``); reshapes, transposes, joins, repeats, tiles and broadcasts are also drawn
by hypothesis. The checking utilities live in test_tangents_linalg.py.
"""
import dataclasses
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import retrograd as rg
import retrograd.runtime as runtime
from retrograd import rules

import test_rules_shape
from test_tangents_linalg import HelperCase, central_difference, \
    check_dot_product, check_helper_tangent, check_tangent, helper_tangent_rules_are_used, \
    helpers_called, hessian_vector_products_of_adjoint_specs, missing_tangent_rules, normal


@dataclasses.dataclass
class Case:
    function: object
    args: tuple
    wrt: object = 0

    @property
    def id(self):
        shapes = "-".join("x".join(map(str, np.shape(a))) or "s" for a in self.args
                          if not isinstance(a, (list, str)))
        return f"{self.function.__name__}[{shapes}]"


# --- functions under test --------------------------------------------------------------------

def reshape_function(x):
    return np.reshape(x, (3, 4))


def reshape_inferred(x):
    return np.reshape(x, -1)


def reshape_keyword(x):
    return np.reshape(x, shape=(3, -1))


def reshape_fortran(x):
    return np.reshape(x, (3, 4), order="F")


def reshape_method_arguments(x):
    return x.reshape(3, 4)


def reshape_method_tuple(x):
    return x.reshape((3, 4))


def ravel_function(x):
    return np.ravel(x)


def ravel_fortran(x):
    return np.ravel(x, order="F")


def ravel_method(x):
    return x.ravel()


def flatten_method(x):
    return x.flatten()


def flatten_fortran(x):
    return x.flatten("F")


def squeeze_function(x):
    return np.squeeze(x)


def squeeze_axis(x):
    return np.squeeze(x, axis=1)


def squeeze_method(x):
    return x.squeeze()


def expand_dims_function(x):
    return np.expand_dims(x, 1)


def expand_dims_axes(x):
    return np.expand_dims(x, (0, 2))


def atleast_1d_function(x):
    return np.atleast_1d(x)


def atleast_2d_function(x):
    return np.atleast_2d(x)


def atleast_3d_function(x):
    return np.atleast_3d(x)


def transpose_attribute(x):
    return x.T


def transpose_function(x):
    return np.transpose(x)


def transpose_axes(x):
    return np.transpose(x, (2, 0, 1))


def transpose_negative_axes(x):
    return np.transpose(x, axes=(-1, 0, 1))


def transpose_method(x):
    return x.transpose()


def transpose_method_arguments(x):
    return x.transpose(1, 2, 0)


def transpose_method_tuple(x):
    return x.transpose((2, 0, 1))


def swapaxes_function(x):
    return np.swapaxes(x, 0, 2)


def swapaxes_method(x):
    return x.swapaxes(-1, 1)


def moveaxis_function(x):
    return np.moveaxis(x, 0, -1)


def moveaxis_several(x):
    return np.moveaxis(x, [0, 1], [2, 0])


def flip_all(x):
    return np.flip(x)


def flip_axes(x):
    return np.flip(x, axis=(0, 2))


def fliplr_function(x):
    return np.fliplr(x)


def flipud_function(x):
    return np.flipud(x)


def roll_function(x):
    return np.roll(x, 2)


def roll_axes(x):
    return np.roll(x, (1, -1), axis=(0, 1))


def sort_function(x):
    return np.sort(x)


def sort_axis(x):
    return np.sort(x, axis=0)


def sort_flat(x):
    return np.sort(x, axis=None)


def concatenate_rows(a, b):
    return np.concatenate([a, b])


def concatenate_columns(a, b):
    return np.concatenate((a, b, a), axis=-1)


def concatenate_flat(a, b):
    return np.concatenate([a, b], axis=None)


def concatenate_list(xs):
    return np.concatenate(xs, axis=1)


def stack_function(a, b):
    return np.stack([a, b], axis=1)


def stack_list(xs):
    return np.stack(xs)


def hstack_function(a, b):
    return np.hstack([a, b])


def vstack_function(a, b):
    return np.vstack([a, b])


def repeat_function(x):
    return np.repeat(x, 2)


def repeat_counts(x):
    return np.repeat(x, [0, 2, 1], axis=1)


def repeat_method(x):
    return x.repeat(2, axis=0)


def tile_function(x):
    return np.tile(x, (2, 1, 2))


def broadcast_to_function(x):
    return np.broadcast_to(x, (2, 3, 4))


def full_function(v):
    return np.full((3, 4), v)


def full_integer(v):
    return np.full((3, 4), v, dtype=int)


def full_like_function(v):
    return np.full_like(np.zeros((3, 4)), v)


def full_like_integer(v):
    return np.full_like(np.arange(4), v)


def linspace_function(start, stop):
    return np.linspace(start, stop, 4)


def linspace_open(start, stop):
    return np.linspace(start, stop, 5, endpoint=False)


def linspace_axis(start, stop):
    return np.linspace(start, stop, 4, axis=1)


def linspace_step(start, stop):
    return np.linspace(start, stop, 4, retstep=True)


def linspace_integer(start, stop):
    return np.linspace(start, stop, 4, dtype=int)


def linspace_integer_step(start, stop):
    return np.linspace(start, stop, 4, retstep=True, dtype=int)


def meshgrid_function(x, y):
    return np.meshgrid(x, y)


def meshgrid_matrix_indexing(x, y):
    return np.meshgrid(x, y, indexing="ij")


def meshgrid_sparse(x, y, z):
    return np.meshgrid(x, y, z, sparse=True)


def copy_function(x):
    return np.copy(x)


def copy_method(x):
    return x.copy()


def astype_float(x):
    return x.astype(float)


def astype_integer(x):
    return x.astype(int)


SPECS = {
    np.reshape: ("np.reshape(", [
        Case(reshape_function, (normal(12),)), Case(reshape_function, (normal(2, 6),)),
        Case(reshape_inferred, (normal(3, 4),)), Case(reshape_keyword, (normal(2, 6),)),
        Case(reshape_fortran, (normal(2, 6),)),
    ]),
    np.ravel: ("np.ravel(", [Case(ravel_function, (normal(3, 4),)),
                             Case(ravel_fortran, (normal(3, 4),))]),
    np.squeeze: ("np.squeeze(", [Case(squeeze_function, (normal(1, 3, 1, 4),)),
                                 Case(squeeze_axis, (normal(3, 1, 4),))]),
    np.expand_dims: ("np.expand_dims(", [Case(expand_dims_function, (normal(3, 4),)),
                                         Case(expand_dims_axes, (normal(3, 4),))]),
    np.atleast_1d: ("np.atleast_1d(", [Case(atleast_1d_function, (0.4,)),
                                       Case(atleast_1d_function, (normal(4),))]),
    np.atleast_2d: ("np.atleast_2d(", [Case(atleast_2d_function, (normal(4),))]),
    np.atleast_3d: ("np.atleast_3d(", [Case(atleast_3d_function, (normal(4),)),
                                       Case(atleast_3d_function, (normal(3, 4),))]),
    np.transpose: ("np.transpose(", [
        Case(transpose_function, (normal(3, 4),)), Case(transpose_axes, (normal(2, 3, 4),)),
        Case(transpose_negative_axes, (normal(2, 3, 4),)),
    ]),
    np.swapaxes: ("np.swapaxes(", [Case(swapaxes_function, (normal(2, 3, 4),))]),
    np.moveaxis: ("np.moveaxis(", [Case(moveaxis_function, (normal(2, 3, 4),)),
                                   Case(moveaxis_several, (normal(2, 3, 4),))]),
    np.flip: ("np.flip(", [Case(flip_all, (normal(2, 3, 4),)),
                           Case(flip_axes, (normal(2, 3, 4),))]),
    np.fliplr: ("np.fliplr(", [Case(fliplr_function, (normal(3, 4),))]),
    np.flipud: ("np.flipud(", [Case(flipud_function, (normal(3, 4),))]),
    np.roll: ("np.roll(", [Case(roll_function, (normal(3, 4),)), Case(roll_axes, (normal(3, 4),))]),
    np.sort: ("np.sort(", [Case(sort_function, (normal(3, 4),)), Case(sort_axis, (normal(3, 4),)),
                           Case(sort_flat, (normal(3, 4),))]),
    np.concatenate: ("np.concatenate(", [
        Case(concatenate_rows, (normal(2, 4), normal(3, 4)), (0, 1)),
        Case(concatenate_rows, (normal(2, 4), normal(3, 4)), 1),
        Case(concatenate_columns, (normal(2, 3), normal(2, 5)), (0, 1)),
        Case(concatenate_flat, (normal(2, 3), normal(4)), (0, 1)),
        Case(concatenate_list, ([normal(2, 1), normal(2, 3)],)),
    ]),
    np.stack: ("np.stack(", [Case(stack_function, (normal(3, 4), normal(3, 4)), (0, 1)),
                             Case(stack_function, (normal(3, 4), normal(3, 4)), 0),
                             Case(stack_list, ((normal(3), normal(3), normal(3)),))]),
    np.hstack: ("np.hstack(", [
        Case(hstack_function, (normal(3), normal(4)), (0, 1)),
        Case(hstack_function, (normal(2, 3), normal(2, 4)), (0, 1)),
        Case(hstack_function, (1.5, normal(3)), (0, 1)),
    ]),
    np.vstack: ("np.vstack(", [
        Case(vstack_function, (normal(3), normal(3)), (0, 1)),
        Case(vstack_function, (normal(2, 3), normal(3)), 1),
    ]),
    np.repeat: ("np.repeat(", [Case(repeat_function, (normal(2, 3),)),
                               Case(repeat_counts, (normal(2, 3),))]),
    np.tile: ("np.tile(", [Case(tile_function, (normal(2, 3),))]),
    np.broadcast_to: ("np.broadcast_to(", [
        Case(broadcast_to_function, (normal(3, 1),)), Case(broadcast_to_function, (normal(4),)),
        Case(broadcast_to_function, (0.3,)),
    ]),
    np.full: ("np.full(", [Case(full_function, (0.7,)), Case(full_function, (normal(4),)),
                           Case(full_function, (normal(3, 1),)), Case(full_integer, (2.5,))]),
    np.full_like: ("np.full_like(", [Case(full_like_function, (0.7,)),
                                     Case(full_like_function, (normal(4),)),
                                     Case(full_like_integer, (2.5,))]),
    np.linspace: ("np.linspace(", [
        Case(linspace_function, (0.3, 1.7), (0, 1)),
        Case(linspace_function, (0.3, 1.7), 1),
        Case(linspace_open, (normal(3), 2.0), 0),
        Case(linspace_axis, (normal(2), normal(2)), (0, 1)),
        Case(linspace_step, (0.3, 1.7), (0, 1)),
        Case(linspace_integer, (0.3, 9.7), (0, 1)),
        Case(linspace_integer_step, (0.3, 9.7), (0, 1)),
    ]),
    np.meshgrid: ("np.meshgrid(", [
        Case(meshgrid_function, (normal(3), normal(2)), (0, 1)),
        Case(meshgrid_function, (normal(3), normal(2)), 1),
        Case(meshgrid_matrix_indexing, (normal(3), normal(2)), (0, 1)),
        Case(meshgrid_sparse, (normal(3), normal(2), normal(2)), (0, 2)),
    ]),
    np.copy: ("np.copy(", [Case(copy_function, (normal(3),))]),
}

METHOD_SPECS = {
    "reshape": [Case(reshape_method_arguments, (normal(12),)),
                Case(reshape_method_tuple, (normal(2, 6),))],
    "ravel": [Case(ravel_method, (normal(3, 4),))],
    "flatten": [Case(flatten_method, (normal(3, 4),)), Case(flatten_fortran, (normal(3, 4),))],
    "squeeze": [Case(squeeze_method, (normal(1, 3, 1, 4),))],
    "transpose": [Case(transpose_method, (normal(3, 4),)),
                  Case(transpose_method_arguments, (normal(2, 3, 4),)),
                  Case(transpose_method_tuple, (normal(2, 3, 4),))],
    "swapaxes": [Case(swapaxes_method, (normal(2, 3, 4),))],
    "repeat": [Case(repeat_method, (normal(2, 3),))],
    "copy": [Case(copy_method, (normal(3),)), Case(copy_method, ([normal(3), 0.5],))],
    "astype": [Case(astype_float, (normal(3),)), Case(astype_integer, (3.0 * normal(4),))],
}

ATTRIBUTE_SPECS = {"T": [Case(transpose_attribute, (normal(3, 4),))]}

ALL_CASES = [case for _, cases in SPECS.values() for case in cases] + \
    [case for cases in METHOD_SPECS.values() for case in cases] + \
    [case for cases in ATTRIBUTE_SPECS.values() for case in cases]
CASE_PARAMETERS = [pytest.param(c, id=c.id) for c in ALL_CASES]


@pytest.mark.parametrize("case", CASE_PARAMETERS)
def test_tangent_matches_central_differences(case):
    check_tangent(case.function, *case.args, wrt=case.wrt)


@pytest.mark.parametrize("case", CASE_PARAMETERS)
def test_tangent_agrees_with_adjoint(case):
    check_dot_product(case.function, *case.args, wrt=case.wrt)


def test_every_shape_rule_has_a_tangent_rule():
    missing = missing_tangent_rules("shape")
    assert not missing, f"shape rules without a tangent rule: {missing}"


def test_every_shape_tangent_rule_has_a_spec():
    rules.load_families()
    covered = {id(primitive) for primitive in SPECS} | {id(c.helper) for c in HELPER_CASES}
    missing = sorted({rule.name for key, rule in rules.TANGENTS.items()
                      if rule.family == "shape" and key not in covered})
    assert not missing, f"shape tangent rules without a spec: {missing}"
    missing_methods = sorted(name for name, rule in rules.TANGENT_METHODS.items()
                             if rule.family == "shape" and name not in METHOD_SPECS)
    assert not missing_methods, f"shape tangent methods without a spec: {missing_methods}"
    missing_attributes = sorted(name for name, rule in rules.TANGENT_ATTRIBUTES.items()
                                if rule.family == "shape" and name not in ATTRIBUTE_SPECS)
    assert not missing_attributes, f"shape tangent attributes without a spec: {missing_attributes}"


@pytest.mark.parametrize("primitive", list(SPECS), ids=lambda p: SPECS[p][0])
def test_each_spec_calls_its_primitive(primitive):
    spelling, cases = SPECS[primitive]
    for case in cases:
        assert spelling in inspect.getsource(case.function), \
            f"{case.function.__name__} does not call {spelling}"


@pytest.mark.parametrize("method", list(METHOD_SPECS) + list(ATTRIBUTE_SPECS))
def test_each_method_spec_calls_its_method(method):
    for case in METHOD_SPECS.get(method, ATTRIBUTE_SPECS.get(method)):
        source = inspect.getsource(case.function)
        assert f".{method}(" in source or f".{method}\n" in source, \
            f"{case.function.__name__} does not use .{method}"


def total_of_integer_full(v):
    return np.sum(np.full(3, v, dtype=int))


def total_of_integer_full_like(v):
    return np.sum(np.full_like(np.arange(3), v))


def test_integer_fill_passes_no_gradient():
    assert rg.grad(total_of_integer_full)(2.5) == 0.0
    assert rg.grad(total_of_integer_full_like)(2.5) == 0.0


def flatten_then_write(x):
    y = x.flatten()
    y[0] = 0.0
    return np.concatenate([np.ravel(x), y])


def cast_then_write(x):
    y = x.astype(float)
    y[0, 0] = 0.0
    return np.concatenate([np.ravel(x), np.ravel(y)])


@pytest.mark.parametrize("function", [flatten_then_write, cast_then_write])
def test_writing_into_a_copy_leaves_the_tangent_of_its_source_alone(function):
    x, direction = normal(2, 2), normal(2, 2)
    kept = direction.copy()
    _, derivative = rg.jvp(function)(x, tangent=direction)
    np.testing.assert_array_equal(direction, kept)
    np.testing.assert_allclose(derivative[:4], np.ravel(kept))
    assert derivative[4] == 0.0


# --- shapes drawn by hypothesis --------------------------------------------------------------

def reshape_to(x, shape):
    return np.reshape(x, shape)


def reshape_method_to(x, shape):
    return x.reshape(shape)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), st.data())
def test_reshape_tangent_to_any_compatible_shape(shape, data):
    size = int(np.prod(shape))
    factors = [d for d in range(1, size + 1) if size % d == 0]
    first = data.draw(st.sampled_from(factors))
    target = data.draw(st.sampled_from([(first, size // first), (-1,), (first, -1), (size,)]))
    x = normal(*shape)
    for function in (reshape_to, reshape_method_to):
        check_tangent(function, x, target)
        check_dot_product(function, x, target)


def transpose_by(x, axes):
    return np.transpose(x, axes)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple), st.data())
def test_transpose_tangent_by_any_permutation(shape, data):
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    x = normal(*shape)
    check_tangent(transpose_by, x, axes)
    check_dot_product(transpose_by, x, axes)


def concatenate_along(a, b, c, axis):
    return np.concatenate([a, b, c], axis)


def stack_along(a, b, c, axis):
    return np.stack([a, b, c], axis)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), st.data())
def test_concatenate_and_stack_tangents_along_any_axis(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=3, max_size=3))
    pieces = []
    for size in sizes:
        piece_shape = list(shape)
        piece_shape[axis] = size
        pieces.append(normal(*piece_shape))
    wrt = data.draw(st.sampled_from([(0, 1, 2), (1,), (0, 2)]))
    check_tangent(concatenate_along, *pieces, axis, wrt=wrt)
    check_dot_product(concatenate_along, *pieces, axis, wrt=wrt)
    equal = [normal(*shape) for _ in range(3)]
    stack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_tangent(stack_along, *equal, stack_axis, wrt=wrt)
    check_dot_product(stack_along, *equal, stack_axis, wrt=wrt)


def repeat_with(x, repeats, axis):
    return np.repeat(x, repeats, axis)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), st.data())
def test_repeat_tangent_of_any_counts(shape, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    length = int(np.prod(shape)) if axis is None else shape[axis]
    repeats = data.draw(st.one_of(st.integers(0, 3),
                                  st.lists(st.integers(0, 3), min_size=length, max_size=length)))
    x = normal(*shape)
    check_tangent(repeat_with, x, repeats, axis)
    check_dot_product(repeat_with, x, repeats, axis)


def tile_with(x, reps):
    return np.tile(x, reps)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple),
       st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=1, max_size=4)
                 .map(tuple)))
def test_tile_tangent_of_any_repetitions(shape, reps):
    x = normal(*shape) if shape else 0.8
    check_tangent(tile_with, x, reps)
    check_dot_product(tile_with, x, reps)


def broadcast_with(x, shape):
    return np.broadcast_to(x, shape)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), st.data())
def test_broadcast_to_tangent_from_any_compatible_shape(shape, data):
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    source = tuple(1 if data.draw(st.booleans()) else n for n in shape)
    x = normal(*source)
    check_tangent(broadcast_with, x, lead + shape)
    check_dot_product(broadcast_with, x, lead + shape)


# --- the runtime helpers of the adjoints -------------------------------------------------------

def linspace_adjoint_in_generated_code(g, num, endpoint, axis):
    """``rt.linspace_fractions`` depends only on the shape of its cotangent."""
    return runtime.linspace_fractions(g, num, endpoint, axis)


HELPER_CASES = [
    HelperCase(runtime.sum_like, (normal(2, 3, 4), normal(3, 1)), (0,)),
    HelperCase(runtime.sum_like, (normal(3), 0.4), (0,)),
    HelperCase(runtime.split_like, (normal(5, 3), [normal(2, 3), normal(3, 3)], 0), (0,)),
    HelperCase(runtime.split_like, (normal(10), [normal(2, 3), normal(4)], None), (0,)),
    HelperCase(runtime.unstack, (normal(3, 2, 4), [normal(3, 4), normal(3, 4)], 1), (0,)),
    HelperCase(runtime.unstack_like, (normal(2, 3), [[0.1, 0.2, 0.3], normal(3)]), (0,)),
    HelperCase(runtime.hstack_adjoint, (normal(2, 7), [normal(2, 3), normal(2, 4)]), (0,)),
    HelperCase(runtime.hstack_adjoint, (normal(4), [1.5, normal(3)]), (0,)),
    HelperCase(runtime.vstack_adjoint, (normal(3, 3), [normal(2, 3), normal(3)]), (0,)),
    HelperCase(runtime.transpose_adjoint, (normal(4, 2, 3), (2, 0, 1)), (0,)),
    HelperCase(runtime.transpose_adjoint, (normal(4, 2, 3), ((2, 0, 1),)), (0,)),
    HelperCase(runtime.cast_adjoint, (normal(3), normal(3), float), (0,)),
    HelperCase(runtime.cast_adjoint, (normal(3), normal(3), int), (0,)),
    HelperCase(runtime.repeat_adjoint, (normal(2, 4), normal(2, 3), [0, 3, 1], 1), (0,)),
    HelperCase(runtime.repeat_adjoint, (normal(12), normal(2, 3), 2, None), (0,)),
    HelperCase(runtime.tile_adjoint, (normal(2, 2, 6), normal(2, 3), (2, 1, 2)), (0,)),
    HelperCase(runtime.roll_adjoint, (normal(3, 4), (1, -1), (0, 1)), (0,)),
    HelperCase(runtime.meshgrid_adjoint, ((normal(2, 3), normal(2, 3)), [normal(3), normal(2)],
                                          "xy"), (0,)),
    HelperCase(runtime.meshgrid_adjoint, ((normal(3, 2), 0.0), [normal(3), normal(2)], "ij"),
               (0,)),
    HelperCase(runtime.sort_adjoint, (normal(3, 4), normal(3, 4), 0), (0,)),
    HelperCase(runtime.sort_adjoint, (normal(12), normal(3, 4), None), (0,)),
    HelperCase(runtime.linspace_adjoint, (
        normal(4, 2), np.zeros((4, 2)), normal(2), 1.0, 4, True, False, None, 0), (0,)),
    HelperCase(runtime.linspace_adjoint, (
        (normal(2, 5), 0.3), (np.zeros((2, 5)), 0.1), normal(2), 1.0, 5, False, True, None, 1),
        (0,)),
    HelperCase(runtime.linspace_adjoint, (
        normal(4), np.zeros(4, dtype=int), 0.0, 9.0, 4, True, False, int, 0), (0,)),
    HelperCase(runtime.fill_adjoint, (normal(3, 4), np.zeros((3, 4)), normal(4)), (0,)),
    HelperCase(runtime.fill_adjoint, (normal(3, 4), np.zeros((3, 4), dtype=int), 0.5), (0,)),
]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in HELPER_CASES])
def test_helper_tangent_matches_central_differences(case):
    check_helper_tangent(case)


def test_every_shape_helper_has_a_spec():
    covered = {case.helper.__name__ for case in HELPER_CASES}
    missing = [name for name in helpers_called("shape")
               if name not in covered and not rules.is_nondifferentiable(getattr(runtime, name))]
    assert not missing, f"runtime helpers of shape adjoints without a spec: {missing}"


def test_linspace_fractions_are_constant():
    g, direction = normal(4, 3), normal(4, 3)
    moved = central_difference(linspace_adjoint_in_generated_code, (g, 4, True, 0), (0,),
                               [direction])
    assert rules.is_nondifferentiable(runtime.linspace_fractions)
    assert not np.any(moved)


def test_forward_mode_applies_helper_tangent_rules():
    for case in HELPER_CASES:
        helper_tangent_rules_are_used(case)


def test_hessian_vector_products_through_every_shape_adjoint():
    hessian_vector_products_of_adjoint_specs(test_rules_shape.ALL_CASES)


# --- generated code ------------------------------------------------------------------------

def test_rearrangement_tangents_are_the_same_rearrangement():
    code = rg.source(rg.jvp(transpose_axes), normal(2, 3, 4))
    assert "np.transpose(dx, " in code, code
    code = rg.source(rg.jvp(reshape_function), normal(12))
    assert "np.reshape(dx, np.shape(" in code, code


def test_tangent_of_a_partly_active_list_fills_zeros():
    code = rg.source(rg.jvp(concatenate_rows, wrt=1), normal(2, 4), normal(3, 4))
    assert "rt.zeros_like(a)" in code and "db" in code, code
