"""One meaning for every (output layer, loss) pair: nn, nn.manual, compare, fit and the CLI agree.

An explicit softmax output layer with cross-entropy means the network outputs
probabilities and the loss is −Σ y log p (softmax applied once); an identity
output with cross-entropy means logits. Pairs that would squash twice or that
produce neither logits nor probabilities are refused with one clear message.
"""
from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.cli import main
from nn.losses import SoftmaxOutputCrossEntropyLoss, cross_entropy_of_probabilities
from nn.manual import ManualMLP
from nn.output_loss import ANY_OUTPUT, OUTPUT_ACTIVATIONS, check_output, loss_for_model

COMPARE_LOSSES = ("mse", "half_sse", "bce", "bce_with_logits", "cross_entropy")
TRAIN_LOSSES = ("mse", "l1", "bce", "bce_with_logits", "cross_entropy")


def _cli(command: str, act: str, loss: str, *extra: str) -> list[str]:
    outputs = 2 if loss == "cross_entropy" else 1   # moons: one logit/probability, or one per class
    return [command, "--dataset" if command == "compare" else "moons", *(["moons"] if command == "compare" else []),
            "--samples", "12", "--layers", f"2,4,{outputs}", "--activations", f"tanh,{act}", "--loss", loss, *extra]


@pytest.mark.parametrize("loss", COMPARE_LOSSES)
@pytest.mark.parametrize("act", ANY_OUTPUT)
def test_compare_passes_every_pair_the_table_allows_and_refuses_the_rest(act, loss, capsys):
    code = main(_cli("compare", act, loss))
    out, err = capsys.readouterr()
    if act in OUTPUT_ACTIVATIONS[loss]:
        assert code == 0 and "PASS" in out, out + err
    else:
        assert code == 2 and err.count("\n") == 1
        assert f"--activations: loss {loss!r} does not fit a {act!r} output layer; expected " in err


REFUSED = [(a, l) for l in TRAIN_LOSSES for a in ANY_OUTPUT if a not in OUTPUT_ACTIVATIONS[l]]
ALLOWED = [(a, l) for l in ("mse", "bce", "bce_with_logits", "cross_entropy") for a in OUTPUT_ACTIVATIONS[l]]


@pytest.mark.parametrize("act, loss", REFUSED)
def test_train_refuses_every_pair_the_table_refuses(act, loss, tmp_path, capsys):
    code = main(_cli("train", act, loss, "--epochs", "1", "--out", str(tmp_path)))
    err = capsys.readouterr().err
    assert code == 2 and f"loss {loss!r} does not fit a {act!r} output layer" in err and err.count("\n") == 1


@pytest.mark.parametrize("act", ["identity", "softmax"])
def test_train_takes_cross_entropy_on_logits_and_on_probabilities(act, tmp_path, capsys):
    code = main(_cli("train", act, "cross_entropy", "--epochs", "1", "--out", str(tmp_path)))
    err = capsys.readouterr().err
    assert code in (0, 1) and "error" not in err, err      # 1: one epoch learned nothing yet
    import matplotlib.pyplot as plt
    plt.close("all")


def test_the_issue_command_passes():
    assert main(["compare", "--dataset", "blobs", "--layers", "2,5,3", "--activations", "sigmoid,softmax",
                 "--loss", "cross_entropy"]) == 0


def _targets(loss: str, m: int, k: int, rng: np.random.Generator) -> np.ndarray:
    if loss == "cross_entropy":
        return rng.integers(0, k, size=m)
    if loss in ("bce", "bce_with_logits"):
        return rng.integers(0, 2, size=(m, k)).astype(float)
    return rng.normal(size=(m, k))


@pytest.mark.parametrize("act, loss", ALLOWED)
def test_nn_and_manual_compute_the_same_loss_for_every_allowed_pair(act, loss):
    rng = np.random.default_rng(3)
    model = nn.MLP([3, 5, 3], activations=["tanh", act], seed=1)
    X, y = rng.normal(size=(7, 3)), _targets(loss, 7, 3, rng)
    ours = nn.evaluate(model, X, y, loss)["loss"]
    assert ours == pytest.approx(ManualMLP.from_module(model, loss).loss(X, y), rel=1e-12)


