"""Gradients of gradients: every registered op is twice differentiable, by its own formula.

The op table drives the check: for every variant in `strategies.OP_TABLE` (and
every fused nn op below), with random upstream gradient u and random v, the
gradient of s(x) = ⟨v, ∇ₓ⟨u, f(x)⟩⟩ recorded by `gradients(..., create_graph=True)`
is compared with central differences of s computed from first-order gradients.
Closed forms, Hessians against PyTorch, and the PyTorch-like tensor API follow.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag
import nn.functional as F
from autograd import Tensor
from strategies import OP_TABLE, Case, arrays, floats

SEEDS = st.integers(0, 2**32 - 1)


def _second_order_objective(fn, u, vs):
    """x ↦ Σᵢ ⟨vᵢ, ∂⟨u, fn(x)⟩/∂xᵢ⟩, as a Tensor whose graph runs through the backward pass."""
    def s(*xs):
        with ag.enable_grad():
            out = fn(*xs)
            grads = ag.gradients(out, xs, grad_output=u, create_graph=True)
            return sum(((g * v).sum() for g, v in zip(grads, vs)), Tensor(0.0))
    return s


def check_second_order(fn, arrays_, seed, atol=1e-5, rtol=1e-4):
    rng = np.random.default_rng(seed)
    xs = [Tensor(a.astype(np.float64), requires_grad=True) for a in arrays_]
    out = fn(*xs)
    u = rng.standard_normal(out.shape)
    vs = [rng.standard_normal(x.shape) for x in xs]
    s = _second_order_objective(fn, u, vs)
    total = s(*xs)
    analytic = (ag.gradients(total, xs) if total.requires_grad
                else [np.zeros(x.shape) for x in xs])    # first derivative constant: second is 0
    numeric = ag.numerical_grad(s, *xs)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(a, n, atol=atol, rtol=rtol, err_msg=f"input {i}")


@pytest.mark.parametrize("variant", OP_TABLE, ids=lambda v: v.id)
@settings(deadline=None)
@given(data=st.data(), seed=SEEDS)
def test_every_op_is_twice_differentiable(variant, data, seed):
    case = data.draw(variant.cases)
    check_second_order(case.fn, case.arrays, seed)


# -- the fused nn ops ---------------------------------------------------------------------
def _probabilities(shape):
    return arrays(shape, floats(0.05, 0.95))


@st.composite
def _nn_case(draw, op):
    m, k, o = (draw(st.integers(1, 4)) for _ in range(3))
    if op == "linear":
        return Case("linear", (draw(arrays((m, k))), draw(arrays((o, k))), draw(arrays((o,)))),
                    lambda x, w, b: F.linear(x, w, b))
    if op == "mse_loss":
        return Case("mse", (draw(arrays((m, o))), draw(arrays((m, o)))), lambda p, y: F.mse_loss(p, y))
    if op == "bce_loss":
        return Case("bce", (draw(_probabilities((m, o))), draw(_probabilities((m, o)))),
                    lambda p, y: F.binary_cross_entropy(p, y))
    if op == "bce_with_logits":
        return Case("bce logits", (draw(arrays((m, o))), draw(_probabilities((m, o)))),
                    lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="sum"))
    if op == "cross_entropy":
        labels = np.array(draw(st.lists(st.integers(0, o), min_size=m, max_size=m)))
        return Case("ce labels", (draw(arrays((m, o + 1))),), lambda z: F.cross_entropy(z, labels))
    raise ValueError(op)


NN_OPS = ["linear", "mse_loss", "bce_loss", "bce_with_logits", "cross_entropy"]


def test_every_registered_op_is_covered_by_a_second_order_check():
    covered = {v.op for v in OP_TABLE} | set(NN_OPS)
    assert set(ag.REGISTRY) - covered == set()


@pytest.mark.parametrize("op", NN_OPS)
@settings(deadline=None)
@given(data=st.data(), seed=SEEDS)
def test_fused_nn_op_is_twice_differentiable(op, data, seed):
    case = data.draw(_nn_case(op))
    out = case.fn(*[Tensor(a, requires_grad=True) for a in case.arrays])
    assert out.op.name == op
    check_second_order(case.fn, case.arrays, seed)


@settings(deadline=None)
@given(data=st.data(), seed=SEEDS)
def test_cross_entropy_with_soft_targets_is_twice_differentiable_in_both(data, seed):
    m, k = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    z = data.draw(arrays((m, k)))
    y = data.draw(_probabilities((m, k)))
    check_second_order(lambda a, b: F.cross_entropy(a, b), (z, y), seed)


# -- closed forms ---------------------------------------------------------------------------
@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.7, 1.9])
def test_second_derivatives_of_scalar_functions_match_closed_forms(x):
    t, s = np.tanh(x), 1 / (1 + np.exp(-x))
    cases = {
        "tanh": (np.tanh, -2 * t * (1 - t ** 2)),
        "sigmoid": (lambda v: 1 / (1 + np.exp(-v)), s * (1 - s) * (1 - 2 * s)),
        "exp·sin": (lambda v: np.exp(v) * np.sin(v), 2 * np.exp(x) * np.cos(x)),
        "x**3": (lambda v: v ** 3, 6 * x),
    }
    for name, (f, expected) in cases.items():
        got = ag.grad(ag.grad(f))(x)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-14), name


def test_third_derivative_of_x_to_the_fourth():
    assert ag.grad(ag.grad(ag.grad(lambda x: x ** 4)))(1.5) == pytest.approx(24 * 1.5)


def test_sigmoid_method_second_derivative_matches_closed_form():
    x = 0.4
    s = 1 / (1 + np.exp(-x))
    got = ag.grad(ag.grad(lambda v: Tensor(v).sigmoid() if not isinstance(v, Tensor) else v.sigmoid()))(x)
    assert got == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-12)


# -- Hessians of MLP losses against PyTorch ---------------------------------------------
def _mlp_loss_numpy(w1, b1, w2, b2, X, y):
    """A NumPy-only MLP loss (tanh hidden layer, sigmoid output, BCE), as a learner writes it."""
    h = np.tanh(np.dot(X, w1.T) + b1)
    p = 1 / (1 + np.exp(-(np.dot(h, w2.T) + b2)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _mlp_loss_torch(torch, w1, b1, w2, b2, X, y):
    h = torch.tanh(X @ w1.T + b1)
    p = torch.sigmoid(h @ w2.T + b2)
    return torch.nn.functional.binary_cross_entropy(p, y)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hessian_of_mlp_loss_matches_torch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((6, 2)), rng.integers(0, 2, (6, 1)).astype(float)
    shapes = [(3, 2), (3,), (1, 3), (1,)]
    params = [rng.standard_normal(s) * 0.8 for s in shapes]
    flat = np.concatenate([p.ravel() for p in params])

    def unflatten(v):
        out, i = [], 0
        for s in shapes:
            n = int(np.prod(s))
            out.append(v[i:i + n].reshape(s))
            i += n
        return out

    ours = ag.hessian(lambda v: _mlp_loss_numpy(*unflatten(v), X, y))(flat)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)
    theirs = torch.autograd.functional.hessian(
        lambda v: _mlp_loss_torch(torch, *unflatten(v), tX, ty), torch.from_numpy(flat)).numpy()
    assert ours.shape == (flat.size, flat.size)
    np.testing.assert_allclose(ours, theirs, atol=1e-8, rtol=1e-8)
    np.testing.assert_allclose(ours, ours.T, atol=1e-12)


def test_hessian_vector_product_of_nn_mlp_loss_matches_torch():
    torch = pytest.importorskip("torch")
    import nn
    rng = np.random.default_rng(7)
    model = nn.MLP([2, 4, 3], activations=["relu", "identity"], seed=3)
    X, labels = rng.standard_normal((5, 2)), rng.integers(0, 3, 5)
    params = [p for _, p in model.named_parameters()]
    vs = [rng.standard_normal(p.shape) for p in params]
    loss = nn.functional.cross_entropy(model(X), labels)
    grads = ag.gradients(loss, params, create_graph=True)
    hvp = ag.gradients(sum(((g * v).sum() for g, v in zip(grads, vs)), Tensor(0.0)), params)

    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    h = torch.relu(torch.from_numpy(X) @ tparams[0].T + tparams[1])
    tloss = torch.nn.functional.cross_entropy(h @ tparams[2].T + tparams[3], torch.from_numpy(labels))
    tgrads = torch.autograd.grad(tloss, tparams, create_graph=True)
    thvp = torch.autograd.grad(sum((g * torch.from_numpy(v)).sum() for g, v in zip(tgrads, vs)), tparams)
    for ours, theirs in zip(hvp, thvp):
        np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-10, rtol=1e-8)


# -- the tensor-level API -----------------------------------------------------------------
def test_backward_with_create_graph_gives_grad_tensors_that_differentiate_again():
    x = Tensor([0.5, -1.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data)


def test_gradients_leaves_dot_grad_untouched_and_gives_zeros_for_unused_inputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor([3.0], requires_grad=True)
    gx, gu = ag.gradients((x * x).sum(), [x, unused])
    np.testing.assert_allclose(gx, [2.0, 4.0])
    np.testing.assert_allclose(gu, [0.0])
    assert x.grad is None and unused.grad is None


def test_gradients_refuses_an_input_that_does_not_require_grad():
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="gradients: input 0 must be a Tensor that requires grad"):
        ag.gradients((x * 2).sum(), [x])


def test_gradients_with_a_grad_output_of_the_wrong_shape_names_both_shapes():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2,\)"):
        ag.gradients(x * 2, [x], grad_output=np.ones(3))


def test_second_backward_pass_after_create_graph_does_not_need_a_new_forward():
    w = Tensor([[0.3, -0.2], [0.1, 0.4]], requires_grad=True)
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    loss = (np.tanh(np.dot(X, w)) ** 2).sum()
    (gw,) = ag.gradients(loss, [w], create_graph=True)
    hv1 = ag.gradients((gw * 1.0).sum(), [w])[0]
    hv2 = ag.gradients((gw * 1.0).sum(), [w])[0]
    np.testing.assert_array_equal(hv1, hv2)
