"""Losses: values, reductions, input checks, stability, and the fused ops' gradients.

Every fused op in nn.functional is checked (a) against central differences with
a random upstream gradient and (b) against the same function composed from
primitive autograd ops.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import nn
from autograd import Tensor, gradcheck
from nn import functional as F

SETTINGS = settings(deadline=None, max_examples=15)
REDUCTIONS = ["mean", "sum", "none"]


def _reduce(t: Tensor, reduction: str) -> Tensor:
    return t.mean() if reduction == "mean" else t.sum() if reduction == "sum" else t


def _tensor(a, grad=True):
    return Tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=grad)


def _probs(rng, shape):
    return rng.uniform(0.05, 0.95, size=shape)


def _soft_targets(rng, m, k):
    w = rng.uniform(0.1, 1.0, size=(m, k))
    return w / w.sum(axis=1, keepdims=True)


def _assert_same_value_and_grads(fused, composed, inputs, upstream):
    """Run both forms on fresh copies of `inputs`; values and gradients must agree."""
    a = [_tensor(x.data, x.requires_grad) for x in inputs]
    b = [_tensor(x.data, x.requires_grad) for x in inputs]
    out_a, out_b = fused(*a), composed(*b)
    np.testing.assert_allclose(out_a.data, out_b.data, rtol=1e-12, atol=1e-14)
    out_a.backward(upstream)
    out_b.backward(upstream)
    for i, (ta, tb) in enumerate(zip(a, b)):
        if ta.requires_grad:
            np.testing.assert_allclose(ta.grad, tb.grad, rtol=1e-10, atol=1e-13, err_msg=f"input {i}")


def _upstream(rng, out):
    return rng.standard_normal(np.shape(out.data))


dims = st.integers(1, 4)
seeds = st.integers(0, 2**16)


# -- LinearOp ----------------------------------------------------------------------------------
@SETTINGS
@given(n=dims, i=dims, o=dims, bias=st.booleans(), seed=seeds)
def test_linear_op_matches_central_differences(n, i, o, bias, seed):
    rng = np.random.default_rng(seed)
    x, w, b = _tensor(rng.normal(size=(n, i))), _tensor(rng.normal(size=(o, i))), _tensor(rng.normal(size=o))
    args = (x, w, b) if bias else (x, w)
    assert type(F.linear(*args).op) is F.LinearOp
    assert gradcheck(F.linear, *args, seed=seed)


@SETTINGS
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), i=dims, o=dims, seed=seeds)
def test_linear_op_folds_any_leading_batch_axes(lead, i, o, seed):
    rng = np.random.default_rng(seed)
    x = _tensor(rng.normal(size=(*lead, i)))
    w, b = _tensor(rng.normal(size=(o, i))), _tensor(rng.normal(size=o))
    assert gradcheck(F.linear, x, w, b, seed=seed)


@SETTINGS
@given(n=dims, i=dims, o=dims, seed=seeds)
def test_linear_op_equals_the_composed_matmul_plus_bias(n, i, o, seed):
    rng = np.random.default_rng(seed)
    x, w, b = _tensor(rng.normal(size=(n, i))), _tensor(rng.normal(size=(o, i))), _tensor(rng.normal(size=o))
    _assert_same_value_and_grads(F.linear, lambda x, w, b: x @ w.T + b, (x, w, b),
                                 rng.standard_normal((n, o)))


def test_linear_only_computes_gradients_that_are_needed():
    x = Tensor(np.ones((2, 3)))                       # data, no grad
    w = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.zeros(4))                           # frozen bias
    F.linear(x, w, b).sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((4, 3), 2.0))
    assert x.grad is None and b.grad is None


def test_linear_rejects_mismatched_features():
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) has 5 features but the weight \(4, 3\)"):
        F.linear(Tensor(np.ones((2, 5))), Tensor(np.ones((4, 3)), requires_grad=True))


# -- MSE / L1 ----------------------------------------------------------------------------------
@SETTINGS
@given(n=dims, k=dims, reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_mse_op_matches_central_differences(n, k, reduction, seed):
    rng = np.random.default_rng(seed)
    p, y = _tensor(rng.normal(size=(n, k))), _tensor(rng.normal(size=(n, k)))
    fn = lambda p, y: F.mse_loss(p, y, reduction=reduction)  # noqa: E731
    assert type(fn(p, y).op) is F.MSELossOp
    assert gradcheck(fn, p, y, seed=seed)


@SETTINGS
@given(n=dims, k=dims, reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_mse_op_equals_the_composed_squared_error(n, k, reduction, seed):
    rng = np.random.default_rng(seed)
    p, y = _tensor(rng.normal(size=(n, k))), _tensor(rng.normal(size=(n, k)))
    out = F.mse_loss(p, y, reduction=reduction)
    _assert_same_value_and_grads(lambda p, y: F.mse_loss(p, y, reduction=reduction),
                                 lambda p, y: _reduce((p - y) ** 2, reduction), (p, y), _upstream(rng, out))


def test_mse_value_is_the_mean_of_squared_errors():
    p, y = np.array([[1.0], [2.0], [4.0]]), np.array([[0.0], [2.0], [1.0]])
    assert nn.MSELoss()(Tensor(p), y).item() == pytest.approx(np.mean((p - y) ** 2))


def test_l1_value_and_gradient_is_the_sign_over_n():
    p = Tensor(np.array([[1.0], [2.0], [-4.0], [3.0]]), requires_grad=True)
    y = np.array([[0.0], [2.0], [1.0], [5.0]])
    loss = nn.L1Loss()(p, y)
    loss.backward()
    assert loss.item() == pytest.approx(np.mean(np.abs(p.data - y)))
    np.testing.assert_array_equal(p.grad, np.sign(p.data - y) / 4)


# -- BCE -------------------------------------------------------------------------------------------
@SETTINGS
@given(n=dims, k=dims, reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_bce_op_matches_central_differences(n, k, reduction, seed):
    rng = np.random.default_rng(seed)
    p, y = _tensor(_probs(rng, (n, k))), _tensor(_probs(rng, (n, k)))
    fn = lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction)  # noqa: E731
    assert type(fn(p, y).op) is F.BCELossOp
    assert gradcheck(fn, p, y, seed=seed)


@SETTINGS
@given(n=dims, k=dims, reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_bce_op_equals_the_composed_clamped_log_form(n, k, reduction, seed):
    rng = np.random.default_rng(seed)
    p, y = _tensor(_probs(rng, (n, k))), _tensor(_probs(rng, (n, k)))

    def composed(p, y):
        return _reduce(-(y * p.log().clip(-100) + (1 - y) * (1 - p).log().clip(-100)), reduction)

    out = F.binary_cross_entropy(p, y, reduction=reduction)
    _assert_same_value_and_grads(lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction),
                                 composed, (p, y), _upstream(rng, out))


def test_bce_clamps_the_log_at_minus_100_like_pytorch():
    p = Tensor(np.array([[0.0], [1.0]]), requires_grad=True)
    loss = nn.BCELoss(reduction="none")(p, np.array([[1.0], [0.0]]))
    np.testing.assert_array_equal(loss.data, [[100.0], [100.0]])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad))


def test_bce_refuses_predictions_outside_the_unit_interval_suggesting_logits():
    with pytest.raises(ValueError, match=r"BCELoss: predictions must lie in \[0, 1\].*did you mean BCEWithLogitsLoss\?"):
        nn.BCELoss()(Tensor(np.array([[0.5], [1.7]])), np.array([[0.0], [1.0]]))


@pytest.mark.parametrize("loss", [nn.BCELoss(), nn.BCEWithLogitsLoss()], ids=["bce", "bce_logits"])
def test_binary_losses_refuse_targets_outside_the_unit_interval(loss):
    with pytest.raises(ValueError, match=rf"{type(loss).__name__}: targets must lie in \[0, 1\]"):
        loss(Tensor(np.array([[0.5], [0.5]])), np.array([[0.0], [2.0]]))


# -- BCE with logits -----------------------------------------------------------------------------
@SETTINGS
@given(n=dims, k=dims, reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_bce_with_logits_op_matches_central_differences(n, k, reduction, seed):
    rng = np.random.default_rng(seed)
    z, y = _tensor(3 * rng.normal(size=(n, k))), _tensor(_probs(rng, (n, k)))
    fn = lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction=reduction)  # noqa: E731
    assert type(fn(z, y).op) is F.BCEWithLogitsOp
    assert gradcheck(fn, z, y, seed=seed)


@SETTINGS
@given(n=dims, k=dims, reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_bce_with_logits_op_equals_sigmoid_then_bce_composed(n, k, reduction, seed):
    rng = np.random.default_rng(seed)
    z, y = _tensor(2 * rng.normal(size=(n, k))), _tensor(_probs(rng, (n, k)))

    def composed(z, y):
        s = z.sigmoid()
        return _reduce(-(y * s.log() + (1 - y) * (1 - s).log()), reduction)

    out = F.binary_cross_entropy_with_logits(z, y, reduction=reduction)
    _assert_same_value_and_grads(lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction=reduction),
                                 composed, (z, y), _upstream(rng, out))


def test_bce_with_logits_is_finite_and_exact_at_logits_of_1000():
    z = Tensor(np.array([[1000.0], [-1000.0], [1000.0], [-1000.0], [0.5]]), requires_grad=True)
    y = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    loss = nn.BCEWithLogitsLoss()(z, y)
    loss.backward()
    expected = np.mean(np.logaddexp(0, z.data) - z.data * y)   # softplus(z) − z·y
    sigma = 0.5 * (1 + np.tanh(z.data / 2))                   # σ without overflow
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(z.grad, (sigma - y) / 5, rtol=1e-14, atol=1e-300)


# -- cross-entropy ----------------------------------------------------------------------------------
@SETTINGS
@given(m=dims, k=st.integers(2, 4), reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_cross_entropy_op_with_labels_matches_central_differences(m, k, reduction, seed):
    rng = np.random.default_rng(seed)
    z, labels = _tensor(rng.normal(size=(m, k))), rng.integers(0, k, size=m)
    fn = lambda z: F.cross_entropy(z, labels, reduction=reduction)  # noqa: E731
    assert type(fn(z).op) is F.CrossEntropyOp
    assert gradcheck(fn, z, seed=seed)


@SETTINGS
@given(m=dims, k=st.integers(2, 4), reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_cross_entropy_op_with_probabilities_matches_central_differences(m, k, reduction, seed):
    rng = np.random.default_rng(seed)
    z, Y = _tensor(rng.normal(size=(m, k))), _tensor(_soft_targets(rng, m, k))
    assert gradcheck(lambda z, Y: F.cross_entropy(z, Y, reduction=reduction), z, Y, seed=seed)


@SETTINGS
@given(m=dims, k=st.integers(2, 4), reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_cross_entropy_op_with_labels_equals_composed_log_softmax_picking(m, k, reduction, seed):
    rng = np.random.default_rng(seed)
    z, labels = _tensor(rng.normal(size=(m, k))), rng.integers(0, k, size=m)
    out = F.cross_entropy(z, labels, reduction=reduction)
    _assert_same_value_and_grads(
        lambda z: F.cross_entropy(z, labels, reduction=reduction),
        lambda z: _reduce(-z.log_softmax(axis=1)[np.arange(m), labels], reduction),
        (z,), _upstream(rng, out))


@SETTINGS
@given(m=dims, k=st.integers(2, 4), reduction=st.sampled_from(REDUCTIONS), seed=seeds)
def test_cross_entropy_op_with_probabilities_equals_composed_sum(m, k, reduction, seed):
    rng = np.random.default_rng(seed)
    z, Y = _tensor(rng.normal(size=(m, k))), _tensor(_soft_targets(rng, m, k))
    out = F.cross_entropy(z, Y, reduction=reduction)
    _assert_same_value_and_grads(
        lambda z, Y: F.cross_entropy(z, Y, reduction=reduction),
        lambda z, Y: _reduce(-(Y * z.log_softmax(axis=1)).sum(axis=1), reduction),
        (z, Y), _upstream(rng, out))


def test_cross_entropy_labels_and_one_hot_give_the_same_loss_and_gradient():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    a, b = _tensor(logits), _tensor(logits)
    la, lb = nn.CrossEntropyLoss()(a, labels), nn.CrossEntropyLoss()(b, np.eye(3)[labels])
    la.backward()
    lb.backward()
    assert la.item() == pytest.approx(lb.item(), rel=1e-15)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-15)


def test_cross_entropy_is_finite_and_exact_at_logits_of_1000():
    z = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]), requires_grad=True)
    labels = np.array([1, 2])
    loss = nn.CrossEntropyLoss()(z, labels)
    loss.backward()
    lse = np.logaddexp.reduce(z.data, axis=1)
    expected = np.mean(lse - z.data[np.arange(2), labels])
    softmax = np.exp(z.data - lse[:, None])
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(z.grad, (softmax - np.eye(3)[labels]) / 2, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("labels, match", [
    (np.array([0, 3]), r"labels must be integers in \[0, 3\), got values in \[0, 3\]"),
    (np.array([-1, 0]), r"labels must be integers in \[0, 3\), got values in \[-1, 0\]"),
    (np.array([0.0, 1.5]), "got non-integer values"),
    (np.array([0, 1, 2]), "2 rows of logits but 3 labels"),
], ids=["too_large", "negative", "non_integer", "count"])
def test_cross_entropy_rejects_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3))), labels)


def test_cross_entropy_accepts_integer_valued_float_labels():
    z = Tensor(np.random.default_rng(0).normal(size=(3, 4)))
    a = nn.CrossEntropyLoss()(z, np.array([0.0, 3.0, 1.0])).item()
    assert a == nn.CrossEntropyLoss()(z, np.array([0, 3, 1])).item()


def test_cross_entropy_rejects_boolean_labels_and_non_2d_logits():
    with pytest.raises(TypeError, match="labels must be integers, got dtype bool"):
        nn.CrossEntropyLoss()(Tensor(np.zeros((2, 2))), np.array([True, False]))
    with pytest.raises(ValueError, match=r"expected logits of shape \(batch, classes\), got \(3,\)"):
        nn.CrossEntropyLoss()(Tensor(np.zeros(3)), np.array([0, 1, 2]))


# -- shared rules -------------------------------------------------------------------------------------
ELEMENTWISE = [nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.BCEWithLogitsLoss]


@pytest.mark.parametrize("cls", ELEMENTWISE, ids=lambda c: c.__name__)
def test_column_predictions_and_flat_targets_are_refused_naming_both_shapes(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: prediction shape \(4, 1\) and target shape \(4,\) differ"):
        cls()(Tensor(np.full((4, 1), 0.5)), np.zeros(4))


def test_cross_entropy_one_hot_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"prediction shape \(4, 3\) and target shape \(4, 2\) differ"):
        nn.CrossEntropyLoss()(Tensor(np.zeros((4, 3))), np.zeros((4, 2)))


@pytest.mark.parametrize("cls", ELEMENTWISE, ids=lambda c: c.__name__)
def test_non_finite_targets_are_refused(cls):
    with pytest.raises(ValueError, match="targets contain 1 NaN/inf value"):
        cls()(Tensor(np.full((2, 1), 0.5)), np.array([[np.nan], [0.0]]))


@pytest.mark.parametrize("cls", [*ELEMENTWISE, nn.CrossEntropyLoss], ids=lambda c: c.__name__)
def test_an_unknown_reduction_is_refused(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: reduction must be one of .*got 'avg'"):
        cls(reduction="avg")


@pytest.mark.parametrize("cls", ELEMENTWISE, ids=lambda c: c.__name__)
def test_mean_is_sum_over_elements_and_none_keeps_the_shape(cls):
    rng = np.random.default_rng(0)
    p, y = Tensor(_probs(rng, (5, 2))), _probs(rng, (5, 2))
    none = cls(reduction="none")(p, y)
    assert none.shape == (5, 2)
    assert cls(reduction="sum")(p, y).item() == pytest.approx(none.data.sum(), rel=1e-14)
    assert cls()(p, y).item() == pytest.approx(none.data.sum() / 10, rel=1e-14)


def test_cross_entropy_mean_is_over_rows_and_none_gives_one_value_per_row():
    z, labels = Tensor(np.random.default_rng(0).normal(size=(6, 3))), np.arange(6) % 3
    none = nn.CrossEntropyLoss(reduction="none")(z, labels)
    assert none.shape == (6,)
    assert nn.CrossEntropyLoss()(z, labels).item() == pytest.approx(none.data.mean(), rel=1e-14)
    assert nn.CrossEntropyLoss(reduction="sum")(z, labels).item() == pytest.approx(none.data.sum(), rel=1e-14)


@pytest.mark.parametrize("name, cls", [("mse", nn.MSELoss), ("l1", nn.L1Loss), ("bce", nn.BCELoss),
                                       ("bce_with_logits", nn.BCEWithLogitsLoss),
                                       ("cross_entropy", nn.CrossEntropyLoss)])
def test_get_loss_builds_a_module_from_its_name(name, cls):
    assert type(nn.get_loss(name)) is cls


def test_get_loss_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        nn.get_loss("hinge")


@pytest.mark.parametrize("cls", [nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss])
def test_a_single_0d_prediction_has_a_loss_and_a_gradient(cls):
    """One number against one target: the loss and its derivative match central differences."""
    p = Tensor(0.3, requires_grad=True)
    assert gradcheck(lambda p: cls()(p, 1.0), p)