def test_softmax_output_cross_entropy_reads_probabilities():
    model = nn.MLP([2, 3], activations=["softmax"], seed=0)
    assert isinstance(loss_for_model(model, nn.CrossEntropyLoss()), SoftmaxOutputCrossEntropyLoss)
    same = loss_for_model(model, SoftmaxOutputCrossEntropyLoss(reduction="sum"))
    assert type(same) is SoftmaxOutputCrossEntropyLoss and same.reduction == "sum"   # idempotent
    logits_model = nn.MLP([2, 3], activations=["identity"], seed=0)
    ce = nn.CrossEntropyLoss()
    assert loss_for_model(logits_model, ce) is ce


def test_both_cross_entropy_meanings_give_the_same_loss_and_gradient():
    rng = np.random.default_rng(0)
    z = Tensor(rng.normal(size=(6, 4)) * 3, requires_grad=True)
    labels = rng.integers(0, 4, size=6)
    a = nn.functional.cross_entropy(z, labels)
    a.backward()
    g_logits = z.grad.copy()
    z.zero_grad()
    b = cross_entropy_of_probabilities(z.softmax(), labels)
    b.backward()
    assert b.item() == pytest.approx(a.item(), rel=1e-14)
    np.testing.assert_allclose(z.grad, g_logits, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(z.grad, (z.softmax().data - np.eye(4)[labels]) / 6, rtol=1e-12, atol=1e-15)


def test_cross_entropy_of_probabilities_survives_an_exact_zero():
    p = Tensor(np.array([[1.0, 0.0], [0.5, 0.5]]), requires_grad=True)
    out = cross_entropy_of_probabilities(p, np.array([1, 0]))
    out.backward()
    assert np.isfinite(out.item()) and out.item() > 300 and np.all(np.isfinite(p.grad))


def test_fit_trains_a_softmax_output_on_probabilities():
    X, y = nn.data.make_blobs(90, centers=3, seed=0)
    model = nn.MLP([2, 8, 3], activations=["tanh", "softmax"], seed=0)
    hist = nn.fit(model, X, y, "cross_entropy", nn.optim.Adam(model.parameters(), lr=0.05), epochs=60,
                  progress=False)
    manual = ManualMLP.from_module(model, "cross_entropy")
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert nn.evaluate(model, X, y, "cross_entropy")["loss"] == pytest.approx(manual.loss(X, y), rel=1e-12)


def test_fit_refuses_a_sigmoid_before_a_with_logits_loss():
    model = nn.MLP([2, 1], activations=["sigmoid"], seed=0)
    with pytest.raises(ValueError, match=r"fit: loss 'bce_with_logits' does not fit a 'sigmoid' output layer; "
                                         r"expected 'identity' \(it applies the sigmoid itself"):
        nn.fit(model, np.zeros((4, 2)), np.zeros((4, 1)), nn.BCEWithLogitsLoss(),
               nn.optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)


def test_check_output_messages():
    check_output("mse", "softmax", "x")   # any output for the regression losses
    with pytest.raises(ValueError, match=r"x: loss 'bce' does not fit a 'tanh' output layer; expected 'sigmoid' "
                                         r"\(BCE reads probabilities"):
        check_output("bce", "tanh", "x")
    with pytest.raises(ValueError, match=r"expected 'identity' or 'softmax' \(it reads logits from an identity "
                                         r"output or probabilities from a softmax output\)"):
        check_output("cross_entropy", "relu", "x")


def test_custom_losses_and_models_pass_through():
    custom = lambda out, y: out.sum()
    assert loss_for_model(nn.MLP([2, 1], activations=["sigmoid"]), custom) is custom
    assert loss_for_model(nn.Linear(2, 1), nn.BCEWithLogitsLoss()).__class__ is nn.BCEWithLogitsLoss
