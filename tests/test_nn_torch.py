"""Losses and MLP gradients cross-checked against PyTorch in float64."""
from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor

torch = pytest.importorskip("torch", reason="PyTorch cross-checks need torch")
TF = torch.nn.functional

REDUCTIONS = ["mean", "sum", "none"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")




def _ours_and_torch(ours_fn, torch_fn, inputs, grad_mask, upstream):
    """Value and gradients of both libraries on the same float64 data."""
    ours = [Tensor(a, requires_grad=g) for a, g in zip(inputs, grad_mask)]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=g) for a, g in zip(inputs, grad_mask)]
    out_o, out_t = ours_fn(*ours), torch_fn(*theirs)
    out_o.backward(upstream)
    out_t.backward(torch.as_tensor(upstream, dtype=torch.float64).reshape(out_t.shape))
    return out_o, out_t, ours, theirs


def _assert_match(ours_fn, torch_fn, inputs, grad_mask, upstream, rtol=1e-12):
    out_o, out_t, ours, theirs = _ours_and_torch(ours_fn, torch_fn, inputs, grad_mask, upstream)
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), rtol=rtol, atol=1e-14)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if o.requires_grad:
            np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=rtol, atol=1e-14, err_msg=f"input {i}")


def _upstream(rng, reduction, shape):
    return rng.standard_normal(shape) if reduction == "none" else np.array(rng.standard_normal())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_torch(reduction):
    rng = np.random.default_rng(0)
    p, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    _assert_match(lambda p, y: nn.MSELoss(reduction)(p, y),
                  lambda p, y: TF.mse_loss(p, y, reduction=reduction),
                  (p, y), (True, True), _upstream(rng, reduction, (6, 2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_matches_torch_including_ties(reduction):
    rng = np.random.default_rng(1)
    p, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    y[0] = p[0]   # |p − y| at its kink: both libraries use gradient 0
    _assert_match(lambda p, y: nn.L1Loss(reduction)(p, y),
                  lambda p, y: TF.l1_loss(p, y, reduction=reduction),
                  (p, y), (True, True), _upstream(rng, reduction, (6, 2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_loss_matches_torch(reduction):
    rng = np.random.default_rng(2)
    p, y = rng.uniform(0.01, 0.99, size=(6, 1)), rng.uniform(0, 1, size=(6, 1))
    _assert_match(lambda p, y: nn.BCELoss(reduction)(p, y),
                  lambda p, y: TF.binary_cross_entropy(p, y, reduction=reduction),
                  (p, y), (True, True), _upstream(rng, reduction, (6, 1)))


def test_bce_loss_matches_torch_at_probabilities_zero_and_one():
    p = np.array([[0.0], [1.0], [0.0], [1.0], [1e-300]])
    y = np.array([[1.0], [0.0], [0.0], [1.0], [1.0]])
    _assert_match(lambda p, y: nn.BCELoss()(p, y), lambda p, y: TF.binary_cross_entropy(p, y),
                  (p, y), (True, False), np.array(1.0))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(reduction):
    rng = np.random.default_rng(3)
    z, y = 4 * rng.normal(size=(7, 2)), rng.uniform(0, 1, size=(7, 2))
    z[0, 0], z[1, 1] = 1000.0, -1000.0
    _assert_match(lambda z, y: nn.BCEWithLogitsLoss(reduction)(z, y),
                  lambda z, y: TF.binary_cross_entropy_with_logits(z, y, reduction=reduction),
                  (z, y), (True, True), _upstream(rng, reduction, (7, 2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_labels_matches_torch(reduction):
    rng = np.random.default_rng(4)
    z, labels = 3 * rng.normal(size=(8, 4)), rng.integers(0, 4, size=8)
    z[0] = [1000.0, -1000.0, 0.0, 5.0]
    ours = Tensor(z, requires_grad=True)
    theirs = torch.tensor(z, requires_grad=True)
    out_o = nn.CrossEntropyLoss(reduction)(ours, labels)
    out_t = TF.cross_entropy(theirs, torch.as_tensor(labels), reduction=reduction)
    g = _upstream(rng, reduction, (8,))
    out_o.backward(g)
    out_t.backward(torch.as_tensor(g))
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probabilities_matches_torch(reduction):
    rng = np.random.default_rng(5)
    z = 3 * rng.normal(size=(8, 4))
    w = rng.uniform(size=(8, 4))
    _assert_match(lambda z, Y: nn.CrossEntropyLoss(reduction)(z, Y),
                  lambda z, Y: TF.cross_entropy(z, Y, reduction=reduction),
                  (z, w / w.sum(axis=1, keepdims=True)), (True, True), _upstream(rng, reduction, (8,)))


# -- whole networks ----------------------------------------------------------------------------
TORCH_ACT = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
             "leaky_relu": torch.nn.LeakyReLU, "identity": torch.nn.Identity}


def _torch_copy(model: nn.MLP):
    mods = []
    for layer, name in zip(model.layers, model.activation_names):
        lin = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.weight.data))
            lin.bias.copy_(torch.from_numpy(layer.bias.data))
        mods += [lin, TORCH_ACT[name]()]
    return torch.nn.Sequential(*mods)


CASES = {
    "mse": (1, "identity", nn.MSELoss(), TF.mse_loss, lambda rng, n: rng.normal(size=(n, 1))),
    "l1": (1, "identity", nn.L1Loss(), TF.l1_loss, lambda rng, n: rng.normal(size=(n, 1))),
    "bce": (1, "sigmoid", nn.BCELoss(), TF.binary_cross_entropy,
            lambda rng, n: rng.integers(0, 2, size=(n, 1)).astype(float)),
    "bce_with_logits": (1, "identity", nn.BCEWithLogitsLoss(), TF.binary_cross_entropy_with_logits,
                        lambda rng, n: rng.integers(0, 2, size=(n, 1)).astype(float)),
    "cross_entropy": (3, "identity", nn.CrossEntropyLoss(), TF.cross_entropy,
                      lambda rng, n: rng.integers(0, 3, size=n)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_mlp_parameter_gradients_match_torch_for_each_loss(case):
    out_features, out_act, loss, torch_loss, make_y = CASES[case]
    rng = np.random.default_rng(6)
    model = nn.MLP([3, 5, 4, out_features], activations=["tanh", "leaky_relu", out_act], seed=1)
    for layer in model.layers:   # non-zero biases, so their gradients are exercised too
        layer.bias.data[...] = rng.normal(size=layer.bias.shape)
    net = _torch_copy(model)
    X, y = rng.normal(size=(10, 3)), make_y(rng, 10)

    ours = loss(model(X), y)
    ours.backward()
    target = torch.as_tensor(y) if case == "cross_entropy" else torch.tensor(y)
    theirs = torch_loss(net(torch.tensor(X)), target)
    theirs.backward()

    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    torch_grads = [p.grad.numpy() for m in net if isinstance(m, torch.nn.Linear) for p in (m.weight, m.bias)]
    for (name, p), g in zip(model.named_parameters(), torch_grads):
        np.testing.assert_allclose(p.grad, g, rtol=1e-11, atol=1e-14, err_msg=name)
