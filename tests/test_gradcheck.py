"""gradcheck and numerical_grad: they accept right derivatives and catch wrong ones."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag
from autograd import Function, GradcheckError, Tensor
from strategies import arrays, floats, shapes


class SquareWithWrongDerivative(Function):
    """x² with derivative x instead of 2x. No `name`, so it stays out of REGISTRY."""

    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, g):
        return (g * self.a,)


class ProductWithWrongSecondDerivative(Function):
    """a·b, claiming d/db = 2a (right: a). No `name`, so it stays out of REGISTRY."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return g * self.b, g * 2 * self.a


def test_test_ops_stay_out_of_the_registry():
    assert SquareWithWrongDerivative not in ag.REGISTRY.values()
    assert ProductWithWrongSecondDerivative not in ag.REGISTRY.values()


# -- correct ops pass ---------------------------------------------------------------------------
@settings(deadline=None)
@given(x=arrays((3, 2)), w=arrays((4, 2)), b=arrays((4,)), seed=st.integers(0, 2**32 - 1))
def test_gradcheck_accepts_a_correct_composition(x, w, b, seed):
    inputs = [Tensor(v, requires_grad=True) for v in (x, w, b)]
    assert ag.gradcheck(lambda x, w, b: (x @ w.T + b).tanh().softmax(), *inputs, seed=seed) is True


def test_gradcheck_skips_inputs_that_do_not_require_grad():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    k = Tensor(np.array([3.0, 4.0]))
    assert ag.gradcheck(lambda a, k: a * k, a, k)


@pytest.mark.parametrize("constant", [np.array([3.0, 4.0]), 2.5], ids=["array", "float"])
def test_gradcheck_accepts_non_tensor_inputs_as_constants(constant):
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert ag.gradcheck(lambda a, k: a * k, a, constant)


def test_numerical_grad_returns_none_for_non_tensor_inputs():
    ga, gk = ag.numerical_grad(lambda a, k: a * k, Tensor(np.array([1.0, 2.0])), np.array([3.0, 4.0]))
    np.testing.assert_allclose(ga, [3.0, 4.0], atol=1e-8)
    assert gk is None


def test_gradcheck_restores_existing_grads():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    a.grad = np.array([7.0, 8.0])
    ag.gradcheck(lambda a: a.exp(), a)
    np.testing.assert_array_equal(a.grad, [7.0, 8.0])


def test_gradcheck_leaves_input_data_unchanged():
    data = np.array([[0.3, -1.2], [2.0, 0.7]])
    a = Tensor(data, requires_grad=True)
    ag.gradcheck(lambda a: a.sin(), a)
    np.testing.assert_array_equal(a.data, data)


def test_gradcheck_without_any_grad_input_is_refused():
    with pytest.raises(ValueError, match=r"gradcheck: no input requires grad"):
        ag.gradcheck(lambda a: a * 2.0, Tensor(np.ones(2)))


# -- wrong ops fail, with a useful report -------------------------------------------------------
def _report_values(fn, inputs, which, seed=0):
    """The analytic and numeric gradient of input `which`, computed as gradcheck does."""
    out = fn(*inputs)
    v = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(v)
    analytic = inputs[which].grad
    numeric = ag.numerical_grad(fn, *inputs, grad=v)[which]
    for t in inputs:
        t.zero_grad()
    err = np.abs(analytic - numeric)
    worst = np.unravel_index(int(np.argmax(err)), err.shape)
    return worst, analytic[worst], numeric[worst]


def test_gradcheck_reports_input_worst_index_and_both_values():
    x = Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]]), requires_grad=True, name="x")
    fn = SquareWithWrongDerivative.apply
    worst, analytic, numeric = _report_values(fn, [x], 0)
    with pytest.raises(GradcheckError) as info:
        ag.gradcheck(fn, x)
    message = str(info.value)
    assert re.search(rf"input 0 \(x\): worst element {re.escape(str(tuple(int(i) for i in worst)))}", message)
    assert f"analytic {analytic:.10g}" in message
    assert f"numeric {numeric:.10g}" in message


def test_gradcheck_names_the_second_input_when_only_it_is_wrong():
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, name="a")
    b = Tensor(np.array([0.5, -0.5, 2.0]), requires_grad=True, name="b")
    fn = ProductWithWrongSecondDerivative.apply
    worst, analytic, numeric = _report_values(fn, [a, b], 1)
    with pytest.raises(GradcheckError, match=re.escape(f"input 1 (b): worst element {tuple(int(i) for i in worst)}: "
                                                       f"analytic {analytic:.10g}, numeric {numeric:.10g}")) as info:
        ag.gradcheck(fn, a, b)
    assert "input 0" not in str(info.value)


def test_gradcheck_with_raise_exception_false_returns_false():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert ag.gradcheck(SquareWithWrongDerivative.apply, x, raise_exception=False) is False


def test_gradcheck_catches_a_wrong_derivative_for_any_nonzero_input():
    # the only error is a factor of 2, so any x with a nonzero element must fail
    x = Tensor(np.array([0.0, 0.0, 1e-3]), requires_grad=True)
    assert not ag.gradcheck(SquareWithWrongDerivative.apply, x, raise_exception=False)


def test_gradcheck_warns_on_float32_inputs():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match=r"gradcheck: inputs are not float64"):
        assert ag.gradcheck(lambda x: x * 2.0, x, eps=1e-2, atol=1e-3, rtol=1e-3)


# -- numerical_grad ---------------------------------------------------------------------------------
@settings(deadline=None)
@given(x=arrays(shapes(), floats(-2, 2)))
def test_numerical_grad_of_sin_is_cos(x):
    (g,) = ag.numerical_grad(lambda t: t.sin(), Tensor(x))
    np.testing.assert_allclose(g, np.cos(x), atol=1e-8)


@settings(deadline=None)
@given(x=arrays(shapes(), floats(-2, 2)))
def test_numerical_grad_of_cube_is_three_x_squared(x):
    (g,) = ag.numerical_grad(lambda t: t * t * t, Tensor(x))
    np.testing.assert_allclose(g, 3 * x ** 2, atol=1e-7)


@settings(deadline=None)
@given(a=arrays((3,)), b=arrays((3,)), v=arrays((3,)))
def test_numerical_grad_of_a_product_weighted_by_grad_follows_the_product_rule(a, b, v):
    ga, gb = ag.numerical_grad(lambda x, y: x * y, Tensor(a), Tensor(b), grad=v)
    np.testing.assert_allclose(ga, v * b, atol=1e-8)
    np.testing.assert_allclose(gb, v * a, atol=1e-8)


def test_numerical_grad_of_a_reduction_broadcasts_to_the_input_shape():
    x = np.arange(6.0).reshape(2, 3)
    (g,) = ag.numerical_grad(lambda t: t.mean(), Tensor(x))
    np.testing.assert_allclose(g, np.full(x.shape, 1 / x.size), atol=1e-9)


def test_numerical_grad_restores_the_inputs():
    data = np.array([0.1, 0.2, 0.3])
    t = Tensor(data)
    ag.numerical_grad(lambda u: u.exp(), t)
    np.testing.assert_array_equal(t.data, data)
