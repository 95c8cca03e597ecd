"""Reverse mode through data: augmented assignment, unpacking, lists, dicts, tuples,
container arguments (the gradient keeps their structure) and in-place array updates."""
import numpy as np
import pytest

import retrograd as rg
from gradcheck import assert_close, check_gradient, numeric

V5 = np.array([0.3, -1.2, 0.8, 1.5, -0.4])
W5 = np.array([1.1, 0.2, -0.7, 0.5, 0.9])
M43 = np.array([[0.2, -0.5, 0.9],
                [1.1, 0.3, -0.8],
                [-0.4, 0.7, 0.6],
                [0.5, -1.0, 0.1]])


# =============================================================================================
# augmented assignment
# =============================================================================================

def aug_scalar(x, y):
    s = x
    s += y * x
    s -= np.sin(y)
    s *= x
    s /= 1.0 + y * y
    s **= 2
    return s


def test_augmented_assignment_on_scalars():
    check_gradient(aug_scalar, 0.7, -0.4, wrt=(0, 1))


def aug_array(v, w):
    y = v * 2.0
    y += w
    y -= v * w
    y *= np.cos(v)
    y /= 2.0 + w * w
    return np.sum(y ** 2)


def test_augmented_assignment_on_arrays():
    check_gradient(aug_array, V5.copy(), W5.copy(), wrt=(0, 1))


def aug_in_loop(v, x):
    s = 0.0
    p = 1.0
    for a in v:
        s += a * p
        p *= x
    return s


def test_augmented_assignment_in_loop():
    check_gradient(aug_in_loop, V5.copy(), 0.8, wrt=(0, 1))


def aug_broadcast(m, row):
    y = m * 1.0
    y += row
    y *= row
    return np.sum(np.tanh(y))


def test_augmented_assignment_broadcasting_row():
    check_gradient(aug_broadcast, M43.copy(), np.array([0.3, -0.6, 1.2]), wrt=(0, 1))


def aug_scalar_into_array_name(v, x):
    total = np.zeros(5)
    total += x
    total *= v
    return np.sum(total ** 2)


def test_augmented_assignment_scalar_into_array():
    check_gradient(aug_scalar_into_array_name, V5.copy(), 0.6, wrt=(0, 1))


# =============================================================================================
# tuple unpacking and swaps
# =============================================================================================

def swap(x, y):
    a, b = x, y * 2.0
    a, b = b, a
    return a * np.sin(b) + a


def test_tuple_swap():
    check_gradient(swap, 0.7, -0.4, wrt=(0, 1))


def fibonacci_like(x, y, n):
    a, b = x, y
    for _ in range(n):
        a, b = b, a + b * 0.5
    return a * b


def test_fibonacci_swap_in_loop():
    check_gradient(fibonacci_like, 0.7, -0.4, 6, wrt=(0, 1))


def rotation_in_loop(x, y, theta):
    c, s = np.cos(theta), np.sin(theta)
    for _ in range(3):
        x, y = c * x - s * y, s * x + c * y
    return x * x + 3.0 * y


def test_rotation_tuple_assignment_in_loop():
    check_gradient(rotation_in_loop, 0.7, -0.4, 0.3, wrt=(0, 1, 2))


def nested_unpacking(x, y, z):
    (a, b), c = (x * y, y), z * x
    return a * b + c * c


def test_nested_tuple_unpacking():
    check_gradient(nested_unpacking, 0.7, -0.4, 1.3, wrt=(0, 1, 2))


def unpack_rows(m):
    r0, r1, r2, r3 = m
    return np.sum(r0 * r1) + np.sum(r2 * r3 * r3)


def test_unpack_rows_of_array():
    check_gradient(unpack_rows, M43.copy())


def starred_unpacking(v):
    first, *rest = [v[0], v[1] * 2.0, v[2]]
    return first * rest[0] + rest[1] ** 2


def test_starred_unpacking():
    check_gradient(starred_unpacking, V5.copy())


def chained_assignment(x):
    a = b = x * 2.0
    return a * b + a


def test_chained_assignment():
    check_gradient(chained_assignment, 0.7)


# =============================================================================================
# lists
# =============================================================================================

def list_literal_index(x, y):
    items = [x, y * x, np.exp(y)]
    return items[0] * items[1] + items[-1] * items[2]


def test_list_literal_indexing():
    check_gradient(list_literal_index, 0.7, -0.4, wrt=(0, 1))


