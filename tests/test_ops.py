"""Every op: gradients against central differences, shapes and dtypes of gradients, errors.

The op table lives in `strategies.OP_TABLE`; every variant is checked in
float64 on hypothesis-drawn shapes and values with a random upstream gradient.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag
from autograd import Tensor
from strategies import OP_TABLE, arrays, autograd_ops, shapes

VARIANTS = pytest.mark.parametrize("variant", OP_TABLE, ids=lambda v: v.id)
SEEDS = st.integers(0, 2**32 - 1)
# Structural properties (shapes, dtypes) need fewer examples than the gradient checks.
FEW = max(5, settings.default.max_examples // 3)


def leaves(case, dtype=np.float64):
    return [Tensor(a.astype(dtype), requires_grad=True) for a in case.arrays]


# -- the table covers every op -------------------------------------------------------
def test_every_registered_op_has_a_spec():
    missing = autograd_ops() - {v.op for v in OP_TABLE}
    assert not missing, f"ops registered in autograd without a spec in tests/strategies.py OP_TABLE: {sorted(missing)}"


def test_every_spec_names_a_registered_op():
    unknown = {v.op for v in OP_TABLE} - set(ag.REGISTRY)
    assert not unknown, f"OP_TABLE names ops that are not registered: {sorted(unknown)}"


@VARIANTS
@settings(deadline=None, max_examples=max(3, FEW // 2))
@given(data=st.data())
def test_spec_output_is_made_by_its_op(variant, data):
    case = data.draw(variant.cases)
    out = case.fn(*leaves(case))
    assert out.op is not None and out.op.name == variant.op


# -- gradients against finite differences --------------------------------------------
@VARIANTS
@settings(deadline=None)
@given(data=st.data(), seed=SEEDS)
def test_op_gradient_matches_central_differences(variant, data, seed):
    case = data.draw(variant.cases)
    assert ag.gradcheck(case.fn, *leaves(case), seed=seed, atol=1e-6, rtol=1e-5)


@VARIANTS
@settings(deadline=None, max_examples=FEW)
@given(data=st.data(), seed=SEEDS)
def test_op_grad_has_the_shape_of_each_input(variant, data, seed):
    case = data.draw(variant.cases)
    inputs = leaves(case)
    out = case.fn(*inputs)
    out.backward(np.random.default_rng(seed).standard_normal(out.shape))
    assert [t.grad.shape for t in inputs] == [t.shape for t in inputs]


@VARIANTS
@settings(deadline=None, max_examples=FEW)
@given(data=st.data())
def test_op_keeps_float32_in_output_and_grads(variant, data):
    case = data.draw(variant.cases)
    inputs = leaves(case, np.float32)
    out = case.fn(*inputs)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert [t.grad.dtype for t in inputs] == [np.float32] * len(inputs)


# -- an independent finite difference (numpy only, no autograd.gradcheck) ---------------
def central_difference(f, xs, v, eps=1e-6):
    """d<v, f(*xs)>/dxs by central differences, computed with numpy functions only."""
    grads = []
    for x in xs:
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            plus = np.sum(v * f(*xs))
            x[i] = old - eps
            minus = np.sum(v * f(*xs))
            x[i] = old
            g[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


INDEPENDENT = {
    "exp": (lambda x: x.exp(), np.exp, [(3, 4)]),
    "tanh": (lambda x: x.tanh(), np.tanh, [(2, 3, 4)]),
    "mul (broadcast)": (lambda a, b: a * b, np.multiply, [(3, 1), (1, 4)]),
    "div (broadcast)": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1), [(2, 3, 4), (4,)]),
    "matmul (batched)": (lambda a, b: a @ b, np.matmul, [(2, 3, 4), (4, 5)]),
    "sum over axis 1": (lambda x: x.sum(axis=1), lambda x: x.sum(axis=1), [(2, 3, 4)]),
    "softmax": (lambda x: x.softmax(), _np_softmax, [(3, 4)]),
    "getitem repeated": (lambda x: x[[0, 2, 0, 0]], lambda x: x[[0, 2, 0, 0]], [(3, 4)]),
}


@pytest.mark.parametrize("name", INDEPENDENT)
@settings(deadline=None, max_examples=FEW)
@given(seed=SEEDS)
def test_gradient_matches_independent_numpy_central_difference(name, seed):
    fn, np_fn, in_shapes = INDEPENDENT[name]
    rng = np.random.default_rng(seed)
    xs = [rng.uniform(-2, 2, s) for s in in_shapes]
    inputs = [Tensor(x, requires_grad=True) for x in xs]
    out = fn(*inputs)
    v = rng.standard_normal(out.shape)
    out.backward(v)
    expected = central_difference(np_fn, [x.copy() for x in xs], v)
    for t, e in zip(inputs, expected):
        np.testing.assert_allclose(t.grad, e, rtol=1e-6, atol=1e-8)


# -- specific gradient semantics ---------------------------------------------------------
@settings(deadline=None)
@given(n=st.integers(1, 5), data=st.data())
def test_getitem_repeated_indices_accumulate_gradient(n, data):
    idx = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8))
    x = Tensor(np.zeros(n), requires_grad=True)
    x[idx].sum().backward()
    counts = np.array([idx.count(i) for i in range(n)], dtype=float)
    np.testing.assert_array_equal(x.grad, counts)


@settings(deadline=None)
@given(data=st.data())
def test_getitem_boolean_mask_routes_gradient_to_selected_elements(data):
    shape = data.draw(shapes(1))
    mask = data.draw(st.lists(st.booleans(), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    mask = np.array(mask).reshape(shape)
    x = Tensor(np.zeros(shape), requires_grad=True)
    v = np.arange(1.0, mask.sum() + 1)
    x[mask].backward(v)
    expected = np.zeros(shape)
    expected[mask] = v
    np.testing.assert_array_equal(x.grad, expected)


def test_getitem_tensor_index_equals_array_index():
    data = np.arange(12.0).reshape(3, 4)
    idx = np.array([2, 0, 2])
    a, b = Tensor(data, requires_grad=True), Tensor(data, requires_grad=True)
    ya, yb = a[idx], b[Tensor(idx, dtype=np.int64)]
    np.testing.assert_array_equal(ya.data, yb.data)
    v = np.arange(ya.size, dtype=float).reshape(ya.shape)
    ya.backward(v)
    yb.backward(v)
    np.testing.assert_array_equal(a.grad, b.grad)


@pytest.mark.parametrize("op", ["max", "min"])
@settings(deadline=None)
@given(data=st.data(), keepdims=st.booleans())
def test_max_min_ties_share_the_gradient_evenly(op, data, keepdims):
    shape = data.draw(shapes(1))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1) | st.none())
    values = data.draw(arrays(shape, st.sampled_from([0.0, 1.0, 2.0])))  # many ties
    x = Tensor(values, requires_grad=True)
    out = getattr(x, op)(axis=axis, keepdims=keepdims)
    out.backward(np.ones(out.shape))
    extreme = getattr(np, op)(values, axis=axis, keepdims=True)
    hits = values == extreme
    np.testing.assert_allclose(x.grad, hits / hits.sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("shape_a, shape_b, out_shape", [
    ((3,), (3,), ()), ((3,), (3, 2), (2,)), ((2, 3), (3,), (2,)), ((2, 3), (3, 4), (2, 4)),
    ((2, 3, 4), (4, 5), (2, 3, 5)), ((5, 1, 3, 4), (2, 4, 2), (5, 2, 3, 2)),
])
def test_matmul_output_shape_follows_np_matmul(shape_a, shape_b, out_shape):
    out = Tensor(np.ones(shape_a)) @ Tensor(np.ones(shape_b))
    assert out.shape == out_shape == np.matmul(np.ones(shape_a), np.ones(shape_b)).shape


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "logsumexp"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_output_shape_follows_numpy(method, axis, keepdims):
    data = np.arange(24.0).reshape(2, 3, 4)
    out = getattr(Tensor(data), method)(axis=axis, keepdims=keepdims)
    assert out.shape == np.sum(data, axis=axis, keepdims=keepdims).shape


# -- errors ---------------------------------------------------------------------------------
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("sa, sb", [((3,), (4,)), ((2, 3), (3, 4)), ((2, 3, 4), (3, 1, 2))])
def test_broadcast_mismatch_names_op_and_both_shapes(op, sa, sb):
    a, b = Tensor(np.ones(sa), requires_grad=True), Tensor(np.ones(sb))
    with pytest.raises(ValueError, match=rf"^{op}: shapes {re.escape(str(sa))} and "
                                         rf"{re.escape(str(sb))} cannot be broadcast"):
        BINARY[op](a, b)


def test_where_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"^where: shapes \(2,\) and \(3,\) and \(4,\) cannot be broadcast"):
        ag.where(np.array([True, False]), Tensor(np.ones(3)), Tensor(np.ones(4)))


@pytest.mark.parametrize("sa, sb, ka, kb", [((3, 2), (3, 1), 2, 3), ((4,), (3,), 4, 3), ((2, 3, 4), (5, 2), 4, 5),
                                            ((2, 5), (3,), 5, 3)])
def test_matmul_misalignment_names_shapes_and_sizes(sa, sb, ka, kb):
    msg = f"matmul: shapes {sa} and {sb} do not align ({ka} != {kb})"
    with pytest.raises(ValueError, match=re.escape(msg)):
        Tensor(np.ones(sa)) @ Tensor(np.ones(sb))


def test_matmul_of_a_scalar_is_refused():
    with pytest.raises(ValueError, match=r"matmul: operands must have at least 1 dimension"):
        Tensor(2.0) @ Tensor(np.ones(3))


def test_reshape_to_incompatible_size_names_both_shapes():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(3, 4\) \(size 12\) "
                                         r"into shape \(5, 2\)"):
        Tensor(np.ones((3, 4))).reshape(5, 2)


@pytest.mark.parametrize("call", [
    lambda t: t.sum(axis=2), lambda t: t.mean(axis=-3), lambda t: t.max(axis=5), lambda t: t.min(axis=(0, 2)),
    lambda t: t.softmax(axis=2), lambda t: t.log_softmax(axis=-3), lambda t: t.logsumexp(axis=2),
], ids=["sum", "mean", "max", "min", "softmax", "log_softmax", "logsumexp"])
def test_axis_out_of_range_is_refused_with_the_valid_range(call):
    with pytest.raises(ValueError, match=r"axis -?\d is out of range for a tensor with 2 dimension\(s\); "
                                         r"expected an integer in \[-2, 1\]"):
        call(Tensor(np.ones((3, 4))))


def test_repeated_axis_is_refused():
    with pytest.raises(ValueError, match=r"sum: repeated axis"):
        Tensor(np.ones((3, 4))).sum(axis=(1, -1))


@pytest.mark.parametrize("method", ["log", "sqrt"])
def test_log_and_sqrt_of_negative_values_are_refused(method):
    with pytest.raises(ValueError, match=rf"^{method}: 1 input value\(s\) outside the domain .*expected x >= 0"):
        getattr(Tensor([1.0, -2.0, 3.0], requires_grad=True), method)()


def test_fractional_power_of_negative_base_is_refused():
    with pytest.raises(ValueError, match=r"pow: .*outside the domain"):
        Tensor([-1.0, 4.0]) ** 0.5


@pytest.mark.parametrize("index", [5, (0, 7), [0, 9], np.array([True, False])],
                         ids=["int", "tuple", "int list", "wrong mask"])
def test_bad_index_is_refused_with_the_shape(index):
    with pytest.raises(IndexError, match=r"getitem: index .* is invalid for a tensor of shape \(3, 4\)"):
        Tensor(np.ones((3, 4)), requires_grad=True)[index]


def test_fractional_float_index_is_refused():
    with pytest.raises(IndexError, match=r"getitem: .*integer"):
        Tensor(np.ones(4))[Tensor([0.5, 1.0])]


def test_clip_with_lo_above_hi_is_refused():
    with pytest.raises(ValueError, match=r"clip: lo=2.0 is greater than hi=1.0"):
        Tensor(np.ones(3)).clip(2.0, 1.0)


def test_transpose_with_a_non_permutation_is_refused():
    with pytest.raises(ValueError, match=r"transpose"):
        Tensor(np.ones((2, 3, 4))).transpose(0, 1)


def test_concatenate_with_mismatched_shapes_names_them():
    with pytest.raises(ValueError, match=r"concatenate: shapes \[\(2, 3\), \(2, 4\)\] must match except along axis 0"):
        ag.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))])


def test_stack_with_unequal_shapes_names_them():
    with pytest.raises(ValueError, match=r"stack: all shapes must be equal, got \[\(2, 3\), \(3, 2\)\]"):
        ag.stack([Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2)))])



def test_float_tensor_of_whole_numbers_works_as_an_index():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    t[Tensor([0, 1, 1]), Tensor([2, 2, 2])].sum().backward()
    np.testing.assert_array_equal(t.grad, [[0, 0, 1], [0, 0, 2]])


@pytest.mark.parametrize("method", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [None, (0, 1)])
def test_softmax_needs_one_integer_axis(method, axis):
    with pytest.raises(ValueError, match=f"{method}: axis must be a single integer"):
        getattr(Tensor(np.ones((2, 3))), method)(axis=axis)
