"""The Tensor class: construction, dtypes, operators with non-tensors, comparisons, detach."""
from __future__ import annotations

import operator

import numpy as np
import pytest

from autograd import Tensor

OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "**": operator.pow}


# -- construction and dtype -------------------------------------------------------------------
@pytest.mark.parametrize("data", [[1, 2, 3], np.arange(3, dtype=np.int32), np.array([True, False]), 7, True],
                         ids=["int list", "int32 array", "bool array", "int", "bool"])
def test_int_and_bool_data_become_float64(data):
    t = Tensor(data)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))


def test_int_data_may_require_grad_once_converted_to_float64():
    assert Tensor([1, 2], requires_grad=True).requires_grad


def test_float32_data_stays_float32():
    assert Tensor(np.ones(3, dtype=np.float32)).dtype == np.float32


def test_explicit_dtype_is_kept():
    assert Tensor([1.5, 2.5], dtype=np.float32).dtype == np.float32
    assert Tensor([1, 2], dtype=np.int64).dtype == np.int64


def test_constructor_copies_the_data():
    source = np.ones(3)
    t = Tensor(source)
    source[0] = 5.0
    assert t.data[0] == 1.0


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, bool])
def test_requires_grad_with_an_explicit_non_float_dtype_is_refused(dtype):
    with pytest.raises(TypeError, match=r"requires_grad=True needs a floating dtype"):
        Tensor([1, 0], dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("data", [np.array([1, None], dtype=object), ["a", "b"], np.array([1 + 2j]), 3j, b"xy",
                                  [[1.0], [1.0, 2.0]]],
                         ids=["object", "str", "complex array", "complex", "bytes", "ragged"])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_non_numeric_data_is_refused(data, requires_grad):
    with pytest.raises(TypeError, match=r"^Tensor: "):
        Tensor(data, requires_grad=requires_grad)


# -- properties -----------------------------------------------------------------------------------
def test_properties_mirror_the_array():
    data = np.arange(6.0).reshape(2, 3)
    t = Tensor(data, name="w")
    assert (t.shape, t.ndim, t.size, t.dtype, t.name) == (data.shape, data.ndim, data.size, data.dtype, "w")
    assert t.is_leaf and t.grad is None and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), data)
    assert len(t) == 2


def test_item_returns_a_python_number_for_one_element():
    assert Tensor([[2.5]]).item() == 2.5 and isinstance(Tensor(3.0).item(), float)


def test_item_of_many_elements_is_refused():
    with pytest.raises(ValueError, match=r"item: only a one-element tensor .* got shape \(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_truth_value_of_many_elements_is_refused():
    with pytest.raises(ValueError, match=r"ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_len_of_a_scalar_is_refused():
    with pytest.raises(TypeError, match=r"len: a 0-d tensor has no length"):
        len(Tensor(1.0))


def test_repr_shows_values_and_flags():
    text = repr(Tensor([1.0, 2.0], requires_grad=True, name="x"))
    assert text.startswith("Tensor([1., 2.]") and "requires_grad=True" in text and "name='x'" in text


# -- detach -------------------------------------------------------------------------------------
def test_detach_shares_data_and_has_no_graph():
    a = Tensor(np.ones(3), requires_grad=True)
    y = a * 2.0
    d = y.detach()
    assert d.op is None and not d.requires_grad and d.grad is None
    assert np.shares_memory(d.data, y.data)
    y.data[0] = 7.0
    assert d.data[0] == 7.0


def test_detached_tensor_stops_the_gradient():
    a = Tensor(np.ones(2), requires_grad=True)
    (a * a.detach()).sum().backward()
    np.testing.assert_array_equal(a.grad, np.ones(2))


# -- comparisons ---------------------------------------------------------------------------------
@pytest.mark.parametrize("op", [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne])
@pytest.mark.parametrize("other", [1.0, np.array([0.0, 1.0, 3.0]), "tensor"])
def test_comparisons_return_boolean_tensors_outside_the_graph(op, other):
    data = np.array([0.0, 1.0, 2.0])
    a = Tensor(data, requires_grad=True)
    rhs = Tensor(np.array([1.0, 1.0, 1.0]), requires_grad=True) if isinstance(other, str) else other
    out = op(a, rhs)
    assert isinstance(out, Tensor)
    assert not out.requires_grad and out.op is None and out.dtype == bool
    np.testing.assert_array_equal(out.data, op(data, rhs.data if isinstance(rhs, Tensor) else rhs))


def test_tensors_hash_by_identity_despite_elementwise_eq():
    a, b = Tensor(1.0), Tensor(1.0)
    assert len({a, b}) == 2


# -- operands that are not tensors ----------------------------------------------------------------
@pytest.mark.parametrize("sym", OPERATORS)
def test_numpy_array_on_the_left_returns_a_tensor(sym):
    arr = np.array([1.0, 2.0, 3.0])
    t = Tensor(np.array([0.5, 1.5, 2.0]), requires_grad=True)
    out = OPERATORS[sym](arr, t)
    assert isinstance(out, Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, OPERATORS[sym](arr, t.data))


def test_numpy_array_on_the_left_of_matmul_returns_a_tensor():
    arr = np.ones((2, 3))
    t = Tensor(np.ones((3, 4)), requires_grad=True)
    out = arr @ t
    assert isinstance(out, Tensor) and out.shape == (2, 4)
    out.backward(np.ones((2, 4)))
    np.testing.assert_array_equal(t.grad, arr.T @ np.ones((2, 4)))


@pytest.mark.parametrize("sym", OPERATORS)
@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=["int", "float", "bool"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_python_scalars_keep_float32(sym, scalar, side):
    t = Tensor(np.array([0.5, 1.5, 2.0], dtype=np.float32), requires_grad=True)
    out = OPERATORS[sym](scalar, t) if side == "left" else OPERATORS[sym](t, scalar)
    assert out.dtype == np.float32
    out.backward(np.ones(3, dtype=np.float32))
    assert t.grad.dtype == np.float32


@pytest.mark.parametrize("sym", OPERATORS)
@pytest.mark.parametrize("side", ["left", "right"])
def test_int_arrays_keep_float32(sym, side):
    t = Tensor(np.array([0.5, 1.5, 2.0], dtype=np.float32), requires_grad=True)
    ints = np.array([1, 2, 3])
    out = OPERATORS[sym](ints, t) if side == "left" else OPERATORS[sym](t, ints)
    assert out.dtype == np.float32


def test_float32_and_float64_tensors_promote_to_float64_like_numpy():
    out = Tensor(np.ones(2, dtype=np.float32)) + Tensor(np.ones(2))
    assert out.dtype == np.float64


def test_unary_plus_is_the_tensor_itself():
    t = Tensor(1.0)
    assert +t is t