def list_append_in_loop(v, x):
    out = []
    for a in v:
        out.append(np.sin(a * x))
    total = 0.0
    for i in range(len(out)):
        total = total + out[i] * (i + 1)
    return total + out[-1] * out[0]


def test_list_append_and_index():
    check_gradient(list_append_in_loop, V5.copy(), 0.8, wrt=(0, 1))


def list_unpacking(x):
    items = [x, x * x, x * x * x]
    a, b, c = items
    return a * b - c


def test_list_unpacking():
    check_gradient(list_unpacking, 0.7)


def list_of_arrays_stack(v, w):
    rows = []
    for k in range(3):
        rows.append(v * (k + 1) + w)
    m = np.stack(rows)
    return np.sum(np.tanh(m))


def test_list_of_arrays_to_np_stack():
    check_gradient(list_of_arrays_stack, V5.copy(), W5.copy(), wrt=(0, 1))


def list_to_np_array(x, y):
    a = np.array([x, y, x * y])
    return np.sum(a ** 2)


def test_list_of_scalars_to_np_array():
    check_gradient(list_to_np_array, 0.7, -0.4, wrt=(0, 1))


def builtin_sum_of_list(v, x):
    terms = [v * x, v * v, np.sin(v)]
    return np.sum(sum(terms))


def test_builtin_sum_over_list_of_arrays():
    check_gradient(builtin_sum_of_list, V5.copy(), 0.8, wrt=(0, 1))


def list_item_assignment(x):
    items = [x, 2.0 * x, 3.0]
    items[1] = items[0] * items[1]
    items[2] = np.sin(items[1])
    return items[0] + items[1] + items[2]


def test_list_item_assignment():
    check_gradient(list_item_assignment, 0.7)


def list_history(x):
    history = [x]
    for i in range(4):
        history.append(np.sin(history[-1]) + x)
    return history[-1] * history[1]


def test_list_reads_last_element_while_appending():
    check_gradient(list_history, 0.6)


def list_len_and_slice(v, x):
    items = [v[0] * x, v[1], v[2] * x * x, v[3]]
    head = items[:2]
    s = 0.0
    for a in head:
        s = s + a
    return s * len(items) + items[2]


def test_list_slice_and_len():
    check_gradient(list_len_and_slice, V5.copy(), 0.8, wrt=(0, 1))


def list_comprehension(v, x):
    terms = [a * x for a in v]
    return sum(terms)


def test_list_comprehension_supported_or_refused_cleanly():
    # comprehensions are not named in the contract: either correct or a clean refusal
    try:
        check_gradient(list_comprehension, V5.copy(), 0.8, wrt=(0, 1))
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


# =============================================================================================
# dicts and tuples
# =============================================================================================

def dict_literal(x, y):
    d = {"a": x * y, "b": np.sin(x), "c": 2.0}
    return d["a"] * d["b"] + d["c"] * y


def test_dict_literal_read_by_key():
    check_gradient(dict_literal, 0.7, -0.4, wrt=(0, 1))


def dict_set_key(x, y):
    d = {"a": x}
    d["b"] = x * y
    d["a"] = d["a"] * d["b"]
    return d["a"] + d["b"]


def test_dict_write_by_key():
    check_gradient(dict_set_key, 0.7, -0.4, wrt=(0, 1))


def dict_built_in_loop(v):
    d = {}
    for i in range(3):
        d[i] = v[i] * v[i + 1]
    return d[0] + d[1] * d[2]


def test_dict_built_in_loop_with_int_keys():
    check_gradient(dict_built_in_loop, V5.copy())


def dict_get_method(x):
    d = {"a": x * x}
    return d.get("a", 0.0) + d.get("b", 1.0) * x


def test_dict_get_method():
    check_gradient(dict_get_method, 0.7)


def tuple_index(x, y):
    t = (x, y, x * y)
    return t[0] * t[2] + t[-2]


def test_tuple_literal_indexing():
    check_gradient(tuple_index, 0.7, -0.4, wrt=(0, 1))


# =============================================================================================
# container arguments: the gradient keeps the structure
# =============================================================================================

def loss_tuple(params, x):
    w, b = params
    return np.sum(np.tanh(x @ w + b) ** 2)


def test_tuple_parameter():
    w = M43[:3].copy()
    b = np.array([0.1, -0.2, 0.3])
    x = np.array([[0.5, -0.4, 0.2], [0.1, 0.9, -0.3]])
    g = check_gradient(loss_tuple, (w, b), x)
    assert isinstance(g, tuple) and len(g) == 2
    assert g[0].shape == w.shape and g[1].shape == b.shape


