"""Tests for nn.manual.ManualMLP, the hand-derived (numpy-only) backprop witness.

* the seeds' hand-calculated numbers (seed 002's forward/backward pass and its
  tanh exercise, seed 001's two numerical examples),
* hypothesis: manual gradients == central finite differences for random
  architectures, activations, losses and batch sizes,
* a cross-check against PyTorch (float64) when torch is installed,
* every validation error, and the training/utility API.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nn.manual import ACTIVATIONS, LOSSES, ManualGrads, ManualMLP, sigmoid


def printed(value: float, decimals: int):
    """pytest.approx for a number printed with `decimals` decimals: ± half a unit in the last digit."""
    return pytest.approx(value, abs=0.5 * 10.0**-decimals)


# numpy prints float arrays with at most 8 decimals (floatmode 'maxprec'), dropping
# trailing zeros: "-0.02869" in such an array means -0.02869000 to 8 decimals.
NUMPY_PRINTED = 8


def msig(x: float) -> float:
    """Scalar sigmoid written out independently of nn.manual."""
    return 1.0 / (1.0 + math.exp(-x))


# =============================================================================
# Seed 002: hand calculation (2 → 2 → 1, sigmoid units, BCE, x = [1, 2], y = 1)
# =============================================================================


@pytest.fixture
def seed002_model() -> ManualMLP:
    W1 = np.array([[0.1, 0.2], [0.3, 0.4]])
    b1 = np.array([0.1, 0.2])
    W2 = np.array([[0.5, 0.6]])
    b2 = np.array([0.3])
    return ManualMLP([W1, W2], [b1, b2], ["sigmoid", "sigmoid"], "bce")


def test_seed002_forward_pass(seed002_model: ManualMLP) -> None:
    model = seed002_model
    out = model.forward(np.array([[1.0, 2.0]]))
    z1, z2 = model.zs
    a0, a1, a2 = model.activations
    assert a0.tolist() == [[1.0, 2.0]]
    # "z1 = [0.50, 1.10] + [0.1, 0.2]"  (W1 @ x before the bias)
    Wx = z1[0] - model.biases[0]
    assert Wx[0] == printed(0.50, 2) and Wx[1] == printed(1.10, 2)
    # "z1 = [0.6 1.3]"
    assert z1[0, 0] == printed(0.6, NUMPY_PRINTED) and z1[0, 1] == printed(1.3, NUMPY_PRINTED)
    # "a1[0] = ... = 0.6457", "a1[1] = ... = 0.7858", "a1 = [0.64565631 0.78583498]"
    assert a1[0, 0] == printed(0.6457, 4) and a1[0, 1] == printed(0.7858, 4)
    assert a1[0, 0] == printed(0.64565631, 8) and a1[0, 1] == printed(0.78583498, 8)
    # "z2 = 0.7943 + 0.3", "z2 = 1.0943", later "z2 = [1.09432914]"
    assert (z2[0, 0] - 0.3) == printed(0.7943, 4)
    assert z2[0, 0] == printed(1.0943, 4)
    assert z2[0, 0] == printed(1.09432914, 8)
    # "y_hat = sigmoid(z2) = 0.7492", later "a2 (ŷ) = [0.74919605]"
    assert out.shape == (1, 1)
    assert a2[0, 0] == printed(0.7492, 4)
    assert a2[0, 0] == printed(0.74919605, 8)


def test_seed002_backward_pass_and_update(seed002_model: ManualMLP) -> None:
    model = seed002_model
    X, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    W1_before, W2_before = model.weights[0].copy(), model.weights[1].copy()
    g = model.backward(X, y)
    a1, a2 = g.activations[1], g.activations[2]

    # "L = -[1·log(0.7492) + 0·log(0.2508)]", "L = -log(0.7492) = 0.2888"
    assert (1 - a2[0, 0]) == printed(0.2508, 4)
    assert g.loss == printed(0.2888, 4)
    assert model.loss(X, y) == printed(0.2888, 4)

    # "δ^[2] = dL/dz2 = a2 - y = 0.7492 - 1.0 = -0.2508"  (the sigmoid+BCE shortcut)
    assert g.deltas[1].shape == (1, 1)
    assert g.deltas[1][0, 0] == printed(-0.2508, 4)
    # "dW2 = [-0.1619, -0.1971]" and the full "[[-0.16193315 -0.19709052]]"
    dW2 = g.grads["layers.1.weight"]
    assert dW2.shape == (1, 2)
    assert dW2[0, 0] == printed(-0.1619, 4) and dW2[0, 1] == printed(-0.1971, 4)
    assert dW2[0, 0] == printed(-0.16193315, 8) and dW2[0, 1] == printed(-0.19709052, 8)
    # "db2 = δ^[2] = -0.2508"
    assert g.grads["layers.1.bias"].shape == (1,)
    assert g.grads["layers.1.bias"][0] == printed(-0.2508, 4)

    # "da1 = (W2)^T · δ^[2] = [-0.1254, -0.1505]"
    da1 = g.grad_outputs[0][0]
    assert da1[0] == printed(-0.1254, 4) and da1[1] == printed(-0.1505, 4)
    # "σ'(z1) = [0.6457×0.3543, 0.7858×0.2142]" = "[0.2288, 0.1683]"
    assert (1 - a1[0, 0]) == printed(0.3543, 4) and (1 - a1[0, 1]) == printed(0.2142, 4)
    sp = g.activation_derivatives[0][0]
    assert sp[0] == printed(0.2288, 4) and sp[1] == printed(0.1683, 4)
    # "δ^[1] = [-0.0287, -0.0253]"
    d1 = g.deltas[0][0]
    assert d1[0] == printed(-0.0287, 4) and d1[1] == printed(-0.0253, 4)
    # "dW1 = [[-0.02869 -0.05737999] [-0.02532594 -0.05065187]]"  (numpy-printed)
    expected_dW1 = [[-0.02869, -0.05737999], [-0.02532594, -0.05065187]]
    dW1 = g.grads["layers.0.weight"]
    for i in range(2):
        for j in range(2):
            assert dW1[i, j] == printed(expected_dW1[i][j], NUMPY_PRINTED)
    # "db1 = [-0.02869 -0.02532594]"
    db1 = g.grads["layers.0.bias"]
    assert db1[0] == printed(-0.02869, NUMPY_PRINTED) and db1[1] == printed(-0.02532594, NUMPY_PRINTED)

    # Parameter update with α = 0.1
    b1_before, b2_before = model.biases[0].copy(), model.biases[1].copy()
    model.step(0.1)
    # "W2_new = [[0.51619332 0.61970905]]"
    assert model.weights[1][0, 0] == printed(0.51619332, NUMPY_PRINTED)
    assert model.weights[1][0, 1] == printed(0.61970905, NUMPY_PRINTED)
    # "W1_new = [[0.102869 0.205738] [0.30253259 0.40506519]]"
    expected_W1 = [[0.102869, 0.205738], [0.30253259, 0.40506519]]
    for i in range(2):
        for j in range(2):
            assert model.weights[0][i, j] == printed(expected_W1[i][j], NUMPY_PRINTED)
    # The seed does not print the bias updates; they follow b := b − α db.
    np.testing.assert_allclose(model.biases[0], b1_before - 0.1 * db1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(model.biases[1], b2_before - 0.1 * g.grads["layers.1.bias"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(model.weights[0], W1_before - 0.1 * dW1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(model.weights[1], W2_before - 0.1 * dW2, rtol=0, atol=1e-15)


def test_seed002_tanh_exercise_seed_slip() -> None:
    """Seed 002's exercise: x = [0.5, 0.8], tanh hidden layer, sigmoid output.

    The seed's solution prints z1 = [0.42, 0.48], a1 = [0.3969, 0.4462] (right) but
    z2 = 0.5312 and a2 = 0.6298 (wrong).  By hand:
        z2 = 0.3·tanh(0.42) + 0.7·tanh(0.48) + 0.2 = 0.11908 + 0.31237 + 0.2 = 0.6314
        a2 = σ(0.6314) = 0.6528
    (the seed's a2 = 0.6298 is σ(0.5312), i.e. consistent with its wrong z2).
    """
    model = ManualMLP(
        [np.array([[0.2, 0.4], [0.6, 0.1]]), np.array([[0.3, 0.7]])],
        [np.array([0.0, 0.1]), np.array([0.2])],
        ["tanh", "sigmoid"],
        "bce",
    )
    out = model.forward(np.array([[0.5, 0.8]]))
    z1, z2 = model.zs
    a1 = model.activations[1]
    # Hand calculation, scalar by scalar.
    hz1 = [0.2 * 0.5 + 0.4 * 0.8 + 0.0, 0.6 * 0.5 + 0.1 * 0.8 + 0.1]
    ha1 = [math.tanh(v) for v in hz1]
    hz2 = 0.3 * ha1[0] + 0.7 * ha1[1] + 0.2
    ha2 = msig(hz2)
    np.testing.assert_allclose(z1[0], hz1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(a1[0], ha1, rtol=0, atol=1e-15)
    assert z2[0, 0] == pytest.approx(hz2, abs=1e-15)
    assert out[0, 0] == pytest.approx(ha2, abs=1e-15)
    # What the seed prints, and whether it is right:
    assert z1[0, 0] == printed(0.42, 2) and z1[0, 1] == printed(0.48, 2)  # seed right
    assert a1[0, 0] == printed(0.3969, 4) and a1[0, 1] == printed(0.4462, 4)  # seed right
    assert z2[0, 0] != printed(0.5312, 4)  # SEED SLIP: prints z2 = 0.5312 ...
    assert z2[0, 0] == printed(0.6314, 4)  # ... correct value is 0.6314
    assert out[0, 0] != printed(0.6298, 4)  # SEED SLIP: prints a2 = 0.6298 = σ(0.5312) ...
    assert out[0, 0] == printed(0.6528, 4)  # ... correct value is 0.6528
    assert msig(0.5312) == printed(0.6298, 4)  # the slip propagated from z2 to a2


def test_seed002_comment_values_are_stale() -> None:
    """Seed 002's backprop cell has a comment "z2 ≈ [0.9941], a2 ≈ [0.7299]"; the
    forward pass it continues (and the same cell's printed output) has
    z2 = 1.0943, a2 = 0.7492.  We follow the printed output."""
    z2 = 0.5 * msig(0.6) + 0.6 * msig(1.3) + 0.3
    assert z2 == printed(1.0943, 4) and z2 != printed(0.9941, 4)
    assert msig(z2) == printed(0.7492, 4) and msig(z2) != printed(0.7299, 4)


# =============================================================================
# Seed 001: two numerical examples, sigmoid units, E = ½ (y − ŷ)²
# =============================================================================
# Seed 001 sets the examples up symbolically and prints no numbers, and gives no
# learning rate.  We compute every quantity it names by hand (scalars, `math`),
# pin the values to 10 decimals as regression numbers, and use η = 0.1.
ETA = 0.1


def test_seed001_example1_single_hidden_unit() -> None:
    """1 → 1 → 1: x = 1, y = 2, w1 = 0.5, b1 = 0.1, w2 = 1.5, b2 = −0.3."""
    model = ManualMLP([[[0.5]], [[1.5]]], [[0.1], [-0.3]], ["sigmoid", "sigmoid"], "half_sse")
    X, y = np.array([[1.0]]), np.array([[2.0]])
    g = model.backward(X, y)

    # Hand calculation.
    x, t = 1.0, 2.0
    z1 = 0.5 * x + 0.1
    a1 = msig(z1)  # a1 = σ(0.5·1 + 0.1)
    z2 = 1.5 * a1 - 0.3
    yhat = msig(z2)  # ŷ = σ(1.5·a1 − 0.3)
    E = 0.5 * (t - yhat) ** 2
    delta2 = (yhat - t) * yhat * (1 - yhat)  # ∂E/∂ŷ · σ'(z2)
    delta1 = 1.5 * delta2 * a1 * (1 - a1)  # (w2 δ2) σ'(z1)
    dw2, db2, dw1, db1 = delta2 * a1, delta2, delta1 * x, delta1

    # Regression values (computed once by hand with the formulas above).
    assert a1 == pytest.approx(0.6456563062, abs=5e-11)
    assert z2 == pytest.approx(0.6684844593, abs=5e-11)
    assert yhat == pytest.approx(0.6611637213, abs=5e-11)
    assert E == pytest.approx(0.8962412906, abs=5e-11)
    assert delta2 == pytest.approx(-0.2999344775, abs=5e-11)
    assert delta1 == pytest.approx(-0.1029304224, abs=5e-11)
    assert dw2 == pytest.approx(-0.1936545869, abs=5e-11)

    assert g.activations[1][0, 0] == pytest.approx(a1, abs=1e-15)
    assert g.activations[2][0, 0] == pytest.approx(yhat, abs=1e-15)
    assert g.loss == pytest.approx(E, abs=1e-15)
    assert g.deltas[1][0, 0] == pytest.approx(delta2, abs=1e-15)
    assert g.deltas[0][0, 0] == pytest.approx(delta1, abs=1e-15)
    assert g["layers.1.weight"][0, 0] == pytest.approx(dw2, abs=1e-15)
    assert g["layers.1.bias"][0] == pytest.approx(db2, abs=1e-15)
    assert g["layers.0.weight"][0, 0] == pytest.approx(dw1, abs=1e-15)
    assert g["layers.0.bias"][0] == pytest.approx(db1, abs=1e-15)

    model.step(ETA)  # w := w − η ∂E/∂w
    assert model.weights[0][0, 0] == pytest.approx(0.5 - ETA * dw1, abs=1e-15)
    assert model.biases[0][0] == pytest.approx(0.1 - ETA * db1, abs=1e-15)
    assert model.weights[1][0, 0] == pytest.approx(1.5 - ETA * dw2, abs=1e-15)
    assert model.biases[1][0] == pytest.approx(-0.3 - ETA * db2, abs=1e-15)
    assert model.weights[0][0, 0] == pytest.approx(0.5102930422, abs=5e-11)
    assert model.weights[1][0, 0] == pytest.approx(1.5193654587, abs=5e-11)
    # y = 2 is out of reach of a sigmoid output, but the step still lowers E.
    assert model.loss(X, y) < E


def test_seed001_example2_two_hidden_units() -> None:
    """1 → 2 → 1: x = 3, y = 1, w11 = 0.1, w21 = −0.2, b1 = 0, b2 = 0.1, w12 = 0.3
    (used for both hidden→output connections), b3 = −0.1.

    The seed's update list only shows ``w12 := w12 − η δ3 a1``; with two separate
    output weights (as in the network drawn) the second one moves by η δ3 a2.
    """
    model = ManualMLP(
        [[[0.1], [-0.2]], [[0.3, 0.3]]], [[0.0, 0.1], [-0.1]], ["sigmoid", "sigmoid"], "half_sse"
    )
    X, y = np.array([[3.0]]), np.array([[1.0]])
    g = model.backward(X, y)

    x, t = 3.0, 1.0
    a1, a2 = msig(0.1 * x + 0.0), msig(-0.2 * x + 0.1)  # σ(0.3), σ(−0.5)
    z3 = 0.3 * a1 + 0.3 * a2 - 0.1
    yhat = msig(z3)
    E = 0.5 * (t - yhat) ** 2
    delta3 = (yhat - t) * yhat * (1 - yhat)  # δ3 = (ŷ − 1) σ'(z3)
    delta1 = (0.3 * delta3) * a1 * (1 - a1)  # δ1 = (w12 δ3) σ'(z1)
    delta2 = (0.3 * delta3) * a2 * (1 - a2)  # δ2 = (w12 δ3) σ'(z2)

    assert a1 == pytest.approx(0.5744425168, abs=5e-11)
    assert a2 == pytest.approx(0.3775406688, abs=5e-11)
    assert z3 == pytest.approx(0.1855949557, abs=5e-11)
    assert yhat == pytest.approx(0.5462660105, abs=5e-11)
    assert E == pytest.approx(0.1029372666, abs=5e-11)
    assert delta3 == pytest.approx(-0.1124622599, abs=5e-11)
    assert delta1 == pytest.approx(-0.0082477003, abs=5e-11)
    assert delta2 == pytest.approx(-0.0079287146, abs=5e-11)

    np.testing.assert_allclose(g.activations[1][0], [a1, a2], rtol=0, atol=1e-15)
    assert g.zs[1][0, 0] == pytest.approx(z3, abs=1e-15)
    assert g.activations[2][0, 0] == pytest.approx(yhat, abs=1e-15)
    assert g.loss == pytest.approx(E, abs=1e-15)
    assert g.deltas[1][0, 0] == pytest.approx(delta3, abs=1e-15)
    np.testing.assert_allclose(g.deltas[0][0], [delta1, delta2], rtol=0, atol=1e-15)

    model.step(ETA)
    # w11 := w11 − η δ1 x,  w21 := w21 − η δ2 x
    assert model.weights[0][0, 0] == pytest.approx(0.1 - ETA * delta1 * x, abs=1e-15)
    assert model.weights[0][1, 0] == pytest.approx(-0.2 - ETA * delta2 * x, abs=1e-15)
    # w12 := w12 − η δ3 a1 (and the second output weight with a2)
    assert model.weights[1][0, 0] == pytest.approx(0.3 - ETA * delta3 * a1, abs=1e-15)
    assert model.weights[1][0, 1] == pytest.approx(0.3 - ETA * delta3 * a2, abs=1e-15)
    # biases (not in the seed's list): b := b − η δ
    np.testing.assert_allclose(model.biases[0], [0.0 - ETA * delta1, 0.1 - ETA * delta2], rtol=0, atol=1e-15)
    assert model.biases[1][0] == pytest.approx(-0.1 - ETA * delta3, abs=1e-15)
    assert model.weights[0][0, 0] == pytest.approx(0.1024743101, abs=5e-11)
    assert model.weights[0][1, 0] == pytest.approx(-0.1976213856, abs=5e-11)
    assert model.weights[1][0, 0] == pytest.approx(0.3064603104, abs=5e-11)


def test_seed001_half_sse_sums_over_the_batch() -> None:
    """half_sse is E = ½ Σ_i Σ_j (y − a)²: a sum, as in seed 001's XOR code (which
    adds up the per-sample updates without dividing by m).  So its gradient on a
    batch is the sum of the per-sample gradients, and δ_i = ∂E_i/∂z_i."""
    rng = np.random.default_rng(1)
    model = ManualMLP([rng.normal(size=(3, 2)), rng.normal(size=(1, 3))], [np.zeros(3), np.zeros(1)],
                      ["sigmoid", "sigmoid"], "half_sse")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    g = model.backward(X, y)
    total = {k: np.zeros_like(v) for k, v in g.grads.items()}
    for i in range(4):
        gi = model.backward(X[i : i + 1], y[i : i + 1])
        for k in total:
            total[k] += gi.grads[k]
        np.testing.assert_allclose(gi.deltas[1], g.deltas[1][i : i + 1], rtol=0, atol=1e-15)
    for k in total:
        np.testing.assert_allclose(g.grads[k], total[k], rtol=1e-13, atol=1e-15)
    assert model.loss(X, y) == pytest.approx(0.5 * np.sum((y - model.forward(X)) ** 2), rel=1e-15)


def test_seed001_xor_is_learned() -> None:
    """Seed 001 trains a sigmoid MLP on XOR with ½ Σ (y − ŷ)² and lr 0.5."""
    rng = np.random.default_rng(0)
    model = ManualMLP([rng.normal(size=(4, 2)), rng.normal(size=(1, 4))], [np.zeros(4), np.zeros(1)],
                      ["sigmoid", "sigmoid"], "half_sse")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    first = model.loss(X, y)
    for _ in range(3000):
        last = model.train_step(X, y, 0.5)
    assert last < 0.05 < first
    np.testing.assert_array_equal((model.forward(X) >= 0.5).astype(int), y.astype(int))


# =============================================================================
# Random networks: the generator shared by the finite-difference and torch tests
# =============================================================================

HIDDEN_ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"]
OUTPUT_ACTIVATIONS = {
    "mse": list(ACTIVATIONS),
    "half_sse": list(ACTIVATIONS),
    "bce": ["sigmoid"],
    "bce_with_logits": ["identity"],
    "cross_entropy": ["identity", "softmax"],
}


@dataclass
class Case:
    weights: list
    biases: list
    activations: list
    loss: str
    slope: float
    X: np.ndarray
    y: np.ndarray

    def model(self) -> ManualMLP:
        return ManualMLP(self.weights, self.biases, self.activations, self.loss, negative_slope=self.slope)


def make_targets(rng: np.random.Generator, loss: str, m: int, k: int, hard: bool) -> np.ndarray:
    if loss in ("mse", "half_sse"):
        return rng.normal(size=(m, k))
    if loss in ("bce", "bce_with_logits"):
        return rng.integers(0, 2, size=(m, k)).astype(float) if hard else rng.uniform(size=(m, k))
    # cross_entropy: integer labels, or probability rows
    return rng.integers(0, k, size=m) if hard else rng.dirichlet(np.ones(k), size=m)


@st.composite
def cases(draw) -> Case:
    loss = draw(st.sampled_from(LOSSES))
    n_layers = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 8), min_size=n_layers + 1, max_size=n_layers + 1))
    acts = [draw(st.sampled_from(HIDDEN_ACTIVATIONS)) for _ in range(n_layers - 1)]
    acts.append(draw(st.sampled_from(OUTPUT_ACTIVATIONS[loss])))
    if loss == "cross_entropy" or acts[-1] == "softmax":
        sizes[-1] = max(sizes[-1], 2)  # a softmax over one class is constant
    has_bias = draw(st.lists(st.booleans(), min_size=n_layers, max_size=n_layers))
    m = draw(st.integers(1, 16))
    slope = draw(st.floats(0.01, 0.5))
    hard = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1.5 / math.sqrt(sizes[l]), size=(sizes[l + 1], sizes[l])) for l in range(n_layers)]
    biases = [rng.normal(0, 0.5, size=sizes[l + 1]) if has_bias[l] else None for l in range(n_layers)]
    X = rng.normal(size=(m, sizes[0]))
    y = make_targets(rng, loss, m, sizes[-1], hard)
    return Case(weights, biases, acts, loss, slope, X, y)


def assume_off_the_kink(model: ManualMLP, X: np.ndarray) -> None:
    """relu/leaky_relu are not differentiable at 0: keep every such |z| > 1e-3."""
    model.forward(X)
    for name, z in zip(model.activation_names, model.zs):
        if name in ("relu", "leaky_relu"):
            assume(bool(np.min(np.abs(z)) > 1e-3))


def numerical_grads(model: ManualMLP, X: np.ndarray, y: np.ndarray, eps: float = 1e-6) -> dict:
    """Central differences (L(θ + ε) − L(θ − ε)) / 2ε of model.loss for every parameter element."""
    params = {}
    for l in range(model.n_layers):
        params[f"layers.{l}.weight"] = model.weights[l]
        if model.biases[l] is not None:
            params[f"layers.{l}.bias"] = model.biases[l]
    out = {}
    for name, arr in params.items():
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            orig = arr[idx]
            arr[idx] = orig + eps
            plus = model.loss(X, y)
            arr[idx] = orig - eps
            minus = model.loss(X, y)
            arr[idx] = orig
            g[idx] = (plus - minus) / (2 * eps)
        out[name] = g
    return out


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(case=cases())
def test_manual_grads_match_finite_differences(case: Case) -> None:
    model = case.model()
    assume_off_the_kink(model, case.X)
    g = model.backward(case.X, case.y)
    num = numerical_grads(model, case.X, case.y)
    assert set(g.grads) == set(num) == set(model.parameter_names())
    for name in num:
        assert g.grads[name].shape == num[name].shape
        np.testing.assert_allclose(g.grads[name], num[name], rtol=1e-6, atol=1e-6, err_msg=name)
    # The δ convention: ∂L/∂W = c δᵀ a_prev with c = 1/m (mean losses) or 1 (half_sse).
    m = case.X.shape[0]
    c = 1.0 if case.loss == "half_sse" else 1.0 / m
    for l, d in enumerate(g.deltas):
        assert d.shape == (m, model.weights[l].shape[0])
        np.testing.assert_allclose(g.grads[f"layers.{l}.weight"], c * d.T @ g.activations[l], rtol=1e-12, atol=1e-14)


# =============================================================================
# Cross-check against PyTorch (float64)
# =============================================================================


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed: torch cross-check skipped")


def torch_loss_and_grads(torch, case: Case) -> tuple[float, dict]:
    """The same network written with torch.nn.functional; returns (loss, grads)."""
    F = torch.nn.functional
    Ws = [torch.tensor(W, dtype=torch.float64, requires_grad=True) for W in case.weights]
    bs = [None if b is None else torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in case.biases]
    acts = {
        "relu": F.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, case.slope),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "identity": lambda t: t,
        "softmax": lambda t: torch.softmax(t, dim=1),
    }
    a = torch.tensor(case.X, dtype=torch.float64)
    for W, b, name in zip(Ws, bs, case.activations):
        z = F.linear(a, W, b)
        a = acts[name](z)
    if case.loss == "cross_entropy":
        labels = case.y.ndim == 1
        yt = torch.tensor(case.y, dtype=torch.long if labels else torch.float64)
        if case.activations[-1] == "identity":
            loss = F.cross_entropy(z, yt)
        elif labels:
            loss = F.nll_loss(torch.log(a), yt)
        else:
            loss = -(yt * torch.log(a)).sum(dim=1).mean()
    else:
        yt = torch.tensor(case.y, dtype=torch.float64)
        if case.loss == "mse":
            loss = F.mse_loss(a, yt)
        elif case.loss == "half_sse":
            loss = 0.5 * ((yt - a) ** 2).sum()
        elif case.loss == "bce":
            loss = F.binary_cross_entropy(a, yt)
        else:
            loss = F.binary_cross_entropy_with_logits(z, yt)
    loss.backward()
    grads = {}
    for l, (W, b) in enumerate(zip(Ws, bs)):
        grads[f"layers.{l}.weight"] = W.grad.numpy()
        if b is not None:
            grads[f"layers.{l}.bias"] = b.grad.numpy()
    return float(loss.item()), grads


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_matches_pytorch_float64(torch, case: Case) -> None:
    model = case.model()
    g = model.backward(case.X, case.y)
    if case.loss == "bce":
        # torch clamps p(1 − p) at 1e-12 in BCELoss's gradient; the a − y shortcut does not
        # (see test_saturated_losses_match_pytorch), so compare only away from saturation.
        a = g.activations[-1]
        assume(float(np.min(a * (1 - a))) > 1e-10)
    t_loss, t_grads = torch_loss_and_grads(torch, case)
    assert g.loss == pytest.approx(t_loss, rel=1e-10, abs=1e-10)
    assert set(g.grads) == set(t_grads)
    for name, tg in t_grads.items():
        np.testing.assert_allclose(g.grads[name], tg, rtol=1e-10, atol=1e-10, err_msg=name)


def test_pytorch_named_parameters_keys(torch) -> None:
    """grads are keyed exactly like torch's named_parameters of an nn.ModuleList `layers`."""

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList(
                [torch.nn.Linear(3, 4), torch.nn.Linear(4, 5, bias=False), torch.nn.Linear(5, 2)]
            )

    net = Net().double()
    torch_names = [name for name, _ in net.named_parameters()]
    model = ManualMLP(
        [lin.weight.detach().numpy() for lin in net.layers],
        [None if lin.bias is None else lin.bias.detach().numpy() for lin in net.layers],
        ["tanh", "relu", "identity"],
        "cross_entropy",
    )
    g = model.backward(np.ones((2, 3)), np.array([0, 1]))
    assert list(g.grads) == torch_names == model.parameter_names() == list(model.state_dict())


@pytest.mark.parametrize("z", [-1000.0, -40.0, 40.0, 1000.0])
@pytest.mark.parametrize("target", [0.0, 1.0])
def test_saturated_losses_match_pytorch(torch, z: float, target: float) -> None:
    """Huge logits: BCELoss clamps its logs at −100, BCEWithLogits stays exact."""
    X, y = np.array([[1.0]]), np.array([[target]])
    bce = ManualMLP([[[z]]], [None], ["sigmoid"], "bce")
    logits = ManualMLP([[[z]]], [None], ["identity"], "bce_with_logits")
    zt = torch.tensor([[z]], dtype=torch.float64)
    yt = torch.tensor(y)
    F = torch.nn.functional
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bce.loss(X, y) == pytest.approx(F.binary_cross_entropy(torch.sigmoid(zt), yt).item(), rel=1e-12)
        assert logits.loss(X, y) == pytest.approx(F.binary_cross_entropy_with_logits(zt, yt).item(), rel=1e-12)
        g = logits.backward(X, y)
    zg = zt.clone().requires_grad_(True)
    F.binary_cross_entropy_with_logits(zg, yt).backward()
    assert g["layers.0.weight"][0, 0] == pytest.approx(zg.grad.item(), abs=1e-15)


# =============================================================================
# The δ shortcuts and the general chain rule
# =============================================================================


def test_output_delta_shortcuts() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5, 3))
    # sigmoid + bce, one output: δᴸ = aᴸ − y
    model = ManualMLP([rng.normal(size=(4, 3)), rng.normal(size=(1, 4))], [None, None], ["relu", "sigmoid"], "bce")
    y = rng.integers(0, 2, size=(5, 1)).astype(float)
    g = model.backward(X, y)
    np.testing.assert_allclose(g.deltas[-1], g.activations[-1] - y, rtol=0, atol=0)
    assert g.grad_outputs[-1] is None and g.activation_derivatives[-1] is None
    # dWᴸ = δᴸᵀ aᴸ⁻¹ / m,  dbᴸ = Σ_i δᴸ_i / m
    model_b = ManualMLP([rng.normal(size=(2, 3))], [np.zeros(2)], ["sigmoid"], "bce")
    y2 = rng.uniform(size=(5, 2))
    g2 = model_b.backward(X, y2)
    np.testing.assert_allclose(g2.deltas[0], (g2.activations[1] - y2) / 2, rtol=0, atol=0)  # 1/k with k = 2
    np.testing.assert_allclose(g2["layers.0.weight"], g2.deltas[0].T @ X / 5, rtol=1e-15)
    np.testing.assert_allclose(g2["layers.0.bias"], g2.deltas[0].sum(axis=0) / 5, rtol=1e-15)
    # softmax + cross entropy: δᴸ = aᴸ − one_hot(y)
    model_c = ManualMLP([rng.normal(size=(3, 3))], [np.zeros(3)], ["softmax"], "cross_entropy")
    labels = np.array([0, 2, 1, 1, 0])
    g3 = model_c.backward(X, labels)
    np.testing.assert_allclose(g3.deltas[0], g3.activations[1] - np.eye(3)[labels], rtol=0, atol=0)
    # logits + cross entropy gives the same numbers
    model_d = ManualMLP(model_c.weights, model_c.biases, ["identity"], "cross_entropy")
    g4 = model_d.backward(X, labels)
    assert g4.loss == pytest.approx(g3.loss, rel=1e-14)
    np.testing.assert_allclose(g4.deltas[0], g3.deltas[0], rtol=1e-14, atol=1e-16)


