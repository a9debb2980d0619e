"""Seed 002's five exercises, done with library features and compared with the plain baseline.

Part A keeps seed 002's moons (500 points, noise 0.2, 80/20 split,
standardised) and its 2 → 16 → 8 → 1 ReLU/sigmoid network, and changes one
thing at a time against the baseline (full-batch gradient descent, lr 0.1):

1. softmax + cross-entropy: two logits and `CrossEntropyLoss` on labels
   instead of one sigmoid and BCE;
2. L2 regularisation: the seed's term λ/(2m)·Σ‖W‖² added to the loss (weights
   only, differentiated by autograd), and the same as `SGD(weight_decay=λ/m)`
   (PyTorch's convention, which also decays the biases);
3. momentum: the seed's v ← βv + (1−β)∇, θ ← θ − αv is
   `SGD(momentum=β, dampening=β)`; PyTorch's heavy ball is `SGD(momentum=β)`;
4. learning-rate decay α_t = α₀ / (1 + k·epoch): `InverseTimeDecay`.

Part B runs the baseline recipe on other data: 5. two concentric circles
(compared with the moons), and softmax + cross-entropy on three interleaved
spirals.

    python examples/exercises.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from _common import figure, pct, result, seed_he_normal, setup, table

import nn
from nn import data as D
from nn import plot

LAMBDA = 1.0      # the seed's λ in λ/(2m)·Σ‖W‖²
BETA = 0.9        # momentum
ALPHA0, DECAY = 0.5, 0.01


def split_standardised(X: np.ndarray, y: np.ndarray, seed: int, legacy: Any = False,
                       stratify: bool = False) -> tuple:
    """80/20 split and standardisation fitted on the training part; also returns the scaler."""
    X_train, X_test, y_train, y_test = D.train_test_split(X, y, test_size=0.2, seed=seed, legacy=legacy,
                                                          stratify=stratify or None)
    scaler = D.Standardizer().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test, scaler


def l2_penalty(model: nn.MLP, lam: float, m: int) -> Callable[[Any, Any], Any]:
    """The seed's regularised loss: BCE + λ/(2m)·Σ_l ‖W_l‖² (biases are not penalised)."""
    bce = nn.BCELoss()

    def loss(p: Any, y: Any) -> Any:
        return bce(p, y) + lam / (2 * m) * sum((layer.weight ** 2).sum() for layer in model.layers)
    return loss