def loss_list(layers, x):
    h = x
    for w in layers:
        h = np.tanh(h @ w)
    return np.sum(h)


def test_list_parameter_iterated():
    layers = [M43[:3].copy(), M43[1:].T.copy() @ M43[1:], np.eye(3) * 0.5]
    x = np.array([0.5, -0.4, 0.2])
    g = check_gradient(loss_list, layers, x)
    assert isinstance(g, list) and len(g) == 3


def loss_dict(params, x):
    h = np.tanh(x @ params["w"] + params["b"])
    return np.sum(h * params["scale"])


def test_dict_parameter():
    params = {"w": M43[:3].copy(), "b": np.array([0.1, -0.2, 0.3]), "scale": 1.5}
    g = check_gradient(loss_dict, params, np.array([0.5, -0.4, 0.2]))
    assert isinstance(g, dict) and set(g) == {"w", "b", "scale"}
    assert isinstance(g["scale"], float) or np.ndim(g["scale"]) == 0


def loss_dict_unused(params, x):
    return np.sum(params["w"] * x)


def test_dict_parameter_unused_leaf_gets_zero():
    params = {"w": np.array([0.1, 0.2]), "unused": np.array([[1.0, 2.0], [3.0, 4.0]])}
    g = rg.grad(loss_dict_unused)(params, np.array([0.5, -0.4]))
    assert set(g) == {"w", "unused"}
    assert_close(g["w"], np.array([0.5, -0.4]))
    assert np.shape(g["unused"]) == (2, 2) and np.all(np.asarray(g["unused"]) == 0.0)


def loss_tuple_unused(params):
    a, b, c = params
    return a * a + 2.0 * c


def test_tuple_parameter_unused_leaf_gets_zero():
    g = rg.grad(loss_tuple_unused)((0.5, np.array([1.0, 2.0]), 0.25))
    assert isinstance(g, tuple) and len(g) == 3
    assert_close(g, (1.0, np.zeros(2), 2.0))


def loss_list_index(ws, x):
    return ws[0] * x + ws[1] * ws[2] * x * x


def test_list_of_floats_parameter():
    g = check_gradient(loss_list_index, [0.5, -0.3, 1.2], 0.8)
    assert isinstance(g, list)


def loss_nested(params, x):
    w1, b1 = params["layer1"]
    w2, b2 = params["layer2"]
    h = np.tanh(x @ w1 + b1)
    return np.sum((h @ w2 + b2) ** 2)


def test_nested_container_parameter():
    params = {"layer1": (M43[:3].copy(), np.array([0.1, 0.2, -0.1])),
              "layer2": (M43[1:].copy(), np.array([0.3, -0.3, 0.0]))}
    g = check_gradient(loss_nested, params, np.array([0.5, -0.4, 0.2]))
    assert isinstance(g["layer1"], tuple)


def loss_two_containers(a, b):
    return np.sum(a["w"] * b[0]) + b[1] ** 2


def test_two_container_parameters_wrt_both():
    a = {"w": np.array([0.3, -0.7])}
    b = [np.array([1.1, 0.4]), 0.6]
    check_gradient(loss_two_containers, a, b, wrt=(0, 1))


def loss_tuple_loop(params, xs):
    total = 0.0
    for x in xs:
        w, b = params
        total = total + np.sum((w * x + b) ** 2)
    return total


def test_tuple_parameter_unpacked_inside_loop():
    params = (np.array([0.3, -0.2]), np.array([0.1, 0.4]))
    xs = [np.array([1.0, 2.0]), np.array([-0.5, 0.3]), np.array([0.2, 0.2])]
    check_gradient(loss_tuple_loop, params, xs)


def test_container_gradient_with_value_and_grad():
    params = {"w": M43[:3].copy(), "b": np.array([0.1, -0.2, 0.3]), "scale": 1.5}
    x = np.array([0.5, -0.4, 0.2])
    value, g = rg.value_and_grad(loss_dict)(params, x)
    assert_close(value, loss_dict(params, x))
    assert_close(g, rg.grad(loss_dict)(params, x))


# =============================================================================================
# in-place array updates
# =============================================================================================

def setitem_scalar_index(x, v):
    y = np.zeros(3)
    y[0] = x * x
    y[1] = np.sin(x) * v[1]
    y[2] = v[0]
    return np.sum(y * np.array([1.0, 2.0, 3.0]) * y)


def test_setitem_scalar_index_on_zeros():
    check_gradient(setitem_scalar_index, 0.7, V5.copy(), wrt=(0, 1))