def test_general_chain_rule_for_mse() -> None:
    rng = np.random.default_rng(4)
    model = ManualMLP([rng.normal(size=(3, 2)), rng.normal(size=(2, 3))], [np.zeros(3), np.zeros(2)],
                      ["tanh", "sigmoid"], "mse")
    X, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    g = model.backward(X, y)
    a = g.activations[-1]
    # ℓ_i = (1/k) Σ_j (a − y)²  ⇒  ∂ℓ/∂a = 2(a − y)/k;  δᴸ = ∂ℓ/∂a ⊙ a(1 − a)
    np.testing.assert_allclose(g.grad_outputs[-1], 2 * (a - y) / 2, rtol=1e-15)
    np.testing.assert_allclose(g.activation_derivatives[-1], a * (1 - a), rtol=1e-15)
    np.testing.assert_allclose(g.deltas[-1], (a - y) * a * (1 - a), rtol=1e-14)
    # hidden: δ¹ = (δ² W²) ⊙ (1 − tanh²(z¹))
    np.testing.assert_allclose(g.deltas[0], (g.deltas[1] @ model.weights[1]) * (1 - g.activations[1] ** 2), rtol=1e-14)
    assert g.loss == pytest.approx(np.mean((a - y) ** 2), rel=1e-15)


def test_activations_and_derivatives() -> None:
    z = np.array([[-2.0, -1e-9, 0.0, 1e-9, 3.0]])
    m = ManualMLP([np.eye(5)], [None], ["relu"], "mse")
    g = m.backward(z, np.zeros((1, 5)))
    np.testing.assert_array_equal(g.activations[1], [[0, 0, 0, 1e-9, 3]])
    np.testing.assert_array_equal(g.activation_derivatives[0], [[0, 0, 0, 1, 1]])  # relu'(0) = 0
    m = ManualMLP([np.eye(5)], [None], ["leaky_relu"], "mse", negative_slope=0.2)
    g = m.backward(z, np.zeros((1, 5)))
    np.testing.assert_allclose(g.activations[1], [[-0.4, -2e-10, 0, 1e-9, 3]], rtol=1e-15)
    np.testing.assert_array_equal(g.activation_derivatives[0], [[0.2, 0.2, 0.2, 1, 1]])
    # softmax rows sum to one, also for huge logits
    m = ManualMLP([np.eye(3)], [None], ["softmax"], "cross_entropy")
    out = m.forward(np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-15)
    assert out[0, 0] == 1.0
    assert m.predict(np.array([[1.0, 2.0, 3.0]])).tolist() == [2]


