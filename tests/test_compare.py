"""Autograd vs hand-derived backprop: the seeds' hand calculations, random networks, whole runs."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import nn
from autograd import Tensor
from nn.compare import compare_gradients, compare_training, loss_name
from nn.manual import ManualMLP


def msig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def printed(value: float, decimals: int):
    """Equal to `value` to the digits a seed printed (half a unit in the last place)."""
    return pytest.approx(value, abs=0.5 * 10 ** -decimals)


def mlp_with(weights, biases, activations) -> nn.MLP:
    model = nn.MLP([np.shape(weights[0])[1]] + [np.shape(w)[0] for w in weights], activations=activations)
    model.load_state_dict({**{f"layers.{i}.weight": np.array(w, float) for i, w in enumerate(weights)},
                           **{f"layers.{i}.bias": np.array(b, float) for i, b in enumerate(biases)}})
    return model


# -- seed 002: the hand-calculated 2 → 2 → 1 sigmoid network, by autograd -----------------
SEED002 = dict(weights=[[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], biases=[[0.1, 0.2], [0.3]],
               activations=["sigmoid", "sigmoid"])


def test_seed002_hand_calculation_by_autograd():
    model = mlp_with(**SEED002)
    x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    z1 = model.layers[0](x)
    a1 = model.activation_modules[0](z1)
    z2 = model.layers[1](a1)
    a2 = model.activation_modules[1](z2)
    loss = nn.BCELoss()(a2, y)
    loss.backward()
    # forward, as printed: z1 = [0.6, 1.3], a1 = [0.64565631 0.78583498], z2 = 1.0943, ŷ = 0.7492
    np.testing.assert_allclose(z1.data, [[0.6, 1.3]], atol=1e-15)
    assert a1.data[0, 0] == printed(0.64565631, 8) and a1.data[0, 1] == printed(0.78583498, 8)
    assert z2.item() == printed(1.09432914, 8)
    assert a2.item() == printed(0.7492, 4) and a2.item() == printed(0.74919605, 8)
    assert loss.item() == printed(0.2888, 4)
    # backward: δ² = ŷ − y = −0.2508 is autograd's dL/dz2 (batch of one)
    assert z2.grad[0, 0] == printed(-0.2508, 4)
    np.testing.assert_allclose(a1.grad, [[-0.1254, -0.1505]], atol=0.5e-4)
    np.testing.assert_allclose(z1.grad, [[-0.0287, -0.0253]], atol=0.5e-4)
    np.testing.assert_allclose(model.layers[1].weight.grad, [[-0.16193315, -0.19709052]], atol=0.5e-8)
    assert model.layers[1].bias.grad[0] == printed(-0.2508, 4)
    np.testing.assert_allclose(model.layers[0].weight.grad,
                               [[-0.02869, -0.05737999], [-0.02532594, -0.05065187]], atol=0.5e-8)
    np.testing.assert_allclose(model.layers[0].bias.grad, [-0.02869, -0.02532594], atol=0.5e-8)
    # one step with α = 0.1
    nn.optim.SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_allclose(model.layers[1].weight.data, [[0.51619332, 0.61970905]], atol=0.5e-8)
    np.testing.assert_allclose(model.layers[0].weight.data, [[0.102869, 0.205738], [0.30253259, 0.40506519]],
                               atol=0.5e-8)


def test_seed002_autograd_equals_manual_exactly():
    model = mlp_with(**SEED002)
    report = compare_gradients(model, [[1.0, 2.0]], [[1.0]], nn.BCELoss())
    assert report.ok
    assert max(r.max_abs_manual for r in report.rows) <= 1e-16


def test_seed002_tanh_exercise_by_autograd_shows_the_seed_slip():
    """The seed prints z2 = 0.5312 and a2 = 0.6298; by hand z2 = 0.3·tanh 0.42 + 0.7·tanh 0.48 + 0.2
    = 0.6314 and a2 = σ(0.6314) = 0.6528 (the seed's a2 is σ of its own wrong z2)."""
    model = mlp_with([[[0.2, 0.4], [0.6, 0.1]], [[0.3, 0.7]]], [[0.0, 0.1], [0.2]], ["tanh", "sigmoid"])
    x = np.array([[0.5, 0.8]])
    z1 = model.layers[0](x)
    a1 = z1.tanh()
    z2 = model.layers[1](a1)
    assert z1.data[0, 0] == printed(0.42, 2) and z1.data[0, 1] == printed(0.48, 2)
    assert a1.data[0, 0] == printed(0.3969, 4) and a1.data[0, 1] == printed(0.4462, 4)
    assert z2.item() == pytest.approx(0.3 * math.tanh(0.42) + 0.7 * math.tanh(0.48) + 0.2, abs=1e-15)
    assert z2.item() == printed(0.6314, 4) and z2.item() != printed(0.5312, 4)   # seed slip
    assert model(x).item() == printed(0.6528, 4) and model(x).item() != printed(0.6298, 4)
    assert compare_gradients(model, x, [[1.0]], "bce").ok


# -- seed 001: ½(y − ŷ)² with sigmoid units -------------------------------------------------------
@pytest.mark.parametrize("weights, biases, x, y", [
    ([[[0.5]], [[1.5]]], [[0.1], [-0.3]], 1.0, 2.0),                 # example 1: 1 → 1 → 1
    ([[[0.1], [-0.2]], [[0.3, 0.3]]], [[0.0, 0.1], [-0.1]], 3.0, 1.0),  # example 2: 1 → 2 → 1
])
def test_seed001_examples_autograd_equals_manual(weights, biases, x, y):
    model = mlp_with(weights, biases, ["sigmoid", "sigmoid"])
    X, Y = np.array([[x]]), np.array([[y]])
    report = compare_gradients(model, X, Y, "half_sse")
    assert report.ok, str(report)
    manual = ManualMLP.from_module(model, "half_sse").backward(X, Y)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(report.autograd_grads[name], manual.grads[name], rtol=0, atol=1e-16)


def test_seed001_example1_numbers_by_autograd():
    model = mlp_with([[[0.5]], [[1.5]]], [[0.1], [-0.3]], ["sigmoid", "sigmoid"])
    out = model(np.array([[1.0]]))
    E = 0.5 * ((Tensor([[2.0]]) - out) ** 2).sum()
    E.backward()
    a1 = msig(0.6)
    yhat = msig(1.5 * a1 - 0.3)
    delta2 = (yhat - 2.0) * yhat * (1 - yhat)
    assert out.item() == pytest.approx(yhat, abs=1e-15) == pytest.approx(0.6611637213, abs=5e-11)
    assert E.item() == pytest.approx(0.8962412906, abs=5e-11)
    assert model.layers[1].weight.grad[0, 0] == pytest.approx(delta2 * a1, abs=1e-15)
    assert model.layers[0].weight.grad[0, 0] == pytest.approx(1.5 * delta2 * a1 * (1 - a1), abs=1e-15)


# -- random networks --------------------------------------------------------------------------------
ACT_FOR_LOSS = {"mse": ["identity", "tanh", "sigmoid", "relu"], "bce": ["sigmoid"],
                "bce_with_logits": ["identity"], "cross_entropy": ["identity"], "half_sse": ["sigmoid", "identity"]}


@st.composite
def problems(draw):
    n_layers = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 8)) for _ in range(n_layers + 1)]
    loss = draw(st.sampled_from(sorted(ACT_FOR_LOSS)))
    if loss == "cross_entropy":
        sizes[-1] = draw(st.integers(2, 6))
    hidden = [draw(st.sampled_from(["relu", "leaky_relu", "tanh", "sigmoid", "identity"])) for _ in range(n_layers - 1)]
    acts = hidden + [draw(st.sampled_from(ACT_FOR_LOSS[loss]))]
    m = draw(st.integers(1, 16))
    seed = draw(st.integers(0, 2**16))
    return sizes, acts, loss, m, seed


