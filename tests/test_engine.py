"""The backward engine: graph traversal, accumulation, recording modes, memory, stability."""
from __future__ import annotations

import gc
import threading
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag
from autograd import Tensor
from strategies import arrays, floats, shapes


# -- graph shapes -----------------------------------------------------------------------------
def test_fan_out_adds_the_gradient_of_every_use():
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_diamond_sums_both_paths():
    x = np.array([0.5, -1.5, 2.0])
    a = Tensor(x, requires_grad=True)
    left, right = a * 2.0, a.sin()
    (left * right).sum().backward()
    # product rule over the two paths: d(2a·sin a) = 2·sin a + 2a·cos a
    np.testing.assert_allclose(a.grad, 2.0 * np.sin(x) + 2.0 * x * np.cos(x))


@settings(deadline=None)
@given(x=arrays(shapes()))
def test_square_via_self_product_is_twice_the_input(x):
    a = Tensor(x, requires_grad=True)
    (a * a).backward(np.ones(x.shape))
    np.testing.assert_array_equal(a.grad, 2 * x)


def test_equal_valued_distinct_leaves_are_distinct_nodes():
    a = Tensor(2.0, requires_grad=True)
    b = Tensor(2.0, requires_grad=True)
    (a * 3.0 + b * 5.0).backward()
    assert (a.grad, b.grad) == (3.0, 5.0)


def test_graph_reuses_a_leaf_across_many_ops():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (a * a * a).sum().backward()
    np.testing.assert_allclose(a.grad, 3 * a.data ** 2)


def test_toposort_puts_inputs_before_the_nodes_that_use_them():
    a = Tensor(1.0, requires_grad=True)
    b = a * 2.0
    c = b + a
    d = c * b
    order = ag.toposort(d)
    pos = {id(t): i for i, t in enumerate(order)}
    for node in order:
        if node.op is not None:
            for parent in node.op.inputs:
                if parent.requires_grad:
                    assert pos[id(parent)] < pos[id(node)]
    assert order[-1] is d and len(order) == 4


def test_constants_get_no_grad():
    a = Tensor(np.ones(3), requires_grad=True)
    k = Tensor(np.full(3, 2.0))
    (a * k).sum().backward()
    assert k.grad is None and not k.requires_grad


# -- accumulation -------------------------------------------------------------------------------
def test_backward_twice_accumulates_exactly_twice():
    x = np.array([0.3, -0.7, 1.1])
    a = Tensor(x, requires_grad=True)
    h = a.tanh()
    y = (h * h).sum()
    y.backward()
    first_leaf, first_mid = a.grad.copy(), h.grad.copy()
    y.backward()
    np.testing.assert_array_equal(a.grad, 2 * first_leaf)
    np.testing.assert_array_equal(h.grad, 2 * first_mid)


def test_second_backward_does_not_repropagate_stale_intermediate_grads():
    # micrograd's bug: intermediate .grad left from pass 1 flows again in pass 2 (a.grad becomes 3x).
    a = Tensor(2.0, requires_grad=True)
    b = a * 3.0
    c = b * 4.0
    c.backward()
    c.backward()
    assert a.grad == 2 * 12.0
    assert b.grad == 2 * 4.0


def test_intermediates_keep_their_grad():
    x = np.array([1.0, -2.0])
    a = Tensor(x, requires_grad=True)
    b = a * 3.0
    c = b.exp()
    c.sum().backward()
    np.testing.assert_allclose(c.grad, np.ones(2))
    np.testing.assert_allclose(b.grad, np.exp(3.0 * x))


def test_zero_grad_then_backward_starts_from_zero():
    a = Tensor(np.ones(2), requires_grad=True)
    y = (a * 5.0).sum()
    y.backward()
    a.zero_grad()
    assert a.grad is None
    y.backward()
    np.testing.assert_array_equal(a.grad, np.full(2, 5.0))