def setitem_in_loop(v, w):
    out = np.zeros(len(v))
    for i in range(len(v)):
        out[i] = np.sin(v[i]) * w[i]
    return np.sum(out ** 2)


def test_setitem_in_loop():
    check_gradient(setitem_in_loop, V5.copy(), W5.copy(), wrt=(0, 1))


def recurrence_in_array(v, a):
    h = np.zeros(len(v))
    h[0] = v[0]
    for i in range(1, len(v)):
        h[i] = h[i - 1] * a + v[i]
    return np.sum(h * h)


def test_setitem_recurrence_reads_previous_element():
    check_gradient(recurrence_in_array, V5.copy(), 0.8, wrt=(0, 1))


def overwrite_read_element(v):
    y = v * 1.0
    t = y[0] * y[1]
    y[0] = y[1] * y[2]
    y[1] = t * y[0]
    return np.sum(y * y)


def test_setitem_overwrites_element_that_was_read():
    check_gradient(overwrite_read_element, V5.copy())


def overwrite_same_element_in_loop(v, x):
    y = v * 1.0
    for k in range(3):
        y[1] = y[1] * x + y[0]
        y[0] = np.sin(y[1])
    return np.sum(y)


def test_setitem_same_element_overwritten_in_loop():
    check_gradient(overwrite_same_element_in_loop, V5.copy(), 0.8, wrt=(0, 1))


def setitem_slice(v, w):
    y = np.zeros(6)
    y[1:4] = v[:3] * w[2:]
    y[4:] = np.tanh(v[3:])
    return np.sum(y ** 2) + y[2]


def test_setitem_slice():
    check_gradient(setitem_slice, V5.copy(), W5.copy(), wrt=(0, 1))


def setitem_slice_in_loop(m):
    out = np.zeros((4, 3))
    for i in range(4):
        out[i, :] = m[i] * (i + 1.0)
        out[i, 1:] = out[i, 1:] * m[i, 0]
    return np.sum(out ** 2)


def test_setitem_row_slices_in_loop():
    check_gradient(setitem_slice_in_loop, M43.copy())


def setitem_column(m, c):
    y = m * 1.0
    y[:, 1] = c
    return np.sum(np.tanh(y) ** 2)


def test_setitem_column_of_copy():
    check_gradient(setitem_column, M43.copy(), np.array([0.1, 0.2, 0.3, 0.4]), wrt=(0, 1))


def setitem_augmented_index(v, x):
    y = np.zeros(3)
    y[0] += x
    y[1] += x * v[0]
    y[1] += v[1]
    y[2] -= np.sin(x)
    y[0] *= v[2]
    return np.sum(y * y)


def test_setitem_augmented_on_elements():
    check_gradient(setitem_augmented_index, V5.copy(), 0.8, wrt=(0, 1))


def histogram_accumulate(v, w):
    bins = np.zeros(3)
    for i in range(len(v)):
        k = i % 3
        bins[k] += v[i] * w[i]
    return np.sum(bins ** 2)


def test_setitem_augmented_in_loop_with_computed_index():
    check_gradient(histogram_accumulate, V5.copy(), W5.copy(), wrt=(0, 1))


def augmented_slice(v, w):
    y = v * 1.0
    y[1:3] += w[:2] * 2.0
    y[:2] *= w[3:]
    return np.sum(y ** 2)


def test_augmented_slice_assignment():
    check_gradient(augmented_slice, V5.copy(), W5.copy(), wrt=(0, 1))


def inplace_whole_array_in_loop(v, w):
    acc = np.zeros(5)
    for k in range(3):
        acc += v * w ** k
        acc *= 0.5
    return np.sum(acc ** 2)


def test_inplace_whole_array_updates_in_loop():
    check_gradient(inplace_whole_array_in_loop, V5.copy(), W5.copy(), wrt=(0, 1))


def inplace_product_in_loop(v):
    p = np.ones(5)
    for k in range(3):
        p *= v + k
    return np.sum(p)


def test_inplace_multiply_in_loop_needs_saves():
    check_gradient(inplace_product_in_loop, V5.copy())


def setitem_2d_in_nested_loop(m):
    out = np.zeros((4, 3))
    for i in range(4):
        for j in range(3):
            out[i, j] = m[i, j] * m[i, (j + 1) % 3]
    return np.sum(out * out)


def test_setitem_2d_in_nested_loop():
    check_gradient(setitem_2d_in_nested_loop, M43.copy())


def masked_assignment(v):
    y = v * 2.0
    y[y < 0] = 0.0
    return np.sum(y * y * v)