def _data(sizes, loss, m, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, sizes[0]))
    k = sizes[-1]
    if loss == "cross_entropy":
        y = rng.integers(0, k, size=m)
    elif loss in ("bce", "bce_with_logits"):
        y = rng.integers(0, 2, size=(m, k)).astype(float)
    else:
        y = rng.normal(size=(m, k))
    return X, y


def _off_kinks(model, X) -> bool:
    a = X
    for layer, act in zip(model.layers, model.activation_modules):
        z = layer(a)
        if act.activation_name in ("relu", "leaky_relu") and np.min(np.abs(z.data)) < 1e-3:
            return False
        a = act(z)
    if act.activation_name == "sigmoid":  # BCELoss clamps p(1 − p) at 1e-12 like torch; a − y does not
        p = a.data
        return float(np.min(p * (1 - p))) > 1e-10
    return True


@settings(deadline=None, max_examples=40)
@given(problems())
def test_random_networks_autograd_equals_manual_and_finite_differences(problem):
    sizes, acts, loss, m, seed = problem
    model = nn.MLP(sizes, activations=acts, seed=seed)
    X, y = _data(sizes, loss, m, seed)
    assume(_off_kinks(model, X))
    report = compare_gradients(model, X, y, loss, rtol=1e-10, tol_numerical=1e-6)
    assert report.ok, str(report)
    for row in report.rows:
        assert row.rel_manual <= 1e-10
        if row.max_abs_numerical is not None:
            assert row.max_abs_numerical <= 1e-6 * max(1.0, np.max(np.abs(report.numerical_grads[row.name])))