def test_sigmoid_is_stable_at_extremes() -> None:
    z = np.array([-1000.0, -745.0, -30.0, 0.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
        model = ManualMLP([[[1.0]]], [None], ["sigmoid"], "mse")
        out = model.forward(z.reshape(-1, 1))
        g = model.backward(z.reshape(-1, 1), np.zeros((6, 1)))
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert s[2] == pytest.approx(1 / (1 + math.exp(30)), rel=1e-15)
    np.testing.assert_array_equal(out[:, 0], s)
    assert np.all(np.isfinite(g["layers.0.weight"]))


# =============================================================================
# Construction, from_module, dtype, training API
# =============================================================================


def fake_module(weights, biases, names, slopes=None):
    """A duck-typed stand-in for nn.MLP: its weights() and config()."""
    config = {"activations": names, "negative_slopes": slopes or [0.01] * len(names)}
    return SimpleNamespace(weights=lambda: list(zip(weights, biases)), config=lambda: config)


def test_from_module_copies_weights_and_reads_slopes() -> None:
    rng = np.random.default_rng(5)
    W1, b1, W2 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(2, 4))
    module = fake_module([W1, W2], [b1, None], ["leaky_relu", "identity"], [0.3, 0.01])
    model = ManualMLP.from_module(module, "mse")
    assert model.negative_slopes[0] == 0.3
    assert model.activation_names == ["leaky_relu", "identity"]
    assert model.biases[1] is None
    assert model.parameter_names() == ["layers.0.weight", "layers.0.bias", "layers.1.weight"]
    assert model.layer_sizes == [3, 4, 2] and model.n_layers == 2
    assert model.in_features == 3 and model.out_features == 2
    X = rng.normal(size=(7, 3))
    z1 = X @ W1.T + b1
    np.testing.assert_allclose(model.forward(X), np.where(z1 > 0, z1, 0.3 * z1) @ W2.T, rtol=1e-14)
    W1[...] = 0.0  # the model owns copies
    b1[...] = 0.0
    assert np.all(model.weights[0] != 0) and np.all(model.biases[0] != 0)
    assert "ManualMLP(3 → 4 → 2" in repr(model)


def test_from_module_reads_an_nn_mlp_through_weights_and_config() -> None:
    import nn
    mlp = nn.MLP([3, 4, 2], activations=["leaky_relu", "identity"], negative_slope=0.2, seed=0)
    model = ManualMLP.from_module(mlp, "mse")
    assert model.negative_slopes[0] == 0.2 and model.activation_names == ["leaky_relu", "identity"]
    for (W, b), ours, our_b in zip(mlp.weights(), model.weights, model.biases):
        np.testing.assert_array_equal(W, ours)
        np.testing.assert_array_equal(b, our_b)


def test_from_module_errors() -> None:
    with pytest.raises(TypeError, match=r"from_module: model needs \.weights\(\) and \.config\(\)"):
        ManualMLP.from_module(object(), "mse")
    module = fake_module([np.ones((2, 2))], [None], ["relu", "relu"])
    with pytest.raises(ValueError, match="got 1 weights, 1 biases and 2 activations"):
        ManualMLP.from_module(module, "mse")


def test_constructor_copies_and_converts_dtype() -> None:
    W = np.ones((2, 2), dtype=np.float64)
    model = ManualMLP([W], [None], ["identity"], "mse")
    W[0, 0] = 5.0
    assert model.weights[0][0, 0] == 1.0
    assert model.dtype == np.float64
    model = ManualMLP([[[1, 2], [3, 4]]], [[0, 0]], ["identity"], "mse")  # nested lists of ints
    assert model.weights[0].dtype == np.float64 and model.biases[0].dtype == np.float64
    # mixed float32/float64 → float64; explicit dtype wins
    mixed = ManualMLP([np.ones((2, 2), np.float32)], [np.zeros(2)], ["identity"], "mse")
    assert mixed.dtype == np.float64
    forced = ManualMLP([np.ones((2, 2))], [None], ["identity"], "mse", dtype=np.float32)
    assert forced.weights[0].dtype == np.float32


def test_float32_is_kept_end_to_end() -> None:
    rng = np.random.default_rng(6)
    W1, b1 = rng.normal(size=(5, 3)), rng.normal(size=5)
    W2, b2 = rng.normal(size=(1, 5)), rng.normal(size=1)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=(8, 1)).astype(float)
    m64 = ManualMLP([W1, W2], [b1, b2], ["tanh", "sigmoid"], "bce")
    m32 = ManualMLP([W1.astype(np.float32), W2.astype(np.float32)], [b1.astype(np.float32), b2.astype(np.float32)],
                    ["tanh", "sigmoid"], "bce")
    assert m32.dtype == np.float32
    out = m32.forward(X)  # float64 input is cast to the model dtype
    assert out.dtype == np.float32
    g32, g64 = m32.backward(X, y), m64.backward(X, y)
    for name in g64.grads:
        assert g32.grads[name].dtype == np.float32, name
        np.testing.assert_allclose(g32.grads[name], g64.grads[name], rtol=1e-4, atol=1e-5)
    assert all(d.dtype == np.float32 for d in g32.deltas)
    m32.step(0.1)
    assert all(W.dtype == np.float32 for W in m32.weights)
    assert all(v.dtype == np.float32 for v in m32.state_dict().values())