def test_boolean_mask_assignment():
    check_gradient(masked_assignment, V5.copy())


def copy_then_setitem(v, x):
    y = v.copy()
    y[2] = x * y[3]
    return np.sum(np.sin(y))


def test_setitem_on_copy_of_input():
    v = V5.copy()
    check_gradient(copy_then_setitem, v, 0.8, wrt=(0, 1))
    np.testing.assert_array_equal(v, V5)


def setitem_zeros_like(v):
    y = np.zeros_like(v)
    y[0] = v[-1]
    y[-1] = v[0] * v[1]
    return np.sum(y * v)


def test_setitem_on_zeros_like():
    check_gradient(setitem_zeros_like, V5.copy())


def setitem_then_loop_reads(v, x):
    y = np.zeros(5)
    for i in range(5):
        y[i] = v[i] * x
    s = 0.0
    for i in range(5):
        s = s + y[i] * y[4 - i]
    return s


def test_setitem_then_read_in_second_loop():
    check_gradient(setitem_then_loop_reads, V5.copy(), 0.8, wrt=(0, 1))


# =============================================================================================
# harder cases: aliasing, in-place on parameters, list/tuple operations
# =============================================================================================

def inplace_on_array_parameter(v):
    v += 1.0
    return np.sum(v * v)


def test_inplace_update_of_array_parameter():
    # the gradient of the function as written: d/dv sum((v + 1)^2) = 2 (v + 1)
    got = rg.grad(inplace_on_array_parameter)(V5.copy())
    assert_close(got, 2.0 * (V5 + 1.0))


def setitem_on_array_parameter(v, x):
    v[0] = x * v[1]
    return np.sum(v * v)


def test_setitem_on_array_parameter():
    got = rg.grad(setitem_on_array_parameter, wrt=(0, 1))(V5.copy(), 0.8)
    expected_v = 2.0 * V5
    expected_v[0] = 0.0
    expected_v[1] += 2.0 * (0.8 * V5[1]) * 0.8
    assert_close(got, (expected_v, 2.0 * 0.8 * V5[1] * V5[1]))


def alias_then_setitem(x):
    a = np.zeros(3)
    b = a
    b[0] = x
    return a[0] * x + b[0]


def test_setitem_through_alias_is_refused_with_location():
    # a and b are the same array: retrograd follows names, not shared objects, so it refuses
    with pytest.raises(rg.DifferentiationError, match="same object") as caught:
        rg.grad(alias_then_setitem)(0.7)
    assert caught.value.filename.endswith("test_containers.py") and caught.value.lineno


def alias_through_conditional(x, v):
    a = v * 1.0
    b = a if x > 0.0 else v      # b may be a, and a is then changed under it
    a[0] = x
    return np.sum(b)


def view_of_either(x, v):
    a = v * 1.0
    a[0:1] = a[:1] if x > 0.0 else v[:1]     # the right side may view a or v, never both
    return np.sum(a * a) + x


def test_setitem_through_conditional_alias_is_refused():
    # the alias is made by a conditional expression (a chain `b = _t`, `_t = a` after ANF):
    # once differentiated silently wrong (dx 0 instead of 1)
    with pytest.raises(rg.DifferentiationError, match="same object as `b`") as caught:
        rg.grad(alias_through_conditional, wrt=(0, 1))(0.5, V5.copy())
    assert caught.value.lineno == alias_through_conditional.__code__.co_firstlineno + 3
    assert "b = np.copy(...)" in str(caught.value)


def test_value_that_may_view_either_of_two_arrays_does_not_join_them():
    for x in (0.5, -0.5):
        check_gradient(view_of_either, x, V5.copy(), wrt=(0, 1))


def write_through_flip(x, v):
    a = v * 1.0
    b = np.flip(a)
    b[0] = x
    return np.sum(a * a)


def write_under_transpose(x, v):
    a = v * 1.0
    b = a.T
    a[0] = x
    return np.sum(b * b)


def write_through_reshape(x, v):
    a = v * 1.0
    m = a.reshape(2, 2)
    m[0, 1] = x
    return np.sum(a * a)


def update_through_asarray(x, v):
    a = v * 1.0
    b = np.asarray(a)
    b += x
    return np.sum(a * a)


def same_array(p):
    return p


def write_through_helper_result(x, v):
    a = v * 1.0
    b = same_array(a)
    b[0] = x
    return np.sum(a * a)


def write_through_list_element(x, v):
    a = v * 1.0
    items = [a]
    b = items[0]
    b[1] = x
    return np.sum(a * a)