@settings(deadline=None, max_examples=10)
@given(problems())
def test_random_networks_float32(problem):
    sizes, acts, loss, m, seed = problem
    model = nn.MLP(sizes, activations=acts, seed=seed, dtype=np.float32)
    X, y = _data(sizes, loss, m, seed)
    assume(_off_kinks(model, X))
    report = compare_gradients(model, X.astype(np.float32), y, loss, numerical=False)
    assert all(g.dtype == np.float32 for g in report.autograd_grads.values())
    assert report.ok, str(report)


def test_training_runs_agree_for_200_steps():
    X, y = nn.data.make_moons(100, noise=0.2, seed=1)
    model = nn.MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=7)
    before = model.state_dict()
    result = compare_training(model, X, y, nn.BCELoss(), lr=0.1, epochs=200)
    assert len(result.autograd_losses) == len(result.manual_losses) == 200
    assert result.max_loss_diff <= 1e-9 and result.max_weight_diff <= 1e-9 and result.ok
    assert result.autograd_losses[-1] < result.autograd_losses[0]
    for k, v in model.state_dict().items():  # the model itself is untouched
        np.testing.assert_array_equal(v, before[k])


def test_training_runs_agree_for_regression_and_multiclass():
    X, y = nn.data.make_sine(50, seed=3)
    r = compare_training(nn.MLP([1, 8, 8, 1], activations=["tanh", "tanh", "identity"], seed=0), X, y, "mse",
                         lr=0.05, epochs=200)
    assert r.ok, str(r)
    X, y = nn.data.make_blobs(60, centers=3, seed=2)
    r = compare_training(nn.MLP([2, 6, 3], activations=["relu", "identity"], seed=0), X, y, "cross_entropy",
                         lr=0.1, epochs=200)
    assert r.ok, str(r)


def test_compare_does_not_touch_existing_gradients():
    model = nn.MLP([2, 3, 1], activations=["tanh", "sigmoid"], seed=0)
    X, y = np.ones((4, 2)), np.ones((4, 1))
    nn.BCELoss()(model(X), y).backward()
    saved = {k: p.grad.copy() for k, p in model.named_parameters()}
    compare_gradients(model, X, y, "bce")
    for k, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, saved[k])


def test_report_table_and_dict():
    model = nn.MLP([2, 4, 1], activations=["relu", "sigmoid"], seed=0)
    X, y = nn.data.make_moons(16, noise=0.1, seed=0)
    report = compare_gradients(model, X, y, nn.BCELoss())
    text = str(report)
    lines = text.splitlines()
    assert "layers.0.weight" in text and "δ layers.1" in text and "PASS" in lines[-1]
    header = next(line for line in lines if line.startswith("quantity"))
    assert all(len(line) == len(header) for line in lines if line.startswith(("layers.", "δ")))
    d = report.to_dict()
    assert json.loads(json.dumps(d))["ok"] is True
    assert [r["name"] for r in d["rows"]][:4] == ["layers.0.weight", "layers.0.bias",
                                                  "layers.1.weight", "layers.1.bias"]


def test_a_wrong_gradient_is_reported_as_a_failure(monkeypatch):
    """Break the fused linear op's weight gradient: the report must say FAIL and name the parameter."""
    from nn import functional as F
    original = F.LinearOp.backward

    def broken(self, g):
        gx, gw, *rest = original(self, g)
        return (gx, None if gw is None else gw * 1.001, *rest)

    monkeypatch.setattr(F.LinearOp, "backward", broken)
    model = nn.MLP([2, 3, 1], activations=["tanh", "sigmoid"], seed=0)
    report = compare_gradients(model, np.ones((4, 2)) * [1, -1], np.ones((4, 1)), "bce")
    assert not report.ok
    assert {r.name for r in report.rows if not r.ok} == {"layers.0.weight", "layers.1.weight"}
    assert "FAIL" in str(report)


@pytest.mark.parametrize("loss, message", [
    ("hinge", "unsupported loss"),
    (nn.MSELoss(reduction="sum"), "only reduction='mean'"),
])
def test_unsupported_losses_are_refused(loss, message):
    with pytest.raises(ValueError, match=message):
        loss_name(loss)


def test_loss_that_does_not_fit_the_output_is_refused():
    model = nn.MLP([2, 3, 1], activations=["tanh", "identity"], seed=0)
    with pytest.raises(ValueError, match="does not fit output activation"):
        compare_gradients(model, np.ones((2, 2)), np.ones((2, 1)), "bce")