def test_leaf_grads_are_independent_writable_arrays():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    c = Tensor(np.ones((2, 3)), requires_grad=True)
    (a + b).backward(np.ones(3))  # add passes one upstream array to both inputs
    c.sum().backward()            # sum's gradient is a read-only broadcast view
    assert a.grad.flags.writeable and c.grad.flags.writeable
    a.grad *= 10.0  # in-place edits (e.g. gradient clipping) must not leak into another tensor
    np.testing.assert_array_equal(b.grad, np.ones(3))


def test_backward_with_explicit_grad_weights_the_output():
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    v = np.array([0.5, -1.0, 2.0])
    (a * a).backward(v)
    np.testing.assert_allclose(a.grad, 2 * a.data * v)


# -- backward errors -------------------------------------------------------------------------------
def test_backward_without_grad_on_a_non_scalar_explains_the_fix():
    y = Tensor(np.ones((4, 1)), requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"backward: grad can be implied only for a one-element tensor, "
                                           r"got shape \(4, 1\); pass grad=.*\.sum\(\)"):
        y.backward()


def test_backward_on_a_tensor_that_does_not_require_grad_is_refused():
    y = Tensor(np.ones(3)) * 2.0
    with pytest.raises(RuntimeError, match=r"backward: this tensor \(shape \(3,\)\) does not require grad"):
        y.backward(np.ones(3))


def test_backward_with_grad_of_the_wrong_shape_is_refused():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"backward: grad has shape \(3, 2\) but the tensor has shape \(2, 3\)"):
        y.backward(np.ones((3, 2)))


def test_backward_on_a_one_element_non_scalar_implies_grad_one():
    a = Tensor(np.array([[2.0]]), requires_grad=True)
    (a * 3.0).backward()
    np.testing.assert_array_equal(a.grad, [[3.0]])


# -- depth and memory -----------------------------------------------------------------------------
@pytest.mark.slow
def test_chain_of_a_million_ops_backpropagates_without_recursion():
    n = 10**6
    one = Tensor(1.0)
    x = Tensor(0.0, requires_grad=True)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a million live nodes make the cyclic collector rescan them repeatedly
    try:
        y = x
        for _ in range(n):
            y = y + one
        y.backward()
        assert y.data == n
        assert x.grad == 1.0
        del y
    finally:
        if gc_was_enabled:
            gc.enable()


def test_graph_is_freed_after_the_root_is_deleted():
    a = Tensor(np.ones(3), requires_grad=True)
    mid = a.exp()
    root = (mid * 2.0).sum()
    root.backward()
    ref = weakref.ref(mid)
    del mid
    assert ref() is not None  # the graph keeps it alive while the root lives
    del root
    gc.collect()
    assert ref() is None


def test_graph_is_freed_by_reference_counting_alone():
    # no reference cycles: the graph goes as soon as the root does, without the cycle collector
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        a = Tensor(np.ones(3), requires_grad=True)
        mid = a.tanh()
        prod = mid * mid
        root = prod.sum()
        root.backward()
        refs = [weakref.ref(mid), weakref.ref(prod)]
        del mid, prod, root
        assert [r() for r in refs] == [None, None]
    finally:
        if gc_was_enabled:
            gc.enable()


# -- recording modes ------------------------------------------------------------------------------
def test_no_grad_records_nothing():
    a = Tensor(np.ones(3), requires_grad=True)
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = (a * 2.0).exp().sum()
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.op is None


def test_no_grad_as_decorator_records_nothing():
    @ag.no_grad()
    def f(t):
        return t * 2.0

    y = f(Tensor(1.0, requires_grad=True))
    assert not y.requires_grad and y.op is None
    assert ag.is_grad_enabled()


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with ag.no_grad():
            raise KeyError("boom")
    assert ag.is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    a = Tensor(2.0, requires_grad=True)
    with ag.no_grad():
        with ag.enable_grad():
            y = a * 3.0
        z = a * 3.0
    assert y.requires_grad and y.op is not None
    assert not z.requires_grad
    y.backward()
    assert a.grad == 3.0