def fresh_array(p):
    return p * 2.0


def write_to_helper_result_that_is_new(x, v):
    a = v * 1.0
    b = fresh_array(a)
    b[0] = x
    return np.sum(a * a) + np.sum(b)


def float_updated_in_place_name(x, v):
    a = np.concatenate((v[:2], v[1:2]))
    s = x
    s *= np.cos(a[0])       # rebinds s: a float is never changed in place
    return s + x


@pytest.mark.parametrize("f", [write_through_flip, write_under_transpose, write_through_reshape,
                               update_through_asarray, write_through_helper_result,
                               write_through_list_element])
def test_change_through_a_view_or_shared_array_is_refused(f):
    # each was once silently wrong (random programs, BUG-9..11): the write reached the other
    # name's array at run time, but not its derivative
    with pytest.raises(rg.DifferentiationError, match="same object") as caught:
        rg.grad(f, wrt=(0, 1))(0.7, V5[:4].copy())
    assert caught.value.filename.endswith("test_containers.py")


@pytest.mark.parametrize("f", [write_to_helper_result_that_is_new, float_updated_in_place_name])
def test_no_false_aliasing_refusal(f):
    check_gradient(f, 0.7, V5[:4].copy(), wrt=(0, 1))


def view_saved_across_rebinding(x, v):
    a = v * x
    for i in range(3):
        a += v                       # a new array each step (a = a + v after normalisation)
        a[i] = np.prod(a[:2])        # np.prod's adjoint reads the view a[:2] of that array
    return np.sum(a * a)


def test_saved_view_of_an_array_rebound_in_a_loop():
    # the in-place restore of a[i] must reach the array the view was taken from, not the
    # newest one bound to `a` (once silently wrong: rp-008)
    check_gradient(view_saved_across_rebinding, 1.09, V5.copy(), wrt=(0, 1))


def swap_elements(v):
    y = v * 1.0
    y[0], y[1] = y[1], y[0] * 2.0
    return y[0] * 3.0 + y[1] ** 2 + y[2]


def test_tuple_assignment_to_array_elements():
    check_gradient(swap_elements, V5.copy())


def setitem_computed_index(v, w):
    y = w * 1.0
    k = int(np.argmax(v))
    y[k] = y[k] * v[k]
    y[-1] = y[0] * 2.0
    return np.sum(y ** 2)


def test_setitem_with_index_computed_from_data():
    check_gradient(setitem_computed_index, V5.copy(), W5.copy(), wrt=(0, 1))


def setitem_step_slice(v, x):
    y = np.zeros(6)
    y[::2] = v[:3] * x
    y[1::2] = v[2:] ** 2
    return np.sum(y * np.arange(6.0))


def test_setitem_strided_slices():
    check_gradient(setitem_step_slice, V5.copy(), 0.8, wrt=(0, 1))


def setitem_fancy(v):
    y = np.zeros(5)
    y[[0, 2, 4]] = v[:3] * v[2:]
    return np.sum(y * np.arange(1.0, 6.0))


def test_setitem_integer_array_index():
    check_gradient(setitem_fancy, V5.copy())


def setitem_row_of_matrix(m, v):
    out = m * 1.0
    for i in range(2):
        out[i] = v[:3] * (i + 1.0)
    out[3] += out[0]
    return np.sum(out ** 3)


def test_setitem_whole_rows_and_augmented_row():
    check_gradient(setitem_row_of_matrix, M43.copy(), V5.copy(), wrt=(0, 1))


def zeros_in_loop(v):
    total = 0.0
    for k in range(3):
        buf = np.zeros(5)
        buf[k] = v[k] * v[k + 1]
        buf[k + 2] = np.sin(v[k])
        total = total + np.sum(buf * v)
    return total


def test_fresh_array_created_and_updated_in_each_iteration():
    check_gradient(zeros_in_loop, V5.copy())


def setitem_in_while(v, x):
    y = v * 1.0
    i = 0
    while np.sum(y) < 5.0:
        y[i % 5] += x
        i += 1
    return np.sum(y ** 2)


def test_setitem_augmented_in_while_loop():
    # sum(v) = 1.0; six steps of 0.7 reach 5.2 (away from the 5.0 threshold)
    check_gradient(setitem_in_while, V5.copy(), 0.7, wrt=(0, 1))


def list_pop_and_extend(x):
    items = [x, 2.0 * x]
    items.extend([x * x, np.sin(x)])
    last = items.pop()
    return last * items[-1] + items[0]