def test_step_train_step_state_dict_predict() -> None:
    rng = np.random.default_rng(7)
    model = ManualMLP([rng.normal(size=(6, 2)), rng.normal(size=(1, 6))], [np.zeros(6), np.zeros(1)],
                      ["tanh", "identity"], "bce_with_logits")
    X = rng.normal(size=(32, 2))
    y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    with pytest.raises(RuntimeError, match="step: no gradients yet; call backward"):
        model.step(0.1)
    state = model.state_dict()
    state["layers.0.weight"][...] = 99.0  # state_dict returns copies
    assert not np.any(model.weights[0] == 99.0)

    W0 = model.weights[0]
    before = model.state_dict()
    g = model.backward(X, y)
    assert isinstance(g, ManualGrads) and model.last_grads is g
    model.step(0.5)
    assert model.weights[0] is W0  # updated in place
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, before[name] - 0.5 * g.grads[name], rtol=1e-15, atol=1e-15)

    losses = [model.train_step(X, y, 0.5) for _ in range(200)]
    assert losses[-1] < losses[0]
    assert model.train_step(X, y, 0.0) == pytest.approx(model.loss(X, y), rel=1e-15)  # loss before the update

    pred = model.predict(X)
    assert pred.shape == (32, 1) and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (sigmoid(model.forward(X)) >= 0.5).astype(int))

    reg = ManualMLP([np.eye(2)], [None], ["identity"], "mse")
    np.testing.assert_array_equal(reg.predict(X), X)
    clf = ManualMLP([np.eye(2)], [None], ["sigmoid"], "bce")
    np.testing.assert_array_equal(clf.predict(np.array([[1.0, -1.0]])), [[1, 0]])