def run(name: str, sizes: list[int], output: str, loss: Any, data: tuple, epochs: int, seed: int,
        optimizer: Callable[[list], Any] = lambda params: nn.optim.SGD(params, lr=0.1),
        scheduler: Callable[[Any], Any] | None = None, penalty: float | None = None) -> dict[str, Any]:
    """Train one variant with the baseline recipe except for what the arguments change."""
    X_train, X_test, y_train, y_test = data[:4]
    model = nn.MLP(sizes, activations=["relu"] * (len(sizes) - 2) + [output], init=seed_he_normal(seed))
    opt = optimizer(model.parameters())
    train_loss = l2_penalty(model, penalty, len(X_train)) if penalty else loss
    history = nn.fit(model, X_train, y_train, train_loss, opt, epochs=epochs,
                     scheduler=scheduler(opt) if scheduler else None, progress=False)
    train = nn.evaluate(model, X_train, y_train, loss, ["accuracy"])
    test = nn.evaluate(model, X_test, y_test, loss, ["accuracy"])
    return {"name": name, "model": model, "history": history, "loss": train["loss"],
            "train_acc": train["accuracy"], "test_acc": test["accuracy"], "lr": opt.lr,
            "w2": sum(float((layer.weight.data ** 2).sum()) for layer in model.layers)}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = setup("exercises", __doc__, argv, seed_help="weight seed (np.random.seed-style He draws)")
    epochs, spiral_epochs = (200, 400) if args.quick else (1000, 2000)
    seed = args.seed

    # -- Part A: one change at a time on seed 002's moons ---------------------------------------
    moons = split_standardised(*D.make_moons(500, noise=0.2, seed=42, legacy="tutorial"), seed=42,
                               legacy="tutorial")
    m = len(moons[0])
    labels = (moons[0], moons[1], moons[2][:, 0].astype(int), moons[3][:, 0].astype(int))
    binary = dict(sizes=[2, 16, 8, 1], output="sigmoid", loss=nn.BCELoss(), data=moons, epochs=epochs, seed=seed)
    runs = [
        run("baseline: GD, lr 0.1, sigmoid + BCE", **binary),
        run("1. softmax + cross-entropy (2 logits)", [2, 16, 8, 2], "identity", nn.CrossEntropyLoss(), labels,
            epochs, seed),
        run(f"2. L2 in the loss, λ = {LAMBDA:g} (weights)", **binary, penalty=LAMBDA),
        run(f"2. weight_decay = λ/m = {LAMBDA / m:g} (all)", **binary,
            optimizer=lambda p: nn.optim.SGD(p, lr=0.1, weight_decay=LAMBDA / m)),
        run(f"3. momentum β = {BETA} (seed: EMA form)", **binary,
            optimizer=lambda p: nn.optim.SGD(p, lr=0.1, momentum=BETA, dampening=BETA)),
        run(f"3. momentum β = {BETA} (PyTorch form)", **binary,
            optimizer=lambda p: nn.optim.SGD(p, lr=0.1, momentum=BETA)),
        run(f"4. decay α₀/(1 + {DECAY:g}·epoch), α₀ = {ALPHA0:g}", **binary,
            optimizer=lambda p: nn.optim.SGD(p, lr=ALPHA0),
            scheduler=lambda o: nn.optim.InverseTimeDecay(o, DECAY)),
    ]
    print()
    print(table(["variant", "loss", "train acc", "test acc", "Σ‖W‖²", "final lr"],
                [[r["name"], f"{r['loss']:.4f}", pct(r["train_acc"]), pct(r["test_acc"]), f"{r['w2']:.1f}",
                  f"{r['lr']:.4g}"] for r in runs],
                title=f"Part A: seed 002's moons, 2 → 16 → 8 → 1, {epochs} epochs (loss = BCE or CE, no penalty)"))
    base, l2 = runs[0], runs[2]
    print(f"  L2 shrinks the weights (Σ‖W‖² {base['w2']:.1f} → {l2['w2']:.1f}); the two ways of writing it "
          f"agree to within the bias decay.")
    figure(plot.plot_curves, {r["name"]: r["history"].train_loss for r in runs}, log=True,
           ylabel="training loss (the L2-in-the-loss run includes its penalty)",
           title="seed 002's exercises on the moons: training loss per epoch", path=args.out / "curves.png")

    # -- Part B: other datasets -------------------------------------------------------------------
    circles = split_standardised(*D.make_circles(500, noise=0.1, factor=0.5, seed=seed), seed=seed)
    circ = run("5. circles (noise 0.1, factor 0.5)", **{**binary, "data": circles})
    spirals = split_standardised(*D.make_spirals(600, n_classes=3, noise=0.05, seed=seed), seed=seed,
                                 stratify=True)
    spir = run("1. spirals, 3 classes, softmax + CE", [2, 32, 32, 3], "identity", nn.CrossEntropyLoss(),
               spirals, spiral_epochs, seed)
    print()
    print(table(["dataset", "network", "train acc", "test acc"], [
        ["moons (baseline above)", "2→16→8→1, sigmoid + BCE", pct(base["train_acc"]), pct(base["test_acc"])],
        ["circles", "2→16→8→1, sigmoid + BCE", pct(circ["train_acc"]), pct(circ["test_acc"])],
        ["spirals (3 classes)", "2→32→32→3, softmax + CE", pct(spir["train_acc"]), pct(spir["test_acc"])]],
        title=f"Part B: the baseline recipe (GD, lr 0.1) on other data ({epochs} epochs; spirals {spiral_epochs})"))
    figure(plot.plot_decision_boundary, circ["model"], circles[4].inverse_transform(circles[1]), circles[3],
           transform=circles[4].transform, path=args.out / "circles_boundary.png",
           title=f"circles: test set (test accuracy {pct(circ['test_acc'])})")
    figure(plot.plot_decision_boundary, spir["model"], spirals[4].inverse_transform(spirals[0]), spirals[2],
           transform=spirals[4].transform, path=args.out / "spirals_boundary.png",
           title=f"three spirals, softmax + cross-entropy (test accuracy {pct(spir['test_acc'])})")

    keys = ["baseline", "softmax", "l2", "weight_decay", "momentum_ema", "momentum", "decay"]
    accs = {f"{k}_test_acc": r["test_acc"] for k, r in zip(keys, runs)}
    return result(epochs=epochs, **accs, baseline_w2=base["w2"], l2_w2=l2["w2"], weight_decay_w2=runs[3]["w2"],
                  decay_final_lr=runs[6]["lr"], circles_test_acc=circ["test_acc"], spirals_test_acc=spir["test_acc"])


if __name__ == "__main__":
    main()