def test_list_pop_and_extend_supported_or_refused_cleanly():
    # pop/extend are beyond the contract's list operations: correct or a clean refusal
    try:
        check_gradient(list_pop_and_extend, 0.7)
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


def list_concatenation(x, y):
    items = [x] + [y, x * y]
    items = items + [np.exp(y)]
    return items[1] * items[3] + items[2]


def test_list_concatenation():
    check_gradient(list_concatenation, 0.7, -0.4, wrt=(0, 1))


def tuple_concatenation(x, y):
    t = ()
    for a in (x, y, x * y):
        t = t + (a * a,)
    return t[0] + t[1] * t[2]


def test_tuple_grown_by_concatenation():
    check_gradient(tuple_concatenation, 0.7, -0.4, wrt=(0, 1))


def list_setitem_in_loop(v):
    hs = [0.0, 0.0, 0.0]
    for i in range(3):
        hs[i] = v[i] * v[i + 1]
        if i > 0:
            hs[i] = hs[i] + hs[i - 1]
    return hs[2] * hs[1]


def test_list_item_assignment_in_loop():
    check_gradient(list_setitem_in_loop, V5.copy())


def dict_membership(x, y):
    d = {"a": x}
    if "b" not in d:
        d["b"] = y * x
    total = 0.0
    for key in d:
        total = total + d[key] * len(d)
    return total


def test_dict_membership_and_len():
    check_gradient(dict_membership, 0.7, -0.4, wrt=(0, 1))


def dict_param_iterate_keys(params):
    total = 0.0
    for key in params:
        total = total + np.sum(params[key] ** 2)
    return total


def test_dict_parameter_iterated_by_key():
    params = {"a": np.array([0.3, -0.7]), "b": 1.5, "c": np.array([[1.0, 2.0]])}
    g = check_gradient(dict_param_iterate_keys, params)
    assert isinstance(g["b"], float) or np.ndim(g["b"]) == 0


def dict_of_lists(params, x):
    total = 0.0
    for w in params["ws"]:
        total = total + w * x
    return total * params["scale"]


def test_dict_of_lists_parameter():
    g = check_gradient(dict_of_lists, {"ws": [0.5, -0.3, 0.2], "scale": 2.0}, 0.8)
    assert isinstance(g["ws"], list)


def list_param_rebuilt(ws, x):
    ws = list(ws)
    ws[0] = ws[0] * x
    return ws[0] + ws[1] * ws[2]


def test_list_parameter_copied_with_list_and_modified():
    ws = [0.5, -0.3, 1.2]
    check_gradient(list_param_rebuilt, ws, 0.8, wrt=(0, 1))
    assert ws == [0.5, -0.3, 1.2]


def tuple_param_int_leaf(params, x):
    w, n = params
    s = 0.0
    for i in range(n):
        s = s + w * x ** i
    return s


def test_tuple_parameter_with_integer_leaf():
    g = rg.grad(tuple_param_int_leaf)((0.5, 3), 0.8)
    assert isinstance(g, tuple) and len(g) == 2
    assert_close(g[0], 1.0 + 0.8 + 0.64)
    assert g[1] == 0 or g[1] is None


def list_of_arrays_inplace(v):
    hs = [v * 1.0, v * 2.0]
    for i in range(2):
        hs[i] += np.sin(v) * (i + 1)
    hs[0] *= hs[1]
    return np.sum(hs[0]) + np.sum(hs[1] ** 2)


def test_augmented_assignment_on_list_items_holding_arrays():
    check_gradient(list_of_arrays_inplace, V5.copy())


def tuple_index_variable(m, x):
    y = m * 1.0
    idx = (1, 2)
    y[idx] = x * y[idx]
    return np.sum(y ** 2)


def test_setitem_with_tuple_index_variable():
    check_gradient(tuple_index_variable, M43.copy(), 0.8, wrt=(0, 1))


def chained_subscript_assignment(m, x):
    y = m * 1.0
    y[1][2] = x * x
    return np.sum(y ** 2)


def test_chained_subscript_assignment_supported_or_refused_cleanly():
    try:
        check_gradient(chained_subscript_assignment, M43.copy(), 0.8, wrt=(0, 1))
    except rg.DifferentiationError as error:
        assert error.lineno is not None, f"refusal without a line number: {error}"


def alias_of_local_augmented(v):
    y = v * 1.0
    z = y
    z += v          # z and y are one array: y is now 2 v
    return np.sum(y * y)