def test_target_shape_conveniences() -> None:
    rng = np.random.default_rng(8)
    X = rng.normal(size=(4, 2))
    model = ManualMLP([rng.normal(size=(1, 2))], [np.zeros(1)], ["sigmoid"], "bce")
    y = np.array([0.0, 1.0, 1.0, 0.0])
    assert model.loss(X, y) == model.loss(X, y.reshape(-1, 1))  # (m,) accepted when k = 1
    ce = ManualMLP([rng.normal(size=(3, 2))], [None], ["identity"], "cross_entropy")
    labels = np.array([0, 2, 1, 2])
    assert ce.loss(X, labels) == pytest.approx(ce.loss(X, np.eye(3)[labels]), rel=1e-15)
    assert ce.loss(X, labels.astype(float)) == ce.loss(X, labels)  # integral floats are labels too


def test_loss_objects_and_aliases() -> None:
    MSELoss = type("MSELoss", (), {"reduction": "mean"})
    CrossEntropyLoss = type("CrossEntropyLoss", (), {})
    assert ManualMLP([np.eye(2)], [None], ["identity"], MSELoss()).loss_name == "mse"
    assert ManualMLP([np.eye(2)], [None], ["identity"], CrossEntropyLoss()).loss_name == "cross_entropy"
    assert ManualMLP([np.eye(2)], [None], ["Sigmoid"], "BCELoss").activation_names == ["sigmoid"]
    assert ManualMLP([np.eye(2)], [None], ["linear"], "mse").activation_names == ["identity"]
    assert ManualMLP([np.eye(2)], [None], [None], "mse").activation_names == ["identity"]