def test_no_grad_is_thread_local():
    a = Tensor(np.ones(2), requires_grad=True)
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with ag.no_grad():
            inside.set()
            release.wait(10)
            seen["worker"] = (a * 2.0).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(10)
        y = a * 2.0  # this thread is not inside no_grad
        assert ag.is_grad_enabled()
    finally:
        release.set()
        thread.join(10)
    assert y.requires_grad and y.op is not None
    assert seen["worker"] is False


def test_a_new_thread_starts_with_recording_on():
    result = {}
    with ag.no_grad():
        thread = threading.Thread(target=lambda: result.setdefault("enabled", ag.is_grad_enabled()))
        thread.start()
        thread.join(10)
    assert result["enabled"] is True


# -- extreme inputs ------------------------------------------------------------------------------
# Under np.errstate(all="raise") every overflow, division by zero and invalid operation raises.
# Underflow is left ignored (NumPy's default): exp(-1000) rounding to 0 is the correct float result.
def test_scope_call_tags_nests_and_restores_like_the_with_form():
    a = Tensor(np.ones(2), requires_grad=True)
    outer, inner = object(), object()

    def inside(x, k=1.0):
        return ag.scope.call(inner, lambda: x * k) + 1.0
    y = ag.scope.call(outer, inside, a, k=3.0)
    with ag.scope(outer):
        with ag.scope(inner):
            z = a * 3.0
    assert y.op.inputs[0].op.scope == z.op.scope == (outer, inner)
    assert y.op.scope == (outer,)
    np.testing.assert_array_equal(y.data, np.full(2, 4.0))

    def fails():
        raise KeyError("boom")
    with pytest.raises(KeyError, match="boom"):
        ag.scope.call(outer, fails)
    assert (a * 2.0).op.scope == ()   # the scope is left even when fn raises


STRICT = dict(all="raise", under="ignore")


@pytest.mark.parametrize("method", ["sigmoid", "tanh"])
def test_saturating_activations_at_extreme_inputs_are_finite_with_zero_grad(method):
    x = Tensor(np.array([-1000.0, 1000.0, -1e300, 1e300]), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        y = getattr(x, method)()
        y.backward(np.ones(4))
    reference = np.tanh(x.data) if method == "tanh" else 0.5 * (1 + np.tanh(x.data / 2))
    np.testing.assert_array_equal(y.data, reference)
    np.testing.assert_array_equal(x.grad, np.zeros(4))


@pytest.mark.parametrize("method", ["softmax", "log_softmax", "logsumexp"])
@settings(deadline=None)
@given(x=arrays((2, 5), floats(-3, 3)), shift=st.sampled_from([-1000.0, 1000.0]))
def test_softmax_family_is_shift_invariant_at_extreme_values(method, x, shift):
    # softmax(x + c) = softmax(x), log_softmax(x + c) = log_softmax(x), logsumexp(x + c) = logsumexp(x) + c
    moderate = getattr(Tensor(x), method)(axis=-1).data
    t = Tensor(x + shift, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        out = getattr(t, method)(axis=-1)
        out.backward(np.ones(out.shape))
    expected = moderate + shift if method == "logsumexp" else moderate
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-9)
    assert np.isfinite(t.grad).all()


def test_softmax_of_widely_spread_logits_is_finite_and_normalized():
    t = Tensor(np.array([[-1000.0, 0.0, 1000.0]]), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        s = t.softmax()
        s.backward(np.array([[1.0, 2.0, 3.0]]))
    assert np.isfinite(s.data).all() and np.isclose(s.data.sum(), 1.0)
    assert np.isfinite(t.grad).all()


def test_int_inputs_are_differentiated_as_float64():
    a = Tensor([1, 2, 3], requires_grad=True)
    b = Tensor(np.array([4, 5, 6]))
    (a * b).sum().backward()
    assert a.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, b.data)