def test_augmented_assignment_through_alias_is_refused_with_location():
    with pytest.raises(rg.DifferentiationError, match="same object") as caught:
        rg.grad(alias_of_local_augmented)(V5.copy())
    assert "copy()" in str(caught.value)


def running_sum_array(v):
    out = np.zeros(5)
    out[0] = v[0]
    i = 1
    while i < 5:
        out[i] = out[i - 1] + v[i] * out[i - 1]
        i += 1
    return out[-1] + np.sum(out)


def test_setitem_recurrence_in_while():
    check_gradient(running_sum_array, V5.copy())


def read_then_inplace_in_loop(v, x):
    h = v * 1.0
    s = 0.0
    for k in range(3):
        s = s + np.sum(np.sin(h) * h)
        h += v * x
        h[k] = h[k] * x
    return s + np.sum(h ** 2)


def test_array_read_then_updated_in_place_each_iteration():
    check_gradient(read_then_inplace_in_loop, V5.copy(), 0.8, wrt=(0, 1))


def inplace_whole_array_multiply_read(v):
    h = v + 2.0
    z = h * h
    h *= 3.0
    h[1] = z[2]
    return np.sum(h * z)


def test_whole_array_inplace_multiply_after_read():
    check_gradient(inplace_whole_array_multiply_read, V5.copy())


def append_same_array_then_mutate(v):
    hist = []
    h = v * 1.0
    for k in range(3):
        hist.append(h)
        h += v          # hist holds the same array object three times
    total = 0.0
    for item in hist:
        total = total + np.sum(item * item)
    return total


def test_list_holding_an_array_mutated_in_place_is_refused():
    # every entry of hist is h itself, which `h += ...` changes: refused, not differentiated
    with pytest.raises(rg.DifferentiationError, match="same object"):
        rg.grad(append_same_array_then_mutate)(V5.copy())


def append_copies_then_mutate(v):
    hist = []
    h = v * 1.0
    for k in range(3):
        hist.append(h.copy())
        h += v * h
    total = 0.0
    for i, item in enumerate(hist):
        total = total + np.sum(item * item) * (i + 1)
    return total + np.sum(h)


def test_list_of_copies_of_array_mutated_in_place():
    check_gradient(append_copies_then_mutate, V5.copy())


def second_update_under_a_view(x, v):
    a = v * 1.0
    a *= x                      # the first in-place update: nothing views `a` yet
    m = a.reshape(2, 2)
    a *= 2.0                    # the second one changes `m` too
    return np.sum(m)


def test_every_in_place_update_is_checked_for_aliases():
    # once silently wrong (random programs): only the first `a *= ...` of a name was checked
    with pytest.raises(rg.DifferentiationError, match="same object") as caught:
        rg.grad(second_update_under_a_view, wrt=(0, 1))(0.7, V5[:4].copy())
    assert caught.value.lineno == second_update_under_a_view.__code__.co_firstlineno + 4


def part_set_from_the_whole(x, v):
    a = v[:3] * x
    a[0:3] = a                  # the part's cotangent flows into all of `a`
    return np.sum(a * a)


def test_part_assigned_from_the_same_array():
    # once silently wrong (random programs): the part was zeroed after its contribution
    check_gradient(part_set_from_the_whole, 0.7, V5[:4].copy(), wrt=(0, 1))


def loop_over_changed_array(x, v):
    a = v * x
    for t in a:                 # iterates over the first array bound to `a`...
        a[0] = t                # ...which the first trip changes for the next ones
        a += a
    return np.sum(a)


def direct_loop_over_changed_array(x, v):
    a = v * 1.0
    for t in a:                 # read as a[i] on each trip: the change is followed
        a[0] = t * x
    return np.sum(a)


def loop_over_changed_array_unused(x, v):
    a = v * 1.0
    for t in a:
        a += np.sin(a) * x      # the elements taken are never used
    return np.sum(a)


def test_loop_over_an_array_changed_in_its_body_is_refused():
    # once silently wrong (random programs, BUG-14)
    with pytest.raises(rg.DifferentiationError, match="iterates over") as caught:
        rg.grad(loop_over_changed_array, wrt=(0, 1))(0.7, V5[:4].copy())
    assert caught.value.lineno == loop_over_changed_array.__code__.co_firstlineno + 3


def test_loop_over_an_array_whose_elements_are_unused_is_differentiated():
    check_gradient(loop_over_changed_array_unused, 0.7, V5[:4].copy(), wrt=(0, 1))
    check_gradient(direct_loop_over_changed_array, 0.7, V5[:4].copy(), wrt=(0, 1))