# =============================================================================
# Every validation error
# =============================================================================

I2 = np.eye(2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weights=[], biases=[], activations=[]), "need at least one layer"),
        (dict(weights=[I2], biases=[], activations=["relu"]), r"got 1 weights, 0 biases and 1 activations"),
        (dict(weights=[I2], biases=[None], activations=["relu", "relu"]), r"got 1 weights, 1 biases and 2 activations"),
        (dict(weights=[np.ones(2)], biases=[None], activations=["relu"]), r"layer 0 weight must be 2-D .* got shape \(2,\)"),
        (
            dict(weights=[np.ones((4, 2)), np.ones((3, 5))], biases=[None, None], activations=["relu", "relu"]),
            r"layer 1 weight has shape \(3, 5\) but layer 0 weight has shape \(4, 2\): layer 1 expects 5 input "
            r"features, layer 0 produces 4",
        ),
        (dict(weights=[I2], biases=[np.zeros(3)], activations=["relu"]), r"layer 0 bias has shape \(3,\) .* expected bias shape \(2,\)"),
        (dict(weights=[I2], biases=[np.zeros((2, 1))], activations=["relu"]), r"layer 0 bias has shape \(2, 1\)"),
        (dict(weights=[np.array([[np.nan, 1], [1, 1]])], biases=[None], activations=["relu"]), "layer 0 weight contains NaN or inf"),
        (dict(weights=[I2], biases=[np.array([np.inf, 0])], activations=["relu"]), "layer 0 bias contains NaN or inf"),
        (dict(weights=[I2], biases=[None], activations=["swish"]), r"layer 0: unknown activation 'swish'"),
        (dict(weights=[I2], biases=[None], activations=[3]), r"layer 0: activation must be a string"),
        (
            dict(weights=[I2, I2], biases=[None, None], activations=["softmax", "identity"]),
            r"layer 0: softmax is only allowed on the output layer \(layer 1\)",
        ),
        (dict(weights=[I2], biases=[None], activations=["relu"], loss="hinge"), "unknown loss 'hinge'"),
        (dict(weights=[I2], biases=[None], activations=["identity"], loss="bce"), r"loss 'bce' does not fit output activation 'identity'"),
        (dict(weights=[I2], biases=[None], activations=["softmax"], loss="bce"), r"loss 'bce' does not fit output activation 'softmax'"),
        (
            dict(weights=[I2], biases=[None], activations=["sigmoid"], loss="bce_with_logits"),
            r"loss 'bce_with_logits' does not fit output activation 'sigmoid'",
        ),
        (
            dict(weights=[I2], biases=[None], activations=["sigmoid"], loss="cross_entropy"),
            r"loss 'cross_entropy' does not fit output activation 'sigmoid' \(layer 0\)",
        ),
        (dict(weights=[I2], biases=[None], activations=["relu"], negative_slope=[0.1, 0.2]), "got 2 negative slopes for 1 layers"),
        (dict(weights=[I2], biases=[None], activations=["relu"], negative_slope=float("nan")), "negative_slope must be finite"),
        (dict(weights=[I2], biases=[None], activations=["relu"], dtype=np.int32), "dtype must be float32 or float64"),
    ],
)
def test_constructor_errors(kwargs: dict, match: str) -> None:
    kwargs = {"loss": "mse", **kwargs}
    with pytest.raises(ValueError, match=match):
        ManualMLP(**kwargs)


def test_loss_object_with_sum_reduction_is_rejected() -> None:
    MSELoss = type("MSELoss", (), {"reduction": "sum"})
    with pytest.raises(ValueError, match=r"MSELoss has reduction='sum'; only 'mean' is supported"):
        ManualMLP([I2], [None], ["identity"], MSELoss())


def test_input_errors() -> None:
    model = ManualMLP([np.ones((3, 2))], [None], ["identity"], "mse")
    with pytest.raises(ValueError, match=r"forward: X must have shape \(batch, 2\), got \(2,\) \(use X\.reshape\(1, -1\)"):
        model.forward(np.ones(2))
    with pytest.raises(ValueError, match=r"forward: X must have shape \(batch, 2\), got \(4, 3\)"):
        model.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"forward: X has no samples"):
        model.forward(np.ones((0, 2)))
    with pytest.raises(ValueError, match=r"loss: targets have shape \(4, 2\), expected \(4, 3\)"):
        model.loss(np.ones((4, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"backward: targets have shape \(5, 3\), expected \(4, 3\)"):
        model.backward(np.ones((4, 2)), np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"backward: targets contain NaN or inf"):
        model.backward(np.ones((1, 2)), np.array([[0.0, np.nan, 1.0]]))
    model.backward(np.ones((1, 2)), np.ones((1, 3)))
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"step: lr must be a finite number >= 0, got -0.1"):
        model.step(-0.1)
    with pytest.raises(ValueError, match=r"step: lr must be a finite number >= 0, got nan"):
        model.step(float("nan"))
    with pytest.raises(ValueError, match=r"step: lr must be a number, got '0.1'"):
        model.step("0.1")
    np.testing.assert_array_equal(model.weights[0], before["layers.0.weight"])  # nothing was updated


def test_target_errors_for_classification_losses() -> None:
    X = np.ones((2, 2))
    bce = ManualMLP([np.ones((1, 2))], [None], ["sigmoid"], "bce")
    with pytest.raises(ValueError, match=r"loss: bce targets must lie in \[0, 1\]"):
        bce.loss(X, np.array([[0.5], [1.5]]))
    logits = ManualMLP([np.ones((1, 2))], [None], ["identity"], "bce_with_logits")
    with pytest.raises(ValueError, match=r"backward: bce_with_logits targets must lie in \[0, 1\]"):
        logits.backward(X, np.array([[-0.1], [1.0]]))
    ce = ManualMLP([np.ones((3, 2))], [None], ["identity"], "cross_entropy")
    with pytest.raises(ValueError, match=r"cross_entropy labels must lie in \[0, 2\], got min 0 and max 3"):
        ce.loss(X, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"cross_entropy labels must lie in \[0, 2\], got min -1"):
        ce.loss(X, np.array([-1, 0]))
    with pytest.raises(ValueError, match=r"cross_entropy labels of shape \(m,\) must be integers"):
        ce.loss(X, np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"got 3 labels for 2 samples"):
        ce.loss(X, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"must be probability rows \(non-negative, each row summing to 1\)"):
        ce.loss(X, np.array([[0.5, 0.5, 0.5], [1.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"must be probability rows"):
        ce.loss(X, np.array([[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"targets have shape \(2, 2\), expected \(2, 3\)"):
        ce.loss(X, np.eye(2))
